/*
 * seg-helper.h: protection, far transfers, task switching, interrupt delivery
 * and fast system calls for the translator (target-x86/seg-helper.c; SDM Vol 3
 * ch. 5-7 and 20, Vol 2 SYSCALL/SYSRET/SYSENTER/SYSEXIT). helper.h declares the
 * older entry points (load_seg, ljmp, lcall, lret, iret, int, load_sysseg);
 * these are the ones added with them. Integer arguments are 64-bit throughout.
 */
#ifndef TARGET_X86_SEG_HELPER_H
#define TARGET_X86_SEG_HELPER_H

#include "target-x86/cpu.h"

/* A linear address the paging mode can form (48 or 57 bits, sign-extended). */
bool x86_canonical(CPUX86State *env, uint64_t a);

/* IN/OUT/INS/OUTS: #GP(0) unless CPL <= IOPL (outside v86) or the TSS I/O
 * permission bitmap clears every bit of the port range (SDM Vol 1 §19.5). */
void x86_check_io(CPUX86State *env, uint32_t port, int size, uintptr_t ra);

/* CLI/STI (protected mode) and PUSHF/POPF (v86): #GP(0) when IOPL is too low. */
void helper_check_iopl(CPUX86State *env);
/* POPF with the CPL/IOPL rules for which flags may change (SDM Vol 2B POPF). */
void helper_popf(CPUX86State *env, uint64_t val, uint64_t lg);
/* RDTSC/RDTSCP at CPL > 0: #GP(0) when CR4.TSD is set. */
void helper_check_tsd(CPUX86State *env);

void helper_syscall(CPUX86State *env, uint64_t next);
void helper_sysret(CPUX86State *env, uint64_t lg);
void helper_sysenter(CPUX86State *env);
void helper_sysexit(CPUX86State *env, uint64_t lg);
/* RDFSBASE RDGSBASE WRFSBASE WRGSBASE (op 0-3); #UD without CR4.FSGSBASE. */
uint64_t helper_fsgsbase(CPUX86State *env, uint64_t op, uint64_t val);
/* LAR LSL VERR VERW (kind 0-3): ZF says whether sel passed; returns the new
 * destination (old when it did not). */
uint64_t helper_lar(CPUX86State *env, uint64_t kind, uint64_t sel, uint64_t old);
uint64_t helper_arpl(CPUX86State *env, uint64_t dst, uint64_t src);
void helper_into(CPUX86State *env, uint64_t next);
void helper_int1(CPUX86State *env, uint64_t next);
void helper_bound(CPUX86State *env, uint64_t idx, uint64_t addr, uint64_t lg);

/* Table 6-5 (SDM Vol 3 §6.15, interrupt 8): the vector to deliver when
 * `second` faults while the processor delivers `first` — `second` itself, or 8. */
int x86_nested_exception(int first, int second);

#endif
