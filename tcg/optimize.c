/*
 * optimize.c: the IR optimizer, one forward pass over a block.
 *
 * - constant propagation and folding (every value op, via tcg_fold_op());
 * - copy propagation (uses of a copy read the original while both hold the
 *   same value);
 * - algebraic simplification (x+0, x&0, x&-1, x*1, x^x, x-x, shifts by 0...);
 * - known-zero bits: zero extensions and masks of values whose high bits are
 *   already clear become copies (guest 32-bit code is full of them);
 * - common subexpressions: a value op that repeats an earlier one of the same
 *   basic block on unchanged inputs becomes a copy of its result (two reads
 *   of a 32-bit guest register each zero-extend it, for one);
 * - branch folding (brcond/setcond/movcond with a known outcome) and removal
 *   of unreachable ops after an unconditional exit, then of labels nobody
 *   jumps to (which merges basic blocks).
 * Dead code elimination proper is done by the liveness pass (tcg.c).
 * Knowledge is dropped at every basic block boundary, which keeps the pass
 * obviously correct; a target hook (s->pre_opt_hook) runs before it for
 * target-specific work such as x86 flag liveness.
 */
#include "tcg/tcg-internal.h"

typedef struct OptInfo {
    bool is_const;
    bool has_copies;        /* some temp may have copy_of == this one */
    int copy_of;            /* temp whose value this one holds, or -1 */
    uint64_t val;
    uint64_t z;             /* bits that may be non-zero (known-zero tracking) */
} OptInfo;

#define INFO_UNKNOWN ((OptInfo){ false, false, -1, 0, ~0ULL })

/* A value computed earlier in this basic block (common subexpressions). */
#define CSE_MAX 32
typedef struct CSEEntry {
    TCGOpcode opc;
    int nargs;              /* inputs + constants, after the output */
    TCGArg args[TCG_MAX_OP_ARGS];
    uint32_t ver[4];        /* versions of the inputs when it was computed */
    int out;
    uint32_t out_ver;       /* the output must still hold it */
} CSEEntry;

typedef struct OptState {
    TCGContext *s;
    OptInfo *info;
    uint32_t *ver;          /* per temp: bumped on every new value */
    int cap;
    CSEEntry cse[CSE_MAX];
    int cse_n, cse_next;
} OptState;

static void __attribute__((noinline)) oinfo_grow(OptState *o, int idx)
{
    int ncap = MAX(o->cap * 2, idx + 64);
    o->info = g_renew(OptInfo, o->info, ncap);
    o->ver = g_renew(uint32_t, o->ver, ncap);
    for (int i = o->cap; i < ncap; i++) {
        o->info[i] = INFO_UNKNOWN;
        o->ver[i] = 0;
    }
    o->cap = ncap;
}

static inline OptInfo *oinfo(OptState *o, int idx)
{
    if (__builtin_expect(idx >= o->cap, 0)) {
        oinfo_grow(o, idx);
    }
    return &o->info[idx];
}

static bool arg_const(OptState *o, int idx, uint64_t *v)
{
    TCGTemp *t = &o->s->temps[idx];

    if (t->kind == TEMP_CONST) {
        *v = t->val;
        return true;
    }
    if (oinfo(o, idx)->is_const) {
        *v = oinfo(o, idx)->val;
        return true;
    }
    return false;
}

static void reset_all(OptState *o)
{
    for (int i = 0; i < o->cap; i++) {
        o->info[i] = INFO_UNKNOWN;
    }
    o->cse_n = 0;
    o->cse_next = 0;
}

/* idx gets a new value: forget what we knew and every copy made of it. */
static void reset_temp(OptState *o, int idx)
{
    /* Only a temp that was copied needs the scan for its copies: most are
     * never copied, which keeps a block's pass linear. */
    bool scan = oinfo(o, idx)->has_copies;
    *oinfo(o, idx) = INFO_UNKNOWN;
    o->ver[idx]++;
    if (scan) {
        for (int i = 0; i < o->cap; i++) {
            if (o->info[i].copy_of == idx) {
                o->info[i].copy_of = -1;
            }
        }
    }
}

static void reset_globals(OptState *o)
{
    for (int i = 0; i < o->s->nb_globals; i++) {
        if (o->s->temps[i].kind == TEMP_GLOBAL) {
            reset_temp(o, i);
        }
    }
}

static TCGOpcode mov_opc(bool is64)
{
    return is64 ? INDEX_op_mov_i64 : INDEX_op_mov_i32;
}

/* Rewrite op in place as "ret = constant". */
static void make_movi(OptState *o, TCGOp *op, int ret, uint64_t v, bool is64)
{
    TCGTemp *t = &o->s->temps[ret];

    if (t->type == TCG_TYPE_I32) {
        v = (uint32_t)v;
    }
    op->opc = t->type == TCG_TYPE_I64 ? INDEX_op_movi_i64 : INDEX_op_movi_i32;
    op->nb_oargs = 1;
    op->nb_iargs = 0;
    op->nb_cargs = 1;
    op->args[0] = ret;
    op->args[1] = v;
    reset_temp(o, ret);
    oinfo(o, ret)->is_const = true;
    oinfo(o, ret)->val = v;
    oinfo(o, ret)->z = v;
}

/* Rewrite op in place as "ret = src". */
static void make_mov(OptState *o, TCGOp *op, int ret, int src, bool is64)
{
    uint64_t v;

    if (ret == src) {
        tcg_op_remove(o->s, op);
        return;
    }
    if (arg_const(o, src, &v)) {
        make_movi(o, op, ret, v, is64);
        return;
    }
    op->opc = mov_opc(is64);
    op->nb_oargs = 1;
    op->nb_iargs = 1;
    op->nb_cargs = 0;
    op->args[0] = ret;
    op->args[1] = src;
    reset_temp(o, ret);
    {
        int canon = oinfo(o, src)->copy_of >= 0 ? oinfo(o, src)->copy_of : src;
        if (o->s->temps[canon].kind != TEMP_FIXED) {
            oinfo(o, ret)->copy_of = canon;
            oinfo(o, canon)->has_copies = true;
        }
        oinfo(o, ret)->z = oinfo(o, src)->z;
    }
}

/* Bits of temp idx that may be non-zero. */
static uint64_t z_of(OptState *o, int idx)
{
    uint64_t v;
    uint64_t z = arg_const(o, idx, &v) ? v : oinfo(o, idx)->z;
    return o->s->temps[idx].type == TCG_TYPE_I32 ? (uint32_t)z : z;
}

static uint64_t len_mask(unsigned len)
{
    return len >= 64 ? ~0ULL : (1ULL << len) - 1;
}

/* What may be non-zero in the output of a single-output op. */
static uint64_t op_z(OptState *o, const TCGOp *op)
{
    const TCGArg *a = op->args;
    uint64_t c;

    switch (op->opc) {
    case INDEX_op_ext8u_i32: case INDEX_op_ext8u_i64:
    case INDEX_op_ld8u_i32: case INDEX_op_ld8u_i64:
        return 0xff;
    case INDEX_op_ext16u_i32: case INDEX_op_ext16u_i64:
    case INDEX_op_ld16u_i32: case INDEX_op_ld16u_i64:
        return 0xffff;
    case INDEX_op_ext32u_i64: case INDEX_op_extu_i32_i64: case INDEX_op_ld32u_i64:
        return 0xffffffffULL;
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
        return 1;
    case INDEX_op_and_i32: case INDEX_op_and_i64:
        return z_of(o, a[1]) & z_of(o, a[2]);
    case INDEX_op_or_i32: case INDEX_op_or_i64:
    case INDEX_op_xor_i32: case INDEX_op_xor_i64:
        return z_of(o, a[1]) | z_of(o, a[2]);
    case INDEX_op_shr_i64:
        return arg_const(o, a[2], &c) && c < 64 ? z_of(o, a[1]) >> c : ~0ULL;
    case INDEX_op_shl_i64:
        return arg_const(o, a[2], &c) && c < 64 ? z_of(o, a[1]) << c : ~0ULL;
    case INDEX_op_extract_i32: case INDEX_op_extract_i64:
        return len_mask(a[3]);
    case INDEX_op_deposit_i64: {
        uint64_t m = len_mask(a[4]) << a[3];
        return (z_of(o, a[1]) & ~m) | ((z_of(o, a[2]) << a[3]) & m);
    }
    case INDEX_op_movcond_i64:
        return z_of(o, a[3]) | z_of(o, a[4]);
    case INDEX_op_qemu_ld_i64: {
        MemOp mo = get_memop(a[2]);
        if (!(mo & MO_SIGN) && (mo & MO_SIZE) != MO_64) {
            return len_mask(8 << (mo & MO_SIZE));
        }
        return ~0ULL;
    }
    default:
        return ~0ULL;
    }
}

static bool is_commutative(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_mul_i32: case INDEX_op_and_i32:
    case INDEX_op_or_i32: case INDEX_op_xor_i32:
    case INDEX_op_add_i64: case INDEX_op_mul_i64: case INDEX_op_and_i64:
    case INDEX_op_or_i64: case INDEX_op_xor_i64:
        return true;
    default:
        return false;
    }
}

/* Try algebraic identities; true if op was rewritten. */
static bool simplify(OptState *o, TCGOp *op, bool is64)
{
    TCGOpcode opc = op->opc;
    int r = op->args[0], a = op->args[1], b = op->args[2];
    uint64_t bv, ones = is64 ? ~0ULL : 0xffffffffULL;
    bool bc = arg_const(o, b, &bv);

    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_add_i64:
    case INDEX_op_sub_i32: case INDEX_op_sub_i64:
    case INDEX_op_or_i32: case INDEX_op_or_i64:
    case INDEX_op_xor_i32: case INDEX_op_xor_i64:
    case INDEX_op_shl_i32: case INDEX_op_shl_i64:
    case INDEX_op_shr_i32: case INDEX_op_shr_i64:
    case INDEX_op_sar_i32: case INDEX_op_sar_i64:
    case INDEX_op_rotl_i32: case INDEX_op_rotl_i64:
    case INDEX_op_rotr_i32: case INDEX_op_rotr_i64:
    case INDEX_op_andc_i32: case INDEX_op_andc_i64:
        if (bc && bv == 0) {
            make_mov(o, op, r, a, is64);
            return true;
        }
        if (a == b && (opc == INDEX_op_sub_i32 || opc == INDEX_op_sub_i64 ||
                       opc == INDEX_op_xor_i32 || opc == INDEX_op_xor_i64 ||
                       opc == INDEX_op_andc_i32 || opc == INDEX_op_andc_i64)) {
            make_movi(o, op, r, 0, is64);
            return true;
        }
        if (a == b && (opc == INDEX_op_or_i32 || opc == INDEX_op_or_i64)) {
            make_mov(o, op, r, a, is64);
            return true;
        }
        break;
    case INDEX_op_and_i32: case INDEX_op_and_i64:
        if (bc && bv == 0) {
            make_movi(o, op, r, 0, is64);
            return true;
        }
        if ((bc && bv == ones) || a == b) {
            make_mov(o, op, r, a, is64);
            return true;
        }
        break;
    case INDEX_op_mul_i32: case INDEX_op_mul_i64:
        if (bc && bv == 0) {
            make_movi(o, op, r, 0, is64);
            return true;
        }
        if (bc && bv == 1) {
            make_mov(o, op, r, a, is64);
            return true;
        }
        break;
    default:
        break;
    }
    return false;
}

/* Insert a movi right after op index i (the array may move). */
static void insert_movi_after(OptState *o, int i, int ret, uint64_t v)
{
    TCGContext *s = o->s;
    TCGOp *op;
    TCGType type = s->temps[ret].type;
    TCGArg none = 0;

    tcg_emit_op(s, INDEX_op_nop, 0, &none);     /* grow by one */
    memmove(&s->ops[i + 2], &s->ops[i + 1], (s->nb_ops - i - 2) * sizeof(TCGOp));
    op = &s->ops[i + 1];
    memset(op, 0, sizeof(*op));
    make_movi(o, op, ret, type == TCG_TYPE_I32 ? (uint32_t)v : v, type == TCG_TYPE_I64);
}

/* Fold a double-width op (add2, sub2, mulu2, muls2) with constant inputs. */
static bool fold2(OptState *o, int i, const uint64_t *v, bool is64)
{
    TCGOp *op = &o->s->ops[i];
    int rl = op->args[0], rh = op->args[1];
    uint64_t lo, hi;

    switch (op->opc) {
    case INDEX_op_add2_i32: case INDEX_op_sub2_i32: {
        uint64_t x = v[0] | (v[1] << 32), y = v[2] | (v[3] << 32);
        uint64_t z = op->opc == INDEX_op_add2_i32 ? x + y : x - y;
        lo = (uint32_t)z;
        hi = z >> 32;
        break;
    }
    case INDEX_op_add2_i64: case INDEX_op_sub2_i64: {
        unsigned __int128 x = ((unsigned __int128)v[1] << 64) | v[0];
        unsigned __int128 y = ((unsigned __int128)v[3] << 64) | v[2];
        unsigned __int128 z = op->opc == INDEX_op_add2_i64 ? x + y : x - y;
        lo = (uint64_t)z;
        hi = (uint64_t)(z >> 64);
        break;
    }
    case INDEX_op_mulu2_i32:
        lo = (uint32_t)(v[0] * v[1]);
        hi = (v[0] * v[1]) >> 32;
        break;
    case INDEX_op_muls2_i32: {
        int64_t z = (int64_t)(int32_t)v[0] * (int32_t)v[1];
        lo = (uint32_t)z;
        hi = (uint32_t)((uint64_t)z >> 32);
        break;
    }
    case INDEX_op_mulu2_i64: {
        unsigned __int128 z = (unsigned __int128)v[0] * v[1];
        lo = (uint64_t)z;
        hi = (uint64_t)(z >> 64);
        break;
    }
    case INDEX_op_muls2_i64: {
        __int128 z = (__int128)(int64_t)v[0] * (int64_t)v[1];
        lo = (uint64_t)z;
        hi = (uint64_t)((unsigned __int128)z >> 64);
        break;
    }
    default:
        return false;
    }
    make_movi(o, op, rl, lo, is64);
    insert_movi_after(o, i, rh, hi);
    return true;
}

static int label_of(const TCGOp *op)
{
    switch (op->opc) {
    case INDEX_op_br:
        return op->args[0];
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
        return op->args[3];
    default:
        return -1;
    }
}

/* op is about to go away: the label it jumps to loses a user. */
static void drop_op(OptState *o, TCGOp *op, int *refs)
{
    int l = label_of(op);

    if (l >= 0) {
        refs[l]--;
    }
    tcg_op_remove(o->s, op);
}

/* An earlier op of this basic block computed the same value: its output. */
static int cse_find(OptState *o, const TCGOp *op)
{
    int no = op->nb_oargs, nargs = op->nb_iargs + op->nb_cargs;

    for (int e = 0; e < o->cse_n; e++) {
        const CSEEntry *c = &o->cse[e];
        bool same = c->opc == op->opc && c->nargs == nargs &&
                    o->ver[c->out] == c->out_ver;
        for (int k = 0; same && k < nargs; k++) {
            same = c->args[k] == op->args[no + k] &&
                   (k >= op->nb_iargs || k >= 4 || o->ver[c->args[k]] == c->ver[k]);
        }
        if (same) {
            return c->out;
        }
    }
    return -1;
}

static void cse_add(OptState *o, const TCGOp *op, const uint32_t *in_ver)
{
    CSEEntry *c = &o->cse[o->cse_next];
    int no = op->nb_oargs, nargs = op->nb_iargs + op->nb_cargs;

    c->opc = op->opc;
    c->nargs = nargs;
    memcpy(c->args, &op->args[no], nargs * sizeof(TCGArg));
    memcpy(c->ver, in_ver, sizeof(c->ver));
    c->out = op->args[0];
    c->out_ver = o->ver[c->out];
    o->cse_next = (o->cse_next + 1) % CSE_MAX;
    o->cse_n = MIN(o->cse_n + 1, CSE_MAX);
}

void tcg_optimize(TCGContext *s)
{
    OptState o = { .s = s };
    bool unreachable = false;
    /*
     * Users of each label, kept current as branches fold away: a label
     * nobody jumps to is dropped on the spot, so what we know flows through.
     */
    int *refs = g_new0(int, s->nb_labels + 1);

    for (int i = 0; i < s->nb_ops; i++) {
        int l = label_of(&s->ops[i]);
        if (l >= 0) {
            refs[l]++;
        }
    }
    oinfo(&o, s->nb_temps);
    for (int i = 0; i < s->nb_ops; i++) {
        TCGOp *op = &s->ops[i];
        TCGOpcode opc = op->opc;
        const TCGOpDef *def = &tcg_op_defs[opc];
        int no = op->nb_oargs, ni = op->nb_iargs;
        bool is64 = def->flags & TCG_OPF_64BIT;
        uint64_t v[4];
        bool allc = true;

        if (opc == INDEX_op_set_label) {
            if (refs[op->args[0]] == 0) {
                tcg_op_remove(s, op);   /* a fall-through only: blocks merge */
                continue;
            }
            unreachable = false;
            reset_all(&o);
            continue;
        }
        if (unreachable) {
            drop_op(&o, op, refs);
            continue;
        }
        if (opc == INDEX_op_nop || opc == INDEX_op_insn_start || opc == INDEX_op_discard) {
            if (opc == INDEX_op_discard) {
                reset_temp(&o, op->args[0]);
            }
            continue;
        }
        /* Propagate constants and copies into the inputs. */
        for (int k = no; k < no + ni; k++) {
            int idx = op->args[k];
            OptInfo *in = oinfo(&o, idx);
            if (in->is_const) {
                op->args[k] = tcg_constant_internal(s, s->temps[idx].type, in->val);
                oinfo(&o, s->nb_temps);
            } else if (in->copy_of >= 0) {
                op->args[k] = in->copy_of;
            }
        }
        for (int k = 0; k < ni && k < 4; k++) {
            if (!arg_const(&o, op->args[no + k], &v[k])) {
                allc = false;
            }
        }
        switch (opc) {
        case INDEX_op_mov_i32: case INDEX_op_mov_i64:
            make_mov(&o, op, op->args[0], op->args[1], is64);
            continue;
        case INDEX_op_movi_i32: case INDEX_op_movi_i64:
            make_movi(&o, op, op->args[0], op->args[1], is64);
            continue;
        case INDEX_op_brcond_i32: case INDEX_op_brcond_i64: {
            TCGCond c = op->args[2];
            int l = op->args[3];
            if (allc || c == TCG_COND_ALWAYS || c == TCG_COND_NEVER ||
                (op->args[0] == op->args[1] &&
                 (c == TCG_COND_EQ || c == TCG_COND_NE))) {
                bool taken = allc ? tcg_eval_cond(c, v[0], v[1], is64)
                                  : (c == TCG_COND_ALWAYS || c == TCG_COND_EQ);
                if (taken) {
                    op->opc = INDEX_op_br;
                    op->nb_iargs = 0;
                    op->nb_cargs = 1;
                    op->args[0] = l;
                    unreachable = true;
                } else {
                    drop_op(&o, op, refs);
                    continue;
                }
            }
            reset_all(&o);
            continue;
        }
        case INDEX_op_ext8u_i64: case INDEX_op_ext16u_i64: case INDEX_op_ext32u_i64:
            if ((z_of(&o, op->args[1]) & ~op_z(&o, op)) == 0) {
                make_mov(&o, op, op->args[0], op->args[1], true);
                continue;
            }
            break;
        case INDEX_op_extract_i64:
            /* A field at bit 0 of a value with nothing above it: a copy. */
            if (op->args[2] == 0 &&
                (z_of(&o, op->args[1]) & ~len_mask(op->args[3])) == 0) {
                make_mov(&o, op, op->args[0], op->args[1], true);
                continue;
            }
            break;
        case INDEX_op_deposit_i64:
            /* Into the low bits of a value with nothing above the field: the
             * result is the field alone (a zero-extended byte or word). */
            if (op->args[3] == 0 && (z_of(&o, op->args[1]) & ~len_mask(op->args[4])) == 0) {
                int len = op->args[4];
                if ((z_of(&o, op->args[2]) & ~len_mask(len)) == 0) {
                    make_mov(&o, op, op->args[0], op->args[2], true);
                    continue;
                }
                if (len == 8 || len == 16 || len == 32) {
                    op->opc = len == 8 ? INDEX_op_ext8u_i64 : len == 16 ? INDEX_op_ext16u_i64
                                                            : INDEX_op_ext32u_i64;
                    op->args[1] = op->args[2];
                    v[0] = v[1];
                    op->nb_iargs = 1;
                    op->nb_cargs = 0;
                    opc = op->opc;
                    def = &tcg_op_defs[opc];
                    ni = 1;
                }
            }
            break;
        case INDEX_op_and_i64: {
            uint64_t m;
            if (arg_const(&o, op->args[2], &m) && (z_of(&o, op->args[1]) & ~m) == 0) {
                make_mov(&o, op, op->args[0], op->args[1], true);
                continue;
            }
            break;
        }
        case INDEX_op_movcond_i32: case INDEX_op_movcond_i64: {
            TCGCond c = op->args[5];
            if (arg_const(&o, op->args[1], &v[0]) && arg_const(&o, op->args[2], &v[1])) {
                bool t = tcg_eval_cond(c, v[0], v[1], is64);
                make_mov(&o, op, op->args[0], op->args[t ? 3 : 4], is64);
                continue;
            }
            if (op->args[3] == op->args[4]) {
                make_mov(&o, op, op->args[0], op->args[3], is64);
                continue;
            }
            break;
        }
        default:
            break;
        }
        if (no == 2 && allc && fold2(&o, i, v, is64)) {
            i++;                        /* skip the inserted movi */
            continue;
        }
        if (tcg_op_foldable(opc) && no == 1 && allc) {
            uint64_t c0 = 0, c1 = 0, a = ni > 0 ? v[0] : 0, b = ni > 1 ? v[1] : 0;
            int nt = no + ni;
            if (op->nb_cargs > 0) {
                c0 = op->args[nt];
            }
            if (op->nb_cargs > 1) {
                c1 = op->args[nt + 1];
            }
            make_movi(&o, op, op->args[0], tcg_fold_op(opc, a, b, c0, c1), is64);
            continue;
        }
        if (is_commutative(opc)) {
            uint64_t dummy;
            bool g1 = s->temps[op->args[1]].kind == TEMP_GLOBAL;
            bool g2 = s->temps[op->args[2]].kind == TEMP_GLOBAL;
            /* Constants second (inline immediates), then globals second (a
             * backend may read them from memory in place). */
            if ((arg_const(&o, op->args[1], &dummy) && !arg_const(&o, op->args[2], &dummy)) ||
                (g1 && !g2 && !arg_const(&o, op->args[2], &dummy))) {
                TCGArg t = op->args[1];
                op->args[1] = op->args[2];
                op->args[2] = t;
            }
        }
        if (no == 1 && ni == 2 && op->nb_cargs == 0 && simplify(&o, op, is64)) {
            continue;
        }
        /* A pure value op seen before on the same inputs: reuse its result. */
        bool cse = no == 1 && ni <= 4 && tcg_op_foldable(opc);
        uint32_t in_ver[4] = { 0 };
        if (cse) {
            int prev = cse_find(&o, op);
            if (prev >= 0 && s->temps[prev].type == s->temps[op->args[0]].type) {
                make_mov(&o, op, op->args[0], prev, is64);
                continue;
            }
            for (int k = 0; k < ni; k++) {
                in_ver[k] = o.ver[op->args[no + k]];
            }
        }
        /* Outputs get new, unknown values (but perhaps known-zero bits). */
        {
            uint64_t z = no == 1 ? op_z(&o, op) : ~0ULL;
            for (int k = 0; k < no; k++) {
                reset_temp(&o, op->args[k]);
            }
            if (no == 1) {
                oinfo(&o, op->args[0])->z = z;
            }
        }
        if (cse) {
            bool self = false;
            for (int k = 0; k < ni; k++) {
                self |= op->args[no + k] == op->args[0];
            }
            if (!self) {
                cse_add(&o, op, in_ver);
            }
        }
        if (opc == INDEX_op_call) {
            const TCGHelperInfo *info =
                (const TCGHelperInfo *)(uintptr_t)op->args[no + ni];
            if (!(info->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
                reset_globals(&o);
            }
        }
        if (def->flags & TCG_OPF_BB_END) {
            reset_all(&o);
            if (opc == INDEX_op_br || opc == INDEX_op_exit_tb ||
                opc == INDEX_op_goto_ptr) {
                unreachable = true;
            }
        }
    }
    g_free(o.info);
    g_free(o.ver);
    g_free(refs);
    tcg_ops_compact(s);
}
