/*
 * sse.c: the SSE..SSE4.1 floating-point, move, shuffle, logic, conversion and
 * MXCSR instructions (SDM Vol 1 ch. 10-12) over edge operands (NaNs, signed
 * zeros, denormals, infinities, overflow and underflow, integer limits) in
 * every rounding mode, with FTZ/DAZ, sticky flags, unmasked exceptions (#XM,
 * destination unchanged), alignment #GP and register and memory forms.
 *
 * One source, two builds. As a bare-metal guest (tests/guest runtime) it runs
 * inside bt86; built with -DSSE_HOST it is a Linux program that runs the same
 * instructions on the host CPU, catching #XM/#GP/#UD as SIGFPE/SIGSEGV/SIGILL.
 * Both print one line per instruction form with a hash of every result,
 * MXCSR and fault vector; the test (sse-compare.py) requires the lines to be
 * equal, so the expected values are the host CPU's, never bt86's.
 */
#ifdef SSE_HOST
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef uintptr_t uptr;
#else
#include "guest.h"
typedef u32 uptr;
#endif

/* The operand block each instruction form works on (offsets are used by the
 * asm below): xmm0 <- d, xmm1 <- s, xmm2 <- aux, eax <- g. */
struct io {
    u32 d[4];           /* 0 */
    u32 s[4];           /* 16 */
    u32 csr_in;         /* 32 */
    u32 csr_out;        /* 36 */
    u32 g, g_hi;        /* 40 */
    u8 fl[8];           /* 48: LAHF, SETO */
    u32 pad;            /* 56 */
    u32 csr_default;    /* 60 */
    u32 aux[4];         /* 64 */
    u32 mis[8];         /* 80: room for misaligned operands */
} __attribute__((aligned(16)));

static struct io io_block;
volatile uptr recover_ip;
volatile u32 trap_vec;

#ifdef SSE_HOST
#define SET_RECOVER "leaq 1f(%%rip), %%r11\n\tmovq %%r11, recover_ip(%%rip)\n\t"
#define CLOBBERS "memory", "cc", "rax", "r11", "xmm0", "xmm1", "xmm2", "xmm3", "mm0"
#else
#define SET_RECOVER "movl $1f, recover_ip\n\t"
#define CLOBBERS "memory", "cc", "eax"
#endif

/* One instruction form: load the operands, run insn (a fault resumes at 1:),
 * store everything it may have changed. */
#define FORM(name, insn)                                                       \
    static void name(struct io *p)                                             \
    {                                                                          \
        __asm__ volatile("ldmxcsr 32(%0)\n\t"                                  \
                         "movups (%0), %%xmm0\n\t"                             \
                         "movups 16(%0), %%xmm1\n\t"                           \
                         "movups 64(%0), %%xmm2\n\t"                           \
                         "movl 40(%0), %%eax\n\t"                              \
                         "cmpl %%eax, %%eax\n\t"                               \
                         SET_RECOVER                                           \
                         insn "\n"                                             \
                         "1:\n\t"                                              \
                         "movl %%eax, 40(%0)\n\t"                              \
                         "movups %%xmm0, (%0)\n\t"                             \
                         "movups %%xmm2, 64(%0)\n\t"                           \
                         "stmxcsr 36(%0)\n\t"                                  \
                         "lahf\n\t"                                            \
                         "movb %%ah, 48(%0)\n\t"                               \
                         "seto 49(%0)\n\t"                                     \
                         "ldmxcsr 60(%0)"                                      \
                         : : "r"(p) : CLOBBERS);                               \
    }

/* Register and memory source forms. */
#define FORM_RM(name, mn)                                                      \
    FORM(name##_r, mn " %%xmm1, %%xmm0")                                       \
    FORM(name##_m, mn " 16(%0), %%xmm0")
#define FORM_RMI(name, mn, imm)                                                \
    FORM(name##_r, mn " $" #imm ", %%xmm1, %%xmm0")                            \
    FORM(name##_m, mn " $" #imm ", 16(%0), %%xmm0")

/* Types of the lanes of d and s. */
enum { T_F32, T_F64, T_I32 };

typedef struct Form {
    const char *name;
    void (*fn)(struct io *p);
    u8 dt, st;
} Form;

#define E_RM(name, dt, st) { #name "_r", name##_r, dt, st }, { #name "_m", name##_m, dt, st }
#define E(name, dt, st) { #name, name, dt, st }

/* ---- arithmetic ---- */
FORM_RM(addps, "addps") FORM_RM(addpd, "addpd") FORM_RM(addss, "addss") FORM_RM(addsd, "addsd")
FORM_RM(subps, "subps") FORM_RM(subpd, "subpd") FORM_RM(subss, "subss") FORM_RM(subsd, "subsd")
FORM_RM(mulps, "mulps") FORM_RM(mulpd, "mulpd") FORM_RM(mulss, "mulss") FORM_RM(mulsd, "mulsd")
FORM_RM(divps, "divps") FORM_RM(divpd, "divpd") FORM_RM(divss, "divss") FORM_RM(divsd, "divsd")
FORM_RM(minps, "minps") FORM_RM(minpd, "minpd") FORM_RM(minss, "minss") FORM_RM(minsd, "minsd")
FORM_RM(maxps, "maxps") FORM_RM(maxpd, "maxpd") FORM_RM(maxss, "maxss") FORM_RM(maxsd, "maxsd")
FORM_RM(sqrtps, "sqrtps") FORM_RM(sqrtpd, "sqrtpd")
FORM_RM(sqrtss, "sqrtss") FORM_RM(sqrtsd, "sqrtsd")
FORM_RM(rsqrtps, "rsqrtps") FORM_RM(rsqrtss, "rsqrtss")
FORM_RM(rcpps, "rcpps") FORM_RM(rcpss, "rcpss")
FORM_RM(haddps, "haddps") FORM_RM(haddpd, "haddpd")
FORM_RM(hsubps, "hsubps") FORM_RM(hsubpd, "hsubpd")
FORM_RM(addsubps, "addsubps") FORM_RM(addsubpd, "addsubpd")
/* ---- logic ---- */
FORM_RM(andps, "andps") FORM_RM(andpd, "andpd") FORM_RM(andnps, "andnps")
FORM_RM(andnpd, "andnpd") FORM_RM(orps, "orps") FORM_RM(orpd, "orpd")
FORM_RM(xorps, "xorps") FORM_RM(xorpd, "xorpd")
FORM(xorps_self, "xorps %%xmm0, %%xmm0")
/* ---- conversions between vector formats ---- */
FORM_RM(cvtps2pd, "cvtps2pd") FORM_RM(cvtpd2ps, "cvtpd2ps")
FORM_RM(cvtss2sd, "cvtss2sd") FORM_RM(cvtsd2ss, "cvtsd2ss")
FORM_RM(cvtdq2ps, "cvtdq2ps") FORM_RM(cvtps2dq, "cvtps2dq") FORM_RM(cvttps2dq, "cvttps2dq")
FORM_RM(cvtdq2pd, "cvtdq2pd") FORM_RM(cvtpd2dq, "cvtpd2dq") FORM_RM(cvttpd2dq, "cvttpd2dq")
/* ---- general-register conversions (eax preset to g) ---- */
FORM(cvtsi2ss_r, "cvtsi2ss %%eax, %%xmm0")
FORM(cvtsi2ss_m, "cvtsi2ssl 40(%0), %%xmm0")
FORM(cvtsi2sd_r, "cvtsi2sd %%eax, %%xmm0")
FORM(cvtsi2sd_m, "cvtsi2sdl 40(%0), %%xmm0")
FORM(cvtss2si_r, "cvtss2si %%xmm1, %%eax")
FORM(cvtss2si_m, "cvtss2si 16(%0), %%eax")
FORM(cvttss2si_r, "cvttss2si %%xmm1, %%eax")
FORM(cvttss2si_m, "cvttss2si 16(%0), %%eax")
FORM(cvtsd2si_r, "cvtsd2si %%xmm1, %%eax")
FORM(cvtsd2si_m, "cvtsd2si 16(%0), %%eax")
FORM(cvttsd2si_r, "cvttsd2si %%xmm1, %%eax")
FORM(cvttsd2si_m, "cvttsd2si 16(%0), %%eax")
/* ---- MMX conversions; the MMX result is read back exactly with CVTPI2PD ---- */
FORM(cvtpi2ps_m, "cvtpi2ps 16(%0), %%xmm0")
FORM(cvtpi2pd_m, "cvtpi2pd 16(%0), %%xmm0")
FORM(cvtps2pi_r, "cvtps2pi %%xmm1, %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvtps2pi_m, "cvtps2pi 16(%0), %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvttps2pi_r, "cvttps2pi %%xmm1, %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvtpd2pi_r, "cvtpd2pi %%xmm1, %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvtpd2pi_m, "cvtpd2pi 16(%0), %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvttpd2pi_r, "cvttpd2pi %%xmm1, %%mm0\n\tcvtpi2pd %%mm0, %%xmm2")
FORM(cvtpi2ps_mm, "cvtps2pi %%xmm1, %%mm0\n\tcvtpi2ps %%mm0, %%xmm0")
/* ---- compares ---- */
FORM(comiss_r, "comiss %%xmm1, %%xmm0")
FORM(comiss_m, "comiss 16(%0), %%xmm0")
FORM(ucomiss_r, "ucomiss %%xmm1, %%xmm0")
FORM(comisd_r, "comisd %%xmm1, %%xmm0")
FORM(ucomisd_r, "ucomisd %%xmm1, %%xmm0")
FORM(ucomisd_m, "ucomisd 16(%0), %%xmm0")
#define CMP8(mn) FORM_RMI(mn##0, #mn, 0) FORM_RMI(mn##1, #mn, 1) FORM_RMI(mn##2, #mn, 2) \
    FORM_RMI(mn##3, #mn, 3) FORM_RMI(mn##4, #mn, 4) FORM_RMI(mn##5, #mn, 5)          \
    FORM_RMI(mn##6, #mn, 6) FORM_RMI(mn##7, #mn, 7)
CMP8(cmpps) CMP8(cmppd) CMP8(cmpss) CMP8(cmpsd)
/* ---- SSE4.1 rounding: all 16 controls that matter ---- */
#define ROUND16(mn) FORM_RMI(mn##0, #mn, 0) FORM_RMI(mn##1, #mn, 1) FORM_RMI(mn##2, #mn, 2) \
    FORM_RMI(mn##3, #mn, 3) FORM_RMI(mn##4, #mn, 4) FORM_RMI(mn##5, #mn, 5)              \
    FORM_RMI(mn##6, #mn, 6) FORM_RMI(mn##7, #mn, 7) FORM_RMI(mn##8, #mn, 8)              \
    FORM_RMI(mn##9, #mn, 9) FORM_RMI(mn##10, #mn, 10) FORM_RMI(mn##11, #mn, 11)          \
    FORM_RMI(mn##12, #mn, 12) FORM_RMI(mn##13, #mn, 13) FORM_RMI(mn##14, #mn, 14)        \
    FORM_RMI(mn##15, #mn, 15)
ROUND16(roundps) ROUND16(roundpd) ROUND16(roundss) ROUND16(roundsd)
/* ---- dot products ---- */
FORM_RMI(dpps_ff, "dpps", 0xff) FORM_RMI(dpps_f1, "dpps", 0xf1)
FORM_RMI(dpps_31, "dpps", 0x31) FORM_RMI(dpps_a6, "dpps", 0xa6)
FORM_RMI(dpps_5c, "dpps", 0x5c) FORM_RMI(dpps_0f, "dpps", 0x0f)
FORM_RMI(dppd_33, "dppd", 0x33) FORM_RMI(dppd_31, "dppd", 0x31)
FORM_RMI(dppd_12, "dppd", 0x12) FORM_RMI(dppd_23, "dppd", 0x23)
/* ---- moves ---- */
FORM(movaps_r, "movaps %%xmm1, %%xmm0")
FORM(movaps_m, "movaps 16(%0), %%xmm0")
FORM(movaps_st, "movaps %%xmm0, 16(%0)\n\tmovups 16(%0), %%xmm2")
FORM(movapd_m, "movapd 16(%0), %%xmm0")
FORM(movups_mis, "movups 81(%0), %%xmm0\n\tmovups %%xmm1, 83(%0)\n\tmovupd 83(%0), %%xmm2")
FORM(movss_r, "movss %%xmm1, %%xmm0")
FORM(movss_m, "movss 16(%0), %%xmm0")
FORM(movss_st, "movss %%xmm0, 20(%0)\n\tmovups 16(%0), %%xmm2")
FORM(movsd_r, "movsd %%xmm1, %%xmm0")
FORM(movsd_m, "movsd 16(%0), %%xmm0")
FORM(movsd_st, "movsd %%xmm0, 24(%0)\n\tmovups 16(%0), %%xmm2")
FORM(movlps_m, "movlps 16(%0), %%xmm0\n\tmovlps %%xmm1, 68(%0)\n\tmovups 64(%0), %%xmm2")
FORM(movhps_m, "movhps 16(%0), %%xmm0\n\tmovhps %%xmm1, 68(%0)\n\tmovups 64(%0), %%xmm2")
FORM(movlpd_m, "movlpd 20(%0), %%xmm0\n\tmovlpd %%xmm1, 72(%0)\n\tmovups 64(%0), %%xmm2")
FORM(movhpd_m, "movhpd 24(%0), %%xmm0\n\tmovhpd %%xmm1, 64(%0)\n\tmovups 64(%0), %%xmm2")
FORM(movhlps, "movhlps %%xmm1, %%xmm0")
FORM(movlhps, "movlhps %%xmm1, %%xmm0")
FORM(movhlps_self, "movhlps %%xmm0, %%xmm0\n\tmovlhps %%xmm1, %%xmm1\n\tmovaps %%xmm1, %%xmm2")
FORM_RM(movsldup, "movsldup") FORM_RM(movshdup, "movshdup")
FORM(movddup_r, "movddup %%xmm1, %%xmm0")
FORM(movddup_m, "movddup 24(%0), %%xmm0")
FORM(movntps, "movntps %%xmm0, 16(%0)\n\tmovntpd %%xmm1, 64(%0)\n\tmovaps 16(%0), %%xmm2")
FORM_RM(unpcklps, "unpcklps") FORM_RM(unpckhps, "unpckhps")
FORM_RM(unpcklpd, "unpcklpd") FORM_RM(unpckhpd, "unpckhpd")
FORM(unpcklps_self, "unpcklps %%xmm0, %%xmm0\n\tunpckhpd %%xmm1, %%xmm1\n\t"
                    "movaps %%xmm1, %%xmm2")
FORM_RMI(shufps_1b, "shufps", 0x1b) FORM_RMI(shufps_e4, "shufps", 0xe4)
FORM_RMI(shufps_4e, "shufps", 0x4e) FORM_RMI(shufps_93, "shufps", 0x93)
FORM(shufps_self, "shufps $0x39, %%xmm0, %%xmm0")
FORM_RMI(shufpd_0, "shufpd", 0) FORM_RMI(shufpd_1, "shufpd", 1)
FORM_RMI(shufpd_2, "shufpd", 2) FORM_RMI(shufpd_3, "shufpd", 3)
FORM_RMI(blendps_5, "blendps", 5) FORM_RMI(blendps_e, "blendps", 14)
FORM_RMI(blendpd_1, "blendpd", 1) FORM_RMI(blendpd_2, "blendpd", 2)
FORM(blendvps_r, "movaps %%xmm1, %%xmm2\n\tmovaps %%xmm0, %%xmm3\n\tmovaps %%xmm1, %%xmm0\n\t"
                 "blendvps %%xmm0, %%xmm3, %%xmm2\n\tmovaps %%xmm3, %%xmm0")
FORM(blendvpd_m, "blendvpd %%xmm0, 16(%0), %%xmm2")
FORM(blendvps_m, "blendvps %%xmm0, 16(%0), %%xmm2")
FORM_RMI(insertps_10, "insertps", 0x10) FORM_RMI(insertps_c5, "insertps", 0xc5)
FORM_RMI(insertps_7a, "insertps", 0x7a) FORM_RMI(insertps_0f, "insertps", 0x0f)
FORM(extractps_r0, "extractps $0, %%xmm1, %%eax")
FORM(extractps_r3, "extractps $3, %%xmm1, %%eax")
FORM(extractps_m2, "extractps $2, %%xmm1, 64(%0)")
FORM(movmskps, "movmskps %%xmm1, %%eax")
FORM(movmskpd, "movmskpd %%xmm1, %%eax")
/* ---- MXCSR ---- */
FORM(stmxcsr_m, "stmxcsr 64(%0)\n\tmovups 64(%0), %%xmm2")
FORM(ldmxcsr_g, "ldmxcsr 40(%0)")
FORM(ldmxcsr_bad, "ldmxcsr 44(%0)")
/* ---- faults: misaligned 16-byte operands are #GP(0) ---- */
FORM(movaps_mis, "movaps 88(%0), %%xmm0")
FORM(movaps_st_mis, "movaps %%xmm1, 84(%0)")
FORM(addps_mis, "addps 88(%0), %%xmm0")
FORM(sqrtpd_mis, "sqrtpd 84(%0), %%xmm0")
FORM(cvtps2pd_mis, "cvtps2pd 84(%0), %%xmm0")
FORM(addss_mis, "addss 85(%0), %%xmm0")

static const Form arith[] = {
    E_RM(addps, T_F32, T_F32), E_RM(addpd, T_F64, T_F64),
    E_RM(addss, T_F32, T_F32), E_RM(addsd, T_F64, T_F64),
    E_RM(subps, T_F32, T_F32), E_RM(subpd, T_F64, T_F64),
    E_RM(subss, T_F32, T_F32), E_RM(subsd, T_F64, T_F64),
    E_RM(mulps, T_F32, T_F32), E_RM(mulpd, T_F64, T_F64),
    E_RM(mulss, T_F32, T_F32), E_RM(mulsd, T_F64, T_F64),
    E_RM(divps, T_F32, T_F32), E_RM(divpd, T_F64, T_F64),
    E_RM(divss, T_F32, T_F32), E_RM(divsd, T_F64, T_F64),
    E_RM(minps, T_F32, T_F32), E_RM(minpd, T_F64, T_F64),
    E_RM(minss, T_F32, T_F32), E_RM(minsd, T_F64, T_F64),
    E_RM(maxps, T_F32, T_F32), E_RM(maxpd, T_F64, T_F64),
    E_RM(maxss, T_F32, T_F32), E_RM(maxsd, T_F64, T_F64),
    E_RM(sqrtps, T_F32, T_F32), E_RM(sqrtpd, T_F64, T_F64),
    E_RM(sqrtss, T_F32, T_F32), E_RM(sqrtsd, T_F64, T_F64),
    E_RM(rsqrtps, T_F32, T_F32), E_RM(rsqrtss, T_F32, T_F32),
    E_RM(rcpps, T_F32, T_F32), E_RM(rcpss, T_F32, T_F32),
    E_RM(haddps, T_F32, T_F32), E_RM(haddpd, T_F64, T_F64),
    E_RM(hsubps, T_F32, T_F32), E_RM(hsubpd, T_F64, T_F64),
    E_RM(addsubps, T_F32, T_F32), E_RM(addsubpd, T_F64, T_F64),
    E_RM(andps, T_F32, T_F32), E_RM(andpd, T_F64, T_F64),
    E_RM(andnps, T_F32, T_F32), E_RM(andnpd, T_F64, T_F64),
    E_RM(orps, T_F32, T_F32), E_RM(orpd, T_F64, T_F64),
    E_RM(xorps, T_F32, T_F32), E_RM(xorpd, T_F64, T_F64),
    E(xorps_self, T_F32, T_F32),
    E_RM(cvtps2pd, T_F64, T_F32), E_RM(cvtpd2ps, T_F32, T_F64),
    E_RM(cvtss2sd, T_F64, T_F32), E_RM(cvtsd2ss, T_F32, T_F64),
    E_RM(cvtdq2ps, T_F32, T_I32), E_RM(cvtps2dq, T_I32, T_F32),
    E_RM(cvttps2dq, T_I32, T_F32), E_RM(cvtdq2pd, T_F64, T_I32),
    E_RM(cvtpd2dq, T_I32, T_F64), E_RM(cvttpd2dq, T_I32, T_F64),
    E_RM(cvtsi2ss, T_F32, T_I32), E_RM(cvtsi2sd, T_F64, T_I32),
    E_RM(cvtss2si, T_I32, T_F32), E_RM(cvttss2si, T_I32, T_F32),
    E_RM(cvtsd2si, T_I32, T_F64), E_RM(cvttsd2si, T_I32, T_F64),
    E(cvtpi2ps_m, T_F32, T_I32), E(cvtpi2pd_m, T_F64, T_I32),
    E(cvtps2pi_r, T_F32, T_F32), E(cvtps2pi_m, T_F32, T_F32),
    E(cvttps2pi_r, T_F32, T_F32), E(cvtpd2pi_r, T_F64, T_F64),
    E(cvtpd2pi_m, T_F64, T_F64), E(cvttpd2pi_r, T_F64, T_F64),
    E(cvtpi2ps_mm, T_F32, T_F32),
    E(comiss_r, T_F32, T_F32), E(comiss_m, T_F32, T_F32), E(ucomiss_r, T_F32, T_F32),
    E(comisd_r, T_F64, T_F64), E(ucomisd_r, T_F64, T_F64), E(ucomisd_m, T_F64, T_F64),
#define E_CMP8(mn, t) E_RM(mn##0, t, t), E_RM(mn##1, t, t), E_RM(mn##2, t, t), \
    E_RM(mn##3, t, t), E_RM(mn##4, t, t), E_RM(mn##5, t, t), E_RM(mn##6, t, t),  \
    E_RM(mn##7, t, t)
    E_CMP8(cmpps, T_F32), E_CMP8(cmppd, T_F64), E_CMP8(cmpss, T_F32), E_CMP8(cmpsd, T_F64),
#define E_ROUND16(mn, t) E_RM(mn##0, t, t), E_RM(mn##1, t, t), E_RM(mn##2, t, t),   \
    E_RM(mn##3, t, t), E_RM(mn##4, t, t), E_RM(mn##5, t, t), E_RM(mn##6, t, t),     \
    E_RM(mn##7, t, t), E_RM(mn##8, t, t), E_RM(mn##9, t, t), E_RM(mn##10, t, t),    \
    E_RM(mn##11, t, t), E_RM(mn##12, t, t), E_RM(mn##13, t, t), E_RM(mn##14, t, t), \
    E_RM(mn##15, t, t)
    E_ROUND16(roundps, T_F32), E_ROUND16(roundpd, T_F64),
    E_ROUND16(roundss, T_F32), E_ROUND16(roundsd, T_F64),
    E_RM(dpps_ff, T_F32, T_F32), E_RM(dpps_f1, T_F32, T_F32),
    E_RM(dpps_31, T_F32, T_F32), E_RM(dpps_a6, T_F32, T_F32),
    E_RM(dpps_5c, T_F32, T_F32), E_RM(dpps_0f, T_F32, T_F32),
    E_RM(dppd_33, T_F64, T_F64), E_RM(dppd_31, T_F64, T_F64),
    E_RM(dppd_12, T_F64, T_F64), E_RM(dppd_23, T_F64, T_F64),
};

/* Data movement: value-independent, run over fewer inputs. */
static const Form moves[] = {
    E(movaps_r, T_F32, T_F32), E(movaps_m, T_F32, T_F32), E(movaps_st, T_F32, T_F32),
    E(movapd_m, T_F64, T_F64), E(movups_mis, T_F32, T_F32),
    E(movss_r, T_F32, T_F32), E(movss_m, T_F32, T_F32), E(movss_st, T_F32, T_F32),
    E(movsd_r, T_F64, T_F64), E(movsd_m, T_F64, T_F64), E(movsd_st, T_F64, T_F64),
    E(movlps_m, T_F32, T_F32), E(movhps_m, T_F32, T_F32),
    E(movlpd_m, T_F64, T_F64), E(movhpd_m, T_F64, T_F64),
    E(movhlps, T_F32, T_F32), E(movlhps, T_F32, T_F32), E(movhlps_self, T_F32, T_F32),
    E_RM(movsldup, T_F32, T_F32), E_RM(movshdup, T_F32, T_F32),
    E(movddup_r, T_F64, T_F64), E(movddup_m, T_F64, T_F64), E(movntps, T_F32, T_F32),
    E_RM(unpcklps, T_F32, T_F32), E_RM(unpckhps, T_F32, T_F32),
    E_RM(unpcklpd, T_F64, T_F64), E_RM(unpckhpd, T_F64, T_F64),
    E(unpcklps_self, T_F32, T_F32),
    E_RM(shufps_1b, T_F32, T_F32), E_RM(shufps_e4, T_F32, T_F32),
    E_RM(shufps_4e, T_F32, T_F32), E_RM(shufps_93, T_F32, T_F32),
    E(shufps_self, T_F32, T_F32),
    E_RM(shufpd_0, T_F64, T_F64), E_RM(shufpd_1, T_F64, T_F64),
    E_RM(shufpd_2, T_F64, T_F64), E_RM(shufpd_3, T_F64, T_F64),
    E_RM(blendps_5, T_F32, T_F32), E_RM(blendps_e, T_F32, T_F32),
    E_RM(blendpd_1, T_F64, T_F64), E_RM(blendpd_2, T_F64, T_F64),
    E(blendvps_r, T_F32, T_F32), E(blendvpd_m, T_F64, T_F64), E(blendvps_m, T_F32, T_F32),
    E_RM(insertps_10, T_F32, T_F32), E_RM(insertps_c5, T_F32, T_F32),
    E_RM(insertps_7a, T_F32, T_F32), E_RM(insertps_0f, T_F32, T_F32),
    E(extractps_r0, T_F32, T_F32), E(extractps_r3, T_F32, T_F32),
    E(extractps_m2, T_F32, T_F32),
    E(movmskps, T_F32, T_F32), E(movmskpd, T_F64, T_F64),
    E(stmxcsr_m, T_F32, T_F32), E(ldmxcsr_g, T_I32, T_I32), E(ldmxcsr_bad, T_I32, T_I32),
    E(movaps_mis, T_F32, T_F32), E(movaps_st_mis, T_F32, T_F32),
    E(addps_mis, T_F32, T_F32), E(sqrtpd_mis, T_F64, T_F64),
    E(cvtps2pd_mis, T_F32, T_F32), E(addss_mis, T_F32, T_F32),
};

static const u32 f32v[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40400000,
    0x3dcccccd, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00000001,
    0x007fffff, 0x80400000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc12345,
    0x7f800001, 0xff812345, 0x7149f2ca, 0x0da24260, 0x4f000000, 0xcf000000,
    0x5f000000, 0x3f000000, 0x40200000, 0xc0200000, 0x3eaaaaab, 0x4effffff,
};
static const u64 f64v[] = {
    0x0000000000000000ull, 0x8000000000000000ull, 0x3ff0000000000000ull,
    0xbff0000000000000ull, 0x3ff8000000000000ull, 0x4008000000000000ull,
    0x3fb999999999999aull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
    0x0010000000000000ull, 0x8010000000000000ull, 0x0000000000000001ull,
    0x000fffffffffffffull, 0x8008000000000000ull, 0x7ff0000000000000ull,
    0xfff0000000000000ull, 0x7ff8000000000000ull, 0xfff8000000012345ull,
    0x7ff0000000000001ull, 0xfff0000000012345ull, 0x7e37e43c8800759cull,
    0x01a56e1fc2f8f359ull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
    0x43e0000000000000ull, 0x3fe0000000000000ull, 0x4004000000000000ull,
    0xc004000000000000ull, 0x3fd5555555555555ull, 0x37a16c262777579cull,
    0x48078287f49c4a1dull, 0x41dfffffffc00000ull,
};
static const u32 i32v[] = {
    0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x01000001, 12345678, 0xfffffff9,
    0x00001f80, 0x0000ffc0, 0x00007f3f, 0x00011f80,
};
#define NF32 (sizeof(f32v) / sizeof(f32v[0]))
#define NF64 (sizeof(f64v) / sizeof(f64v[0]))
#define NI32 (sizeof(i32v) / sizeof(i32v[0]))

/* MXCSR values: the four rounding modes, FTZ, DAZ, both, sticky flags set
 * beforehand, then each exception unmasked in turn, and all of them. */
static const u32 modes[] = {
    0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9f80, 0x1fc0, 0xffc0, 0x1fbf,
    0x1f00, 0x1e80, 0x1d80, 0x1b80, 0x1780, 0x0f80, 0x0000, 0x8000,
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static u32 hash;

static void mix(u32 v)
{
    hash = (hash ^ v) * 16777619u;
}

/* Fill lanes of type t from value index i (lane k takes a neighbour). */
static void fill(u32 *dst, int t, u32 i)
{
    for (int k = 0; k < 4; k++) {
        if (t == T_F32) {
            dst[k] = f32v[(i + 7 * k) % NF32];
        } else if (t == T_I32) {
            dst[k] = i32v[(i + 5 * k) % NI32];
        }
    }
    if (t == T_F64) {
        for (int k = 0; k < 2; k++) {
            u64 v = f64v[(i + 11 * k) % NF64];
            dst[2 * k] = (u32)v;
            dst[2 * k + 1] = (u32)(v >> 32);
        }
    }
}

static u32 count_of(int t)
{
    return t == T_F32 ? NF32 : t == T_F64 ? NF64 : NI32;
}

static void out_hex(u32 v);
static void out_str(const char *s);

static void run_case(const Form *f, u32 csr, u32 i, u32 j)
{
    struct io *p = &io_block;
    fill(p->d, f->dt, i);
    fill(p->s, f->st, j);
    for (int k = 0; k < 4; k++) {
        p->aux[k] = 0xa5a5a5a5u ^ (i << 8) ^ k;
    }
    for (int k = 0; k < 8; k++) {
        p->mis[k] = p->s[k & 3] ^ (k << 28);
    }
    p->csr_in = csr;
    p->csr_default = 0x1f80;
    p->g = f->st == T_I32 ? i32v[j % NI32] : csr ^ 0x40;
    p->g_hi = 0x11f80;
    trap_vec = 0;
    f->fn(p);
#ifdef SSE_VERBOSE
    /* Debugging: one line per case (build both sides with -DSSE_VERBOSE). */
    out_str(f->name);
    out_str(" ");
    out_hex(csr);
    out_str(" ");
    out_hex(i << 16 | j);
    for (int k = 0; k < 4; k++) {
        out_str(" ");
        out_hex(p->d[k]);
    }
    for (int k = 0; k < 4; k++) {
        out_str(" ");
        out_hex(p->aux[k]);
    }
    out_str(" csr ");
    out_hex(p->csr_out);
    out_str(" g ");
    out_hex(p->g);
    out_str(" fl ");
    out_hex((p->fl[0] & 0xd5) | p->fl[1] << 8);
    out_str(" vec ");
    out_hex(trap_vec);
    out_str("\n");
#endif
    for (int k = 0; k < 4; k++) {
        mix(p->d[k]);
        mix(p->aux[k]);
        mix(p->s[k]);
    }
    for (int k = 0; k < 8; k++) {
        mix(p->mis[k]);
    }
    mix(p->csr_out);
    mix(p->g);
    mix(p->fl[0] & 0xd5);
    mix(p->fl[1]);
    mix(trap_vec);
}

/* All pairs in the first mode, a band of pairs in the others. */
static void run_forms(const Form *t, u32 n, u32 band)
{
    for (u32 f = 0; f < n; f++) {
        u32 ni = count_of(t[f].dt), nj = count_of(t[f].st), cases = 0;
#ifdef SSE_ONLY
        /* Debugging: run just the forms whose name starts with SSE_ONLY. */
        const char *a = SSE_ONLY, *b = t[f].name;
        while (*a && *a == *b) {
            a++;
            b++;
        }
        if (*a) {
            continue;
        }
#endif
        hash = 2166136261u;
        for (u32 m = 0; m < NMODES; m++) {
            for (u32 i = 0; i < ni; i++) {
                for (u32 j = 0; j < nj; j++) {
                    if (m > 0 && (j + nj - i) % nj >= band) {
                        continue;
                    }
                    run_case(&t[f], modes[m], i, j);
                    cases++;
                }
            }
        }
        out_str("sse ");
        out_str(t[f].name);
        out_str(" ");
        out_hex(cases);
        out_str(" ");
        out_hex(hash);
        out_str("\n");
    }
}

#ifdef SSE_HOST

static void out_hex(u32 v)
{
    printf("%08x", v);
}

static void out_str(const char *s)
{
    fputs(s, stdout);
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)si;
    trap_vec = sig == SIGFPE ? 19 : sig == SIGSEGV ? 13 : sig == SIGILL ? 6 : 99;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)recover_ip;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_trap;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    run_forms(arith, sizeof(arith) / sizeof(arith[0]), 3);
    run_forms(moves, sizeof(moves) / sizeof(moves[0]), 1);
    __asm__ volatile("emms");
    /* What the guest checks that user mode cannot see: SDM Vol 3 §6.15
     * (#XM becomes #UD with CR4.OSXMMEXCPT clear), Table 12-1 (CR0.TS: #NM,
     * CR4.OSFXSR clear: #UD). */
    printf("sse system: xm-without-osxmmexcpt 00000006 ts 00000007 no-osfxsr 00000006\n");
    printf("sse done\n");
    return 0;
}

#else

static void out_hex(u32 v)
{
    static const char dig[] = "0123456789abcdef";
    char b[9];
    for (int i = 0; i < 8; i++) {
        b[i] = dig[(v >> (28 - 4 * i)) & 15];
    }
    b[8] = 0;
    serial_puts(b);
}

static void out_str(const char *s)
{
    serial_puts(s);
}

/* Handlers record the vector and resume at recover_ip. */
void trap_ud(void);
void trap_nm(void);
void trap_gp(void);
void trap_xm(void);
__asm__(".text\n"
        "trap_ud: movl $6, trap_vec\n"
        "    jmp 2f\n"
        "trap_nm: movl $7, trap_vec\n"
        "    jmp 2f\n"
        "trap_xm: movl $19, trap_vec\n"
        "    jmp 2f\n"
        "trap_gp: movl $13, trap_vec\n"
        "    addl $4, %esp\n"             /* the error code */
        "2:  pushl %eax\n"
        "    movl recover_ip, %eax\n"
        "    movl %eax, 4(%esp)\n"
        "    popl %eax\n"
        "    iret\n"
        ".globl trap_ud, trap_nm, trap_gp, trap_xm\n");

static u32 read_cr0(void)
{
    u32 v;
    __asm__ volatile("movl %%cr0, %0" : "=r"(v));
    return v;
}

static u32 read_cr4(void)
{
    u32 v;
    __asm__ volatile("movl %%cr4, %0" : "=r"(v));
    return v;
}

static void write_cr0(u32 v)
{
    __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory");
}

static void write_cr4(u32 v)
{
    __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory");
}

#define CR0_MP 0x2
#define CR0_EM 0x4
#define CR0_TS 0x8
#define CR4_OSFXSR 0x200
#define CR4_OSXMMEXCPT 0x400

/* The vector an unmasked divide by zero, an SSE instruction with CR0.TS set
 * or with CR4.OSFXSR clear raises. */
static void system_checks(void)
{
    struct io *p = &io_block;
    u32 cr0 = read_cr0(), cr4 = read_cr4();

    write_cr4(cr4 & ~CR4_OSXMMEXCPT);
    p->d[0] = 0x3f800000;
    p->s[0] = 0;
    p->csr_in = 0x1d80;                 /* ZM clear */
    p->csr_default = 0x1f80;
    trap_vec = 0;
    divss_r(p);
    out_str("sse system: xm-without-osxmmexcpt ");
    out_hex(trap_vec);
    write_cr4(cr4);

    write_cr0(cr0 | CR0_TS);
    trap_vec = 0;
    __asm__ volatile(SET_RECOVER "xorps %%xmm3, %%xmm3\n1:" : : : "memory");
    write_cr0(cr0);
    out_str(" ts ");
    out_hex(trap_vec);

    write_cr4(cr4 & ~CR4_OSFXSR);
    trap_vec = 0;
    __asm__ volatile(SET_RECOVER "addps %%xmm3, %%xmm3\n1:" : : : "memory");
    write_cr4(cr4);
    out_str(" no-osfxsr ");
    out_hex(trap_vec);
    out_str("\n");
}

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    guest_set_gate(6, trap_ud);
    guest_set_gate(7, trap_nm);
    guest_set_gate(13, trap_gp);
    guest_set_gate(19, trap_xm);
    guest_load_idt();
    /* SSE on (SDM Vol 3 §13.1.3): CR0.EM clear, CR0.MP set, CR4.OSFXSR and
     * CR4.OSXMMEXCPT set. */
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    run_forms(arith, sizeof(arith) / sizeof(arith[0]), 3);
    run_forms(moves, sizeof(moves) / sizeof(moves[0]), 1);
    system_checks();
    out_str("sse done\n");
    return 0;
}

#endif
