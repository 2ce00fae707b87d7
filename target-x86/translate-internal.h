/*
 * translate-internal.h: what the x86 front end's files share. translate.c
 * owns the block loop and the integer ISA; each instruction family with a
 * life of its own (x87 in translate-x87.c, MMX/SSE in translate-sse.c, system
 * instructions in translate-sys.c) gets the same disassembly context and
 * operand helpers from here, and a gen_* entry point that returns false for a
 * mnemonic it does not handle (the guest then gets #UD).
 */
#ifndef TARGET_X86_TRANSLATE_INTERNAL_H
#define TARGET_X86_TRANSLATE_INTERNAL_H

#include "util/osdep.h"
#include "util/log.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/helper.h"
#include "target-x86/decode.h"

/* Globals have the same indexes in every context (created in the same order). */
typedef struct X86Globals {
    TCGv_i64 regs[16];
    TCGv_i64 cc_dst, cc_src, cc_src2;
    TCGv_i32 cc_op;
} X86Globals;

extern X86Globals x86_tcg_globals;
#define G x86_tcg_globals

/* Helper call flags, for TCG_HELPER_INFO declarations. */
#define P TCG_CALL_PTR
#define Q TCG_CALL_I64
#define V TCG_CALL_VOID
#define RD (TCG_CALL_NO_WRITE_GLOBALS | TCG_CALL_NO_SIDE_EFFECTS)
#define RAISE TCG_CALL_MAY_RAISE
/* Target-private helper flag (TCG ignores it): the helper may change what
 * x86_tb_flags() computes (CPL, modes, CR0/CR4 bits, EFLAGS.VM/AC), so a
 * lookup later in the block must compute the flags again. */
#define MODE (1u << 8)

extern const TCGHelperInfo x86_hi_raise;
extern const TCGHelperInfo x86_hi_lookup_tb_ptr;

/* ---- the disassembly context ---- */

typedef struct DC {
    TCGContext *s;
    CPUX86State *env;
    uint64_t cs_base;
    uint64_t pc_start;      /* linear address of the block */
    uint64_t eip;           /* this instruction */
    uint64_t next;          /* the next one */
    uint32_t flags;
    int mmu;
    bool code64;
    uintptr_t tb;
    bool done;              /* the block ended */
    X86Insn in;
    TCGv_i64 a0;            /* linear address of the memory operand */
    bool a0_valid;
    int cc_known;           /* cc_op set earlier in this block, or -1 */
    /* cc_op is kept at translate time and written to env only where
     * something may read it: helper calls and block exits (cc_sync). A fault
     * between two such points restores it from the insn_start record
     * (word 1 = cc_op + 1, 0 when env already holds it). */
    bool cc_dirty;          /* cc_known not yet stored in env->cc_op */
    bool mode_dirty;        /* a MODE helper ran: the block's flags may be stale */
    int insn_op;            /* op index of this instruction's insn_start */
    int cc_slot;            /* op index of a parked "cc_op = value at insn start"
                             * store, or -1 */
    /* The operands of the last CMP/SUB (zero-extended), usable while no
     * basic block boundary was emitted since op index cc_mark. */
    TCGv_i64 cc_a, cc_b;
    int cc_mark;
} DC;

/* Make env->cc_op hold the translate-time value (before a helper or an exit). */
static inline void cc_sync(DC *d)
{
    TCGContext *s = d->s;
    if (d->cc_slot >= 0) {
        /* The instruction may already have done things that can fault: store
         * the value it started with at its start, so env is right from there
         * on and the fault record is no longer needed. */
        TCGOp *op = &s->ops[d->cc_slot];
        op->opc = INDEX_op_movi_i32;
        op->nb_oargs = 1;
        op->nb_iargs = 0;
        op->nb_cargs = 1;
        s->ops[d->insn_op].args[1] = 0;
        d->cc_slot = -1;
        if (op->args[1] == (TCGArg)d->cc_known) {
            d->cc_dirty = false;
        }
    }
    if (d->cc_dirty) {
        tcg_gen_movi_i32(s, G.cc_op, d->cc_known);
        d->cc_dirty = false;
    }
}

/* This instruction leaves the lazy flags in state cc_op (set at translate time). */
static inline void cc_set_op(DC *d, int cc_op)
{
    d->cc_known = cc_op;
    d->cc_dirty = true;
}

static inline void call(DC *d, const TCGHelperInfo *hi, int ret, int n, ...)
{
    int args[TCG_MAX_HELPER_ARGS];
    va_list ap;
    cc_sync(d);
    if (hi->flags & MODE) {
        d->mode_dirty = true;
    }
    args[0] = tcg_env(d->s).idx;
    va_start(ap, n);
    for (int i = 1; i < n; i++) {
        args[i] = va_arg(ap, TCGv_i64).idx;
    }
    va_end(ap);
    tcg_gen_call(d->s, hi, ret, n, args);
    if (!(hi->flags & TCG_CALL_NO_WRITE_GLOBALS)) {
        d->cc_known = -1;       /* the helper may have changed the flags */
    }
}

static inline TCGv_i64 cst(DC *d, int64_t v)
{
    return tcg_constant_i64(d->s, v);
}

static inline TCGv_i64 tmp(DC *d)
{
    return tcg_temp_new_i64(d->s);
}

static inline int lg_of(int size)
{
    return size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0;
}

static inline uint64_t eip_mask(DC *d)
{
    if (d->code64) {
        return ~0ull;
    }
    return (d->flags & TBF_CODE16) ? 0xffff : 0xffffffff;
}

/* Write v (bits beyond size ignored) to GPR r with x86 merge rules. */
static inline void st_reg(DC *d, int r, bool high8, int size, TCGv_i64 v)
{
    TCGContext *s = d->s;
    switch (size) {
    case 8:
        tcg_gen_mov_i64(s, G.regs[r], v);
        break;
    case 4:
        tcg_gen_ext32u_i64(s, G.regs[r], v);
        break;
    case 2:
        tcg_gen_deposit_i64(s, G.regs[r], G.regs[r], v, 0, 16);
        break;
    default:
        tcg_gen_deposit_i64(s, G.regs[r], G.regs[r], v, high8 ? 8 : 0, 8);
        break;
    }
}

static inline TCGv_i64 ld_reg(DC *d, int r, bool high8, int size)
{
    TCGContext *s = d->s;
    TCGv_i64 t = tmp(d);
    switch (size) {
    case 8:
        tcg_gen_mov_i64(s, t, G.regs[r]);
        break;
    case 4:
        tcg_gen_ext32u_i64(s, t, G.regs[r]);
        break;
    case 2:
        tcg_gen_ext16u_i64(s, t, G.regs[r]);
        break;
    default:
        tcg_gen_extract_i64(s, t, G.regs[r], high8 ? 8 : 0, 8);
        break;
    }
    return t;
}

/* Mask an offset to the address size. */
static inline void mask_addr(DC *d, TCGv_i64 t, int asize)
{
    if (asize == 16) {
        tcg_gen_ext16u_i64(d->s, t, t);
    } else if (asize == 32) {
        tcg_gen_ext32u_i64(d->s, t, t);
    }
}

/* Segment base + offset, wrapped to 32 bits outside 64-bit mode. */
static inline TCGv_i64 linear(DC *d, int seg, TCGv_i64 off)
{
    TCGContext *s = d->s;
    TCGv_i64 t = tmp(d);
    if (d->code64 && seg != R_FS && seg != R_GS) {
        tcg_gen_mov_i64(s, t, off);
        return t;
    }
    tcg_gen_ld_i64(s, t, offsetof(CPUX86State, segs[seg].base));
    tcg_gen_add_i64(s, t, t, off);
    if (!d->code64) {
        tcg_gen_ext32u_i64(s, t, t);
    }
    return t;
}

static inline TCGv_i64 gen_ea(DC *d)
{
    TCGContext *s = d->s;
    X86MemOperand *m = &d->in.mem;
    TCGv_i64 t = tmp(d);
    if (m->base == X86_BASE_RIP || m->rip_rel) {
        tcg_gen_movi_i64(s, t, d->next + m->disp);
        return t;
    }
    tcg_gen_movi_i64(s, t, m->disp);
    if (m->base >= 0 && m->base < 16) {
        tcg_gen_add_i64(s, t, t, G.regs[m->base]);
    }
    if (m->index >= 0) {
        TCGv_i64 i = tmp(d);
        tcg_gen_shli_i64(s, i, G.regs[m->index], __builtin_ctz(m->scale));
        tcg_gen_add_i64(s, t, t, i);
    }
    mask_addr(d, t, d->in.addrsize);
    return t;
}

static inline TCGv_i64 mem_addr(DC *d)
{
    if (!d->a0_valid) {
        d->a0 = linear(d, d->in.mem.seg, gen_ea(d));
        d->a0_valid = true;
    }
    return d->a0;
}

static inline void qld(DC *d, TCGv_i64 v, TCGv_i64 addr, int size)
{
    tcg_gen_qemu_ld_i64(d->s, v, addr, lg_of(size), d->mmu);
}

static inline void qst(DC *d, TCGv_i64 v, TCGv_i64 addr, int size)
{
    tcg_gen_qemu_st_i64(d->s, v, addr, lg_of(size), d->mmu);
}

static inline TCGv_i64 ld_op(DC *d, int i)
{
    X86Operand *o = &d->in.ops[i];
    TCGv_i64 t;
    switch (o->kind) {
    case X86_OPK_REG:
        if (o->rclass == X86_RC_GPR || o->rclass == X86_RC_GPR8H) {
            return ld_reg(d, o->reg, o->rclass == X86_RC_GPR8H, o->size);
        }
        if (o->rclass == X86_RC_SEG) {
            t = tmp(d);
            tcg_gen_ld16u_i64(d->s, t, offsetof(CPUX86State, segs[o->reg].selector));
            return t;
        }
        return cst(d, 0);
    case X86_OPK_MEM:
        t = tmp(d);
        qld(d, t, mem_addr(d), o->size ? o->size : 1);
        return t;
    case X86_OPK_IMM:
        return cst(d, d->in.imm[o->index]);
    default:
        return cst(d, 0);
    }
}

static inline void st_op(DC *d, int i, TCGv_i64 v)
{
    X86Operand *o = &d->in.ops[i];
    if (o->kind == X86_OPK_REG) {
        /* Only GPRs here: other register classes have their own paths
         * (a CR/DR/segment number is not a GPR number). Reaching this is a
         * translator bug; drop the write rather than corrupt a GPR. */
        if (o->rclass != X86_RC_GPR && o->rclass != X86_RC_GPR8H) {
            log_mask(LOG_UNIMP, "tcg: %s at %#" PRIx64 ": register class %d "
                     "written as a GPR\n", x86_mnemonic_name(d->in.mnem), d->eip,
                     o->rclass);
            return;
        }
        st_reg(d, o->reg, o->rclass == X86_RC_GPR8H, o->size, v);
    } else if (o->kind == X86_OPK_MEM) {
        qst(d, v, mem_addr(d), o->size);
    }
}

/* ---- stack ---- */

static inline int stack_size(DC *d)
{
    return d->code64 ? 8 : (d->flags & TBF_SS32) ? 4 : 2;
}

static inline void push_v(DC *d, TCGv_i64 v, int size)
{
    TCGContext *s = d->s;
    TCGv_i64 sp = tmp(d);
    tcg_gen_subi_i64(s, sp, G.regs[R_ESP], size);
    mask_addr(d, sp, stack_size(d) * 8);
    qst(d, v, linear(d, R_SS, sp), size);
    st_reg(d, R_ESP, false, stack_size(d), sp);
}

/* Read the top of stack without moving rSP. */
static inline TCGv_i64 peek(DC *d, int size)
{
    TCGv_i64 sp = tmp(d), v = tmp(d);
    tcg_gen_mov_i64(d->s, sp, G.regs[R_ESP]);
    mask_addr(d, sp, stack_size(d) * 8);
    qld(d, v, linear(d, R_SS, sp), size);
    return v;
}

static inline void pop_adjust(DC *d, int size)
{
    TCGv_i64 sp = tmp(d);
    tcg_gen_addi_i64(d->s, sp, G.regs[R_ESP], size);
    st_reg(d, R_ESP, false, stack_size(d), sp);
}

/* ---- block exits ---- */

static inline void st_rip(DC *d, uint64_t eip)
{
    tcg_gen_st_i64(d->s, cst(d, eip), offsetof(CPUX86State, rip));
}

/* Leave for whatever block rip names: found by lookup, or through the loop. */
static inline void gen_lookup_and_goto(DC *d)
{
    TCGv_i64 p = tmp(d);
    /* The next block usually runs in this one's mode: pass the flags so
     * that the lookup need not compute them (~0: compute). */
    call(d, &x86_hi_lookup_tb_ptr, p.idx, 2,
         cst(d, d->mode_dirty ? (int64_t)~0u : (int64_t)d->flags));
    tcg_gen_goto_ptr(d->s, (TCGv_ptr){ p.idx });
}

/* Direct jump: slot n is patched by the loop to chain blocks in one page;
 * a jump to another page looks its block up each time (the page may be
 * remapped or rewritten without this block knowing). */
static inline void gen_goto(DC *d, int n, uint64_t eip)
{
    eip &= eip_mask(d);
    /* After a helper that may change the mode (MODE), the next block is
     * found with the flags as they are now: a chained jump would enter the
     * block translated for the flags of an earlier run. */
    if (d->mode_dirty ||
        ((eip + d->cs_base) & ~0xfffull) != (d->pc_start & ~0xfffull)) {
        st_rip(d, eip);
        gen_lookup_and_goto(d);
        return;
    }
    /* rip is stored only on the way out to the loop: a chained successor
     * does not need it (its own exit paths store theirs, and faults map
     * back through insn_start). */
    cc_sync(d);
    tcg_gen_goto_tb(d->s, n);
    st_rip(d, eip);
    tcg_gen_exit_tb(d->s, d->tb | n);
}

/* Indirect jump: rip from a value. */
static inline void gen_jmp_v(DC *d, TCGv_i64 v)
{
    TCGv_i64 t = tmp(d);
    tcg_gen_andi_i64(d->s, t, v, eip_mask(d));
    tcg_gen_st_i64(d->s, t, offsetof(CPUX86State, rip));
    gen_lookup_and_goto(d);
    d->done = true;
}

/* rip already stored by a helper (far transfers, mode changes). */
static inline void gen_exit(DC *d)
{
    cc_sync(d);
    tcg_gen_exit_tb(d->s, 0);
    d->done = true;
}

static inline void gen_raise(DC *d, int vec)
{
    st_rip(d, d->eip);
    call(d, &x86_hi_raise, -1, 2, cst(d, vec));
    gen_exit(d);
}

/* ---- MMX/SSE operands ----
 * Vector helpers take env offsets (intptr_t constants) rather than host
 * pointers: a register operand is its slot in env, a memory operand is first
 * loaded into env->sse_tmp. */

/* env offset of the register an XMM or MMX operand names. */
static inline intptr_t vec_reg_off(const X86Operand *o)
{
    if (o->rclass == X86_RC_MMX) {
        return offsetof(CPUX86State, fpregs) + (o->reg & 7) * sizeof(X86Float80);
    }
    return offsetof(CPUX86State, xmm) + o->reg * sizeof(X86XmmReg);
}

/* #GP(0) unless addr is aligned to align bytes: MOVAPS, MOVDQA and the other
 * aligned 16-byte forms (SDM Vol 1 §11.4.1). Returns the address to use from
 * here on (mem_addr() returns it too): the one passed in dies at the label. */
static inline TCGv_i64 vec_check_align(DC *d, TCGv_i64 addr, int align)
{
    /* Normal temps die at a label: carry the address across it in a local
     * temp, and let the operand helpers use that from now on. */
    TCGv_i64 la = tcg_temp_local_new_i64(d->s);
    TCGLabel *ok = gen_new_label(d->s);
    TCGv_i64 t = tmp(d);
    tcg_gen_mov_i64(d->s, la, addr);
    tcg_gen_andi_i64(d->s, t, la, align - 1);
    tcg_gen_brcondi_i64(d->s, TCG_COND_EQ, t, 0, ok);
    st_rip(d, d->eip);
    call(d, &x86_hi_raise, -1, 2, cst(d, 13));
    gen_set_label(d->s, ok);
    if (d->a0_valid && d->a0.idx == addr.idx) {
        d->a0 = la;
    }
    return la;
}

/* The address 8 bytes on, wrapped like any other in legacy modes. */
static inline TCGv_i64 vec_addr_hi(DC *d, TCGv_i64 addr)
{
    TCGv_i64 a2 = tmp(d);
    tcg_gen_addi_i64(d->s, a2, addr, 8);
    if (!d->code64) {
        tcg_gen_ext32u_i64(d->s, a2, a2);
    }
    return a2;
}

/* env offset holding operand i: the register itself, or env->sse_tmp after
 * loading `size` bytes of the memory operand (0: the operand's own size);
 * bytes above size in sse_tmp are zero. */
static inline intptr_t vec_src(DC *d, int i, int size)
{
    X86Operand *o = &d->in.ops[i];
    intptr_t tmp_off = offsetof(CPUX86State, sse_tmp);
    if (o->kind == X86_OPK_REG) {
        return vec_reg_off(o);
    }
    if (!size) {
        size = o->size;
    }
    TCGv_i64 addr = mem_addr(d), lo = tmp(d);
    if (size == 16) {
        TCGv_i64 hi = tmp(d);
        qld(d, lo, addr, 8);
        qld(d, hi, vec_addr_hi(d, addr), 8);
        tcg_gen_st_i64(d->s, hi, tmp_off + 8);
    } else {
        qld(d, lo, addr, size);
        tcg_gen_st_i64(d->s, cst(d, 0), tmp_off + 8);
    }
    tcg_gen_st_i64(d->s, lo, tmp_off);
    return tmp_off;
}

/* Store `size` bytes (1..8 or 16) from env offset off into memory operand i.
 * The high half of a 16-byte store goes first, so a fault on a page crossing
 * at +8 leaves memory untouched. */
static inline void vec_st_mem(DC *d, int i, intptr_t off, int size)
{
    TCGv_i64 addr = mem_addr(d), v = tmp(d);
    (void)i;
    if (size == 16) {
        tcg_gen_ld_i64(d->s, v, off + 8);
        qst(d, v, vec_addr_hi(d, addr), 8);
        v = tmp(d);
        tcg_gen_ld_i64(d->s, v, off);
        qst(d, v, addr, 8);
    } else {
        tcg_gen_ld_i64(d->s, v, off);
        qst(d, v, addr, size);
    }
}

/* Device-not-available and invalid-opcode checks for x87, MMX and SSE
 * (SDM Vol 3 Table 2-2 and §12.1): returns false after raising, so callers
 * write `if (!fp_check(d, FP_SSE)) return true;`. */
enum { FP_X87, FP_MMX, FP_SSE, FP_WAIT };
static inline bool fp_check(DC *d, int kind)
{
    uint32_t f = d->flags;
    switch (kind) {
    case FP_X87:
        if (f & (TBF_EM | TBF_TS)) {
            gen_raise(d, 7);
            return false;
        }
        return true;
    case FP_WAIT:
        if ((f & TBF_MP) && (f & TBF_TS)) {
            gen_raise(d, 7);
            return false;
        }
        return true;
    case FP_MMX:
        if (f & TBF_EM) {
            gen_raise(d, 6);
            return false;
        }
        if (f & TBF_TS) {
            gen_raise(d, 7);
            return false;
        }
        return true;
    default:
        if ((f & TBF_EM) || !(f & TBF_OSFXSR)) {
            gen_raise(d, 6);
            return false;
        }
        if (f & TBF_TS) {
            gen_raise(d, 7);
            return false;
        }
        return true;
    }
}

/* Family translators: each returns false when it does not know the mnemonic. */
bool x86_gen_x87(DC *d);
bool x86_gen_sse(DC *d);
bool x86_gen_simd_int(DC *d);   /* integer MMX/SSE, called by x86_gen_sse */
bool x86_gen_sys(DC *d);

#endif
