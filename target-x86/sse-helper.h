/*
 * sse-helper.h: helpers for the SSE..SSE4.1 floating-point instructions
 * (SDM Vol 1 ch. 10-12, Vol 2 per-instruction pages) and the host layer that
 * computes them (sse-host-x86.h).
 *
 * Operands are env offsets (constants chosen by the translator, never guest
 * values): an XMM register, an MMX register (fpregs[i].mant) or env->sse_tmp
 * holding a memory operand. Every arithmetic helper follows the MXCSR rules
 * of SDM Vol 1 §11.5: RC, FTZ and DAZ apply, the six flags accumulate, and an
 * unmasked exception raises #XM (vector 19) when CR4.OSXMMEXCPT is set, #UD
 * otherwise, without writing the destination.
 */
#ifndef TARGET_X86_SSE_HELPER_H
#define TARGET_X86_SSE_HELPER_H

#include "target-x86/cpu.h"

/* MXCSR (SDM Vol 1 §10.2.3). */
#define MXCSR_IE    (1u << 0)
#define MXCSR_DE    (1u << 1)
#define MXCSR_ZE    (1u << 2)
#define MXCSR_OE    (1u << 3)
#define MXCSR_UE    (1u << 4)
#define MXCSR_PE    (1u << 5)
#define MXCSR_FLAGS 0x3fu
#define MXCSR_DAZ   (1u << 6)
#define MXCSR_MASKS (0x3fu << 7)
#define MXCSR_UM    (1u << 11)
#define MXCSR_RC_SHIFT 13
#define MXCSR_FTZ   (1u << 15)
/* MXCSR_MASK as FXSAVE reports it: every defined bit, DAZ included. */
#define MXCSR_WRITABLE 0xffffu

/*
 * Operations computed by the host layer. Each reads the destination's old
 * value (scalar forms keep its upper part) and the source, like the legacy
 * SSE instruction of the same name. The four compare groups and the two
 * ROUND groups are followed by their variants (predicate 0-7; "use MXCSR.RC"
 * with and without the precision exception).
 */
enum {
    SSE_OP_ADDPS, SSE_OP_ADDPD, SSE_OP_ADDSS, SSE_OP_ADDSD,
    SSE_OP_SUBPS, SSE_OP_SUBPD, SSE_OP_SUBSS, SSE_OP_SUBSD,
    SSE_OP_MULPS, SSE_OP_MULPD, SSE_OP_MULSS, SSE_OP_MULSD,
    SSE_OP_DIVPS, SSE_OP_DIVPD, SSE_OP_DIVSS, SSE_OP_DIVSD,
    SSE_OP_MINPS, SSE_OP_MINPD, SSE_OP_MINSS, SSE_OP_MINSD,
    SSE_OP_MAXPS, SSE_OP_MAXPD, SSE_OP_MAXSS, SSE_OP_MAXSD,
    SSE_OP_SQRTPS, SSE_OP_SQRTPD, SSE_OP_SQRTSS, SSE_OP_SQRTSD,
    SSE_OP_RSQRTPS, SSE_OP_RSQRTSS, SSE_OP_RCPPS, SSE_OP_RCPSS,
    SSE_OP_HADDPS, SSE_OP_HADDPD, SSE_OP_HSUBPS, SSE_OP_HSUBPD,
    SSE_OP_ADDSUBPS, SSE_OP_ADDSUBPD,
    SSE_OP_CVTPS2PD, SSE_OP_CVTPD2PS, SSE_OP_CVTSS2SD, SSE_OP_CVTSD2SS,
    SSE_OP_CVTDQ2PS, SSE_OP_CVTPS2DQ, SSE_OP_CVTTPS2DQ,
    SSE_OP_CVTDQ2PD, SSE_OP_CVTPD2DQ, SSE_OP_CVTTPD2DQ,
    SSE_OP_CMPPS, SSE_OP_CMPPD = SSE_OP_CMPPS + 8, SSE_OP_CMPSS = SSE_OP_CMPPD + 8,
    SSE_OP_CMPSD = SSE_OP_CMPSS + 8,
    SSE_OP_ROUNDPS = SSE_OP_CMPSD + 8, SSE_OP_ROUNDPD = SSE_OP_ROUNDPS + 2,
    SSE_OP_ROUNDSS = SSE_OP_ROUNDPD + 2, SSE_OP_ROUNDSD = SSE_OP_ROUNDSS + 2,
    /* General-register conversions: the integer is SseHostFrame.g. */
    SSE_OP_CVTSI2SS32 = SSE_OP_ROUNDSD + 2, SSE_OP_CVTSI2SS64,
    SSE_OP_CVTSI2SD32, SSE_OP_CVTSI2SD64,
    SSE_OP_CVTSS2SI32, SSE_OP_CVTSS2SI64, SSE_OP_CVTTSS2SI32, SSE_OP_CVTTSS2SI64,
    SSE_OP_CVTSD2SI32, SSE_OP_CVTSD2SI64, SSE_OP_CVTTSD2SI32, SSE_OP_CVTTSD2SI64,
    /* Ordered/unordered compares: ZF PF CF in SseHostFrame.zf/pf/cf. */
    SSE_OP_COMISS, SSE_OP_UCOMISS, SSE_OP_COMISD, SSE_OP_UCOMISD,
    SSE_OP_COUNT
};

/* What the host layer works on: d is read and written, s read, csr is the
 * MXCSR to compute under (on return: the flags raised, in bits 0-5). */
typedef struct SseHostFrame {
    X86XmmReg d;
    X86XmmReg s;
    uint64_t g;
    uint32_t csr;
    uint32_t saved;
    uint8_t zf, pf, cf;
} SseHostFrame;

/* Run op on f under f->csr with every exception masked (the caller decides
 * what an unmasked one does); f->csr returns the flags. */
void sse_host_run(int op, SseHostFrame *f);

/*
 * Translator helpers (all offsets are env offsets).
 *  helper_sse_op:       the SSE_OP_* above on XMM registers (imm: the CMP
 *                       predicate or ROUND control, else 0), and the MMX
 *                       conversions (kind 'SSE_MMX_*' below).
 *  helper_sse_cvt_i2f:  CVTSI2SS/SD from a general register or memory value.
 *  helper_sse_cvt_f2i:  CVT(T)SS/SD2SI, returns the integer.
 *  helper_sse_comi:     (U)COMISS/SD, sets ZF PF CF, clears OF SF AF.
 */
enum {
    SSE_MMX_CVTPI2PS = SSE_OP_COUNT, SSE_MMX_CVTPI2PD, SSE_MMX_CVTPS2PI,
    SSE_MMX_CVTTPS2PI, SSE_MMX_CVTPD2PI, SSE_MMX_CVTTPD2PI,
    SSE_X_DPPS, SSE_X_DPPD,
    SSE_X_LIMIT
};

void helper_sse_op(CPUX86State *env, uint64_t op, uint64_t dst, uint64_t src,
                   uint64_t imm);
void helper_sse_cvt_i2f(CPUX86State *env, uint64_t op, uint64_t dst, uint64_t val);
uint64_t helper_sse_cvt_f2i(CPUX86State *env, uint64_t op, uint64_t src);
void helper_sse_comi(CPUX86State *env, uint64_t op, uint64_t a, uint64_t b);
void helper_sse_blendv(CPUX86State *env, uint64_t is_pd, uint64_t dst, uint64_t src);
uint64_t helper_sse_movmsk(CPUX86State *env, uint64_t is_pd, uint64_t src);
void helper_sse_ldmxcsr(CPUX86State *env, uint64_t val);

#endif
