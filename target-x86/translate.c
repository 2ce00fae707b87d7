/*
 * translate.c: x86 guest code to TCG IR, one block at a time. Instruction
 * semantics follow Intel SDM Vol 2 (instruction reference); operand and
 * address forms come from the table-driven decoder (target-x86/decode.h).
 *
 * Integer values are i64 temps throughout: reads of narrower registers and
 * memory are zero-extended, and writes merge per x86 rules (32-bit writes
 * zero-extend, 8/16-bit writes keep the rest). Flags are lazy (x86-tcg.h):
 * ALU ops record result/operand and a cc_op; conditions are evaluated by a
 * helper. Rarer or complex instructions call C helpers (helper.c).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "target-x86/translate-internal.h"
#include "target-x86/seg-helper.h"

#define MAX_BLOCK_INSNS 64

X86Globals x86_tcg_globals;

static const char *const reg_names[16] = {
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
    "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

void x86_tcg_init_globals(TCGContext *s)
{
    for (int i = 0; i < 16; i++) {
        G.regs[i] = tcg_global_mem_new_i64(s, offsetof(CPUX86State, regs[i]),
                                           reg_names[i]);
    }
    G.cc_op = tcg_global_mem_new_i32(s, offsetof(CPUX86State, cc_op), "cc_op");
    G.cc_dst = tcg_global_mem_new_i64(s, offsetof(CPUX86State, cc_dst), "cc_dst");
    G.cc_src = tcg_global_mem_new_i64(s, offsetof(CPUX86State, cc_src), "cc_src");
    G.cc_src2 = tcg_global_mem_new_i64(s, offsetof(CPUX86State, cc_src2), "cc_src2");
}

/* ---- helper declarations ---- */


static const TCGHelperInfo hi_cc_cond = TCG_HELPER_INFO(helper_cc_cond, RD, Q, P, Q);
static const TCGHelperInfo hi_read_eflags =
    TCG_HELPER_INFO(helper_read_eflags, RD, Q, P);
static const TCGHelperInfo hi_write_eflags =
    TCG_HELPER_INFO(helper_write_eflags, 0, V, P, Q, Q);
static const TCGHelperInfo hi_flagop = TCG_HELPER_INFO(helper_flagop, 0, V, P, Q);
static const TCGHelperInfo hi_shift = TCG_HELPER_INFO(helper_shift, 0, Q, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_mul1 = TCG_HELPER_INFO(helper_mul1, 0, V, P, Q, Q, Q);
static const TCGHelperInfo hi_div = TCG_HELPER_INFO(helper_div, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_in = TCG_HELPER_INFO(helper_in, RAISE, Q, P, Q, Q);
static const TCGHelperInfo hi_out = TCG_HELPER_INFO(helper_out, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_string =
    TCG_HELPER_INFO(helper_string, RAISE, V, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_cpuid = TCG_HELPER_INFO(helper_cpuid, 0, V, P);
static const TCGHelperInfo hi_rdtsc = TCG_HELPER_INFO(helper_rdtsc, 0, V, P);
static const TCGHelperInfo hi_rdmsr = TCG_HELPER_INFO(helper_rdmsr, RAISE, V, P);
static const TCGHelperInfo hi_wrmsr = TCG_HELPER_INFO(helper_wrmsr, RAISE | MODE, V, P);
static const TCGHelperInfo hi_write_cr =
    TCG_HELPER_INFO(helper_write_cr, RAISE | MODE, V, P, Q, Q);
static const TCGHelperInfo hi_read_cr = TCG_HELPER_INFO(helper_read_cr, RAISE, Q, P, Q);
static const TCGHelperInfo hi_lgdt = TCG_HELPER_INFO(helper_lgdt, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_load_seg =
    TCG_HELPER_INFO(helper_load_seg, RAISE | MODE, V, P, Q, Q);
static const TCGHelperInfo hi_ljmp = TCG_HELPER_INFO(helper_ljmp, RAISE | MODE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_check_iopl = TCG_HELPER_INFO(helper_check_iopl, RAISE, V, P);
static const TCGHelperInfo hi_popf = TCG_HELPER_INFO(helper_popf, RAISE | MODE, V, P, Q, Q);
static const TCGHelperInfo hi_check_tsd = TCG_HELPER_INFO(helper_check_tsd, RAISE, V, P);
static const TCGHelperInfo hi_lcall =
    TCG_HELPER_INFO(helper_lcall, RAISE | MODE, V, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_lret = TCG_HELPER_INFO(helper_lret, RAISE | MODE, V, P, Q, Q);
static const TCGHelperInfo hi_iret = TCG_HELPER_INFO(helper_iret, RAISE | MODE, V, P, Q, Q);
const TCGHelperInfo x86_hi_raise = TCG_HELPER_INFO(helper_raise, RAISE, V, P, Q);
const TCGHelperInfo x86_hi_lookup_tb_ptr = TCG_HELPER_INFO(helper_lookup_tb_ptr, RD, Q, P, Q);
static const TCGHelperInfo hi_int = TCG_HELPER_INFO(helper_int, RAISE | MODE, V, P, Q, Q);
static const TCGHelperInfo hi_hlt = TCG_HELPER_INFO(helper_hlt, RAISE, V, P);
static const TCGHelperInfo hi_invpcid = TCG_HELPER_INFO(helper_invpcid, RAISE, V, P, Q, Q);
static const TCGHelperInfo hi_pause =
    TCG_HELPER_INFO(helper_pause, TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS, V, P);
static const TCGHelperInfo hi_bt = TCG_HELPER_INFO(helper_bt, 0, Q, P, Q, Q, Q);
static const TCGHelperInfo hi_bsf = TCG_HELPER_INFO(helper_bsf, 0, Q, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_shld =
    TCG_HELPER_INFO(helper_shld, 0, Q, P, Q, Q, Q, Q, Q);
static const TCGHelperInfo hi_cmpxchg8b =
    TCG_HELPER_INFO(helper_cmpxchg8b, RAISE, V, P, Q, Q);
static const TCGHelperInfo hi_lzcnt = TCG_HELPER_INFO(helper_lzcnt, 0, Q, P, Q, Q);
static const TCGHelperInfo hi_bcd = TCG_HELPER_INFO(helper_bcd, RAISE, V, P, Q, Q);
static const TCGHelperInfo hi_adx = TCG_HELPER_INFO(helper_adx, 0, Q, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_mov_dr = TCG_HELPER_INFO(helper_mov_dr, RAISE, V, P, Q, Q);
static const TCGHelperInfo hi_mov_dr_read =
    TCG_HELPER_INFO(helper_mov_dr_read, RAISE, Q, P, Q);
static const TCGHelperInfo hi_load_sysseg =
    TCG_HELPER_INFO(helper_load_sysseg, RAISE | MODE, V, P, Q, Q);

/* ---- flags ---- */

static void set_cc(DC *d, int kind, int lg, TCGv_i64 dst, TCGv_i64 src)
{
    tcg_gen_mov_i64(d->s, G.cc_dst, dst);
    if (src.idx >= 0) {
        tcg_gen_mov_i64(d->s, G.cc_src, src);
    }
    cc_set_op(d, CC_OP(kind, lg));
    d->cc_mark = -1;
}

/* Sign-extend (signed) or zero-extend the low 8<<lg bits of v into t. */
static void ext_lg(DC *d, TCGv_i64 t, TCGv_i64 v, int lg, bool sign)
{
    TCGContext *s = d->s;
    switch (lg) {
    case 0: sign ? tcg_gen_ext8s_i64(s, t, v) : tcg_gen_ext8u_i64(s, t, v); break;
    case 1: sign ? tcg_gen_ext16s_i64(s, t, v) : tcg_gen_ext16u_i64(s, t, v); break;
    case 2: sign ? tcg_gen_ext32s_i64(s, t, v) : tcg_gen_ext32u_i64(s, t, v); break;
    default: tcg_gen_mov_i64(s, t, v); break;
    }
}

/*
 * Conditions as comparisons. A condition evaluates to "c(a, b)"; when this
 * block set the lazy state itself (compare-and-branch, test-and-branch), the
 * common conditions come straight from the result or from the CMP operands,
 * so Jcc is one host compare and branch, SETcc a setcc and CMOVcc a cmov.
 * Otherwise helper_cc_cond decides and the comparison is "result != 0".
 */
typedef struct CCmp {
    TCGCond c;
    TCGv_i64 a, b;
} CCmp;

/* The CMP/SUB operands are still live temps: no label or branch since. */
static bool cc_operands_live(DC *d)
{
    if (d->cc_mark < 0) {
        return false;
    }
    for (int i = d->cc_mark; i < d->s->nb_ops; i++) {
        const TCGOp *op = &d->s->ops[i];
        if (op->opc == INDEX_op_set_label ||
            (tcg_op_defs[op->opc].flags & TCG_OPF_BB_END)) {
            return false;
        }
    }
    return true;
}

static bool cond_cmp_inline(DC *d, int cc, CCmp *r)
{
    int kind = d->cc_known >> 2, lg = d->cc_known & 3;
    int base = cc >> 1;
    TCGv_i64 x = tmp(d), y;
    TCGCond c;

    if (d->cc_known < 0) {
        return false;
    }
    r->a = x;
    r->b = cst(d, 0);
    /* Z and S follow from the result in every lazy kind. */
    if (base == 2) {
        if (kind == CC_K_SUB && cc_operands_live(d)) {
            r->a = d->cc_a;
            r->b = d->cc_b;
        } else {
            ext_lg(d, x, G.cc_dst, lg, false);
        }
        c = TCG_COND_EQ;
        goto out;
    }
    if (base == 4) {
        ext_lg(d, x, G.cc_dst, lg, true);
        c = TCG_COND_LT;
        goto out;
    }
    switch (kind) {
    case CC_K_SUB: {
        static const TCGCond conds[8] = {
            [1] = TCG_COND_LTU, [3] = TCG_COND_LEU, [6] = TCG_COND_LT, [7] = TCG_COND_LE,
        };
        bool sign = base >= 6;
        if (base == 0 || base == 5) {
            return false;
        }
        y = tmp(d);
        if (cc_operands_live(d)) {
            ext_lg(d, x, d->cc_a, lg, sign);
            ext_lg(d, y, d->cc_b, lg, sign);
        } else {
            /* a = result + operand: the original left-hand side. */
            tcg_gen_add_i64(d->s, x, G.cc_dst, G.cc_src);
            ext_lg(d, x, x, lg, sign);
            ext_lg(d, y, G.cc_src, lg, sign);
        }
        r->b = y;
        c = conds[base];
        goto out;
    }
    case CC_K_LOGIC:
        /* CF = OF = 0, so B and O never hold, BE is Z, L is S, LE is Z | S. */
        switch (base) {
        case 0:
        case 1:
            r->a = cst(d, 0);
            c = TCG_COND_NE;
            goto out;
        case 3:
            ext_lg(d, x, G.cc_dst, lg, false);
            c = TCG_COND_EQ;
            goto out;
        case 6:
            ext_lg(d, x, G.cc_dst, lg, true);
            c = TCG_COND_LT;
            goto out;
        case 7:
            ext_lg(d, x, G.cc_dst, lg, true);
            c = TCG_COND_LE;
            goto out;
        default:
            return false;
        }
    case CC_K_SHR:
    case CC_K_SAR:
        if (base == 1) {        /* CF: the last bit shifted out */
            tcg_gen_andi_i64(d->s, x, G.cc_src, 1);
            c = TCG_COND_NE;
            goto out;
        }
        return false;
    case CC_K_MUL:
        if (base == 0 || base == 1) {   /* CF = OF: the product did not fit */
            tcg_gen_mov_i64(d->s, x, G.cc_src);
            c = TCG_COND_NE;
            goto out;
        }
        return false;
    default:
        return false;
    }
out:
    r->c = (cc & 1) ? tcg_invert_cond(c) : c;
    return true;
}

static void cond_cmp(DC *d, int cc, CCmp *r)
{
    if (cond_cmp_inline(d, cc, r)) {
        return;
    }
    r->a = tmp(d);
    call(d, &hi_cc_cond, r->a.idx, 2, cst(d, cc));
    r->b = cst(d, 0);
    r->c = TCG_COND_NE;
}

/* Condition cc as 0 or 1. */
static TCGv_i64 gen_cond(DC *d, int cc)
{
    CCmp c;
    TCGv_i64 t = tmp(d);
    cond_cmp(d, cc, &c);
    tcg_gen_setcond_i64(d->s, c.c, t, c.a, c.b);
    return t;
}

/* ---- instruction groups ---- */

static void gen_alu(DC *d, int mnem)
{
    TCGContext *s = d->s;
    int size = d->in.ops[0].size, lg = lg_of(size), kind;
    TCGv_i64 a = ld_op(d, 0), b = ld_op(d, 1), r = tmp(d), cin = { -1 };
    TCGv_i64 bm = tmp(d), src = bm;

    tcg_gen_andi_i64(s, bm, b, lg == 3 ? -1 : (int64_t)((1ull << (8 * size)) - 1));
    switch (mnem) {
    case X86_M_ADD:
        tcg_gen_add_i64(s, r, a, bm);
        kind = CC_K_ADD;
        break;
    case X86_M_SUB:
    case X86_M_CMP:
        tcg_gen_sub_i64(s, r, a, bm);
        kind = CC_K_SUB;
        break;
    case X86_M_ADC:
    case X86_M_SBB:
        cin = gen_cond(d, 2);
        if (mnem == X86_M_ADC) {
            tcg_gen_add_i64(s, r, a, bm);
            tcg_gen_add_i64(s, r, r, cin);
        } else {
            tcg_gen_sub_i64(s, r, a, bm);
            tcg_gen_sub_i64(s, r, r, cin);
        }
        kind = mnem == X86_M_ADC ? CC_K_ADC : CC_K_SBB;
        break;
    case X86_M_AND:
    case X86_M_TEST:
        tcg_gen_and_i64(s, r, a, bm);
        kind = CC_K_LOGIC;
        src = (TCGv_i64){ -1 };
        break;
    case X86_M_OR:
        tcg_gen_or_i64(s, r, a, bm);
        kind = CC_K_LOGIC;
        src = (TCGv_i64){ -1 };
        break;
    default: /* XOR */
        tcg_gen_xor_i64(s, r, a, bm);
        kind = CC_K_LOGIC;
        src = (TCGv_i64){ -1 };
        break;
    }
    /* The store first: if it faults, the flags are still those from before
     * the instruction, which a restarted ADC/SBB must read. */
    if (mnem != X86_M_CMP && mnem != X86_M_TEST) {
        st_op(d, 0, r);
    }
    if (cin.idx >= 0) {
        tcg_gen_mov_i64(s, G.cc_src2, cin);
    }
    set_cc(d, kind, lg, r, src);
    if (kind == CC_K_SUB) {
        d->cc_a = a;
        d->cc_b = bm;
        d->cc_mark = s->nb_ops;
    }
}

static void gen_incdec(DC *d, bool inc)
{
    TCGContext *s = d->s;
    int lg = lg_of(d->in.ops[0].size);
    TCGv_i64 a = ld_op(d, 0), r = tmp(d);
    TCGv_i64 cf = gen_cond(d, 2);
    tcg_gen_addi_i64(s, r, a, inc ? 1 : -1);
    st_op(d, 0, r);                 /* before the flags: a fault keeps CF */
    set_cc(d, inc ? CC_K_INC : CC_K_DEC, lg, r, cf);
}

/* r = a shifted by c and src = a shifted by c1 = c - 1 (its low or high bit
 * is the last one out: CF) for SHL/SAL, SHR or SAR of 1 << lg bytes; returns
 * the lazy-flags kind. */
static int shift_pair(DC *d, int mnem, int lg, TCGv_i64 a, TCGv_i64 c, TCGv_i64 c1,
                      TCGv_i64 r, TCGv_i64 src)
{
    TCGContext *s = d->s;
    if (mnem == X86_M_SHR) {
        tcg_gen_shr_i64(s, r, a, c);
        tcg_gen_shr_i64(s, src, a, c1);
        return CC_K_SHR;
    }
    if (mnem == X86_M_SAR) {
        TCGv_i64 sa = tmp(d);
        ext_lg(d, sa, a, lg, true);
        tcg_gen_sar_i64(s, r, sa, c);
        ext_lg(d, r, r, lg, false);
        tcg_gen_sar_i64(s, src, sa, c1);
        return CC_K_SAR;
    }
    tcg_gen_shl_i64(s, r, a, c);
    ext_lg(d, r, r, lg, false);
    tcg_gen_shl_i64(s, src, a, c1);
    return CC_K_SHL;
}

/* SHL/SAL/SHR/SAR by a constant non-zero count, flags lazily (CC_K_SHL..).
 * A zero count leaves the flags alone: an immediate 0 goes to helper_shift,
 * a CL count to gen_shift_cl (32/64 bits) or helper_shift. */
static bool gen_shift_imm(DC *d, int mnem)
{
    X86Insn *in = &d->in;
    int size = in->ops[0].size, lg = lg_of(size), kind, count;
    TCGv_i64 a, r, src;

    if (mnem == X86_M_ROL || mnem == X86_M_ROR || mnem == X86_M_RCL ||
        mnem == X86_M_RCR) {
        return false;
    }
    if (in->ops[1].kind == X86_OPK_NONE || in->ops[1].am == X86_AM_ONE) {
        count = 1;
    } else if (in->ops[1].kind == X86_OPK_IMM) {
        count = in->imm[in->ops[1].index] & (lg == 3 ? 63 : 31);
    } else {
        return false;
    }
    if (count == 0) {
        return false;
    }
    a = ld_op(d, 0);
    r = tmp(d);
    src = tmp(d);
    kind = shift_pair(d, mnem, lg, a, cst(d, count), cst(d, count - 1), r, src);
    st_op(d, 0, r);
    set_cc(d, kind, lg, r, src);
    return true;
}

/* SHL/SAL/SHR/SAR of 32/64 bits by CL, inline: the count is masked to the
 * operand width, so the result is a plain host shift. A zero count leaves
 * the flags alone (SDM Vol 2B SAL/SAR/SHL/SHR), so the new lazy state goes
 * in through movcond, cc_op included, and is unknown to the translator after. */
static bool gen_shift_cl(DC *d, int mnem)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    int size = in->ops[0].size, lg = lg_of(size), kind;

    if ((mnem != X86_M_SHL && mnem != X86_M_SAL && mnem != X86_M_SHR &&
         mnem != X86_M_SAR) || lg < 2 || in->ops[1].kind != X86_OPK_REG) {
        return false;
    }
    TCGv_i64 a = ld_op(d, 0), c = tmp(d), c1 = tmp(d), r = tmp(d), src = tmp(d);
    int mask = lg == 3 ? 63 : 31;
    tcg_gen_andi_i64(s, c, ld_op(d, 1), mask);
    tcg_gen_subi_i64(s, c1, c, 1);
    tcg_gen_andi_i64(s, c1, c1, mask);      /* count 0: unused, kept in range */
    kind = shift_pair(d, mnem, lg, a, c, c1, r, src);
    st_op(d, 0, r);
    /* Flags last (the store above may fault): old state where the count is 0. */
    cc_sync(d);
    TCGv_i64 z = cst(d, 0);
    tcg_gen_movcond_i64(s, TCG_COND_NE, G.cc_dst, c, z, r, G.cc_dst);
    tcg_gen_movcond_i64(s, TCG_COND_NE, G.cc_src, c, z, src, G.cc_src);
    TCGv_i32 c32 = tcg_temp_new_i32(s);
    tcg_gen_extrl_i64_i32(s, c32, c);
    tcg_gen_movcond_i32(s, TCG_COND_NE, G.cc_op, c32, tcg_constant_i32(s, 0),
                        tcg_constant_i32(s, CC_OP(kind, lg)), G.cc_op);
    d->cc_known = -1;
    d->cc_mark = -1;
    return true;
}

/* Two- and three-operand IMUL: the truncated product; CF = OF when the full
 * product differs from it sign-extended (cc_src = that difference). */
static void gen_imul2(DC *d, TCGv_i64 a, TCGv_i64 b)
{
    TCGContext *s = d->s;
    int lg = lg_of(d->in.ops[0].size);
    TCGv_i64 lo = tmp(d), over = tmp(d);

    if (lg == 3) {
        TCGv_i64 hi = tmp(d), sign = tmp(d);
        tcg_gen_muls2_i64(s, lo, hi, a, b);
        tcg_gen_sari_i64(s, sign, lo, 63);
        tcg_gen_sub_i64(s, over, hi, sign);
    } else {
        TCGv_i64 sa = tmp(d), sb = tmp(d), p = tmp(d);
        ext_lg(d, sa, a, lg, true);
        ext_lg(d, sb, b, lg, true);
        tcg_gen_mul_i64(s, p, sa, sb);
        ext_lg(d, lo, p, lg, false);
        ext_lg(d, over, p, lg, true);
        tcg_gen_sub_i64(s, over, p, over);
    }
    set_cc(d, CC_K_MUL, lg, lo, over);
    st_op(d, 0, lo);
}

static void gen_jcc_cmp(DC *d, CCmp *c, uint64_t target)
{
    TCGLabel *l = gen_new_label(d->s);
    cc_sync(d);                 /* both ways out leave with env->cc_op right */
    if (target <= d->eip) {
        /* A loop's backward branch is usually taken: make that the path
         * that falls through to its chained jump (one host branch, not two). */
        tcg_gen_brcond_i64(d->s, tcg_invert_cond(c->c), c->a, c->b, l);
        gen_goto(d, 1, target);
        gen_set_label(d->s, l);
        gen_goto(d, 0, d->next);
    } else {
        tcg_gen_brcond_i64(d->s, c->c, c->a, c->b, l);
        gen_goto(d, 0, d->next);
        gen_set_label(d->s, l);
        gen_goto(d, 1, target);
    }
    d->done = true;
}

static void gen_jcc(DC *d, TCGv_i64 cond, uint64_t target)
{
    CCmp c = { TCG_COND_NE, cond, cst(d, 0) };
    gen_jcc_cmp(d, &c, target);
}

static uint64_t rel_target(DC *d, int i)
{
    return (d->next + d->in.imm[d->in.ops[i].index]) & eip_mask(d);
}

static void gen_loop(DC *d, int mnem)
{
    TCGContext *s = d->s;
    int asz = d->in.addrsize / 8;
    TCGv_i64 c = ld_reg(d, R_ECX, false, asz), t = tmp(d);
    if (mnem == X86_M_JCXZ) {
        tcg_gen_setcondi_i64(s, TCG_COND_EQ, t, c, 0);
    } else {
        tcg_gen_subi_i64(s, c, c, 1);
        st_reg(d, R_ECX, false, asz, c);
        tcg_gen_andi_i64(s, c, c, asz == 8 ? -1 : (int64_t)((1ull << (8 * asz)) - 1));
        tcg_gen_setcondi_i64(s, TCG_COND_NE, t, c, 0);
        if (mnem != X86_M_LOOP) {
            TCGv_i64 z = gen_cond(d, mnem == X86_M_LOOPE ? 4 : 5);
            tcg_gen_and_i64(s, t, t, z);
        }
    }
    gen_jcc(d, t, rel_target(d, 0));
}

static void gen_string(DC *d, int kind)
{
    X86Insn *in = &d->in;
    int size = in->ops[0].size ? in->ops[0].size : in->ops[1].size;
    int seg = in->seg_override >= 0 ? in->seg_override : R_DS;
    uint64_t mode = lg_of(in->addrsize / 8);
    if (in->prefixes & X86_P_REP) {
        mode |= 4;
    }
    if ((in->prefixes & X86_P_REPNE) && (kind == 1 || kind == 4)) {
        mode |= 8;
    } else if (in->prefixes & X86_P_REPNE) {
        mode |= 4;
    }
    if (d->code64) {
        mode |= 16;
    }
    /* INS/OUTS operand sizes: the memory side. */
    for (int i = 0; i < in->n_ops; i++) {
        if (in->ops[i].kind == X86_OPK_MEM && in->ops[i].size) {
            size = in->ops[i].size;
        }
    }
    call(d, &hi_string, -1, 5, cst(d, kind), cst(d, lg_of(size)), cst(d, mode),
         cst(d, seg));
}

static int port_op(DC *d, int i, TCGv_i64 *port)
{
    X86Operand *o = &d->in.ops[i];
    if (o->kind == X86_OPK_IMM) {
        *port = cst(d, d->in.imm[o->index] & 0xff);
    } else {
        *port = ld_reg(d, R_EDX, false, 2);
    }
    return 0;
}

/* MOV with a control or segment register on one side. */
static bool gen_mov_special(DC *d)
{
    X86Operand *o0 = &d->in.ops[0], *o1 = &d->in.ops[1];
    if (o0->kind == X86_OPK_REG && o0->rclass == X86_RC_CR) {
        st_rip(d, d->eip);
        call(d, &hi_write_cr, -1, 3, cst(d, o0->reg), ld_reg(d, o1->reg, false, 8));
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    }
    if (o1->kind == X86_OPK_REG && o1->rclass == X86_RC_CR) {
        TCGv_i64 t = tmp(d);
        st_rip(d, d->eip);
        call(d, &hi_read_cr, t.idx, 2, cst(d, o1->reg));
        st_reg(d, o0->reg, false, d->code64 ? 8 : 4, t);
        return true;
    }
    if ((o0->kind == X86_OPK_REG && o0->rclass == X86_RC_DR) ||
        (o1->kind == X86_OPK_REG && o1->rclass == X86_RC_DR)) {
        /* MOV to/from DRn (SDM Vol 3 §18.2): DR4/DR5 alias DR6/DR7 unless
         * CR4.DE, when they are #UD (the helper checks). Breakpoints are
         * recorded, not yet honoured (docs/tcg-exec.md). */
        bool to_dr = o0->rclass == X86_RC_DR && o0->kind == X86_OPK_REG;
        int n = to_dr ? o0->reg : o1->reg;
        st_rip(d, d->eip);
        if (to_dr) {
            call(d, &hi_mov_dr, -1, 3, cst(d, n | 0x100), ld_reg(d, o1->reg, false, 8));
            gen_goto(d, 0, d->next);
            d->done = true;
        } else {
            TCGv_i64 t = tmp(d);
            call(d, &hi_mov_dr_read, t.idx, 2, cst(d, n));
            st_reg(d, o0->reg, false, d->code64 ? 8 : 4, t);
        }
        return true;
    }
    if (o0->kind == X86_OPK_REG && o0->rclass == X86_RC_SEG) {
        TCGv_i64 v = ld_op(d, 1);
        if (o0->reg == R_CS) {
            gen_raise(d, 6);
            return true;
        }
        call(d, &hi_load_seg, -1, 3, cst(d, o0->reg), v);
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    }
    if (o1->kind == X86_OPK_REG && o1->rclass == X86_RC_SEG) {
        TCGv_i64 v = ld_op(d, 1);
        if (o0->kind == X86_OPK_MEM) {
            qst(d, v, mem_addr(d), 2);
        } else {
            st_reg(d, o0->reg, false, o0->size, v);
        }
        return true;
    }
    return false;
}

/* BT/BTS/BTR/BTC: a register bit offset reaches outside a memory operand
 * (SDM Vol 2A BT: the offset is signed and selects the operand-size unit). */
static void gen_bt(DC *d, int kind)
{
    TCGContext *s = d->s;
    X86Operand *o0 = &d->in.ops[0];
    int size = o0->size, lg = lg_of(size), bits = 8 * size;
    TCGv_i64 bit = tmp(d), val = tmp(d), addr = (TCGv_i64){ -1 };

    if (d->in.ops[1].kind == X86_OPK_IMM) {
        tcg_gen_movi_i64(s, bit, d->in.imm[d->in.ops[1].index] & (bits - 1));
    } else {
        TCGv_i64 off = ld_op(d, 1);
        tcg_gen_andi_i64(s, bit, off, bits - 1);
        if (o0->kind == X86_OPK_MEM) {
            TCGv_i64 disp = tmp(d);
            addr = tmp(d);
            tcg_gen_shli_i64(s, disp, off, 64 - bits);
            tcg_gen_sari_i64(s, disp, disp, 64 - bits + lg + 3);
            tcg_gen_shli_i64(s, disp, disp, lg);
            tcg_gen_add_i64(s, addr, mem_addr(d), disp);
            if (!d->code64) {
                tcg_gen_ext32u_i64(s, addr, addr);
            }
        }
    }
    if (addr.idx >= 0) {
        qld(d, val, addr, size);
    } else {
        val = ld_op(d, 0);
    }
    TCGv_i64 r = tmp(d);
    call(d, &hi_bt, r.idx, 4, cst(d, kind), val, bit);
    if (kind) {
        if (addr.idx >= 0) {
            qst(d, r, addr, size);
        } else {
            st_op(d, 0, r);
        }
    }
}

/* Write v as a GPR of size would, into t (not the register itself). */
static void merged_reg(DC *d, TCGv_i64 t, int r, int size, TCGv_i64 v)
{
    switch (size) {
    case 8: tcg_gen_mov_i64(d->s, t, v); break;
    case 4: tcg_gen_ext32u_i64(d->s, t, v); break;
    case 2: tcg_gen_deposit_i64(d->s, t, G.regs[r], v, 0, 16); break;
    default: tcg_gen_deposit_i64(d->s, t, G.regs[r], v, 0, 8); break;
    }
}

/* Translate one decoded instruction. Returns false if not implemented. */
static bool gen_insn(DC *d)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    int mnem = in->mnem;
    int osz = in->opsize / 8;
    TCGv_i64 a, b, t;

    switch (mnem) {
    case X86_M_ADD: case X86_M_OR: case X86_M_ADC: case X86_M_SBB:
    case X86_M_AND: case X86_M_SUB: case X86_M_XOR: case X86_M_CMP:
    case X86_M_TEST:
        gen_alu(d, mnem);
        return true;
    case X86_M_INC:
    case X86_M_DEC:
        gen_incdec(d, mnem == X86_M_INC);
        return true;
    case X86_M_NOT:
        a = ld_op(d, 0);
        tcg_gen_not_i64(s, a, a);
        st_op(d, 0, a);
        return true;
    case X86_M_NEG:
        a = ld_op(d, 0);
        t = tmp(d);
        tcg_gen_neg_i64(s, t, a);
        st_op(d, 0, t);
        set_cc(d, CC_K_SUB, lg_of(in->ops[0].size), t, a);
        return true;
    case X86_M_ROL: case X86_M_ROR: case X86_M_RCL: case X86_M_RCR:
    case X86_M_SHL: case X86_M_SHR: case X86_M_SAL: case X86_M_SAR: {
        static const int8_t opn[] = {
            [X86_M_ROL] = 0, [X86_M_ROR] = 1, [X86_M_RCL] = 2, [X86_M_RCR] = 3,
            [X86_M_SHL] = 4, [X86_M_SHR] = 5, [X86_M_SAL] = 6, [X86_M_SAR] = 7,
        };
        if (gen_shift_imm(d, mnem) || gen_shift_cl(d, mnem)) {
            return true;
        }
        a = ld_op(d, 0);
        b = in->ops[1].kind == X86_OPK_NONE || in->ops[1].am == X86_AM_ONE
            ? cst(d, 1) : ld_op(d, 1);
        t = tmp(d);
        call(d, &hi_shift, t.idx, 5, cst(d, opn[mnem]), cst(d, lg_of(in->ops[0].size)),
             a, b);
        st_op(d, 0, t);
        return true;
    }
    case X86_M_MUL:
    case X86_M_IMUL:
        if (in->n_ops == 1 || (mnem == X86_M_MUL)) {
            int i = in->n_ops == 1 ? 0 : in->n_ops - 1;
            call(d, &hi_mul1, -1, 4, cst(d, mnem == X86_M_IMUL),
                 cst(d, lg_of(in->ops[i].size)), ld_op(d, i));
        } else {
            a = ld_op(d, in->n_ops == 3 ? 1 : 0);
            b = ld_op(d, in->n_ops == 3 ? 2 : 1);
            gen_imul2(d, a, b);
        }
        return true;
    case X86_M_DIV:
    case X86_M_IDIV: {
        int i = in->n_ops - 1;
        call(d, &hi_div, -1, 4, cst(d, mnem == X86_M_IDIV),
             cst(d, lg_of(in->ops[i].size)), ld_op(d, i));
        return true;
    }
    case X86_M_MOV:
        if (gen_mov_special(d)) {
            return true;
        }
        st_op(d, 0, ld_op(d, 1));
        return true;
    case X86_M_MOVZX:
        st_op(d, 0, ld_op(d, 1));
        return true;
    case X86_M_MOVSX:
    case X86_M_MOVSXD:
        a = ld_op(d, 1);
        switch (in->ops[1].size) {
        case 1: tcg_gen_ext8s_i64(s, a, a); break;
        case 2: tcg_gen_ext16s_i64(s, a, a); break;
        default: tcg_gen_ext32s_i64(s, a, a); break;
        }
        st_op(d, 0, a);
        return true;
    case X86_M_LEA:
        st_op(d, 0, gen_ea(d));
        return true;
    case X86_M_XCHG:
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        st_op(d, 1, a);
        st_op(d, 0, b);
        return true;
    case X86_M_CBW:
        a = ld_reg(d, R_EAX, false, osz / 2);
        if (osz == 2) {
            tcg_gen_ext8s_i64(s, a, a);
        } else if (osz == 4) {
            tcg_gen_ext16s_i64(s, a, a);
        } else {
            tcg_gen_ext32s_i64(s, a, a);
        }
        st_reg(d, R_EAX, false, osz, a);
        return true;
    case X86_M_CWD:
        a = ld_reg(d, R_EAX, false, osz);
        t = tmp(d);
        tcg_gen_shli_i64(s, t, a, 64 - 8 * osz);
        tcg_gen_sari_i64(s, t, t, 63);
        st_reg(d, R_EDX, false, osz, t);
        return true;
    case X86_M_PUSH:
        a = ld_op(d, 0);
        if (in->ops[0].kind == X86_OPK_IMM && osz < 8) {
            /* The immediate is an interned constant: mask into a new temp. */
            t = tmp(d);
            tcg_gen_andi_i64(s, t, a, osz == 4 ? 0xffffffff : 0xffff);
            a = t;
        }
        push_v(d, a, osz);
        return true;
    case X86_M_POP:
        a = peek(d, osz);
        if (in->ops[0].kind == X86_OPK_REG && in->ops[0].rclass == X86_RC_SEG) {
            call(d, &hi_load_seg, -1, 3, cst(d, in->ops[0].reg), a);
            pop_adjust(d, osz);
            gen_goto(d, 0, d->next);
            d->done = true;
            return true;
        }
        pop_adjust(d, osz);
        /* POP into memory computes rSP-relative addresses after the increment. */
        st_op(d, 0, a);
        return true;
    case X86_M_PUSHF:
        if (d->flags & TBF_VM) {
            call(d, &hi_check_iopl, -1, 1);     /* v86 without VME (SDM §20.2.7) */
        }
        t = tmp(d);
        call(d, &hi_read_eflags, t.idx, 1);
        push_v(d, t, osz);
        return true;
    case X86_M_POPF:
        a = peek(d, osz);
        pop_adjust(d, osz);
        call(d, &hi_popf, -1, 3, a, cst(d, lg_of(osz)));
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    case X86_M_LEAVE:
        t = tmp(d);
        tcg_gen_mov_i64(s, t, G.regs[R_EBP]);
        st_reg(d, R_ESP, false, stack_size(d), t);
        a = peek(d, osz);
        pop_adjust(d, osz);
        st_reg(d, R_EBP, false, osz, a);
        return true;
    case X86_M_JMP:
        if (in->ops[0].kind == X86_OPK_REL) {
            gen_goto(d, 0, rel_target(d, 0));
            d->done = true;
        } else {
            gen_jmp_v(d, ld_op(d, 0));
        }
        return true;
    case X86_M_CALL:
        if (in->ops[0].kind == X86_OPK_REL) {
            push_v(d, cst(d, d->next & eip_mask(d)), osz);
            gen_goto(d, 0, rel_target(d, 0));
            d->done = true;
        } else {
            a = ld_op(d, 0);
            push_v(d, cst(d, d->next & eip_mask(d)), osz);
            gen_jmp_v(d, a);
        }
        return true;
    case X86_M_RET:
        a = peek(d, osz);
        pop_adjust(d, osz + (in->n_ops ? (int)in->imm[0] : 0));
        gen_jmp_v(d, a);
        return true;
    case X86_M_JCC: {
        CCmp c;
        cond_cmp(d, in->opcode & 15, &c);
        gen_jcc_cmp(d, &c, rel_target(d, 0));
        return true;
    }
    case X86_M_LOOP: case X86_M_LOOPE: case X86_M_LOOPNE: case X86_M_JCXZ:
        gen_loop(d, mnem);
        return true;
    case X86_M_SETCC:
        st_op(d, 0, gen_cond(d, in->opcode & 15));
        return true;
    case X86_M_CMOVCC: {
        CCmp c;
        cond_cmp(d, in->opcode & 15, &c);
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        t = tmp(d);
        tcg_gen_movcond_i64(s, c.c, t, c.a, c.b, b, a);
        st_op(d, 0, t);
        return true;
    }
    case X86_M_CLC: case X86_M_STC: case X86_M_CMC: case X86_M_CLD: case X86_M_STD:
    case X86_M_CLI: case X86_M_STI:
        if ((mnem == X86_M_CLI || mnem == X86_M_STI) && (d->flags & TBF_PE)) {
            call(d, &hi_check_iopl, -1, 1);     /* IOPL-sensitive (SDM Vol 1 §3.4.3.3) */
        }
        call(d, &hi_flagop, -1, 2, cst(d, in->opcode));
        return true;
    case X86_M_SAHF:
        a = ld_reg(d, R_EAX, true, 1);
        call(d, &hi_write_eflags, -1, 3, a, cst(d, CC_S | CC_Z | CC_A | CC_P | CC_C));
        return true;
    case X86_M_LAHF:
        t = tmp(d);
        call(d, &hi_read_eflags, t.idx, 1);
        st_reg(d, R_EAX, true, 1, t);
        return true;
    case X86_M_IN: {
        TCGv_i64 port;
        port_op(d, 1, &port);
        t = tmp(d);
        st_rip(d, d->eip);
        call(d, &hi_in, t.idx, 3, port, cst(d, lg_of(in->ops[0].size)));
        st_op(d, 0, t);
        return true;
    }
    case X86_M_OUT: {
        TCGv_i64 port;
        port_op(d, 0, &port);
        st_rip(d, d->eip);
        call(d, &hi_out, -1, 4, port, cst(d, lg_of(in->ops[1].size)), ld_op(d, 1));
        return true;
    }
    case X86_M_MOVS: gen_string(d, 0); return true;
    case X86_M_CMPS: gen_string(d, 1); return true;
    case X86_M_STOS: gen_string(d, 2); return true;
    case X86_M_LODS: gen_string(d, 3); return true;
    case X86_M_SCAS: gen_string(d, 4); return true;
    case X86_M_INS: gen_string(d, 5); return true;
    case X86_M_OUTS: gen_string(d, 6); return true;
    case X86_M_PAUSE:
        /* A spin-wait hint: with vCPUs taking turns, the one spinning gives
         * the token to a waiting one (which is likely what it waits for). */
        if (x86_tcg_multi_vcpu(d->env)) {
            call(d, &hi_pause, -1, 1);
            gen_goto(d, 0, d->next);
            d->done = true;
        }
        return true;
    case X86_M_NOP: case X86_M_LFENCE: case X86_M_MFENCE:
    case X86_M_SFENCE: case X86_M_PREFETCH: case X86_M_PREFETCHW:
    case X86_M_PREFETCHNTA: case X86_M_PREFETCHT0: case X86_M_PREFETCHT1:
    case X86_M_PREFETCHT2: case X86_M_WBINVD: case X86_M_INVD:
        return true;
    case X86_M_HLT:
        st_rip(d, d->next & eip_mask(d));
        call(d, &hi_hlt, -1, 1);
        gen_exit(d);
        return true;
    case X86_M_CPUID:
        call(d, &hi_cpuid, -1, 1);
        return true;
    case X86_M_RDTSC:
        if ((d->flags >> TBF_CPL_SHIFT) & 3) {
            call(d, &hi_check_tsd, -1, 1);      /* CR4.TSD (SDM Vol 2B RDTSC) */
        }
        call(d, &hi_rdtsc, -1, 1);
        return true;
    case X86_M_RDMSR:
        st_rip(d, d->eip);
        call(d, &hi_rdmsr, -1, 1);
        return true;
    case X86_M_WRMSR:
        st_rip(d, d->eip);
        call(d, &hi_wrmsr, -1, 1);
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    case X86_M_LGDT:
    case X86_M_LIDT:
        call(d, &hi_lgdt, -1, 4, cst(d, mnem == X86_M_LIDT), mem_addr(d),
             cst(d, d->code64 ? 64 : in->opsize));
        return true;
    case X86_M_STAC:
    case X86_M_CLAC: {
        /* CPL 0 only (#UD otherwise); AC picks the MMU mode of the blocks
         * that follow, so the block ends here. */
        if ((d->flags >> TBF_CPL_SHIFT) & 3) {
            gen_raise(d, 6);
            return true;
        }
        TCGv_i64 f = tmp(d);
        d->mode_dirty = true;       /* AC picks TBF_SMAP */
        tcg_gen_ld_i64(s, f, offsetof(CPUX86State, rflags));
        if (mnem == X86_M_STAC) {
            tcg_gen_ori_i64(s, f, f, AC_MASK);
        } else {
            tcg_gen_andi_i64(s, f, f, ~(int64_t)AC_MASK);
        }
        tcg_gen_st_i64(s, f, offsetof(CPUX86State, rflags));
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    }
    case X86_M_INVPCID: {
        /* The type register is 64 bits wide in 64-bit mode whatever REX.W. */
        TCGv_i64 ty = tmp(d);
        if (d->code64) {
            tcg_gen_mov_i64(s, ty, G.regs[in->ops[0].reg]);
        } else {
            tcg_gen_ext32u_i64(s, ty, G.regs[in->ops[0].reg]);
        }
        st_rip(d, d->eip);
        call(d, &hi_invpcid, -1, 3, ty, mem_addr(d));
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    }
    case X86_M_INVLPG:
        call(d, &hi_write_cr, -1, 3, cst(d, 3),
             (tcg_gen_ld_i64(s, (t = tmp(d)), offsetof(CPUX86State, cr[3])), t));
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    case X86_M_JMPF:
    case X86_M_CALLF: {
        TCGv_i64 sel, off;
        if (in->ops[0].kind == X86_OPK_FAR) {
            off = cst(d, in->imm[0]);
            sel = cst(d, in->imm[1]);
        } else {
            TCGv_i64 addr = mem_addr(d), a2 = tmp(d);
            off = tmp(d);
            sel = tmp(d);
            qld(d, off, addr, osz);
            tcg_gen_addi_i64(s, a2, addr, osz);
            qld(d, sel, a2, 2);
        }
        st_rip(d, d->eip);
        if (mnem == X86_M_JMPF) {
            call(d, &hi_ljmp, -1, 4, sel, off, cst(d, d->next & eip_mask(d)));
        } else {
            call(d, &hi_lcall, -1, 5, sel, off, cst(d, lg_of(osz)),
                 cst(d, d->next & eip_mask(d)));
        }
        gen_exit(d);
        return true;
    }
    case X86_M_RETF:
        st_rip(d, d->eip);
        call(d, &hi_lret, -1, 3, cst(d, lg_of(osz)), cst(d, in->n_ops ? in->imm[0] : 0));
        gen_exit(d);
        return true;
    case X86_M_IRET:
        st_rip(d, d->eip);
        call(d, &hi_iret, -1, 3, cst(d, lg_of(osz)), cst(d, d->next & eip_mask(d)));
        gen_exit(d);
        return true;
    case X86_M_INT:
    case X86_M_INT3:
        st_rip(d, d->eip);
        call(d, &hi_int, -1, 3, cst(d, mnem == X86_M_INT3 ? 3 : (in->imm[0] & 0xff)),
             cst(d, d->next & eip_mask(d)));
        gen_exit(d);
        return true;
    case X86_M_BT: gen_bt(d, 0); return true;
    case X86_M_BTS: gen_bt(d, 1); return true;
    case X86_M_BTR: gen_bt(d, 2); return true;
    case X86_M_BTC: gen_bt(d, 3); return true;
    case X86_M_BSF:
    case X86_M_BSR:
    case X86_M_TZCNT:
    case X86_M_LZCNT:
        /* LZCNT is advertised (CPUID 80000001h:ECX[5]); BMI1 is not, so TZCNT
         * runs as BSF, as on processors without it (compilers emit REP BSF). */
        if (mnem == X86_M_LZCNT) {
            t = tmp(d);
            call(d, &hi_lzcnt, t.idx, 3, cst(d, lg_of(in->ops[1].size)), ld_op(d, 1));
            st_op(d, 0, t);
            return true;
        }
        a = ld_op(d, 1);
        b = ld_op(d, 0);
        t = tmp(d);
        call(d, &hi_bsf, t.idx, 5, cst(d, mnem == X86_M_BSR),
             cst(d, lg_of(in->ops[1].size)), a, b);
        st_op(d, 0, t);
        return true;
    case X86_M_SHLD:
    case X86_M_SHRD:
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        t = tmp(d);
        call(d, &hi_shld, t.idx, 6, cst(d, mnem == X86_M_SHRD),
             cst(d, lg_of(in->ops[0].size)), a, b, ld_op(d, 2));
        st_op(d, 0, t);
        return true;
    case X86_M_XADD: {
        int lg = lg_of(in->ops[0].size);
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        t = tmp(d);
        tcg_gen_add_i64(s, t, a, b);
        set_cc(d, CC_K_ADD, lg, t, b);
        st_op(d, 1, a);
        st_op(d, 0, t);
        return true;
    }
    case X86_M_CMPXCHG: {
        int size = in->ops[0].size, lg = lg_of(size);
        TCGv_i64 acc = ld_reg(d, R_EAX, false, size), eq = tmp(d), nd = tmp(d);
        TCGv_i64 merged = tmp(d), nrax = tmp(d);
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        t = tmp(d);
        tcg_gen_sub_i64(s, t, acc, a);
        set_cc(d, CC_K_SUB, lg, t, a);
        tcg_gen_setcond_i64(s, TCG_COND_EQ, eq, acc, a);
        tcg_gen_movcond_i64(s, TCG_COND_NE, nd, eq, cst(d, 0), b, a);
        /* The accumulator is written only on a mismatch. */
        merged_reg(d, merged, R_EAX, size, a);
        tcg_gen_movcond_i64(s, TCG_COND_NE, nrax, eq, cst(d, 0), G.regs[R_EAX], merged);
        tcg_gen_mov_i64(s, G.regs[R_EAX], nrax);
        /* The destination is written either way (SDM Vol 2A CMPXCHG: Intel
         * writes DEST back on a miss, so a 32-bit register destination is
         * zero-extended; AMD leaves it, and tests/diff masks that). */
        st_op(d, 0, nd);
        return true;
    }
    case X86_M_CMPXCHG8B:
    case X86_M_CMPXCHG16B:
        call(d, &hi_cmpxchg8b, -1, 3, mem_addr(d), cst(d, mnem == X86_M_CMPXCHG8B ? 3 : 4));
        return true;
    case X86_M_PUSHA: {
        TCGv_i64 sp0 = ld_reg(d, R_ESP, false, osz);
        for (int r = R_EAX; r <= R_EDI; r++) {
            push_v(d, r == R_ESP ? sp0 : ld_reg(d, r, false, osz), osz);
        }
        return true;
    }
    case X86_M_POPA:
        for (int r = R_EDI; r >= R_EAX; r--) {
            a = peek(d, osz);
            pop_adjust(d, osz);
            if (r != R_ESP) {
                st_reg(d, r, false, osz, a);
            }
        }
        return true;
    case X86_M_ENTER: {
        /* SDM Vol 2A ENTER: push rBP; with nesting level L, copy L-1 frame
         * pointers from the old frame ([SS:rBP - k*size]) and push the new
         * frame pointer. Registers are written last, so a fault in any of
         * the stack accesses restarts the instruction cleanly. */
        int level = in->imm[1] & 31, ssz = stack_size(d);
        TCGv_i64 sp = ld_reg(d, R_ESP, false, ssz), frame = tmp(d);
        tcg_gen_subi_i64(s, sp, sp, osz);
        mask_addr(d, sp, ssz * 8);
        qst(d, ld_reg(d, R_EBP, false, osz), linear(d, R_SS, sp), osz);
        tcg_gen_mov_i64(s, frame, sp);
        if (level) {
            TCGv_i64 bp = ld_reg(d, R_EBP, false, ssz);
            for (int i = 1; i < level; i++) {
                TCGv_i64 v = tmp(d);
                tcg_gen_subi_i64(s, bp, bp, osz);
                mask_addr(d, bp, ssz * 8);
                qld(d, v, linear(d, R_SS, bp), osz);
                tcg_gen_subi_i64(s, sp, sp, osz);
                mask_addr(d, sp, ssz * 8);
                qst(d, v, linear(d, R_SS, sp), osz);
            }
            tcg_gen_subi_i64(s, sp, sp, osz);
            mask_addr(d, sp, ssz * 8);
            qst(d, frame, linear(d, R_SS, sp), osz);
        }
        st_reg(d, R_EBP, false, osz, frame);
        tcg_gen_subi_i64(s, sp, sp, in->imm[0] & 0xffff);
        st_reg(d, R_ESP, false, ssz, sp);
        return true;
    }
    case X86_M_XLAT: {
        TCGv_i64 off = tmp(d);
        int seg = in->seg_override >= 0 ? in->seg_override : R_DS;
        tcg_gen_add_i64(s, off, G.regs[R_EBX], ld_reg(d, R_EAX, false, 1));
        mask_addr(d, off, in->addrsize);
        t = tmp(d);
        qld(d, t, linear(d, seg, off), 1);
        st_reg(d, R_EAX, false, 1, t);
        return true;
    }
    case X86_M_LDS: case X86_M_LES: case X86_M_LSS: case X86_M_LFS: case X86_M_LGS: {
        int seg = mnem == X86_M_LDS ? R_DS : mnem == X86_M_LES ? R_ES
                  : mnem == X86_M_LSS ? R_SS : mnem == X86_M_LFS ? R_FS : R_GS;
        TCGv_i64 addr = mem_addr(d), a2 = tmp(d), off = tmp(d), sel = tmp(d);
        qld(d, off, addr, osz);
        tcg_gen_addi_i64(s, a2, addr, osz);
        qld(d, sel, a2, 2);
        call(d, &hi_load_seg, -1, 3, cst(d, seg), sel);
        st_reg(d, in->ops[0].reg, false, osz, off);
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    }
    case X86_M_SGDT:
    case X86_M_SIDT: {
        TCGv_i64 addr = mem_addr(d), a2 = tmp(d);
        size_t base = mnem == X86_M_SGDT ? offsetof(CPUX86State, gdt)
                                         : offsetof(CPUX86State, idt);
        t = tmp(d);
        tcg_gen_ld16u_i64(s, t, base + offsetof(DescTable, limit));
        qst(d, t, addr, 2);
        tcg_gen_ld_i64(s, t, base + offsetof(DescTable, base));
        tcg_gen_addi_i64(s, a2, addr, 2);
        qst(d, t, a2, d->code64 ? 8 : 4);
        return true;
    }
    case X86_M_SLDT:
    case X86_M_STR:
        t = tmp(d);
        tcg_gen_ld16u_i64(s, t, mnem == X86_M_STR ? offsetof(CPUX86State, tr.selector)
                                                  : offsetof(CPUX86State, ldt.selector));
        if (in->ops[0].kind == X86_OPK_MEM) {
            qst(d, t, mem_addr(d), 2);
        } else {
            st_op(d, 0, t);
        }
        return true;
    case X86_M_LLDT:
    case X86_M_LTR:
        st_rip(d, d->eip);
        call(d, &hi_load_sysseg, -1, 3, cst(d, mnem == X86_M_LTR), ld_op(d, 0));
        return true;
    case X86_M_SALC:
        t = gen_cond(d, 2);
        tcg_gen_neg_i64(s, t, t);
        st_reg(d, R_EAX, false, 1, t);
        return true;
    case X86_M_CLFLUSH: case X86_M_CLFLUSHOPT: case X86_M_CLWB:
        return true;
    case X86_M_SMSW:
        t = tmp(d);
        tcg_gen_ld_i64(s, t, offsetof(CPUX86State, cr[0]));
        if (in->ops[0].kind == X86_OPK_MEM) {
            qst(d, t, mem_addr(d), 2);
        } else {
            st_op(d, 0, t);
        }
        return true;
    case X86_M_LMSW:
        /* LMSW sets PE but never clears it; it changes MP, EM, TS too. */
        a = ld_op(d, 0);
        t = tmp(d);
        b = tmp(d);
        tcg_gen_ld_i64(s, t, offsetof(CPUX86State, cr[0]));
        tcg_gen_andi_i64(s, b, a, 0xf);
        tcg_gen_andi_i64(s, t, t, ~0xeull);
        tcg_gen_or_i64(s, t, t, b);
        st_rip(d, d->eip);
        call(d, &hi_write_cr, -1, 3, cst(d, 0), t);
        gen_goto(d, 0, d->next);
        d->done = true;
        return true;
    case X86_M_CLTS:
        t = tmp(d);
        tcg_gen_ld_i64(s, t, offsetof(CPUX86State, cr[0]));
        tcg_gen_andi_i64(s, t, t, ~(int64_t)CR0_TS);
        tcg_gen_st_i64(s, t, offsetof(CPUX86State, cr[0]));
        gen_goto(d, 0, d->next);        /* CR0.TS is part of the block key */
        d->done = true;
        return true;
    case X86_M_UD2:
    case X86_M_UD0:
    case X86_M_UD1:
        gen_raise(d, 6);
        return true;
    case X86_M_DAA: case X86_M_DAS: case X86_M_AAA: case X86_M_AAS:
        call(d, &hi_bcd, -1, 3, cst(d, in->opcode), cst(d, 0));
        return true;
    case X86_M_AAM: case X86_M_AAD:
        st_rip(d, d->eip);      /* AAM 0 raises #DE */
        call(d, &hi_bcd, -1, 3, cst(d, in->opcode), cst(d, in->imm[0] & 0xff));
        return true;
    case X86_M_ADCX:
    case X86_M_ADOX:
        t = tmp(d);
        call(d, &hi_adx, t.idx, 5, cst(d, mnem == X86_M_ADOX),
             cst(d, lg_of(in->ops[0].size)), ld_op(d, 0), ld_op(d, 1));
        st_op(d, 0, t);
        return true;
    case X86_M_MOVBE:
        a = ld_op(d, 1);
        if (osz == 8) {
            tcg_gen_bswap64_i64(s, a, a);
        } else if (osz == 4) {
            tcg_gen_bswap32_i64(s, a, a);
        } else {
            t = tmp(d);
            tcg_gen_shri_i64(s, t, a, 8);
            tcg_gen_andi_i64(s, t, t, 0xff);
            tcg_gen_andi_i64(s, a, a, 0xff);
            tcg_gen_shli_i64(s, a, a, 8);
            tcg_gen_or_i64(s, a, a, t);
        }
        st_op(d, 0, a);
        return true;
    case X86_M_BSWAP:
        a = ld_op(d, 0);
        if (osz == 8) {
            tcg_gen_bswap64_i64(s, a, a);
        } else {
            tcg_gen_bswap32_i64(s, a, a);
        }
        st_op(d, 0, a);
        return true;
    default:
        break;
    }
    /* The family files own mnemonics, not decoder families (FXSAVE is in
     * the x87 file, XSAVE too): each declines what it does not know. */
    return x86_gen_x87(d) || x86_gen_sse(d) || x86_gen_sys(d);
}

void x86_translate_block(TCGContext *s, CPUX86State *env, uint64_t pc, uint64_t cs_base,
                         uint32_t flags, uintptr_t tb_token, X86TranslateOut *out)
{
    DC dc = {
        .s = s, .env = env, .cs_base = cs_base, .pc_start = pc, .flags = flags,
        .tb = tb_token,
        .code64 = flags & TBF_CODE64,
        .mmu = ((flags >> TBF_CPL_SHIFT) & 3) == 3 ? X86_MMU_USER
               : (flags & TBF_SMAP) ? X86_MMU_SUP_SMAP : X86_MMU_SUP,
        .cc_known = -1,
        .cc_mark = -1,
        .cc_slot = -1,
    };
    X86DecodeMode mode = dc.code64 ? X86_MODE_64
                         : (flags & TBF_CODE16) ? X86_MODE_16 : X86_MODE_32;
    uint64_t lin = pc, page = pc & ~0xfffull;
    TCGLabel *l_exit;
    int n = 0;

    out->page2 = (uint64_t)-1;
    tcg_func_start(s);
    /* Leave promptly when the machine asks (kick, pause, code invalidation). */
    {
        TCGv_i32 er = tcg_temp_new_i32(s);
        l_exit = gen_new_label(s);
        tcg_gen_ld_i32(s, er, (intptr_t)offsetof(CPUState, exit_request) -
                              (intptr_t)offsetof(CPUState, env));
        tcg_gen_brcondi_i32(s, TCG_COND_NE, er, 0, l_exit);
    }
    dc.eip = pc - cs_base;
    /* STI: the block ends after the instruction that follows it, so a pending
     * interrupt is taken right after STI's shadow (sti; nop; cli windows). */
    bool after_sti = false;
    while (!dc.done) {
        uint8_t buf[X86_MAX_INSN_LEN];
        size_t got = x86_fetch_code(env, lin, buf, sizeof(buf), n == 0);
        int len = got ? x86_decode(mode, buf, got, &dc.in) : -X86_DECODE_TRUNC;

        if (len == -X86_DECODE_TRUNC) {
            if (n > 0) {
                gen_goto(&dc, 0, dc.eip);
                break;
            }
            /* The first instruction runs into an unmapped page: take the #PF. */
            x86_fetch_code(env, (lin + got), buf, 1, true);
            len = -X86_DECODE_UD;
        }
        /* While cc_op is only known at translate time, a fault in this
         * instruction finds it in the record; a parked store (a nop until
         * cc_sync needs it) can put it in env at the instruction's start. */
        dc.cc_slot = -1;
        tcg_gen_insn_start(s, dc.eip, dc.cc_dirty ? dc.cc_known + 1 : 0, 0);
        dc.insn_op = s->nb_ops - 1;
        if (dc.cc_dirty) {
            tcg_gen_movi_i32(s, G.cc_op, dc.cc_known);
            dc.cc_slot = s->nb_ops - 1;
            tcg_op_remove(s, &s->ops[dc.cc_slot]);
        }
        n++;
        dc.a0_valid = false;
        if (len < 0) {
            /* The undecodable bytes belong to the block: a store that fixes
             * them must drop it (code that patches a #UD, debuggers). */
            uint64_t to_end = 0x1000 - (lin & 0xfff);
            lin += MIN(MAX(got, (size_t)1), to_end);
            gen_raise(&dc, len == -X86_DECODE_TOOLONG ? 13 : 6);
            break;
        }
        if (((lin + len - 1) & ~0xfffull) != page) {
            out->page2 = (lin + len - 1) & ~0xfffull;
        }
        dc.next = dc.eip + len;
        if (log_enabled(LOG_IN_ASM)) {
            char text[160], hex[3 * X86_MAX_INSN_LEN + 1] = "";
            x86_disas_insn(text, sizeof(text), buf, len, dc.eip, mode);
            for (int k = 0; k < len; k++) {
                snprintf(hex + 3 * k, 4, "%02x ", buf[k]);
            }
            if (n == 1) {
                log_printf("IN: pc %#" PRIx64 " cs_base %#" PRIx64 " flags %#x\n", pc,
                           cs_base, flags);
            }
            log_printf("  %#010" PRIx64 ":  %-24s %s\n", dc.eip, hex, text);
        }
        lin += len;
        if ((dc.in.desc->flags & X86_F_PRIV) && (flags >> TBF_CPL_SHIFT) & 3) {
            gen_raise(&dc, 13);     /* CPL 0 only: #GP(0) (SDM Vol 3 §5.9) */
            break;
        }
        if (!gen_insn(&dc)) {
            log_mask(LOG_UNIMP, "tcg: %s at %#" PRIx64 " not implemented: #UD\n",
                     x86_mnemonic_name(dc.in.mnem), dc.eip);
            gen_raise(&dc, 6);
            break;
        }
        dc.eip = dc.next;
        bool shadow_over = after_sti;
        after_sti = dc.in.mnem == X86_M_STI;
        if (!dc.done && (shadow_over || n >= MAX_BLOCK_INSNS ||
                         (lin & ~0xfffull) != page || out->page2 != (uint64_t)-1)) {
            gen_goto(&dc, 0, dc.eip);
            break;
        }
    }
    /* Leaving at the exit check: this block may have been entered through a
     * chain, which does not store rip, so say where the guest is. */
    gen_set_label(s, l_exit);
    st_rip(&dc, (pc - cs_base) & eip_mask(&dc));
    tcg_gen_exit_tb(s, 0);
    out->nb_insns = n;
    out->size = lin - pc;
}
