/*
 * helper.h: C helpers called from translated x86 code (target-x86/helper.c).
 * Every integer argument is 64-bit so the translator passes i64 temps only.
 */
#ifndef TARGET_X86_HELPER_H
#define TARGET_X86_HELPER_H

#include "target-x86/cpu.h"

uint64_t helper_cc_cond(CPUX86State *env, uint64_t cc);
uint64_t helper_read_eflags(CPUX86State *env);
void helper_write_eflags(CPUX86State *env, uint64_t val, uint64_t mask);
void helper_flagop(CPUX86State *env, uint64_t opc);
uint64_t helper_shift(CPUX86State *env, uint64_t op, uint64_t lg, uint64_t val,
                      uint64_t count);
void helper_mul1(CPUX86State *env, uint64_t is_signed, uint64_t lg, uint64_t b);
uint64_t helper_imul2(CPUX86State *env, uint64_t lg, uint64_t a, uint64_t b);
void helper_div(CPUX86State *env, uint64_t is_signed, uint64_t lg, uint64_t b);
uint64_t helper_in(CPUX86State *env, uint64_t port, uint64_t lg);
void helper_out(CPUX86State *env, uint64_t port, uint64_t lg, uint64_t val);
void helper_string(CPUX86State *env, uint64_t kind, uint64_t lg, uint64_t mode,
                   uint64_t seg);
void helper_cpuid(CPUX86State *env);
void helper_rdtsc(CPUX86State *env);
void helper_rdmsr(CPUX86State *env);
void helper_wrmsr(CPUX86State *env);
void helper_write_cr(CPUX86State *env, uint64_t n, uint64_t v);
uint64_t helper_read_cr(CPUX86State *env, uint64_t n);
void helper_lgdt(CPUX86State *env, uint64_t which, uint64_t addr, uint64_t mode);
void helper_load_seg(CPUX86State *env, uint64_t seg, uint64_t sel);
void helper_ljmp(CPUX86State *env, uint64_t sel, uint64_t off, uint64_t next);
void helper_lcall(CPUX86State *env, uint64_t sel, uint64_t off, uint64_t lg,
                  uint64_t next);
void helper_lret(CPUX86State *env, uint64_t lg, uint64_t imm);
void helper_iret(CPUX86State *env, uint64_t lg, uint64_t next);
void helper_raise(CPUX86State *env, uint64_t vec);
void helper_int(CPUX86State *env, uint64_t vec, uint64_t next);
void helper_hlt(CPUX86State *env);
void helper_pause(CPUX86State *env);
void helper_invpcid(CPUX86State *env, uint64_t type, uint64_t desc);
uint64_t helper_bt(CPUX86State *env, uint64_t kind, uint64_t val, uint64_t bit);
uint64_t helper_bsf(CPUX86State *env, uint64_t is_rev, uint64_t lg, uint64_t src,
                    uint64_t old);
uint64_t helper_shld(CPUX86State *env, uint64_t is_right, uint64_t lg, uint64_t dst,
                     uint64_t src, uint64_t count);
void helper_cmpxchg8b(CPUX86State *env, uint64_t addr, uint64_t lg);
void helper_mov_dr(CPUX86State *env, uint64_t n, uint64_t v);
uint64_t helper_mov_dr_read(CPUX86State *env, uint64_t n);
uint64_t helper_lzcnt(CPUX86State *env, uint64_t lg, uint64_t src);
void helper_bcd(CPUX86State *env, uint64_t op, uint64_t imm);
uint64_t helper_adx(CPUX86State *env, uint64_t use_of, uint64_t lg, uint64_t a,
                    uint64_t b);
void helper_load_sysseg(CPUX86State *env, uint64_t which, uint64_t sel);

#endif
