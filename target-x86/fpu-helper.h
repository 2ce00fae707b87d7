/*
 * fpu-helper.h: x87 FPU, FXSAVE/FXRSTOR and XSAVE helpers (SDM Vol 1 ch. 8,
 * §10.5, ch. 13) called from translated code (translate-x87.c), the image
 * conversions KVM shares with them, and the host backend interface.
 */
#ifndef TARGET_X86_FPU_HELPER_H
#define TARGET_X86_FPU_HELPER_H

#include "target-x86/cpu.h"

/* Status word (SDM Vol 1 §8.1.3). */
#define FPUS_IE  0x0001
#define FPUS_DE  0x0002
#define FPUS_ZE  0x0004
#define FPUS_OE  0x0008
#define FPUS_UE  0x0010
#define FPUS_PE  0x0020
#define FPUS_SF  0x0040
#define FPUS_ES  0x0080
#define FPUS_C0  0x0100
#define FPUS_C1  0x0200
#define FPUS_C2  0x0400
#define FPUS_TOP_SHIFT 11
#define FPUS_C3  0x4000
#define FPUS_B   0x8000
#define FPU_EXC_MASK 0x003f

/* What FLDCW keeps: bit 6 reads as 1, bits 7, 13-15 as 0 (SDM Vol 1 §8.1.5). */
#define FPUC_KEEP 0x1f3f
#define FPUC_ONE  0x0040

/* MXCSR bits this CPU implements (DAZ included), reported as MXCSR_MASK. */
#define X86_MXCSR_MASK 0x0000ffffu

/* XCR0 components implemented: x87 and SSE (SDM Vol 1 §13.2). */
#define X86_XCR0_SUPPORTED 3ull
#define X86_XSAVE_SIZE 576      /* legacy region + header */

/* ---- host backend (fpu-host-x86.c) ---- */

/* The x87 state the host runs on: registers in stack order, full tag word. */
typedef struct FpuHostState {
    uint16_t fcw, fsw, ftw;
    X86Float80 st[8];
} FpuHostState;

/* Stub numbers: a register form, a memory form on the host buffer, none. */
#define FPU_STUB_REG(opc, modrm) ((((opc) & 7) << 6) | ((modrm) & 63))
#define FPU_STUB_MEM(opc, reg)   (512 + (((opc) & 7) << 3) + ((reg) & 7))
#define FPU_STUB_RET 576

/* Run stub1 then stub2 on st. mem is the operand of a memory form (at least
 * 16 bytes); eflags carries the arithmetic flags in (FCMOVcc) and out
 * (FCOMI). st->fsw must have no unmasked exception flag set. */
void fpu_host_exec(FpuHostState *st, unsigned stub1, unsigned stub2, uint8_t *mem,
                   uint64_t *eflags);
/* FISTTP is SSE3: the host can run it (else the guest gets #UD). */
bool fpu_host_has_fisttp(void);

/* ---- state helpers shared with KVM ---- */

/* Full tag word from an abridged one (bit set = not empty) and the register
 * contents, as FSTENV/FSAVE compute it (SDM Vol 1 §8.1.7). */
uint16_t x86_fpu_full_tag(const CPUX86State *env, uint8_t abridged);
uint8_t x86_fpu_abridged_tag(uint16_t full);
/* The FXSAVE legacy image (SDM Vol 2A FXSAVE, Tables 3-53/3-56): bytes 0-415;
 * rexw selects the 64-bit pointer layout, nxmm is 8 or 16. */
void x86_fxsave_to_image(const CPUX86State *env, uint8_t *img, bool rexw, int nxmm);
/* The x87 part (bytes 0-23, 32-159) and, if sse, MXCSR and the XMM registers
 * back into env. MXCSR is not checked here. */
void x86_fxrstor_x87(CPUX86State *env, const uint8_t *img, bool rexw);
void x86_fxrstor_sse(CPUX86State *env, const uint8_t *img, int nxmm);
/* FNINIT state. */
void x86_fpu_init(CPUX86State *env);

/* ---- helpers called from translated code ---- */

/* helper_x87's code word: stub numbers in bits 0-9 and 10-19, then: */
#define FX_SIZE_SHIFT 20            /* memory operand bytes (2/4/8/10), 0: none */
#define FX_STORE      (1ull << 24)  /* the memory operand is written */
#define FX_FLAGS_IN   (1ull << 25)  /* FCMOVcc reads CF/ZF/PF */
#define FX_FLAGS_OUT  (1ull << 26)  /* FCOMI family writes ZF/PF/CF */
#define FX_CODE64     (1ull << 27)  /* 64-bit linear addresses */
#define FX_HAS_MEM    (1ull << 28)  /* update the data pointer */
#define FX_FOP_SHIFT  32            /* the 11-bit FPU opcode */
#define FX_SEG_SHIFT  44            /* segment of the memory operand */

/* Generic x87 instruction: code packs the stubs, memory access and pointer
 * update (translate-x87.c, FX_*); eip is the instruction, addr the linear
 * address and off the offset of a memory operand. */
void helper_x87(CPUX86State *env, uint64_t code, uint64_t eip, uint64_t addr,
                uint64_t off);
void helper_fwait(CPUX86State *env);
void helper_fldcw(CPUX86State *env, uint64_t cw);
void helper_fninit(CPUX86State *env);
/* FNSTENV (0), FLDENV (1), FNSAVE (2), FRSTOR (3); opsize 16 or 32. */
void helper_fenv(CPUX86State *env, uint64_t kind, uint64_t addr, uint64_t opsize);
void helper_fxsave(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64);
void helper_fxrstor(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64);
void helper_xsave(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64);
void helper_xrstor(CPUX86State *env, uint64_t addr, uint64_t rexw, uint64_t code64);
void helper_xgetbv(CPUX86State *env);
void helper_xsetbv(CPUX86State *env);

#endif
