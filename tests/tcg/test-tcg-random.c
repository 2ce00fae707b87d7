/*
 * test-tcg-random.c: the native x86-64 emitter checked against the IR
 * interpreter on random IR programs (DESIGN.md testing layer 2).
 *
 * Each program uses every op family on both widths, edge constants, forward
 * branches, helper calls with each side-effect flag, env loads/stores and
 * guest memory through a fake softmmu TLB (fast path, forced slow path,
 * page-crossing, read-only page). It runs from the same CPU state and memory
 * on the native backend (optimizer on) and on the interpreter (optimizer
 * off, so the optimizer is checked too); every global, every env byte,
 * every memory byte and the exit value must agree. Every native block must
 * also disassemble completely with Capstone.
 *
 * Usage: test-tcg-random [--seed N] [--count N] [--soak N] [-v]
 * BT86_TCG_SOAK=N in the environment also sets the count.
 */
#include "tcg/tcg.h"
#include <getopt.h>

#define NG 8
#define PAGE 4096
#define MEM_BASE 0x10000ULL
#define MEM_PAGES 4
#define TLB_N 16

typedef struct TestEnv {
    /* Compared region first. */
    uint32_t g32[NG];
    uint64_t g64[NG];
    uint64_t scratch[8];
    uint64_t slow_stores, helper_calls;
    /* Not compared for equality: a native load that a store to the same
     * address follows probes the TLB for writing (one probe for both), so on
     * a page whose stores go slow it goes slow too. Native >= interp. */
    uint64_t slow_loads;
    /* Per-run pointers, not compared. */
    uint8_t *mem;
    uintptr_t tlb_mask[2];
    TCGTLBEntry *tlb_table[2];
    TCGTLBEntry tlb[2][TLB_N];
} TestEnv;

#define CMP_SIZE offsetof(TestEnv, slow_loads)

/* ---- Fake softmmu --------------------------------------------------------- */

static uint64_t slow_load(void *envp, uint64_t addr, MemOpIdx oi, uintptr_t ra)
{
    TestEnv *env = envp;
    MemOp mo = get_memop(oi);
    unsigned size = 1u << (mo & MO_SIZE);
    uint64_t v = 0;

    env->slow_loads++;
    if (addr < MEM_BASE || addr + size > MEM_BASE + MEM_PAGES * PAGE) {
        return 0;
    }
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)env->mem[addr - MEM_BASE + i] << (8 * i);
    }
    switch (mo) {
    case MO_SB: return (uint64_t)(int8_t)v;
    case MO_SW: return (uint64_t)(int16_t)v;
    case MO_SL: return (uint64_t)(int32_t)v;
    default: return v;
    }
}

static void slow_store(void *envp, uint64_t addr, uint64_t val, MemOpIdx oi,
                       uintptr_t ra)
{
    TestEnv *env = envp;
    unsigned size = 1u << (get_memop(oi) & MO_SIZE);

    env->slow_stores++;
    if (addr < MEM_BASE || addr + size > MEM_BASE + MEM_PAGES * PAGE) {
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        env->mem[addr - MEM_BASE + i] = val >> (8 * i);
    }
}

static void env_setup_tlb(TestEnv *env)
{
    for (int m = 0; m < 2; m++) {
        for (int i = 0; i < TLB_N; i++) {
            env->tlb[m][i] = (TCGTLBEntry){ ~0ULL, ~0ULL, ~0ULL, 0 };
        }
        env->tlb_mask[m] = (TLB_N - 1) << TCG_TLB_ENTRY_BITS;
        env->tlb_table[m] = env->tlb[m];
        for (int p = 0; p < MEM_PAGES; p++) {
            uint64_t va = MEM_BASE + p * PAGE;
            TCGTLBEntry *e = &env->tlb[m][(va >> 12) & (TLB_N - 1)];
            e->addr_read = va;
            e->addr_write = va;
            e->addr_code = va;
            e->addend = (uintptr_t)env->mem + p * PAGE - va;
            if (p == 2) {       /* forced slow path (e.g. watchpoint) */
                e->addr_read |= TCG_TLB_FLAG_FORCE_SLOW;
                e->addr_write |= TCG_TLB_FLAG_FORCE_SLOW;
            }
            if (p == 3) {       /* code page: stores go slow */
                e->addr_write |= TCG_TLB_FLAG_NOTDIRTY;
            }
            if (m == 1 && p == 1) {  /* mmu 1 does not map page 1 */
                e->addr_read = e->addr_write = ~0ULL;
            }
        }
    }
}

/* ---- Helpers called from generated code ---------------------------------- */

static uint64_t h_pure64(uint64_t a, uint64_t b)
{
    return (a * 0x9e3779b97f4a7c15ULL) ^ (b >> 3) ^ (b << 17);
}

static uint32_t h_pure32(uint32_t a, uint32_t b)
{
    return (a * 2654435761u) + (b ^ 0x5a5a5a5au);
}

static uint32_t h_rw(void *envp, uint64_t x)
{
    TestEnv *env = envp;
    env->helper_calls++;
    env->g64[1] = env->g64[0] + x;
    return env->g32[0] ^ (uint32_t)x;
}

static void h_wonly(void *envp, uint32_t x)
{
    TestEnv *env = envp;
    env->helper_calls++;
    env->g32[7] = x * 3;
}

static uint64_t h_ronly(void *envp)
{
    TestEnv *env = envp;
    return env->g64[2] + env->g32[3];
}

static uint64_t h_six(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                      uint64_t f)
{
    return a + 3 * b + 5 * c + 7 * d + 11 * e + 13 * f;
}

static const TCGHelperInfo hi_pure64 = {
    h_pure64, "pure64", TCG_CALL_PURE, TCG_CALL_I64, 2, { TCG_CALL_I64, TCG_CALL_I64 } };
static const TCGHelperInfo hi_pure32 = {
    h_pure32, "pure32", TCG_CALL_PURE, TCG_CALL_I32, 2, { TCG_CALL_I32, TCG_CALL_I32 } };
static const TCGHelperInfo hi_rw = {
    h_rw, "rw", 0, TCG_CALL_I32, 2, { TCG_CALL_PTR, TCG_CALL_I64 } };
static const TCGHelperInfo hi_wonly = {
    h_wonly, "wonly", TCG_CALL_NO_READ_GLOBALS, TCG_CALL_VOID, 2,
    { TCG_CALL_PTR, TCG_CALL_I32 } };
static const TCGHelperInfo hi_ronly = {
    h_ronly, "ronly", TCG_CALL_NO_WRITE_GLOBALS | TCG_CALL_NO_SIDE_EFFECTS, TCG_CALL_I64,
    1, { TCG_CALL_PTR } };
static const TCGHelperInfo hi_six =
    TCG_HELPER_INFO(h_six, TCG_CALL_PURE, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64,
                    TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64, TCG_CALL_I64);

/* ---- Program generator ------------------------------------------------------ */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rnd(Rng *r)
{
    /* splitmix64: small, good enough, reproducible from the printed seed. */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rn(Rng *r, unsigned n)
{
    return rnd(r) % n;
}

static const uint64_t edge64[] = {
    0, 1, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL, 0x80000000ULL,
    0x7fffffffULL, 0xffffffffULL, 0x100000000ULL, 2, 0xff, 0xffff, 0x8000, 0x80,
};

#define NTMP 6
#define NLOC 3
#define MAXLBL 6

typedef struct Gen {
    TCGContext *s;
    Rng r;
    TCGv_i32 g32[NG];
    TCGv_i64 g64[NG];
    TCGv_i32 t32[NTMP], l32[NLOC];
    TCGv_i64 t64[NTMP], l64[NLOC];
    bool d32[NTMP], d64[NTMP];      /* normal temp defined in this basic block */
    /*
     * Destinations become readable only after their op: C leaves argument
     * evaluation order unspecified, so a source picked in the same call must
     * not see a temp this very op defines.
     */
    bool p32[NTMP], p64[NTMP];
    TCGLabel *pending[MAXLBL];
    int npending;
} Gen;

static uint64_t rconst(Gen *g)
{
    if (rn(&g->r, 3) == 0) {
        return rnd(&g->r);
    }
    if (rn(&g->r, 4) == 0) {
        return rn(&g->r, 64);
    }
    return edge64[rn(&g->r, ARRAY_SIZE(edge64))];
}

static void commit_dsts(Gen *g)
{
    for (int i = 0; i < NTMP; i++) {
        g->d32[i] |= g->p32[i];
        g->d64[i] |= g->p64[i];
        g->p32[i] = g->p64[i] = false;
    }
}

static void bb_end(Gen *g)
{
    memset(g->d32, 0, sizeof(g->d32));
    memset(g->d64, 0, sizeof(g->d64));
}

static TCGv_i32 src32(Gen *g)
{
    for (;;) {
        switch (rn(&g->r, 5)) {
        case 0: return g->g32[rn(&g->r, NG)];
        case 1: return g->l32[rn(&g->r, NLOC)];
        case 2: return tcg_constant_i32(g->s, rconst(g));
        default: {
            int i = rn(&g->r, NTMP);
            if (g->d32[i]) {
                return g->t32[i];
            }
        }
        }
    }
}

static TCGv_i64 src64(Gen *g)
{
    for (;;) {
        switch (rn(&g->r, 5)) {
        case 0: return g->g64[rn(&g->r, NG)];
        case 1: return g->l64[rn(&g->r, NLOC)];
        case 2: return tcg_constant_i64(g->s, rconst(g));
        default: {
            int i = rn(&g->r, NTMP);
            if (g->d64[i]) {
                return g->t64[i];
            }
        }
        }
    }
}

static TCGv_i32 dst32(Gen *g)
{
    switch (rn(&g->r, 3)) {
    case 0: return g->g32[rn(&g->r, NG)];
    case 1: return g->l32[rn(&g->r, NLOC)];
    default: {
        int i = rn(&g->r, NTMP);
        g->p32[i] = true;
        return g->t32[i];
    }
    }
}

static TCGv_i64 dst64(Gen *g)
{
    switch (rn(&g->r, 3)) {
    case 0: return g->g64[rn(&g->r, NG)];
    case 1: return g->l64[rn(&g->r, NLOC)];
    default: {
        int i = rn(&g->r, NTMP);
        g->p64[i] = true;
        return g->t64[i];
    }
    }
}

static TCGCond rcond(Gen *g)
{
    /* Now and then the degenerate ALWAYS / NEVER too. */
    if (rn(&g->r, 16) == 0) {
        return rn(&g->r, 2) ? TCG_COND_ALWAYS : TCG_COND_NEVER;
    }
    return TCG_COND_EQ + rn(&g->r, TCG_COND_COUNT - TCG_COND_EQ);
}

static TCGv_i64 gen_addr(Gen *g, unsigned size)
{
    TCGv_i64 a = tcg_temp_new_i64(g->s);
    uint64_t off;

    switch (rn(&g->r, 3)) {
    case 0:
        /* Page-crossing on purpose. */
        off = (rn(&g->r, MEM_PAGES - 1) + 1) * PAGE - rn(&g->r, size);
        tcg_gen_movi_i64(g->s, a, MEM_BASE + off);
        break;
    case 1:
        off = rn(&g->r, MEM_PAGES * PAGE - size + 1);
        tcg_gen_movi_i64(g->s, a, MEM_BASE + off);
        break;
    default:
        /* Data-dependent address (may go out of range: the helper ignores it). */
        tcg_gen_andi_i64(g->s, a, src64(g), MEM_PAGES * PAGE - 1);
        tcg_gen_addi_i64(g->s, a, a, MEM_BASE);
        break;
    }
    return a;
}


/* A bit field: often the low byte, word or dword, or bits 8-15 (the shapes
 * x86 partial registers make, which the backends special-case). */
static void rfield(Gen *g, unsigned bits, unsigned *pos, unsigned *len)
{
    static const unsigned lens[3] = { 8, 16, 32 };
    if (rn(&g->r, 4) == 0) {
        *pos = rn(&g->r, 4) == 0 ? 8 : 0;
        *len = *pos ? 8 : lens[rn(&g->r, bits == 64 ? 3 : 2)];
        return;
    }
    *pos = rn(&g->r, bits);
    *len = 1 + rn(&g->r, bits - *pos);
}

static void gen_op32(Gen *g)
{
    TCGContext *s = g->s;
    unsigned k = rn(&g->r, 40);

    switch (k) {
    case 0: tcg_gen_add_i32(s, dst32(g), src32(g), src32(g)); break;
    case 1: tcg_gen_sub_i32(s, dst32(g), src32(g), src32(g)); break;
    case 2: tcg_gen_mul_i32(s, dst32(g), src32(g), src32(g)); break;
    case 3: tcg_gen_and_i32(s, dst32(g), src32(g), src32(g)); break;
    case 4: tcg_gen_or_i32(s, dst32(g), src32(g), src32(g)); break;
    case 5: tcg_gen_xor_i32(s, dst32(g), src32(g), src32(g)); break;
    case 6: tcg_gen_andc_i32(s, dst32(g), src32(g), src32(g)); break;
    case 7: case 8: case 9: case 10: case 11: {
        TCGv_i32 cnt;
        void (*fn)(TCGContext *, TCGv_i32, TCGv_i32, TCGv_i32) =
            k == 7 ? tcg_gen_shl_i32 : k == 8 ? tcg_gen_shr_i32 : k == 9 ? tcg_gen_sar_i32
            : k == 10 ? tcg_gen_rotl_i32 : tcg_gen_rotr_i32;
        if (rn(&g->r, 2)) {
            cnt = tcg_constant_i32(s, rn(&g->r, 32));
        } else {
            cnt = tcg_temp_new_i32(s);
            tcg_gen_andi_i32(s, cnt, src32(g), 31);
        }
        fn(s, dst32(g), src32(g), cnt);
        break;
    }
    case 12: tcg_gen_neg_i32(s, dst32(g), src32(g)); break;
    case 13: tcg_gen_not_i32(s, dst32(g), src32(g)); break;
    case 14: tcg_gen_ext8s_i32(s, dst32(g), src32(g)); break;
    case 15: tcg_gen_ext8u_i32(s, dst32(g), src32(g)); break;
    case 16: tcg_gen_ext16s_i32(s, dst32(g), src32(g)); break;
    case 17: tcg_gen_ext16u_i32(s, dst32(g), src32(g)); break;
    case 18: tcg_gen_setcond_i32(s, rcond(g), dst32(g), src32(g), src32(g)); break;
    case 19: tcg_gen_movcond_i32(s, rcond(g), dst32(g), src32(g), src32(g), src32(g),
                                 src32(g)); break;
    case 20: {
        unsigned pos, len;
        rfield(g, 32, &pos, &len);
        tcg_gen_deposit_i32(s, dst32(g), src32(g), src32(g), pos, len);
        break;
    }
    case 21: {
        unsigned pos, len;
        rfield(g, 32, &pos, &len);
        tcg_gen_extract_i32(s, dst32(g), src32(g), pos, len);
        break;
    }
    case 22: {
        unsigned pos, len;
        rfield(g, 32, &pos, &len);
        tcg_gen_sextract_i32(s, dst32(g), src32(g), pos, len);
        break;
    }
    case 23: {
        TCGv_i32 lo = dst32(g), hi = dst32(g);
        if (lo.idx == hi.idx) {
            memset(g->p32, 0, sizeof(g->p32));   /* nothing was defined */
            memset(g->p64, 0, sizeof(g->p64));
            break;
        }
        if (rn(&g->r, 2)) {
            tcg_gen_add2_i32(s, lo, hi, src32(g), src32(g), src32(g), src32(g));
        } else {
            tcg_gen_sub2_i32(s, lo, hi, src32(g), src32(g), src32(g), src32(g));
        }
        break;
    }
    case 24: {
        TCGv_i32 lo = dst32(g), hi = dst32(g);
        if (lo.idx == hi.idx) {
            memset(g->p32, 0, sizeof(g->p32));   /* nothing was defined */
            memset(g->p64, 0, sizeof(g->p64));
            break;
        }
        if (rn(&g->r, 2)) {
            tcg_gen_mulu2_i32(s, lo, hi, src32(g), src32(g));
        } else {
            tcg_gen_muls2_i32(s, lo, hi, src32(g), src32(g));
        }
        break;
    }
    case 25: tcg_gen_bswap16_i32(s, dst32(g), src32(g)); break;
    case 26: tcg_gen_bswap32_i32(s, dst32(g), src32(g)); break;
    case 27: tcg_gen_clz_i32(s, dst32(g), src32(g), src32(g)); break;
    case 28: tcg_gen_ctz_i32(s, dst32(g), src32(g), src32(g)); break;
    case 29: tcg_gen_ctpop_i32(s, dst32(g), src32(g)); break;
    case 30: tcg_gen_mov_i32(s, dst32(g), src32(g)); break;
    case 31: tcg_gen_movi_i32(s, dst32(g), rconst(g)); break;
    case 32: tcg_gen_extrl_i64_i32(s, dst32(g), src64(g)); break;
    case 33: tcg_gen_extrh_i64_i32(s, dst32(g), src64(g)); break;
    case 34: {
        int o = offsetof(TestEnv, scratch) + 4 * rn(&g->r, 15);
        switch (rn(&g->r, 8)) {
        case 0: tcg_gen_ld8u_i32(s, dst32(g), o); break;
        case 1: tcg_gen_ld8s_i32(s, dst32(g), o + 1); break;
        case 2: tcg_gen_ld16u_i32(s, dst32(g), o); break;
        case 3: tcg_gen_ld16s_i32(s, dst32(g), o + 2); break;
        case 4: tcg_gen_ld_i32(s, dst32(g), o); break;
        case 5: tcg_gen_st8_i32(s, src32(g), o + 3); break;
        case 6: tcg_gen_st16_i32(s, src32(g), o); break;
        default: tcg_gen_st_i32(s, src32(g), o); break;
        }
        break;
    }
    case 35: case 36: {
        static const MemOp mos[] = { MO_UB, MO_SB, MO_UW, MO_SW, MO_UL, MO_SL };
        MemOp mo = mos[rn(&g->r, ARRAY_SIZE(mos))];
        TCGv_i64 a = gen_addr(g, 1u << (mo & MO_SIZE));
        if (k == 35) {
            tcg_gen_qemu_ld_i32(s, dst32(g), a, mo, rn(&g->r, 2));
        } else {
            tcg_gen_qemu_st_i32(s, src32(g), a, mo & MO_SIZE, rn(&g->r, 2));
        }
        break;
    }
    case 37: {
        int args[2] = { src32(g).idx, src32(g).idx };
        tcg_gen_call(s, &hi_pure32, dst32(g).idx, 2, args);
        break;
    }
    case 38: {
        int args[2] = { tcg_env(s).idx, src64(g).idx };
        tcg_gen_call(s, &hi_rw, dst32(g).idx, 2, args);
        break;
    }
    default: {
        int args[2] = { tcg_env(s).idx, src32(g).idx };
        tcg_gen_call(s, &hi_wonly, -1, 2, args);
        break;
    }
    }
}

static void gen_op64(Gen *g)
{
    TCGContext *s = g->s;
    unsigned k = rn(&g->r, 44);

    switch (k) {
    case 0: tcg_gen_add_i64(s, dst64(g), src64(g), src64(g)); break;
    case 1: tcg_gen_sub_i64(s, dst64(g), src64(g), src64(g)); break;
    case 2: tcg_gen_mul_i64(s, dst64(g), src64(g), src64(g)); break;
    case 3: tcg_gen_and_i64(s, dst64(g), src64(g), src64(g)); break;
    case 4: tcg_gen_or_i64(s, dst64(g), src64(g), src64(g)); break;
    case 5: tcg_gen_xor_i64(s, dst64(g), src64(g), src64(g)); break;
    case 6: tcg_gen_andc_i64(s, dst64(g), src64(g), src64(g)); break;
    case 7: case 8: case 9: case 10: case 11: {
        TCGv_i64 cnt;
        void (*fn)(TCGContext *, TCGv_i64, TCGv_i64, TCGv_i64) =
            k == 7 ? tcg_gen_shl_i64 : k == 8 ? tcg_gen_shr_i64 : k == 9 ? tcg_gen_sar_i64
            : k == 10 ? tcg_gen_rotl_i64 : tcg_gen_rotr_i64;
        if (rn(&g->r, 2)) {
            cnt = tcg_constant_i64(s, rn(&g->r, 64));
        } else {
            cnt = tcg_temp_new_i64(s);
            tcg_gen_andi_i64(s, cnt, src64(g), 63);
        }
        fn(s, dst64(g), src64(g), cnt);
        break;
    }
    case 12: tcg_gen_neg_i64(s, dst64(g), src64(g)); break;
    case 13: tcg_gen_not_i64(s, dst64(g), src64(g)); break;
    case 14: tcg_gen_ext8s_i64(s, dst64(g), src64(g)); break;
    case 15: tcg_gen_ext8u_i64(s, dst64(g), src64(g)); break;
    case 16: tcg_gen_ext16s_i64(s, dst64(g), src64(g)); break;
    case 17: tcg_gen_ext16u_i64(s, dst64(g), src64(g)); break;
    case 18: tcg_gen_ext32s_i64(s, dst64(g), src64(g)); break;
    case 19: tcg_gen_ext32u_i64(s, dst64(g), src64(g)); break;
    case 20: tcg_gen_setcond_i64(s, rcond(g), dst64(g), src64(g), src64(g)); break;
    case 21: tcg_gen_movcond_i64(s, rcond(g), dst64(g), src64(g), src64(g), src64(g),
                                 src64(g)); break;
    case 22: {
        unsigned pos, len;
        rfield(g, 64, &pos, &len);
        tcg_gen_deposit_i64(s, dst64(g), src64(g), src64(g), pos, len);
        break;
    }
    case 23: {
        unsigned pos, len;
        rfield(g, 64, &pos, &len);
        tcg_gen_extract_i64(s, dst64(g), src64(g), pos, len);
        break;
    }
    case 24: {
        unsigned pos, len;
        rfield(g, 64, &pos, &len);
        tcg_gen_sextract_i64(s, dst64(g), src64(g), pos, len);
        break;
    }
    case 25: {
        TCGv_i64 lo = dst64(g), hi = dst64(g);
        if (lo.idx == hi.idx) {
            memset(g->p32, 0, sizeof(g->p32));   /* nothing was defined */
            memset(g->p64, 0, sizeof(g->p64));
            break;
        }
        if (rn(&g->r, 2)) {
            tcg_gen_add2_i64(s, lo, hi, src64(g), src64(g), src64(g), src64(g));
        } else {
            tcg_gen_sub2_i64(s, lo, hi, src64(g), src64(g), src64(g), src64(g));
        }
        break;
    }
    case 26: {
        TCGv_i64 lo = dst64(g), hi = dst64(g);
        if (lo.idx == hi.idx) {
            memset(g->p32, 0, sizeof(g->p32));   /* nothing was defined */
            memset(g->p64, 0, sizeof(g->p64));
            break;
        }
        if (rn(&g->r, 2)) {
            tcg_gen_mulu2_i64(s, lo, hi, src64(g), src64(g));
        } else {
            tcg_gen_muls2_i64(s, lo, hi, src64(g), src64(g));
        }
        break;
    }
    case 27: tcg_gen_bswap16_i64(s, dst64(g), src64(g)); break;
    case 28: tcg_gen_bswap32_i64(s, dst64(g), src64(g)); break;
    case 29: tcg_gen_bswap64_i64(s, dst64(g), src64(g)); break;
    case 30: tcg_gen_clz_i64(s, dst64(g), src64(g), src64(g)); break;
    case 31: tcg_gen_ctz_i64(s, dst64(g), src64(g), src64(g)); break;
    case 32: tcg_gen_ctpop_i64(s, dst64(g), src64(g)); break;
    case 33: tcg_gen_mov_i64(s, dst64(g), src64(g)); break;
    case 34: tcg_gen_movi_i64(s, dst64(g), rconst(g)); break;
    case 35: tcg_gen_ext_i32_i64(s, dst64(g), src32(g)); break;
    case 36: tcg_gen_extu_i32_i64(s, dst64(g), src32(g)); break;
    case 37: {
        int o = offsetof(TestEnv, scratch) + 8 * rn(&g->r, 7);
        switch (rn(&g->r, 11)) {
        case 0: tcg_gen_ld8u_i64(s, dst64(g), o + 5); break;
        case 1: tcg_gen_ld8s_i64(s, dst64(g), o); break;
        case 2: tcg_gen_ld16u_i64(s, dst64(g), o); break;
        case 3: tcg_gen_ld16s_i64(s, dst64(g), o + 6); break;
        case 4: tcg_gen_ld32u_i64(s, dst64(g), o + 4); break;
        case 5: tcg_gen_ld32s_i64(s, dst64(g), o); break;
        case 6: tcg_gen_ld_i64(s, dst64(g), o); break;
        case 7: tcg_gen_st8_i64(s, src64(g), o + 7); break;
        case 8: tcg_gen_st16_i64(s, src64(g), o + 2); break;
        case 9: tcg_gen_st32_i64(s, src64(g), o); break;
        default: tcg_gen_st_i64(s, src64(g), o); break;
        }
        break;
    }
    case 38: case 39: {
        static const MemOp mos[] = { MO_UB, MO_SB, MO_UW, MO_SW, MO_UL, MO_SL, MO_UQ };
        MemOp mo = mos[rn(&g->r, ARRAY_SIZE(mos))];
        TCGv_i64 a = gen_addr(g, 1u << (mo & MO_SIZE));
        if (k == 38) {
            tcg_gen_qemu_ld_i64(s, dst64(g), a, mo, rn(&g->r, 2));
        } else {
            tcg_gen_qemu_st_i64(s, src64(g), a, mo & MO_SIZE, rn(&g->r, 2));
        }
        break;
    }
    case 40: {
        int args[2] = { src64(g).idx, src64(g).idx };
        tcg_gen_call(s, &hi_pure64, dst64(g).idx, 2, args);
        break;
    }
    case 41: {
        int args[1] = { tcg_env(s).idx };
        tcg_gen_call(s, &hi_ronly, dst64(g).idx, 1, args);
        break;
    }
    case 42: {
        int args[6];
        for (int i = 0; i < 6; i++) {
            args[i] = src64(g).idx;
        }
        tcg_gen_call(s, &hi_six, dst64(g).idx, 6, args);
        break;
    }
    default: {
        int i = rn(&g->r, NTMP);
        tcg_gen_discard_i64(s, g->t64[i]);
        g->d64[i] = false;
        break;
    }
    }
}

static void gen_program(TCGContext *s, TCGv_i32 *g32, TCGv_i64 *g64, uint64_t seed)
{
    Gen g = { .s = s, .r = { seed } };
    /* Mostly short blocks; some long ones for register pressure and spills. */
    int nops = rn(&g.r, 8) ? 5 + rn(&g.r, 60) : 100 + rn(&g.r, 200);
    TCGv_i32 lc;
    TCGLabel *top = NULL;

    tcg_func_start(s);
    lc = tcg_temp_local_new_i32(s);
    memcpy(g.g32, g32, sizeof(g.g32));
    memcpy(g.g64, g64, sizeof(g.g64));
    for (int i = 0; i < NTMP; i++) {
        g.t32[i] = tcg_temp_new_i32(s);
        g.t64[i] = tcg_temp_new_i64(s);
    }
    for (int i = 0; i < NLOC; i++) {
        g.l32[i] = tcg_temp_local_new_i32(s);
        g.l64[i] = tcg_temp_local_new_i64(s);
        /* Locals are defined on every path before any branch. */
        if (rn(&g.r, 2)) {
            tcg_gen_movi_i32(s, g.l32[i], rconst(&g));
            tcg_gen_mov_i64(s, g.l64[i], g64[rn(&g.r, NG)]);
        } else {
            tcg_gen_mov_i32(s, g.l32[i], g32[rn(&g.r, NG)]);
            tcg_gen_movi_i64(s, g.l64[i], rconst(&g));
        }
    }
    tcg_gen_insn_start(s, 0x1000, 0, 0);
    for (int n = 0; n < nops; n++) {
        unsigned k = rn(&g.r, 21);
        if (k < 8) {
            gen_op32(&g);
            commit_dsts(&g);
        } else if (k < 16) {
            gen_op64(&g);
            commit_dsts(&g);
        } else if (k < 18) {
            /* Forward conditional branch. */
            TCGLabel *l;
            if (g.npending && rn(&g.r, 2)) {
                l = g.pending[rn(&g.r, g.npending)];
            } else if (g.npending < MAXLBL) {
                l = gen_new_label(s);
                g.pending[g.npending++] = l;
            } else {
                continue;
            }
            if (rn(&g.r, 2)) {
                tcg_gen_brcond_i32(s, rcond(&g), src32(&g), src32(&g), l);
            } else {
                tcg_gen_brcond_i64(s, rcond(&g), src64(&g), src64(&g), l);
            }
            if (rn(&g.r, 12) == 0) {
                tcg_gen_br(s, l);
            }
            bb_end(&g);
        } else if (k == 18 && g.npending) {
            int i = rn(&g.r, g.npending);
            gen_set_label(s, g.pending[i]);
            g.pending[i] = g.pending[--g.npending];
            bb_end(&g);
        } else if (k == 19 && !top && nops - n > 4) {
            /*
             * A counted loop (backward branch). Pending forward labels are
             * placed first and those opened inside are placed before the
             * back edge, so no branch enters the loop past the counter init.
             */
            while (g.npending) {
                gen_set_label(s, g.pending[--g.npending]);
            }
            tcg_gen_movi_i32(s, lc, 1 + rn(&g.r, 3));
            top = gen_new_label(s);
            gen_set_label(s, top);
            bb_end(&g);
        } else if (k == 19 && top) {
            while (g.npending) {
                gen_set_label(s, g.pending[--g.npending]);
            }
            tcg_gen_addi_i32(s, lc, lc, -1);
            tcg_gen_brcondi_i32(s, TCG_COND_NE, lc, 0, top);
            top = NULL;
            bb_end(&g);
        } else {
            tcg_gen_insn_start(s, 0x1000 + n * 4, n, 0);
        }
    }
    if (top) {
        while (g.npending) {
            gen_set_label(s, g.pending[--g.npending]);
        }
        tcg_gen_addi_i32(s, lc, lc, -1);
        tcg_gen_brcondi_i32(s, TCG_COND_NE, lc, 0, top);
        bb_end(&g);
    }
    while (g.npending) {
        gen_set_label(s, g.pending[--g.npending]);
    }
    bb_end(&g);
    /* Locals reach the globals so their values are compared too. */
    for (int i = 0; i < NLOC; i++) {
        tcg_gen_xor_i32(s, g32[i], g32[i], g.l32[i]);
        tcg_gen_add_i64(s, g64[i], g64[i], g.l64[i]);
    }
    if (rn(&g.r, 4) == 0) {
        tcg_gen_goto_tb(s, 0);
    }
    tcg_gen_exit_tb(s, rnd(&g.r) & 0xffffffff);
}

/* ---- Runner ----------------------------------------------------------------- */

typedef struct Backend {
    TCGContext *s;
    TCGv_i32 g32[NG];
    TCGv_i64 g64[NG];
} Backend;

static void backend_init(Backend *b, TCGBackendKind kind)
{
    Error *err = NULL;
    static const char *const n32[NG] = { "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7" };
    static const char *const n64[NG] = { "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7" };

    b->s = tcg_context_new(kind, 16 * MiB, &err);
    if (!b->s) {
        fprintf(stderr, "cannot create context: %s\n", err->msg);
        exit(1);
    }
    for (int i = 0; i < NG; i++) {
        b->g32[i] = tcg_global_mem_new_i32(b->s, offsetof(TestEnv, g32[i]), n32[i]);
    }
    for (int i = 0; i < NG; i++) {
        b->g64[i] = tcg_global_mem_new_i64(b->s, offsetof(TestEnv, g64[i]), n64[i]);
    }
    b->s->tlb = (TCGTLBDesc){
        .fast_path = true, .page_bits = 12, .nb_mmu_modes = 2,
        .mask_ofs = { offsetof(TestEnv, tlb_mask[0]), offsetof(TestEnv, tlb_mask[1]) },
        .table_ofs = { offsetof(TestEnv, tlb_table[0]), offsetof(TestEnv, tlb_table[1]) },
        .load = slow_load, .store = slow_store,
    };
}

static void init_state(TestEnv *env, uint8_t *mem, uint64_t seed)
{
    Rng r = { seed ^ 0xabcdef };

    memset(env, 0, sizeof(*env));
    for (int i = 0; i < NG; i++) {
        env->g32[i] = rn(&r, 3) ? rnd(&r) : edge64[rn(&r, ARRAY_SIZE(edge64))];
        env->g64[i] = rn(&r, 3) ? rnd(&r) : edge64[rn(&r, ARRAY_SIZE(edge64))];
    }
    for (int i = 0; i < 8; i++) {
        env->scratch[i] = rnd(&r);
    }
    for (int i = 0; i < MEM_PAGES * PAGE; i++) {
        mem[i] = rnd(&r);
    }
    env->mem = mem;
    env_setup_tlb(env);
}

static int verbose;

/* Run one program on both backends; true if they agree. */
static bool run_one(Backend *nat, Backend *tci, uint64_t seed, bool opt_native,
                    bool opt_interp)
{
    static TestEnv e1, e2;
    static uint8_t m1[MEM_PAGES * PAGE], m2[MEM_PAGES * PAGE];
    char *dump = NULL;
    Error *verr = NULL;
    size_t dump_len = 0;
    FILE *df;
    uintptr_t r1, r2;
    int n1, n2, ninsn;
    bool ok;

    if (tcg_code_free(nat->s) < 1 * MiB) {
        tcg_code_flush(nat->s);
    }
    if (tcg_code_free(tci->s) < 1 * MiB) {
        tcg_code_flush(tci->s);
    }
    gen_program(nat->s, nat->g32, nat->g64, seed);
    if (!tcg_verify(nat->s, &verr)) {
        fprintf(stderr, "seed %" PRIu64 ": generator made invalid IR: %s\n", seed,
                verr->msg);
        error_free(verr);
        return false;
    }
    df = open_memstream(&dump, &dump_len);
    tcg_dump_ops(nat->s, df);
    fclose(df);
    nat->s->optimize = opt_native;
    n1 = tcg_gen_code(nat->s);
    gen_program(tci->s, tci->g32, tci->g64, seed);
    tci->s->optimize = opt_interp;
    n2 = tcg_gen_code(tci->s);
    if (n1 < 0 || n2 < 0) {
        fprintf(stderr, "seed %" PRIu64 ": code generation failed (%d, %d)\n", seed, n1, n2);
        free(dump);
        return false;
    }
    ninsn = tcg_disas_host(NULL, nat->s->gen_code_ptr, nat->s->gen_code_size);
    if (verbose > 2) {
        /* Before running: for a program that hangs or crashes. */
        fprintf(stderr, "---- IR:\n%s---- optimized:\n", dump);
        tcg_dump_ops(nat->s, stderr);
        tcg_disas_host(stderr, nat->s->gen_code_ptr, nat->s->gen_code_size);
    }
    init_state(&e1, m1, seed);
    init_state(&e2, m2, seed);
    r1 = tcg_exec_code(nat->s, &e1, nat->s->gen_code_ptr);
    r2 = tcg_exec_code(tci->s, &e2, tci->s->gen_code_ptr);
    ok = r1 == r2 && memcmp(&e1, &e2, CMP_SIZE) == 0 && memcmp(m1, m2, sizeof(m1)) == 0
         && e1.slow_loads >= e2.slow_loads && ninsn > 0;
    if (!ok || verbose > 1) {
        fprintf(stderr, "==== seed %" PRIu64 " (optimizer: native %s, interp %s): %s\n",
                seed, opt_native ? "on" : "off", opt_interp ? "on" : "off",
                ok ? "ok" : "MISMATCH");
        fprintf(stderr, "---- IR:\n%s", dump);
        fprintf(stderr, "---- IR after optimization (native):\n");
        tcg_dump_ops(nat->s, stderr);
        fprintf(stderr, "---- exit: native %#" PRIxPTR " interp %#" PRIxPTR "\n", r1, r2);
        if (ninsn <= 0) {
            fprintf(stderr, "---- native code does not disassemble completely\n");
        }
        for (int i = 0; i < NG; i++) {
            fprintf(stderr, "  e%d %08x %08x%s   r%d %016" PRIx64 " %016" PRIx64 "%s\n",
                    i, e1.g32[i], e2.g32[i], e1.g32[i] != e2.g32[i] ? " <<" : "", i,
                    e1.g64[i], e2.g64[i], e1.g64[i] != e2.g64[i] ? " <<" : "");
        }
        for (int i = 0; i < 8; i++) {
            if (e1.scratch[i] != e2.scratch[i]) {
                fprintf(stderr, "  scratch[%d] %016" PRIx64 " %016" PRIx64 "\n", i,
                        e1.scratch[i], e2.scratch[i]);
            }
        }
        fprintf(stderr, "  slow ld/st native %" PRIu64 "/%" PRIu64 " interp %" PRIu64
                "/%" PRIu64 ", helper calls %" PRIu64 "/%" PRIu64 "\n",
                e1.slow_loads, e1.slow_stores, e2.slow_loads, e2.slow_stores,
                e1.helper_calls, e2.helper_calls);
        for (size_t i = 0; i < sizeof(m1); i++) {
            if (m1[i] != m2[i]) {
                fprintf(stderr, "  mem[%#zx] %02x %02x\n", i, m1[i], m2[i]);
            }
        }
        fprintf(stderr, "---- host code:\n");
        tcg_disas_host(stderr, nat->s->gen_code_ptr, nat->s->gen_code_size);
    }
    free(dump);
    return ok;
}

int main(int argc, char **argv)
{
    uint64_t seed = 20261122;
    long count = 3000;
    const char *soak = getenv("BT86_TCG_SOAK");
    Backend nat, tci;
    long fails = 0;
    int c;
    static const struct option lo[] = {
        { "seed", required_argument, NULL, 's' },
        { "count", required_argument, NULL, 'n' },
        { "soak", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };

    if (soak && *soak) {
        count = strtol(soak, NULL, 0);
    }
    while ((c = getopt_long(argc, argv, "s:n:v", lo, NULL)) != -1) {
        switch (c) {
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'n': count = strtol(optarg, NULL, 0); break;
        case 'v': verbose++; break;
        default:
            fprintf(stderr, "usage: %s [--seed N] [--count N | --soak N] [-v]\n", argv[0]);
            return 2;
        }
    }
    if (!tcg_native_available()) {
        printf("SKIP: host CPU lacks POPCNT/LZCNT/TZCNT, native emitter unavailable\n");
        return 77;
    }
    backend_init(&nat, TCG_BACKEND_NATIVE);
    backend_init(&tci, TCG_BACKEND_INTERP);
    printf("random IR: seed %" PRIu64 ", %ld programs\n", seed, count);
    for (long i = 0; i < count; i++) {
        uint64_t sd = seed + i;
        /*
         * Mostly optimized native against the plain interpreter; one in
         * four unoptimized native; one in eight the other way round.
         */
        bool opt_nat = (i & 3) != 3 && (i & 7) != 5;
        if (!run_one(&nat, &tci, sd, opt_nat, (i & 7) == 5)) {
            fails++;
            if (fails >= 3) {
                break;
            }
        }
    }
    printf("random IR: %ld programs, %ld mismatches (rerun one: --seed S --count 1 -vv)\n",
           count, fails);
    tcg_context_free(nat.s);
    tcg_context_free(tci.s);
    return fails ? 1 : 0;
}
