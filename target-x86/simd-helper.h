/*
 * simd-helper.h: C helpers for the integer MMX/SSE2/SSSE3/SSE4.1/SSE4.2
 * instructions (target-x86/simd-helper.c), called from translated code built
 * by translate-simd-int.c.
 *
 * Vector operands are env offsets (the translator's constants): a register's
 * own slot (env->xmm[i], or env->fpregs[i].mant for MMX), or env->sse_tmp
 * holding a memory operand. `size` is 8 for an MMX operation, 16 for XMM.
 */
#ifndef TARGET_X86_SIMD_HELPER_H
#define TARGET_X86_SIMD_HELPER_H

#include "target-x86/cpu.h"

/*
 * dst = op(dst, src) lane by lane, for the mnemonic `mnem` (an X86Mnemonic);
 * imm is the instruction's immediate byte (shift count for the 0F 71-73 group,
 * shuffle/blend control), ignored by the forms without one. Never raises and
 * touches no TCG global.
 */
void helper_simd_op(CPUX86State *env, uint64_t mnem, uint64_t dst, uint64_t src,
                    uint64_t size, uint64_t imm);

/* PTEST (SDM Vol 2B): ZF and CF from dst and src; AF OF PF SF cleared. */
void helper_ptest(CPUX86State *env, uint64_t dst, uint64_t src);

/* PCMPESTRI/PCMPESTRM/PCMPISTRI/PCMPISTRM (SDM Vol 2B §4.1 "Imm8 control byte
 * operation for PCMPESTRI / PCMPESTRM / PCMPISTRI / PCMPISTRM"). `mode` bit 0:
 * explicit lengths (rAX, rDX), bit 1: mask result (XMM0) rather than index
 * (ECX), bit 2: REX.W (64-bit explicit lengths). Writes ECX or XMM0 and the
 * arithmetic flags. */
void helper_pcmpstr(CPUX86State *env, uint64_t mode, uint64_t a, uint64_t b,
                    uint64_t imm);

/* CRC32 (SDM Vol 2A): CRC-32C of the `size` low bytes of val, continuing from
 * crc. */
uint64_t helper_crc32(CPUX86State *env, uint64_t crc, uint64_t val, uint64_t size);

/* MASKMOVQ/MASKMOVDQU: store the bytes of src whose mask byte has its top bit
 * set, at linear address addr (wrapped to 32 bits unless is64). */
void helper_maskmov(CPUX86State *env, uint64_t src, uint64_t mask, uint64_t addr,
                    uint64_t size_is64);

#endif
