/*
 * diff-fp-insns.c: x87, MMX and SSE..SSE4.2 templates of the differential
 * harness (test-diff --fp), and their start states.
 *
 * A case is one instruction. Its start state is a whole FXSAVE image (SDM Vol 1
 * §10.5.1, Table 10-2): FCW with every exception masked and a random rounding
 * and precision control, a random stack depth and TOP, x87 registers and XMM
 * registers from edge-heavy value generators (zeros, infinities, quiet and
 * signalling NaNs with payloads, denormals, values near the integer conversion
 * limits, small integers, random bits), and MXCSR with every exception masked
 * and a random rounding mode, FTZ and DAZ. Memory operands are [rBX + disp8]
 * with rBX = DIFF_MEM, aligned for the forms that require it. Exceptions stay
 * masked, so no case traps; what the SDM leaves undefined (C0..C3 after most
 * arithmetic, per "FPU Flags Affected") is masked out of the FSW comparison.
 */
#include "diff-gen.h"
#include "diff-fp.h"

#include <string.h>

enum { C_N, C_X, C_M, C_G, C_D };   /* operand class: none, xmm, mmx, gpr, /digit */

enum {
    K_X87,          /* two fixed bytes */
    K_X87_STI,      /* two bytes, + i in the low 3 bits */
    K_X87_MEM,      /* opcode, ModRM /digit, memory only */
    K_RM,           /* [pfx] [REX] opcode bytes, ModRM reg/rm (+imm8) */
};

/* Memory value kinds */
enum { V_BITS, V_F32, V_F64, V_F80, V_I16, V_I32, V_I64, V_BCD, V_FCW };

/* FSW bits compared (C1 = 0x200, C0 0x100, C2 0x400, C3 0x4000). */
#define FSW_CC_ALL 0xffffu
#define FSW_C1     (0xffffu & ~(0x100u | 0x400u | 0x4000u))
#define FSW_C1C2   (0xffffu & ~(0x100u | 0x4000u))
#define FSW_NONE   (0xffffu & ~(0x100u | 0x200u | 0x400u | 0x4000u))

/* flags */
#define M64 1u      /* 64-bit mode only */
#define W1 2u       /* REX.W (64-bit only) */
#define A16 4u      /* memory operand must be 16-byte aligned */
#define MEMONLY 8u
#define REGONLY 16u
#define IMM 32u
#define IMM_ROUND 64u   /* imm8 & 15: ROUNDxx */
#define EFL 128u        /* writes EFLAGS: compare them */
#define RD_EFL 256u     /* reads EFLAGS (FCMOVcc): random start flags */
#define XMM0 512u       /* uses XMM0 implicitly (BLENDV) */
#define STR 1024u       /* PCMPxSTRx: lengths in EAX/EDX */

typedef struct FpTmpl {
    const char *name;
    uint8_t kind;
    uint8_t pfx;            /* mandatory prefix: 0, 0x66, 0xf2, 0xf3 */
    uint8_t op[3];
    uint8_t oplen;
    uint8_t reg, rm;        /* operand classes of ModRM.reg and ModRM.rm */
    uint8_t digit;          /* /digit for C_D and x87 memory forms */
    uint8_t msize;          /* memory operand bytes (0: none) */
    uint8_t mval;           /* V_* of the memory operand */
    uint16_t flags;
    uint16_t fsw;           /* FSW compare mask */
} FpTmpl;

#define X87(n, a, b, fsw) { n, K_X87, 0, { a, b }, 2, C_N, C_N, 0, 0, 0, 0, fsw }
#define STI(n, a, b, fsw, fl) { n, K_X87_STI, 0, { a, b }, 2, C_N, C_N, 0, 0, 0, fl, fsw }
#define X87M(n, a, d, sz, v, fsw) { n, K_X87_MEM, 0, { a }, 1, C_N, C_N, d, sz, v, MEMONLY, fsw }
/* [pfx] 0f op: reg, rm */
#define RM2(n, p, o, r, m, sz, v, fl) { n, K_RM, p, { 0x0f, o }, 2, r, m, 0, sz, v, fl, 0xffff }
#define RM3(n, p, o1, o2, r, m, sz, v, fl) \
    { n, K_RM, p, { 0x0f, o1, o2 }, 3, r, m, 0, sz, v, fl, 0xffff }
#define DIG(n, p, o, d, m, fl) { n, K_RM, p, { 0x0f, o }, 2, C_D, m, d, 0, 0, fl | REGONLY, 0xffff }

/* Packed: xmm, xmm/m128 (aligned unless noted). */
#define PX(n, p, o) RM2(n, p, o, C_X, C_X, 16, V_BITS, A16)
#define PX38(n, o) RM3(n, 0x66, 0x38, o, C_X, C_X, 16, V_BITS, A16)
#define PX3A(n, o) RM3(n, 0x66, 0x3a, o, C_X, C_X, 16, V_BITS, A16 | IMM)
#define PM(n, o) RM2(n, 0, o, C_M, C_M, 8, V_BITS, 0)

static const FpTmpl tmpls[] = {
    /* ---- x87: no operand ---- */
    X87("fchs", 0xd9, 0xe0, FSW_C1), X87("fabs", 0xd9, 0xe1, FSW_C1),
    X87("ftst", 0xd9, 0xe4, FSW_CC_ALL), X87("fxam", 0xd9, 0xe5, FSW_CC_ALL),
    X87("fld1", 0xd9, 0xe8, FSW_C1), X87("fldl2t", 0xd9, 0xe9, FSW_C1),
    X87("fldl2e", 0xd9, 0xea, FSW_C1), X87("fldpi", 0xd9, 0xeb, FSW_C1),
    X87("fldlg2", 0xd9, 0xec, FSW_C1), X87("fldln2", 0xd9, 0xed, FSW_C1),
    X87("fldz", 0xd9, 0xee, FSW_C1), X87("f2xm1", 0xd9, 0xf0, FSW_C1),
    X87("fyl2x", 0xd9, 0xf1, FSW_C1), X87("fptan", 0xd9, 0xf2, FSW_C1C2),
    X87("fpatan", 0xd9, 0xf3, FSW_C1), X87("fxtract", 0xd9, 0xf4, FSW_C1),
    X87("fprem1", 0xd9, 0xf5, FSW_CC_ALL), X87("fdecstp", 0xd9, 0xf6, FSW_C1),
    X87("fincstp", 0xd9, 0xf7, FSW_C1), X87("fprem", 0xd9, 0xf8, FSW_CC_ALL),
    X87("fyl2xp1", 0xd9, 0xf9, FSW_C1), X87("fsqrt", 0xd9, 0xfa, FSW_C1),
    X87("fsincos", 0xd9, 0xfb, FSW_C1C2), X87("frndint", 0xd9, 0xfc, FSW_C1),
    X87("fscale", 0xd9, 0xfd, FSW_C1), X87("fsin", 0xd9, 0xfe, FSW_C1C2),
    X87("fcos", 0xd9, 0xff, FSW_C1C2), X87("fnstsw ax", 0xdf, 0xe0, FSW_CC_ALL),
    X87("fucompp", 0xda, 0xe9, FSW_CC_ALL), X87("fcompp", 0xde, 0xd9, FSW_CC_ALL),
    X87("fninit", 0xdb, 0xe3, FSW_CC_ALL), X87("fnclex", 0xdb, 0xe2, FSW_NONE),
    /* ---- x87: ST(i) ---- */
    STI("fld st(i)", 0xd9, 0xc0, FSW_C1, 0), STI("fxch", 0xd9, 0xc8, FSW_C1, 0),
    STI("fst st(i)", 0xdd, 0xd0, FSW_C1, 0), STI("fstp st(i)", 0xdd, 0xd8, FSW_C1, 0),
    STI("fadd st,st(i)", 0xd8, 0xc0, FSW_C1, 0), STI("fmul st,st(i)", 0xd8, 0xc8, FSW_C1, 0),
    STI("fcom st(i)", 0xd8, 0xd0, FSW_CC_ALL, 0), STI("fcomp st(i)", 0xd8, 0xd8, FSW_CC_ALL, 0),
    STI("fsub st,st(i)", 0xd8, 0xe0, FSW_C1, 0), STI("fsubr st,st(i)", 0xd8, 0xe8, FSW_C1, 0),
    STI("fdiv st,st(i)", 0xd8, 0xf0, FSW_C1, 0), STI("fdivr st,st(i)", 0xd8, 0xf8, FSW_C1, 0),
    STI("fadd st(i),st", 0xdc, 0xc0, FSW_C1, 0), STI("fmul st(i),st", 0xdc, 0xc8, FSW_C1, 0),
    STI("fsubr st(i),st", 0xdc, 0xe0, FSW_C1, 0), STI("fsub st(i),st", 0xdc, 0xe8, FSW_C1, 0),
    STI("fdivr st(i),st", 0xdc, 0xf0, FSW_C1, 0), STI("fdiv st(i),st", 0xdc, 0xf8, FSW_C1, 0),
    STI("faddp", 0xde, 0xc0, FSW_C1, 0), STI("fmulp", 0xde, 0xc8, FSW_C1, 0),
    STI("fsubrp", 0xde, 0xe0, FSW_C1, 0), STI("fsubp", 0xde, 0xe8, FSW_C1, 0),
    STI("fdivrp", 0xde, 0xf0, FSW_C1, 0), STI("fdivp", 0xde, 0xf8, FSW_C1, 0),
    STI("fucom", 0xdd, 0xe0, FSW_CC_ALL, 0), STI("fucomp", 0xdd, 0xe8, FSW_CC_ALL, 0),
    STI("ffree", 0xdd, 0xc0, FSW_NONE, 0),
    STI("fcmovb", 0xda, 0xc0, FSW_C1, RD_EFL), STI("fcmove", 0xda, 0xc8, FSW_C1, RD_EFL),
    STI("fcmovbe", 0xda, 0xd0, FSW_C1, RD_EFL), STI("fcmovu", 0xda, 0xd8, FSW_C1, RD_EFL),
    STI("fcmovnb", 0xdb, 0xc0, FSW_C1, RD_EFL), STI("fcmovne", 0xdb, 0xc8, FSW_C1, RD_EFL),
    STI("fcmovnbe", 0xdb, 0xd0, FSW_C1, RD_EFL), STI("fcmovnu", 0xdb, 0xd8, FSW_C1, RD_EFL),
    STI("fcomi", 0xdb, 0xf0, FSW_C1, EFL), STI("fucomi", 0xdb, 0xe8, FSW_C1, EFL),
    STI("fcomip", 0xdf, 0xf0, FSW_C1, EFL), STI("fucomip", 0xdf, 0xe8, FSW_C1, EFL),
    /* ---- x87: memory ---- */
    X87M("fadd m32", 0xd8, 0, 4, V_F32, FSW_C1), X87M("fmul m32", 0xd8, 1, 4, V_F32, FSW_C1),
    X87M("fcom m32", 0xd8, 2, 4, V_F32, FSW_CC_ALL),
    X87M("fcomp m32", 0xd8, 3, 4, V_F32, FSW_CC_ALL),
    X87M("fsub m32", 0xd8, 4, 4, V_F32, FSW_C1), X87M("fsubr m32", 0xd8, 5, 4, V_F32, FSW_C1),
    X87M("fdiv m32", 0xd8, 6, 4, V_F32, FSW_C1), X87M("fdivr m32", 0xd8, 7, 4, V_F32, FSW_C1),
    X87M("fadd m64", 0xdc, 0, 8, V_F64, FSW_C1), X87M("fmul m64", 0xdc, 1, 8, V_F64, FSW_C1),
    X87M("fcom m64", 0xdc, 2, 8, V_F64, FSW_CC_ALL),
    X87M("fsub m64", 0xdc, 4, 8, V_F64, FSW_C1), X87M("fdivr m64", 0xdc, 7, 8, V_F64, FSW_C1),
    X87M("fiadd m32", 0xda, 0, 4, V_I32, FSW_C1), X87M("fimul m32", 0xda, 1, 4, V_I32, FSW_C1),
    X87M("ficom m32", 0xda, 2, 4, V_I32, FSW_CC_ALL),
    X87M("fisub m32", 0xda, 4, 4, V_I32, FSW_C1), X87M("fidiv m32", 0xda, 6, 4, V_I32, FSW_C1),
    X87M("fiadd m16", 0xde, 0, 2, V_I16, FSW_C1), X87M("fisubr m16", 0xde, 5, 2, V_I16, FSW_C1),
    X87M("ficomp m16", 0xde, 3, 2, V_I16, FSW_CC_ALL),
    X87M("fld m32", 0xd9, 0, 4, V_F32, FSW_C1), X87M("fst m32", 0xd9, 2, 4, V_BITS, FSW_C1),
    X87M("fstp m32", 0xd9, 3, 4, V_BITS, FSW_C1), X87M("fld m64", 0xdd, 0, 8, V_F64, FSW_C1),
    X87M("fst m64", 0xdd, 2, 8, V_BITS, FSW_C1), X87M("fstp m64", 0xdd, 3, 8, V_BITS, FSW_C1),
    X87M("fld m80", 0xdb, 5, 10, V_F80, FSW_C1), X87M("fstp m80", 0xdb, 7, 10, V_BITS, FSW_C1),
    X87M("fild m16", 0xdf, 0, 2, V_I16, FSW_C1), X87M("fild m32", 0xdb, 0, 4, V_I32, FSW_C1),
    X87M("fild m64", 0xdf, 5, 8, V_I64, FSW_C1),
    X87M("fist m16", 0xdf, 2, 2, V_BITS, FSW_C1), X87M("fistp m16", 0xdf, 3, 2, V_BITS, FSW_C1),
    X87M("fist m32", 0xdb, 2, 4, V_BITS, FSW_C1), X87M("fistp m32", 0xdb, 3, 4, V_BITS, FSW_C1),
    X87M("fistp m64", 0xdf, 7, 8, V_BITS, FSW_C1),
    X87M("fisttp m16", 0xdf, 1, 2, V_BITS, FSW_C1),
    X87M("fisttp m32", 0xdb, 1, 4, V_BITS, FSW_C1),
    X87M("fisttp m64", 0xdd, 1, 8, V_BITS, FSW_C1),
    X87M("fldcw", 0xd9, 5, 2, V_FCW, FSW_CC_ALL), X87M("fnstcw", 0xd9, 7, 2, V_BITS, FSW_CC_ALL),
    X87M("fnstsw m16", 0xdd, 7, 2, V_BITS, FSW_CC_ALL),
    X87M("fbld", 0xdf, 4, 10, V_BCD, FSW_C1), X87M("fbstp", 0xdf, 6, 10, V_BITS, FSW_C1),
    /* ---- SSE/SSE2 floating point ---- */
    PX("addps", 0, 0x58), PX("addpd", 0x66, 0x58),
    RM2("addss", 0xf3, 0x58, C_X, C_X, 4, V_F32, 0), RM2("addsd", 0xf2, 0x58, C_X, C_X, 8, V_F64, 0),
    PX("mulps", 0, 0x59), PX("mulpd", 0x66, 0x59),
    RM2("mulss", 0xf3, 0x59, C_X, C_X, 4, V_F32, 0), RM2("mulsd", 0xf2, 0x59, C_X, C_X, 8, V_F64, 0),
    PX("subps", 0, 0x5c), PX("subpd", 0x66, 0x5c),
    RM2("subss", 0xf3, 0x5c, C_X, C_X, 4, V_F32, 0), RM2("subsd", 0xf2, 0x5c, C_X, C_X, 8, V_F64, 0),
    PX("divps", 0, 0x5e), PX("divpd", 0x66, 0x5e),
    RM2("divss", 0xf3, 0x5e, C_X, C_X, 4, V_F32, 0), RM2("divsd", 0xf2, 0x5e, C_X, C_X, 8, V_F64, 0),
    PX("minps", 0, 0x5d), PX("minpd", 0x66, 0x5d),
    RM2("minss", 0xf3, 0x5d, C_X, C_X, 4, V_F32, 0), RM2("minsd", 0xf2, 0x5d, C_X, C_X, 8, V_F64, 0),
    PX("maxps", 0, 0x5f), PX("maxpd", 0x66, 0x5f),
    RM2("maxss", 0xf3, 0x5f, C_X, C_X, 4, V_F32, 0), RM2("maxsd", 0xf2, 0x5f, C_X, C_X, 8, V_F64, 0),
    PX("sqrtps", 0, 0x51), PX("sqrtpd", 0x66, 0x51),
    RM2("sqrtss", 0xf3, 0x51, C_X, C_X, 4, V_F32, 0), RM2("sqrtsd", 0xf2, 0x51, C_X, C_X, 8, V_F64, 0),
    PX("rcpps", 0, 0x53), PX("rsqrtps", 0, 0x52),
    PX("andps", 0, 0x54), PX("andnpd", 0x66, 0x55), PX("orps", 0, 0x56), PX("xorpd", 0x66, 0x57),
    RM2("cmpps", 0, 0xc2, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("cmppd", 0x66, 0xc2, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("cmpss", 0xf3, 0xc2, C_X, C_X, 4, V_F32, IMM),
    RM2("cmpsd", 0xf2, 0xc2, C_X, C_X, 8, V_F64, IMM),
    RM2("comiss", 0, 0x2f, C_X, C_X, 4, V_F32, EFL), RM2("comisd", 0x66, 0x2f, C_X, C_X, 8, V_F64, EFL),
    RM2("ucomiss", 0, 0x2e, C_X, C_X, 4, V_F32, EFL),
    RM2("ucomisd", 0x66, 0x2e, C_X, C_X, 8, V_F64, EFL),
    RM2("cvtps2pd", 0, 0x5a, C_X, C_X, 8, V_F32, 0), PX("cvtpd2ps", 0x66, 0x5a),
    RM2("cvtss2sd", 0xf3, 0x5a, C_X, C_X, 4, V_F32, 0),
    RM2("cvtsd2ss", 0xf2, 0x5a, C_X, C_X, 8, V_F64, 0),
    PX("cvtdq2ps", 0, 0x5b), PX("cvtps2dq", 0x66, 0x5b), PX("cvttps2dq", 0xf3, 0x5b),
    RM2("cvtdq2pd", 0xf3, 0xe6, C_X, C_X, 8, V_BITS, 0), PX("cvtpd2dq", 0xf2, 0xe6),
    PX("cvttpd2dq", 0x66, 0xe6),
    RM2("cvtsi2ss r32", 0xf3, 0x2a, C_X, C_G, 4, V_I32, 0),
    RM2("cvtsi2sd r32", 0xf2, 0x2a, C_X, C_G, 4, V_I32, 0),
    RM2("cvtsi2ss r64", 0xf3, 0x2a, C_X, C_G, 8, V_I64, W1 | M64),
    RM2("cvtsi2sd r64", 0xf2, 0x2a, C_X, C_G, 8, V_I64, W1 | M64),
    RM2("cvttss2si", 0xf3, 0x2c, C_G, C_X, 4, V_F32, 0),
    RM2("cvttsd2si", 0xf2, 0x2c, C_G, C_X, 8, V_F64, 0),
    RM2("cvtss2si", 0xf3, 0x2d, C_G, C_X, 4, V_F32, 0),
    RM2("cvtsd2si", 0xf2, 0x2d, C_G, C_X, 8, V_F64, 0),
    RM2("cvttsd2si r64", 0xf2, 0x2c, C_G, C_X, 8, V_F64, W1 | M64),
    RM2("cvtss2si r64", 0xf3, 0x2d, C_G, C_X, 4, V_F32, W1 | M64),
    RM2("cvtpi2ps", 0, 0x2a, C_X, C_M, 8, V_BITS, 0), RM2("cvtps2pi", 0, 0x2d, C_M, C_X, 8, V_F32, 0),
    RM2("cvttps2pi", 0, 0x2c, C_M, C_X, 8, V_F32, 0),
    RM2("cvtpi2pd", 0x66, 0x2a, C_X, C_M, 8, V_BITS, 0),
    RM2("cvtpd2pi", 0x66, 0x2d, C_M, C_X, 16, V_BITS, A16),
    RM2("cvttpd2pi", 0x66, 0x2c, C_M, C_X, 16, V_BITS, A16),
    PX("movaps", 0, 0x28), RM2("movups", 0, 0x10, C_X, C_X, 16, V_BITS, 0),
    RM2("movss", 0xf3, 0x10, C_X, C_X, 4, V_F32, 0), RM2("movsd", 0xf2, 0x10, C_X, C_X, 8, V_F64, 0),
    RM2("movss store", 0xf3, 0x11, C_X, C_X, 4, V_BITS, 0),
    RM2("movlps/movhlps", 0, 0x12, C_X, C_X, 8, V_BITS, 0),
    RM2("movhps/movlhps", 0, 0x16, C_X, C_X, 8, V_BITS, 0),
    PX("unpcklps", 0, 0x14), PX("unpckhps", 0, 0x15), PX("unpcklpd", 0x66, 0x14),
    PX("unpckhpd", 0x66, 0x15),
    RM2("shufps", 0, 0xc6, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("shufpd", 0x66, 0xc6, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("movmskps", 0, 0x50, C_G, C_X, 0, 0, REGONLY),
    RM2("movmskpd", 0x66, 0x50, C_G, C_X, 0, 0, REGONLY),
    /* ---- SSE3 ---- */
    PX("addsubps", 0xf2, 0xd0), PX("addsubpd", 0x66, 0xd0), PX("haddps", 0xf2, 0x7c),
    PX("haddpd", 0x66, 0x7c), PX("hsubps", 0xf2, 0x7d), PX("hsubpd", 0x66, 0x7d),
    RM2("movddup", 0xf2, 0x12, C_X, C_X, 8, V_F64, 0), PX("movshdup", 0xf3, 0x16),
    PX("movsldup", 0xf3, 0x12), RM2("lddqu", 0xf2, 0xf0, C_X, C_X, 16, V_BITS, MEMONLY),
    /* ---- SSE4.1 floating point ---- */
    RM3("roundps", 0x66, 0x3a, 0x08, C_X, C_X, 16, V_BITS, A16 | IMM | IMM_ROUND),
    RM3("roundpd", 0x66, 0x3a, 0x09, C_X, C_X, 16, V_BITS, A16 | IMM | IMM_ROUND),
    RM3("roundss", 0x66, 0x3a, 0x0a, C_X, C_X, 4, V_F32, IMM | IMM_ROUND),
    RM3("roundsd", 0x66, 0x3a, 0x0b, C_X, C_X, 8, V_F64, IMM | IMM_ROUND),
    PX3A("blendps", 0x0c), PX3A("blendpd", 0x0d),
    RM3("blendvps", 0x66, 0x38, 0x14, C_X, C_X, 16, V_BITS, A16 | XMM0),
    RM3("blendvpd", 0x66, 0x38, 0x15, C_X, C_X, 16, V_BITS, A16 | XMM0),
    PX3A("dpps", 0x40), PX3A("dppd", 0x41),
    RM3("insertps", 0x66, 0x3a, 0x21, C_X, C_X, 4, V_F32, IMM),
    RM3("extractps", 0x66, 0x3a, 0x17, C_X, C_G, 4, V_BITS, IMM),
    /* ---- SSE2 integer ---- */
    PX("paddb", 0x66, 0xfc), PX("paddw", 0x66, 0xfd), PX("paddd", 0x66, 0xfe),
    PX("paddq", 0x66, 0xd4), PX("psubb", 0x66, 0xf8), PX("psubd", 0x66, 0xfa),
    PX("psubq", 0x66, 0xfb), PX("paddsb", 0x66, 0xec), PX("paddsw", 0x66, 0xed),
    PX("paddusb", 0x66, 0xdc), PX("paddusw", 0x66, 0xdd), PX("psubsw", 0x66, 0xe9),
    PX("psubusb", 0x66, 0xd8), PX("pmullw", 0x66, 0xd5), PX("pmulhw", 0x66, 0xe5),
    PX("pmulhuw", 0x66, 0xe4), PX("pmuludq", 0x66, 0xf4), PX("pmaddwd", 0x66, 0xf5),
    PX("pavgb", 0x66, 0xe0), PX("pavgw", 0x66, 0xe3), PX("pminub", 0x66, 0xda),
    PX("pmaxub", 0x66, 0xde), PX("pminsw", 0x66, 0xea), PX("pmaxsw", 0x66, 0xee),
    PX("psadbw", 0x66, 0xf6), PX("pcmpeqb", 0x66, 0x74), PX("pcmpeqw", 0x66, 0x75),
    PX("pcmpeqd", 0x66, 0x76), PX("pcmpgtb", 0x66, 0x64), PX("pcmpgtw", 0x66, 0x65),
    PX("pcmpgtd", 0x66, 0x66), PX("packsswb", 0x66, 0x63), PX("packuswb", 0x66, 0x67),
    PX("packssdw", 0x66, 0x6b), PX("punpcklbw", 0x66, 0x60), PX("punpcklwd", 0x66, 0x61),
    PX("punpckldq", 0x66, 0x62), PX("punpcklqdq", 0x66, 0x6c), PX("punpckhbw", 0x66, 0x68),
    PX("punpckhwd", 0x66, 0x69), PX("punpckhdq", 0x66, 0x6a), PX("punpckhqdq", 0x66, 0x6d),
    PX("pand", 0x66, 0xdb), PX("pandn", 0x66, 0xdf), PX("por", 0x66, 0xeb),
    PX("pxor", 0x66, 0xef), PX("psllw", 0x66, 0xf1), PX("pslld", 0x66, 0xf2),
    PX("psllq", 0x66, 0xf3), PX("psrlw", 0x66, 0xd1), PX("psrld", 0x66, 0xd2),
    PX("psrlq", 0x66, 0xd3), PX("psraw", 0x66, 0xe1), PX("psrad", 0x66, 0xe2),
    DIG("psrlw imm", 0x66, 0x71, 2, C_X, IMM), DIG("psraw imm", 0x66, 0x71, 4, C_X, IMM),
    DIG("psllw imm", 0x66, 0x71, 6, C_X, IMM), DIG("psrld imm", 0x66, 0x72, 2, C_X, IMM),
    DIG("psrad imm", 0x66, 0x72, 4, C_X, IMM), DIG("pslld imm", 0x66, 0x72, 6, C_X, IMM),
    DIG("psrlq imm", 0x66, 0x73, 2, C_X, IMM), DIG("psrldq", 0x66, 0x73, 3, C_X, IMM),
    DIG("psllq imm", 0x66, 0x73, 6, C_X, IMM), DIG("pslldq", 0x66, 0x73, 7, C_X, IMM),
    RM2("pshufd", 0x66, 0x70, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("pshufhw", 0xf3, 0x70, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("pshuflw", 0xf2, 0x70, C_X, C_X, 16, V_BITS, A16 | IMM),
    RM2("pmovmskb", 0x66, 0xd7, C_G, C_X, 0, 0, REGONLY),
    RM2("pextrw", 0x66, 0xc5, C_G, C_X, 0, 0, REGONLY | IMM),
    RM2("pinsrw", 0x66, 0xc4, C_X, C_G, 2, V_BITS, IMM),
    RM2("movd xmm,r/m32", 0x66, 0x6e, C_X, C_G, 4, V_BITS, 0),
    RM2("movd r/m32,xmm", 0x66, 0x7e, C_X, C_G, 4, V_BITS, 0),
    RM2("movq xmm,r64", 0x66, 0x6e, C_X, C_G, 8, V_BITS, W1 | M64),
    RM2("movq r64,xmm", 0x66, 0x7e, C_X, C_G, 8, V_BITS, W1 | M64),
    RM2("movq xmm,xmm/m64", 0xf3, 0x7e, C_X, C_X, 8, V_BITS, 0),
    RM2("movq xmm/m64,xmm", 0x66, 0xd6, C_X, C_X, 8, V_BITS, 0),
    PX("movdqa", 0x66, 0x6f), RM2("movdqu", 0xf3, 0x6f, C_X, C_X, 16, V_BITS, 0),
    RM2("movdqa store", 0x66, 0x7f, C_X, C_X, 16, V_BITS, A16),
    /* ---- SSSE3 ---- */
    PX38("pshufb", 0x00), PX38("phaddw", 0x01), PX38("phaddd", 0x02), PX38("phaddsw", 0x03),
    PX38("pmaddubsw", 0x04), PX38("phsubw", 0x05), PX38("phsubd", 0x06),
    PX38("phsubsw", 0x07), PX38("psignb", 0x08), PX38("psignw", 0x09), PX38("psignd", 0x0a),
    PX38("pmulhrsw", 0x0b), PX38("pabsb", 0x1c), PX38("pabsw", 0x1d), PX38("pabsd", 0x1e),
    PX3A("palignr", 0x0f),
    /* ---- SSE4.1 / SSE4.2 integer ---- */
    RM3("pblendvb", 0x66, 0x38, 0x10, C_X, C_X, 16, V_BITS, A16 | XMM0),
    RM3("ptest", 0x66, 0x38, 0x17, C_X, C_X, 16, V_BITS, A16 | EFL),
    RM3("pmovsxbw", 0x66, 0x38, 0x20, C_X, C_X, 8, V_BITS, 0),
    RM3("pmovsxbd", 0x66, 0x38, 0x21, C_X, C_X, 4, V_BITS, 0),
    RM3("pmovsxwq", 0x66, 0x38, 0x24, C_X, C_X, 4, V_BITS, 0),
    RM3("pmovsxdq", 0x66, 0x38, 0x25, C_X, C_X, 8, V_BITS, 0),
    RM3("pmovzxbw", 0x66, 0x38, 0x30, C_X, C_X, 8, V_BITS, 0),
    RM3("pmovzxbq", 0x66, 0x38, 0x32, C_X, C_X, 2, V_BITS, 0),
    RM3("pmovzxwd", 0x66, 0x38, 0x33, C_X, C_X, 8, V_BITS, 0),
    RM3("pmovzxdq", 0x66, 0x38, 0x35, C_X, C_X, 8, V_BITS, 0),
    PX38("pmuldq", 0x28), PX38("pcmpeqq", 0x29), PX38("packusdw", 0x2b),
    PX38("pcmpgtq", 0x37), PX38("pminsb", 0x38), PX38("pminsd", 0x39), PX38("pminuw", 0x3a),
    PX38("pminud", 0x3b), PX38("pmaxsb", 0x3c), PX38("pmaxsd", 0x3d), PX38("pmaxuw", 0x3e),
    PX38("pmaxud", 0x3f), PX38("pmulld", 0x40), PX38("phminposuw", 0x41),
    PX3A("pblendw", 0x0e), PX3A("mpsadbw", 0x42),
    RM3("pextrb", 0x66, 0x3a, 0x14, C_X, C_G, 1, V_BITS, IMM),
    RM3("pextrw m16", 0x66, 0x3a, 0x15, C_X, C_G, 2, V_BITS, IMM),
    RM3("pextrd", 0x66, 0x3a, 0x16, C_X, C_G, 4, V_BITS, IMM),
    RM3("pextrq", 0x66, 0x3a, 0x16, C_X, C_G, 8, V_BITS, IMM | W1 | M64),
    RM3("pinsrb", 0x66, 0x3a, 0x20, C_X, C_G, 1, V_BITS, IMM),
    RM3("pinsrd", 0x66, 0x3a, 0x22, C_X, C_G, 4, V_BITS, IMM),
    RM3("pinsrq", 0x66, 0x3a, 0x22, C_X, C_G, 8, V_BITS, IMM | W1 | M64),
    RM3("pcmpestrm", 0x66, 0x3a, 0x60, C_X, C_X, 16, V_BITS, IMM | EFL | STR),
    RM3("pcmpestri", 0x66, 0x3a, 0x61, C_X, C_X, 16, V_BITS, IMM | EFL | STR),
    RM3("pcmpistrm", 0x66, 0x3a, 0x62, C_X, C_X, 16, V_BITS, IMM | EFL),
    RM3("pcmpistri", 0x66, 0x3a, 0x63, C_X, C_X, 16, V_BITS, IMM | EFL),
    /* ---- MMX (and the SSE/SSSE3 forms on MMX registers) ---- */
    PM("paddb mm", 0xfc), PM("paddw mm", 0xfd), PM("paddd mm", 0xfe), PM("paddq mm", 0xd4),
    PM("psubb mm", 0xf8), PM("psubsw mm", 0xe9), PM("paddusb mm", 0xdc),
    PM("pmullw mm", 0xd5), PM("pmulhw mm", 0xe5), PM("pmaddwd mm", 0xf5),
    PM("pmuludq mm", 0xf4), PM("pcmpeqb mm", 0x74), PM("pcmpgtw mm", 0x65),
    PM("packsswb mm", 0x63), PM("packuswb mm", 0x67), PM("packssdw mm", 0x6b),
    PM("punpcklbw mm", 0x60), PM("punpckhdq mm", 0x6a), PM("pand mm", 0xdb),
    PM("pandn mm", 0xdf), PM("por mm", 0xeb), PM("pxor mm", 0xef), PM("psllw mm", 0xf1),
    PM("psrad mm", 0xe2), PM("psrlq mm", 0xd3), PM("pavgb mm", 0xe0), PM("pminub mm", 0xda),
    PM("pmaxsw mm", 0xee), PM("psadbw mm", 0xf6), PM("movq mm,mm/m64", 0x6f),
    RM2("movq mm/m64,mm", 0, 0x7f, C_M, C_M, 8, V_BITS, 0),
    RM2("movd mm,r/m32", 0, 0x6e, C_M, C_G, 4, V_BITS, 0),
    RM2("movd r/m32,mm", 0, 0x7e, C_M, C_G, 4, V_BITS, 0),
    RM2("pshufw", 0, 0x70, C_M, C_M, 8, V_BITS, IMM),
    RM2("pmovmskb mm", 0, 0xd7, C_G, C_M, 0, 0, REGONLY),
    RM2("pextrw mm", 0, 0xc5, C_G, C_M, 0, 0, REGONLY | IMM),
    RM2("pinsrw mm", 0, 0xc4, C_M, C_G, 2, V_BITS, IMM),
    DIG("psrlw mm imm", 0, 0x71, 2, C_M, IMM), DIG("psllq mm imm", 0, 0x73, 6, C_M, IMM),
    RM3("pshufb mm", 0, 0x38, 0x00, C_M, C_M, 8, V_BITS, 0),
    RM3("pabsw mm", 0, 0x38, 0x1d, C_M, C_M, 8, V_BITS, 0),
    RM3("palignr mm", 0, 0x3a, 0x0f, C_M, C_M, 8, V_BITS, IMM),
    { "emms", K_RM, 0, { 0x0f, 0x77 }, 2, C_N, C_N, 0, 0, 0, 0, 0xffff },
};

#define NTMPLS ((int)(sizeof(tmpls) / sizeof(tmpls[0])))

int diff_fp_ntmpls(void)
{
    return NTMPLS;
}

const char *diff_fp_tmpl_name(int t)
{
    return tmpls[t].name;
}

bool diff_fp_tmpl_in_mode(int t, int mode)
{
    return mode == 64 || !(tmpls[t].flags & M64);
}

/* ---- values ---- */

static unsigned rnd(DiffRng *r, unsigned n)
{
    return (unsigned)(diff_rand(r) % n);
}

static void put(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* An IEEE value of a format with e exponent bits and m fraction bits. */
static uint64_t ieee(DiffRng *r, int e, int m)
{
    uint64_t sign = (uint64_t)rnd(r, 2) << (e + m), emax = (1ull << e) - 1;
    uint64_t bias = emax >> 1, frac = diff_rand(r) & ((1ull << m) - 1);
    uint64_t exp;
    switch (rnd(r, 12)) {
    case 0: return sign;                                        /* zero */
    case 1: return sign | emax << m;                            /* infinity */
    case 2: return sign | emax << m | 1ull << (m - 1) | (frac >> 1);   /* QNaN */
    case 3: return sign | emax << m | ((frac >> 1) | 1);        /* SNaN */
    case 4: return sign | (frac ? frac : 1);                    /* denormal */
    case 5: exp = rnd(r, 2) ? 1 : emax - 1; break;              /* extremes */
    case 6:                                                     /* small integers */
        exp = bias + rnd(r, 6);
        frac &= ~((1ull << (m > 6 ? m - 6 : 0)) - 1);
        break;
    case 7: exp = bias + 31 + rnd(r, 3) - 1; break;             /* around 2^31 */
    case 8: exp = bias + 63 + rnd(r, 3) - 1; break;             /* around 2^63 */
    case 9: exp = bias + 15 + rnd(r, 3) - 1; break;             /* around 2^15 */
    default: exp = bias - 20 + rnd(r, 41); break;
    }
    return sign | exp << m | frac;
}

/* An 80-bit extended value: 64-bit significand with the explicit integer bit. */
static void f80(DiffRng *r, uint8_t *p)
{
    uint64_t sig = diff_rand(r), se;
    unsigned sign = rnd(r, 2) << 15;
    switch (rnd(r, 12)) {
    case 0: sig = 0; se = 0; break;
    case 1: sig = 1ull << 63; se = 0x7fff; break;
    case 2: sig |= 3ull << 62; se = 0x7fff; break;              /* QNaN */
    case 3: sig = (sig & ~(3ull << 62)) | 1ull << 63 | 1; se = 0x7fff; break;  /* SNaN */
    case 4: sig &= ~(1ull << 63); sig |= !sig; se = 0; break;   /* denormal */
    case 5: sig |= 1ull << 63; se = rnd(r, 2) ? 1 : 0x7ffe; break;
    case 6: sig = (sig | 1ull << 63) & ~((1ull << 58) - 1); se = 0x3fff + rnd(r, 6); break;
    case 7: sig |= 1ull << 63; se = 0x3fff + 62 + rnd(r, 3); break;
    case 8: sig |= 1ull << 63; se = 0x3fff + 30 + rnd(r, 3); break;
    case 9: sig |= 1ull << 63; se = 0x3fff + 14 + rnd(r, 3); break;
    default: sig |= 1ull << 63; se = 0x3fff - 30 + rnd(r, 61); break;
    }
    put(p, sig, 8);
    put(p + 8, se | sign, 2);
}

static uint64_t int_edge(DiffRng *r, int bits)
{
    uint64_t max = bits == 64 ? ~0ull >> 1 : (1ull << (bits - 1)) - 1;
    switch (rnd(r, 6)) {
    case 0: return 0;
    case 1: return max;
    case 2: return ~max;            /* the most negative */
    case 3: return (uint64_t)(int64_t)(int)(rnd(r, 200) - 100);
    case 4: return ~0ull;
    default: return diff_rand(r);
    }
}

/* 16 bytes of packed data: random bits, four singles or two doubles. */
static void vec16(DiffRng *r, uint8_t *p)
{
    switch (rnd(r, 4)) {
    case 0:
        put(p, diff_rand(r), 8);
        put(p + 8, diff_rand(r), 8);
        break;
    case 1:
        for (int i = 0; i < 4; i++) {
            put(p + 4 * i, ieee(r, 8, 23), 4);
        }
        break;
    case 2:
        put(p, ieee(r, 11, 52), 8);
        put(p + 8, ieee(r, 11, 52), 8);
        break;
    default:
        for (int i = 0; i < 4; i++) {
            put(p + 4 * i, int_edge(r, 32), 4);
        }
        break;
    }
}

static void mem_value(DiffRng *r, int v, uint8_t *p, int n)
{
    switch (v) {
    case V_F32: put(p, ieee(r, 8, 23), 4); break;
    case V_F64: put(p, ieee(r, 11, 52), 8); break;
    case V_F80: f80(r, p); break;
    case V_I16: put(p, int_edge(r, 16), 2); break;
    case V_I32: put(p, int_edge(r, 32), 4); break;
    case V_I64: put(p, int_edge(r, 64), 8); break;
    case V_BCD:
        for (int i = 0; i < 9; i++) {
            p[i] = (uint8_t)(rnd(r, 10) | rnd(r, 10) << 4);
        }
        p[9] = rnd(r, 2) ? 0x80 : 0;
        break;
    case V_FCW: {
        /* Exceptions stay masked; precision control 01 is reserved. */
        static const unsigned pcs[3] = { 0, 2, 3 };
        put(p, 0x7f | pcs[rnd(r, 3)] << 8 | rnd(r, 4) << 10, 2);
        break;
    }
    default:
        for (int i = 0; i < n; i += 8) {
            uint8_t b[16];
            vec16(r, b);
            memcpy(p + i, b, n - i < 8 ? (size_t)(n - i) : 8);
        }
        break;
    }
}

/* ---- cases ---- */

/* A register number of class c: XMM 0-15 (0-7 in 32-bit mode), MMX 0-7, or a
 * GPR other than rSP (the stack) and rBX (the memory base). */
static int pick_reg(DiffRng *r, int cls, int mode)
{
    switch (cls) {
    case C_X: return (int)rnd(r, mode == 64 ? 16 : 8);
    case C_M: return (int)rnd(r, 8);
    case C_G:
        for (;;) {
            int g = (int)rnd(r, mode == 64 ? 16 : 8);
            if (g != 3 && g != 4) {
                return g;
            }
        }
    default: return 0;
    }
}

void diff_fp_make_case(DiffRng *r, int mode, int t, DiffGenCase *gc, uint8_t *fx,
                       uint32_t *fsw_mask, uint32_t *flags_mask)
{
    const FpTmpl *tm = &tmpls[t];
    uint8_t *c = gc->code;
    int n = 0;

    memset(gc, 0, sizeof(*gc));
    gc->primary = t;
    gc->ninsns = 1;
    /* Registers: random; rBX is the memory base, rSP a stack inside DIFF_MEM. */
    for (int i = 0; i < 16; i++) {
        gc->in[i] = mode == 64 ? diff_rand(r) : (uint32_t)diff_rand(r);
        if (rnd(r, 3) == 0) {
            gc->in[i] = int_edge(r, mode == 64 && rnd(r, 2) ? 64 : 32);
        }
    }
    gc->in[3] = DIFF_MEM;
    gc->in[4] = DIFF_MEM + 0xe0;
    gc->in[DIFF_RFLAGS] = 2 | (rnd(r, 2) ? (diff_rand(r) & DIFF_ARITH) : 0);
    if (tm->flags & STR) {
        /* PCMPESTRx: explicit lengths in EAX and EDX, often inside 0..16. */
        gc->in[0] = rnd(r, 4) ? rnd(r, 20) : (uint32_t)-(int)rnd(r, 20);
        gc->in[2] = rnd(r, 4) ? rnd(r, 20) : (uint32_t)-(int)rnd(r, 20);
    }
    for (int i = 0; i < DIFF_MEM_SIZE; i += 16) {
        vec16(r, gc->mem_in + i);
    }

    /* FXSAVE image. */
    memset(fx, 0, DIFF_FX_SIZE);
    static const unsigned pcs[3] = { 0, 2, 3 };  /* single, double, extended */
    unsigned pc = rnd(r, 2) ? 3 : pcs[rnd(r, 3)];
    put(fx, 0x7f | pc << 8 | (rnd(r, 2) ? rnd(r, 4) : 0) << 10, 2);   /* FCW, all masked */
    unsigned top = rnd(r, 8), depth = rnd(r, 9);
    if (tm->kind != K_RM && rnd(r, 3)) {
        depth = 2 + rnd(r, 4);              /* most x87 cases have operands */
    }
    put(fx + 2, top << 11, 2);              /* FSW */
    uint8_t tags = 0;
    for (unsigned j = 0; j < depth; j++) {
        tags |= 1u << ((top + j) & 7);
    }
    fx[4] = tags;                           /* abridged FTW */
    uint32_t mxcsr = 0x1f80 | (rnd(r, 2) ? rnd(r, 4) << 13 : 0);
    if (rnd(r, 4) == 0) {
        mxcsr |= 0x8000;                    /* FTZ */
    }
    if (rnd(r, 4) == 0) {
        mxcsr |= 0x40;                      /* DAZ */
    }
    put(fx + 24, mxcsr, 4);
    for (int j = 0; j < 8; j++) {
        if (tm->reg == C_M || tm->rm == C_M) {
            put(fx + 32 + 16 * j, diff_rand(r), 8);
            put(fx + 40 + 16 * j, rnd(r, 4) ? 0xffff : diff_rand(r) & 0xffff, 2);
        } else {
            f80(r, fx + 32 + 16 * j);
        }
    }
    for (int j = 0; j < 16; j++) {
        vec16(r, fx + 160 + 16 * j);
    }

    /* Encoding. */
    *fsw_mask = tm->fsw;
    *flags_mask = DIFF_ARITH | DIFF_DF;     /* written (EFL) or left alone */
    switch (tm->kind) {
    case K_X87:
        c[n++] = tm->op[0];
        c[n++] = tm->op[1];
        break;
    case K_X87_STI:
        c[n++] = tm->op[0];
        c[n++] = (uint8_t)(tm->op[1] + rnd(r, 8));
        break;
    case K_X87_MEM: {
        unsigned off = rnd(r, (DIFF_MEM_SIZE - 0x40 - 16) / 8) * 8;
        c[n++] = tm->op[0];
        c[n++] = (uint8_t)(0x40 | tm->digit << 3 | 3);     /* [rBX + disp8] */
        c[n++] = (uint8_t)off;
        mem_value(r, tm->mval, gc->mem_in + off, tm->msize);
        break;
    }
    default: {
        if (tm->reg == C_N && tm->rm == C_N) {
            for (int i = 0; i < tm->oplen; i++) {
                c[n++] = tm->op[i];           /* EMMS: no ModRM */
            }
            break;
        }
        bool w = tm->flags & W1;
        bool mem = tm->msize && !(tm->flags & REGONLY) &&
                   ((tm->flags & MEMONLY) || rnd(r, 3) == 0);
        int reg = tm->reg == C_D ? tm->digit : pick_reg(r, tm->reg, mode);
        int rm = mem ? 3 : pick_reg(r, tm->rm, mode);
        unsigned off = 0;
        if (tm->pfx) {
            c[n++] = tm->pfx;
        }
        uint8_t rex = (uint8_t)((w ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0));
        if (mode == 64 && rex) {
            c[n++] = (uint8_t)(0x40 | rex);
        }
        for (int i = 0; i < tm->oplen; i++) {
            c[n++] = tm->op[i];
        }
        if (mem) {
            off = rnd(r, (DIFF_MEM_SIZE - 0x40 - 16) / 16) * 16;
            if (!(tm->flags & A16) && rnd(r, 2)) {
                off += rnd(r, 16);              /* misaligned is allowed here */
            }
            c[n++] = (uint8_t)(0x40 | (reg & 7) << 3 | 3);
            c[n++] = (uint8_t)off;
            mem_value(r, tm->mval, gc->mem_in + off, tm->msize);
        } else {
            c[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
        }
        if (tm->flags & IMM) {
            c[n++] = (uint8_t)((tm->flags & IMM_ROUND) ? rnd(r, 16) : rnd(r, 256));
        }
        /* Scalar forms: put an edge value of the type in the register too. */
        if (!mem && tm->rm == C_X && tm->mval != V_BITS) {
            mem_value(r, tm->mval, fx + 160 + 16 * rm, tm->msize);
        }
        break;
    }
    }
    gc->code_len = n;
    gc->insn_off[0] = 0;
}
