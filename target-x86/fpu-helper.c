/*
 * fpu-helper.c: the x87 FPU (SDM Vol 1 ch. 8), FXSAVE/FXRSTOR (SDM Vol 2A,
 * Vol 1 §10.5) and XSAVE/XRSTOR/XGETBV/XSETBV for the x87 and SSE state
 * components (SDM Vol 1 ch. 13) under -accel tcg.
 *
 * Arithmetic, loads/stores, comparisons and stack manipulation run on the host
 * FPU (fpu-host-x86.c) on a copy of the guest's x87 state, which gives
 * hardware's results bit for bit. This file owns what the host cannot do for
 * us: pending-exception delivery (#MF), the FPU instruction/data pointers and
 * opcode, guest memory (read before, written after, so a fault leaves the x87
 * state untouched) and the control instructions, whose layouts depend on the
 * guest's mode.
 */
#include "util/osdep.h"
#include "target-x86/fpu-helper.h"
#include "target-x86/x86-tcg.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))
#define RA(env) tcg_helper_retaddr(x86_tcg_ctx(env), GETPC())

/* ---- status word and tags ---- */

static int fpu_top(const CPUX86State *env)
{
    return (env->fpus >> FPUS_TOP_SHIFT) & 7;
}

/* ES and B follow the exception flags the control word leaves unmasked: an
 * unmasked exception is pending until FNCLEX/FNINIT (SDM Vol 1 §8.1.3.5). */
static uint16_t fsw_fix_es(uint16_t fsw, uint16_t fcw)
{
    if (fsw & ~fcw & FPU_EXC_MASK) {
        return fsw | FPUS_ES | FPUS_B;
    }
    return fsw & ~(FPUS_ES | FPUS_B);
}

static uint16_t fcw_load(uint16_t v)
{
    return (v & FPUC_KEEP) | FPUC_ONE;
}

/* Tag of one register from its contents: 0 valid, 1 zero, 2 special. */
static unsigned tag_of(const X86Float80 *r)
{
    unsigned e = r->sexp & 0x7fff;
    if (e == 0) {
        return r->mant == 0 ? 1 : 2;        /* zero, or (pseudo-)denormal */
    }
    if (e == 0x7fff || !(r->mant >> 63)) {
        return 2;                           /* infinity, NaN, unnormal */
    }
    return 0;
}

uint16_t x86_fpu_full_tag(const CPUX86State *env, uint8_t abridged)
{
    uint16_t full = 0;
    for (int i = 0; i < 8; i++) {
        unsigned t = (abridged >> i) & 1 ? tag_of(&env->fpregs[i]) : 3;
        full |= t << (2 * i);
    }
    return full;
}

uint8_t x86_fpu_abridged_tag(uint16_t full)
{
    uint8_t ab = 0;
    for (int i = 0; i < 8; i++) {
        if (((full >> (2 * i)) & 3) != 3) {
            ab |= 1 << i;
        }
    }
    return ab;
}

void x86_fpu_init(CPUX86State *env)
{
    env->fpuc = 0x037f;
    env->fpus = 0;
    env->fptag = 0xffff;
    env->fpop = 0;
    env->fpcs = env->fpds = 0;
    env->fpip = env->fpdp = 0;
}

/*
 * A non-control instruction (or FWAIT) finding an unmasked exception pending
 * takes #MF with CR0.NE=1 (SDM Vol 1 §8.7). With NE=0 a PC raises FERR#
 * towards IRQ 13 instead; that path is not modelled: the instruction runs as
 * if IGNNE# were asserted. Returns the flags to keep aside meanwhile.
 */
static uint16_t fpu_pending(CPUX86State *env, uintptr_t ra)
{
    /* From the flags, not ES: state written by other code (a debugger, KVM)
     * may not keep ES in step, and the host must never see an unmasked flag. */
    if (!(env->fpus & ~env->fpuc & FPU_EXC_MASK)) {
        return 0;
    }
    if (env->cr[0] & CR0_NE) {
        x86_raise(env, 16, 0, ra);
    }
    return env->fpus & (FPU_EXC_MASK | FPUS_SF);
}

/* ---- guest memory ---- */

static uint64_t lin_add(uint64_t addr, uint64_t off, bool code64)
{
    uint64_t a = addr + off;
    return code64 ? a : (uint32_t)a;
}

static void mem_read(CPUX86State *env, uint64_t addr, uint8_t *buf, unsigned len,
                     bool code64, uintptr_t ra)
{
    unsigned i = 0;
    while (i < len) {
        unsigned n = len - i >= 8 ? 8 : len - i >= 4 ? 4 : len - i >= 2 ? 2 : 1;
        uint64_t v = x86_ld(env, lin_add(addr, i, code64), n, ra);
        memcpy(buf + i, &v, n);
        i += n;
    }
}

/*
 * Write buf. The last chunk goes first, then the rest in order: an area on
 * two pages faults before anything changes when its second page is absent;
 * when the first is absent at most that last chunk (with its final value)
 * was written, and the instruction restarts with the x87 state unchanged.
 */
static void mem_write(CPUX86State *env, uint64_t addr, const uint8_t *buf,
                      unsigned len, bool code64, uintptr_t ra)
{
    unsigned tail = len >= 8 ? 8 : len;
    uint64_t v = 0;

    memcpy(&v, buf + len - tail, tail);
    if (tail == 8 || tail == 4 || tail == 2 || tail == 1) {
        x86_st(env, lin_add(addr, len - tail, code64), v, tail, ra);
    }
    for (unsigned i = 0; i < len;) {
        unsigned n = len - i >= 8 ? 8 : len - i >= 4 ? 4 : len - i >= 2 ? 2 : 1;
        v = 0;
        memcpy(&v, buf + i, n);
        x86_st(env, lin_add(addr, i, code64), v, n, ra);
        i += n;
    }
}

/* ---- the generic path: one x87 instruction on the host FPU ---- */

void helper_x87(CPUX86State *env, uint64_t code, uint64_t eip, uint64_t addr,
                uint64_t off)
{
    uintptr_t ra = RA(env);
    unsigned size = (code >> FX_SIZE_SHIFT) & 15;
    bool store = code & FX_STORE, code64 = code & FX_CODE64;
    uint8_t buf[128];
    FpuHostState st;
    uint64_t fl = 0;
    uint16_t kept = fpu_pending(env, ra), fsw, unmasked;
    int top = fpu_top(env);

    memset(buf, 0, sizeof(buf));
    if (size && !store) {
        mem_read(env, addr, buf, size, code64, ra);
    }
    st.fcw = env->fpuc;
    st.fsw = env->fpus & ~(kept | FPUS_ES | FPUS_B);
    st.ftw = env->fptag;
    for (int i = 0; i < 8; i++) {
        st.st[i] = env->fpregs[(top + i) & 7];
    }
    if (code & (FX_FLAGS_IN | FX_FLAGS_OUT)) {
        fl = x86_get_eflags(env);
    }
    fpu_host_exec(&st, code & 0x3ff, (code >> 10) & 0x3ff, buf, &fl);

    fsw = st.fsw | kept;
    unmasked = fsw & ~env->fpuc & FPU_EXC_MASK;
    /* An unmasked invalid, denormal, zero-divide, overflow or underflow
     * leaves a memory destination alone (SDM Vol 1 §4.9.2, §8.5). */
    if (size && store &&
        !(unmasked & (FPUS_IE | FPUS_DE | FPUS_ZE | FPUS_OE | FPUS_UE))) {
        mem_write(env, addr, buf, size, code64, ra);
    }
    top = (st.fsw >> FPUS_TOP_SHIFT) & 7;
    for (int i = 0; i < 8; i++) {
        env->fpregs[(top + i) & 7] = st.st[i];
    }
    env->fptag = st.ftw;
    env->fpus = fsw_fix_es(fsw, env->fpuc);
    env->fpop = (code >> FX_FOP_SHIFT) & 0x7ff;
    env->fpip = eip;
    env->fpcs = env->segs[R_CS].selector;
    if (code & FX_HAS_MEM) {
        env->fpdp = off;
        env->fpds = env->segs[(code >> FX_SEG_SHIFT) & 7].selector;
    }
    if (code & FX_FLAGS_OUT) {
        x86_set_eflags(env, fl, CC_ARITH);
    }
}

void helper_fwait(CPUX86State *env)
{
    fpu_pending(env, RA(env));
}

void helper_fldcw(CPUX86State *env, uint64_t cw)
{
    /* FLDCW waits: a pending exception is taken first (checked on hardware). */
    fpu_pending(env, RA(env));
    env->fpuc = fcw_load(cw);
    env->fpus = fsw_fix_es(env->fpus, env->fpuc);
}

void helper_fninit(CPUX86State *env)
{
    x86_fpu_init(env);
}

/* ---- FNSTENV/FLDENV/FNSAVE/FRSTOR (SDM Vol 1 §8.1.10, Figures 8-9..8-12) ---- */

static bool real_layout(const CPUX86State *env)
{
    return !(env->cr[0] & CR0_PE) || (env->rflags & VM_MASK);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, v);
    put32(p + 4, v >> 32);
}

/* The environment image; returns its size (14 or 28). Reserved halves of the
 * 32-bit layouts read as ones, as hardware stores them. */
static unsigned env_store(const CPUX86State *env, uint8_t *b, bool op16, bool real)
{
    uint16_t ftw = x86_fpu_full_tag(env, x86_fpu_abridged_tag(env->fptag));
    uint32_t ip = env->fpip, dp = env->fpdp;

    if (real) {
        ip = (uint32_t)(env->fpcs << 4) + ip;
        dp = (uint32_t)(env->fpds << 4) + dp;
    }
    if (op16) {
        put16(b + 0, env->fpuc);
        put16(b + 2, env->fpus);
        put16(b + 4, ftw);
        put16(b + 6, ip);
        put16(b + 10, dp);
        if (real) {
            put16(b + 8, ((ip >> 16) & 0xf) << 12 | (env->fpop & 0x7ff));
            put16(b + 12, ((dp >> 16) & 0xf) << 12);
        } else {
            put16(b + 8, env->fpcs);
            put16(b + 12, env->fpds);
        }
        return 14;
    }
    put32(b + 0, 0xffff0000u | env->fpuc);
    put32(b + 4, 0xffff0000u | env->fpus);
    put32(b + 8, 0xffff0000u | ftw);
    if (real) {
        put32(b + 12, 0xffff0000u | (ip & 0xffff));
        put32(b + 16, (ip >> 16) << 12 | (env->fpop & 0x7ff));
        put32(b + 20, 0xffff0000u | (dp & 0xffff));
        put32(b + 24, (dp >> 16) << 12);
    } else {
        put32(b + 12, ip);
        put32(b + 16, (uint32_t)(env->fpop & 0x7ff) << 16 | env->fpcs);
        put32(b + 20, dp);
        put32(b + 24, 0xffff0000u | env->fpds);
    }
    return 28;
}

/* Load the environment; the tag word only says empty or not, the rest is
 * recomputed from the registers (so FRSTOR loads them first). */
static void env_load(CPUX86State *env, const uint8_t *b, bool op16, bool real)
{
    uint16_t fcw, fsw, ftw;
    if (op16) {
        fcw = get16(b);
        fsw = get16(b + 2);
        ftw = get16(b + 4);
        if (real) {
            env->fpip = get16(b + 6) | (get16(b + 8) >> 12) << 16;
            env->fpop = get16(b + 8) & 0x7ff;
            env->fpdp = get16(b + 10) | (get16(b + 12) >> 12) << 16;
            env->fpcs = env->fpds = 0;
        } else {
            env->fpip = get16(b + 6);
            env->fpcs = get16(b + 8);
            env->fpdp = get16(b + 10);
            env->fpds = get16(b + 12);
        }
    } else {
        fcw = get16(b);
        fsw = get16(b + 4);
        ftw = get16(b + 8);
        if (real) {
            env->fpip = get16(b + 12) | (get32(b + 16) >> 12 & 0xffff) << 16;
            env->fpop = get32(b + 16) & 0x7ff;
            env->fpdp = get16(b + 20) | (get32(b + 24) >> 12 & 0xffff) << 16;
            env->fpcs = env->fpds = 0;
        } else {
            env->fpip = get32(b + 12);
            env->fpcs = get16(b + 16);
            env->fpop = get16(b + 18) & 0x7ff;
            env->fpdp = get32(b + 20);
            env->fpds = get16(b + 24);
        }
    }
    env->fpuc = fcw_load(fcw);
    env->fpus = fsw_fix_es(fsw, env->fpuc);
    env->fptag = x86_fpu_full_tag(env, x86_fpu_abridged_tag(ftw));
}

void helper_fenv(CPUX86State *env, uint64_t kind, uint64_t addr, uint64_t opsize)
{
    uintptr_t ra = RA(env);
    bool op16 = opsize == 16, real = real_layout(env), code64 = env->efer & EFER_LMA &&
                (env->segs[R_CS].flags & DESC_L_MASK);
    uint8_t b[108];
    unsigned n, top = fpu_top(env);

    switch (kind) {
    case 0:     /* FNSTENV: store, then mask every exception */
    case 2:     /* FNSAVE: store with the registers, then FNINIT */
        n = env_store(env, b, op16, real);
        if (kind == 2) {
            for (int i = 0; i < 8; i++) {
                const X86Float80 *r = &env->fpregs[(top + i) & 7];
                memcpy(b + n + 10 * i, &r->mant, 8);
                memcpy(b + n + 10 * i + 8, &r->sexp, 2);
            }
            n += 80;
        }
        mem_write(env, addr, b, n, code64, ra);
        if (kind == 2) {
            x86_fpu_init(env);
        } else {
            env->fpuc |= FPU_EXC_MASK;
            env->fpus = fsw_fix_es(env->fpus, env->fpuc);
        }
        break;
    case 1:     /* FLDENV */
    case 3:     /* FRSTOR */
        n = op16 ? 14 : 28;
        mem_read(env, addr, b, n + (kind == 3 ? 80 : 0), code64, ra);
        if (kind == 3) {
            uint16_t fsw = op16 ? get16(b + 2) : get16(b + 4);
            unsigned ntop = (fsw >> FPUS_TOP_SHIFT) & 7;
            for (int i = 0; i < 8; i++) {
                X86Float80 *r = &env->fpregs[(ntop + i) & 7];
                memcpy(&r->mant, b + n + 10 * i, 8);
                memcpy(&r->sexp, b + n + 10 * i + 8, 2);
            }
        }
        env_load(env, b, op16, real);
        break;
    default:
        break;
    }
}

/* ---- FXSAVE/FXRSTOR (SDM Vol 2A FXSAVE, Tables 3-53 and 3-56) ---- */

void x86_fxsave_to_image(const CPUX86State *env, uint8_t *img, bool rexw, int nxmm)
{
    unsigned top = fpu_top(env);

    put16(img + 0, env->fpuc);
    put16(img + 2, env->fpus);
    img[4] = x86_fpu_abridged_tag(env->fptag);
    img[5] = 0;
    put16(img + 6, env->fpop & 0x7ff);
    if (rexw) {
        put64(img + 8, env->fpip);
        put64(img + 16, env->fpdp);
    } else {
        put32(img + 8, env->fpip);
        put32(img + 12, env->fpcs);
        put32(img + 16, env->fpdp);
        put32(img + 20, env->fpds);
    }
    put32(img + 24, env->mxcsr);
    put32(img + 28, X86_MXCSR_MASK);
    for (int i = 0; i < 8; i++) {
        const X86Float80 *r = &env->fpregs[(top + i) & 7];
        memset(img + 32 + 16 * i, 0, 16);
        memcpy(img + 32 + 16 * i, &r->mant, 8);
        memcpy(img + 40 + 16 * i, &r->sexp, 2);
    }
    for (int i = 0; i < nxmm; i++) {
        memcpy(img + 160 + 16 * i, env->xmm[i].b, 16);
    }
}

void x86_fxrstor_x87(CPUX86State *env, const uint8_t *img, bool rexw)
{
    uint16_t fsw = get16(img + 2);
    unsigned top = (fsw >> FPUS_TOP_SHIFT) & 7;

    for (int i = 0; i < 8; i++) {
        X86Float80 *r = &env->fpregs[(top + i) & 7];
        memcpy(&r->mant, img + 32 + 16 * i, 8);
        memcpy(&r->sexp, img + 40 + 16 * i, 2);
    }
    env->fpuc = fcw_load(get16(img));
    env->fpus = fsw_fix_es(fsw, env->fpuc);
    env->fptag = x86_fpu_full_tag(env, img[4]);
    env->fpop = get16(img + 6) & 0x7ff;
    if (rexw) {
        env->fpip = get64(img + 8);
        env->fpdp = get64(img + 16);
        env->fpcs = env->fpds = 0;
    } else {
        env->fpip = get32(img + 8);
        env->fpcs = get16(img + 12);
        env->fpdp = get32(img + 16);
        env->fpds = get16(img + 20);
    }
}

void x86_fxrstor_sse(CPUX86State *env, const uint8_t *img, int nxmm)
{
    env->mxcsr = get32(img + 24) & X86_MXCSR_MASK;
    for (int i = 0; i < nxmm; i++) {
        memcpy(env->xmm[i].b, img + 160 + 16 * i, 16);
    }
}

static void check_align(CPUX86State *env, uint64_t addr, unsigned align, uintptr_t ra)
{
    if (addr & (align - 1)) {
        x86_raise(env, 13, 0, ra);
    }
}

void helper_fxsave(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64)
{
    uintptr_t ra = RA(env);
    uint8_t img[416];

    check_align(env, addr, 16, ra);
    x86_fxsave_to_image(env, img, rexw, code64 ? 16 : 8);
    /* Bytes 288-415 (XMM8-15) are left alone outside 64-bit mode; 416-511
     * are reserved or available to software and never written. */
    mem_write(env, addr, img, code64 ? 416 : 288, code64, ra);
}

void helper_fxrstor(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64)
{
    uintptr_t ra = RA(env);
    uint8_t img[416];
    int nxmm = code64 ? 16 : 8;

    check_align(env, addr, 16, ra);
    mem_read(env, addr, img, 160 + 16 * nxmm, code64, ra);
    if (get32(img + 24) & ~X86_MXCSR_MASK) {
        x86_raise(env, 13, 0, ra);
    }
    x86_fxrstor_x87(env, img, rexw);
    x86_fxrstor_sse(env, img, nxmm);
}

/* ---- XSAVE/XRSTOR, XGETBV/XSETBV (SDM Vol 1 ch. 13) ---- */

static uint64_t xsave_rfbm(CPUX86State *env)
{
    uint64_t mask = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    return env->xcr0 & mask & X86_XCR0_SUPPORTED;
}

void helper_xsave(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64)
{
    uintptr_t ra = RA(env);
    uint64_t rfbm = xsave_rfbm(env), bv;
    int nxmm = code64 ? 16 : 8;
    uint8_t img[416], hdr[8];

    check_align(env, addr, 64, ra);
    mem_read(env, lin_add(addr, 512, code64), hdr, 8, code64, ra);
    x86_fxsave_to_image(env, img, rexw, nxmm);
    /* Header first: a fault on the area's far page comes before any change.
     * XINUSE is taken as 1 for every component (SDM Vol 1 §13.6 allows it);
     * XSAVEOPT therefore saves like XSAVE. Only XSTATE_BV is written. */
    bv = (get64(hdr) & ~rfbm) | rfbm;
    put64(hdr, bv);
    mem_write(env, lin_add(addr, 512, code64), hdr, 8, code64, ra);
    if (rfbm & 1) {
        mem_write(env, addr, img, 24, code64, ra);
        mem_write(env, lin_add(addr, 32, code64), img + 32, 128, code64, ra);
    }
    if (rfbm & 2) {
        mem_write(env, lin_add(addr, 24, code64), img + 24, 8, code64, ra);
        mem_write(env, lin_add(addr, 160, code64), img + 160, 16 * nxmm, code64, ra);
    }
}

void helper_xrstor(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64)
{
    uintptr_t ra = RA(env);
    uint64_t rfbm = xsave_rfbm(env), bv;
    int nxmm = code64 ? 16 : 8;
    uint8_t img[416], hdr[24];

    check_align(env, addr, 64, ra);
    mem_read(env, lin_add(addr, 512, code64), hdr, 24, code64, ra);
    bv = get64(hdr);
    /* Standard form only (no XSAVEC): XCOMP_BV and the next 8 bytes must be
     * zero, XSTATE_BV within XCR0 (SDM Vol 1 §13.8). */
    if ((bv & ~env->xcr0) || get64(hdr + 8) || get64(hdr + 16)) {
        x86_raise(env, 13, 0, ra);
    }
    mem_read(env, addr, img, 160 + 16 * nxmm, code64, ra);
    if ((rfbm & 2) && (get32(img + 24) & ~X86_MXCSR_MASK)) {
        x86_raise(env, 13, 0, ra);
    }
    if (rfbm & 1) {
        if (bv & 1) {
            x86_fxrstor_x87(env, img, rexw);
        } else {
            x86_fpu_init(env);
            memset(env->fpregs, 0, sizeof(env->fpregs));
        }
    }
    if (rfbm & 2) {
        env->mxcsr = get32(img + 24);
        for (int i = 0; i < nxmm; i++) {
            if (bv & 2) {
                memcpy(env->xmm[i].b, img + 160 + 16 * i, 16);
            } else {
                memset(env->xmm[i].b, 0, 16);
            }
        }
    }
}

void helper_xgetbv(CPUX86State *env)
{
    if ((uint32_t)env->regs[R_ECX] != 0) {
        x86_raise(env, 13, 0, RA(env));
    }
    env->regs[R_EAX] = (uint32_t)env->xcr0;
    env->regs[R_EDX] = env->xcr0 >> 32;
}

void helper_xsetbv(CPUX86State *env)
{
    uint64_t v = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    if ((uint32_t)env->regs[R_ECX] != 0 || (v & ~X86_XCR0_SUPPORTED) || !(v & 1)) {
        x86_raise(env, 13, 0, RA(env));
    }
    env->xcr0 = v;
}
