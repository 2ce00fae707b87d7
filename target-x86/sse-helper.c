/*
 * sse-helper.c: helpers for the SSE..SSE4.1 floating-point instructions
 * (SDM Vol 1 §10-12, §11.5 "SIMD floating-point exception handling"). The
 * arithmetic itself is done by sse_host_run() (sse-host-x86.c) with every
 * exception masked; this file applies the guest's MXCSR: it accumulates the
 * flags and, for an unmasked exception, raises #XM (or #UD when CR4.OSXMMEXCPT
 * is clear, SDM Vol 3 §6.15 "Interrupt 19") leaving the destination as it was.
 */
#include "util/osdep.h"
#include "target-x86/sse-helper.h"
#include "target-x86/x86-tcg.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))
#define RA(env) tcg_helper_retaddr(x86_tcg_ctx(env), GETPC())

static inline void *env_at(CPUX86State *env, uint64_t off)
{
    /* Offsets are translator constants inside CPUX86State. */
    g_assert(off + 16 <= sizeof(CPUX86State));
    return (char *)env + off;
}

/* The MXCSR to compute under: the guest's control bits, flags clear. */
static inline uint32_t sse_csr(CPUX86State *env)
{
    return env->mxcsr & ~MXCSR_FLAGS;
}

/*
 * Flags f came from a run with every exception masked. Pre-computation
 * exceptions (IE DE ZE) are found before any result is made, so when one of
 * them is unmasked only they are recorded (SDM Vol 1 §11.5.2); otherwise the
 * post-computation ones (OE UE PE) join them. Returns after recording the
 * flags if nothing is unmasked.
 */
static void sse_commit(CPUX86State *env, uint32_t f, uintptr_t ra)
{
    uint32_t unmasked = f & ~(env->mxcsr >> 7) & MXCSR_FLAGS;
    if (unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE)) {
        env->mxcsr |= f & (MXCSR_IE | MXCSR_DE | MXCSR_ZE);
    } else if (unmasked & MXCSR_OE) {
        /* Unmasked overflow delivers no rounded result, so no #P either
         * (unlike unmasked underflow, which still reports an inexact one). */
        env->mxcsr |= f & ~MXCSR_PE;
    } else {
        env->mxcsr |= f;
    }
    if (unmasked) {
        x86_raise(env, (env->cr[4] & CR4_OSXMMEXCPT) ? 19 : 6, 0, ra);
    }
}

/*
 * Run op on *fr and apply the guest's exception masks. With underflow
 * unmasked, a tiny result is an exception even when exact (SDM Vol 1
 * §11.5.2.4), which a masked run does not report: a second run with FTZ set
 * (which flushes, and so reports UE for, every tiny result) finds it.
 */
static void sse_run(CPUX86State *env, int op, SseHostFrame *fr, uintptr_t ra)
{
    SseHostFrame again = *fr;
    fr->csr = sse_csr(env);
    sse_host_run(op, fr);
    uint32_t f = fr->csr;
    if (!(env->mxcsr & MXCSR_UM) && !(f & MXCSR_UE)) {
        again.csr = sse_csr(env) | MXCSR_FTZ;
        sse_host_run(op, &again);
        if (again.csr & MXCSR_UE) {
            f |= MXCSR_UE;
        }
    }
    sse_commit(env, f, ra);
}

/* x87 -> MMX transition: TOP = 0, every register valid (SDM Vol 1 §9.5.1). */
static void mmx_enter(CPUX86State *env)
{
    env->fpus &= ~(7u << 11);
    env->fptag = 0;
}

static void mmx_write(CPUX86State *env, uint64_t off, uint64_t v)
{
    X86Float80 *r = env_at(env, off);
    r->mant = v;
    r->sexp = 0xffff;
}

/* DPPS/DPPD as SDM Vol 2 gives them: products of the lanes imm[7:4] selects
 * (+0.0 elsewhere), summed pairwise, the sum broadcast to the lanes imm[3:0]
 * selects. Every multiply and add is one rounded host operation whose flags
 * accumulate. */
static uint32_t sse_dp(CPUX86State *env, bool pd, X86XmmReg *d, const X86XmmReg *s,
                       uint32_t imm)
{
    SseHostFrame fr = { .csr = 0 };
    uint32_t flags = 0;
    int n = pd ? 2 : 4;
    X86XmmReg prod = { .q = { 0, 0 } };

#define DP_STEP(op, a, b, out)                                  \
    do {                                                        \
        memset(&fr, 0, sizeof(fr));                             \
        if (pd) {                                               \
            fr.d.q[0] = (a); fr.s.q[0] = (b);                   \
        } else {                                                \
            fr.d.l[0] = (a); fr.s.l[0] = (b);                   \
        }                                                       \
        fr.csr = sse_csr(env);                                  \
        sse_host_run(op, &fr);                                  \
        flags |= fr.csr;                                        \
        out = pd ? fr.d.q[0] : fr.d.l[0];                       \
    } while (0)

    for (int i = 0; i < n; i++) {
        if (imm & (0x10u << i)) {
            if (pd) {
                DP_STEP(SSE_OP_MULSD, d->q[i], s->q[i], prod.q[i]);
            } else {
                DP_STEP(SSE_OP_MULSS, d->l[i], s->l[i], prod.l[i]);
            }
        }
    }
    uint64_t sum;
    if (pd) {
        DP_STEP(SSE_OP_ADDSD, prod.q[0], prod.q[1], sum);
    } else {
        uint64_t s01, s23;
        DP_STEP(SSE_OP_ADDSS, prod.l[0], prod.l[1], s01);
        DP_STEP(SSE_OP_ADDSS, prod.l[2], prod.l[3], s23);
        DP_STEP(SSE_OP_ADDSS, (uint32_t)s01, (uint32_t)s23, sum);
    }
#undef DP_STEP
    for (int i = 0; i < n; i++) {
        uint64_t v = (imm & (1u << i)) ? sum : 0;
        if (pd) {
            prod.q[i] = v;
        } else {
            prod.l[i] = (uint32_t)v;
        }
    }
    *d = prod;
    return flags;
}

void helper_sse_op(CPUX86State *env, uint64_t op, uint64_t dst, uint64_t src,
                   uint64_t imm)
{
    uintptr_t ra = RA(env);
    SseHostFrame fr;
    memset(&fr, 0, sizeof(fr));

    switch (op) {
    case SSE_MMX_CVTPI2PS:
    case SSE_MMX_CVTPI2PD: {
        /* Two int32 from an MMX register or m64: the same conversion as
         * CVTDQ2PS/PD on the low lanes (zero lanes convert exactly). */
        X86XmmReg *d = env_at(env, dst);
        if (!imm) {
            mmx_enter(env);             /* from m64: no transition (SDM CVTPI2PS/PD) */
        }
        fr.d = *d;
        memcpy(&fr.s.q[0], env_at(env, src), 8);
        sse_run(env, op == SSE_MMX_CVTPI2PS ? SSE_OP_CVTDQ2PS : SSE_OP_CVTDQ2PD,
                &fr, ra);
        if (op == SSE_MMX_CVTPI2PS) {
            d->q[0] = fr.d.q[0];        /* the upper two lanes stay */
        } else {
            *d = fr.d;
        }
        return;
    }
    case SSE_MMX_CVTPS2PI:
    case SSE_MMX_CVTTPS2PI:
    case SSE_MMX_CVTPD2PI:
    case SSE_MMX_CVTTPD2PI: {
        static const int host_op[] = {
            SSE_OP_CVTPS2DQ, SSE_OP_CVTTPS2DQ, SSE_OP_CVTPD2DQ, SSE_OP_CVTTPD2DQ,
        };
        const X86XmmReg *s = env_at(env, src);
        bool ps = op == SSE_MMX_CVTPS2PI || op == SSE_MMX_CVTTPS2PI;
        mmx_enter(env);
        /* Only the lanes that become the MMX result may raise. */
        fr.s.q[0] = s->q[0];
        fr.s.q[1] = ps ? 0 : s->q[1];
        sse_run(env, host_op[op - SSE_MMX_CVTPS2PI], &fr, ra);
        mmx_write(env, dst, fr.d.q[0]);
        return;
    }
    case SSE_X_DPPS:
    case SSE_X_DPPD: {
        X86XmmReg *d = env_at(env, dst), r = *d;
        uint32_t f = sse_dp(env, op == SSE_X_DPPD, &r, env_at(env, src), imm);
        sse_commit(env, f, ra);
        *d = r;
        return;
    }
    default:
        break;
    }

    if (op >= SSE_OP_CVTSI2SS32) {
        abort();                        /* the translator passes no other */
    }
    X86XmmReg *d = env_at(env, dst);
    fr.d = *d;
    fr.s = *(X86XmmReg *)env_at(env, src);
    if (op == SSE_OP_CMPPS || op == SSE_OP_CMPPD || op == SSE_OP_CMPSS ||
        op == SSE_OP_CMPSD) {
        /* Legacy encodings use imm8[2:0] (SDM Vol 2 CMPPS). */
        op += imm & 7;
        sse_run(env, op, &fr, ra);
    } else if (op == SSE_OP_ROUNDPS || op == SSE_OP_ROUNDPD || op == SSE_OP_ROUNDSS ||
               op == SSE_OP_ROUNDSD) {
        /* imm[2] = 0 names the rounding mode in imm[1:0]: compute as "use
         * MXCSR.RC" under an MXCSR that holds it; imm[3] suppresses #P. */
        uint32_t save = env->mxcsr;
        if (!(imm & 4)) {
            env->mxcsr = (env->mxcsr & ~(3u << MXCSR_RC_SHIFT)) |
                         (uint32_t)(imm & 3) << MXCSR_RC_SHIFT;
        }
        fr.csr = sse_csr(env);
        env->mxcsr = save;
        sse_host_run(op + ((imm & 8) ? 1 : 0), &fr);
        sse_commit(env, fr.csr, ra);
    } else {
        sse_run(env, op, &fr, ra);
    }
    *d = fr.d;
}

void helper_sse_cvt_i2f(CPUX86State *env, uint64_t op, uint64_t dst, uint64_t val)
{
    uintptr_t ra = RA(env);
    SseHostFrame fr;
    X86XmmReg *d = env_at(env, dst);
    memset(&fr, 0, sizeof(fr));
    fr.d = *d;
    fr.g = val;
    sse_run(env, op, &fr, ra);
    *d = fr.d;
}

uint64_t helper_sse_cvt_f2i(CPUX86State *env, uint64_t op, uint64_t src)
{
    uintptr_t ra = RA(env);
    SseHostFrame fr;
    memset(&fr, 0, sizeof(fr));
    fr.s = *(X86XmmReg *)env_at(env, src);
    sse_run(env, op, &fr, ra);
    return fr.g;
}

void helper_sse_comi(CPUX86State *env, uint64_t op, uint64_t a, uint64_t b)
{
    uintptr_t ra = RA(env);
    SseHostFrame fr;
    memset(&fr, 0, sizeof(fr));
    fr.d = *(X86XmmReg *)env_at(env, a);
    fr.s = *(X86XmmReg *)env_at(env, b);
    sse_run(env, op, &fr, ra);
    uint32_t f = (fr.zf ? CC_Z : 0) | (fr.pf ? CC_P : 0) | (fr.cf ? CC_C : 0);
    /* OF SF AF are cleared (SDM Vol 2 COMISS). */
    env->rflags = (env->rflags & ~(uint64_t)CC_ARITH) | f;
    env->cc_op = CC_OP_EFLAGS;
}

void helper_sse_blendv(CPUX86State *env, uint64_t is_pd, uint64_t dst, uint64_t src)
{
    X86XmmReg *d = env_at(env, dst);
    const X86XmmReg *s = env_at(env, src), *m = &env->xmm[0];
    X86XmmReg r = *d;
    if (is_pd) {
        for (int i = 0; i < 2; i++) {
            if (m->q[i] >> 63) {
                r.q[i] = s->q[i];
            }
        }
    } else {
        for (int i = 0; i < 4; i++) {
            if (m->l[i] >> 31) {
                r.l[i] = s->l[i];
            }
        }
    }
    *d = r;
}

uint64_t helper_sse_movmsk(CPUX86State *env, uint64_t is_pd, uint64_t src)
{
    const X86XmmReg *s = env_at(env, src);
    if (is_pd) {
        return (s->q[0] >> 63) | (s->q[1] >> 63) << 1;
    }
    return (s->l[0] >> 31) | (s->l[1] >> 31) << 1 | (s->l[2] >> 31) << 2 |
           (s->l[3] >> 31) << 3;
}

void helper_sse_ldmxcsr(CPUX86State *env, uint64_t val)
{
    /* Reserved bits set: #GP(0) (SDM Vol 2 LDMXCSR). */
    if (val & ~(uint64_t)MXCSR_WRITABLE) {
        x86_raise(env, 13, 0, RA(env));
    }
    env->mxcsr = (uint32_t)val;
}
