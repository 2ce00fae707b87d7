/*
 * translate-sse.c: SSE..SSE4.1 floating point, moves, shuffles, logic,
 * conversions and MXCSR (SDM Vol 1 ch. 10-12, Vol 2 per-instruction pages).
 * Plain moves, logic and shuffles are inline loads and stores on env (they
 * are hot in memcpy/memset and need no rounding); arithmetic calls the
 * helpers of sse-helper.c, which apply MXCSR. The integer MMX/SSE forms are
 * in translate-simd-int.c.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"
#include "target-x86/sse-helper.h"

#define XMM_ONLY (TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS)

static const TCGHelperInfo hi_sse_op =
    TCG_HELPER_INFO(helper_sse_op, RAISE | TCG_CALL_NO_WRITE_GLOBALS, V, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_sse_cvt_i2f =
    TCG_HELPER_INFO(helper_sse_cvt_i2f, RAISE | TCG_CALL_NO_WRITE_GLOBALS, V, P, Q, Q, Q);
static const TCGHelperInfo hi_sse_cvt_f2i =
    TCG_HELPER_INFO(helper_sse_cvt_f2i, RAISE | TCG_CALL_NO_WRITE_GLOBALS, Q, P, Q, Q);
/* Writes EFLAGS (cc_op is a global). */
static const TCGHelperInfo hi_sse_comi =
    TCG_HELPER_INFO(helper_sse_comi, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_sse_blendv =
    TCG_HELPER_INFO(helper_sse_blendv, XMM_ONLY, V, P, Q, Q, Q);
static const TCGHelperInfo hi_sse_movmsk =
    TCG_HELPER_INFO(helper_sse_movmsk, XMM_ONLY | TCG_CALL_NO_SIDE_EFFECTS, Q, P, Q, Q);
static const TCGHelperInfo hi_sse_ldmxcsr =
    TCG_HELPER_INFO(helper_sse_ldmxcsr, RAISE | TCG_CALL_NO_WRITE_GLOBALS, V, P, Q);

/* ---- operands ---- */

static bool op_is_mem(DC *d, int i)
{
    return d->in.ops[i].kind == X86_OPK_MEM;
}

static intptr_t reg_off(DC *d, int i)
{
    return vec_reg_off(&d->in.ops[i]);
}

static uint8_t imm8(DC *d)
{
    for (int i = 0; i < d->in.n_ops; i++) {
        if (d->in.ops[i].kind == X86_OPK_IMM) {
            return (uint8_t)d->in.imm[d->in.ops[i].index];
        }
    }
    return 0;
}

/* #GP(0) unless the memory operand is 16-byte aligned. The check branches,
 * and temps die at a label, so the cached address is computed again after. */
static void sse_check_align(DC *d)
{
    vec_check_align(d, mem_addr(d), 16);
    d->a0_valid = false;
}

/* Source operand i as an env offset. A 16-byte memory operand of a legacy
 * SSE instruction must be 16-byte aligned, MOVUPS and MOVUPD excepted
 * (SDM Vol 1 §11.4.1 and §12.1.3): #GP(0) before the access. */
static intptr_t src_off(DC *d, int i)
{
    X86Operand *o = &d->in.ops[i];
    if (o->kind == X86_OPK_MEM && o->size == 16 && d->in.mnem != X86_M_MOVUPS &&
        d->in.mnem != X86_M_MOVUPD) {
        sse_check_align(d);
    }
    return vec_src(d, i, 0);
}

static TCGv_i64 ld64(DC *d, intptr_t off)
{
    TCGv_i64 t = tmp(d);
    tcg_gen_ld_i64(d->s, t, off);
    return t;
}

static TCGv_i64 ld32(DC *d, intptr_t off)
{
    TCGv_i64 t = tmp(d);
    tcg_gen_ld32u_i64(d->s, t, off);
    return t;
}

static void st64(DC *d, TCGv_i64 v, intptr_t off)
{
    tcg_gen_st_i64(d->s, v, off);
}

static void st32(DC *d, TCGv_i64 v, intptr_t off)
{
    tcg_gen_st32_i64(d->s, v, off);
}

static void copy16(DC *d, intptr_t dst, intptr_t src)
{
    if (dst == src) {
        return;
    }
    TCGv_i64 lo = ld64(d, src), hi = ld64(d, src + 8);
    st64(d, lo, dst);
    st64(d, hi, dst + 8);
}

/* ---- moves ---- */

/* MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVNTPS/MOVNTPD: 16 bytes, either direction. */
static void gen_mov128(DC *d, bool aligned)
{
    if (op_is_mem(d, 0)) {
        if (aligned) {
            sse_check_align(d);
        }
        vec_st_mem(d, 0, reg_off(d, 1), 16);
    } else {
        copy16(d, reg_off(d, 0), src_off(d, 1));
    }
}

/* MOVSS/MOVSD: a load from memory zeroes the rest of the register; a
 * register-to-register move keeps it. */
static void gen_movs(DC *d, int size)
{
    if (op_is_mem(d, 0)) {
        vec_st_mem(d, 0, reg_off(d, 1), size);
    } else if (op_is_mem(d, 1)) {
        copy16(d, reg_off(d, 0), vec_src(d, 1, size));
    } else if (size == 8) {
        st64(d, ld64(d, reg_off(d, 1)), reg_off(d, 0));
    } else {
        st32(d, ld32(d, reg_off(d, 1)), reg_off(d, 0));
    }
}

/* MOVLPS/MOVLPD (half 0), MOVHPS/MOVHPD (half 1): one quadword in memory. */
static void gen_movhalf(DC *d, int half)
{
    if (op_is_mem(d, 0)) {
        vec_st_mem(d, 0, reg_off(d, 1) + 8 * half, 8);
    } else {
        intptr_t so = vec_src(d, 1, 8);
        st64(d, ld64(d, so), reg_off(d, 0) + 8 * half);
    }
}

/* ---- shuffles ---- */

/* dst.l[i] = (sel[i] < 4 ? dst : src).l[sel[i] & 3]; every lane is read
 * before any is written (dst and src may be the same register). */
static void gen_perm32(DC *d, intptr_t dst, intptr_t src, const int sel[4])
{
    TCGv_i64 v[4];
    for (int i = 0; i < 4; i++) {
        v[i] = ld32(d, (sel[i] < 4 ? dst : src) + 4 * (sel[i] & 3));
    }
    for (int i = 0; i < 4; i++) {
        st32(d, v[i], dst + 4 * i);
    }
}

static void gen_perm64(DC *d, intptr_t dst, intptr_t src, int sel0, int sel1)
{
    TCGv_i64 a = ld64(d, (sel0 < 2 ? dst : src) + 8 * (sel0 & 1));
    TCGv_i64 b = ld64(d, (sel1 < 2 ? dst : src) + 8 * (sel1 & 1));
    st64(d, a, dst);
    st64(d, b, dst + 8);
}

/* ANDPS ANDNPS ORPS XORPS and the PD forms. */
static void gen_logic(DC *d, int kind)
{
    intptr_t so = src_off(d, 1), dst = reg_off(d, 0);
    for (int k = 0; k < 16; k += 8) {
        TCGv_i64 a = ld64(d, dst + k), b = ld64(d, so + k);
        switch (kind) {
        case 0: tcg_gen_and_i64(d->s, a, a, b); break;
        case 1: tcg_gen_andc_i64(d->s, a, b, a); break;
        case 2: tcg_gen_or_i64(d->s, a, a, b); break;
        default: tcg_gen_xor_i64(d->s, a, a, b); break;
        }
        st64(d, a, dst + k);
    }
}

/* ---- arithmetic through helpers ---- */

static int arith_op(unsigned mnem)
{
    switch (mnem) {
    case X86_M_ADDPS: return SSE_OP_ADDPS;
    case X86_M_ADDPD: return SSE_OP_ADDPD;
    case X86_M_ADDSS: return SSE_OP_ADDSS;
    case X86_M_ADDSD: return SSE_OP_ADDSD;
    case X86_M_SUBPS: return SSE_OP_SUBPS;
    case X86_M_SUBPD: return SSE_OP_SUBPD;
    case X86_M_SUBSS: return SSE_OP_SUBSS;
    case X86_M_SUBSD: return SSE_OP_SUBSD;
    case X86_M_MULPS: return SSE_OP_MULPS;
    case X86_M_MULPD: return SSE_OP_MULPD;
    case X86_M_MULSS: return SSE_OP_MULSS;
    case X86_M_MULSD: return SSE_OP_MULSD;
    case X86_M_DIVPS: return SSE_OP_DIVPS;
    case X86_M_DIVPD: return SSE_OP_DIVPD;
    case X86_M_DIVSS: return SSE_OP_DIVSS;
    case X86_M_DIVSD: return SSE_OP_DIVSD;
    case X86_M_MINPS: return SSE_OP_MINPS;
    case X86_M_MINPD: return SSE_OP_MINPD;
    case X86_M_MINSS: return SSE_OP_MINSS;
    case X86_M_MINSD: return SSE_OP_MINSD;
    case X86_M_MAXPS: return SSE_OP_MAXPS;
    case X86_M_MAXPD: return SSE_OP_MAXPD;
    case X86_M_MAXSS: return SSE_OP_MAXSS;
    case X86_M_MAXSD: return SSE_OP_MAXSD;
    case X86_M_SQRTPS: return SSE_OP_SQRTPS;
    case X86_M_SQRTPD: return SSE_OP_SQRTPD;
    case X86_M_SQRTSS: return SSE_OP_SQRTSS;
    case X86_M_SQRTSD: return SSE_OP_SQRTSD;
    case X86_M_RSQRTPS: return SSE_OP_RSQRTPS;
    case X86_M_RSQRTSS: return SSE_OP_RSQRTSS;
    case X86_M_RCPPS: return SSE_OP_RCPPS;
    case X86_M_RCPSS: return SSE_OP_RCPSS;
    case X86_M_HADDPS: return SSE_OP_HADDPS;
    case X86_M_HADDPD: return SSE_OP_HADDPD;
    case X86_M_HSUBPS: return SSE_OP_HSUBPS;
    case X86_M_HSUBPD: return SSE_OP_HSUBPD;
    case X86_M_ADDSUBPS: return SSE_OP_ADDSUBPS;
    case X86_M_ADDSUBPD: return SSE_OP_ADDSUBPD;
    case X86_M_CVTPS2PD: return SSE_OP_CVTPS2PD;
    case X86_M_CVTPD2PS: return SSE_OP_CVTPD2PS;
    case X86_M_CVTSS2SD: return SSE_OP_CVTSS2SD;
    case X86_M_CVTSD2SS: return SSE_OP_CVTSD2SS;
    case X86_M_CVTDQ2PS: return SSE_OP_CVTDQ2PS;
    case X86_M_CVTPS2DQ: return SSE_OP_CVTPS2DQ;
    case X86_M_CVTTPS2DQ: return SSE_OP_CVTTPS2DQ;
    case X86_M_CVTDQ2PD: return SSE_OP_CVTDQ2PD;
    case X86_M_CVTPD2DQ: return SSE_OP_CVTPD2DQ;
    case X86_M_CVTTPD2DQ: return SSE_OP_CVTTPD2DQ;
    case X86_M_CMPPS: return SSE_OP_CMPPS;
    case X86_M_CMPPD: return SSE_OP_CMPPD;
    case X86_M_CMPSS: return SSE_OP_CMPSS;
    case X86_M_CMPSD: return SSE_OP_CMPSD;
    case X86_M_ROUNDPS: return SSE_OP_ROUNDPS;
    case X86_M_ROUNDPD: return SSE_OP_ROUNDPD;
    case X86_M_ROUNDSS: return SSE_OP_ROUNDSS;
    case X86_M_ROUNDSD: return SSE_OP_ROUNDSD;
    case X86_M_DPPS: return SSE_X_DPPS;
    case X86_M_DPPD: return SSE_X_DPPD;
    case X86_M_CVTPI2PS: return SSE_MMX_CVTPI2PS;
    case X86_M_CVTPI2PD: return SSE_MMX_CVTPI2PD;
    case X86_M_CVTPS2PI: return SSE_MMX_CVTPS2PI;
    case X86_M_CVTTPS2PI: return SSE_MMX_CVTTPS2PI;
    case X86_M_CVTPD2PI: return SSE_MMX_CVTPD2PI;
    case X86_M_CVTTPD2PI: return SSE_MMX_CVTTPD2PI;
    default: return -1;
    }
}

static void gen_arith(DC *d, int op)
{
    intptr_t so = src_off(d, 1);
    uint64_t imm = imm8(d);
    if (op == SSE_MMX_CVTPI2PD || op == SSE_MMX_CVTPI2PS) {
        imm = op_is_mem(d, 1);      /* no x87 -> MMX transition from memory */
    }
    call(d, &hi_sse_op, -1, 5, cst(d, op), cst(d, reg_off(d, 0)), cst(d, so),
         cst(d, imm));
}

/* Everything in this file is SSE-family and owned here; returns false for
 * a mnemonic it does not handle. */
static bool gen_sse_fp(DC *d)
{
    unsigned mnem = d->in.mnem;
    uint8_t ib;
    TCGv_i64 t;
    int op;

    switch (mnem) {
    case X86_M_MOVUPS: case X86_M_MOVUPD:
    case X86_M_MOVAPS: case X86_M_MOVAPD:
    case X86_M_MOVSS: case X86_M_MOVSD:
    case X86_M_MOVLPS: case X86_M_MOVLPD: case X86_M_MOVHPS: case X86_M_MOVHPD:
    case X86_M_MOVHLPS: case X86_M_MOVLHPS:
    case X86_M_MOVSLDUP: case X86_M_MOVSHDUP: case X86_M_MOVDDUP:
    case X86_M_MOVNTPS: case X86_M_MOVNTPD:
    case X86_M_UNPCKLPS: case X86_M_UNPCKLPD: case X86_M_UNPCKHPS: case X86_M_UNPCKHPD:
    case X86_M_SHUFPS: case X86_M_SHUFPD:
    case X86_M_BLENDPS: case X86_M_BLENDPD: case X86_M_BLENDVPS: case X86_M_BLENDVPD:
    case X86_M_EXTRACTPS: case X86_M_INSERTPS:
    case X86_M_ANDPS: case X86_M_ANDPD: case X86_M_ANDNPS: case X86_M_ANDNPD:
    case X86_M_ORPS: case X86_M_ORPD: case X86_M_XORPS: case X86_M_XORPD:
    case X86_M_MOVMSKPS: case X86_M_MOVMSKPD:
    case X86_M_LDMXCSR: case X86_M_STMXCSR:
    case X86_M_CVTSI2SS: case X86_M_CVTSI2SD:
    case X86_M_CVTSS2SI: case X86_M_CVTTSS2SI: case X86_M_CVTSD2SI: case X86_M_CVTTSD2SI:
    case X86_M_COMISS: case X86_M_UCOMISS: case X86_M_COMISD: case X86_M_UCOMISD:
        break;
    default:
        op = arith_op(mnem);
        if (op < 0) {
            return false;
        }
        if (fp_check(d, FP_SSE)) {
            gen_arith(d, op);
        }
        return true;
    }
    if (!fp_check(d, FP_SSE)) {
        return true;
    }

    switch (mnem) {
    case X86_M_MOVUPS: case X86_M_MOVUPD:
        gen_mov128(d, false);
        break;
    case X86_M_MOVAPS: case X86_M_MOVAPD: case X86_M_MOVNTPS: case X86_M_MOVNTPD:
        gen_mov128(d, true);
        break;
    case X86_M_MOVSS:
        gen_movs(d, 4);
        break;
    case X86_M_MOVSD:
        gen_movs(d, 8);
        break;
    case X86_M_MOVLPS: case X86_M_MOVLPD:
        gen_movhalf(d, 0);
        break;
    case X86_M_MOVHPS: case X86_M_MOVHPD:
        gen_movhalf(d, 1);
        break;
    case X86_M_MOVHLPS:
        st64(d, ld64(d, reg_off(d, 1) + 8), reg_off(d, 0));
        break;
    case X86_M_MOVLHPS:
        st64(d, ld64(d, reg_off(d, 1)), reg_off(d, 0) + 8);
        break;
    case X86_M_MOVDDUP:
        t = ld64(d, src_off(d, 1));
        st64(d, t, reg_off(d, 0));
        st64(d, t, reg_off(d, 0) + 8);
        break;
    case X86_M_MOVSLDUP: case X86_M_MOVSHDUP: {
        int k = mnem == X86_M_MOVSHDUP;
        const int sel[4] = { 4 + k, 4 + k, 6 + k, 6 + k };
        gen_perm32(d, reg_off(d, 0), src_off(d, 1), sel);
        break;
    }
    case X86_M_UNPCKLPS: {
        const int sel[4] = { 0, 4, 1, 5 };
        gen_perm32(d, reg_off(d, 0), src_off(d, 1), sel);
        break;
    }
    case X86_M_UNPCKHPS: {
        const int sel[4] = { 2, 6, 3, 7 };
        gen_perm32(d, reg_off(d, 0), src_off(d, 1), sel);
        break;
    }
    case X86_M_UNPCKLPD:
        gen_perm64(d, reg_off(d, 0), src_off(d, 1), 0, 2);
        break;
    case X86_M_UNPCKHPD:
        gen_perm64(d, reg_off(d, 0), src_off(d, 1), 1, 3);
        break;
    case X86_M_SHUFPS: {
        ib = imm8(d);
        const int sel[4] = { ib & 3, (ib >> 2) & 3, 4 + ((ib >> 4) & 3),
                             4 + ((ib >> 6) & 3) };
        gen_perm32(d, reg_off(d, 0), src_off(d, 1), sel);
        break;
    }
    case X86_M_SHUFPD:
        ib = imm8(d);
        gen_perm64(d, reg_off(d, 0), src_off(d, 1), ib & 1, 2 + ((ib >> 1) & 1));
        break;
    case X86_M_BLENDPS: {
        ib = imm8(d);
        const int sel[4] = { (ib & 1) ? 4 : 0, (ib & 2) ? 5 : 1, (ib & 4) ? 6 : 2,
                             (ib & 8) ? 7 : 3 };
        gen_perm32(d, reg_off(d, 0), src_off(d, 1), sel);
        break;
    }
    case X86_M_BLENDPD:
        ib = imm8(d);
        gen_perm64(d, reg_off(d, 0), src_off(d, 1), (ib & 1) ? 2 : 0, (ib & 2) ? 3 : 1);
        break;
    case X86_M_BLENDVPS: case X86_M_BLENDVPD: {
        intptr_t so = src_off(d, 1);
        call(d, &hi_sse_blendv, -1, 4, cst(d, mnem == X86_M_BLENDVPD),
             cst(d, reg_off(d, 0)), cst(d, so));
        break;
    }
    case X86_M_EXTRACTPS:
        t = ld32(d, reg_off(d, 1) + 4 * (imm8(d) & 3));
        if (op_is_mem(d, 0)) {
            qst(d, t, mem_addr(d), 4);
        } else {
            st_reg(d, d->in.ops[0].reg, false, 4, t);
        }
        break;
    case X86_M_INSERTPS: {
        /* imm[7:6] picks the source lane of a register (memory: the dword),
         * imm[5:4] the destination lane, imm[3:0] lanes to zero. */
        intptr_t dst = reg_off(d, 0);
        ib = imm8(d);
        if (op_is_mem(d, 1)) {
            t = ld32(d, vec_src(d, 1, 4));
        } else {
            t = ld32(d, reg_off(d, 1) + 4 * (ib >> 6));
        }
        st32(d, t, dst + 4 * ((ib >> 4) & 3));
        for (int i = 0; i < 4; i++) {
            if (ib & (1 << i)) {
                st32(d, cst(d, 0), dst + 4 * i);
            }
        }
        break;
    }
    case X86_M_ANDPS: case X86_M_ANDPD:
        gen_logic(d, 0);
        break;
    case X86_M_ANDNPS: case X86_M_ANDNPD:
        gen_logic(d, 1);
        break;
    case X86_M_ORPS: case X86_M_ORPD:
        gen_logic(d, 2);
        break;
    case X86_M_XORPS: case X86_M_XORPD:
        if (!op_is_mem(d, 1) && d->in.ops[0].reg == d->in.ops[1].reg) {
            /* The zeroing idiom. */
            st64(d, cst(d, 0), reg_off(d, 0));
            st64(d, cst(d, 0), reg_off(d, 0) + 8);
        } else {
            gen_logic(d, 3);
        }
        break;
    case X86_M_MOVMSKPS: case X86_M_MOVMSKPD:
        t = tmp(d);
        call(d, &hi_sse_movmsk, t.idx, 3, cst(d, mnem == X86_M_MOVMSKPD),
             cst(d, reg_off(d, 1)));
        st_reg(d, d->in.ops[0].reg, false, 4, t);
        break;
    case X86_M_LDMXCSR:
        t = tmp(d);
        qld(d, t, mem_addr(d), 4);
        call(d, &hi_sse_ldmxcsr, -1, 2, t);
        break;
    case X86_M_STMXCSR:
        qst(d, ld32(d, offsetof(CPUX86State, mxcsr)), mem_addr(d), 4);
        break;
    case X86_M_CVTSI2SS: case X86_M_CVTSI2SD: {
        bool q = d->in.ops[1].size == 8;
        op = (mnem == X86_M_CVTSI2SS ? SSE_OP_CVTSI2SS32 : SSE_OP_CVTSI2SD32) + q;
        t = ld_op(d, 1);
        call(d, &hi_sse_cvt_i2f, -1, 4, cst(d, op), cst(d, reg_off(d, 0)), t);
        break;
    }
    case X86_M_CVTSS2SI: case X86_M_CVTTSS2SI: case X86_M_CVTSD2SI: case X86_M_CVTTSD2SI: {
        bool q = d->in.ops[0].size == 8;
        op = mnem == X86_M_CVTSS2SI ? SSE_OP_CVTSS2SI32
           : mnem == X86_M_CVTTSS2SI ? SSE_OP_CVTTSS2SI32
           : mnem == X86_M_CVTSD2SI ? SSE_OP_CVTSD2SI32 : SSE_OP_CVTTSD2SI32;
        intptr_t so = src_off(d, 1);
        t = tmp(d);
        call(d, &hi_sse_cvt_f2i, t.idx, 3, cst(d, op + q), cst(d, so));
        st_reg(d, d->in.ops[0].reg, false, q ? 8 : 4, t);
        break;
    }
    case X86_M_COMISS: case X86_M_UCOMISS: case X86_M_COMISD: case X86_M_UCOMISD: {
        op = mnem == X86_M_COMISS ? SSE_OP_COMISS : mnem == X86_M_UCOMISS ? SSE_OP_UCOMISS
           : mnem == X86_M_COMISD ? SSE_OP_COMISD : SSE_OP_UCOMISD;
        intptr_t so = src_off(d, 1);
        call(d, &hi_sse_comi, -1, 4, cst(d, op), cst(d, reg_off(d, 0)), cst(d, so));
        break;
    }
    default:
        return false;
    }
    return true;
}

bool x86_gen_sse(DC *d)
{
    return gen_sse_fp(d) || x86_gen_simd_int(d);
}
