/*
 * sse-host-x86.c: the SSE arithmetic of the guest computed by the host's own
 * SSE unit (x86-64 hosts only). Every operation is one asm statement that
 * saves the host MXCSR, loads the one it is asked to compute under, runs the
 * instruction, reads the flags back and restores the host MXCSR: the compiler
 * cannot move floating-point work across the switch because there is no
 * floating-point work outside the asm statement. IEEE 754 arithmetic as
 * defined by SDM Vol 1 §4.8 and §11.5 is then bit-exact by construction.
 *
 * A softfloat implementation of sse_host_run() for other hosts is future
 * work (docs/sse.md).
 */
#include "util/osdep.h"
#include "target-x86/sse-helper.h"

#if !defined(__x86_64__)
#error "sse-host-x86.c computes guest SSE with host SSE: x86-64 hosts only"
#endif

/* d in xmm0, s in xmm1, g in rax; insn works on them; results back. */
#define SSE_HOST(insn)                                                         \
    __asm__ volatile("stmxcsr %[saved]\n\t"                                    \
                     "ldmxcsr %[csr]\n\t"                                      \
                     "movdqu %[d], %%xmm0\n\t"                                 \
                     "movdqu %[s], %%xmm1\n\t"                                 \
                     "movq %[g], %%rax\n\t"                                    \
                     insn "\n\t"                                               \
                     "movdqu %%xmm0, %[d]\n\t"                                 \
                     "movq %%rax, %[g]\n\t"                                    \
                     "stmxcsr %[csr]\n\t"                                      \
                     "ldmxcsr %[saved]"                                        \
                     : [d] "+m"(f->d), [g] "+m"(f->g), [csr] "+m"(f->csr),     \
                       [saved] "=m"(f->saved)                                  \
                     : [s] "m"(f->s)                                           \
                     : "xmm0", "xmm1", "rax", "cc")

/* (U)COMIS*: the three flags it sets, read with SETcc. */
#define SSE_HOST_COMI(insn)                                                    \
    __asm__ volatile("stmxcsr %[saved]\n\t"                                    \
                     "ldmxcsr %[csr]\n\t"                                      \
                     "movdqu %[d], %%xmm0\n\t"                                 \
                     "movdqu %[s], %%xmm1\n\t"                                 \
                     insn " %%xmm1, %%xmm0\n\t"                                \
                     "setz %[zf]\n\t"                                          \
                     "setp %[pf]\n\t"                                          \
                     "setc %[cf]\n\t"                                          \
                     "stmxcsr %[csr]\n\t"                                      \
                     "ldmxcsr %[saved]"                                        \
                     : [csr] "+m"(f->csr), [saved] "=m"(f->saved),             \
                       [zf] "=m"(f->zf), [pf] "=m"(f->pf), [cf] "=m"(f->cf)    \
                     : [d] "m"(f->d), [s] "m"(f->s)                            \
                     : "xmm0", "xmm1", "cc")

#define OP2(name, mn) case SSE_OP_##name: SSE_HOST(mn " %%xmm1, %%xmm0"); break
#define CMP1(name, mn, p) \
    case SSE_OP_##name + p: SSE_HOST(mn " $" #p ", %%xmm1, %%xmm0"); break
#define CMP8(name, mn) CMP1(name, mn, 0); CMP1(name, mn, 1); CMP1(name, mn, 2); \
    CMP1(name, mn, 3); CMP1(name, mn, 4); CMP1(name, mn, 5); CMP1(name, mn, 6); \
    CMP1(name, mn, 7)
/* ROUND*: imm 4 rounds per MXCSR.RC (which the caller sets), 12 also
 * suppresses the precision exception. */
#define ROUND2(name, mn) \
    case SSE_OP_##name: SSE_HOST(mn " $4, %%xmm1, %%xmm0"); break; \
    case SSE_OP_##name + 1: SSE_HOST(mn " $12, %%xmm1, %%xmm0"); break

void sse_host_run(int op, SseHostFrame *f)
{
    f->csr = (f->csr & ~MXCSR_FLAGS) | MXCSR_MASKS;
    switch (op) {
    OP2(ADDPS, "addps"); OP2(ADDPD, "addpd"); OP2(ADDSS, "addss"); OP2(ADDSD, "addsd");
    OP2(SUBPS, "subps"); OP2(SUBPD, "subpd"); OP2(SUBSS, "subss"); OP2(SUBSD, "subsd");
    OP2(MULPS, "mulps"); OP2(MULPD, "mulpd"); OP2(MULSS, "mulss"); OP2(MULSD, "mulsd");
    OP2(DIVPS, "divps"); OP2(DIVPD, "divpd"); OP2(DIVSS, "divss"); OP2(DIVSD, "divsd");
    OP2(MINPS, "minps"); OP2(MINPD, "minpd"); OP2(MINSS, "minss"); OP2(MINSD, "minsd");
    OP2(MAXPS, "maxps"); OP2(MAXPD, "maxpd"); OP2(MAXSS, "maxss"); OP2(MAXSD, "maxsd");
    OP2(SQRTPS, "sqrtps"); OP2(SQRTPD, "sqrtpd");
    OP2(SQRTSS, "sqrtss"); OP2(SQRTSD, "sqrtsd");
    OP2(RSQRTPS, "rsqrtps"); OP2(RSQRTSS, "rsqrtss");
    OP2(RCPPS, "rcpps"); OP2(RCPSS, "rcpss");
    OP2(HADDPS, "haddps"); OP2(HADDPD, "haddpd");
    OP2(HSUBPS, "hsubps"); OP2(HSUBPD, "hsubpd");
    OP2(ADDSUBPS, "addsubps"); OP2(ADDSUBPD, "addsubpd");
    OP2(CVTPS2PD, "cvtps2pd"); OP2(CVTPD2PS, "cvtpd2ps");
    OP2(CVTSS2SD, "cvtss2sd"); OP2(CVTSD2SS, "cvtsd2ss");
    OP2(CVTDQ2PS, "cvtdq2ps"); OP2(CVTPS2DQ, "cvtps2dq"); OP2(CVTTPS2DQ, "cvttps2dq");
    OP2(CVTDQ2PD, "cvtdq2pd"); OP2(CVTPD2DQ, "cvtpd2dq"); OP2(CVTTPD2DQ, "cvttpd2dq");
    CMP8(CMPPS, "cmpps");
    CMP8(CMPPD, "cmppd");
    CMP8(CMPSS, "cmpss");
    CMP8(CMPSD, "cmpsd");
    ROUND2(ROUNDPS, "roundps");
    ROUND2(ROUNDPD, "roundpd");
    ROUND2(ROUNDSS, "roundss");
    ROUND2(ROUNDSD, "roundsd");
    case SSE_OP_CVTSI2SS32: SSE_HOST("cvtsi2ssl %%eax, %%xmm0"); break;
    case SSE_OP_CVTSI2SS64: SSE_HOST("cvtsi2ssq %%rax, %%xmm0"); break;
    case SSE_OP_CVTSI2SD32: SSE_HOST("cvtsi2sdl %%eax, %%xmm0"); break;
    case SSE_OP_CVTSI2SD64: SSE_HOST("cvtsi2sdq %%rax, %%xmm0"); break;
    case SSE_OP_CVTSS2SI32: SSE_HOST("cvtss2si %%xmm1, %%eax"); break;
    case SSE_OP_CVTSS2SI64: SSE_HOST("cvtss2si %%xmm1, %%rax"); break;
    case SSE_OP_CVTTSS2SI32: SSE_HOST("cvttss2si %%xmm1, %%eax"); break;
    case SSE_OP_CVTTSS2SI64: SSE_HOST("cvttss2si %%xmm1, %%rax"); break;
    case SSE_OP_CVTSD2SI32: SSE_HOST("cvtsd2si %%xmm1, %%eax"); break;
    case SSE_OP_CVTSD2SI64: SSE_HOST("cvtsd2si %%xmm1, %%rax"); break;
    case SSE_OP_CVTTSD2SI32: SSE_HOST("cvttsd2si %%xmm1, %%eax"); break;
    case SSE_OP_CVTTSD2SI64: SSE_HOST("cvttsd2si %%xmm1, %%rax"); break;
    case SSE_OP_COMISS: SSE_HOST_COMI("comiss"); break;
    case SSE_OP_UCOMISS: SSE_HOST_COMI("ucomiss"); break;
    case SSE_OP_COMISD: SSE_HOST_COMI("comisd"); break;
    case SSE_OP_UCOMISD: SSE_HOST_COMI("ucomisd"); break;
    default:
        /* The translator only passes the ops above. */
        abort();
    }
    f->csr &= MXCSR_FLAGS;
}
