/*
 * decode.h: the table-driven x86 instruction decoder (prefixes, REX, opcode maps
 * one-byte/0F/0F38/0F3A, ModRM/SIB, displacement, immediates) and the decoded
 * form the translator consumes.
 *
 * Implements the instruction format of Intel SDM Vol 2A chapter 2 (§2.1 legacy
 * prefixes, §2.1.5 ModRM/SIB, §2.2.1 REX, §2.3 VEX, §2.6 EVEX) and the opcode maps
 * of Vol 2D appendix A. The table itself is target-x86/insn-table.def; see
 * docs/decoder.md.
 */
#ifndef TARGET_X86_DECODE_H
#define TARGET_X86_DECODE_H

#include "util/osdep.h"

/* Code segment size (CS.D / CS.L), which sets the default operand/address size. */
typedef enum X86DecodeMode {
    X86_MODE_16 = 16,
    X86_MODE_32 = 32,
    X86_MODE_64 = 64,
} X86DecodeMode;

/* x86_decode() returns the length, or one of these negated. */
enum {
    X86_DECODE_UD = 1,      /* invalid opcode or encoding: #UD */
    X86_DECODE_TRUNC = 2,   /* more bytes are needed than `avail` */
    X86_DECODE_TOOLONG = 3, /* longer than 15 bytes: #GP(0) (SDM Vol 2A §2.1) */
};

#define X86_MAX_INSN_LEN 15

/* Opcode maps. */
enum { X86_MAP_1B, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A, X86_MAP_COUNT };

/* Mnemonic ids, generated from the table. */
typedef enum X86Mnemonic {
#define X86_MNEM(name, family) X86_M_##name,
#define X86_INSN(...)
#include "target-x86/insn-table.def"
#undef X86_MNEM
#undef X86_INSN
    X86_M_COUNT
} X86Mnemonic;

/* Emitter family: which translate-<family>.c owns gen_<mnemonic>. */
typedef enum X86Family {
    X86_FAM_ALU,      /* arithmetic/logic, shifts, multiply/divide, bit ops */
    X86_FAM_MOV,      /* data movement, conversions, exchanges */
    X86_FAM_STACK,    /* push/pop/enter/leave */
    X86_FAM_CONTROL,  /* jumps, calls, returns, loops, interrupts */
    X86_FAM_STRING,   /* movs/cmps/stos/lods/scas/ins/outs */
    X86_FAM_FLAGS,    /* flag manipulation */
    X86_FAM_BCD,      /* decimal adjust */
    X86_FAM_IO,       /* in/out */
    X86_FAM_SYSTEM,   /* privileged and system instructions */
    X86_FAM_MISC,     /* nop, hints, fences, cpuid, rdtsc, ... */
    X86_FAM_X87,
    X86_FAM_SSE,      /* MMX and SSE: the operands say which register file */
    X86_FAM_COUNT
} X86Family;

/* The CPUID feature that gates an instruction (translator raises #UD if absent). */
typedef enum X86Feature {
    X86_FEAT_NONE,
    X86_FEAT_FPU, X86_FEAT_CMOV, X86_FEAT_CX8, X86_FEAT_CX16, X86_FEAT_MMX,
    X86_FEAT_SSE, X86_FEAT_SSE2, X86_FEAT_SSE3, X86_FEAT_SSSE3, X86_FEAT_SSE41,
    X86_FEAT_SSE42, X86_FEAT_POPCNT, X86_FEAT_LZCNT, X86_FEAT_BMI1,
    X86_FEAT_MOVBE, X86_FEAT_RDTSCP, X86_FEAT_SYSCALL, X86_FEAT_SEP,
    X86_FEAT_CLFLUSH, X86_FEAT_CLFLUSHOPT, X86_FEAT_CLWB, X86_FEAT_FXSR,
    X86_FEAT_XSAVE, X86_FEAT_XSAVEOPT, X86_FEAT_MONITOR, X86_FEAT_RDRAND,
    X86_FEAT_RDSEED, X86_FEAT_FSGSBASE, X86_FEAT_LAHF64, X86_FEAT_AES,
    X86_FEAT_PCLMUL, X86_FEAT_SHA, X86_FEAT_ADX, X86_FEAT_RDPID, X86_FEAT_PREFETCHW,
    X86_FEAT_SMAP, X86_FEAT_COUNT
} X86Feature;

/* Operand addressing methods (SDM Vol 2D §A.2.1), plus fixed registers. */
typedef enum X86AddrMethod {
    X86_AM_NONE,
    X86_AM_E,       /* ModRM r/m: GPR or memory */
    X86_AM_G,       /* ModRM reg: GPR */
    X86_AM_M,       /* ModRM r/m: memory only */
    X86_AM_R,       /* ModRM r/m: GPR only, mod ignored (MOV CRn/DRn) */
    X86_AM_I,       /* immediate */
    X86_AM_J,       /* relative branch offset */
    X86_AM_O,       /* moffs: absolute offset, address-size wide */
    X86_AM_A,       /* far pointer sel:off in the instruction */
    X86_AM_S,       /* ModRM reg: segment register */
    X86_AM_C,       /* ModRM reg: control register */
    X86_AM_D,       /* ModRM reg: debug register */
    X86_AM_Z,       /* low 3 opcode bits (+REX.B): GPR */
    X86_AM_X,       /* DS:rSI string source (segment overridable) */
    X86_AM_Y,       /* ES:rDI string destination */
    X86_AM_V,       /* ModRM reg: XMM */
    X86_AM_W,       /* ModRM r/m: XMM or memory */
    X86_AM_U,       /* ModRM r/m: XMM only */
    X86_AM_P,       /* ModRM reg: MMX */
    X86_AM_Q,       /* ModRM r/m: MMX or memory */
    X86_AM_N,       /* ModRM r/m: MMX only */
    X86_AM_STI,     /* ModRM r/m: x87 ST(i) */
    X86_AM_REG,     /* fixed GPR, number in X86OpDesc.reg (AL, rAX, DX, CL...) */
    X86_AM_SEG,     /* fixed segment register (PUSH ES...) */
    X86_AM_ST0,     /* x87 ST(0) */
    X86_AM_XMM0,    /* implicit XMM0 (BLENDVPS...) */
    X86_AM_ONE,     /* the constant 1 (shift by one) */
    X86_AM_GR,      /* ModRM r/m: GPR only (must be mod=3) */
} X86AddrMethod;

/* Operand sizes (SDM Vol 2D §A.2.2). */
typedef enum X86OpSize {
    X86_SZ_NONE,
    X86_SZ_B,       /* byte */
    X86_SZ_BS,      /* byte, sign-extended to the operand size */
    X86_SZ_W,       /* word */
    X86_SZ_D,       /* doubleword */
    X86_SZ_Q,       /* quadword */
    X86_SZ_V,       /* word/dword/qword by operand size */
    X86_SZ_Z,       /* word for 16-bit operand size, else dword */
    X86_SZ_Y,       /* dword, or qword with 64-bit operand size */
    X86_SZ_P,       /* far pointer: 16:16, 16:32 or 16:64 */
    X86_SZ_A,       /* BOUND pair of words/dwords */
    X86_SZ_S,       /* 6/10-byte pseudo-descriptor */
    X86_SZ_DQ,      /* 128 bits */
    X86_SZ_T,       /* 80-bit x87 (extended real, packed BCD) */
    X86_SZ_ENV,     /* x87 environment: 14/28 bytes */
    X86_SZ_STATE,   /* x87 state: 94/108 bytes */
    X86_SZ_512,     /* FXSAVE area */
    X86_SZ_XS,      /* XSAVE area (variable) */
    X86_SZ_MEM,     /* unsized memory reference (LEA, INVLPG, CLFLUSH, prefetch) */
    X86_SZ_RV_MW,   /* register: operand size; memory: word (MOV Ev,Sw, SLDT, LAR) */
    X86_SZ_RD_MW,   /* register: dword; memory: word (PINSRW, PEXTRW) */
    X86_SZ_RZ_MW,   /* register: word/dword by operand size; memory: word (LAR) */
    X86_SZ_RD_MB,   /* register: dword; memory: byte (PINSRB, PEXTRB) */
} X86OpSize;

typedef struct X86OpDesc {
    uint8_t am;     /* X86AddrMethod */
    uint8_t size;   /* X86OpSize */
    uint8_t reg;    /* fixed register number for X86_AM_REG/SEG */
} X86OpDesc;

/* X86InsnDesc.flags */
#define X86_F_D64       (1u << 0)  /* operand size defaults to 64 in long mode */
#define X86_F_F64       (1u << 1)  /* operand size forced to 64 in long mode */
#define X86_F_I64       (1u << 2)  /* invalid in 64-bit mode */
#define X86_F_O64       (1u << 3)  /* valid only in 64-bit mode */
#define X86_F_LOCK      (1u << 4)  /* LOCK allowed (with a memory destination) */
#define X86_F_REP       (1u << 5)  /* F3 means REP (string move/store/load/IO) */
#define X86_F_REPZ      (1u << 6)  /* F3/F2 mean REPE/REPNE (CMPS/SCAS) */
#define X86_F_SSE_PFX   (1u << 7)  /* 66/F3/F2 select the instruction: no opsize */
#define X86_F_NOW       (1u << 8)  /* entry valid only without REX.W */
#define X86_F_REXW      (1u << 9)  /* entry valid only with REX.W */
#define X86_F_PRIV      (1u << 16) /* CPL 0 only (#GP otherwise) */
#define X86_F_XLOCK     (1u << 17) /* implicitly locked (XCHG with memory) */

/* Match constraints on ModRM.mod. */
enum { X86_MOD_ANY, X86_MOD_MEM, X86_MOD_REG };
/* Mandatory-prefix match classes. */
enum { X86_PFX_ANY, X86_PFX_NP, X86_PFX_66, X86_PFX_F3, X86_PFX_F2, X86_PFX_NOREP };

typedef struct X86InsnDesc {
    uint16_t mnem;          /* X86Mnemonic */
    uint8_t map;            /* X86_MAP_* */
    uint8_t opcode;
    uint8_t pfx;            /* X86_PFX_* */
    int8_t reg;             /* ModRM.reg (group tables), -1 for any */
    uint8_t mod;            /* X86_MOD_* */
    int8_t rm;              /* ModRM.rm when mod=3 is required, -1 for any */
    uint8_t feature;        /* X86Feature */
    uint8_t family;         /* X86Family (from the mnemonic) */
    uint32_t flags;         /* X86_F_* */
    X86OpDesc ops[4];
} X86InsnDesc;

/* Register classes of a decoded register operand. */
typedef enum X86RegClass {
    X86_RC_GPR,     /* number 0-15, size 1/2/4/8 */
    X86_RC_GPR8H,   /* AH/CH/DH/BH: number 0-3 */
    X86_RC_SEG,
    X86_RC_CR,
    X86_RC_DR,
    X86_RC_XMM,
    X86_RC_MMX,
    X86_RC_ST,
} X86RegClass;

/* Decoded operand kinds. */
typedef enum X86OperandKind {
    X86_OPK_NONE,
    X86_OPK_REG,
    X86_OPK_MEM,    /* X86Insn.mem (also string and moffs operands) */
    X86_OPK_IMM,    /* X86Insn.imm[index] */
    X86_OPK_REL,    /* branch offset X86Insn.imm[index], relative to the next insn */
    X86_OPK_FAR,    /* imm[0] = offset, imm[1] = selector */
} X86OperandKind;

typedef struct X86Operand {
    uint8_t kind;   /* X86OperandKind */
    uint8_t rclass; /* X86RegClass for X86_OPK_REG */
    uint8_t reg;    /* register number */
    uint8_t index;  /* immediate index for IMM/REL */
    uint16_t size;  /* bytes (0 for unsized memory references) */
    uint8_t am;     /* the descriptor's addressing method */
} X86Operand;

/* X86Insn.prefixes */
#define X86_P_LOCK      (1u << 0)
#define X86_P_REP       (1u << 1)   /* F3 seen */
#define X86_P_REPNE     (1u << 2)   /* F2 seen */
#define X86_P_OPSIZE    (1u << 3)   /* 66 seen */
#define X86_P_ADDRSIZE  (1u << 4)   /* 67 seen */
#define X86_P_REX       (1u << 5)   /* a REX prefix applies */

#define X86_BASE_NONE   (-1)
#define X86_BASE_RIP    16

typedef struct X86MemOperand {
    int8_t base;        /* GPR 0-15, X86_BASE_RIP, or X86_BASE_NONE */
    int8_t index;       /* GPR 0-15 or -1 */
    uint8_t scale;      /* 1, 2, 4, 8 */
    uint8_t seg;        /* effective segment (R_ES..R_GS) after override */
    uint8_t disp_size;  /* bytes of displacement in the encoding */
    bool rip_rel;
    int64_t disp;       /* sign-extended (moffs: zero-extended) */
} X86MemOperand;

typedef struct X86Insn {
    const X86InsnDesc *desc;
    uint16_t mnem;
    uint8_t len;
    uint8_t mode;           /* 16/32/64 */
    uint32_t prefixes;      /* X86_P_* */
    int8_t seg_override;    /* R_ES..R_GS or -1 */
    uint8_t rex;            /* the REX byte in effect, 0 if none */
    uint8_t mandatory;      /* 0, 0x66, 0xf3, 0xf2: prefix that selected the entry */
    uint8_t opsize;         /* 16/32/64 */
    uint8_t addrsize;       /* 16/32/64 */
    uint8_t map;
    uint8_t opcode;
    bool has_modrm;
    bool has_sib;
    bool has_mem;
    uint8_t modrm, sib;
    uint8_t mod;            /* 0-3 */
    uint8_t reg;            /* ModRM.reg with REX.R (0-15) */
    uint8_t rm;             /* ModRM.rm with REX.B when mod=3 (0-15) */
    uint8_t opc_off;        /* offset of the (first) opcode byte */
    X86MemOperand mem;
    uint8_t n_imm;
    uint8_t imm_size[2];    /* bytes in the encoding */
    int64_t imm[2];         /* extended as the operand says (see docs) */
    uint8_t n_ops;
    X86Operand ops[4];
} X86Insn;

/*
 * Decode one instruction from bytes[0..avail). Returns its length (1-15) or
 * -X86_DECODE_UD / -X86_DECODE_TRUNC (call again with more bytes) /
 * -X86_DECODE_TOOLONG. `out` is always initialised; it is meaningful only for
 * a positive return. Immediates: Ib/Iw/Iv zero-extended, Ibs and Jb/Jz
 * sign-extended, Iz sign-extended when the operand size is 64. Stateless and
 * thread-safe; see docs/decoder.md.
 */
int x86_decode(X86DecodeMode mode, const uint8_t *bytes, size_t avail, X86Insn *out);

const char *x86_mnemonic_name(unsigned mnem);
X86Family x86_mnemonic_family(unsigned mnem);
const char *x86_feature_name(unsigned feat);

/* The whole table, for tests and coverage reports. */
const X86InsnDesc *x86_insn_table(size_t *count);

#endif
