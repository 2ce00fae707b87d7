/*
 * test-tcg-directed.c: directed tests of the IR core and both backends:
 * W^X code buffer, block chaining (goto_tb) and indirect jumps (goto_ptr),
 * host-pc -> guest-insn recovery through the softmmu slow path, loops,
 * register pressure, frame/buffer exhaustion, the verifier, the optimizer
 * (folding, copy propagation, dead code, branch folding, by dumping the op
 * list) and Capstone checks of emitted encodings.
 */
#include "tcg/tcg.h"

typedef struct Env {
    uint32_t a32, b32;
    uint64_t a64, b64, c64;
    uint64_t ptr;
    uintptr_t last_ra;
    TCGContext *s;
    uint64_t many[64];
    uintptr_t tlb_mask;
    TCGTLBEntry *tlb_table;
    TCGTLBEntry tlb[4];
} Env;

static TCGContext *ctx_new(TCGBackendKind kind)
{
    Error *err = NULL;
    TCGContext *s = tcg_context_new(kind, 1 * MiB, &err);

    if (!s) {
        g_error("context: %s", err->msg);
    }
    return s;
}

static char *dump_ops(TCGContext *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    tcg_dump_ops(s, f);
    fclose(f);
    return buf;
}

static char *disas(const void *code, size_t size)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int n = tcg_disas_host(f, code, size);

    fclose(f);
    g_assert_cmpint(n, >, 0);
    return buf;
}

static bool native_ok(void)
{
    if (!tcg_native_available()) {
        g_test_skip("host CPU lacks POPCNT/LZCNT/TZCNT: no native emitter");
        return false;
    }
    return true;
}

/* ---- Code buffer ------------------------------------------------------------ */

static void test_codebuf_wx(void)
{
    TCGContext *s;
    char line[512];
    FILE *maps;
    bool found_rx = false, found_rw = false;

    if (!native_ok()) {
        return;
    }
    s = ctx_new(TCG_BACKEND_NATIVE);
    g_assert_true(s->buf.dual);
    g_assert_true((const void *)s->buf.rw != (const void *)s->buf.rx);
    /* Written through one view, visible through the other. */
    s->buf.rw[s->buf.size - 1] = 0xa5;
    g_assert_cmpint(s->buf.rx[s->buf.size - 1], ==, 0xa5);
    /* Neither view is writable and executable at once. */
    maps = fopen("/proc/self/maps", "r");
    g_assert_nonnull(maps);
    while (fgets(line, sizeof(line), maps)) {
        uintptr_t lo, hi;
        char perms[8];
        if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &lo, &hi, perms) != 3) {
            continue;
        }
        if ((uintptr_t)s->buf.rx >= lo && (uintptr_t)s->buf.rx < hi) {
            g_assert_cmpint(perms[1], ==, '-');
            g_assert_cmpint(perms[2], ==, 'x');
            found_rx = true;
        }
        if ((uintptr_t)s->buf.rw >= lo && (uintptr_t)s->buf.rw < hi) {
            g_assert_cmpint(perms[1], ==, 'w');
            g_assert_cmpint(perms[2], ==, '-');
            found_rw = true;
        }
    }
    fclose(maps);
    g_assert_true(found_rx && found_rw);
    /* And code generated through rw runs from rx. */
    tcg_func_start(s);
    tcg_gen_exit_tb(s, 0x1234);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    g_assert_cmpuint(tcg_exec_code(s, NULL, s->gen_code_ptr), ==, 0x1234);
    tcg_context_free(s);
}

static void test_context_errors(void)
{
    Error *err = NULL;
    TCGContext *s = tcg_context_new(TCG_BACKEND_INTERP, (size_t)4 << 30, &err);

    g_assert_null(s);
    g_assert_nonnull(err);
    g_assert_nonnull(strstr(err->msg, "code buffer size"));
    error_free(err);
}

/* ---- Chaining and indirect jumps ---------------------------------------------- */

static void chain_test(TCGBackendKind kind)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    const void *A, *B;
    uint32_t a_jmp, a_reset;
    Env env = { 0 };

    /* Block A: a64 += 1; goto_tb 0; exit_tb 1 */
    tcg_func_start(s);
    tcg_gen_addi_i64(s, a64, a64, 1);
    tcg_gen_goto_tb(s, 0);
    tcg_gen_exit_tb(s, 1);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    A = s->gen_code_ptr;
    a_jmp = s->jmp_insn_offset[0];
    a_reset = s->jmp_reset_offset[0];
    if (kind == TCG_BACKEND_NATIVE) {
        /* Patchable rel32 after an E9, 4-byte aligned, initially 0. */
        const uint8_t *p = (const uint8_t *)A + a_jmp;
        g_assert_cmpint(((uintptr_t)p) & 3, ==, 0);
        g_assert_cmpint(p[-1], ==, 0xe9);
        g_assert_cmpint(ldl_le(p), ==, 0);
        g_assert_cmpint(a_reset, ==, a_jmp + 4);
    }

    /* Block B: a64 *= 10; exit_tb 2 */
    tcg_func_start(s);
    tcg_gen_mul_i64(s, a64, a64, tcg_constant_i64(s, 10));
    tcg_gen_exit_tb(s, 2);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    B = s->gen_code_ptr;

    env.a64 = 4;
    g_assert_cmpuint(tcg_exec_code(s, &env, A), ==, 1);
    g_assert_cmpuint(env.a64, ==, 5);
    tcg_set_jmp_target(s, A, a_jmp, B);
    g_assert_cmpuint(tcg_exec_code(s, &env, A), ==, 2);
    g_assert_cmpuint(env.a64, ==, 60);
    /* Unchain: back to the exit path. */
    tcg_set_jmp_target(s, A, a_jmp, (const uint8_t *)A + a_reset);
    g_assert_cmpuint(tcg_exec_code(s, &env, A), ==, 1);
    g_assert_cmpuint(env.a64, ==, 61);

    /* Two exits (a conditional branch), each chained independently to B. */
    {
        TCGLabel *l;
        const void *C;
        uint32_t c_jmp[2], c_reset[2];

        tcg_func_start(s);
        l = gen_new_label(s);
        tcg_gen_brcondi_i64(s, TCG_COND_LTU, a64, 100, l);
        tcg_gen_goto_tb(s, 0);
        tcg_gen_exit_tb(s, 10);
        gen_set_label(s, l);
        tcg_gen_goto_tb(s, 1);
        tcg_gen_exit_tb(s, 11);
        g_assert_cmpint(tcg_gen_code(s), >, 0);
        C = s->gen_code_ptr;
        for (int n = 0; n < 2; n++) {
            c_jmp[n] = s->jmp_insn_offset[n];
            c_reset[n] = s->jmp_reset_offset[n];
        }
        env.a64 = 5;
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 11);
        env.a64 = 500;
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 10);
        tcg_set_jmp_target(s, C, c_jmp[1], B);
        env.a64 = 5;
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 2);
        g_assert_cmpuint(env.a64, ==, 50);
        env.a64 = 500;
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 10);   /* slot 0 unchained */
        tcg_set_jmp_target(s, C, c_jmp[0], B);
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 2);
        g_assert_cmpuint(env.a64, ==, 5000);
        tcg_set_jmp_target(s, C, c_jmp[1], (const uint8_t *)C + c_reset[1]);
        env.a64 = 5;
        g_assert_cmpuint(tcg_exec_code(s, &env, C), ==, 11);
    }
    tcg_context_free(s);
}

static void test_chain_native(void)
{
    if (native_ok()) {
        chain_test(TCG_BACKEND_NATIVE);
    }
}

static void test_chain_interp(void)
{
    chain_test(TCG_BACKEND_INTERP);
}

static uint64_t h_lookup(void *envp)
{
    Env *env = envp;
    return env->ptr;
}

static const TCGHelperInfo hi_lookup = {
    h_lookup, "lookup", TCG_CALL_NO_WRITE_GLOBALS | TCG_CALL_NO_SIDE_EFFECTS,
    TCG_CALL_PTR, 1, { TCG_CALL_PTR } };

static void goto_ptr_test(TCGBackendKind kind)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 b64 = tcg_global_mem_new_i64(s, offsetof(Env, b64), "b64");
    const void *A, *B;
    Env env = { 0 };
    TCGv_ptr p;
    int args[1];

    tcg_func_start(s);
    tcg_gen_movi_i64(s, b64, 77);
    tcg_gen_exit_tb(s, 5);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    B = s->gen_code_ptr;

    /* A: b64 = 1; p = lookup(env); goto_ptr p */
    tcg_func_start(s);
    tcg_gen_movi_i64(s, b64, 1);
    p = tcg_temp_new_ptr(s);
    args[0] = tcg_env(s).idx;
    tcg_gen_call(s, &hi_lookup, p.idx, 1, args);
    tcg_gen_goto_ptr(s, p);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    A = s->gen_code_ptr;

    env.ptr = (uintptr_t)s->code_gen_epilogue;
    g_assert_cmpuint(tcg_exec_code(s, &env, A), ==, 0);
    g_assert_cmpuint(env.b64, ==, 1);
    env.ptr = (uintptr_t)B;
    g_assert_cmpuint(tcg_exec_code(s, &env, A), ==, 5);
    g_assert_cmpuint(env.b64, ==, 77);
    tcg_context_free(s);
}

static void test_goto_ptr_native(void)
{
    if (native_ok()) {
        goto_ptr_test(TCG_BACKEND_NATIVE);
    }
}

static void test_goto_ptr_interp(void)
{
    goto_ptr_test(TCG_BACKEND_INTERP);
}

/* a64 = a64 * b64 + k for k = 1..n: ops that depend on run-time values only. */
static void gen_mul_add_chain(TCGContext *s, TCGv_i64 a64, TCGv_i64 b64, int n)
{
    for (int k = 1; k <= n; k++) {
        tcg_gen_mul_i64(s, a64, a64, b64);
        tcg_gen_addi_i64(s, a64, a64, k);
    }
}

static uint64_t mul_add_chain(uint64_t a, uint64_t b, int n)
{
    for (int k = 1; k <= n; k++) {
        a = a * b + k;
    }
    return a;
}

/*
 * A goto_tb the optimizer drops as unreachable (its branch folded to always
 * taken) must leave no trace: goto_tb_used[] cleared, so nothing chains it,
 * and no stale slot offset from the previous block used to set up the new
 * one. The interpreter used to write its "unchained" pointer through block
 * A's offset into block B, overwriting one of B's ops (the cpubench guest
 * crashed under backend=interp this way).
 */
static void dropped_goto_tb_test(TCGBackendKind kind)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    TCGv_i64 b64 = tcg_global_mem_new_i64(s, offsetof(Env, b64), "b64");
    const void *A, *B;
    uint32_t b_jmp1;
    TCGLabel *l;
    Env env = { 0 };
    uint64_t want;

    /* Block A: its goto_tb 0 sits well inside the block (a large offset). */
    tcg_func_start(s);
    gen_mul_add_chain(s, a64, b64, 8);
    tcg_gen_goto_tb(s, 0);
    tcg_gen_exit_tb(s, 1);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    A = s->gen_code_ptr;
    g_assert_true(s->goto_tb_used[0]);
    g_assert_false(s->goto_tb_used[1]);
    g_assert_cmpuint(s->jmp_insn_offset[0], >, 64);

    /* Block B: 7 == 7 always branches, so goto_tb 0 / exit_tb 10 are dead. */
    tcg_func_start(s);
    l = gen_new_label(s);
    tcg_gen_brcond_i64(s, TCG_COND_EQ, tcg_constant_i64(s, 7), tcg_constant_i64(s, 7), l);
    tcg_gen_goto_tb(s, 0);
    tcg_gen_exit_tb(s, 10);
    gen_set_label(s, l);
    gen_mul_add_chain(s, a64, b64, 24);
    tcg_gen_goto_tb(s, 1);
    tcg_gen_exit_tb(s, 11);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    B = s->gen_code_ptr;
    g_assert_false(s->goto_tb_used[0]);
    g_assert_true(s->goto_tb_used[1]);
    b_jmp1 = s->jmp_insn_offset[1];

    env.a64 = 3;
    env.b64 = 5;
    want = mul_add_chain(3, 5, 24);
    g_assert_cmpuint(tcg_exec_code(s, &env, B), ==, 11);
    g_assert_cmpuint(env.a64, ==, want);
    /* The surviving slot still chains: B then A. */
    tcg_set_jmp_target(s, B, b_jmp1, A);
    want = mul_add_chain(mul_add_chain(want, 5, 24), 5, 8);
    g_assert_cmpuint(tcg_exec_code(s, &env, B), ==, 1);
    g_assert_cmpuint(env.a64, ==, want);
    tcg_context_free(s);
}

static void test_dropped_goto_tb_native(void)
{
    if (native_ok()) {
        dropped_goto_tb_test(TCG_BACKEND_NATIVE);
    }
}

static void test_dropped_goto_tb_interp(void)
{
    dropped_goto_tb_test(TCG_BACKEND_INTERP);
}

/* ---- Precise state: host return address -> guest instruction -------------------- */

static uint64_t ra_load(void *envp, uint64_t addr, MemOpIdx oi, uintptr_t ra)
{
    Env *env = envp;
    env->last_ra = ra;
    return addr * 2;
}

static void ra_store(void *envp, uint64_t addr, uint64_t val, MemOpIdx oi, uintptr_t ra)
{
    Env *env = envp;
    env->last_ra = ra;
    env->c64 = val;
}

static void h_where(void *envp)
{
    Env *env = envp;
    env->last_ra = tcg_helper_retaddr(env->s, (uintptr_t)__builtin_return_address(0));
}

static const TCGHelperInfo hi_where = {
    h_where, "where", TCG_CALL_MAY_RAISE, TCG_CALL_VOID, 1, { TCG_CALL_PTR } };

static void insn_search_test(TCGBackendKind kind, bool fast_path)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    TCGv_i64 b64 = tcg_global_mem_new_i64(s, offsetof(Env, b64), "b64");
    uintptr_t ra[3];
    Env env = { 0 };
    const void *code;

    s->tlb = (TCGTLBDesc){ .fast_path = fast_path, .page_bits = 12, .nb_mmu_modes = 1,
                           .mask_ofs = { offsetof(Env, tlb_mask) },
                           .table_ofs = { offsetof(Env, tlb_table) },
                           .load = ra_load, .store = ra_store };
    env.tlb_mask = 3 << TCG_TLB_ENTRY_BITS;
    env.tlb_table = env.tlb;
    for (int i = 0; i < 4; i++) {
        env.tlb[i] = (TCGTLBEntry){ ~0ULL, ~0ULL, ~0ULL, 0 };   /* all miss */
    }
    tcg_func_start(s);
    tcg_gen_insn_start(s, 0x100, 1, 0);
    tcg_gen_qemu_ld_i64(s, a64, a64, MO_UQ, 0);
    tcg_gen_insn_start(s, 0x104, 2, 0);
    tcg_gen_addi_i64(s, b64, b64, 3);
    tcg_gen_insn_start(s, 0x108, 3, 0);
    tcg_gen_qemu_st_i64(s, b64, a64, MO_UL, 0);
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    code = s->gen_code_ptr;
    g_assert_cmpint(s->nb_insns, ==, 3);
    g_assert_cmpuint(s->insns[0].data[0], ==, 0x100);
    g_assert_cmpuint(s->insns[2].data[1], ==, 3);

    env.a64 = 0x50;
    env.b64 = 7;
    tcg_exec_code(s, &env, code);
    g_assert_cmpuint(env.a64, ==, 0xa0);
    g_assert_cmpuint(env.b64, ==, 10);
    g_assert_cmpuint(env.c64, ==, 10);
    ra[2] = env.last_ra;
    g_assert_cmpint(tcg_search_insn(s->insns, s->nb_insns, code, ra[2]), ==, 2);
    /* Rerun only the load to check its return address maps to insn 0. */
    tcg_func_start(s);
    tcg_gen_insn_start(s, 0x200, 0, 0);
    tcg_gen_movi_i64(s, b64, 1);
    tcg_gen_insn_start(s, 0x204, 0, 0);
    tcg_gen_qemu_ld_i64(s, a64, a64, MO_UQ, 0);
    tcg_gen_insn_start(s, 0x208, 0, 0);
    tcg_gen_movi_i64(s, b64, 2);
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    tcg_exec_code(s, &env, s->gen_code_ptr);
    ra[1] = env.last_ra;
    g_assert_cmpint(tcg_search_insn(s->insns, s->nb_insns, s->gen_code_ptr, ra[1]), ==, 1);
    g_assert_cmpint(tcg_search_insn(s->insns, s->nb_insns, s->gen_code_ptr,
                                    (uintptr_t)s->gen_code_ptr - 1), ==, -1);

    /* A helper finds its own guest instruction too. */
    tcg_func_start(s);
    for (int k = 0; k < 4; k++) {
        int args[1] = { tcg_env(s).idx };
        tcg_gen_insn_start(s, 0x300 + k, 0, 0);
        tcg_gen_addi_i64(s, b64, b64, k);
        if (k == 2) {
            tcg_gen_call(s, &hi_where, -1, 1, args);
        }
    }
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    env.s = s;
    tcg_exec_code(s, &env, s->gen_code_ptr);
    g_assert_cmpint(tcg_search_insn(s->insns, s->nb_insns, s->gen_code_ptr,
                                    env.last_ra), ==, 2);
    tcg_context_free(s);
}

static void test_insn_search_native(void)
{
    if (native_ok()) {
        insn_search_test(TCG_BACKEND_NATIVE, true);
        insn_search_test(TCG_BACKEND_NATIVE, false);
    }
}

static void test_insn_search_interp(void)
{
    insn_search_test(TCG_BACKEND_INTERP, true);
    insn_search_test(TCG_BACKEND_INTERP, false);
}

/* ---- Loops, register pressure, limits ------------------------------------------ */

static void loop_test(TCGBackendKind kind)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    TCGv_i32 a32 = tcg_global_mem_new_i32(s, offsetof(Env, a32), "a32");
    TCGv_i64 i;
    TCGLabel *top;
    Env env = { 0 };

    /* for (i = 100; i != 0; i--) { a64 += i; a32++; } : a backward branch */
    tcg_func_start(s);
    i = tcg_temp_local_new_i64(s);
    tcg_gen_movi_i64(s, i, 100);
    top = gen_new_label(s);
    gen_set_label(s, top);
    tcg_gen_add_i64(s, a64, a64, i);
    tcg_gen_addi_i32(s, a32, a32, 1);
    tcg_gen_addi_i64(s, i, i, -1);
    tcg_gen_brcondi_i64(s, TCG_COND_NE, i, 0, top);
    tcg_gen_exit_tb(s, 9);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    g_assert_cmpuint(tcg_exec_code(s, &env, s->gen_code_ptr), ==, 9);
    g_assert_cmpuint(env.a64, ==, 5050);
    g_assert_cmpuint(env.a32, ==, 100);
    tcg_context_free(s);
}

static void test_loop_native(void)
{
    if (native_ok()) {
        loop_test(TCG_BACKEND_NATIVE);
    }
}

static void test_loop_interp(void)
{
    loop_test(TCG_BACKEND_INTERP);
}

/* 64 values live at once: more than the 12 allocatable registers. */
static void pressure_test(TCGBackendKind kind)
{
    TCGContext *s = ctx_new(kind);
    TCGv_i64 many[64], t[64];
    TCGv_i64 sum = tcg_global_mem_new_i64(s, offsetof(Env, c64), "sum");
    Env env = { 0 };
    uint64_t expect = 0;

    for (int k = 0; k < 64; k++) {
        many[k] = tcg_global_mem_new_i64(s, offsetof(Env, many[k]), "m");
        env.many[k] = (k + 1) * 0x10001ULL;
    }
    tcg_func_start(s);
    for (int k = 0; k < 64; k++) {
        t[k] = tcg_temp_new_i64(s);
        tcg_gen_mul_i64(s, t[k], many[k], tcg_constant_i64(s, k + 3));
    }
    tcg_gen_movi_i64(s, sum, 0);
    for (int k = 63; k >= 0; k--) {
        tcg_gen_xor_i64(s, many[k], many[k], t[(k + 7) & 63]);
        tcg_gen_add_i64(s, sum, sum, t[k]);
    }
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    tcg_exec_code(s, &env, s->gen_code_ptr);
    for (int k = 0; k < 64; k++) {
        uint64_t tk = (k + 1) * 0x10001ULL * (k + 3);
        uint64_t t7 = (((k + 7) & 63) + 1) * 0x10001ULL * (((k + 7) & 63) + 3);
        expect += tk;
        g_assert_cmpuint(env.many[k], ==, ((k + 1) * 0x10001ULL) ^ t7);
    }
    g_assert_cmpuint(env.c64, ==, expect);
    tcg_context_free(s);
}

static void test_pressure_native(void)
{
    if (native_ok()) {
        pressure_test(TCG_BACKEND_NATIVE);
    }
}

static void test_pressure_interp(void)
{
    pressure_test(TCG_BACKEND_INTERP);
}

static void test_frame_overflow(void)
{
    TCGContext *s;
    TCGv_i64 a64;
    TCGv_i64 *t;
    int n = 1100;

    if (!native_ok()) {
        return;
    }
    s = ctx_new(TCG_BACKEND_NATIVE);
    a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    t = g_new(TCGv_i64, n);
    tcg_func_start(s);
    /* More simultaneously live values than spill slots: must fail cleanly. */
    for (int k = 0; k < n; k++) {
        t[k] = tcg_temp_new_i64(s);
        tcg_gen_addi_i64(s, t[k], a64, k);
    }
    for (int k = 0; k < n; k++) {
        tcg_gen_add_i64(s, a64, a64, t[k]);
    }
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), ==, -1);
    /* The context stays usable. */
    tcg_func_start(s);
    tcg_gen_exit_tb(s, 3);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    g_assert_cmpuint(tcg_exec_code(s, NULL, s->gen_code_ptr), ==, 3);
    g_free(t);
    tcg_context_free(s);
}

/* One block boundary writing back more values than the buffer has room for. */
static void test_native_buffer_full(void)
{
    Error *err = NULL;
    TCGContext *s;
    TCGLabel *l;
    int n = 1000;

    if (!native_ok()) {
        return;
    }
    s = tcg_context_new(TCG_BACKEND_NATIVE, 8 * KiB, &err);   /* rounds to 64 KiB */
    g_assert_nonnull(s);
    /* Fill the buffer until about 12 KiB remain. */
    while (tcg_code_free(s) > 12 * KiB) {
        tcg_func_start(s);
        tcg_gen_goto_tb(s, 0);
        tcg_gen_exit_tb(s, 0);
        g_assert_cmpint(tcg_gen_code(s), >, 0);
    }
    tcg_func_start(s);
    s->optimize = false;
    l = gen_new_label(s);
    for (int k = 0; k < n; k++) {
        TCGv_i64 t = tcg_temp_local_new_i64(s);
        /* Wide constants: each write-back is a movabs and a store (~18 bytes). */
        tcg_gen_movi_i64(s, t, 0x123456789abcdefULL * (k + 1));
    }
    tcg_gen_br(s, l);
    gen_set_label(s, l);
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), ==, -1);
    /* The emitter never wrote past the end of the buffer. */
    g_assert_true(s->code_ptr <= s->buf.rw + s->buf.size);
    tcg_code_flush(s);
    tcg_func_start(s);
    tcg_gen_exit_tb(s, 4);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    g_assert_cmpuint(tcg_exec_code(s, NULL, s->gen_code_ptr), ==, 4);
    tcg_context_free(s);
}

static void test_buffer_full(void)
{
    TCGContext *s = ctx_new(TCG_BACKEND_INTERP);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    int blocks = 0;

    for (;;) {
        tcg_func_start(s);
        for (int k = 0; k < 200; k++) {
            tcg_gen_addi_i64(s, a64, a64, k);
        }
        tcg_gen_exit_tb(s, 0);
        if (tcg_gen_code(s) < 0) {
            break;
        }
        blocks++;
        g_assert_cmpint(blocks, <, 100000);
    }
    g_assert_cmpint(blocks, >, 10);
    tcg_code_flush(s);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    tcg_context_free(s);
}

/* ---- Verifier -------------------------------------------------------------------- */

static void test_verify(void)
{
    TCGContext *s = ctx_new(TCG_BACKEND_INTERP);
    TCGv_i64 a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    TCGv_i32 a32 = tcg_global_mem_new_i32(s, offsetof(Env, a32), "a32");
    TCGArg args[3];
    Error *err = NULL;

    tcg_func_start(s);
    tcg_gen_add_i64(s, a64, a64, a64);
    tcg_gen_exit_tb(s, 0);
    g_assert_true(tcg_verify(s, &err));

    /* add_i64 with an i32 operand (only reachable through the raw API). */
    tcg_func_start(s);
    args[0] = a64.idx;
    args[1] = a64.idx;
    args[2] = a32.idx;
    tcg_emit_op(s, INDEX_op_add_i64, 3, args);
    g_assert_false(tcg_verify(s, &err));
    g_assert_nonnull(strstr(err->msg, "wrong type"));
    error_free(err);
    err = NULL;

    /* Writing a constant. */
    tcg_func_start(s);
    tcg_gen_mov_i32(s, tcg_constant_i32(s, 4), a32);
    g_assert_false(tcg_verify(s, &err));
    error_free(err);
    err = NULL;

    /* Extract field beyond the width. */
    tcg_func_start(s);
    tcg_gen_extract_i32(s, a32, a32, 20, 20);
    g_assert_false(tcg_verify(s, &err));
    g_assert_nonnull(strstr(err->msg, "bad field"));
    error_free(err);
    err = NULL;

    /* A branch to a label that is never placed. */
    tcg_func_start(s);
    tcg_gen_brcondi_i32(s, TCG_COND_EQ, a32, 0, gen_new_label(s));
    tcg_gen_exit_tb(s, 0);
    g_assert_false(tcg_verify(s, &err));
    g_assert_nonnull(strstr(err->msg, "never set"));
    error_free(err);
    err = NULL;
    tcg_context_free(s);
}

/* ---- Optimizer ------------------------------------------------------------------- */

typedef struct OptFix {
    TCGContext *s;
    TCGv_i32 a32, b32;
    TCGv_i64 a64, b64, c64;
} OptFix;

static void opt_setup(OptFix *f)
{
    f->s = ctx_new(TCG_BACKEND_INTERP);
    f->a32 = tcg_global_mem_new_i32(f->s, offsetof(Env, a32), "a32");
    f->b32 = tcg_global_mem_new_i32(f->s, offsetof(Env, b32), "b32");
    f->a64 = tcg_global_mem_new_i64(f->s, offsetof(Env, a64), "a64");
    f->b64 = tcg_global_mem_new_i64(f->s, offsetof(Env, b64), "b64");
    f->c64 = tcg_global_mem_new_i64(f->s, offsetof(Env, c64), "c64");
    tcg_func_start(f->s);
}

static char *opt_run(OptFix *f)
{
    tcg_optimize(f->s);
    tcg_liveness(f->s);
    return dump_ops(f->s);
}

static void test_opt_fold(void)
{
    OptFix f;
    TCGv_i32 t;
    TCGv_i64 u;
    char *d;

    opt_setup(&f);
    t = tcg_temp_new_i32(f.s);
    tcg_gen_movi_i32(f.s, t, 5);
    tcg_gen_addi_i32(f.s, t, t, 3);
    tcg_gen_shli_i32(f.s, t, t, 4);
    tcg_gen_mov_i32(f.s, f.a32, t);                 /* a32 = (5 + 3) << 4 = 0x80 */
    u = tcg_temp_new_i64(f.s);
    tcg_gen_movi_i64(f.s, u, -1);
    tcg_gen_ctpop_i64(f.s, u, u);
    tcg_gen_bswap64_i64(f.s, f.a64, u);             /* bswap64(64) */
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    g_assert_nonnull(strstr(d, " movi_i32 a32,$0x80\n"));
    g_assert_nonnull(strstr(d, " movi_i64 a64,$0x4000000000000000\n"));
    g_assert_null(strstr(d, "add_i32"));
    g_assert_null(strstr(d, "shl_i32"));
    g_assert_null(strstr(d, "ctpop"));
    free(d);
    tcg_context_free(f.s);

    /* Double-width ops fold into two movi. */
    opt_setup(&f);
    tcg_gen_mulu2_i64(f.s, f.a64, f.b64, tcg_constant_i64(f.s, -1),
                      tcg_constant_i64(f.s, 4));
    tcg_gen_add2_i32(f.s, f.a32, f.b32, tcg_constant_i32(f.s, -1),
                     tcg_constant_i32(f.s, 1), tcg_constant_i32(f.s, 1),
                     tcg_constant_i32(f.s, 2));
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    g_assert_nonnull(strstr(d, " movi_i64 a64,$0xfffffffffffffffc\n"
                               " movi_i64 b64,$0x3\n"));
    g_assert_nonnull(strstr(d, " movi_i32 a32,$0x0\n movi_i32 b32,$0x4\n"));
    free(d);
    tcg_context_free(f.s);
}

static void test_opt_copy_prop(void)
{
    OptFix f;
    TCGv_i64 t;
    char *d;

    opt_setup(&f);
    t = tcg_temp_new_i64(f.s);
    tcg_gen_mov_i64(f.s, t, f.a64);
    tcg_gen_add_i64(f.s, f.b64, t, f.c64);          /* reads a64 directly */
    tcg_gen_mov_i64(f.s, f.a64, f.c64);             /* a64 changes: t is no copy now */
    tcg_gen_sub_i64(f.s, f.c64, t, f.b64);          /* must keep using t */
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    g_assert_nonnull(strstr(d, " add_i64 b64,a64,c64\n"));
    g_assert_nonnull(strstr(d, " sub_i64 c64,tmp0,b64\n"));
    free(d);
    tcg_context_free(f.s);
}

static void test_opt_simplify(void)
{
    OptFix f;
    char *d;

    opt_setup(&f);
    tcg_gen_add_i64(f.s, f.a64, f.a64, tcg_constant_i64(f.s, 0));  /* nop */
    tcg_gen_and_i32(f.s, f.a32, f.b32, tcg_constant_i32(f.s, 0));  /* = 0 */
    tcg_gen_xor_i64(f.s, f.b64, f.c64, f.c64);                     /* = 0 */
    tcg_gen_mul_i64(f.s, f.c64, f.a64, tcg_constant_i64(f.s, 1));  /* mov (nop) */
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    g_assert_null(strstr(d, "add_i64"));
    g_assert_nonnull(strstr(d, " movi_i32 a32,$0x0\n"));
    g_assert_nonnull(strstr(d, " movi_i64 b64,$0x0\n"));
    g_assert_nonnull(strstr(d, " mov_i64 c64,a64\n"));
    g_assert_null(strstr(d, "mul_i64"));
    free(d);
    tcg_context_free(f.s);
}

static void test_opt_dce(void)
{
    OptFix f;
    TCGv_i64 t, u;
    char *d;

    opt_setup(&f);
    t = tcg_temp_new_i64(f.s);
    u = tcg_temp_new_i64(f.s);
    tcg_gen_mul_i64(f.s, t, f.a64, f.b64);          /* never used */
    tcg_gen_add_i64(f.s, u, f.a64, f.b64);
    tcg_gen_mov_i64(f.s, f.c64, f.a64);             /* overwritten below: dead */
    tcg_gen_sub_i64(f.s, f.c64, u, f.b64);
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    g_assert_null(strstr(d, "mul_i64"));
    g_assert_null(strstr(d, "mov_i64 c64"));
    g_assert_nonnull(strstr(d, " add_i64 tmp1,a64,b64\n"));
    g_assert_nonnull(strstr(d, " sub_i64 c64,tmp1,b64\n"));
    free(d);
    tcg_context_free(f.s);
}

static void test_opt_branch(void)
{
    OptFix f;
    TCGLabel *l1, *l2;
    TCGv_i32 t;
    char *d;

    opt_setup(&f);
    t = tcg_temp_local_new_i32(f.s);
    l1 = gen_new_label(f.s);
    l2 = gen_new_label(f.s);
    tcg_gen_movi_i32(f.s, t, 7);
    /* Never taken: removed, and L1 (no other user) disappears. */
    tcg_gen_brcondi_i32(f.s, TCG_COND_GT, t, 9, l1);
    tcg_gen_movi_i32(f.s, f.a32, 1);
    gen_set_label(f.s, l1);
    /* t is still 7 (no label in between any more): always taken. */
    tcg_gen_brcondi_i32(f.s, TCG_COND_LTU, t, 8, l2);
    tcg_gen_movi_i32(f.s, f.b32, 2);                /* unreachable */
    gen_set_label(f.s, l2);
    tcg_gen_exit_tb(f.s, 0);
    d = opt_run(&f);
    if (g_test_verbose()) {
        printf("%s", d);
    }
    g_assert_null(strstr(d, "brcond"));
    g_assert_null(strstr(d, "L0:"));
    g_assert_null(strstr(d, "b32"));
    g_assert_nonnull(strstr(d, " movi_i32 a32,$0x1\n"));
    g_assert_nonnull(strstr(d, " br L1\n"));
    free(d);
    tcg_context_free(f.s);
}

/* Helpers that write globals invalidate what the optimizer knew about them. */
static uint64_t h_set_a64(void *envp)
{
    ((Env *)envp)->a64 = 99;
    return 0;
}

static const TCGHelperInfo hi_set_a64 = {
    h_set_a64, "set_a64", 0, TCG_CALL_I64, 1, { TCG_CALL_PTR } };

static void test_opt_call_clobber(void)
{
    OptFix f;
    TCGv_i64 r;
    int args[1];
    Env env = { 0 };

    opt_setup(&f);
    r = tcg_temp_new_i64(f.s);
    args[0] = tcg_env(f.s).idx;
    tcg_gen_movi_i64(f.s, f.a64, 5);
    tcg_gen_call(f.s, &hi_set_a64, r.idx, 1, args);
    tcg_gen_addi_i64(f.s, f.b64, f.a64, 1);         /* must read 99, not fold 5+1 */
    tcg_gen_exit_tb(f.s, 0);
    g_assert_cmpint(tcg_gen_code(f.s), >, 0);
    tcg_exec_code(f.s, &env, f.s->gen_code_ptr);
    g_assert_cmpuint(env.b64, ==, 100);
    tcg_context_free(f.s);
}

/* ---- Capstone checks of the emitter ------------------------------------------------ */

static void test_disas_ops(void)
{
    TCGContext *s;
    TCGv_i32 a32, b32;
    TCGv_i64 a64, b64, c64, lo, hi;
    char *d;

    if (!native_ok()) {
        return;
    }
    s = ctx_new(TCG_BACKEND_NATIVE);
    a32 = tcg_global_mem_new_i32(s, offsetof(Env, a32), "a32");
    b32 = tcg_global_mem_new_i32(s, offsetof(Env, b32), "b32");
    a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    b64 = tcg_global_mem_new_i64(s, offsetof(Env, b64), "b64");
    c64 = tcg_global_mem_new_i64(s, offsetof(Env, c64), "c64");

    /* The prologue/epilogue decode and save callee-saved registers. */
    d = disas(s->code_gen_prologue, s->buf.base);
    g_assert_nonnull(strstr(d, "push     r14"));
    g_assert_nonnull(strstr(d, "mov      r14, rdi"));
    g_assert_nonnull(strstr(d, "jmp      rsi"));
    g_assert_nonnull(strstr(d, "pop      rbp"));
    free(d);

    tcg_func_start(s);
    s->optimize = false;
    lo = tcg_temp_new_i64(s);
    hi = tcg_temp_new_i64(s);
    tcg_gen_clz_i64(s, a64, b64, c64);
    tcg_gen_ctz_i32(s, a32, b32, a32);
    tcg_gen_ctpop_i64(s, b64, c64);
    tcg_gen_bswap32_i32(s, b32, a32);
    tcg_gen_movcond_i64(s, TCG_COND_LTU, c64, a64, b64, c64, a64);
    tcg_gen_mulu2_i64(s, lo, hi, a64, b64);
    tcg_gen_add2_i64(s, a64, b64, lo, hi, c64, c64);
    tcg_gen_rotr_i32(s, a32, a32, b32);
    tcg_gen_setcond_i32(s, TCG_COND_GE, b32, a32, b32);
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    d = disas(s->gen_code_ptr, s->gen_code_size);
    g_assert_nonnull(strstr(d, "lzcnt"));
    g_assert_nonnull(strstr(d, "tzcnt"));
    g_assert_nonnull(strstr(d, "popcnt"));
    g_assert_nonnull(strstr(d, "bswap"));
    g_assert_nonnull(strstr(d, "cmovb"));
    g_assert_nonnull(strstr(d, "mul      "));
    g_assert_nonnull(strstr(d, "adc"));
    g_assert_nonnull(strstr(d, "ror      "));
    g_assert_nonnull(strstr(d, ", cl"));        /* variable shift count in CL */
    g_assert_nonnull(strstr(d, "setge"));
    /* Globals live in env, addressed from r14. */
    g_assert_nonnull(strstr(d, "[r14 + 0x10]"));
    free(d);
    tcg_context_free(s);
}

static void test_logging(void)
{
    TCGContext *s;
    TCGv_i64 a64;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    if (!native_ok()) {
        return;
    }
    s = ctx_new(TCG_BACKEND_NATIVE);
    a64 = tcg_global_mem_new_i64(s, offsetof(Env, a64), "a64");
    f = open_memstream(&buf, &len);
    s->log_op = s->log_op_opt = s->log_out_asm = f;
    tcg_func_start(s);
    tcg_gen_addi_i64(s, a64, a64, 0);
    tcg_gen_addi_i64(s, a64, a64, 0x55);
    tcg_gen_exit_tb(s, 0);
    g_assert_cmpint(tcg_gen_code(s), >, 0);
    fclose(f);
    g_assert_nonnull(strstr(buf, "OP:\n add_i64 a64,a64,$0x0\n"));
    g_assert_nonnull(strstr(buf, "OP after optimization and liveness analysis:\n"
                                 " add_i64 a64,a64,$0x55\n"));
    g_assert_nonnull(strstr(buf, "OUT: [size="));
    g_assert_nonnull(strstr(buf, "add      rbx, 0x55"));
    free(buf);
    tcg_context_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcg/codebuf/wx-dual-map", test_codebuf_wx);
    g_test_add_func("/tcg/codebuf/errors", test_context_errors);
    g_test_add_func("/tcg/native/chain", test_chain_native);
    g_test_add_func("/tcg/interp/chain", test_chain_interp);
    g_test_add_func("/tcg/native/goto-ptr", test_goto_ptr_native);
    g_test_add_func("/tcg/interp/goto-ptr", test_goto_ptr_interp);
    g_test_add_func("/tcg/native/dropped-goto-tb", test_dropped_goto_tb_native);
    g_test_add_func("/tcg/interp/dropped-goto-tb", test_dropped_goto_tb_interp);
    g_test_add_func("/tcg/native/insn-search", test_insn_search_native);
    g_test_add_func("/tcg/interp/insn-search", test_insn_search_interp);
    g_test_add_func("/tcg/native/loop", test_loop_native);
    g_test_add_func("/tcg/interp/loop", test_loop_interp);
    g_test_add_func("/tcg/native/pressure", test_pressure_native);
    g_test_add_func("/tcg/interp/pressure", test_pressure_interp);
    g_test_add_func("/tcg/native/frame-overflow", test_frame_overflow);
    g_test_add_func("/tcg/interp/buffer-full", test_buffer_full);
    g_test_add_func("/tcg/native/buffer-full", test_native_buffer_full);
    g_test_add_func("/tcg/verify", test_verify);
    g_test_add_func("/tcg/opt/fold", test_opt_fold);
    g_test_add_func("/tcg/opt/copy-prop", test_opt_copy_prop);
    g_test_add_func("/tcg/opt/simplify", test_opt_simplify);
    g_test_add_func("/tcg/opt/dce", test_opt_dce);
    g_test_add_func("/tcg/opt/branch-fold", test_opt_branch);
    g_test_add_func("/tcg/opt/call-clobbers-globals", test_opt_call_clobber);
    g_test_add_func("/tcg/native/disas", test_disas_ops);
    g_test_add_func("/tcg/native/logging", test_logging);
    return g_test_run();
}
