/*
 * translate-simd-int.c: integer MMX and SSE instructions (SDM Vol 1 ch. 9-12;
 * Vol 2 instruction pages), plus POPCNT, CRC32, PCLMULQDQ, AES and SHA.
 * Called from x86_gen_sse() for the mnemonics it does not handle itself.
 *
 * The moves, the bitwise ops, PADDB/W/D/Q, PSUBB/W/D/Q, PMINUB/PMAXUB,
 * PCMPEQB/W/D, PMOVMSKB, PALIGNR, PSRLDQ/PSLLDQ and PSHUFD are built inline
 * from 64-bit halves: they are what string and memory functions (strlen,
 * memchr, strcmp, memcpy) spend their time in. Everything else is one call of
 * helper_simd_op() (simd-helper.c) with env offsets as operands.
 *
 * MMX state (SDM Vol 1 §9.5): every MMX instruction sets the x87 TOP
 * to 0 and all tags valid; a written MMX register gets exponent bits FFFFH;
 * EMMS empties the tag word.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"
#include "target-x86/simd-helper.h"

static const TCGHelperInfo hi_simd_op =
    TCG_HELPER_INFO(helper_simd_op, TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS,
                    V, P, Q, Q, Q, Q, Q);
static const TCGHelperInfo hi_ptest = TCG_HELPER_INFO(helper_ptest, 0, V, P, Q, Q);
static const TCGHelperInfo hi_pcmpstr =
    TCG_HELPER_INFO(helper_pcmpstr, 0, V, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_crc32 =
    TCG_HELPER_INFO(helper_crc32, TCG_CALL_PURE, Q, P, Q, Q, Q);
static const TCGHelperInfo hi_maskmov =
    TCG_HELPER_INFO(helper_maskmov, RAISE | TCG_CALL_NO_WRITE_GLOBALS, V, P, Q, Q, Q, Q);

#define FPUS_TOP_MASK 0x3800

/* ---- operand helpers ---- */

static bool is_mmx_am(int am)
{
    return am == X86_AM_P || am == X86_AM_Q || am == X86_AM_N;
}

static bool insn_is_mmx(DC *d)
{
    for (int i = 0; i < d->in.n_ops; i++) {
        if (is_mmx_am(d->in.ops[i].am)) {
            return true;
        }
    }
    return false;
}

/* The x87 -> MMX transition of every MMX instruction: TOP = 0, tags valid. */
static void mmx_enter(DC *d)
{
    TCGv_i64 t = tmp(d);
    tcg_gen_ld16u_i64(d->s, t, offsetof(CPUX86State, fpus));
    tcg_gen_andi_i64(d->s, t, t, ~(int64_t)FPUS_TOP_MASK);
    tcg_gen_st16_i64(d->s, t, offsetof(CPUX86State, fpus));
    tcg_gen_st16_i64(d->s, cst(d, 0), offsetof(CPUX86State, fptag));
}

/* An MMX register written: its x87 exponent/sign field reads FFFFH. */
static void mmx_mark(DC *d, int reg)
{
    intptr_t off = offsetof(CPUX86State, fpregs) + (reg & 7) * sizeof(X86Float80) +
                   offsetof(X86Float80, sexp);
    tcg_gen_st16_i64(d->s, cst(d, 0xffff), off);
}

/* Legacy SSE forms with a 16-byte memory operand raise #GP(0) unless it is
 * aligned (SDM Vol 2A, SIMD exception classes 1 and 4); MOVDQU, LDDQU and the
 * SSE4.2 string compares (their instruction pages) take any address. */
static bool needs_align(int mnem)
{
    switch (mnem) {
    case X86_M_MOVDQU:
    case X86_M_LDDQU:
    case X86_M_PCMPESTRI:
    case X86_M_PCMPESTRM:
    case X86_M_PCMPISTRI:
    case X86_M_PCMPISTRM:
        return false;
    default:
        return true;
    }
}

/* #GP(0) unless the memory operand is 16-byte aligned. The address is used
 * again after the check's branch, so it moves to a temp that lives across it
 * (a plain temp does not survive a label on the native backend). */
static TCGv_i64 simd_check_align(DC *d)
{
    TCGv_i64 a = tcg_temp_local_new_i64(d->s);
    tcg_gen_mov_i64(d->s, a, mem_addr(d));
    d->a0 = a;
    vec_check_align(d, a, 16);
    return a;
}

/* env offset of vector source operand i, loading memory into sse_tmp. */
static intptr_t simd_src(DC *d, int i)
{
    X86Operand *o = &d->in.ops[i];
    if (o->kind == X86_OPK_MEM && o->size == 16 && needs_align(d->in.mnem)) {
        simd_check_align(d);
    }
    return vec_src(d, i, 0);
}

/* The 64-bit halves of vector operand i (n = 1 for MMX, 2 for XMM); memory
 * is read whole before anything is written. */
static void simd_src_halves(DC *d, int i, int n, TCGv_i64 v[2])
{
    X86Operand *o = &d->in.ops[i];
    for (int h = 0; h < n; h++) {
        v[h] = tmp(d);
    }
    if (o->kind == X86_OPK_REG) {
        intptr_t off = vec_reg_off(o);
        for (int h = 0; h < n; h++) {
            tcg_gen_ld_i64(d->s, v[h], off + 8 * h);
        }
        return;
    }
    TCGv_i64 addr = n == 2 && needs_align(d->in.mnem) ? simd_check_align(d)
                                                      : mem_addr(d);
    qld(d, v[0], addr, 8);
    if (n == 2) {
        qld(d, v[1], vec_addr_hi(d, addr), 8);
    }
}

/* Write halves to a vector register; an XMM register given one half gets
 * its high half zeroed. */
static void simd_put_reg(DC *d, const X86Operand *o, TCGv_i64 lo, TCGv_i64 hi)
{
    intptr_t off = vec_reg_off(o);
    tcg_gen_st_i64(d->s, lo, off);
    if (o->rclass == X86_RC_MMX) {
        mmx_mark(d, o->reg);
        return;
    }
    tcg_gen_st_i64(d->s, hi.idx >= 0 ? hi : cst(d, 0), off + 8);
}

static const TCGv_i64 no_val = { .idx = -1 };

/* ---- moves ---- */

/* MOVD/MOVQ between a GPR or memory and an MMX or XMM register (0F 6E/7E). */
static void gen_movd(DC *d)
{
    X86Insn *in = &d->in;
    if (in->ops[0].am == X86_AM_P || in->ops[0].am == X86_AM_V) {
        TCGv_i64 v = ld_op(d, 1);
        simd_put_reg(d, &in->ops[0], v, no_val);
    } else {
        TCGv_i64 v = tmp(d);
        tcg_gen_ld_i64(d->s, v, vec_reg_off(&in->ops[1]));
        st_op(d, 0, v);
    }
}

/* MOVQ/MOVDQA/MOVDQU/LDDQU/MOVNT*: whole-register moves of n halves.
 * Loads zero the high half of an XMM destination when n is 1 (MOVQ). */
static void gen_vmove(DC *d, int n)
{
    X86Insn *in = &d->in;
    X86Operand *dst = &in->ops[0];
    if (dst->kind == X86_OPK_REG) {
        TCGv_i64 v[2];
        simd_src_halves(d, 1, n, v);
        simd_put_reg(d, dst, v[0], n == 2 ? v[1] : no_val);
        return;
    }
    intptr_t src = vec_reg_off(&in->ops[1]);
    if (n == 2 && needs_align(in->mnem)) {
        simd_check_align(d);
    }
    vec_st_mem(d, 0, src, 8 * n);
}

/* ---- inline ALU ---- */

/* Lane-wise add/subtract and unsigned byte min/max on one 64-bit half, as
 * bit operations on whole words (lanes of w bits, h their top bits): the
 * low w-1 bits of each lane are added with the top bits masked off, so no
 * carry leaves a lane, then the top bits are fixed up. */
static void gen_swar(DC *d, int mnem, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b)
{
    TCGContext *s = d->s;
    int w = 8;
    switch (mnem) {
    case X86_M_PADDW: case X86_M_PSUBW: w = 16; break;
    case X86_M_PADDD: case X86_M_PSUBD: w = 32; break;
    default: break;
    }
    uint64_t h = w == 8 ? 0x8080808080808080ull
                 : w == 16 ? 0x8000800080008000ull : 0x8000000080000000ull;
    TCGv_i64 x = tmp(d), t = tmp(d), u = tmp(d);
    switch (mnem) {
    case X86_M_PADDB: case X86_M_PADDW: case X86_M_PADDD:
        /* ((a & ~h) + (b & ~h)) ^ ((a ^ b) & h) */
        tcg_gen_andi_i64(s, t, a, ~h);
        tcg_gen_andi_i64(s, u, b, ~h);
        tcg_gen_add_i64(s, t, t, u);
        tcg_gen_xor_i64(s, x, a, b);
        tcg_gen_andi_i64(s, x, x, h);
        tcg_gen_xor_i64(s, r, t, x);
        return;
    default:
        break;
    }
    /* Difference: ((a | h) - (b & ~h)) ^ ((a ^ ~b) & h); bit w-1 of
     * (a | h) - (b & ~h) is the complement of the borrow into it. */
    tcg_gen_ori_i64(s, t, a, h);
    tcg_gen_andi_i64(s, u, b, ~h);
    tcg_gen_sub_i64(s, t, t, u);
    tcg_gen_xor_i64(s, x, a, b);
    tcg_gen_andc_i64(s, u, cst(d, h), x);           /* (a ^ ~b) & h */
    tcg_gen_xor_i64(s, t, t, u);                    /* t = a - b per lane */
    if (mnem != X86_M_PMINUB && mnem != X86_M_PMAXUB) {
        tcg_gen_mov_i64(s, r, t);
        return;
    }
    /* Borrow out of each byte (a < b): (~a & b) | (~(a ^ b) & diff), top bit;
     * widened to a byte mask m, min = b ^ ((a ^ b) & m), max = a ^ (...). */
    tcg_gen_andc_i64(s, u, b, a);
    tcg_gen_andc_i64(s, t, t, x);
    tcg_gen_or_i64(s, u, u, t);
    tcg_gen_andi_i64(s, u, u, h);
    tcg_gen_shri_i64(s, u, u, 7);
    tcg_gen_muli_i64(s, u, u, 0xff);
    tcg_gen_and_i64(s, u, u, x);
    tcg_gen_xor_i64(s, r, mnem == X86_M_PMINUB ? b : a, u);
}

static void gen_logic(DC *d, int n)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    TCGv_i64 b[2], r[2];
    intptr_t dst = vec_reg_off(&in->ops[0]);

    simd_src_halves(d, 1, n, b);
    for (int h = 0; h < n; h++) {
        TCGv_i64 a = tmp(d);
        r[h] = tmp(d);
        tcg_gen_ld_i64(s, a, dst + 8 * h);
        switch (in->mnem) {
        case X86_M_PAND: tcg_gen_and_i64(s, r[h], a, b[h]); break;
        case X86_M_PANDN: tcg_gen_andc_i64(s, r[h], b[h], a); break;
        case X86_M_POR: tcg_gen_or_i64(s, r[h], a, b[h]); break;
        case X86_M_PXOR: tcg_gen_xor_i64(s, r[h], a, b[h]); break;
        case X86_M_PADDQ: tcg_gen_add_i64(s, r[h], a, b[h]); break;
        case X86_M_PSUBQ: tcg_gen_sub_i64(s, r[h], a, b[h]); break;
        case X86_M_PADDB: case X86_M_PADDW: case X86_M_PADDD:
        case X86_M_PSUBB: case X86_M_PSUBW: case X86_M_PSUBD:
        case X86_M_PMINUB: case X86_M_PMAXUB:
            gen_swar(d, in->mnem, r[h], a, b[h]);
            break;
        default: {
            /* PCMPEQB/W/D: lanes of w bits; x = a ^ b is zero in equal lanes.
             * (x & 7F..) + 7F.. sets a lane's top bit iff its low bits are
             * non-zero (no carry leaves a lane), OR x adds the top bit itself,
             * so the top bit is clear exactly in equal lanes. */
            int w = in->mnem == X86_M_PCMPEQB ? 8 : in->mnem == X86_M_PCMPEQW ? 16 : 32;
            uint64_t low = w == 8 ? 0x7f7f7f7f7f7f7f7full
                           : w == 16 ? 0x7fff7fff7fff7fffull : 0x7fffffff7fffffffull;
            TCGv_i64 x = tmp(d), t = tmp(d);
            tcg_gen_xor_i64(s, x, a, b[h]);
            tcg_gen_andi_i64(s, t, x, low);
            tcg_gen_addi_i64(s, t, t, low);
            tcg_gen_or_i64(s, t, t, x);
            tcg_gen_andc_i64(s, t, cst(d, ~low), t);    /* top bit: lane equal */
            tcg_gen_shri_i64(s, t, t, w - 1);
            tcg_gen_muli_i64(s, r[h], t, w == 32 ? 0xffffffffll : (1ll << w) - 1);
            break;
        }
        }
    }
    for (int h = 0; h < n; h++) {
        tcg_gen_st_i64(s, r[h], dst + 8 * h);
    }
    if (n == 1) {
        mmx_mark(d, in->ops[0].reg);
    }
}

/* Quadword of the byte string c[0..nq) (little-endian, c[0] lowest) that
 * starts at byte s; bytes outside the string read as zero. */
static TCGv_i64 window_q(DC *d, const TCGv_i64 *c, int nq, int s)
{
    TCGContext *s_ = d->s;
    TCGv_i64 r = tmp(d);
    if (s <= -8 || s >= 8 * nq) {
        tcg_gen_movi_i64(s_, r, 0);
        return r;
    }
    int qi = s >= 0 ? s / 8 : -1, sh = s - 8 * qi;
    bool have_lo = qi >= 0, have_hi = sh && qi + 1 < nq;
    if (have_lo) {
        tcg_gen_shri_i64(s_, r, c[qi], 8 * sh);
    } else {
        tcg_gen_movi_i64(s_, r, 0);
    }
    if (have_hi) {
        TCGv_i64 t = tmp(d);
        tcg_gen_shli_i64(s_, t, c[qi + 1], 64 - 8 * sh);
        tcg_gen_or_i64(s_, r, r, t);
    }
    return r;
}

/* PALIGNR, PSRLDQ, PSLLDQ (byte windows at a constant offset) and PSHUFD
 * (dword selects by a constant): shifts and deposits, no call. */
static void gen_shuffle(DC *d, int n)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    intptr_t dst = vec_reg_off(&in->ops[0]);
    int imm = in->imm[0] & 0xff;
    TCGv_i64 c[4], r[2];

    switch (in->mnem) {
    case X86_M_PALIGNR:
        simd_src_halves(d, 1, n, c);
        for (int h = 0; h < n; h++) {
            c[n + h] = tmp(d);
            tcg_gen_ld_i64(s, c[n + h], dst + 8 * h);
        }
        for (int k = 0; k < n; k++) {
            r[k] = window_q(d, c, 2 * n, imm + 8 * k);
        }
        break;
    case X86_M_PSRLDQ:
    case X86_M_PSLLDQ:
        for (int h = 0; h < 2; h++) {
            c[h] = tmp(d);
            tcg_gen_ld_i64(s, c[h], dst + 8 * h);
        }
        for (int k = 0; k < 2; k++) {
            int at = in->mnem == X86_M_PSRLDQ ? imm + 8 * k : 8 * k - imm;
            r[k] = window_q(d, c, 2, at);
        }
        break;
    default: {      /* PSHUFD */
        TCGv_i64 l[4];
        simd_src_halves(d, 1, 2, c);
        for (int j = 0; j < 4; j++) {
            l[j] = tmp(d);
            tcg_gen_extract_i64(s, l[j], c[(imm >> (2 * j) & 3) / 2],
                                32 * ((imm >> (2 * j)) & 1), 32);
        }
        for (int k = 0; k < 2; k++) {
            r[k] = tmp(d);
            tcg_gen_deposit_i64(s, r[k], l[2 * k], l[2 * k + 1], 32, 32);
        }
        break;
    }
    }
    for (int k = 0; k < n; k++) {
        tcg_gen_st_i64(s, r[k], dst + 8 * k);
    }
    if (n == 1) {
        mmx_mark(d, in->ops[0].reg);
    }
}

/* PMOVMSKB: the top bit of each byte. Multiplying the isolated top bits by
 * 0x0002040810204081 sends byte i's bit to bit 56 + i without carries. */
static void gen_pmovmskb(DC *d, int n)
{
    TCGContext *s = d->s;
    intptr_t src = vec_reg_off(&d->in.ops[1]);
    TCGv_i64 r = tmp(d);
    for (int h = 0; h < n; h++) {
        TCGv_i64 t = tmp(d);
        tcg_gen_ld_i64(s, t, src + 8 * h);
        tcg_gen_andi_i64(s, t, t, (int64_t)0x8080808080808080ull);
        tcg_gen_muli_i64(s, t, t, 0x0002040810204081ll);
        tcg_gen_shri_i64(s, t, t, 56);
        if (h) {
            tcg_gen_shli_i64(s, t, t, 8);
            tcg_gen_or_i64(s, r, r, t);
        } else {
            tcg_gen_mov_i64(s, r, t);
        }
    }
    st_op(d, 0, r);
}

/* ---- insert/extract ---- */

static void gen_pinsr(DC *d, bool mmx)
{
    X86Insn *in = &d->in;
    int esz = in->mnem == X86_M_PINSRB ? 1 : in->mnem == X86_M_PINSRW ? 2
              : in->ops[1].size;
    int lanes = (mmx ? 8 : 16) / esz;
    intptr_t off = vec_reg_off(&in->ops[0]) + (in->imm[0] & (lanes - 1)) * esz;
    TCGv_i64 v = ld_op(d, 1);
    switch (esz) {
    case 1: tcg_gen_st8_i64(d->s, v, off); break;
    case 2: tcg_gen_st16_i64(d->s, v, off); break;
    case 4: tcg_gen_st32_i64(d->s, v, off); break;
    default: tcg_gen_st_i64(d->s, v, off); break;
    }
    if (mmx) {
        mmx_mark(d, in->ops[0].reg);
    }
}

static void gen_pextr(DC *d, bool mmx)
{
    X86Insn *in = &d->in;
    int esz = in->mnem == X86_M_PEXTRB ? 1 : in->mnem == X86_M_PEXTRW ? 2
              : in->ops[0].size;
    int lanes = (mmx ? 8 : 16) / esz;
    intptr_t off = vec_reg_off(&in->ops[1]) + (in->imm[0] & (lanes - 1)) * esz;
    TCGv_i64 v = tmp(d);
    switch (esz) {
    case 1: tcg_gen_ld8u_i64(d->s, v, off); break;
    case 2: tcg_gen_ld16u_i64(d->s, v, off); break;
    case 4: tcg_gen_ld32u_i64(d->s, v, off); break;
    default: tcg_gen_ld_i64(d->s, v, off); break;
    }
    st_op(d, 0, v);
}

/* ---- GPR instructions ---- */

/* POPCNT: ZF if the source is zero, CF OF SF AF PF cleared (SDM Vol 2B). */
static void gen_popcnt(DC *d)
{
    TCGContext *s = d->s;
    TCGv_i64 v = ld_op(d, 1), r = tmp(d), f = tmp(d), z = tmp(d);
    tcg_gen_ctpop_i64(s, r, v);
    st_op(d, 0, r);
    tcg_gen_ld_i64(s, f, offsetof(CPUX86State, rflags));
    tcg_gen_andi_i64(s, f, f, ~(int64_t)CC_ARITH);
    tcg_gen_setcondi_i64(s, TCG_COND_EQ, z, v, 0);
    tcg_gen_shli_i64(s, z, z, 6);               /* CC_Z */
    tcg_gen_or_i64(s, f, f, z);
    tcg_gen_st_i64(s, f, offsetof(CPUX86State, rflags));
    cc_set_op(d, CC_OP_EFLAGS);
}

static void gen_crc32(DC *d)
{
    TCGv_i64 crc = ld_op(d, 0), v = ld_op(d, 1), r = tmp(d);
    call(d, &hi_crc32, r.idx, 4, crc, v, cst(d, d->in.ops[1].size));
    st_op(d, 0, r);
}

/* MASKMOVQ/MASKMOVDQU: byte stores to DS:rDI (segment overridable). */
static void gen_maskmov(DC *d, int size)
{
    X86Insn *in = &d->in;
    TCGv_i64 di = tmp(d);
    tcg_gen_mov_i64(d->s, di, G.regs[R_EDI]);
    mask_addr(d, di, in->addrsize);
    TCGv_i64 lin = linear(d, in->seg_override >= 0 ? in->seg_override : R_DS, di);
    call(d, &hi_maskmov, -1, 5, cst(d, vec_reg_off(&in->ops[0])),
         cst(d, vec_reg_off(&in->ops[1])), lin, cst(d, size | (d->code64 ? 256 : 0)));
}

/* The mnemonics helper_simd_op() computes. */
static bool simd_op_mnem(int mnem)
{
    switch (mnem) {
    case X86_M_PADDB: case X86_M_PADDW: case X86_M_PADDD:
    case X86_M_PSUBB: case X86_M_PSUBW: case X86_M_PSUBD:
    case X86_M_PADDSB: case X86_M_PADDSW: case X86_M_PSUBSB: case X86_M_PSUBSW:
    case X86_M_PADDUSB: case X86_M_PADDUSW: case X86_M_PSUBUSB: case X86_M_PSUBUSW:
    case X86_M_PCMPEQQ: case X86_M_PCMPGTB: case X86_M_PCMPGTW: case X86_M_PCMPGTD:
    case X86_M_PCMPGTQ:
    case X86_M_PMINUB: case X86_M_PMAXUB: case X86_M_PMINSB: case X86_M_PMAXSB:
    case X86_M_PMINSW: case X86_M_PMAXSW: case X86_M_PMINUW: case X86_M_PMAXUW:
    case X86_M_PMINSD: case X86_M_PMAXSD: case X86_M_PMINUD: case X86_M_PMAXUD:
    case X86_M_PAVGB: case X86_M_PAVGW: case X86_M_PABSB: case X86_M_PABSW:
    case X86_M_PABSD: case X86_M_PSIGNB: case X86_M_PSIGNW: case X86_M_PSIGND:
    case X86_M_PSADBW: case X86_M_MPSADBW: case X86_M_PHMINPOSUW:
    case X86_M_PMULLW: case X86_M_PMULHW: case X86_M_PMULHUW: case X86_M_PMULHRSW:
    case X86_M_PMULLD: case X86_M_PMULUDQ: case X86_M_PMULDQ: case X86_M_PMADDWD:
    case X86_M_PMADDUBSW: case X86_M_PCLMULQDQ:
    case X86_M_PHADDW: case X86_M_PHADDD: case X86_M_PHADDSW:
    case X86_M_PHSUBW: case X86_M_PHSUBD: case X86_M_PHSUBSW:
    case X86_M_PACKSSWB: case X86_M_PACKUSWB: case X86_M_PACKSSDW: case X86_M_PACKUSDW:
    case X86_M_PUNPCKLBW: case X86_M_PUNPCKLWD: case X86_M_PUNPCKLDQ:
    case X86_M_PUNPCKLQDQ: case X86_M_PUNPCKHBW: case X86_M_PUNPCKHWD:
    case X86_M_PUNPCKHDQ: case X86_M_PUNPCKHQDQ:
    case X86_M_PMOVSXBW: case X86_M_PMOVSXBD: case X86_M_PMOVSXBQ:
    case X86_M_PMOVSXWD: case X86_M_PMOVSXWQ: case X86_M_PMOVSXDQ:
    case X86_M_PMOVZXBW: case X86_M_PMOVZXBD: case X86_M_PMOVZXBQ:
    case X86_M_PMOVZXWD: case X86_M_PMOVZXWQ: case X86_M_PMOVZXDQ:
    case X86_M_PSHUFB: case X86_M_PSHUFW: case X86_M_PSHUFD: case X86_M_PSHUFLW:
    case X86_M_PSHUFHW: case X86_M_PALIGNR: case X86_M_PBLENDW: case X86_M_PBLENDVB:
    case X86_M_PSRLW: case X86_M_PSRLD: case X86_M_PSRLQ: case X86_M_PSRAW:
    case X86_M_PSRAD: case X86_M_PSLLW: case X86_M_PSLLD: case X86_M_PSLLQ:
    case X86_M_PSRLDQ: case X86_M_PSLLDQ:
    case X86_M_AESENC: case X86_M_AESENCLAST: case X86_M_AESDEC:
    case X86_M_AESDECLAST: case X86_M_AESIMC: case X86_M_AESKEYGENASSIST:
    case X86_M_SHA1RNDS4: case X86_M_SHA1NEXTE: case X86_M_SHA1MSG1:
    case X86_M_SHA1MSG2: case X86_M_SHA256RNDS2: case X86_M_SHA256MSG1:
    case X86_M_SHA256MSG2:
        return true;
    default:
        return false;
    }
}

/* dst = op(dst, src[, imm]) through helper_simd_op. The 0F 71-73 shift
 * group has an immediate count in place of a source: src is passed as 0. */
static void gen_simd_helper(DC *d, bool mmx)
{
    X86Insn *in = &d->in;
    intptr_t dst = vec_reg_off(&in->ops[0]), src = 0;
    uint64_t imm = in->n_imm ? in->imm[0] & 0xff : 0;
    if (in->ops[1].kind != X86_OPK_IMM) {
        src = simd_src(d, 1);
    }
    if (mmx) {
        mmx_mark(d, in->ops[0].reg);
    }
    call(d, &hi_simd_op, -1, 6, cst(d, in->mnem), cst(d, dst), cst(d, src),
         cst(d, mmx ? 8 : 16), cst(d, imm));
}

bool x86_gen_simd_int(DC *d)
{
    X86Insn *in = &d->in;
    int mnem = in->mnem;
    bool mmx;

    switch (mnem) {
    case X86_M_POPCNT:
        gen_popcnt(d);
        return true;
    case X86_M_CRC32:
        gen_crc32(d);
        return true;
    default:
        break;
    }
    if (x86_mnemonic_family(mnem) != X86_FAM_SSE) {
        return false;
    }
    mmx = insn_is_mmx(d);

    /* Which instructions this file knows, before any code is generated. */
    switch (mnem) {
    case X86_M_EMMS: case X86_M_MOVD: case X86_M_MOVQ: case X86_M_MOVDQA:
    case X86_M_MOVDQU: case X86_M_LDDQU: case X86_M_MOVNTDQA: case X86_M_MOVNTDQ:
    case X86_M_MOVNTQ: case X86_M_MOVQ2DQ: case X86_M_MOVDQ2Q:
    case X86_M_PAND: case X86_M_PANDN: case X86_M_POR: case X86_M_PXOR:
    case X86_M_PADDQ: case X86_M_PSUBQ:
    case X86_M_PCMPEQB: case X86_M_PCMPEQW: case X86_M_PCMPEQD:
    case X86_M_PMOVMSKB: case X86_M_PINSRB: case X86_M_PINSRW: case X86_M_PINSRD:
    case X86_M_PEXTRB: case X86_M_PEXTRW: case X86_M_PEXTRD:
    case X86_M_PTEST: case X86_M_PCMPESTRI: case X86_M_PCMPESTRM:
    case X86_M_PCMPISTRI: case X86_M_PCMPISTRM:
    case X86_M_MASKMOVQ: case X86_M_MASKMOVDQU:
        break;
    default:
        if (!simd_op_mnem(mnem)) {
            return false;
        }
        break;
    }

    /* MOVQ2DQ/MOVDQ2Q touch both files: the SSE checks, then the MMX
     * transition. */
    bool both = mnem == X86_M_MOVQ2DQ || mnem == X86_M_MOVDQ2Q;
    if (!fp_check(d, (mmx || mnem == X86_M_EMMS) && !both ? FP_MMX : FP_SSE)) {
        return true;
    }
    if (mnem == X86_M_EMMS) {
        /* Tags empty, and TOP 0 as after any MMX instruction (SDM Vol 1
         * Table 9-3; the host CPU agrees in tests/diff --fp). */
        mmx_enter(d);
        tcg_gen_st16_i64(d->s, cst(d, 0xffff), offsetof(CPUX86State, fptag));
        return true;
    }
    if (mmx) {
        mmx_enter(d);
    }

    switch (mnem) {
    case X86_M_MOVD:
        gen_movd(d);
        return true;
    case X86_M_MOVQ:
    case X86_M_MOVNTQ:
    case X86_M_MOVQ2DQ:
    case X86_M_MOVDQ2Q:
        gen_vmove(d, 1);
        return true;
    case X86_M_MOVDQA: case X86_M_MOVDQU: case X86_M_LDDQU:
    case X86_M_MOVNTDQA: case X86_M_MOVNTDQ:
        gen_vmove(d, 2);
        return true;
    case X86_M_PAND: case X86_M_PANDN: case X86_M_POR: case X86_M_PXOR:
    case X86_M_PADDQ: case X86_M_PSUBQ:
    case X86_M_PCMPEQB: case X86_M_PCMPEQW: case X86_M_PCMPEQD:
    case X86_M_PADDB: case X86_M_PADDW: case X86_M_PADDD:
    case X86_M_PSUBB: case X86_M_PSUBW: case X86_M_PSUBD:
    case X86_M_PMINUB: case X86_M_PMAXUB:
        gen_logic(d, mmx ? 1 : 2);
        return true;
    case X86_M_PMOVMSKB:
        gen_pmovmskb(d, mmx ? 1 : 2);
        return true;
    case X86_M_PALIGNR: case X86_M_PSRLDQ: case X86_M_PSLLDQ: case X86_M_PSHUFD:
        gen_shuffle(d, mmx ? 1 : 2);
        return true;
    case X86_M_PINSRB: case X86_M_PINSRW: case X86_M_PINSRD:
        gen_pinsr(d, mmx);
        return true;
    case X86_M_PEXTRB: case X86_M_PEXTRW: case X86_M_PEXTRD:
        gen_pextr(d, mmx);
        return true;
    case X86_M_PTEST: {
        intptr_t src = simd_src(d, 1);
        call(d, &hi_ptest, -1, 3, cst(d, vec_reg_off(&in->ops[0])), cst(d, src));
        return true;
    }
    case X86_M_PCMPESTRI: case X86_M_PCMPESTRM:
    case X86_M_PCMPISTRI: case X86_M_PCMPISTRM: {
        int mode = (mnem == X86_M_PCMPESTRI || mnem == X86_M_PCMPESTRM ? 1 : 0) |
                   (mnem == X86_M_PCMPESTRM || mnem == X86_M_PCMPISTRM ? 2 : 0) |
                   (in->rex & 8 ? 4 : 0);
        intptr_t src = simd_src(d, 1);
        call(d, &hi_pcmpstr, -1, 5, cst(d, mode), cst(d, vec_reg_off(&in->ops[0])),
             cst(d, src), cst(d, in->imm[0] & 0xff));
        return true;
    }
    case X86_M_MASKMOVQ:
    case X86_M_MASKMOVDQU:
        gen_maskmov(d, mmx ? 8 : 16);
        return true;
    default:
        gen_simd_helper(d, mmx);
        return true;
    }
}
