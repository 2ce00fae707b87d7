/*
 * tcg.c: IR context, temps, labels, the tcg_gen_*() builders, the op dumper,
 * verifier and liveness pass. Target- and host-independent (see tcg.h and
 * docs/tcg.md); code generation is in tcg/x86_64/ and tcg/interp/.
 */
#include "tcg/tcg.h"
#include "tcg/tcg-internal.h"

const TCGOpDef tcg_op_defs[NB_TCG_OPS] = {
#define DEF(n, o, i, c, f) [INDEX_op_##n] = { #n, o, i, c, f },
#include "tcg/tcg-opc.def"
#undef DEF
};

/* ---- Conditions ----------------------------------------------------------- */

TCGCond tcg_invert_cond(TCGCond c)
{
    static const uint8_t inv[TCG_COND_COUNT] = {
        [TCG_COND_NEVER] = TCG_COND_ALWAYS, [TCG_COND_ALWAYS] = TCG_COND_NEVER,
        [TCG_COND_EQ] = TCG_COND_NE, [TCG_COND_NE] = TCG_COND_EQ,
        [TCG_COND_LT] = TCG_COND_GE, [TCG_COND_GE] = TCG_COND_LT,
        [TCG_COND_LE] = TCG_COND_GT, [TCG_COND_GT] = TCG_COND_LE,
        [TCG_COND_LTU] = TCG_COND_GEU, [TCG_COND_GEU] = TCG_COND_LTU,
        [TCG_COND_LEU] = TCG_COND_GTU, [TCG_COND_GTU] = TCG_COND_LEU,
    };
    return inv[c];
}

TCGCond tcg_swap_cond(TCGCond c)
{
    static const uint8_t sw[TCG_COND_COUNT] = {
        [TCG_COND_NEVER] = TCG_COND_NEVER, [TCG_COND_ALWAYS] = TCG_COND_ALWAYS,
        [TCG_COND_EQ] = TCG_COND_EQ, [TCG_COND_NE] = TCG_COND_NE,
        [TCG_COND_LT] = TCG_COND_GT, [TCG_COND_GT] = TCG_COND_LT,
        [TCG_COND_LE] = TCG_COND_GE, [TCG_COND_GE] = TCG_COND_LE,
        [TCG_COND_LTU] = TCG_COND_GTU, [TCG_COND_GTU] = TCG_COND_LTU,
        [TCG_COND_LEU] = TCG_COND_GEU, [TCG_COND_GEU] = TCG_COND_LEU,
    };
    return sw[c];
}

bool tcg_eval_cond(TCGCond c, uint64_t a, uint64_t b, bool is64)
{
    int64_t sa, sb;

    if (!is64) {
        a = (uint32_t)a;
        b = (uint32_t)b;
        sa = (int32_t)a;
        sb = (int32_t)b;
    } else {
        sa = (int64_t)a;
        sb = (int64_t)b;
    }
    switch (c) {
    case TCG_COND_NEVER: return false;
    case TCG_COND_ALWAYS: return true;
    case TCG_COND_EQ: return a == b;
    case TCG_COND_NE: return a != b;
    case TCG_COND_LT: return sa < sb;
    case TCG_COND_GE: return sa >= sb;
    case TCG_COND_LE: return sa <= sb;
    case TCG_COND_GT: return sa > sb;
    case TCG_COND_LTU: return a < b;
    case TCG_COND_GEU: return a >= b;
    case TCG_COND_LEU: return a <= b;
    case TCG_COND_GTU: return a > b;
    default: return false;
    }
}

/* ---- Context ---------------------------------------------------------------- */

static int temp_alloc_slot(TCGContext *s)
{
    if (s->nb_temps == s->temps_cap) {
        s->temps_cap = s->temps_cap ? s->temps_cap * 2 : 256;
        s->temps = g_renew(TCGTemp, s->temps, s->temps_cap);
    }
    memset(&s->temps[s->nb_temps], 0, sizeof(TCGTemp));
    return s->nb_temps++;
}

TCGContext *tcg_context_new(TCGBackendKind backend, size_t buf_size, Error **errp)
{
    TCGContext *s = g_new0(TCGContext, 1);
    TCGTemp *t;

    s->backend = backend;
    s->optimize = true;
    s->env_temp = temp_alloc_slot(s);
    t = &s->temps[s->env_temp];
    t->kind = TEMP_FIXED;
    t->type = TCG_TYPE_I64;
    t->name = "env";
    s->nb_globals = s->nb_temps;
    for (int i = 0; i < 2; i++) {
        s->const_table[i] = g_hash_table_new(g_int64_hash, g_int64_equal);
    }
    s->ldst_labels = g_array_new(false, true, sizeof(TCGLdstLabel));
    if (backend == TCG_BACKEND_NATIVE && !tcg_native_available()) {
        error_setg(errp, "the native x86-64 emitter needs a host CPU with POPCNT, "
                   "LZCNT and BMI1 (use backend=interp)");
        tcg_context_free(s);
        return NULL;
    }
    if (!tcg_codebuf_init(&s->buf, buf_size, errp)) {
        tcg_context_free(s);
        return NULL;
    }
    if (backend == TCG_BACKEND_NATIVE) {
        tcg_x86_emit_prologue(s);
    } else {
        tci_init(s);
    }
    tcg_func_start(s);
    return s;
}

static void free_const_keys(gpointer key, gpointer value, gpointer opaque)
{
    g_free(key);
}

void tcg_context_free(TCGContext *s)
{
    if (!s) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (s->const_table[i]) {
            g_hash_table_foreach(s->const_table[i], free_const_keys, NULL);
            g_hash_table_destroy(s->const_table[i]);
        }
    }
    for (int i = 0; i < s->nb_labels; i++) {
        if (s->labels[i]->relocs) {
            g_array_free(s->labels[i]->relocs, true);
        }
        g_free(s->labels[i]);
    }
    g_free(s->labels);
    g_array_free(s->ldst_labels, true);
    tcg_codebuf_destroy(&s->buf);
    g_free(s->temps);
    g_free(s->ops);
    g_free(s->insns);
    g_free(s->be);
    g_free(s);
}

void tcg_code_flush(TCGContext *s)
{
    s->buf.used = s->buf.base;
}

size_t tcg_code_free(TCGContext *s)
{
    return s->buf.size - s->buf.used;
}

void tcg_func_start(TCGContext *s)
{
    /* Constants are block temps too: forget the interned ones. */
    for (int i = 0; i < 2; i++) {
        g_hash_table_foreach(s->const_table[i], free_const_keys, NULL);
        g_hash_table_remove_all(s->const_table[i]);
    }
    s->nb_temps = s->nb_globals;
    s->nb_ops = 0;
    for (int i = 0; i < s->nb_labels; i++) {
        if (s->labels[i]->relocs) {
            g_array_free(s->labels[i]->relocs, true);
        }
        g_free(s->labels[i]);
    }
    s->nb_labels = 0;
    s->nb_insns = 0;
    s->goto_tb_used[0] = s->goto_tb_used[1] = false;
}

/* ---- Temps ------------------------------------------------------------------ */

static int global_new(TCGContext *s, TCGType type, intptr_t offset, const char *name)
{
    int idx;
    TCGTemp *t;

    /* Globals must precede block temps: only legal before the first block op. */
    g_assert(s->nb_temps == s->nb_globals && s->nb_ops == 0);
    idx = temp_alloc_slot(s);
    t = &s->temps[idx];
    t->kind = TEMP_GLOBAL;
    t->type = type;
    t->mem_offset = offset;
    t->mem_allocated = true;
    t->name = name;
    s->nb_globals = s->nb_temps;
    return idx;
}

TCGv_i32 tcg_global_mem_new_i32(TCGContext *s, intptr_t offset, const char *name)
{
    return temp_tcgv_i32(global_new(s, TCG_TYPE_I32, offset, name));
}

TCGv_i64 tcg_global_mem_new_i64(TCGContext *s, intptr_t offset, const char *name)
{
    return temp_tcgv_i64(global_new(s, TCG_TYPE_I64, offset, name));
}

TCGv_ptr tcg_env(TCGContext *s)
{
    return (TCGv_ptr){ s->env_temp };
}

static int temp_new(TCGContext *s, TCGType type, TCGTempKind kind)
{
    int idx = temp_alloc_slot(s);
    TCGTemp *t = &s->temps[idx];

    t->kind = kind;
    t->type = type;
    t->allocated = true;
    return idx;
}

TCGv_i32 tcg_temp_new_i32(TCGContext *s)
{
    return temp_tcgv_i32(temp_new(s, TCG_TYPE_I32, TEMP_NORMAL));
}

TCGv_i64 tcg_temp_new_i64(TCGContext *s)
{
    return temp_tcgv_i64(temp_new(s, TCG_TYPE_I64, TEMP_NORMAL));
}

TCGv_i32 tcg_temp_local_new_i32(TCGContext *s)
{
    return temp_tcgv_i32(temp_new(s, TCG_TYPE_I32, TEMP_LOCAL));
}

TCGv_i64 tcg_temp_local_new_i64(TCGContext *s)
{
    return temp_tcgv_i64(temp_new(s, TCG_TYPE_I64, TEMP_LOCAL));
}

TCGv_ptr tcg_temp_new_ptr(TCGContext *s)
{
    return (TCGv_ptr){ temp_new(s, TCG_TYPE_I64, TEMP_NORMAL) };
}

/*
 * Temps are cheap (a slot each, reset per block), so freeing only marks them;
 * the liveness pass is what actually recycles registers.
 */
void tcg_temp_free_i32(TCGContext *s, TCGv_i32 t)
{
    s->temps[t.idx].allocated = false;
}

void tcg_temp_free_i64(TCGContext *s, TCGv_i64 t)
{
    s->temps[t.idx].allocated = false;
}

int tcg_constant_internal(TCGContext *s, TCGType type, int64_t val)
{
    GHashTable *h = s->const_table[type];
    gpointer v;
    int64_t *key;
    int idx;
    TCGTemp *t;

    if (type == TCG_TYPE_I32) {
        val = (uint32_t)val;
    }
    v = g_hash_table_lookup(h, &val);
    if (v) {
        return GPOINTER_TO_INT(v) - 1;
    }
    idx = temp_alloc_slot(s);
    t = &s->temps[idx];
    t->kind = TEMP_CONST;
    t->type = type;
    t->val = val;
    t->val_type = TEMP_VAL_CONST;
    key = g_new(int64_t, 1);
    *key = val;
    g_hash_table_insert(h, key, GINT_TO_POINTER(idx + 1));
    return idx;
}

TCGv_i32 tcg_constant_i32(TCGContext *s, int32_t val)
{
    return temp_tcgv_i32(tcg_constant_internal(s, TCG_TYPE_I32, val));
}

TCGv_i64 tcg_constant_i64(TCGContext *s, int64_t val)
{
    return temp_tcgv_i64(tcg_constant_internal(s, TCG_TYPE_I64, val));
}

/* ---- Labels ----------------------------------------------------------------- */

TCGLabel *gen_new_label(TCGContext *s)
{
    TCGLabel *l = g_new0(TCGLabel, 1);

    if (s->nb_labels == s->labels_cap) {
        s->labels_cap = s->labels_cap ? s->labels_cap * 2 : 32;
        s->labels = g_renew(TCGLabel *, s->labels, s->labels_cap);
    }
    l->id = s->nb_labels;
    s->labels[s->nb_labels++] = l;
    return l;
}

void gen_set_label(TCGContext *s, TCGLabel *l)
{
    TCGArg a = l->id;
    tcg_emit_op(s, INDEX_op_set_label, 1, &a);
}

/* ---- Ops -------------------------------------------------------------------- */

TCGOp *tcg_emit_op(TCGContext *s, TCGOpcode opc, int nargs, const TCGArg *args)
{
    const TCGOpDef *def = &tcg_op_defs[opc];
    TCGOp *op;

    g_assert(nargs <= TCG_MAX_OP_ARGS);
    if (s->nb_ops == s->ops_cap) {
        s->ops_cap = s->ops_cap ? s->ops_cap * 2 : 512;
        s->ops = g_renew(TCGOp, s->ops, s->ops_cap);
    }
    op = &s->ops[s->nb_ops++];
    memset(op, 0, sizeof(*op));
    op->opc = opc;
    op->nb_oargs = def->nb_oargs;
    op->nb_iargs = def->nb_iargs;
    op->nb_cargs = def->nb_cargs;
    if (opc != INDEX_op_call) {
        g_assert(nargs == def->nb_oargs + def->nb_iargs + def->nb_cargs);
    }
    memcpy(op->args, args, nargs * sizeof(TCGArg));
    return op;
}

void tcg_op_remove(TCGContext *s, TCGOp *op)
{
    op->opc = INDEX_op_nop;
    op->nb_oargs = op->nb_iargs = op->nb_cargs = 0;
    op->life = 0;
}

void tcg_ops_compact(TCGContext *s)
{
    int j = 0;

    for (int i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc != INDEX_op_nop) {
            if (i != j) {
                s->ops[j] = s->ops[i];
            }
            j++;
        }
    }
    s->nb_ops = j;
}

static inline void emit1(TCGContext *s, TCGOpcode opc, TCGArg a0)
{
    tcg_emit_op(s, opc, 1, &a0);
}

static inline void emit2(TCGContext *s, TCGOpcode opc, TCGArg a0, TCGArg a1)
{
    TCGArg a[2] = { a0, a1 };
    tcg_emit_op(s, opc, 2, a);
}

static inline void emit3(TCGContext *s, TCGOpcode opc, TCGArg a0, TCGArg a1, TCGArg a2)
{
    TCGArg a[3] = { a0, a1, a2 };
    tcg_emit_op(s, opc, 3, a);
}

static inline void emit4(TCGContext *s, TCGOpcode opc, TCGArg a0, TCGArg a1, TCGArg a2,
                         TCGArg a3)
{
    TCGArg a[4] = { a0, a1, a2, a3 };
    tcg_emit_op(s, opc, 4, a);
}

static inline void emit5(TCGContext *s, TCGOpcode opc, TCGArg a0, TCGArg a1, TCGArg a2,
                         TCGArg a3, TCGArg a4)
{
    TCGArg a[5] = { a0, a1, a2, a3, a4 };
    tcg_emit_op(s, opc, 5, a);
}

static inline void emit6(TCGContext *s, TCGOpcode opc, TCGArg a0, TCGArg a1, TCGArg a2,
                         TCGArg a3, TCGArg a4, TCGArg a5)
{
    TCGArg a[6] = { a0, a1, a2, a3, a4, a5 };
    tcg_emit_op(s, opc, 6, a);
}

/* ---- Builders --------------------------------------------------------------- */

/*
 * The 32- and 64-bit builders are identical but for the handle type and op
 * index; one macro per shape keeps them from drifting apart.
 */
#define GEN_BINOP(name, W, T)                                                  \
    void tcg_gen_##name##_##W(TCGContext *s, T r, T a, T b)                    \
    {                                                                          \
        emit3(s, INDEX_op_##name##_##W, r.idx, a.idx, b.idx);                   \
    }
#define GEN_UNOP(name, W, T)                                                   \
    void tcg_gen_##name##_##W(TCGContext *s, T r, T a)                         \
    {                                                                          \
        emit2(s, INDEX_op_##name##_##W, r.idx, a.idx);                          \
    }
#define GEN_LD(name, W, T)                                                     \
    void tcg_gen_##name##_##W(TCGContext *s, T r, intptr_t ofs)                \
    {                                                                          \
        emit2(s, INDEX_op_##name##_##W, r.idx, (TCGArg)ofs);                    \
    }
#define GEN_COMMON(W, T)                                                       \
    GEN_BINOP(add, W, T) GEN_BINOP(sub, W, T) GEN_BINOP(mul, W, T)             \
    GEN_BINOP(and, W, T) GEN_BINOP(or, W, T) GEN_BINOP(xor, W, T)              \
    GEN_BINOP(andc, W, T) GEN_BINOP(shl, W, T) GEN_BINOP(shr, W, T)            \
    GEN_BINOP(sar, W, T) GEN_BINOP(rotl, W, T) GEN_BINOP(rotr, W, T)           \
    GEN_UNOP(neg, W, T) GEN_UNOP(not, W, T) GEN_UNOP(ext8s, W, T)              \
    GEN_UNOP(ext8u, W, T) GEN_UNOP(ext16s, W, T) GEN_UNOP(ext16u, W, T)        \
    GEN_UNOP(bswap16, W, T) GEN_UNOP(bswap32, W, T) GEN_UNOP(ctpop, W, T)      \
    GEN_BINOP(clz, W, T) GEN_BINOP(ctz, W, T)                                  \
    GEN_LD(ld8u, W, T) GEN_LD(ld8s, W, T) GEN_LD(ld16u, W, T)                  \
    GEN_LD(ld16s, W, T) GEN_LD(st8, W, T) GEN_LD(st16, W, T)                   \
    void tcg_gen_mov_##W(TCGContext *s, T r, T a)                              \
    {                                                                          \
        if (r.idx != a.idx) {                                                  \
            emit2(s, INDEX_op_mov_##W, r.idx, a.idx);                           \
        }                                                                      \
    }                                                                          \
    void tcg_gen_setcond_##W(TCGContext *s, TCGCond c, T r, T a, T b)          \
    {                                                                          \
        emit4(s, INDEX_op_setcond_##W, r.idx, a.idx, b.idx, c);                 \
    }                                                                          \
    void tcg_gen_movcond_##W(TCGContext *s, TCGCond c, T r, T c1, T c2, T v1,  \
                             T v2)                                             \
    {                                                                          \
        emit6(s, INDEX_op_movcond_##W, r.idx, c1.idx, c2.idx, v1.idx, v2.idx,   \
              c);                                                              \
    }                                                                          \
    void tcg_gen_brcond_##W(TCGContext *s, TCGCond c, T a, T b, TCGLabel *l)   \
    {                                                                          \
        if (c == TCG_COND_ALWAYS) {                                            \
            tcg_gen_br(s, l);                                                  \
        } else if (c != TCG_COND_NEVER) {                                      \
            l->referenced = true;                                              \
            emit4(s, INDEX_op_brcond_##W, a.idx, b.idx, c, l->id);              \
        }                                                                      \
    }                                                                          \
    void tcg_gen_deposit_##W(TCGContext *s, T r, T a, T b, unsigned pos,       \
                             unsigned len)                                     \
    {                                                                          \
        emit5(s, INDEX_op_deposit_##W, r.idx, a.idx, b.idx, pos, len);         \
    }                                                                          \
    void tcg_gen_extract_##W(TCGContext *s, T r, T a, unsigned pos,            \
                             unsigned len)                                     \
    {                                                                          \
        emit4(s, INDEX_op_extract_##W, r.idx, a.idx, pos, len);                 \
    }                                                                          \
    void tcg_gen_sextract_##W(TCGContext *s, T r, T a, unsigned pos,           \
                              unsigned len)                                    \
    {                                                                          \
        emit4(s, INDEX_op_sextract_##W, r.idx, a.idx, pos, len);                \
    }                                                                          \
    void tcg_gen_add2_##W(TCGContext *s, T rl, T rh, T al, T ah, T bl, T bh)   \
    {                                                                          \
        emit6(s, INDEX_op_add2_##W, rl.idx, rh.idx, al.idx, ah.idx, bl.idx,     \
              bh.idx);                                                         \
    }                                                                          \
    void tcg_gen_sub2_##W(TCGContext *s, T rl, T rh, T al, T ah, T bl, T bh)   \
    {                                                                          \
        emit6(s, INDEX_op_sub2_##W, rl.idx, rh.idx, al.idx, ah.idx, bl.idx,     \
              bh.idx);                                                         \
    }                                                                          \
    void tcg_gen_mulu2_##W(TCGContext *s, T rl, T rh, T a, T b)                \
    {                                                                          \
        emit4(s, INDEX_op_mulu2_##W, rl.idx, rh.idx, a.idx, b.idx);             \
    }                                                                          \
    void tcg_gen_muls2_##W(TCGContext *s, T rl, T rh, T a, T b)                \
    {                                                                          \
        emit4(s, INDEX_op_muls2_##W, rl.idx, rh.idx, a.idx, b.idx);             \
    }                                                                          \
    void tcg_gen_qemu_ld_##W(TCGContext *s, T r, TCGv_i64 addr, MemOp mo,      \
                             unsigned mmu_idx)                                 \
    {                                                                          \
        emit3(s, INDEX_op_qemu_ld_##W, r.idx, addr.idx,                         \
              make_memop_idx(mo, mmu_idx));                                    \
    }                                                                          \
    void tcg_gen_qemu_st_##W(TCGContext *s, T v, TCGv_i64 addr, MemOp mo,      \
                             unsigned mmu_idx)                                 \
    {                                                                          \
        emit3(s, INDEX_op_qemu_st_##W, v.idx, addr.idx,                         \
              make_memop_idx(mo, mmu_idx));                                    \
    }                                                                          \
    void tcg_gen_discard_##W(TCGContext *s, T t)                               \
    {                                                                          \
        emit1(s, INDEX_op_discard, t.idx);                                     \
    }

GEN_COMMON(i32, TCGv_i32)
GEN_COMMON(i64, TCGv_i64)
GEN_LD(ld, i32, TCGv_i32)
GEN_LD(st, i32, TCGv_i32)
GEN_LD(ld32u, i64, TCGv_i64)
GEN_LD(ld32s, i64, TCGv_i64)
GEN_LD(ld, i64, TCGv_i64)
GEN_LD(st32, i64, TCGv_i64)
GEN_LD(st, i64, TCGv_i64)
GEN_UNOP(ext32s, i64, TCGv_i64)
GEN_UNOP(ext32u, i64, TCGv_i64)
GEN_UNOP(bswap64, i64, TCGv_i64)

void tcg_gen_ext_i32_i64(TCGContext *s, TCGv_i64 r, TCGv_i32 a)
{
    emit2(s, INDEX_op_ext_i32_i64, r.idx, a.idx);
}

void tcg_gen_extu_i32_i64(TCGContext *s, TCGv_i64 r, TCGv_i32 a)
{
    emit2(s, INDEX_op_extu_i32_i64, r.idx, a.idx);
}

void tcg_gen_extrl_i64_i32(TCGContext *s, TCGv_i32 r, TCGv_i64 a)
{
    emit2(s, INDEX_op_extrl_i64_i32, r.idx, a.idx);
}

void tcg_gen_extrh_i64_i32(TCGContext *s, TCGv_i32 r, TCGv_i64 a)
{
    emit2(s, INDEX_op_extrh_i64_i32, r.idx, a.idx);
}

void tcg_gen_movi_i32(TCGContext *s, TCGv_i32 r, int32_t val)
{
    emit2(s, INDEX_op_movi_i32, r.idx, (uint32_t)val);
}

void tcg_gen_movi_i64(TCGContext *s, TCGv_i64 r, int64_t val)
{
    emit2(s, INDEX_op_movi_i64, r.idx, (uint64_t)val);
}

void tcg_gen_addi_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b)
{
    tcg_gen_add_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_andi_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b)
{
    tcg_gen_and_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_shli_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b)
{
    g_assert(b >= 0 && b < 32);
    tcg_gen_shl_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_shri_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b)
{
    g_assert(b >= 0 && b < 32);
    tcg_gen_shr_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_sari_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b)
{
    g_assert(b >= 0 && b < 32);
    tcg_gen_sar_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_addi_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b)
{
    tcg_gen_add_i64(s, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_andi_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b)
{
    tcg_gen_and_i64(s, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_shli_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b)
{
    g_assert(b >= 0 && b < 64);
    tcg_gen_shl_i64(s, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_shri_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b)
{
    g_assert(b >= 0 && b < 64);
    tcg_gen_shr_i64(s, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_sari_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b)
{
    g_assert(b >= 0 && b < 64);
    tcg_gen_sar_i64(s, r, a, tcg_constant_i64(s, b));
}

#define GEN_IMM(name, W, T, IT, op)                                             \
    void tcg_gen_##name##_##W(TCGContext *s, T r, T a, IT b)                   \
    {                                                                          \
        tcg_gen_##op##_##W(s, r, a, tcg_constant_##W(s, b));                   \
    }
GEN_IMM(subi, i32, TCGv_i32, int32_t, sub)
GEN_IMM(ori, i32, TCGv_i32, int32_t, or)
GEN_IMM(xori, i32, TCGv_i32, int32_t, xor)
GEN_IMM(muli, i32, TCGv_i32, int32_t, mul)
GEN_IMM(subi, i64, TCGv_i64, int64_t, sub)
GEN_IMM(ori, i64, TCGv_i64, int64_t, or)
GEN_IMM(xori, i64, TCGv_i64, int64_t, xor)
GEN_IMM(muli, i64, TCGv_i64, int64_t, mul)

void tcg_gen_rotli_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b)
{
    g_assert(b >= 0 && b < 32);
    tcg_gen_rotl_i32(s, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_rotli_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b)
{
    g_assert(b >= 0 && b < 64);
    tcg_gen_rotl_i64(s, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_setcondi_i32(TCGContext *s, TCGCond c, TCGv_i32 r, TCGv_i32 a, int32_t b)
{
    tcg_gen_setcond_i32(s, c, r, a, tcg_constant_i32(s, b));
}

void tcg_gen_setcondi_i64(TCGContext *s, TCGCond c, TCGv_i64 r, TCGv_i64 a, int64_t b)
{
    tcg_gen_setcond_i64(s, c, r, a, tcg_constant_i64(s, b));
}

void tcg_gen_brcondi_i32(TCGContext *s, TCGCond c, TCGv_i32 a, int32_t b, TCGLabel *l)
{
    tcg_gen_brcond_i32(s, c, a, tcg_constant_i32(s, b), l);
}

void tcg_gen_brcondi_i64(TCGContext *s, TCGCond c, TCGv_i64 a, int64_t b, TCGLabel *l)
{
    tcg_gen_brcond_i64(s, c, a, tcg_constant_i64(s, b), l);
}

void tcg_gen_br(TCGContext *s, TCGLabel *l)
{
    l->referenced = true;
    emit1(s, INDEX_op_br, l->id);
}

void tcg_gen_insn_start(TCGContext *s, uint64_t pc, uint64_t w1, uint64_t w2)
{
    TCGArg a[TCG_INSN_START_WORDS] = { pc, w1, w2 };
    tcg_emit_op(s, INDEX_op_insn_start, TCG_INSN_START_WORDS, a);
}

void tcg_gen_goto_tb(TCGContext *s, unsigned n)
{
    g_assert(n < 2 && !s->goto_tb_used[n]);
    s->goto_tb_used[n] = true;
    emit1(s, INDEX_op_goto_tb, n);
}

void tcg_gen_exit_tb(TCGContext *s, uintptr_t val)
{
    emit1(s, INDEX_op_exit_tb, val);
}

void tcg_gen_goto_ptr(TCGContext *s, TCGv_ptr dest)
{
    emit1(s, INDEX_op_goto_ptr, dest.idx);
}

void tcg_gen_call(TCGContext *s, const TCGHelperInfo *info, int ret, int nargs,
                  const int *args)
{
    TCGArg a[TCG_MAX_OP_ARGS];
    int n = 0;
    TCGOp *op;

    g_assert(nargs == info->nb_args && nargs <= TCG_MAX_HELPER_ARGS);
    g_assert((ret >= 0) == (info->ret != TCG_CALL_VOID));
    if (ret >= 0) {
        a[n++] = ret;
    }
    for (int i = 0; i < nargs; i++) {
        a[n++] = args[i];
    }
    a[n++] = (uintptr_t)info;
    op = tcg_emit_op(s, INDEX_op_call, n, a);
    op->nb_oargs = ret >= 0;
    op->nb_iargs = nargs;
    op->nb_cargs = 1;
}

/* ---- Dump ---------------------------------------------------------------------- */

static const char *const cond_names[TCG_COND_COUNT] = {
    "never", "always", "eq", "ne", "lt", "ge", "le", "gt", "ltu", "geu", "leu", "gtu",
};

const char *tcg_cond_name(TCGCond c)
{
    return c < TCG_COND_COUNT ? cond_names[c] : "?";
}

void tcg_temp_name(TCGContext *s, int idx, char *buf, size_t len)
{
    TCGTemp *t;

    if (idx < 0 || idx >= s->nb_temps) {
        snprintf(buf, len, "<bad %d>", idx);
        return;
    }
    t = &s->temps[idx];
    switch (t->kind) {
    case TEMP_GLOBAL:
    case TEMP_FIXED:
        snprintf(buf, len, "%s", t->name ? t->name : "g?");
        break;
    case TEMP_CONST:
        if (t->type == TCG_TYPE_I32) {
            snprintf(buf, len, "$0x%" PRIx32, (uint32_t)t->val);
        } else {
            snprintf(buf, len, "$0x%" PRIx64, t->val);
        }
        break;
    case TEMP_LOCAL:
        snprintf(buf, len, "loc%d", idx - s->nb_globals);
        break;
    default:
        snprintf(buf, len, "tmp%d", idx - s->nb_globals);
        break;
    }
}

void tcg_dump_op(TCGContext *s, const TCGOp *op, FILE *f)
{
    const TCGOpDef *def = &tcg_op_defs[op->opc];
    char buf[64];
    int k = 0, nt = op->nb_oargs + op->nb_iargs;

    if (op->opc == INDEX_op_insn_start) {
        fprintf(f, " ---- %016" PRIx64 " %" PRIx64 " %" PRIx64 "\n", op->args[0],
                op->args[1], op->args[2]);
        return;
    }
    if (op->opc == INDEX_op_set_label) {
        fprintf(f, "L%d:\n", (int)op->args[0]);
        return;
    }
    if (op->opc == INDEX_op_call) {
        const TCGHelperInfo *info = (const TCGHelperInfo *)(uintptr_t)op->args[nt];
        fprintf(f, " call %s", info->name);
        for (int i = 0; i < nt; i++) {
            tcg_temp_name(s, op->args[i], buf, sizeof(buf));
            fprintf(f, "%s%s", i == op->nb_oargs ? ", " : (i ? "," : " "), buf);
        }
        fprintf(f, "\n");
        return;
    }
    fprintf(f, " %s", def->name);
    for (int i = 0; i < nt; i++) {
        tcg_temp_name(s, op->args[i], buf, sizeof(buf));
        fprintf(f, "%s%s", k++ ? "," : " ", buf);
    }
    switch (op->opc) {
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64:
        fprintf(f, ",%s", tcg_cond_name(op->args[nt]));
        break;
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
        fprintf(f, ",%s,L%d", tcg_cond_name(op->args[nt]), (int)op->args[nt + 1]);
        break;
    case INDEX_op_br:
        fprintf(f, " L%d", (int)op->args[0]);
        break;
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st_i64: {
        MemOpIdx oi = op->args[nt];
        fprintf(f, ",%s%d,mmu%u", (get_memop(oi) & MO_SIGN) ? "s" : "u",
                8 << (get_memop(oi) & MO_SIZE), get_mmuidx(oi));
        break;
    }
    default:
        for (int i = 0; i < op->nb_cargs; i++) {
            fprintf(f, "%s$0x%" PRIx64, k++ ? "," : " ", op->args[nt + i]);
        }
        break;
    }
    fprintf(f, "\n");
}

void tcg_dump_ops(TCGContext *s, FILE *f)
{
    for (int i = 0; i < s->nb_ops; i++) {
        tcg_dump_op(s, &s->ops[i], f);
    }
}

/* ---- Verify ---------------------------------------------------------------------- */

/* Expected type of each temp argument of each op (outputs then inputs). */
static TCGType arg_type(const TCGOp *op, int i)
{
    bool is64 = tcg_op_defs[op->opc].flags & TCG_OPF_64BIT;

    switch (op->opc) {
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
        return i == 1 ? TCG_TYPE_I64 : (is64 ? TCG_TYPE_I64 : TCG_TYPE_I32);
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st_i64:
        return i == 1 ? TCG_TYPE_I64 : (is64 ? TCG_TYPE_I64 : TCG_TYPE_I32);
    case INDEX_op_ext_i32_i64: case INDEX_op_extu_i32_i64:
        return i == 0 ? TCG_TYPE_I64 : TCG_TYPE_I32;
    case INDEX_op_extrl_i64_i32: case INDEX_op_extrh_i64_i32:
        return i == 0 ? TCG_TYPE_I32 : TCG_TYPE_I64;
    default:
        return is64 ? TCG_TYPE_I64 : TCG_TYPE_I32;
    }
}

bool tcg_verify(TCGContext *s, Error **errp)
{
    g_autofree uint8_t *set = g_malloc0(s->nb_labels + 1);
    g_autofree uint8_t *used = g_malloc0(s->nb_labels + 1);

    for (int i = 0; i < s->nb_ops; i++) {
        const TCGOp *op = &s->ops[i];
        TCGArg l = s->nb_labels;
        if (op->opc == INDEX_op_set_label) {
            l = op->args[0];
            if (l < (TCGArg)s->nb_labels && set[l]++) {
                error_setg(errp, "op %d: label L%d set twice", i, (int)l);
                return false;
            }
        } else if (op->opc == INDEX_op_br) {
            l = op->args[0];
        } else if (op->opc == INDEX_op_brcond_i32 || op->opc == INDEX_op_brcond_i64) {
            l = op->args[3];
        }
        if (l < (TCGArg)s->nb_labels && op->opc != INDEX_op_set_label) {
            used[l] = 1;
        }
    }
    for (int l = 0; l < s->nb_labels; l++) {
        if (used[l] && !set[l]) {
            error_setg(errp, "label L%d is jumped to but never set", l);
            return false;
        }
    }
    for (int i = 0; i < s->nb_ops; i++) {
        const TCGOp *op = &s->ops[i];
        int nt = op->nb_oargs + op->nb_iargs;

        for (int k = 0; k < nt; k++) {
            TCGArg a = op->args[k];
            TCGTemp *t;
            if (a >= (TCGArg)s->nb_temps) {
                error_setg(errp, "op %d (%s): arg %d is not a temp", i,
                           tcg_op_defs[op->opc].name, k);
                return false;
            }
            t = &s->temps[a];
            if (k < op->nb_oargs && (t->kind == TEMP_CONST || t->kind == TEMP_FIXED)) {
                error_setg(errp, "op %d (%s): writes a constant", i,
                           tcg_op_defs[op->opc].name);
                return false;
            }
            if (op->opc != INDEX_op_call && op->opc != INDEX_op_discard &&
                t->type != arg_type(op, k)) {
                error_setg(errp, "op %d (%s): arg %d has the wrong type", i,
                           tcg_op_defs[op->opc].name, k);
                return false;
            }
        }
        if (op->opc == INDEX_op_br || op->opc == INDEX_op_set_label ||
            op->opc == INDEX_op_brcond_i32 || op->opc == INDEX_op_brcond_i64) {
            TCGArg l = op->args[op->opc == INDEX_op_br || op->opc == INDEX_op_set_label
                                ? 0 : 3];
            if (l >= (TCGArg)s->nb_labels) {
                error_setg(errp, "op %d: bad label", i);
                return false;
            }
        }
        if ((op->opc == INDEX_op_extract_i32 || op->opc == INDEX_op_sextract_i32 ||
             op->opc == INDEX_op_deposit_i32 || op->opc == INDEX_op_extract_i64 ||
             op->opc == INDEX_op_sextract_i64 || op->opc == INDEX_op_deposit_i64)) {
            unsigned bits = tcg_op_defs[op->opc].flags & TCG_OPF_64BIT ? 64 : 32;
            TCGArg pos = op->args[nt], len = op->args[nt + 1];
            if (len == 0 || len > bits || pos >= bits || pos + len > bits) {
                error_setg(errp, "op %d: bad field %u:%u", i, (unsigned)pos,
                           (unsigned)len);
                return false;
            }
        }
    }
    return true;
}

/* ---- Liveness ------------------------------------------------------------------ */

/*
 * Backward pass. A temp is "dead" at a point if no later op reads it before
 * it is written again. Sync points (BB end, calls that read globals or may
 * raise, guest memory ops that may fault) make every global live, since the
 * CPU state must be exact there. Ops without side effects whose outputs are
 * all dead are removed here: this is the dead code elimination.
 */
enum { LIVE_REG = 0, LIVE_DEAD = 1, LIVE_MEM = 2 };

void tcg_liveness(TCGContext *s)
{
    int nt = s->nb_temps;
    /* Per temp: LIVE_REG (a later op reads it), LIVE_DEAD, or LIVE_MEM (a
     * global only a later sync point or the block end needs, in memory). */
    uint8_t *state = g_malloc(nt);

    /* After the last op only the CPU state (globals) matters. */
    for (int i = 0; i < nt; i++) {
        TCGTemp *t = &s->temps[i];
        state[i] = t->kind == TEMP_GLOBAL ? LIVE_MEM : LIVE_DEAD;
    }
    for (int oi = s->nb_ops - 1; oi >= 0; oi--) {
        TCGOp *op = &s->ops[oi];
        const TCGOpDef *def = &tcg_op_defs[op->opc];
        int no = op->nb_oargs, ni = op->nb_iargs;
        bool side = def->flags & (TCG_OPF_SIDE_EFFECTS | TCG_OPF_BB_END);
        uint32_t life = 0;

        if (op->opc == INDEX_op_nop || op->opc == INDEX_op_insn_start) {
            continue;
        }
        if (op->opc == INDEX_op_discard) {
            state[op->args[0]] = LIVE_DEAD;
            tcg_op_remove(s, op);
            continue;
        }
        if (op->opc == INDEX_op_call) {
            const TCGHelperInfo *info =
                (const TCGHelperInfo *)(uintptr_t)op->args[no + ni];
            side = !(info->flags & TCG_CALL_NO_SIDE_EFFECTS) ||
                   (info->flags & TCG_CALL_MAY_RAISE);
        }
        if (def->flags & TCG_OPF_BB_END) {
            /* Past an exit nothing but the CPU state (globals) survives. At
             * a branch or label the backends write globals back to memory
             * and reload them after, so memory is all they need there too. */
            bool leaves = op->opc == INDEX_op_exit_tb || op->opc == INDEX_op_goto_ptr;
            for (int i = 0; i < nt; i++) {
                TCGTemp *t = &s->temps[i];
                if (t->kind == TEMP_GLOBAL) {
                    state[i] = LIVE_MEM;
                } else {
                    state[i] = t->kind == TEMP_LOCAL && !leaves ? LIVE_REG : LIVE_DEAD;
                }
            }
        }
        if (!side) {
            bool all_dead = true;
            for (int i = 0; i < no; i++) {
                if (state[op->args[i]] != LIVE_DEAD) {
                    all_dead = false;
                }
            }
            if (all_dead) {
                tcg_op_remove(s, op);
                continue;
            }
        }
        for (int i = 0; i < no; i++) {
            if (state[op->args[i]] == LIVE_DEAD) {
                life |= DEAD_ARG(i);
            } else if (state[op->args[i]] == LIVE_MEM) {
                life |= SYNC_ARG(i);
            }
            state[op->args[i]] = LIVE_DEAD;
        }
        /* Sync points: globals must be in memory here. */
        {
            bool sync = (def->flags & TCG_OPF_GUEST_MEM) != 0;
            if (op->opc == INDEX_op_call) {
                const TCGHelperInfo *info =
                    (const TCGHelperInfo *)(uintptr_t)op->args[no + ni];
                unsigned f = info->flags;
                sync = !((f & TCG_CALL_NO_READ_GLOBALS) && (f & TCG_CALL_NO_WRITE_GLOBALS))
                       || (f & TCG_CALL_MAY_RAISE);
            }
            if (sync) {
                for (int i = 0; i < s->nb_globals; i++) {
                    if (s->temps[i].kind == TEMP_GLOBAL && state[i] == LIVE_DEAD) {
                        state[i] = LIVE_MEM;
                    }
                }
            }
        }
        /* An input is dead only if nothing needs it after, not even memory. */
        for (int i = no; i < no + ni; i++) {
            TCGArg a = op->args[i];
            if (state[a] == LIVE_DEAD) {
                life |= DEAD_ARG(i);
            }
        }
        for (int i = no; i < no + ni; i++) {
            state[op->args[i]] = LIVE_REG;
        }
        op->life = life;
    }
    g_free(state);
    tcg_ops_compact(s);
}

/* ---- Code generation entry ------------------------------------------------------ */

int tcg_gen_code(TCGContext *s)
{
    int ret;

    if (unlikely(s->log_op)) {
        fprintf(s->log_op, "OP:\n");
        tcg_dump_ops(s, s->log_op);
        fprintf(s->log_op, "\n");
    }
    if (s->pre_opt_hook) {
        s->pre_opt_hook(s, s->pre_opt_opaque);
    }
    if (s->optimize) {
        tcg_optimize(s);
    }
    tcg_liveness(s);
    /*
     * The optimizer drops a goto_tb that became unreachable (a branch folded
     * to always/never taken). goto_tb_used[] was set when the op was emitted,
     * so recompute it from the ops that remain, and clear the offsets: a
     * backend must not set up, and the caller must not chain, a slot that is
     * not in this block (its offsets would be left over from an earlier one).
     */
    s->goto_tb_used[0] = s->goto_tb_used[1] = false;
    for (int i = 0; i < s->nb_ops; i++) {
        if (s->ops[i].opc == INDEX_op_goto_tb) {
            s->goto_tb_used[s->ops[i].args[0]] = true;
        }
    }
    for (int n = 0; n < 2; n++) {
        s->jmp_insn_offset[n] = s->jmp_reset_offset[n] = 0;
    }
    if (unlikely(s->log_op_opt)) {
        fprintf(s->log_op_opt, "OP after optimization and liveness analysis:\n");
        tcg_dump_ops(s, s->log_op_opt);
        fprintf(s->log_op_opt, "\n");
    }
    s->nb_insns = 0;
    if (s->backend == TCG_BACKEND_NATIVE) {
        ret = tcg_x86_gen_code(s);
        if (unlikely(s->log_out_asm) && ret >= 0) {
            fprintf(s->log_out_asm, "OUT: [size=%d]\n", ret);
            tcg_disas_host(s->log_out_asm, s->gen_code_ptr, s->gen_code_size);
            fprintf(s->log_out_asm, "\n");
        }
    } else {
        ret = tci_gen_code(s);
        if (unlikely(s->log_out_asm) && ret >= 0) {
            fprintf(s->log_out_asm, "OUT: [interpreter bytecode, size=%d]\n\n", ret);
        }
    }
    return ret;
}

uintptr_t tcg_exec_code(TCGContext *s, void *env, const void *code)
{
    if (s->backend == TCG_BACKEND_NATIVE) {
        uintptr_t (*entry)(void *, const void *) =
            (uintptr_t (*)(void *, const void *))s->code_gen_prologue;
        return entry(env, code);
    }
    return tci_exec(s, env, code);
}

void tcg_set_jmp_target(TCGContext *s, const void *code, uint32_t jmp_insn_offset,
                        const void *target)
{
    if (s->backend == TCG_BACKEND_NATIVE) {
        tcg_x86_set_jmp_target(s, code, jmp_insn_offset, target);
    } else {
        tci_set_jmp_target(s, code, jmp_insn_offset, target);
    }
}

int tcg_search_insn(const TCGInsnRecord *insns, int nb_insns, const void *code,
                    uintptr_t host_pc)
{
    uintptr_t start = (uintptr_t)code;

    if (host_pc < start) {
        return -1;
    }
    for (int i = 0; i < nb_insns; i++) {
        /*
         * host_pc is a return address (or the address of the op), so it is
         * strictly greater than the start of the access and <= the insn end.
         */
        if (host_pc <= start + insns[i].end_off) {
            return i;
        }
    }
    return -1;
}

void tcg_record_insn_end(TCGContext *s, const uint64_t *data, uint32_t end_off)
{
    if (s->nb_insns == s->insns_cap) {
        s->insns_cap = s->insns_cap ? s->insns_cap * 2 : 64;
        s->insns = g_renew(TCGInsnRecord, s->insns, s->insns_cap);
    }
    s->insns[s->nb_insns].end_off = end_off;
    memcpy(s->insns[s->nb_insns].data, data, sizeof(uint64_t) * TCG_INSN_START_WORDS);
    s->nb_insns++;
}
