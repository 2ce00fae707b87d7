/*
 * tci.c: the IR interpreter backend.
 *
 * tci_gen_code() serializes the optimized op list of a block into a compact
 * bytecode placed in the code buffer (so blocks, chaining and flushing work
 * exactly as with the native emitter); tci_exec() runs it. It is the backend
 * for hosts without an emitter and the oracle the native emitter is tested
 * against, so it favours obviously-correct code over speed: value ops go
 * through tcg_fold_op(), the same reference semantics the optimizer uses.
 *
 * Block layout: TciHeader, constant pool (uint64_t each), then ops. Each op:
 * TciOp header followed by nargs uint64_t words. Temp arguments are encoded
 * with their kind in the top two bits (see TCI_ARG_*); labels become byte
 * offsets from the block start.
 */
#include "tcg/tcg-internal.h"

#define TCI_MAGIC 0x42543836u          /* "BT86" */
#define TCI_MAX_SLOTS 4096

enum {
    TCI_ARG_SLOT = 0,       /* frame slot of a normal/local temp */
    TCI_ARG_GLOBAL = 1,     /* env + offset */
    TCI_ARG_CONST = 2,      /* index into the block's constant pool */
    TCI_ARG_ENV = 3,        /* the env pointer */
};
#define TCI_KIND(a) ((unsigned)((a) >> 62))
#define TCI_VAL(a)  ((a) & ((1ULL << 62) - 1))

typedef struct TciHeader {
    uint32_t magic;
    uint32_t nb_consts;
    uint32_t ops_off;       /* offset of the first op from the header */
    uint32_t size;
} TciHeader;

typedef struct TciOp {
    uint16_t opc;
    uint8_t nargs;
    uint8_t nb_oargs;
    uint16_t size;          /* bytes including the args */
    uint8_t is64;           /* TCG_OPF_64BIT, cached */
    uint8_t pad;
} TciOp;

/* Temp type of each temp argument, to keep i32 values zero-extended. */
typedef struct TciRun {
    uint8_t *env;
    const TciHeader *hdr;
    const uint64_t *consts;
    uint64_t frame[TCI_MAX_SLOTS];
    TCGContext *s;
} TciRun;

void tci_init(TCGContext *s)
{
    /* The epilogue is a lone header-less marker: goto_ptr to it returns 0. */
    uint8_t *p = s->buf.rw;

    memset(p, 0, 16);
    s->code_gen_epilogue = s->buf.rx;
    s->code_gen_prologue = NULL;
    s->tb_ret_addr = s->buf.rx;
    s->buf.used = 16;
    s->buf.base = 16;
}

static uint64_t encode_temp(TCGContext *s, int idx, GArray *consts, uint64_t *slot_max,
                            bool *ok)
{
    TCGTemp *t = &s->temps[idx];

    switch (t->kind) {
    case TEMP_GLOBAL:
        return ((uint64_t)TCI_ARG_GLOBAL << 62) | (uint64_t)t->mem_offset;
    case TEMP_FIXED:
        return (uint64_t)TCI_ARG_ENV << 62;
    case TEMP_CONST: {
        uint64_t v = t->val;
        g_array_append_val(consts, v);
        return ((uint64_t)TCI_ARG_CONST << 62) | (consts->len - 1);
    }
    default: {
        uint64_t slot = idx - s->nb_globals;
        if (slot >= TCI_MAX_SLOTS) {
            *ok = false;
        }
        if (slot + 1 > *slot_max) {
            *slot_max = slot + 1;
        }
        return slot;
    }
    }
}

static bool is_label_op(TCGOpcode opc)
{
    return opc == INDEX_op_br || opc == INDEX_op_set_label ||
           opc == INDEX_op_brcond_i32 || opc == INDEX_op_brcond_i64;
}

int tci_gen_code(TCGContext *s)
{
    GArray *consts = g_array_new(false, false, sizeof(uint64_t));
    GByteArray *body = g_byte_array_new();
    uint32_t *label_off = g_new0(uint32_t, s->nb_labels + 1);
    GArray *fixups = g_array_new(false, false, sizeof(uint32_t) * 2);
    uint64_t slot_max = 0;
    bool ok = true, have_insn = false, have_jmp[2] = { false, false };
    uint64_t insn_data[TCG_INSN_START_WORDS] = { 0 };
    size_t total, start;
    TciHeader hdr;
    uint8_t *dst;
    int ret = -1;

    /* Pass 1: encode ops into body; label uses recorded for fixup. */
    for (int i = 0; i < s->nb_ops; i++) {
        const TCGOp *op = &s->ops[i];
        int nt = op->nb_oargs + op->nb_iargs, n = nt + op->nb_cargs;
        TciOp h = { op->opc, n, op->nb_oargs, sizeof(TciOp) + n * 8,
                    (tcg_op_defs[op->opc].flags & TCG_OPF_64BIT) != 0, 0 };
        uint64_t args[TCG_MAX_OP_ARGS];
        uint32_t op_off = body->len;

        if (op->opc == INDEX_op_set_label) {
            label_off[op->args[0]] = op_off;
            continue;
        }
        if (op->opc == INDEX_op_insn_start) {
            /* Offsets are recorded relative to the header; ops start after it. */
            if (have_insn) {
                tcg_record_insn_end(s, insn_data, op_off);
            }
            memcpy(insn_data, op->args, sizeof(insn_data));
            have_insn = true;
            continue;
        }
        for (int k = 0; k < nt; k++) {
            args[k] = encode_temp(s, op->args[k], consts, &slot_max, &ok);
        }
        for (int k = nt; k < n; k++) {
            args[k] = op->args[k];
        }
        if (is_label_op(op->opc)) {
            uint32_t fx[2] = { op_off + sizeof(TciOp) + (n - 1) * 8, op->args[n - 1] };
            g_array_append_val(fixups, fx);
        }
        if (op->opc == INDEX_op_goto_tb) {
            s->jmp_insn_offset[op->args[0]] = op_off + sizeof(TciOp);
            s->jmp_reset_offset[op->args[0]] = op_off + sizeof(TciOp) + 8;
            have_jmp[op->args[0]] = true;
        }
        g_byte_array_append(body, (const guint8 *)&h, sizeof(h));
        g_byte_array_append(body, (const guint8 *)args, n * 8);
    }
    if (have_insn) {
        tcg_record_insn_end(s, insn_data, body->len);
    }
    if (!ok) {
        goto out;
    }
    for (guint i = 0; i < fixups->len; i++) {
        uint32_t *fx = &g_array_index(fixups, uint32_t, i * 2);
        uint64_t target = label_off[fx[1]];
        memcpy(body->data + fx[0], &target, 8);
    }

    hdr.magic = TCI_MAGIC;
    hdr.nb_consts = consts->len;
    hdr.ops_off = sizeof(TciHeader) + consts->len * 8;
    hdr.size = hdr.ops_off + body->len;
    total = (hdr.size + 15) & ~(size_t)15;
    start = s->buf.used;
    if (start + total > s->buf.size) {
        goto out;
    }
    dst = s->buf.rw + start;
    memcpy(dst, &hdr, sizeof(hdr));
    if (consts->len) {
        memcpy(dst + sizeof(hdr), consts->data, consts->len * 8);
    }
    if (body->len) {
        memcpy(dst + hdr.ops_off, body->data, body->len);
    }

    /*
     * Offsets so far are relative to the op area; make them block-relative.
     * Only for a goto_tb encoded above: a slot whose op the optimizer dropped
     * has no field in this block, and writing through a left-over offset would
     * overwrite one of its ops.
     */
    for (int n = 0; n < 2; n++) {
        if (!have_jmp[n]) {
            s->jmp_insn_offset[n] = s->jmp_reset_offset[n] = 0;
            s->goto_tb_used[n] = false;
            continue;
        }
        s->jmp_insn_offset[n] += hdr.ops_off;
        s->jmp_reset_offset[n] += hdr.ops_off;
        /* Unchained: the slot points at the next op (fall through). */
        uint64_t p = (uintptr_t)(s->buf.rx + start + s->jmp_reset_offset[n]);
        memcpy(dst + s->jmp_insn_offset[n], &p, 8);
    }
    for (int i = 0; i < s->nb_insns; i++) {
        s->insns[i].end_off += hdr.ops_off;
    }
    /* Branch targets inside the body are relative to the op area too. */
    s->gen_code_ptr = s->buf.rx + start;
    s->gen_code_size = total;
    s->buf.used = start + total;
    ret = total;
out:
    g_array_free(consts, true);
    g_byte_array_free(body, true);
    g_array_free(fixups, true);
    g_free(label_off);
    return ret;
}

void tci_set_jmp_target(TCGContext *s, const void *code, uint32_t off, const void *target)
{
    uint8_t *slot = tcg_rx_to_rw(&s->buf, (const uint8_t *)code + off);
    uint64_t v = (uintptr_t)target;

    __atomic_store_n((uint64_t *)slot, v, __ATOMIC_RELEASE);
}

static inline uint64_t rd(TciRun *r, uint64_t a)
{
    switch (TCI_KIND(a)) {
    case TCI_ARG_SLOT:
        return r->frame[a];
    case TCI_ARG_GLOBAL: {
        /* Globals are read with their own width; the encoder knows nothing of
         * types, so i32 globals are read as 32-bit by the caller via rd32(). */
        uint64_t v;
        memcpy(&v, r->env + TCI_VAL(a), 8);
        return v;
    }
    case TCI_ARG_CONST:
        return r->consts[TCI_VAL(a)];
    default:
        return (uintptr_t)r->env;
    }
}

static inline uint64_t rd_t(TciRun *r, uint64_t a, bool is64)
{
    if (!is64 && TCI_KIND(a) == TCI_ARG_GLOBAL) {
        uint32_t v;
        memcpy(&v, r->env + TCI_VAL(a), 4);
        return v;
    }
    return is64 ? rd(r, a) : (uint32_t)rd(r, a);
}

static inline void wr_t(TciRun *r, uint64_t a, uint64_t v, bool is64)
{
    if (!is64) {
        v = (uint32_t)v;
    }
    if (TCI_KIND(a) == TCI_ARG_GLOBAL) {
        memcpy(r->env + TCI_VAL(a), &v, is64 ? 8 : 4);
    } else {
        r->frame[a] = v;
    }
}

static uint64_t load_host(const void *p, MemOp mo)
{
    switch (mo & MO_SIZE) {
    case MO_8: {
        uint8_t v = *(const uint8_t *)p;
        return (mo & MO_SIGN) ? (uint64_t)(int8_t)v : v;
    }
    case MO_16: {
        uint16_t v;
        memcpy(&v, p, 2);
        return (mo & MO_SIGN) ? (uint64_t)(int16_t)v : v;
    }
    case MO_32: {
        uint32_t v;
        memcpy(&v, p, 4);
        return (mo & MO_SIGN) ? (uint64_t)(int32_t)v : v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static void store_host(void *p, uint64_t v, MemOp mo)
{
    memcpy(p, &v, 1u << (mo & MO_SIZE));
}

/*
 * The same one-compare TLB probe the native fast path does; NULL means
 * "take the slow path".
 */
static void *tlb_probe(TciRun *r, uint64_t addr, MemOpIdx oi, bool is_store)
{
    const TCGTLBDesc *d = &r->s->tlb;
    unsigned mmu = get_mmuidx(oi), size = 1u << (get_memop(oi) & MO_SIZE);
    uintptr_t mask, table;
    const TCGTLBEntry *e;
    uint64_t page_mask = ~(((uint64_t)1 << d->page_bits) - 1);
    uint64_t cmp;

    if (!d->fast_path || mmu >= (unsigned)d->nb_mmu_modes) {
        return NULL;
    }
    memcpy(&mask, r->env + d->mask_ofs[mmu], sizeof(mask));
    memcpy(&table, r->env + d->table_ofs[mmu], sizeof(table));
    e = (const TCGTLBEntry *)(table + ((addr >> (d->page_bits - TCG_TLB_ENTRY_BITS)) &
                                       mask));
    cmp = is_store ? e->addr_write : e->addr_read;
    if (((addr + size - 1) & page_mask) != cmp) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

uintptr_t tci_exec(TCGContext *s, void *env, const void *code)
{
    /* On the stack: helpers may long-jump out of the interpreter. */
    TciRun run, *r = &run;
    const uint8_t *base, *pc;
    uintptr_t ret;

    r->env = env;
    r->s = s;
enter:
    if (code == s->code_gen_epilogue) {
        ret = 0;
        goto done;
    }
    r->hdr = code;
    g_assert(r->hdr->magic == TCI_MAGIC);
    r->consts = (const uint64_t *)((const uint8_t *)code + sizeof(TciHeader));
    base = (const uint8_t *)code + r->hdr->ops_off;
    pc = base;
    for (;;) {
        const TciOp *op = (const TciOp *)pc;
        const uint64_t *a = (const uint64_t *)(pc + sizeof(TciOp));
        TCGOpcode opc = op->opc;
        bool is64 = op->is64;
        const uint8_t *next = pc + op->size;

        switch (opc) {
        /* The most frequent ops first, without the generic fold call. */
        case INDEX_op_mov_i32:
            wr_t(r, a[0], rd_t(r, a[1], false), false);
            break;
        case INDEX_op_mov_i64:
            wr_t(r, a[0], rd(r, a[1]), true);
            break;
        case INDEX_op_add_i32: case INDEX_op_add_i64:
            wr_t(r, a[0], rd_t(r, a[1], is64) + rd_t(r, a[2], is64), is64);
            break;
        case INDEX_op_sub_i32: case INDEX_op_sub_i64:
            wr_t(r, a[0], rd_t(r, a[1], is64) - rd_t(r, a[2], is64), is64);
            break;
        case INDEX_op_and_i32: case INDEX_op_and_i64:
            wr_t(r, a[0], rd_t(r, a[1], is64) & rd_t(r, a[2], is64), is64);
            break;
        case INDEX_op_or_i32: case INDEX_op_or_i64:
            wr_t(r, a[0], rd_t(r, a[1], is64) | rd_t(r, a[2], is64), is64);
            break;
        case INDEX_op_xor_i32: case INDEX_op_xor_i64:
            wr_t(r, a[0], rd_t(r, a[1], is64) ^ rd_t(r, a[2], is64), is64);
            break;
        case INDEX_op_shl_i64:
            wr_t(r, a[0], rd(r, a[1]) << (rd(r, a[2]) & 63), true);
            break;
        case INDEX_op_shr_i64:
            wr_t(r, a[0], rd(r, a[1]) >> (rd(r, a[2]) & 63), true);
            break;
        case INDEX_op_br:
            next = base + a[0];
            break;
        case INDEX_op_brcond_i32:
        case INDEX_op_brcond_i64:
            if (tcg_eval_cond(a[2], rd_t(r, a[0], is64), rd_t(r, a[1], is64), is64)) {
                next = base + a[3];
            }
            break;
        case INDEX_op_exit_tb:
            ret = a[0];
            goto done;
        case INDEX_op_goto_tb: {
            const uint8_t *t = (const uint8_t *)(uintptr_t)
                __atomic_load_n(&a[0], __ATOMIC_ACQUIRE);
            if (t != next) {
                code = t;
                goto enter;
            }
            break;
        }
        case INDEX_op_goto_ptr:
            code = (const void *)(uintptr_t)rd(r, a[0]);
            goto enter;
        case INDEX_op_movcond_i32:
        case INDEX_op_movcond_i64: {
            bool c = tcg_eval_cond(a[5], rd_t(r, a[1], is64), rd_t(r, a[2], is64), is64);
            wr_t(r, a[0], rd_t(r, a[c ? 3 : 4], is64), is64);
            break;
        }
        case INDEX_op_ld8u_i32: case INDEX_op_ld8u_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_UB), is64);
            break;
        case INDEX_op_ld8s_i32: case INDEX_op_ld8s_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_SB), is64);
            break;
        case INDEX_op_ld16u_i32: case INDEX_op_ld16u_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_UW), is64);
            break;
        case INDEX_op_ld16s_i32: case INDEX_op_ld16s_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_SW), is64);
            break;
        case INDEX_op_ld_i32: case INDEX_op_ld32u_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_UL), is64);
            break;
        case INDEX_op_ld32s_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_SL), is64);
            break;
        case INDEX_op_ld_i64:
            wr_t(r, a[0], load_host(r->env + a[1], MO_UQ), is64);
            break;
        case INDEX_op_st8_i32: case INDEX_op_st8_i64:
            store_host(r->env + a[1], rd_t(r, a[0], is64), MO_8);
            break;
        case INDEX_op_st16_i32: case INDEX_op_st16_i64:
            store_host(r->env + a[1], rd_t(r, a[0], is64), MO_16);
            break;
        case INDEX_op_st_i32: case INDEX_op_st32_i64:
            store_host(r->env + a[1], rd_t(r, a[0], is64), MO_32);
            break;
        case INDEX_op_st_i64:
            store_host(r->env + a[1], rd_t(r, a[0], is64), MO_64);
            break;
        case INDEX_op_add2_i32: case INDEX_op_add2_i64:
        case INDEX_op_sub2_i32: case INDEX_op_sub2_i64: {
            uint64_t al = rd_t(r, a[2], is64), ah = rd_t(r, a[3], is64);
            uint64_t bl = rd_t(r, a[4], is64), bh = rd_t(r, a[5], is64);
            uint64_t lo, hi;
            if (is64) {
                unsigned __int128 x = ((unsigned __int128)ah << 64) | al;
                unsigned __int128 y = ((unsigned __int128)bh << 64) | bl;
                unsigned __int128 z = (opc == INDEX_op_add2_i64) ? x + y : x - y;
                lo = (uint64_t)z;
                hi = (uint64_t)(z >> 64);
            } else {
                uint64_t x = (ah << 32) | al, y = (bh << 32) | bl;
                uint64_t z = (opc == INDEX_op_add2_i32) ? x + y : x - y;
                lo = (uint32_t)z;
                hi = z >> 32;
            }
            wr_t(r, a[0], lo, is64);
            wr_t(r, a[1], hi, is64);
            break;
        }
        case INDEX_op_mulu2_i32: case INDEX_op_muls2_i32: {
            uint64_t x = rd_t(r, a[2], false), y = rd_t(r, a[3], false);
            uint64_t z = opc == INDEX_op_mulu2_i32
                       ? x * y : (uint64_t)((int64_t)(int32_t)x * (int32_t)y);
            wr_t(r, a[0], (uint32_t)z, false);
            wr_t(r, a[1], z >> 32, false);
            break;
        }
        case INDEX_op_mulu2_i64: case INDEX_op_muls2_i64: {
            uint64_t x = rd(r, a[2]), y = rd(r, a[3]);
            unsigned __int128 z = opc == INDEX_op_mulu2_i64
                ? (unsigned __int128)x * y
                : (unsigned __int128)((__int128)(int64_t)x * (int64_t)y);
            wr_t(r, a[0], (uint64_t)z, true);
            wr_t(r, a[1], (uint64_t)(z >> 64), true);
            break;
        }
        case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64: {
            uint64_t addr = rd(r, a[1]);
            MemOpIdx oi = a[2];
            void *h = tlb_probe(r, addr, oi, false);
            uint64_t v = h ? load_host(h, get_memop(oi))
                           : s->tlb.load(env, addr, oi, (uintptr_t)pc + 1);
            wr_t(r, a[0], v, is64);
            break;
        }
        case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st_i64: {
            uint64_t v = rd_t(r, a[0], is64), addr = rd(r, a[1]);
            MemOpIdx oi = a[2];
            void *h = tlb_probe(r, addr, oi, true);
            if (h) {
                store_host(h, v, get_memop(oi));
            } else {
                s->tlb.store(env, addr, v, oi, (uintptr_t)pc + 1);
            }
            break;
        }
        case INDEX_op_call: {
            const TCGHelperInfo *info = (const TCGHelperInfo *)(uintptr_t)a[op->nargs - 1];
            uint64_t x[TCG_MAX_HELPER_ARGS] = { 0 };
            int no = op->nb_oargs;
            uint64_t v;
            /*
             * All helper arguments are integers or pointers passed in
             * registers (SysV), so one six-argument prototype calls any of them.
             */
            uint64_t (*fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t) =
                (uint64_t (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
                              uint64_t))info->func;
            s->tci_retaddr = (uintptr_t)pc + 1;
            for (int i = 0; i < info->nb_args; i++) {
                x[i] = rd_t(r, a[no + i], info->args[i] != TCG_CALL_I32);
            }
            v = fn(x[0], x[1], x[2], x[3], x[4], x[5]);
            if (no) {
                wr_t(r, a[0], v, info->ret != TCG_CALL_I32);
            }
            break;
        }
        case INDEX_op_movi_i32: case INDEX_op_movi_i64:
            wr_t(r, a[0], a[1], is64);
            break;
        case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
            wr_t(r, a[0], tcg_eval_cond(a[3], rd_t(r, a[1], is64), rd_t(r, a[2], is64),
                                        is64), is64);
            break;
        case INDEX_op_deposit_i32: case INDEX_op_deposit_i64:
            wr_t(r, a[0], tcg_fold_op(opc, rd_t(r, a[1], is64), rd_t(r, a[2], is64),
                                      a[3], a[4]), is64);
            break;
        case INDEX_op_extract_i32: case INDEX_op_extract_i64:
        case INDEX_op_sextract_i32: case INDEX_op_sextract_i64:
            wr_t(r, a[0], tcg_fold_op(opc, rd_t(r, a[1], is64), 0, a[2], a[3]), is64);
            break;
        case INDEX_op_extrl_i64_i32: case INDEX_op_extrh_i64_i32:
            wr_t(r, a[0], tcg_fold_op(opc, rd(r, a[1]), 0, 0, 0), false);
            break;
        case INDEX_op_ext_i32_i64: case INDEX_op_extu_i32_i64:
            wr_t(r, a[0], tcg_fold_op(opc, rd_t(r, a[1], false), 0, 0, 0), true);
            break;
        default:
            if (op->nb_oargs == 1 && op->nargs == 2) {
                wr_t(r, a[0], tcg_fold_op(opc, rd_t(r, a[1], is64), 0, 0, 0), is64);
            } else if (op->nb_oargs == 1 && op->nargs == 3) {
                wr_t(r, a[0], tcg_fold_op(opc, rd_t(r, a[1], is64), rd_t(r, a[2], is64),
                                          0, 0), is64);
            } else {
                g_error("tci: unhandled op %s", tcg_op_defs[opc].name);
            }
            break;
        }
        pc = next;
    }
done:
    return ret;
}
