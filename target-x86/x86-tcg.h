/*
 * x86-tcg.h: the private contract between the x86 front end (translate.c,
 * helper.c, mmu.c) and the execution loop in accel/tcg/. Not used by KVM.
 *
 * Lazy condition codes: env->cc_op says how the arithmetic flags (CF PF AF ZF
 * SF OF) follow from cc_dst/cc_src/cc_src2; CC_OP_EFLAGS (0) means they are in
 * env->rflags, which is also what a zeroed or KVM-written state means.
 */
#ifndef TARGET_X86_X86_TCG_H
#define TARGET_X86_X86_TCG_H

#include "system/machine.h"
#include "tcg/tcg.h"

#define CC_ARITH (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

/* cc_dst is the result in every kind but EFLAGS; cc_src is the right-hand
 * operand (ADD..SBB), the old CF (INC/DEC), the value shifted by count - 1
 * (SHL/SHR/SAR: CF is the bit that leaves last), or the part of the product
 * that did not fit (MUL: CF = OF = cc_src != 0). */
enum {
    CC_K_EFLAGS, CC_K_ADD, CC_K_ADC, CC_K_SUB, CC_K_SBB, CC_K_LOGIC, CC_K_INC,
    CC_K_DEC, CC_K_SHL, CC_K_SHR, CC_K_SAR, CC_K_MUL, CC_K_COUNT
};
/* cc_op = kind << 2 | log2(operand bytes) */
#define CC_OP(kind, lg) (((kind) << 2) | (lg))
#define CC_OP_EFLAGS 0

/* TB flags: what the translation of a block depends on besides pc/cs_base. */
#define TBF_CODE16   (1u << 0)
#define TBF_CODE64   (1u << 1)
#define TBF_SS32     (1u << 2)
#define TBF_PE       (1u << 3)
#define TBF_LMA      (1u << 4)
#define TBF_CPL_SHIFT 5        /* 2 bits */
#define TBF_VM       (1u << 7)
/* x87/MMX/SSE availability (SDM Vol 3 §2.5, Table 12-1): CR0.TS, CR0.EM,
 * CR0.MP, CR4.OSFXSR, CR4.OSXSAVE. Part of the key, so a block checks them at
 * translation time; CLTS and MOV CR0/CR4 end the block. */
#define TBF_TS       (1u << 8)
#define TBF_EM       (1u << 9)
#define TBF_MP       (1u << 10)
#define TBF_OSFXSR   (1u << 11)
#define TBF_OSXSAVE  (1u << 12)
#define TBF_SMAP     (1u << 13) /* CPL < 3, CR4.SMAP, EFLAGS.AC clear */

/* Access kinds for the page walk; X86_ACC_SMAP may be or-ed into a data
 * access by the supervisor to enforce SMAP (SDM Vol 3 §4.6.1). */
enum { X86_ACC_READ, X86_ACC_WRITE, X86_ACC_FETCH };
#define X86_ACC_SMAP 0x100

/* Pseudo exception numbers used by the loop. */
#define EXCP_HLT     0x100
#define EXCP_EXIT    0x101     /* leave the block, nothing to deliver */

#define X86_TLB_BITS 10       /* 1024 entries: 4 MiB reach per MMU index */
#define X86_TLB_SIZE (1 << X86_TLB_BITS)
/* MMU modes of the softmmu TLB: supervisor, user, and supervisor with SMAP
 * enforced (CR4.SMAP and EFLAGS.AC clear, or an implicit access). */
enum { X86_MMU_SUP, X86_MMU_USER, X86_MMU_SUP_SMAP, X86_MMU_MODES };

static inline CPUState *env_cpu(CPUX86State *env)
{
    return (CPUState *)((char *)env - offsetof(CPUState, env));
}

/* ---- cpuid.c: the CPU model; leaf/sub-leaf -> EAX EBX ECX EDX ---- */
void x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t sub, uint32_t r[4]);
/* Whether this CPU has a local APIC wired (CPUID.1:EDX[9]), and the APIC
 * related CPUID.1:ECX bits it supports (x2APIC, TSC-deadline). */
bool x86_cpu_apic_present(CPUX86State *env);
uint32_t x86_cpu_apic_features(CPUX86State *env);

/* ---- disas.c: one guest instruction as text (Capstone), for -d in_asm ---- */
void x86_disas_insn(char *out, size_t outlen, const uint8_t *code, size_t len,
                    uint64_t addr, int mode_bits);

/* ---- accel/tcg: the next block's host code, or the epilogue ---- */
uint64_t helper_lookup_tb_ptr(CPUX86State *env, uint64_t flags_hint);

/* ---- helper.c ---- */
uint32_t x86_cc_compute(CPUX86State *env);
uint64_t x86_get_eflags(CPUX86State *env);
void x86_set_eflags(CPUX86State *env, uint64_t val, uint64_t mask);
uint32_t x86_tb_flags(CPUX86State *env);
int x86_cpl(CPUX86State *env);

/* The MMU mode of an explicit data access at the current privilege level. */
static inline int x86_mmu_index(CPUX86State *env)
{
    if (x86_cpl(env) == 3) {
        return X86_MMU_USER;
    }
    return (env->cr[4] & CR4_SMAP) && !(env->rflags & AC_MASK) ? X86_MMU_SUP_SMAP
                                                               : X86_MMU_SUP;
}

/* Implicit supervisor accesses (descriptor tables, TSS, the stacks of event
 * delivery): SMAP applies whatever EFLAGS.AC says. */
static inline int x86_mmu_implicit(CPUX86State *env)
{
    return (env->cr[4] & CR4_SMAP) ? X86_MMU_SUP_SMAP : X86_MMU_SUP;
}
/* Deliver an exception or interrupt (the loop calls it outside generated code).
 * next_eip is used for software interrupts; is_soft marks INT n. */
void x86_do_interrupt(CPUX86State *env, int vec, bool is_soft, bool has_err,
                      uint32_t err, uint64_t next_eip);
bool x86_exception_has_error(int vec);

/* ---- mmu.c ---- */
/* Walk the page tables for vaddr. On success *paddr and *writable set; on a
 * fault returns false with the #PF error code in *err (CR2 not yet set). */
bool x86_mmu_translate(CPUX86State *env, MemMap *mem, uint64_t vaddr, int acc,
                       bool user, uint64_t *paddr, bool *writable, uint32_t *err);
/* The same, also saying whether the page may be executed (NX clear, or
 * EFER.NXE off): a TLB entry filled by a data access must not allow fetches
 * from a no-execute page. */
bool x86_mmu_translate_ex(CPUX86State *env, MemMap *mem, uint64_t vaddr, int acc,
                          bool user, uint64_t *paddr, bool *writable, bool *executable,
                          uint32_t *err);

/* ---- translate.c ---- */
typedef struct X86TranslateOut {
    int nb_insns;
    uint64_t size;         /* guest bytes covered */
    uint64_t page2;        /* linear address of a second page touched, or -1 */
} X86TranslateOut;

void x86_tcg_init_globals(TCGContext *s);
/* Build IR for one block at linear pc. tb_token is what exit_tb reports (the
 * accel's TB pointer, 4-aligned). Raises (longjmp) on a fault fetching the
 * first instruction. */
void x86_translate_block(TCGContext *s, CPUX86State *env, uint64_t pc, uint64_t cs_base,
                         uint32_t flags, uintptr_t tb_token, X86TranslateOut *out);

/* ---- provided by accel/tcg ---- */
/* Raise an exception from a helper (ra = host return address, 0 when the state
 * is already exact). Does not return. */
__attribute__((noreturn)) void x86_raise(CPUX86State *env, int vec, uint32_t err, uintptr_t ra);
/* Guest virtual memory from C (helpers, interrupt delivery). */
uint64_t x86_ld(CPUX86State *env, uint64_t addr, int size, uintptr_t ra);
/* Host pointer for a plain-RAM access to addr (X86_ACC_READ/WRITE), or NULL
 * (MMIO, ROM, a page holding translated code): bulk string moves. */
void *x86_host_ptr(CPUX86State *env, uint64_t addr, int acc, uintptr_t ra);
void x86_st(CPUX86State *env, uint64_t addr, uint64_t val, int size, uintptr_t ra);
/* The same with an explicit MMU index (0 supervisor, 1 user): descriptor
 * tables, the TSS and a new privilege level's stack are supervisor accesses
 * whatever the CPL (SDM Vol 3 §4.6.1 "implicit supervisor-mode accesses"). */
uint64_t x86_ld_mmu(CPUX86State *env, uint64_t addr, int size, int mmu, uintptr_t ra);
void x86_st_mmu(CPUX86State *env, uint64_t addr, uint64_t val, int size, int mmu,
                uintptr_t ra);
/* Copy guest code bytes at linear addr (fetch access) for the translator;
 * returns how many were readable (stops at a faulting page), raising only if
 * must_first and the first byte faults. */
size_t x86_fetch_code(CPUX86State *env, uint64_t addr, uint8_t *buf, size_t len,
                      bool must_first);
/* Control state changed (CR0/CR3/CR4/EFER): drop cached translations of addresses. */
void x86_tlb_flush(CPUX86State *env);
/* HLT: park until kicked. */
__attribute__((noreturn)) void x86_halt(CPUX86State *env);
/* More than one vCPU takes turns on the execution token. */
bool x86_tcg_multi_vcpu(CPUX86State *env);
/* PAUSE: if another vCPU waits for the token, leave at the next block start. */
void x86_tcg_pause(CPUX86State *env);
TCGContext *x86_tcg_ctx(CPUX86State *env);

#endif
