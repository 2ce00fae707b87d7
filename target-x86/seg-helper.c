/*
 * seg-helper.c: segmentation and protection for the translator. Segment
 * register loads with their checks (SDM Vol 3 §5.5-5.8, Vol 2 MOV/POP/LDS),
 * far JMP/CALL/RET through call gates with stack switches and parameter copy
 * (§5.8.3-5.8.6), IRET in real, v86, protected and IA-32e mode, interrupt and
 * exception delivery through interrupt/trap/task gates with IST (§6.12-6.14),
 * task switching through 32-bit TSSs (ch. 7), virtual-8086 entry and exit
 * (ch. 20), the I/O permission bitmap (Vol 1 §19.5) and the fast system calls
 * SYSCALL/SYSRET/SYSENTER/SYSEXIT (Vol 2B).
 *
 * Every far transfer reads and checks everything first and writes the new
 * stack before it changes a register, so a fault part-way leaves the state
 * the instruction started from (the fault is then precise).
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/helper.h"
#include "target-x86/seg-helper.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))
#define RA(env) tcg_helper_retaddr(x86_tcg_ctx(env), GETPC())

enum { EXC_DB = 1, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6, EXC_DF = 8, EXC_TS = 10,
       EXC_NP = 11, EXC_SS = 12, EXC_GP = 13 };
/* Supervisor and user MMU modes for the stacks of far transfers and event
 * delivery; SMAP applies to supervisor ones when EFLAGS.AC is clear. */
#define MMU_USER X86_MMU_USER
#define MMU_SUP sup_mmu(env)

static int sup_mmu(CPUX86State *env)
{
    return (env->cr[4] & CR4_SMAP) && !(env->rflags & AC_MASK) ? X86_MMU_SUP_SMAP
                                                               : X86_MMU_SUP;
}
enum { TS_JMP, TS_CALL, TS_IRET };

/* ---- mode and descriptor bits ---- */

static inline bool pe(CPUX86State *env)
{
    return env->cr[0] & CR0_PE;
}

static inline bool v86(CPUX86State *env)
{
    return pe(env) && (env->rflags & VM_MASK);
}

static inline bool lma(CPUX86State *env)
{
    return env->efer & EFER_LMA;
}

static inline bool code64(CPUX86State *env)
{
    return lma(env) && (env->segs[R_CS].flags & DESC_L_MASK);
}

static inline int iopl(CPUX86State *env)
{
    return (env->rflags >> 12) & 3;
}

static inline int d_dpl(uint64_t d)
{
    return (d >> 45) & 3;
}

static inline int d_type(uint64_t d)
{
    return (d >> 40) & 15;
}

static inline bool d_present(uint64_t d)
{
    return (d >> 47) & 1;
}

static inline bool d_s(uint64_t d)
{
    return (d >> 44) & 1;
}

static inline bool d_code(uint64_t d)
{
    return d_s(d) && (d_type(d) & 8);
}

static inline bool d_conforming(uint64_t d)
{
    return d_code(d) && (d_type(d) & 4);
}

static inline bool d_wdata(uint64_t d)
{
    return d_s(d) && (d_type(d) & 10) == 2;
}

/* A code descriptor a 64-bit mode transfer may target: L=1 needs D=0. */
static inline bool d_code64(uint64_t d)
{
    return ((d >> 32) & DESC_L_MASK) != 0;
}

static inline uint32_t d_limit(uint64_t d)
{
    uint32_t lim = (d & 0xffff) | ((d >> 32) & 0xf0000);
    return ((d >> 32) & DESC_G_MASK) ? (lim << 12) | 0xfff : lim;
}

static inline uint64_t d_base(uint64_t d)
{
    return ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000u);
}

static void cache_from_desc(SegmentCache *sc, uint32_t sel, uint64_t d)
{
    sc->selector = sel;
    sc->base = d_base(d);
    sc->limit = d_limit(d);
    sc->flags = (d >> 32) & 0x00f0ff00u;
}

/* The real-mode and v86 view of a segment register (SDM Vol 3 §20.1.1):
 * v86 segments are 64 KiB read/write at DPL 3; real mode keeps the hidden
 * limit and attributes ("unreal" mode). */
static void seg_load_real(CPUX86State *env, int seg, uint32_t sel)
{
    SegmentCache *sc = &env->segs[seg];
    sc->selector = sel & 0xffff;
    sc->base = (uint64_t)(sel & 0xffff) << 4;
    if (v86(env)) {
        sc->limit = 0xffff;
        sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK |
                    (3 << DESC_DPL_SHIFT) | (seg == R_CS ? DESC_CS_MASK : 0);
    }
}

bool x86_canonical(CPUX86State *env, uint64_t a)
{
    int bits = (env->cr[4] & CR4_LA57) ? 57 : 48;
    return (uint64_t)((int64_t)(a << (64 - bits)) >> (64 - bits)) == a;
}

static inline uint64_t sz_mask(int size)
{
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static void reg_write_masked(CPUX86State *env, int r, uint64_t v, uint64_t m)
{
    if (m == 0xffffffffull) {
        env->regs[r] = v & m;
    } else {
        env->regs[r] = (env->regs[r] & ~m) | (v & m);
    }
}

static uint64_t kld(CPUX86State *env, uint64_t a, int size, uintptr_t ra)
{
    return x86_ld_mmu(env, a, size, x86_mmu_implicit(env), ra);     /* GDT, IDT, TSS */
}

static void kst(CPUX86State *env, uint64_t a, uint64_t v, int size, uintptr_t ra)
{
    x86_st_mmu(env, a, v, size, x86_mmu_implicit(env), ra);
}

/* ---- a stack being built or unwound before it is committed ---- */

typedef struct SegStack {
    uint64_t base;
    uint64_t sp;
    uint64_t mask;          /* 0xffff, 0xffffffff or ~0 (64-bit: base ignored) */
    int mmu;
} SegStack;

static uint64_t ss_mask(CPUX86State *env)
{
    if (code64(env)) {
        return ~0ull;
    }
    return (pe(env) && (env->segs[R_SS].flags & DESC_B_MASK)) ? 0xffffffffull : 0xffff;
}

static SegStack stack_cur(CPUX86State *env, int mmu)
{
    SegStack k = { .base = env->segs[R_SS].base, .mask = ss_mask(env), .mmu = mmu };
    k.sp = env->regs[R_ESP] & k.mask;
    return k;
}

static uint64_t stack_lin(const SegStack *k, uint64_t sp)
{
    if (k->mask == ~0ull) {
        return sp;
    }
    return (k->base + (sp & k->mask)) & 0xffffffffull;
}

static void spush(CPUX86State *env, SegStack *k, uint64_t v, int size, uintptr_t ra)
{
    k->sp = (k->sp - size) & k->mask;
    x86_st_mmu(env, stack_lin(k, k->sp), v & sz_mask(size), size, k->mmu, ra);
}

static uint64_t spop(CPUX86State *env, SegStack *k, int size, uintptr_t ra)
{
    uint64_t v = x86_ld_mmu(env, stack_lin(k, k->sp), size, k->mmu, ra);
    k->sp = (k->sp + size) & k->mask;
    return v;
}

static int cur_mmu(CPUX86State *env)
{
    return x86_cpl(env) == 3 ? MMU_USER : MMU_SUP;
}

/* ---- descriptor tables ---- */

/* Linear address of sel's descriptor (size bytes), false past the table limit. */
static bool desc_addr(CPUX86State *env, uint32_t sel, int size, uint64_t *addr)
{
    const SegmentCache *ldt = &env->ldt;
    uint64_t base = (sel & 4) ? ldt->base : env->gdt.base;
    uint32_t limit = (sel & 4) ? ldt->limit : env->gdt.limit;
    if ((sel & 4) && !(ldt->selector & ~3u)) {
        return false;
    }
    if ((sel & ~7u) + (uint32_t)size - 1 > limit) {
        return false;
    }
    *addr = base + (sel & ~7u);
    if (!lma(env)) {
        *addr &= 0xffffffffull;
    }
    return true;
}

/* The descriptor of sel; vec(sel | ext) past the table limit. */
static uint64_t desc_read(CPUX86State *env, uint32_t sel, int vec, uint32_t ext,
                          uintptr_t ra)
{
    uint64_t a;
    if (!desc_addr(env, sel, 8, &a)) {
        x86_raise(env, vec, (sel & ~3u) | ext, ra);
    }
    return kld(env, a, 8, ra);
}

/* Loading a segment register sets the descriptor's accessed bit (§3.4.5.1). */
static void desc_set_accessed(CPUX86State *env, uint32_t sel, uint64_t d, uintptr_t ra)
{
    uint64_t a;
    if (!(d & (1ull << 40)) && desc_addr(env, sel, 8, &a)) {
        kst(env, a + 5, (d >> 40) | 1, 1, ra);
    }
}

/* A null SS in IA-32e mode still carries the RPL (= CPL) it was loaded with. */
static void ss_null(CPUX86State *env, uint32_t sel)
{
    SegmentCache *sc = &env->segs[R_SS];
    sc->selector = sel & 3;
    sc->base = 0;
    sc->limit = 0xffffffff;
    sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK | DESC_B_MASK |
                ((sel & 3) << DESC_DPL_SHIFT);
}

/* MOV/POP Sreg, LDS...: the protected-mode checks (SDM Vol 2B MOV). */
static void load_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra)
{
    SegmentCache *sc = &env->segs[seg];
    int cpl = x86_cpl(env), rpl = sel & 3;

    sel &= 0xffff;
    if (!pe(env) || v86(env)) {
        seg_load_real(env, seg, sel);
        return;
    }
    if ((sel & ~3u) == 0) {
        if (seg == R_SS) {
            if (!(code64(env) && cpl != 3 && rpl == cpl)) {
                x86_raise(env, EXC_GP, 0, ra);
            }
            ss_null(env, sel);
            return;
        }
        /* A null data segment faults on use (not modelled: no limit checks).
         * The base is cleared too, FS/GS included, as Intel CPUs do (Linux
         * probes this: X86_BUG_NULL_SEG is the AMD behaviour). */
        sc->selector = sel;
        sc->flags = 0;
        sc->limit = 0;
        sc->base = 0;
        return;
    }
    uint64_t d = desc_read(env, sel, EXC_GP, 0, ra);
    int dpl = d_dpl(d);
    if (seg == R_SS) {
        if (rpl != cpl || dpl != cpl || !d_wdata(d)) {
            x86_raise(env, EXC_GP, sel & ~3u, ra);
        }
        if (!d_present(d)) {
            x86_raise(env, EXC_SS, sel & ~3u, ra);
        }
    } else {
        if (!d_s(d) || (d_code(d) && !(d_type(d) & 2))) {
            x86_raise(env, EXC_GP, sel & ~3u, ra);
        }
        if (!d_conforming(d) && (rpl > dpl || cpl > dpl)) {
            x86_raise(env, EXC_GP, sel & ~3u, ra);
        }
        if (!d_present(d)) {
            x86_raise(env, EXC_NP, sel & ~3u, ra);
        }
    }
    desc_set_accessed(env, sel, d, ra);
    cache_from_desc(sc, sel, d | (1ull << 40));
}

void helper_load_seg(CPUX86State *env, uint64_t seg, uint64_t sel)
{
    load_seg(env, seg, sel, RA(env));
}

/* After a return to an outer level, segment registers the new CPL may not use
 * become null (SDM Vol 3 §5.8.6 step 5). Null FS/GS keep their 64-bit bases. */
static void nullify_outer(CPUX86State *env, int cpl)
{
    static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
    for (int i = 0; i < 4; i++) {
        SegmentCache *sc = &env->segs[segs[i]];
        uint32_t f = sc->flags;
        int dpl = (f >> DESC_DPL_SHIFT) & 3;
        if (!(sc->selector & ~3u)) {
            continue;
        }
        if ((f & DESC_CS_MASK) && (f & DESC_C_MASK)) {
            continue;
        }
        if (dpl < cpl) {
            sc->selector = 0;
            sc->flags &= ~(uint32_t)DESC_P_MASK;
        }
    }
}

/* #GP(0) if rip is outside the target code segment (non-canonical in 64-bit). */
static void check_rip(CPUX86State *env, uint64_t d, uint64_t rip, uintptr_t ra)
{
    if (lma(env) && d_code64(d)) {
        if (!x86_canonical(env, rip)) {
            x86_raise(env, EXC_GP, 0, ra);
        }
    } else if (rip > d_limit(d)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
}

static void commit_cs(CPUX86State *env, uint32_t sel, uint64_t d, int cpl, uint64_t rip,
                      uintptr_t ra)
{
    desc_set_accessed(env, sel, d, ra);
    cache_from_desc(&env->segs[R_CS], (sel & ~3u) | (uint32_t)cpl, d | (1ull << 40));
    env->rip = rip;
}

/* ---- the TSS ---- */

static bool tss32(CPUX86State *env)
{
    int t = (env->tr.flags >> DESC_TYPE_SHIFT) & 15;
    return t == DESC_TYPE_TSS_AVAIL || t == DESC_TYPE_TSS_BUSY;
}

/* The stack for privilege level dpl from the current TSS (SDM Vol 3 §7.2.1,
 * Figures 7-2 and 7-11); a TSS too small for it is #TS(TR). */
static void tss_stack(CPUX86State *env, int dpl, uint32_t *ss, uint64_t *sp,
                      uint32_t ext, uintptr_t ra)
{
    SegmentCache *tr = &env->tr;
    bool t32 = tss32(env);
    uint32_t off = t32 ? 4 + dpl * 8 : 2 + dpl * 4;
    uint32_t len = t32 ? 8 : 4;
    if (!(tr->flags & DESC_P_MASK) || off + len - 1 > tr->limit) {
        x86_raise(env, EXC_TS, (tr->selector & ~3u) | ext, ra);
    }
    if (t32) {
        *sp = kld(env, tr->base + off, 4, ra);
        *ss = kld(env, tr->base + off + 4, 2, ra);
    } else {
        *sp = kld(env, tr->base + off, 2, ra);
        *ss = kld(env, tr->base + off + 2, 2, ra);
    }
}

/* A 64-bit TSS slot: RSP0-2 (index 0-2) or IST1-7 (index 4-10). */
static uint64_t tss64_slot(CPUX86State *env, int index, uint32_t ext, uintptr_t ra)
{
    SegmentCache *tr = &env->tr;
    uint32_t off = 4 + index * 8;
    if (!(tr->flags & DESC_P_MASK) || off + 7 > tr->limit) {
        x86_raise(env, EXC_TS, (tr->selector & ~3u) | ext, ra);
    }
    return kld(env, tr->base + off, 8, ra);
}

/* The SS a privilege change switches to must be a present writable data
 * segment at exactly the new level (SDM Vol 3 §6.12.1, §5.8.5). */
static uint64_t check_new_ss(CPUX86State *env, uint32_t ss, int dpl, uint32_t ext,
                             uintptr_t ra)
{
    if (!(ss & ~3u)) {
        x86_raise(env, EXC_TS, ext, ra);
    }
    uint64_t d = desc_read(env, ss, EXC_TS, ext, ra);
    if ((int)(ss & 3) != dpl || d_dpl(d) != dpl || !d_wdata(d)) {
        x86_raise(env, EXC_TS, (ss & ~3u) | ext, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_SS, (ss & ~3u) | ext, ra);
    }
    return d;
}

static SegStack stack_from_desc(CPUX86State *env, uint64_t d, uint64_t sp)
{
    SegStack k = { .base = d_base(d), .mmu = MMU_SUP };
    k.mask = ((d >> 32) & DESC_B_MASK) ? 0xffffffffull : 0xffff;
    k.sp = sp & k.mask;
    if (d_dpl(d) == 3) {
        k.mmu = MMU_USER;
    }
    return k;
}

/* ---- task switching (SDM Vol 3 §7.3) ---- */

static void tss_set_busy(CPUX86State *env, uint32_t sel, bool busy, uintptr_t ra)
{
    uint64_t a;
    if (desc_addr(env, sel & ~4u, 8, &a)) {
        uint32_t hi = kld(env, a + 4, 4, ra);
        hi = busy ? hi | (2u << 8) : hi & ~(2u << 8);
        kst(env, a + 4, hi, 4, ra);
    }
}

/* A segment register of the new task; faults are #TS(sel) (or #NP/#SS), raised
 * in the context of the new task. */
static void task_load_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra)
{
    int cpl = env->segs[R_CS].selector & 3, rpl = sel & 3;
    SegmentCache *sc = &env->segs[seg];

    if (!(sel & ~3u)) {
        if (seg == R_CS || seg == R_SS) {
            x86_raise(env, EXC_TS, sel & ~3u, ra);
        }
        sc->selector = sel;
        sc->flags = 0;
        sc->base = 0;
        sc->limit = 0;
        return;
    }
    uint64_t d = desc_read(env, sel, EXC_TS, 0, ra);
    int dpl = d_dpl(d);
    bool ok;
    if (seg == R_CS) {
        ok = d_code(d) && (d_conforming(d) ? dpl <= rpl : dpl == rpl);
    } else if (seg == R_SS) {
        ok = d_wdata(d) && dpl == cpl && rpl == cpl;
    } else {
        ok = d_s(d) && (!d_code(d) || (d_type(d) & 2)) &&
             (d_conforming(d) || (dpl >= cpl && dpl >= rpl));
    }
    if (!ok) {
        x86_raise(env, EXC_TS, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, seg == R_SS ? EXC_SS : EXC_NP, sel & ~3u, ra);
    }
    desc_set_accessed(env, sel, d, ra);
    cache_from_desc(sc, sel, d | (1ull << 40));
}

/*
 * Switch to the task whose TSS (32- or 16-bit) selector is sel. src says why (JMP,
 * CALL/interrupt, IRET) which decides busy bits, the back link and NT;
 * ret_ip is the EIP saved in the outgoing task.
 */
static void task_switch(CPUX86State *env, uint32_t sel, int src, uint64_t ret_ip,
                        uint32_t ext, uintptr_t ra)
{
    uint64_t da;
    int bad = src == TS_IRET ? EXC_TS : EXC_GP;
    /* The new task in 32-bit TSS order (Figure 7-2): dword i at offset 4*i. */
    uint32_t nt[26] = { 0 };

    sel &= 0xffff;
    if ((sel & 4) || !desc_addr(env, sel, 8, &da)) {
        x86_raise(env, bad, (sel & ~3u) | ext, ra);
    }
    uint64_t d = kld(env, da, 8, ra);
    int type = d_type(d);
    bool n16 = !(type & 8);
    if (d_s(d) || (type & 7) != (src == TS_IRET ? 3 : 1)) {
        x86_raise(env, bad, (sel & ~3u) | ext, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, (sel & ~3u) | ext, ra);
    }
    if (d_limit(d) < (n16 ? 0x2bu : 0x67u)) {
        x86_raise(env, EXC_TS, (sel & ~3u) | ext, ra);
    }
    int otype = (env->tr.flags >> DESC_TYPE_SHIFT) & 15;
    bool o16 = !(otype & 8);
    if (!(env->tr.flags & DESC_P_MASK) || (otype & 7) != 3 ||
        env->tr.limit < (o16 ? 0x29u : 0x5fu)) {
        x86_raise(env, EXC_TS, (env->tr.selector & ~3u) | ext, ra);
    }
    uint64_t nbase = d_base(d), obase = env->tr.base;
    /* Read all of the new TSS first: a #PF here leaves the old task intact.
     * A 16-bit TSS (Figure 7-11) has no CR3, FS or GS: those load as 0. */
    if (n16) {
        nt[8] = kld(env, nbase + 14, 2, ra);
        nt[9] = kld(env, nbase + 16, 2, ra);
        for (int i = 0; i < 8; i++) {
            nt[10 + i] = kld(env, nbase + 18 + i * 2, 2, ra);
        }
        for (int i = 0; i < 4; i++) {
            nt[18 + i] = kld(env, nbase + 34 + i * 2, 2, ra);
        }
        nt[24] = kld(env, nbase + 42, 2, ra);
    } else {
        for (int i = 0; i < 26; i++) {
            nt[i] = kld(env, nbase + i * 4, 4, ra);
        }
    }
    /* Save the outgoing task (dynamic fields only). */
    uint64_t fl = x86_get_eflags(env);
    if (src == TS_IRET) {
        fl &= ~(uint64_t)NT_MASK;
    }
    if (o16) {
        kst(env, obase + 14, ret_ip, 2, ra);
        kst(env, obase + 16, fl, 2, ra);
        for (int i = 0; i < 8; i++) {
            kst(env, obase + 18 + i * 2, env->regs[i], 2, ra);
        }
        for (int i = 0; i < 4; i++) {
            kst(env, obase + 34 + i * 2, env->segs[i].selector, 2, ra);
        }
    } else {
        kst(env, obase + 0x20, ret_ip, 4, ra);
        kst(env, obase + 0x24, fl, 4, ra);
        for (int i = 0; i < 8; i++) {
            kst(env, obase + 0x28 + i * 4, env->regs[i], 4, ra);
        }
        for (int i = 0; i < 6; i++) {
            kst(env, obase + 0x48 + i * 4, env->segs[i].selector, 2, ra);
        }
    }
    if (src == TS_JMP || src == TS_IRET) {
        tss_set_busy(env, env->tr.selector, false, ra);
    }
    uint32_t nfl = nt[9];
    if (src != TS_IRET) {
        tss_set_busy(env, sel, true, ra);
    }
    if (src == TS_CALL) {
        kst(env, nbase, env->tr.selector, 2, ra);
        nfl |= NT_MASK;
    }
    /* Commit: from here on faults belong to the new task. */
    cache_from_desc(&env->tr, sel, d | (2ull << 40));
    env->cr[0] |= CR0_TS;
    if ((env->cr[0] & CR0_PG) && !n16) {
        env->cr[3] = nt[7];
        x86_tlb_flush(env);
    }
    if (n16) {
        /* Only FLAGS and the low words of the registers are in the TSS. */
        uint64_t keep = env->rflags & ~(0xffffull | VM_MASK);
        env->rflags = keep | (nfl & 0x7fd7u) | 2;
        for (int i = 0; i < 8; i++) {
            env->regs[i] = (env->regs[i] & 0xffff0000u) | nt[10 + i];
        }
    } else {
        env->rflags = (nfl & 0x3f7fd7u) | 2;
        for (int i = 0; i < 8; i++) {
            env->regs[i] = nt[10 + i];
        }
    }
    env->cc_op = CC_OP_EFLAGS;
    env->rip = nt[8];
    for (int i = 0; i < 6; i++) {
        env->segs[i].selector = nt[18 + i] & 0xffff;
    }
    uint32_t ldt = nt[24] & 0xffff;
    env->ldt.selector = 0;
    if (ldt & ~3u) {
        uint64_t la;
        if ((ldt & 4) || !desc_addr(env, ldt, 8, &la)) {
            x86_raise(env, EXC_TS, ldt & ~3u, ra);
        }
        uint64_t ld = kld(env, la, 8, ra);
        if (d_s(ld) || d_type(ld) != DESC_TYPE_LDT) {
            x86_raise(env, EXC_TS, ldt & ~3u, ra);
        }
        if (!d_present(ld)) {
            x86_raise(env, EXC_TS, ldt & ~3u, ra);
        }
        cache_from_desc(&env->ldt, ldt, ld);
    } else {
        memset(&env->ldt, 0, sizeof(env->ldt));
    }
    if (env->rflags & VM_MASK) {
        for (int i = 0; i < 6; i++) {
            seg_load_real(env, i, nt[18 + i]);
        }
    } else {
        task_load_seg(env, R_CS, nt[19] & 0xffff, ra);
        task_load_seg(env, R_SS, nt[20] & 0xffff, ra);
        task_load_seg(env, R_ES, nt[18] & 0xffff, ra);
        task_load_seg(env, R_DS, nt[21] & 0xffff, ra);
        task_load_seg(env, R_FS, nt[22] & 0xffff, ra);
        task_load_seg(env, R_GS, nt[23] & 0xffff, ra);
    }
}

/* ---- far JMP / CALL / RET ---- */

typedef struct Gate {
    uint32_t sel;
    uint64_t off;
    int type, dpl, count;
} Gate;

/* Decode a call gate (16 bytes in IA-32e mode, whose upper type must be 0). */
static void gate_read(CPUX86State *env, uint32_t gsel, uint64_t d, Gate *g, uintptr_t ra)
{
    g->sel = (d >> 16) & 0xffff;
    g->off = (d & 0xffff) | ((d >> 32) & 0xffff0000u);
    g->type = d_type(d);
    g->dpl = d_dpl(d);
    g->count = (d >> 32) & 31;
    if (g->type == 4) {
        g->off &= 0xffff;
    }
    if (lma(env)) {
        uint64_t a;
        if (!desc_addr(env, gsel, 16, &a)) {
            x86_raise(env, EXC_GP, gsel & ~3u, ra);
        }
        uint64_t hi = kld(env, a + 8, 8, ra);
        if ((hi >> 40) & 0x1f) {
            x86_raise(env, EXC_GP, gsel & ~3u, ra);
        }
        g->off |= (hi & 0xffffffffull) << 32;
    }
}

/* Checks on a call gate's target code segment; returns its descriptor. */
static uint64_t gate_target(CPUX86State *env, const Gate *g, int cpl, uintptr_t ra)
{
    if (!(g->sel & ~3u)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint64_t cd = desc_read(env, g->sel, EXC_GP, 0, ra);
    if (!d_code(cd) || d_dpl(cd) > cpl) {
        x86_raise(env, EXC_GP, g->sel & ~3u, ra);
    }
    if (!d_present(cd)) {
        x86_raise(env, EXC_NP, g->sel & ~3u, ra);
    }
    if (lma(env) && !(d_code64(cd) && !((cd >> 32) & DESC_B_MASK))) {
        x86_raise(env, EXC_GP, g->sel & ~3u, ra);
    }
    return cd;
}

/* Direct far JMP/CALL to a code segment (SDM Vol 3 §5.8.1-5.8.2). */
static void check_code_direct(CPUX86State *env, uint32_t sel, uint64_t d, int cpl,
                              uintptr_t ra)
{
    int rpl = sel & 3, dpl = d_dpl(d);
    if (!d_code(d)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (d_conforming(d) ? dpl > cpl : (rpl > cpl || dpl != cpl)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, sel & ~3u, ra);
    }
    if (lma(env) && d_code64(d) && ((d >> 32) & DESC_B_MASK)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
}

/* A system descriptor a far JMP/CALL names: task gate or TSS (task switch). */
static bool far_task(CPUX86State *env, uint32_t sel, uint64_t d, int cpl, int src,
                     uint64_t next, uintptr_t ra)
{
    int type = d_type(d), dpl = d_dpl(d);
    if (lma(env) || (type != DESC_TYPE_TSS_AVAIL && type != 5 && type != 1)) {
        return false;
    }
    if (dpl < cpl || dpl < (int)(sel & 3)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, sel & ~3u, ra);
    }
    task_switch(env, type == 5 ? (uint32_t)(d >> 16) & 0xffff : sel, src, next, 0, ra);
    return true;
}

static bool is_call_gate(CPUX86State *env, uint64_t d)
{
    return !d_s(d) && (lma(env) ? d_type(d) == 12 : (d_type(d) == 4 || d_type(d) == 12));
}

void helper_ljmp(CPUX86State *env, uint64_t sel, uint64_t off, uint64_t next)
{
    uintptr_t ra = RA(env);
    int cpl = x86_cpl(env);

    sel &= 0xffff;
    if (!pe(env) || v86(env)) {
        seg_load_real(env, R_CS, sel);
        env->rip = off;
        return;
    }
    if (!(sel & ~3u)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint64_t d = desc_read(env, sel, EXC_GP, 0, ra);
    if (d_s(d)) {
        check_code_direct(env, sel, d, cpl, ra);
        check_rip(env, d, off, ra);
        commit_cs(env, sel, d, cpl, off, ra);
        return;
    }
    if (far_task(env, sel, d, cpl, TS_JMP, next, ra)) {
        return;
    }
    if (!is_call_gate(env, d)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    Gate g;
    if (d_dpl(d) < cpl || d_dpl(d) < (int)(sel & 3)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, sel & ~3u, ra);
    }
    gate_read(env, sel, d, &g, ra);
    uint64_t cd = gate_target(env, &g, cpl, ra);
    /* JMP never changes privilege: a non-conforming target must be at CPL. */
    if (!d_conforming(cd) && d_dpl(cd) != cpl) {
        x86_raise(env, EXC_GP, g.sel & ~3u, ra);
    }
    check_rip(env, cd, g.off, ra);
    commit_cs(env, g.sel, cd, cpl, g.off, ra);
}

void helper_lcall(CPUX86State *env, uint64_t sel, uint64_t off, uint64_t lg,
                  uint64_t next)
{
    uintptr_t ra = RA(env);
    int size = 1 << lg, cpl = x86_cpl(env);
    uint16_t old_cs = env->segs[R_CS].selector;
    SegStack k = stack_cur(env, cur_mmu(env));

    sel &= 0xffff;
    if (!pe(env) || v86(env)) {
        spush(env, &k, old_cs, size, ra);
        spush(env, &k, next, size, ra);
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        seg_load_real(env, R_CS, sel);
        env->rip = off;
        return;
    }
    if (!(sel & ~3u)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint64_t d = desc_read(env, sel, EXC_GP, 0, ra);
    if (d_s(d)) {
        check_code_direct(env, sel, d, cpl, ra);
        check_rip(env, d, off, ra);
        spush(env, &k, old_cs, size, ra);
        spush(env, &k, next, size, ra);
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        commit_cs(env, sel, d, cpl, off, ra);
        return;
    }
    if (far_task(env, sel, d, cpl, TS_CALL, next, ra)) {
        return;
    }
    if (!is_call_gate(env, d)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (d_dpl(d) < cpl || d_dpl(d) < (int)(sel & 3)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, sel & ~3u, ra);
    }
    Gate g;
    gate_read(env, sel, d, &g, ra);
    uint64_t cd = gate_target(env, &g, cpl, ra);
    int gsize = lma(env) ? 8 : g.type == 12 ? 4 : 2;
    int ncpl = d_conforming(cd) ? cpl : d_dpl(cd);
    check_rip(env, cd, g.off, ra);

    if (ncpl == cpl) {
        spush(env, &k, old_cs, gsize, ra);
        spush(env, &k, next, gsize, ra);
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        commit_cs(env, g.sel, cd, cpl, g.off, ra);
        return;
    }
    /* More privileged: the stack of level ncpl from the TSS (§5.8.5). */
    uint64_t old_sp = env->regs[R_ESP], nsp, ssd = 0;
    uint32_t old_ss = env->segs[R_SS].selector, nss;
    SegStack n;
    if (lma(env)) {
        nsp = tss64_slot(env, ncpl, 0, ra);
        if (!x86_canonical(env, nsp)) {
            x86_raise(env, EXC_SS, 0, ra);
        }
        nss = ncpl;
        n = (SegStack){ .base = 0, .sp = nsp, .mask = ~0ull, .mmu = MMU_SUP };
        spush(env, &n, old_ss, 8, ra);
        spush(env, &n, old_sp, 8, ra);
    } else {
        tss_stack(env, ncpl, &nss, &nsp, 0, ra);
        ssd = check_new_ss(env, nss, ncpl, 0, ra);
        n = stack_from_desc(env, ssd, nsp);
        spush(env, &n, old_ss, gsize, ra);
        spush(env, &n, old_sp & k.mask, gsize, ra);
        /* Parameters keep their order: the deepest one is copied first. */
        for (int i = g.count - 1; i >= 0; i--) {
            uint64_t v = x86_ld_mmu(env, stack_lin(&k, k.sp + i * gsize), gsize,
                                    k.mmu, ra);
            spush(env, &n, v, gsize, ra);
        }
    }
    spush(env, &n, old_cs, gsize, ra);
    spush(env, &n, next, gsize, ra);
    if (lma(env)) {
        ss_null(env, nss);
    } else {
        desc_set_accessed(env, nss, ssd, ra);
        cache_from_desc(&env->segs[R_SS], nss, ssd | (1ull << 40));
    }
    reg_write_masked(env, R_ESP, n.sp, n.mask);
    commit_cs(env, g.sel, cd, ncpl, g.off, ra);
}

/*
 * The checks RET far and IRET share on the popped CS and, for a return to an
 * outer level, SS (SDM Vol 2B RET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
 */
static uint64_t ret_check_cs(CPUX86State *env, uint32_t cs, int cpl, uintptr_t ra)
{
    int rpl = cs & 3;
    if (!(cs & ~3u)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint64_t d = desc_read(env, cs, EXC_GP, 0, ra);
    if (rpl < cpl || !d_code(d) ||
        (d_conforming(d) ? d_dpl(d) > rpl : d_dpl(d) != rpl)) {
        x86_raise(env, EXC_GP, cs & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, cs & ~3u, ra);
    }
    if (lma(env) && d_code64(d) && ((d >> 32) & DESC_B_MASK)) {
        x86_raise(env, EXC_GP, cs & ~3u, ra);
    }
    return d;
}

/* Returns the SS descriptor, or 0 for a null SS that 64-bit mode allows. */
static uint64_t ret_check_ss(CPUX86State *env, uint32_t ss, int rpl, uint64_t csd,
                             uintptr_t ra)
{
    if (!(ss & ~3u)) {
        if (lma(env) && d_code64(csd) && rpl != 3) {
            return 0;
        }
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint64_t d = desc_read(env, ss, EXC_GP, 0, ra);
    if ((int)(ss & 3) != rpl || d_dpl(d) != rpl || !d_wdata(d)) {
        x86_raise(env, EXC_GP, ss & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_SS, ss & ~3u, ra);
    }
    return d;
}

static void commit_ss(CPUX86State *env, uint32_t ss, uint64_t d, uint64_t sp,
                      bool to64, uintptr_t ra)
{
    if (!d) {
        ss_null(env, ss);
    } else {
        desc_set_accessed(env, ss, d, ra);
        cache_from_desc(&env->segs[R_SS], ss, d | (1ull << 40));
    }
    if (to64) {
        env->regs[R_ESP] = sp;
    } else {
        bool b32 = (d >> 32) & DESC_B_MASK;
        reg_write_masked(env, R_ESP, sp, b32 ? 0xffffffffull : 0xffff);
    }
}

void helper_lret(CPUX86State *env, uint64_t lg, uint64_t imm)
{
    uintptr_t ra = RA(env);
    int size = 1 << lg, cpl = x86_cpl(env);
    SegStack k = stack_cur(env, cur_mmu(env));
    uint64_t ip = spop(env, &k, size, ra);
    uint32_t cs = spop(env, &k, size, ra) & 0xffff;

    if (!pe(env) || v86(env)) {
        k.sp = (k.sp + imm) & k.mask;
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        seg_load_real(env, R_CS, cs);
        env->rip = ip;
        return;
    }
    uint64_t d = ret_check_cs(env, cs, cpl, ra);
    int rpl = cs & 3;
    bool to64 = lma(env) && d_code64(d);
    check_rip(env, d, ip, ra);
    k.sp = (k.sp + imm) & k.mask;
    if (rpl == cpl) {
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        commit_cs(env, cs, d, rpl, ip, ra);
        return;
    }
    uint64_t sp = spop(env, &k, size, ra);
    uint32_t ss = spop(env, &k, size, ra) & 0xffff;
    uint64_t ssd = ret_check_ss(env, ss, rpl, d, ra);
    /* Both accessed bits first: a fault there leaves nothing half done. */
    if (ssd) {
        desc_set_accessed(env, ss, ssd, ra);
    }
    commit_cs(env, cs, d, rpl, ip, ra);
    commit_ss(env, ss, ssd, sp + imm, to64, ra);
    nullify_outer(env, rpl);
}

/* Which flags a POPF/IRET at this CPL and IOPL may change (SDM Vol 2B POPF). */
static uint64_t eflags_mask(CPUX86State *env, int cpl, int size)
{
    uint64_t m = CC_ARITH | TF_MASK | DF_MASK | NT_MASK | AC_MASK | ID_MASK;
    if (cpl <= iopl(env)) {
        m |= IF_MASK;
    }
    if (cpl == 0) {
        m |= IOPL_MASK;
    }
    return size == 2 ? m & 0xffff : m;
}

/* IRET back to virtual-8086 mode (SDM Vol 2A IRET "RETURN-TO-VIRTUAL-8086-MODE"). */
static void iret_to_v86(CPUX86State *env, SegStack *k, uint64_t ip, uint32_t cs,
                        uint64_t fl, uintptr_t ra)
{
    uint64_t sp = spop(env, k, 4, ra);
    uint32_t ss = spop(env, k, 4, ra), es = spop(env, k, 4, ra);
    uint32_t ds = spop(env, k, 4, ra), fs = spop(env, k, 4, ra);
    uint32_t gs = spop(env, k, 4, ra);
    env->rflags = (fl & 0x3f7fd7u) | 2 | VM_MASK;
    env->cc_op = CC_OP_EFLAGS;
    seg_load_real(env, R_CS, cs);
    seg_load_real(env, R_SS, ss);
    seg_load_real(env, R_ES, es);
    seg_load_real(env, R_DS, ds);
    seg_load_real(env, R_FS, fs);
    seg_load_real(env, R_GS, gs);
    env->regs[R_ESP] = sp & 0xffffffffull;
    env->rip = ip & 0xffff;
}

/* next: the EIP a task return saves for the outgoing task. */
void helper_iret(CPUX86State *env, uint64_t lg, uint64_t next)
{
    uintptr_t ra = RA(env);
    int size = 1 << lg, cpl = x86_cpl(env);

    env_cpu(env)->nmi_blocked = false;  /* IRET ends NMI blocking, even if it
                                         * then faults (SDM Vol 3 §6.7.1) */

    if (!pe(env)) {
        SegStack k = stack_cur(env, MMU_SUP);
        uint64_t ip = spop(env, &k, size, ra);
        uint32_t cs = spop(env, &k, size, ra) & 0xffff;
        uint64_t fl = spop(env, &k, size, ra);
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        seg_load_real(env, R_CS, cs);
        env->rip = ip;
        x86_set_eflags(env, fl, size == 2 ? 0xffff : 0x257fd5);
        return;
    }
    if (v86(env)) {
        /* Without VME, IRET in v86 mode is IOPL-sensitive (§20.2.7). */
        if (iopl(env) != 3) {
            x86_raise(env, EXC_GP, 0, ra);
        }
        SegStack k = stack_cur(env, MMU_USER);
        uint64_t ip = spop(env, &k, size, ra);
        uint32_t cs = spop(env, &k, size, ra) & 0xffff;
        uint64_t fl = spop(env, &k, size, ra);
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        seg_load_real(env, R_CS, cs);
        env->rip = ip & 0xffff;
        x86_set_eflags(env, fl, eflags_mask(env, 3, size) | RF_MASK);
        return;
    }
    if (env->rflags & NT_MASK) {
        if (lma(env)) {
            x86_raise(env, EXC_GP, 0, ra);
        }
        /* Return to the task in the back link (§7.3, step 1 for IRET). */
        uint32_t back = kld(env, env->tr.base, 2, ra);
        task_switch(env, back, TS_IRET, next, 0, ra);
        return;
    }
    SegStack k = stack_cur(env, cur_mmu(env));
    uint64_t ip = spop(env, &k, size, ra);
    uint32_t cs = spop(env, &k, size, ra) & 0xffff;
    uint64_t fl = spop(env, &k, size, ra);
    if ((fl & VM_MASK) && cpl == 0 && size == 4 && !lma(env)) {
        iret_to_v86(env, &k, ip, cs, fl, ra);
        return;
    }
    uint64_t d = ret_check_cs(env, cs, cpl, ra);
    int rpl = cs & 3;
    bool to64 = lma(env) && d_code64(d);
    uint64_t mask = eflags_mask(env, cpl, size) | RF_MASK;
    if (cpl == 0) {
        mask |= VIF_MASK | VIP_MASK;
    }
    check_rip(env, d, ip, ra);
    /* 64-bit mode IRET always pops SS:RSP (§6.14.3). */
    if (rpl == cpl && !code64(env)) {
        reg_write_masked(env, R_ESP, k.sp, k.mask);
        commit_cs(env, cs, d, rpl, ip, ra);
        x86_set_eflags(env, fl, mask);
        return;
    }
    uint64_t sp = spop(env, &k, size, ra);
    uint32_t ss = spop(env, &k, size, ra) & 0xffff;
    uint64_t ssd = ret_check_ss(env, ss, rpl, d, ra);
    /* Both accessed bits first: a fault there leaves nothing half done. */
    if (ssd) {
        desc_set_accessed(env, ss, ssd, ra);
    }
    commit_cs(env, cs, d, rpl, ip, ra);
    commit_ss(env, ss, ssd, sp, to64, ra);
    x86_set_eflags(env, fl, mask);
    if (rpl > cpl) {
        nullify_outer(env, rpl);
    }
}

/* ---- interrupts and exceptions ---- */

bool x86_exception_has_error(int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

/* Table 6-5: contributory = #DE #TS #NP #SS #GP; #PF its own class. */
static int exc_class(int vec)
{
    switch (vec) {
    case 0: case 10: case 11: case 12: case 13:
        return 1;
    case 14:
        return 2;
    default:
        return 0;
    }
}

int x86_nested_exception(int first, int second)
{
    int a = exc_class(first), b = exc_class(second);
    if ((a == 1 && b == 1) || (a == 2 && b != 0)) {
        return EXC_DF;
    }
    return second;
}

static void do_interrupt_real(CPUX86State *env, int vec, uint64_t ret_ip)
{
    uint64_t fl = x86_get_eflags(env);
    if ((uint32_t)vec * 4 + 3 > env->idt.limit) {
        x86_raise(env, EXC_GP, vec * 8 + 2, 0);
    }
    uint64_t ent = kld(env, env->idt.base + vec * 4, 4, 0);
    SegStack k = stack_cur(env, MMU_SUP);
    spush(env, &k, fl, 2, 0);
    spush(env, &k, env->segs[R_CS].selector, 2, 0);
    spush(env, &k, ret_ip, 2, 0);
    reg_write_masked(env, R_ESP, k.sp, k.mask);
    seg_load_real(env, R_CS, ent >> 16);
    env->rip = ent & 0xffff;
    env->rflags = fl & ~(uint64_t)(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
    env->cc_op = CC_OP_EFLAGS;
}

/*
 * Protected and IA-32e mode delivery (SDM Vol 3 §6.12, §6.14). soft: INT n,
 * INT3, INTO (the gate's DPL must allow the CPL; EXT = 0). ext is the EXT bit
 * of error codes this delivery itself raises.
 */
static void do_interrupt_prot(CPUX86State *env, int vec, bool soft, uint32_t ext,
                              bool has_err, uint32_t err, uint64_t ret_ip)
{
    bool lm = lma(env), from_vm = v86(env);
    int cpl = x86_cpl(env), gsz = lm ? 16 : 8;
    uint32_t gerr = vec * 8 + 2 + ext;

    if ((uint32_t)vec * gsz + gsz - 1 > env->idt.limit) {
        x86_raise(env, EXC_GP, gerr, 0);
    }
    uint64_t lo = kld(env, env->idt.base + vec * gsz, 8, 0);
    uint64_t hi = lm ? kld(env, env->idt.base + vec * gsz + 8, 8, 0) : 0;
    int type = d_type(lo), dpl = d_dpl(lo);
    bool ok = !d_s(lo) && (lm ? (type == 14 || type == 15)
                              : (type == 5 || type == 6 || type == 7 || type == 14 ||
                                 type == 15));
    if (!ok) {
        x86_raise(env, EXC_GP, gerr, 0);
    }
    if (soft && dpl < cpl) {
        x86_raise(env, EXC_GP, vec * 8 + 2, 0);
    }
    if (!d_present(lo)) {
        x86_raise(env, EXC_NP, gerr, 0);
    }
    if (type == 5) {
        task_switch(env, (lo >> 16) & 0xffff, TS_CALL, ret_ip, ext, 0);
        if (has_err) {
            SegStack k = stack_cur(env, cur_mmu(env));
            spush(env, &k, err, (env->segs[R_CS].flags & DESC_B_MASK) ? 4 : 2, 0);
            reg_write_masked(env, R_ESP, k.sp, k.mask);
        }
        return;
    }
    uint32_t sel = (lo >> 16) & 0xffff;
    uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000u) | (hi << 32);
    int ist = lm ? (lo >> 32) & 7 : 0;
    if (!(sel & ~3u)) {
        x86_raise(env, EXC_GP, ext, 0);
    }
    uint64_t cd = desc_read(env, sel, EXC_GP, ext, 0);
    if (!d_code(cd) || d_dpl(cd) > cpl) {
        x86_raise(env, EXC_GP, (sel & ~3u) | ext, 0);
    }
    if (!d_present(cd)) {
        x86_raise(env, EXC_NP, (sel & ~3u) | ext, 0);
    }
    if (lm && !(d_code64(cd) && !((cd >> 32) & DESC_B_MASK))) {
        x86_raise(env, EXC_GP, (sel & ~3u) | ext, 0);
    }
    int ncpl = d_conforming(cd) ? cpl : d_dpl(cd);
    if (from_vm && ncpl != 0) {
        x86_raise(env, EXC_GP, (sel & ~3u) | ext, 0);
    }
    bool sw = ncpl < cpl;
    int psz = lm ? 8 : (type & 8) ? 4 : 2;
    uint64_t fl = x86_get_eflags(env), ssd = 0;
    uint32_t old_ss = env->segs[R_SS].selector, nss = old_ss;
    uint64_t old_sp = env->regs[R_ESP];
    SegStack k;

    if (lm) {
        uint64_t sp = old_sp;
        if (ist) {
            sp = tss64_slot(env, 3 + ist, ext, 0);
        } else if (sw) {
            sp = tss64_slot(env, ncpl, ext, 0);
        }
        if (!x86_canonical(env, sp)) {
            x86_raise(env, EXC_SS, ext, 0);
        }
        k = (SegStack){ .sp = sp & ~15ull, .mask = ~0ull,
                        .mmu = ncpl == 3 ? MMU_USER : MMU_SUP };
        nss = sw ? (uint32_t)ncpl : old_ss;
        spush(env, &k, old_ss, 8, 0);
        spush(env, &k, old_sp, 8, 0);
    } else if (sw) {
        uint64_t sp;
        tss_stack(env, ncpl, &nss, &sp, ext, 0);
        ssd = check_new_ss(env, nss, ncpl, ext, 0);
        k = stack_from_desc(env, ssd, sp);
        if (from_vm) {
            spush(env, &k, env->segs[R_GS].selector, psz, 0);
            spush(env, &k, env->segs[R_FS].selector, psz, 0);
            spush(env, &k, env->segs[R_DS].selector, psz, 0);
            spush(env, &k, env->segs[R_ES].selector, psz, 0);
        }
        spush(env, &k, old_ss, psz, 0);
        spush(env, &k, old_sp, psz, 0);
    } else {
        k = stack_cur(env, ncpl == 3 ? MMU_USER : MMU_SUP);
    }
    spush(env, &k, fl, psz, 0);
    spush(env, &k, env->segs[R_CS].selector, psz, 0);
    spush(env, &k, ret_ip, psz, 0);
    if (has_err) {
        spush(env, &k, err, psz, 0);
    }
    /* Commit. */
    if (lm) {
        if (sw) {
            ss_null(env, nss);
        }
        env->regs[R_ESP] = k.sp;
    } else if (sw) {
        desc_set_accessed(env, nss, ssd, 0);
        cache_from_desc(&env->segs[R_SS], nss, ssd | (1ull << 40));
        reg_write_masked(env, R_ESP, k.sp, k.mask);
    } else {
        reg_write_masked(env, R_ESP, k.sp, k.mask);
    }
    if (from_vm) {
        static const int segs[] = { R_ES, R_DS, R_FS, R_GS };
        for (int i = 0; i < 4; i++) {
            memset(&env->segs[segs[i]], 0, sizeof(SegmentCache));
        }
    }
    if (psz == 2) {
        off &= 0xffff;
    }
    commit_cs(env, sel, cd, ncpl, off, 0);
    fl &= ~(uint64_t)(TF_MASK | NT_MASK | RF_MASK | VM_MASK);
    if (!(type & 1)) {
        fl &= ~(uint64_t)IF_MASK;
    }
    env->rflags = fl | 2;
    env->cc_op = CC_OP_EFLAGS;
}

void x86_do_interrupt(CPUX86State *env, int vec, bool is_soft, bool has_err,
                      uint32_t err, uint64_t next_eip)
{
    uint64_t ret_ip = is_soft ? next_eip : env->rip;
    if (!pe(env)) {
        do_interrupt_real(env, vec, ret_ip);
        return;
    }
    do_interrupt_prot(env, vec, is_soft, is_soft ? 0 : 1, has_err, err, ret_ip);
}

/* INT n / INT3 from generated code: state is exact (rip set). */
void helper_raise(CPUX86State *env, uint64_t vec)
{
    x86_raise(env, vec, 0, 0);
}

void helper_int(CPUX86State *env, uint64_t vec, uint64_t next)
{
    /* INT n in v86 mode is IOPL-sensitive without VME (§20.2.7); INT3 too. */
    if (v86(env) && iopl(env) != 3) {
        x86_raise(env, EXC_GP, 0, 0);
    }
    x86_do_interrupt(env, vec, true, false, 0, next);
    x86_raise(env, EXCP_EXIT, 0, 0);
}

/* INTO: INT 4 when OF is set, a trap like INT n. */
void helper_into(CPUX86State *env, uint64_t next)
{
    if (!(x86_cc_compute(env) & CC_O)) {
        return;
    }
    if (v86(env) && iopl(env) != 3) {
        x86_raise(env, EXC_GP, 0, 0);
    }
    x86_do_interrupt(env, EXC_OF, true, false, 0, next);
    x86_raise(env, EXCP_EXIT, 0, 0);
}

/* INT1 (ICEBP): a #DB trap without the gate DPL check or v86 IOPL rule. */
void helper_int1(CPUX86State *env, uint64_t next)
{
    if (!pe(env)) {
        do_interrupt_real(env, EXC_DB, next);
    } else {
        do_interrupt_prot(env, EXC_DB, false, 1, false, 0, next);
    }
    x86_raise(env, EXCP_EXIT, 0, 0);
}

/* BOUND: #BR (a fault) when the signed index is outside [lower, upper]. */
void helper_bound(CPUX86State *env, uint64_t idx, uint64_t addr, uint64_t lg)
{
    uintptr_t ra = RA(env);
    int size = 1 << lg;
    int64_t lo, hi, i;
    uint64_t second = addr + size;
    if (!lma(env)) {
        second &= 0xffffffffull;
    }
    lo = (int64_t)x86_ld(env, addr, size, ra);
    hi = (int64_t)x86_ld(env, second, size, ra);
    i = (int64_t)idx;
    if (size == 2) {
        lo = (int16_t)lo;
        hi = (int16_t)hi;
        i = (int16_t)i;
    } else {
        lo = (int32_t)lo;
        hi = (int32_t)hi;
        i = (int32_t)i;
    }
    if (i < lo || i > hi) {
        x86_raise(env, EXC_BR, 0, ra);
    }
}

/* ---- LLDT / LTR ---- */

/* LLDT (which 0) / LTR (which 1): system descriptors, 16 bytes in long mode. */
void helper_load_sysseg(CPUX86State *env, uint64_t which, uint64_t sel)
{
    uintptr_t ra = RA(env);
    SegmentCache *sc = which ? &env->tr : &env->ldt;
    bool lm = lma(env);

    if (!pe(env) || v86(env)) {
        x86_raise(env, EXC_UD, 0, ra);
    }
    sel &= 0xffff;
    if ((sel & ~3u) == 0) {
        if (which) {
            x86_raise(env, EXC_GP, 0, ra);
        }
        memset(sc, 0, sizeof(*sc));
        return;
    }
    uint64_t daddr;
    if ((sel & 4) || !desc_addr(env, sel, lm ? 16 : 8, &daddr)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    uint64_t d = kld(env, daddr, 8, ra);
    uint32_t hi = d >> 32, type = d_type(d);
    if (d_s(d) || (which ? (type != DESC_TYPE_TSS_AVAIL && type != 1)
                         : type != DESC_TYPE_LDT)) {
        x86_raise(env, EXC_GP, sel & ~3u, ra);
    }
    if (!d_present(d)) {
        x86_raise(env, EXC_NP, sel & ~3u, ra);
    }
    uint64_t base_hi = lm ? kld(env, daddr + 8, 4, ra) : 0;
    cache_from_desc(sc, sel, d);
    sc->base |= base_hi << 32;
    if (which) {
        /* Mark the TSS busy, in memory and in the cache. */
        kst(env, daddr + 4, hi | (2u << 8), 4, ra);
        sc->flags |= 2u << 8;
    }
}

/* ---- IOPL and the I/O permission bitmap ---- */

void x86_check_io(CPUX86State *env, uint32_t port, int size, uintptr_t ra)
{
    if (!pe(env) || (!v86(env) && x86_cpl(env) <= iopl(env))) {
        return;
    }
    SegmentCache *tr = &env->tr;
    if (!tss32(env) || tr->limit < 0x67) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint32_t map = kld(env, tr->base + 0x66, 2, ra);
    uint32_t at = map + (port & 0xffff) / 8;
    if (at + 1 > tr->limit) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    uint32_t bits = kld(env, tr->base + at, 2, ra);
    if ((bits >> (port & 7)) & ((1u << size) - 1)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
}

void helper_check_iopl(CPUX86State *env)
{
    if (!pe(env)) {
        return;
    }
    if (v86(env) ? iopl(env) != 3 : x86_cpl(env) > iopl(env)) {
        x86_raise(env, EXC_GP, 0, RA(env));
    }
}

void helper_check_tsd(CPUX86State *env)
{
    if (env->cr[4] & CR4_TSD) {
        x86_raise(env, EXC_GP, 0, RA(env));
    }
}

void helper_popf(CPUX86State *env, uint64_t val, uint64_t lg)
{
    int size = 1 << lg, cpl = x86_cpl(env);
    uint64_t mask;
    if (v86(env)) {
        if (iopl(env) != 3) {
            x86_raise(env, EXC_GP, 0, RA(env));
        }
        mask = eflags_mask(env, 3, size);
    } else {
        mask = eflags_mask(env, pe(env) ? cpl : 0, size);
    }
    /* RF is cleared, VM VIF VIP never change (SDM Vol 2B POPF). */
    helper_write_eflags(env, val & ~(uint64_t)RF_MASK, mask | RF_MASK);
}

/* ---- fast system calls ---- */

static void flat_seg(SegmentCache *sc, uint32_t sel, bool code, int dpl, bool l)
{
    sc->selector = sel;
    sc->base = 0;
    sc->limit = 0xffffffff;
    sc->flags = DESC_P_MASK | DESC_S_MASK | DESC_G_MASK | DESC_A_MASK |
                ((uint32_t)dpl << DESC_DPL_SHIFT) | DESC_W_MASK |
                (code ? DESC_CS_MASK : 0) | (l ? DESC_L_MASK : DESC_B_MASK);
}

/* SYSCALL: #UD unless EFER.SCE; the target CS/SS come from STAR (Vol 2B). */
void helper_syscall(CPUX86State *env, uint64_t next)
{
    uint32_t sel = (env->star >> 32) & 0xffff;
    uint64_t fl = x86_get_eflags(env);

    if (!(env->efer & EFER_SCE) || !pe(env)) {
        x86_raise(env, EXC_UD, 0, RA(env));
    }
    if (lma(env)) {
        /* LSTAR from 64-bit mode, CSTAR from compatibility mode (chosen
         * before CS becomes the 64-bit kernel segment). */
        env->rip = code64(env) ? env->lstar : env->cstar;
        env->regs[R_ECX] = next;
        env->regs[R_R11] = fl & ~(uint64_t)RF_MASK;
        flat_seg(&env->segs[R_CS], sel & 0xfffc, true, 0, true);
        flat_seg(&env->segs[R_SS], (sel + 8) & 0xfffc, false, 0, false);
        fl &= ~(env->fmask | RF_MASK);
    } else {
        /* Legacy mode (AMD): EIP from STAR[31:0]. */
        env->regs[R_ECX] = next & 0xffffffffull;
        flat_seg(&env->segs[R_CS], sel & 0xfffc, true, 0, false);
        flat_seg(&env->segs[R_SS], (sel + 8) & 0xfffc, false, 0, false);
        env->rip = (uint32_t)env->star;
        fl &= ~(uint64_t)(IF_MASK | RF_MASK | VM_MASK);
    }
    env->rflags = fl | 2;
    env->cc_op = CC_OP_EFLAGS;
}

void helper_sysret(CPUX86State *env, uint64_t lg)
{
    uintptr_t ra = RA(env);
    uint32_t sel = (env->star >> 48) & 0xffff;

    if (!(env->efer & EFER_SCE)) {
        x86_raise(env, EXC_UD, 0, ra);
    }
    if (!pe(env) || x86_cpl(env) != 0) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    if (lma(env)) {
        uint64_t rip = lg == 3 ? env->regs[R_ECX] : (uint32_t)env->regs[R_ECX];
        if (lg == 3 && !x86_canonical(env, rip)) {
            x86_raise(env, EXC_GP, 0, ra);
        }
        if (lg == 3) {
            flat_seg(&env->segs[R_CS], ((sel + 16) & 0xfffc) | 3, true, 3, true);
        } else {
            flat_seg(&env->segs[R_CS], (sel & 0xfffc) | 3, true, 3, false);
        }
        /* SS's selector is STAR[63:48]+8 with RPL 3; its cache is fixed. */
        flat_seg(&env->segs[R_SS], ((sel + 8) & 0xfffc) | 3, false, 3, false);
        env->rflags = (env->regs[R_R11] & 0x3c7fd7u) | 2;
        env->rip = rip;
    } else {
        flat_seg(&env->segs[R_CS], (sel & 0xfffc) | 3, true, 3, false);
        flat_seg(&env->segs[R_SS], ((sel + 8) & 0xfffc) | 3, false, 3, false);
        env->rflags |= IF_MASK;
        env->rip = (uint32_t)env->regs[R_ECX];
    }
    env->cc_op = CC_OP_EFLAGS;
}

/* SYSENTER: CS from IA32_SYSENTER_CS, SS = CS + 8 (SDM Vol 2B SYSENTER). */
void helper_sysenter(CPUX86State *env)
{
    uint32_t cs = env->sysenter_cs & 0xfffc;
    if (!pe(env) || !cs) {
        x86_raise(env, EXC_GP, 0, RA(env));
    }
    uint64_t fl = x86_get_eflags(env) & ~(uint64_t)(VM_MASK | IF_MASK | RF_MASK);
    env->rflags = fl | 2;
    env->cc_op = CC_OP_EFLAGS;
    flat_seg(&env->segs[R_CS], cs, true, 0, lma(env));
    flat_seg(&env->segs[R_SS], cs + 8, false, 0, false);
    if (lma(env)) {
        env->regs[R_ESP] = env->sysenter_esp;
        env->rip = env->sysenter_eip;
    } else {
        env->regs[R_ESP] = (uint32_t)env->sysenter_esp;
        env->rip = (uint32_t)env->sysenter_eip;
    }
}

/* SYSEXIT: to CPL 3 at CS = SYSENTER_CS + 16 (+32 for the REX.W form). */
void helper_sysexit(CPUX86State *env, uint64_t lg)
{
    uintptr_t ra = RA(env);
    uint32_t cs = env->sysenter_cs & 0xfffc;
    if (!pe(env) || !cs || x86_cpl(env) != 0) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    if (lg == 3) {
        if (!x86_canonical(env, env->regs[R_EDX]) ||
            !x86_canonical(env, env->regs[R_ECX])) {
            x86_raise(env, EXC_GP, 0, ra);
        }
        flat_seg(&env->segs[R_CS], (cs + 32) | 3, true, 3, true);
        flat_seg(&env->segs[R_SS], (cs + 40) | 3, false, 3, false);
        env->regs[R_ESP] = env->regs[R_ECX];
        env->rip = env->regs[R_EDX];
    } else {
        flat_seg(&env->segs[R_CS], (cs + 16) | 3, true, 3, false);
        flat_seg(&env->segs[R_SS], (cs + 24) | 3, false, 3, false);
        env->regs[R_ESP] = (uint32_t)env->regs[R_ECX];
        env->rip = (uint32_t)env->regs[R_EDX];
    }
}

uint64_t helper_fsgsbase(CPUX86State *env, uint64_t op, uint64_t val)
{
    uintptr_t ra = RA(env);
    SegmentCache *sc = &env->segs[(op & 1) ? R_GS : R_FS];
    if (!(env->cr[4] & CR4_FSGSBASE)) {
        x86_raise(env, EXC_UD, 0, ra);
    }
    if (op < 2) {
        return sc->base;
    }
    if (!x86_canonical(env, val)) {
        x86_raise(env, EXC_GP, 0, ra);
    }
    sc->base = val;
    return 0;
}

/* ---- LAR LSL VERR VERW ARPL ---- */

static void set_zf(CPUX86State *env, bool z)
{
    uint32_t f = x86_cc_compute(env) & ~(uint32_t)CC_Z;
    env->rflags = (env->rflags & ~(uint64_t)CC_ARITH) | f | (z ? CC_Z : 0);
    env->cc_op = CC_OP_EFLAGS;
}

uint64_t helper_lar(CPUX86State *env, uint64_t kind, uint64_t sel, uint64_t old)
{
    uintptr_t ra = RA(env);
    uint64_t a, d;
    int cpl = x86_cpl(env), rpl = sel & 3;
    bool ok;

    sel &= 0xffff;
    if (!pe(env) || v86(env)) {
        x86_raise(env, EXC_UD, 0, ra);
    }
    if (!(sel & ~3u) || !desc_addr(env, sel, 8, &a)) {
        set_zf(env, false);
        return old;
    }
    d = kld(env, a, 8, ra);
    if (d_s(d)) {
        ok = d_conforming(d) || (d_dpl(d) >= cpl && d_dpl(d) >= rpl);
        if (kind == 2) {
            ok = ok && (!d_code(d) || (d_type(d) & 2));
        } else if (kind == 3) {
            ok = ok && d_wdata(d);
        }
    } else {
        int t = d_type(d);
        bool lm = lma(env);
        ok = d_dpl(d) >= cpl && d_dpl(d) >= rpl;
        if (kind == 0) {
            ok = ok && (lm ? (t == 2 || t == 9 || t == 11 || t == 12)
                           : (t == 1 || t == 2 || t == 3 || t == 4 || t == 5 || t == 9 ||
                              t == 11 || t == 12));
        } else if (kind == 1) {
            ok = ok && (lm ? (t == 2 || t == 9 || t == 11)
                           : (t == 1 || t == 2 || t == 3 || t == 9 || t == 11));
        } else {
            ok = false;
        }
    }
    set_zf(env, ok);
    if (!ok || kind >= 2) {
        return old;
    }
    return kind == 0 ? (d >> 32) & 0x00f0ff00u : d_limit(d);
}

uint64_t helper_arpl(CPUX86State *env, uint64_t dst, uint64_t src)
{
    if ((dst & 3) < (src & 3)) {
        set_zf(env, true);
        return (dst & ~3ull) | (src & 3);
    }
    set_zf(env, false);
    return dst;
}
