/*
 * translate-x87.c: x87 floating point (SDM Vol 1 ch. 8, Vol 2 instruction
 * pages), FXSAVE/FXRSTOR and the XSAVE family with XGETBV/XSETBV (SDM Vol 1
 * ch. 13). Called from gen_insn() for the mnemonics translate.c does not
 * handle itself.
 *
 * The control instructions that only move a word (FNSTCW, FNSTSW, FNCLEX) are
 * inline; every other x87 instruction is one call of helper_x87(), which runs
 * the instruction's own encoding on the host FPU (fpu-helper.c). The few
 * encodings that are undocumented aliases are translated to their documented
 * twin so the host only ever runs documented instructions.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"
#include "target-x86/fpu-helper.h"

static const TCGHelperInfo hi_x87 =
    TCG_HELPER_INFO(helper_x87, RAISE, V, P, Q, Q, Q, Q);
/* The same helper when it leaves EFLAGS alone (all but FCOMI & co, FCMOVcc):
 * it writes no global, so registers cached in host registers stay valid. */
static const TCGHelperInfo hi_x87_noflags =
    TCG_HELPER_INFO(helper_x87, RAISE | TCG_CALL_NO_WRITE_GLOBALS, V, P, Q, Q, Q, Q);
static const TCGHelperInfo hi_fwait = TCG_HELPER_INFO(helper_fwait, RAISE, V, P);
static const TCGHelperInfo hi_fldcw = TCG_HELPER_INFO(helper_fldcw, RAISE, V, P, Q);
static const TCGHelperInfo hi_fninit = TCG_HELPER_INFO(helper_fninit, 0, V, P);
static const TCGHelperInfo hi_fenv = TCG_HELPER_INFO(helper_fenv, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_fxsave =
    TCG_HELPER_INFO(helper_fxsave, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_fxrstor =
    TCG_HELPER_INFO(helper_fxrstor, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_xsave = TCG_HELPER_INFO(helper_xsave, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_xrstor =
    TCG_HELPER_INFO(helper_xrstor, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_xgetbv = TCG_HELPER_INFO(helper_xgetbv, RAISE, V, P);
static const TCGHelperInfo hi_xsetbv = TCG_HELPER_INFO(helper_xsetbv, RAISE, V, P);

/* The documented encoding of a register form (SDM Vol 2D Tables A-7..A-22
 * list the aliases as reserved; CPUs run them as their twin). */
static void canonical_reg_form(unsigned *opc, unsigned *modrm)
{
    unsigned i = *modrm & 7, row = *modrm & 0xf8;

    if ((*opc == 0xdd || *opc == 0xdf) && row == 0xc8) {
        *opc = 0xd9;                    /* FXCH */
    } else if ((*opc == 0xd9 && row == 0xd8) ||
               (*opc == 0xdf && (row == 0xd0 || row == 0xd8))) {
        *opc = 0xdd;                    /* FSTP ST(i) */
        *modrm = 0xd8 | i;
    } else if (*opc == 0xdc && (row == 0xd0 || row == 0xd8)) {
        *opc = 0xd8;                    /* FCOM/FCOMP ST(i) */
    } else if (*opc == 0xde && row == 0xd0) {
        *opc = 0xd8;                    /* FCOMP ST(i) */
        *modrm = 0xd8 | i;
    }
}

static bool is_store(unsigned mnem)
{
    switch (mnem) {
    case X86_M_FST: case X86_M_FSTP: case X86_M_FIST: case X86_M_FISTP:
    case X86_M_FISTTP: case X86_M_FBSTP:
        return true;
    default:
        return false;
    }
}

/* Every non-control x87 instruction: helper_x87 does it on the host FPU. */
static void gen_x87_generic(DC *d)
{
    X86Insn *in = &d->in;
    unsigned opc = in->opcode, modrm = in->modrm, mnem = in->mnem;
    uint64_t code = (uint64_t)(((opc & 7) << 8) | modrm) << FX_FOP_SHIFT;
    TCGv_i64 addr = cst(d, 0), off = cst(d, 0);

    if (d->code64) {
        code |= FX_CODE64;
    }
    if (in->mod != 3) {
        unsigned size = in->ops[0].size;
        code |= FPU_STUB_MEM(opc, in->reg) | (uint64_t)FPU_STUB_RET << 10;
        code |= (uint64_t)size << FX_SIZE_SHIFT | FX_HAS_MEM;
        code |= (uint64_t)in->mem.seg << FX_SEG_SHIFT;
        if (is_store(mnem)) {
            code |= FX_STORE;
        }
        off = gen_ea(d);
        addr = linear(d, in->mem.seg, off);
    } else if (mnem == X86_M_FFREEP) {
        /* No documented twin (AMD documents it; its tag effects are the
         * CPU's own), so the host runs the encoding itself. */
        code |= FPU_STUB_REG(opc, modrm) | (uint64_t)FPU_STUB_RET << 10;
    } else {
        unsigned o = opc, m = modrm;
        canonical_reg_form(&o, &m);
        code |= FPU_STUB_REG(o, m) | (uint64_t)FPU_STUB_RET << 10;
    }
    switch (mnem) {
    case X86_M_FCMOVB: case X86_M_FCMOVE: case X86_M_FCMOVBE: case X86_M_FCMOVU:
    case X86_M_FCMOVNB: case X86_M_FCMOVNE: case X86_M_FCMOVNBE: case X86_M_FCMOVNU:
        code |= FX_FLAGS_IN;
        break;
    case X86_M_FCOMI: case X86_M_FCOMIP: case X86_M_FUCOMI: case X86_M_FUCOMIP:
        code |= FX_FLAGS_OUT;
        break;
    default:
        break;
    }
    call(d, (code & (FX_FLAGS_IN | FX_FLAGS_OUT)) ? &hi_x87 : &hi_x87_noflags, -1, 5,
         cst(d, code), cst(d, d->eip), addr, off);
}

static TCGv_i64 env_ld16(DC *d, intptr_t off)
{
    TCGv_i64 t = tmp(d);
    tcg_gen_ld16u_i64(d->s, t, off);
    return t;
}

static bool gen_x87_control(DC *d)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    TCGv_i64 t;
    int kind;

    switch (in->mnem) {
    case X86_M_FNSTCW:
        qst(d, env_ld16(d, offsetof(CPUX86State, fpuc)), mem_addr(d), 2);
        return true;
    case X86_M_FNSTSW:
        t = env_ld16(d, offsetof(CPUX86State, fpus));
        if (in->mod == 3) {
            st_reg(d, R_EAX, false, 2, t);
        } else {
            qst(d, t, mem_addr(d), 2);
        }
        return true;
    case X86_M_FNCLEX:
        /* Clears the exception flags, SF, ES and B (SDM Vol 2A FCLEX). */
        t = env_ld16(d, offsetof(CPUX86State, fpus));
        tcg_gen_andi_i64(s, t, t, 0x7f00);
        tcg_gen_st16_i64(s, t, offsetof(CPUX86State, fpus));
        return true;
    case X86_M_FNINIT:
        call(d, &hi_fninit, -1, 1);
        return true;
    case X86_M_FLDCW:
        t = tmp(d);
        qld(d, t, mem_addr(d), 2);
        call(d, &hi_fldcw, -1, 2, t);
        return true;
    case X86_M_FENI: case X86_M_FDISI: case X86_M_FSETPM:
        return true;            /* 8087/80287 only: no-ops since the 387 */
    case X86_M_FNSTENV: kind = 0; break;
    case X86_M_FLDENV: kind = 1; break;
    case X86_M_FNSAVE: kind = 2; break;
    case X86_M_FRSTOR: kind = 3; break;
    default:
        return false;
    }
    call(d, &hi_fenv, -1, 4, cst(d, kind), mem_addr(d),
         cst(d, in->opsize == 16 ? 16 : 32));
    return true;
}

static bool gen_xsave_family(DC *d)
{
    X86Insn *in = &d->in;
    bool rexw = in->rex & 8;
    const TCGHelperInfo *hi;

    switch (in->mnem) {
    case X86_M_FXSAVE:
    case X86_M_FXRSTOR:
        /* CR0.EM: #UD, CR0.TS: #NM (SDM Vol 2A FXSAVE, Table 2-2). */
        if (!fp_check(d, FP_MMX)) {
            return true;
        }
        hi = in->mnem == X86_M_FXSAVE ? &hi_fxsave : &hi_fxrstor;
        break;
    case X86_M_XSAVE:
    case X86_M_XSAVEOPT:
    case X86_M_XRSTOR:
        if (!(d->flags & TBF_OSXSAVE)) {
            gen_raise(d, 6);
            return true;
        }
        if (d->flags & TBF_TS) {
            gen_raise(d, 7);
            return true;
        }
        hi = in->mnem == X86_M_XRSTOR ? &hi_xrstor : &hi_xsave;
        break;
    case X86_M_XGETBV:
    case X86_M_XSETBV:
        if (!(d->flags & TBF_OSXSAVE)) {
            gen_raise(d, 6);
            return true;
        }
        if (in->mnem == X86_M_XGETBV) {
            call(d, &hi_xgetbv, -1, 1);
            return true;
        }
        if ((d->flags >> TBF_CPL_SHIFT) & 3) {
            gen_raise(d, 13);
            return true;
        }
        call(d, &hi_xsetbv, -1, 1);
        return true;
    default:
        return false;
    }
    call(d, hi, -1, 4, mem_addr(d), cst(d, rexw), cst(d, d->code64));
    return true;
}

bool x86_gen_x87(DC *d)
{
    X86Insn *in = &d->in;

    if (x86_mnemonic_family(in->mnem) != X86_FAM_X87 || in->mnem == X86_M_FXSAVE ||
        in->mnem == X86_M_FXRSTOR) {
        return gen_xsave_family(d);
    }
    if (in->mnem == X86_M_FWAIT) {
        if (fp_check(d, FP_WAIT)) {
            call(d, &hi_fwait, -1, 1);
        }
        return true;
    }
    if (!fp_check(d, FP_X87)) {
        return true;
    }
    if (in->opcode < 0xd8 || in->opcode > 0xdf || in->map != X86_MAP_1B) {
        return false;
    }
    if (gen_x87_control(d)) {
        return true;
    }
    if (in->mnem == X86_M_FISTTP && !fpu_host_has_fisttp()) {
        gen_raise(d, 6);        /* the host would fault on it */
        return true;
    }
    gen_x87_generic(d);
    return true;
}
