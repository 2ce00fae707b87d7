/*
 * diff.h: what the host side (test-diff.c) and the bare-metal guest (diff-guest.c)
 * of the differential harness share: the fixed addresses both worlds use, and
 * the layout of the case file handed to the guest as a Multiboot module.
 *
 * Every case runs from the same start state on the host CPU and under bt86:
 * the code page and the data page sit at the same addresses in the Linux test
 * process (mmap MAP_FIXED_NOREPLACE) and in the guest (identity mapped), so
 * memory operands, stack pushes and RIP-relative forms agree bit for bit.
 * All multi-byte fields are little-endian; every u64 field lies on an 8-byte
 * offset so that i386 (4-byte u64 alignment) and x86-64 see one layout.
 */
#ifndef TESTS_DIFF_DIFF_H
#define TESTS_DIFF_DIFF_H

#define DIFF_CODE       0x80000u            /* blob: prologue, case, epilogue */
#define DIFF_CODE_SIZE  0x1000u
#define DIFF_STUB64     (DIFF_CODE + 0x800) /* host: 64-bit side of the lcall */
#define DIFF_TRAMP32    (DIFF_CODE + 0xa00) /* host: 32-bit side: call blob, lret */
#define DIFF_DATA       0x88000u
#define DIFF_DATA_SIZE  0x1000u
#define DIFF_MEM        DIFF_DATA           /* memory the cases may touch */
#define DIFF_MEM_SIZE   256
#define DIFF_STATE_IN   (DIFF_DATA + 0x400) /* 16 GPRs then RFLAGS */
#define DIFF_STATE_OUT  (DIFF_DATA + 0x500)
#define DIFF_SAVED_SP   (DIFF_DATA + 0x600) /* caller's stack pointer */
#define DIFF_SAVED64    (DIFF_DATA + 0x608) /* host: 64-bit RSP around the lcall */
#define DIFF_FARPTR     (DIFF_DATA + 0x610) /* host: m16:32 of the 32-bit trampoline */
#define DIFF_FAULT      (DIFF_DATA + 0x620) /* guest: vector of a fault, or ~0 */
#define DIFF_FX_IN      (DIFF_DATA + 0x800) /* x87/SSE cases: FXRSTOR image loaded */
#define DIFF_FX_OUT     (DIFF_DATA + 0xa00) /* x87/SSE cases: FXSAVE image stored */
#define DIFF_LOWSTACK   (DIFF_DATA + 0xff0) /* host: stack of the 32-bit excursion */

#define DIFF_NREGS      17                  /* RAX..R15, RFLAGS */
#define DIFF_RFLAGS     16
#define DIFF_MAX_CODE   64
#define DIFF_MAX_GLUE   256

/* Optional instructions: a case needing one carries DIFF_FEAT_* << 16 in its
 * reg_mask, and a guest whose CPUID lacks it skips the case ("S <index>"). */
#define DIFF_FEAT_POPCNT 1u             /* CPUID.1:ECX[23] */
#define DIFF_FEAT_LZCNT  2u             /* CPUID.80000001H:ECX[5] */
#define DIFF_FEAT_BMI1   4u             /* CPUID.(7,0):EBX[3], TZCNT */

#define DIFF_MAGIC      0x46464944u         /* "DIFF" */
#define DIFF_MODE_FP    0x200u              /* header.mode: DiffFpCase cases */
#define DIFF_FX_SIZE    512                 /* FXSAVE image (SDM Vol 1 §10.5.1) */

/* Arithmetic flags and DF: what the cases set up and what is compared. */
#define DIFF_CF 0x0001u
#define DIFF_PF 0x0004u
#define DIFF_AF 0x0010u
#define DIFF_ZF 0x0040u
#define DIFF_SF 0x0080u
#define DIFF_DF 0x0400u
#define DIFF_OF 0x0800u
#define DIFF_ARITH (DIFF_CF | DIFF_PF | DIFF_AF | DIFF_ZF | DIFF_SF | DIFF_OF)

#ifndef __ASSEMBLER__
#ifdef DIFF_GUEST
typedef u32 diff_u32;
typedef u64 diff_u64;
typedef u8 diff_u8;
#else
#include <stdint.h>
typedef uint32_t diff_u32;
typedef uint64_t diff_u64;
typedef uint8_t diff_u8;
#endif

typedef struct DiffHeader {
    diff_u32 magic;
    diff_u32 mode;              /* 32 or 64; bit 8: trace each case */
    diff_u32 ncases;
    diff_u32 case_size;         /* sizeof(DiffCase), a layout check */
    diff_u32 prologue_len;
    diff_u32 epilogue_len;
    diff_u32 reserved;
    diff_u32 first;             /* case to start at */
    diff_u8 prologue[DIFF_MAX_GLUE];
    diff_u8 epilogue[DIFF_MAX_GLUE];
} DiffHeader;

typedef struct DiffCase {
    diff_u32 code_len;
    diff_u32 flags_mask;        /* RFLAGS bits to compare */
    diff_u32 reg_mask;          /* bit i: compare register i; 16+: DIFF_FEAT_* */
    diff_u32 index;
    diff_u64 in[DIFF_NREGS];
    diff_u64 out[DIFF_NREGS];   /* the host CPU's result */
    diff_u8 mem_in[DIFF_MEM_SIZE];
    diff_u8 mem_out[DIFF_MEM_SIZE];
    diff_u8 code[DIFF_MAX_CODE];
} DiffCase;

/*
 * An x87/MMX/SSE case: the integer case plus the FXSAVE images before and
 * after (the prologue FXRSTORs DIFF_FX_IN, the epilogue FXSAVEs DIFF_FX_OUT).
 * Compared: FCW, FSW under fsw_mask, the abridged tag byte, MXCSR, the 80 bits
 * of every ST register the host's tags say is in use, and XMM0..nxmm-1. Not
 * compared: FOP, FIP/FCS, FDP/FDS (the last x87 instruction's pointers, set
 * differently by AMD and Intel and not modelled), MXCSR_MASK.
 */
typedef struct DiffFpCase {
    DiffCase c;
    diff_u32 fsw_mask;
    diff_u32 nxmm;
    diff_u8 fx_in[DIFF_FX_SIZE];
    diff_u8 fx_out[DIFF_FX_SIZE];
} DiffFpCase;

_Static_assert(sizeof(DiffHeader) == 32 + 2 * DIFF_MAX_GLUE, "header layout");
_Static_assert(sizeof(DiffFpCase) == sizeof(DiffCase) + 8 + 2 * DIFF_FX_SIZE,
               "fp case layout");
_Static_assert(sizeof(DiffCase) == 16 + 2 * 8 * DIFF_NREGS + 2 * DIFF_MEM_SIZE
               + DIFF_MAX_CODE, "case layout");
#endif

#endif
