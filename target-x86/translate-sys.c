/*
 * translate-sys.c: system instructions translate.c leaves to this file: the
 * fast system calls (SYSCALL SYSRET SYSENTER SYSEXIT), SWAPGS, the FS/GS base
 * instructions, RDTSCP/RDPID, the descriptor probes LAR LSL VERR VERW, ARPL,
 * INTO, INT1 and BOUND (SDM Vol 2 instruction pages). The semantics live in
 * seg-helper.c; CPL 0 checks (X86_F_PRIV) are made before any family runs.
 */
#include "util/osdep.h"
#include "target-x86/translate-internal.h"
#include "target-x86/seg-helper.h"

static const TCGHelperInfo hi_syscall = TCG_HELPER_INFO(helper_syscall, RAISE | MODE, V, P, Q);
static const TCGHelperInfo hi_sysret = TCG_HELPER_INFO(helper_sysret, RAISE | MODE, V, P, Q);
static const TCGHelperInfo hi_sysenter = TCG_HELPER_INFO(helper_sysenter, RAISE | MODE, V, P);
static const TCGHelperInfo hi_sysexit = TCG_HELPER_INFO(helper_sysexit, RAISE | MODE, V, P, Q);
static const TCGHelperInfo hi_fsgsbase =
    TCG_HELPER_INFO(helper_fsgsbase, RAISE, Q, P, Q, Q);
static const TCGHelperInfo hi_lar = TCG_HELPER_INFO(helper_lar, RAISE, Q, P, Q, Q, Q);
static const TCGHelperInfo hi_arpl = TCG_HELPER_INFO(helper_arpl, 0, Q, P, Q, Q);
static const TCGHelperInfo hi_into = TCG_HELPER_INFO(helper_into, RAISE, V, P, Q);
static const TCGHelperInfo hi_int1 = TCG_HELPER_INFO(helper_int1, RAISE, V, P, Q);
static const TCGHelperInfo hi_bound = TCG_HELPER_INFO(helper_bound, RAISE, V, P, Q, Q, Q);
static const TCGHelperInfo hi_rdtsc_sys = TCG_HELPER_INFO(helper_rdtsc, 0, V, P);
static const TCGHelperInfo hi_check_tsd = TCG_HELPER_INFO(helper_check_tsd, RAISE, V, P);

/* A helper that changed CS, SS, CPL or the mode: the next block is keyed anew. */
static void gen_mode_call(DC *d, const TCGHelperInfo *hi, int n, TCGv_i64 a)
{
    st_rip(d, d->eip);
    call(d, hi, -1, n, a);
    gen_exit(d);
}

bool x86_gen_sys(DC *d)
{
    TCGContext *s = d->s;
    X86Insn *in = &d->in;
    int osz = in->opsize / 8;
    TCGv_i64 a, b, t;

    switch (in->mnem) {
    case X86_M_SYSCALL:
        gen_mode_call(d, &hi_syscall, 2, cst(d, d->next & eip_mask(d)));
        return true;
    case X86_M_SYSRET:
        gen_mode_call(d, &hi_sysret, 2, cst(d, lg_of(osz)));
        return true;
    case X86_M_SYSENTER:
        st_rip(d, d->eip);
        call(d, &hi_sysenter, -1, 1);
        gen_exit(d);
        return true;
    case X86_M_SYSEXIT:
        gen_mode_call(d, &hi_sysexit, 2, cst(d, lg_of(osz)));
        return true;
    case X86_M_SWAPGS:
        a = tmp(d);
        b = tmp(d);
        tcg_gen_ld_i64(s, a, offsetof(CPUX86State, segs[R_GS].base));
        tcg_gen_ld_i64(s, b, offsetof(CPUX86State, kernel_gs_base));
        tcg_gen_st_i64(s, b, offsetof(CPUX86State, segs[R_GS].base));
        tcg_gen_st_i64(s, a, offsetof(CPUX86State, kernel_gs_base));
        return true;
    case X86_M_RDFSBASE:
    case X86_M_RDGSBASE:
    case X86_M_WRFSBASE:
    case X86_M_WRGSBASE: {
        int op = in->mnem == X86_M_RDFSBASE ? 0 : in->mnem == X86_M_RDGSBASE ? 1
                 : in->mnem == X86_M_WRFSBASE ? 2 : 3;
        t = tmp(d);
        st_rip(d, d->eip);
        call(d, &hi_fsgsbase, t.idx, 3, cst(d, op), op >= 2 ? ld_op(d, 0) : cst(d, 0));
        if (op < 2) {
            st_op(d, 0, t);
        }
        return true;
    }
    case X86_M_RDTSCP:
        if ((d->flags >> TBF_CPL_SHIFT) & 3) {
            call(d, &hi_check_tsd, -1, 1);
        }
        call(d, &hi_rdtsc_sys, -1, 1);
        t = tmp(d);
        tcg_gen_ld32u_i64(s, t, offsetof(CPUX86State, tsc_aux));
        st_reg(d, R_ECX, false, 8, t);
        return true;
    case X86_M_RDPID:
        t = tmp(d);
        tcg_gen_ld32u_i64(s, t, offsetof(CPUX86State, tsc_aux));
        st_op(d, 0, t);
        return true;
    case X86_M_LAR:
    case X86_M_LSL: {
        /* The destination changes only when ZF comes back set. */
        TCGv_i64 old = ld_op(d, 0), sel = ld_op(d, 1), res = tmp(d), f = tmp(d);
        TCGv_i64 merged = tmp(d);
        st_rip(d, d->eip);
        call(d, &hi_lar, res.idx, 4, cst(d, in->mnem == X86_M_LSL), sel, old);
        tcg_gen_ld_i64(s, f, offsetof(CPUX86State, rflags));
        tcg_gen_andi_i64(s, f, f, CC_Z);
        /* st_op on the unchanged value would still zero-extend a 32-bit
         * destination: pick the whole register instead. */
        tcg_gen_mov_i64(s, merged, G.regs[in->ops[0].reg]);
        st_op(d, 0, res);
        tcg_gen_movcond_i64(s, TCG_COND_NE, G.regs[in->ops[0].reg], f, cst(d, 0),
                            G.regs[in->ops[0].reg], merged);
        d->cc_known = -1;
        return true;
    }
    case X86_M_VERR:
    case X86_M_VERW:
        a = ld_op(d, 0);
        st_rip(d, d->eip);
        call(d, &hi_lar, tmp(d).idx, 4, cst(d, in->mnem == X86_M_VERR ? 2 : 3), a,
             cst(d, 0));
        return true;
    case X86_M_ARPL:
        a = ld_op(d, 0);
        b = ld_op(d, 1);
        t = tmp(d);
        call(d, &hi_arpl, t.idx, 3, a, b);
        st_op(d, 0, t);
        return true;
    case X86_M_INTO:
        st_rip(d, d->eip);
        call(d, &hi_into, -1, 2, cst(d, d->next & eip_mask(d)));
        return true;
    case X86_M_INT1:
        gen_mode_call(d, &hi_int1, 2, cst(d, d->next & eip_mask(d)));
        return true;
    case X86_M_BOUND:
        a = ld_op(d, 0);
        st_rip(d, d->eip);
        call(d, &hi_bound, -1, 4, a, mem_addr(d), cst(d, lg_of(osz)));
        return true;
    default:
        return false;
    }
}
