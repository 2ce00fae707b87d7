/*
 * diff-insns.c: the instruction table and case generator of the differential
 * harness: random and edge-valued user-level instruction sequences, encoded
 * here (legacy prefixes, REX, ModRM/SIB, immediates; SDM Vol 2A chapter 2), and
 * for every instruction the flags it defines, leaves undefined or reads, from
 * the "Flags Affected" paragraph of its SDM Vol 2 page and Vol 1 Appendix A.
 * Where definedness depends on operands (shift counts, a zero BSF source, a
 * taken branch) it is decided from the state just before the instruction,
 * which the caller gets by running the sequence's prefix on the host.
 *
 * Memory operands go through RBP (fixed at DIFF_MEM + 0x60) or RSP (fixed at
 * DIFF_MEM + 0xe0 between instructions), absolute disp32 or RIP-relative
 * addresses into DIFF_MEM; no instruction writes RBP or RSP except balanced
 * PUSH/POP pairs, so every access stays inside the compared memory.
 */
#include "diff-gen.h"

#include <string.h>

/* Flag masks */
#define CF DIFF_CF
#define PF DIFF_PF
#define AF DIFF_AF
#define ZF DIFF_ZF
#define SF DIFF_SF
#define OF DIFF_OF
#define ALL DIFF_ARITH
#define SZAP (SF | ZF | AF | PF)
#define OSAP (OF | SF | AF | PF)
#define CPAZS (CF | PF | AF | ZF | SF)

/* sizes */
#define S8 1
#define S16 2
#define S32 4
#define S64 8
#define SV (S16 | S32 | S64)
#define SA (S8 | SV)

enum {
    F_MODRM,        /* opcode, ModRM (reg field = register or /ext), optional imm */
    F_ACC_IMM,      /* AL/eAX, imm */
    F_FIXED,        /* opcode only (sized by prefixes) */
    F_OPREG,        /* opcode + register in the low 3 bits */
    F_MOV_IMM,      /* B0+r ib / B8+r iv (imm64 with REX.W) */
    F_JCC,          /* Jcc over an ADD imm8 to a register */
    F_POPF,         /* PUSH imm32 of arithmetic flags; POPF */
    F_PUSHPOP,      /* PUSH r; POP r2 */
    F_LEA,          /* LEA with any addressing form */
    F_MOFFS,        /* MOV AL/eAX to or from an absolute address (A0-A3) */
    F_CALLPOP,      /* CALL to the next instruction; POP r */
    F_LOOP,         /* LOOP/LOOPE/LOOPNE/JrCXZ over an ADD imm8 to a register */
    F_ENTERLEAVE,   /* ENTER imm16, level; LEAVE */
    F_PUSHPOPM,     /* PUSH m; POP m (POP computes an RSP-based address after
                     * incrementing RSP, SDM Vol 2B POP) */
    F_XLAT,
};

enum { IMM_NO, IMM_8, IMM_V, IMM_COUNT };

/* attributes */
#define A_0F        0x0001  /* two-byte opcode */
#define A_F3        0x0002  /* mandatory F3 */
#define A_SOLO      0x0004  /* needs a prepared start state: only as a case of its own */
#define A_MEM       0x0008  /* r/m must be memory */
#define A_REG       0x0010  /* r/m must be a register */
#define A_ONLY64    0x0020
#define A_ONLY32    0x0040
#define A_CC        0x0080  /* condition code in the opcode's low nibble */
#define A_RM8       0x0100  /* r/m is a byte whatever the operand size */
#define A_RM16      0x0200  /* r/m is a word */
#define A_STR       0x0400  /* string instruction: REP/REPNE and DF variants */
#define A_DIV       0x0800  /* divide: bias RDX so that most cases do not fault */
#define A_BITOFF    0x1000  /* bit offset register kept near the memory operand */
#define A_NOREGW    0x2000  /* writes no register (reg field may be anything) */
#define A_RM64      0x4000  /* r/m is 8 bytes (CMPXCHG8B) */

enum {
    DYN_NONE, DYN_SHIFT, DYN_ROT, DYN_RCX, DYN_SHXD, DYN_BSX, DYN_JCC, DYN_LOOP,
    DYN_CMPXCHG,
};

typedef struct Tmpl {
    const char *name;
    uint8_t form;
    uint8_t op8, opv;       /* opcode for byte size / for word-or-larger (0: none) */
    uint8_t ext;            /* ModRM reg field, 0xff: a register operand */
    uint8_t imm;
    uint8_t sizes;
    uint16_t attr;
    uint16_t rd, wd, wu;    /* flags read, written defined, written undefined */
    uint8_t dyn;
    uint8_t feat;           /* DIFF_FEAT_* the guest's CPUID must show */
} Tmpl;

#define R 0xff

static const Tmpl tmpls[] = {
    /* ALU, both directions, and with immediates (SDM Vol 1 A.2) */
    { "add r/m,r", F_MODRM, 0x00, 0x01, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "add r,r/m", F_MODRM, 0x02, 0x03, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "or r/m,r", F_MODRM, 0x08, 0x09, R, IMM_NO, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "adc r/m,r", F_MODRM, 0x10, 0x11, R, IMM_NO, SA, 0, CF, ALL, 0, 0 },
    { "adc r,r/m", F_MODRM, 0x12, 0x13, R, IMM_NO, SA, 0, CF, ALL, 0, 0 },
    { "sbb r/m,r", F_MODRM, 0x18, 0x19, R, IMM_NO, SA, 0, CF, ALL, 0, 0 },
    { "sbb r,r/m", F_MODRM, 0x1a, 0x1b, R, IMM_NO, SA, 0, CF, ALL, 0, 0 },
    { "and r/m,r", F_MODRM, 0x20, 0x21, R, IMM_NO, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "sub r/m,r", F_MODRM, 0x28, 0x29, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "sub r,r/m", F_MODRM, 0x2a, 0x2b, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "xor r/m,r", F_MODRM, 0x30, 0x31, R, IMM_NO, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "cmp r/m,r", F_MODRM, 0x38, 0x39, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "cmp r,r/m", F_MODRM, 0x3a, 0x3b, R, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "test r/m,r", F_MODRM, 0x84, 0x85, R, IMM_NO, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "add r/m,imm", F_MODRM, 0x80, 0x81, 0, IMM_V, SA, 0, 0, ALL, 0, 0 },
    { "or r/m,imm", F_MODRM, 0x80, 0x81, 1, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "adc r/m,imm", F_MODRM, 0x80, 0x81, 2, IMM_V, SA, 0, CF, ALL, 0, 0 },
    { "sbb r/m,imm", F_MODRM, 0x80, 0x81, 3, IMM_V, SA, 0, CF, ALL, 0, 0 },
    { "and r/m,imm", F_MODRM, 0x80, 0x81, 4, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "sub r/m,imm", F_MODRM, 0x80, 0x81, 5, IMM_V, SA, 0, 0, ALL, 0, 0 },
    { "xor r/m,imm", F_MODRM, 0x80, 0x81, 6, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "cmp r/m,imm", F_MODRM, 0x80, 0x81, 7, IMM_V, SA, 0, 0, ALL, 0, 0 },
    { "add r/m,imm8s", F_MODRM, 0, 0x83, 0, IMM_8, SV, 0, 0, ALL, 0, 0 },
    { "adc r/m,imm8s", F_MODRM, 0, 0x83, 2, IMM_8, SV, 0, CF, ALL, 0, 0 },
    { "sbb r/m,imm8s", F_MODRM, 0, 0x83, 3, IMM_8, SV, 0, CF, ALL, 0, 0 },
    { "sub r/m,imm8s", F_MODRM, 0, 0x83, 5, IMM_8, SV, 0, 0, ALL, 0, 0 },
    { "and r/m,imm8s", F_MODRM, 0, 0x83, 4, IMM_8, SV, 0, 0, ALL & ~AF, AF, 0 },
    { "cmp r/m,imm8s", F_MODRM, 0, 0x83, 7, IMM_8, SV, 0, 0, ALL, 0, 0 },
    { "test r/m,imm", F_MODRM, 0xf6, 0xf7, 0, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "add acc,imm", F_ACC_IMM, 0x04, 0x05, 0, IMM_V, SA, 0, 0, ALL, 0, 0 },
    { "sbb acc,imm", F_ACC_IMM, 0x1c, 0x1d, 0, IMM_V, SA, 0, CF, ALL, 0, 0 },
    { "xor acc,imm", F_ACC_IMM, 0x34, 0x35, 0, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    { "test acc,imm", F_ACC_IMM, 0xa8, 0xa9, 0, IMM_V, SA, 0, 0, ALL & ~AF, AF, 0 },
    /* unary group 3 and 4/5 */
    { "inc r/m", F_MODRM, 0xfe, 0xff, 0, IMM_NO, SA, 0, 0, ALL & ~CF, 0, 0 },
    { "dec r/m", F_MODRM, 0xfe, 0xff, 1, IMM_NO, SA, 0, 0, ALL & ~CF, 0, 0 },
    { "not r/m", F_MODRM, 0xf6, 0xf7, 2, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "neg r/m", F_MODRM, 0xf6, 0xf7, 3, IMM_NO, SA, 0, 0, ALL, 0, 0 },
    { "inc r (40+r)", F_OPREG, 0, 0x40, 0, IMM_NO, S16 | S32, A_ONLY32, 0, ALL & ~CF, 0, 0 },
    { "dec r (48+r)", F_OPREG, 0, 0x48, 0, IMM_NO, S16 | S32, A_ONLY32, 0, ALL & ~CF, 0, 0 },
    /* multiply and divide: MUL/IMUL define CF, OF only; DIV/IDIV no flag */
    { "mul r/m", F_MODRM, 0xf6, 0xf7, 4, IMM_NO, SA, 0, 0, CF | OF, SZAP, 0 },
    { "imul r/m", F_MODRM, 0xf6, 0xf7, 5, IMM_NO, SA, 0, 0, CF | OF, SZAP, 0 },
    { "imul r,r/m", F_MODRM, 0, 0xaf, R, IMM_NO, SV, A_0F, 0, CF | OF, SZAP, 0 },
    { "imul r,r/m,imm8", F_MODRM, 0, 0x6b, R, IMM_8, SV, 0, 0, CF | OF, SZAP, 0 },
    { "imul r,r/m,imm", F_MODRM, 0, 0x69, R, IMM_V, SV, 0, 0, CF | OF, SZAP, 0 },
    { "div r/m", F_MODRM, 0xf6, 0xf7, 6, IMM_NO, SA, A_SOLO | A_DIV, 0, 0, ALL, 0 },
    { "idiv r/m", F_MODRM, 0xf6, 0xf7, 7, IMM_NO, SA, A_SOLO | A_DIV, 0, 0, ALL, 0 },
    /* shifts and rotates: by 1, by imm8, by CL */
    { "rol r/m,1", F_MODRM, 0xd0, 0xd1, 0, IMM_NO, SA, 0, 0, 0, 0, DYN_ROT },
    { "rol r/m,imm8", F_MODRM, 0xc0, 0xc1, 0, IMM_COUNT, SA, 0, 0, 0, 0, DYN_ROT },
    { "rol r/m,cl", F_MODRM, 0xd2, 0xd3, 0, IMM_NO, SA, 0, 0, 0, 0, DYN_ROT },
    { "ror r/m,1", F_MODRM, 0xd0, 0xd1, 1, IMM_NO, SA, 0, 0, 0, 0, DYN_ROT },
    { "ror r/m,imm8", F_MODRM, 0xc0, 0xc1, 1, IMM_COUNT, SA, 0, 0, 0, 0, DYN_ROT },
    { "ror r/m,cl", F_MODRM, 0xd2, 0xd3, 1, IMM_NO, SA, 0, 0, 0, 0, DYN_ROT },
    { "rcl r/m,1", F_MODRM, 0xd0, 0xd1, 2, IMM_NO, SA, 0, CF, 0, 0, DYN_RCX },
    { "rcl r/m,imm8", F_MODRM, 0xc0, 0xc1, 2, IMM_COUNT, SA, 0, CF, 0, 0, DYN_RCX },
    { "rcl r/m,cl", F_MODRM, 0xd2, 0xd3, 2, IMM_NO, SA, 0, CF, 0, 0, DYN_RCX },
    { "rcr r/m,1", F_MODRM, 0xd0, 0xd1, 3, IMM_NO, SA, 0, CF, 0, 0, DYN_RCX },
    { "rcr r/m,imm8", F_MODRM, 0xc0, 0xc1, 3, IMM_COUNT, SA, 0, CF, 0, 0, DYN_RCX },
    { "rcr r/m,cl", F_MODRM, 0xd2, 0xd3, 3, IMM_NO, SA, 0, CF, 0, 0, DYN_RCX },
    { "shl r/m,1", F_MODRM, 0xd0, 0xd1, 4, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shl r/m,imm8", F_MODRM, 0xc0, 0xc1, 4, IMM_COUNT, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shl r/m,cl", F_MODRM, 0xd2, 0xd3, 4, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shr r/m,1", F_MODRM, 0xd0, 0xd1, 5, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shr r/m,imm8", F_MODRM, 0xc0, 0xc1, 5, IMM_COUNT, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shr r/m,cl", F_MODRM, 0xd2, 0xd3, 5, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "sar r/m,1", F_MODRM, 0xd0, 0xd1, 7, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "sar r/m,imm8", F_MODRM, 0xc0, 0xc1, 7, IMM_COUNT, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "sar r/m,cl", F_MODRM, 0xd2, 0xd3, 7, IMM_NO, SA, 0, 0, 0, 0, DYN_SHIFT },
    { "shld r/m,r,imm8", F_MODRM, 0, 0xa4, R, IMM_COUNT, SV, A_0F, 0, 0, 0, DYN_SHXD },
    { "shld r/m,r,cl", F_MODRM, 0, 0xa5, R, IMM_NO, SV, A_0F, 0, 0, 0, DYN_SHXD },
    { "shrd r/m,r,imm8", F_MODRM, 0, 0xac, R, IMM_COUNT, SV, A_0F, 0, 0, 0, DYN_SHXD },
    { "shrd r/m,r,cl", F_MODRM, 0, 0xad, R, IMM_NO, SV, A_0F, 0, 0, 0, DYN_SHXD },
    /* bit tests: CF defined, ZF unchanged, OF SF AF PF undefined */
    { "bt r,r", F_MODRM, 0, 0xa3, R, IMM_NO, SV, A_0F | A_REG, 0, CF, OSAP, 0 },
    { "bts r,r", F_MODRM, 0, 0xab, R, IMM_NO, SV, A_0F | A_REG, 0, CF, OSAP, 0 },
    { "btr r,r", F_MODRM, 0, 0xb3, R, IMM_NO, SV, A_0F | A_REG, 0, CF, OSAP, 0 },
    { "btc r,r", F_MODRM, 0, 0xbb, R, IMM_NO, SV, A_0F | A_REG, 0, CF, OSAP, 0 },
    { "bt m,r", F_MODRM, 0, 0xa3, R, IMM_NO, SV, A_0F | A_MEM | A_SOLO | A_BITOFF, 0, CF,
      OSAP, 0 },
    { "bts m,r", F_MODRM, 0, 0xab, R, IMM_NO, SV, A_0F | A_MEM | A_SOLO | A_BITOFF, 0, CF,
      OSAP, 0 },
    { "btc m,r", F_MODRM, 0, 0xbb, R, IMM_NO, SV, A_0F | A_MEM | A_SOLO | A_BITOFF, 0, CF,
      OSAP, 0 },
    { "bt r/m,imm8", F_MODRM, 0, 0xba, 4, IMM_COUNT, SV, A_0F, 0, CF, OSAP, 0 },
    { "bts r/m,imm8", F_MODRM, 0, 0xba, 5, IMM_COUNT, SV, A_0F, 0, CF, OSAP, 0 },
    { "btr r/m,imm8", F_MODRM, 0, 0xba, 6, IMM_COUNT, SV, A_0F, 0, CF, OSAP, 0 },
    { "btc r/m,imm8", F_MODRM, 0, 0xba, 7, IMM_COUNT, SV, A_0F, 0, CF, OSAP, 0 },
    /* bit scans and counts */
    { "bsf r,r/m", F_MODRM, 0, 0xbc, R, IMM_NO, SV, A_0F, 0, ZF, CF | OSAP,
      DYN_BSX },
    { "bsr r,r/m", F_MODRM, 0, 0xbd, R, IMM_NO, SV, A_0F, 0, ZF, CF | OSAP,
      DYN_BSX },
    /* Optional instructions: solo, so that a guest CPU without them skips only
     * their own cases (without BMI1/LZCNT, F3 0F BC/BD are REP BSF/BSR). */
    { "tzcnt r,r/m", F_MODRM, 0, 0xbc, R, IMM_NO, SV, A_0F | A_F3 | A_SOLO, 0, ZF | CF,
      OSAP, 0, DIFF_FEAT_BMI1 },
    { "lzcnt r,r/m", F_MODRM, 0, 0xbd, R, IMM_NO, SV, A_0F | A_F3 | A_SOLO, 0, ZF | CF,
      OSAP, 0, DIFF_FEAT_LZCNT },
    { "popcnt r,r/m", F_MODRM, 0, 0xb8, R, IMM_NO, SV, A_0F | A_F3 | A_SOLO, 0, ALL, 0, 0,
      DIFF_FEAT_POPCNT },
    { "bswap r", F_OPREG, 0, 0xc8, 0, IMM_NO, S32 | S64, A_0F, 0, 0, 0, 0 },
    /* exchange and compare-exchange */
    { "xchg r/m,r", F_MODRM, 0x86, 0x87, R, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "xchg eax,r", F_OPREG, 0, 0x90, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    { "xadd r/m,r", F_MODRM, 0xc0, 0xc1, R, IMM_NO, SA, A_0F, 0, ALL, 0, 0 },
    { "cmpxchg r/m,r", F_MODRM, 0xb0, 0xb1, R, IMM_NO, SA, A_0F, 0, ALL, 0, DYN_CMPXCHG },
    { "cmpxchg8b m64", F_MODRM, 0, 0xc7, 1, IMM_NO, S32, A_0F | A_MEM | A_RM64, 0, ZF, 0, 0 },
    /* condition codes */
    { "setcc r/m8", F_MODRM, 0x90, 0, 0, IMM_NO, S8, A_0F | A_CC, 0, 0, 0, 0 },
    { "cmovcc r,r/m", F_MODRM, 0, 0x40, R, IMM_NO, SV, A_0F | A_CC, 0, 0, 0, 0 },
    { "jcc rel8", F_JCC, 0x70, 0, 0, IMM_NO, S32, A_CC, 0, 0, 0, DYN_JCC },
    { "jcc rel32", F_JCC, 0x80, 0, 0, IMM_NO, S32, A_CC | A_0F, 0, 0, 0, DYN_JCC },
    { "loop rel8", F_LOOP, 0xe2, 0, 0, IMM_NO, S32, 0, 0, 0, 0, DYN_LOOP },
    { "loope rel8", F_LOOP, 0xe1, 0, 0, IMM_NO, S32, 0, ZF, 0, 0, DYN_LOOP },
    { "loopne rel8", F_LOOP, 0xe0, 0, 0, IMM_NO, S32, 0, ZF, 0, 0, DYN_LOOP },
    { "jrcxz rel8", F_LOOP, 0xe3, 0, 0, IMM_NO, S32, 0, 0, 0, 0, DYN_LOOP },
    { "call next; pop r", F_CALLPOP, 0, 0, 0, IMM_NO, S32, 0, 0, 0, 0, 0 },
    { "enter n,0; leave", F_ENTERLEAVE, 0, 0, 0, IMM_NO, S32, 0, 0, 0, 0, 0 },
    { "enter n,1-3; leave", F_ENTERLEAVE, 1, 0, 0, IMM_NO, S32, 0, 0, 0, 0, 0 },
    { "push m; pop m", F_PUSHPOPM, 0, 0, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    { "xlat", F_XLAT, 0xd7, 0, 0, IMM_NO, S32, A_SOLO, 0, 0, 0, 0 },
    /* moves and extensions */
    { "mov r/m,r", F_MODRM, 0x88, 0x89, R, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "mov r,r/m", F_MODRM, 0x8a, 0x8b, R, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "mov acc,moffs", F_MOFFS, 0xa0, 0xa1, 0, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "mov moffs,acc", F_MOFFS, 0xa2, 0xa3, 0, IMM_NO, SA, 0, 0, 0, 0, 0 },
    { "mov r/m,imm", F_MODRM, 0xc6, 0xc7, 0, IMM_V, SA, 0, 0, 0, 0, 0 },
    { "mov r,imm", F_MOV_IMM, 0xb0, 0xb8, 0, IMM_V, SA, 0, 0, 0, 0, 0 },
    { "movzx r,r/m8", F_MODRM, 0, 0xb6, R, IMM_NO, SV, A_0F | A_RM8, 0, 0, 0, 0 },
    { "movzx r,r/m16", F_MODRM, 0, 0xb7, R, IMM_NO, S32 | S64, A_0F | A_RM16, 0, 0, 0, 0 },
    { "movsx r,r/m8", F_MODRM, 0, 0xbe, R, IMM_NO, SV, A_0F | A_RM8, 0, 0, 0, 0 },
    { "movsx r,r/m16", F_MODRM, 0, 0xbf, R, IMM_NO, S32 | S64, A_0F | A_RM16, 0, 0, 0, 0 },
    { "movsxd r,r/m32", F_MODRM, 0, 0x63, R, IMM_NO, S64, A_ONLY64, 0, 0, 0, 0 },
    { "lea r,m", F_LEA, 0, 0x8d, R, IMM_NO, SV, 0, 0, 0, 0, 0 },
    { "cbw/cwde/cdqe", F_FIXED, 0, 0x98, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    { "cwd/cdq/cqo", F_FIXED, 0, 0x99, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    /* flags */
    { "lahf", F_FIXED, 0x9f, 0, 0, IMM_NO, S8, 0, CPAZS, 0, 0, 0 },
    { "sahf", F_FIXED, 0x9e, 0, 0, IMM_NO, S8, 0, 0, CPAZS, 0, 0 },
    { "clc", F_FIXED, 0xf8, 0, 0, IMM_NO, S8, 0, 0, CF, 0, 0 },
    { "stc", F_FIXED, 0xf9, 0, 0, IMM_NO, S8, 0, 0, CF, 0, 0 },
    { "cmc", F_FIXED, 0xf5, 0, 0, IMM_NO, S8, 0, CF, CF, 0, 0 },
    { "push imm; popf", F_POPF, 0, 0, 0, IMM_NO, S32, 0, 0, ALL, 0, 0 },
    { "push r; pop r", F_PUSHPOP, 0, 0, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    { "push imm; pop r", F_PUSHPOP, 1, 0, 0, IMM_NO, SV, 0, 0, 0, 0, 0 },
    /* BCD (not in 64-bit mode) */
    { "daa", F_FIXED, 0x27, 0, 0, IMM_NO, S8, A_ONLY32, CF | AF, CPAZS, OF, 0 },
    { "das", F_FIXED, 0x2f, 0, 0, IMM_NO, S8, A_ONLY32, CF | AF, CPAZS, OF, 0 },
    { "aaa", F_FIXED, 0x37, 0, 0, IMM_NO, S8, A_ONLY32, AF, AF | CF, OF | SF | ZF | PF, 0 },
    { "aas", F_FIXED, 0x3f, 0, 0, IMM_NO, S8, A_ONLY32, AF, AF | CF, OF | SF | ZF | PF, 0 },
    { "aam imm8", F_FIXED, 0xd4, 0, 0, IMM_8, S8, A_ONLY32, 0, SF | ZF | PF, OF | AF | CF, 0 },
    { "aad imm8", F_FIXED, 0xd5, 0, 0, IMM_8, S8, A_ONLY32, 0, SF | ZF | PF, OF | AF | CF, 0 },
    /* strings, with small counts */
    { "movs", F_FIXED, 0xa4, 0xa5, 0, IMM_NO, SA, A_SOLO | A_STR, 0, 0, 0, 0 },
    { "stos", F_FIXED, 0xaa, 0xab, 0, IMM_NO, SA, A_SOLO | A_STR, 0, 0, 0, 0 },
    { "lods", F_FIXED, 0xac, 0xad, 0, IMM_NO, SA, A_SOLO | A_STR, 0, 0, 0, 0 },
    { "cmps", F_FIXED, 0xa6, 0xa7, 0, IMM_NO, SA, A_SOLO | A_STR, 0, ALL, 0, 0 },
    { "scas", F_FIXED, 0xae, 0xaf, 0, IMM_NO, SA, A_SOLO | A_STR, 0, ALL, 0, 0 },
};

#define NTMPLS ((int)(sizeof(tmpls) / sizeof(tmpls[0])))

int diff_ntmpls(void)
{
    return NTMPLS;
}

const char *diff_tmpl_name(int t)
{
    return tmpls[t].name;
}

unsigned diff_tmpl_feat(int t)
{
    return tmpls[t].feat;
}

bool diff_tmpl_in_mode(int t, int mode)
{
    if (mode == 64) {
        return !(tmpls[t].attr & A_ONLY32);
    }
    return !(tmpls[t].attr & A_ONLY64);
}

/* ---- random numbers and edge values ---- */

uint64_t diff_rand(DiffRng *r)
{
    /* xorshift64*: deterministic for a given seed, on every host */
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static unsigned rnd(DiffRng *r, unsigned n)
{
    return (unsigned)(diff_rand(r) % n);
}

static uint64_t edge_value(DiffRng *r)
{
    static const uint64_t edges[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
        0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull,
        0x8000000000000001ull, 0x0f0f0f0f0f0f0f0full, 0xa5a5a5a5a5a5a5a5ull,
    };
    switch (rnd(r, 4)) {
    case 0:
        return edges[rnd(r, sizeof(edges) / sizeof(edges[0]))];
    case 1: {
        /* an edge in the low part, random bits above: tests truncation. One
         * random draw per statement: C leaves the order of operands
         * unspecified, and the cases must not depend on the compiler. */
        uint64_t hi = diff_rand(r) << 32;
        return hi | (edges[rnd(r, 14)] & 0xffffffff);
    }
    case 2: {
        uint64_t v = diff_rand(r);
        return v >> rnd(r, 64);
    }
    default:
        return diff_rand(r);
    }
}

static const uint8_t count_values[] = { 0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64,
                                        65, 0xff };

static uint8_t count_value(DiffRng *r)
{
    if (rnd(r, 4) == 0) {
        return (uint8_t)diff_rand(r);
    }
    return count_values[rnd(r, sizeof(count_values))];
}

/* ---- encoding ---- */

typedef struct Enc {
    uint8_t *p;
    int len;
} Enc;

static void emit(Enc *e, uint8_t b)
{
    e->p[e->len++] = b;
}

static void emit_imm(Enc *e, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        emit(e, (uint8_t)(v >> (8 * i)));
    }
}

/* Registers an instruction may write or read as a plain operand: never RSP or
 * RBP (memory bases), and with REX no SPL/BPL (same registers). Without REX a
 * byte register 4-7 is AH, CH, DH, BH. */
static int pick_reg(DiffRng *r, int mode, bool byte_no_rex, bool rex)
{
    if (byte_no_rex) {
        return rnd(r, 8);
    }
    static const int regs[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    int n = (mode == 64 && rex) ? 14 : 6;
    return regs[rnd(r, n)];
}

static int size_bytes(int s)
{
    return s == S8 ? 1 : s == S16 ? 2 : s == S32 ? 4 : 8;
}

static int pick_size(DiffRng *r, uint8_t sizes, int mode)
{
    if (mode != 64) {
        sizes &= ~S64;
    }
    int n = 0, list[4];
    for (int b = 0; b < 4; b++) {
        if (sizes & (1 << b)) {
            list[n++] = 1 << b;
        }
    }
    return n ? list[rnd(r, n)] : 0;
}

/* Memory operand (mod != 3) through RBP, RSP or an absolute / RIP-relative
 * address inside DIFF_MEM; `need` bytes must stay inside it. Writes ModRM
 * (with reg field `reg`), SIB and displacement; RIP-relative displacements
 * are fixed up by the caller once the instruction's length is known. */
typedef struct MemOp {
    uint32_t addr;              /* DIFF_MEM offset the operand designates */
    int rip_disp_at;            /* offset of a RIP-relative disp32, or -1 */
} MemOp;

static void emit_mem(Enc *e, DiffRng *r, int mode, int reg, int need, MemOp *m)
{
    int lo, hi;
    m->rip_disp_at = -1;
    switch (rnd(r, mode == 64 ? 5 : 4)) {
    case 0:     /* [rbp + disp8] */
        lo = -0x60;
        hi = 0x7f;
        m->addr = 0x60 + lo + rnd(r, hi - lo + 1);
        if (m->addr + need > DIFF_MEM_SIZE) {
            m->addr = DIFF_MEM_SIZE - need;
        }
        emit(e, (uint8_t)(0x40 | (reg & 7) << 3 | 5));
        emit(e, (uint8_t)(m->addr - 0x60));
        break;
    case 1:     /* [rbp + disp32] */
        m->addr = rnd(r, DIFF_MEM_SIZE - need + 1);
        emit(e, (uint8_t)(0x80 | (reg & 7) << 3 | 5));
        emit_imm(e, (uint64_t)(int64_t)((int)m->addr - 0x60), 4);
        break;
    case 2:     /* [rsp + disp8] through a SIB byte */
        m->addr = 0x60 + rnd(r, 0xe0 - 0x60 + 1);
        if (m->addr + need > DIFF_MEM_SIZE) {
            m->addr = DIFF_MEM_SIZE - need;
        }
        emit(e, (uint8_t)(0x40 | (reg & 7) << 3 | 4));
        emit(e, 0x24);
        emit(e, (uint8_t)(m->addr - 0xe0));
        break;
    case 3:     /* [disp32], SIB with no base and no index */
        m->addr = rnd(r, DIFF_MEM_SIZE - need + 1);
        emit(e, (uint8_t)((reg & 7) << 3 | 4));
        emit(e, 0x25);
        emit_imm(e, DIFF_MEM + m->addr, 4);
        break;
    default:    /* [rip + disp32] (64-bit mode only) */
        m->addr = rnd(r, DIFF_MEM_SIZE - need + 1);
        emit(e, (uint8_t)((reg & 7) << 3 | 5));
        m->rip_disp_at = e->len;
        emit_imm(e, 0, 4);
        break;
    }
}

/* code_off: where the case's code (e->p[0]) lies in the blob */
static void fix_rip(Enc *e, const MemOp *m, int code_off)
{
    if (m->rip_disp_at < 0) {
        return;
    }
    int64_t next = DIFF_CODE + code_off + e->len;
    emit_imm(&(Enc){ e->p + m->rip_disp_at, 0 }, (uint64_t)(DIFF_MEM + m->addr - next), 4);
}

/* May this template take a LOCK prefix with a memory destination (SDM Vol 2A
 * LOCK: ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B DEC INC NEG NOT OR SBB SUB
 * XOR XADD XCHG)? */
static bool lockable(const Tmpl *t)
{
    uint8_t op = t->opv ? t->opv : t->op8;
    if (t->form != F_MODRM) {
        return false;
    }
    if (t->attr & A_0F) {
        return op == 0xc1 || op == 0xb1 || op == 0xc7 || op == 0xab || op == 0xb3 ||
               op == 0xbb || (op == 0xba && t->ext >= 5);
    }
    if (op <= 0x31) {
        return (op & 7) <= 1 && op != 0x39;
    }
    switch (op) {
    case 0x81:
    case 0x83:
        return t->ext != 7;
    case 0xf7:
        return t->ext == 2 || t->ext == 3;
    case 0xff:
        return t->ext <= 1;
    case 0x87:
        return true;
    default:
        return false;
    }
}

static uint16_t cc_reads(int cc)
{
    static const uint16_t rd[8] = { OF, CF, ZF, CF | ZF, SF, PF, SF | OF, SF | OF | ZF };
    return rd[(cc >> 1) & 7];
}

static uint64_t imm_for(DiffRng *r, int bytes)
{
    uint64_t v = edge_value(r);
    if (rnd(r, 3) == 0) {
        v = (uint64_t)(int64_t)(int8_t)rnd(r, 256);
    }
    return v & (bytes == 8 ? ~0ull : ((1ull << (8 * bytes)) - 1));
}

/*
 * Encode one instruction of template t at blob offset blob_off into e; fill in
 * *in its description. `setup` (solo templates) may prepare start registers.
 */
static void encode(const Tmpl *t, int ti, DiffRng *r, int mode, Enc *e, int blob_off,
                   DiffInsn *in, uint64_t *regs)
{
    int s = pick_size(r, t->sizes, mode);
    bool rex = mode == 64 && (s == S64 || rnd(r, 2));
    bool byte_no_rex = s == S8 && !rex;
    int start = e->len;
    memset(in, 0, sizeof(*in));
    in->tmpl = ti;
    in->size = size_bytes(s);
    in->rm_reg = -1;
    in->reg = -1;
    in->cc = (t->attr & A_CC) ? (int)rnd(r, 16) : -1;

    if (t->attr & A_STR) {
        int rep = rnd(r, 3);    /* none, REP (F3), REPNE (F2: only for CMPS/SCAS) */
        bool cmp = t->op8 == 0xa6 || t->op8 == 0xae;
        bool down = rnd(r, 4) == 0;
        /* 67 in 64-bit mode: ESI, EDI, ECX only; the upper halves are junk */
        bool a32 = mode == 64 && rnd(r, 4) == 0;
        uint64_t junk = a32 ? diff_rand(r) << 32 : 0;
        regs[1] = (rep ? rnd(r, 9) : edge_value(r)) | junk;
        regs[6] = DIFF_MEM + 0x40 + rnd(r, 0x11);
        regs[6] |= a32 ? diff_rand(r) << 32 : 0;
        regs[7] = DIFF_MEM + 0x80 + rnd(r, 0x11);
        regs[7] |= a32 ? diff_rand(r) << 32 : 0;
        if (down) {
            emit(e, 0xfd);  /* STD; the epilogue's PUSHF records DF, then CLD */
        }
        if (a32) {
            emit(e, 0x67);
        }
        if (s == S16) {
            emit(e, 0x66);
        }
        if (rep == 1 || (rep == 2 && !cmp)) {
            emit(e, 0xf3);
        } else if (rep == 2) {
            emit(e, 0xf2);
        }
        if (s == S64) {
            emit(e, 0x48);
        }
        emit(e, s == S8 ? t->op8 : t->opv);
        in->len = e->len - start;
        return;
    }

    switch (t->form) {
    case F_FIXED:
        if (s == S16 && t->opv) {
            emit(e, 0x66);
        } else if (s == S64) {
            emit(e, 0x48);
        }
        emit(e, t->op8 ? t->op8 : t->opv);
        if (t->imm == IMM_8) {
            uint8_t v = (uint8_t)(rnd(r, 2) ? 10 : diff_rand(r));
            emit(e, v);
        }
        break;
    case F_ACC_IMM:
        if (s == S16) {
            emit(e, 0x66);
        } else if (s == S64) {
            emit(e, 0x48);
        }
        emit(e, s == S8 ? t->op8 : t->opv);
        emit_imm(e, imm_for(r, 8), s == S64 ? 4 : size_bytes(s));
        break;
    case F_OPREG:
    case F_MOV_IMM: {
        int reg = pick_reg(r, mode, byte_no_rex, rex);
        if (s == S16) {
            emit(e, 0x66);
        }
        if (rex) {
            emit(e, (uint8_t)(0x40 | (s == S64 ? 8 : 0) | (reg >> 3)));
        }
        if (t->attr & A_0F) {
            emit(e, 0x0f);
        }
        emit(e, (uint8_t)((s == S8 ? t->op8 : t->opv) + (reg & 7)));
        in->reg = reg;
        if (t->form == F_MOV_IMM) {
            emit_imm(e, imm_for(r, 8), size_bytes(s));
        }
        break;
    }
    case F_JCC: {
        int reg = pick_reg(r, mode, false, rex);
        uint8_t add[4];
        int n = 0;
        if (rex) {
            add[n++] = (uint8_t)(0x48 | (reg >> 3));
        }
        add[n++] = 0x83;
        add[n++] = (uint8_t)(0xc0 | (reg & 7));
        add[n++] = (uint8_t)diff_rand(r);
        if (t->attr & A_0F) {
            emit(e, 0x0f);
            emit(e, (uint8_t)(t->op8 + in->cc));
            emit_imm(e, (uint64_t)n, 4);
        } else {
            emit(e, (uint8_t)(t->op8 + in->cc));
            emit(e, (uint8_t)n);
        }
        for (int i = 0; i < n; i++) {
            emit(e, add[i]);
        }
        in->reg = reg;
        break;
    }
    case F_POPF: {
        uint32_t fl = (uint32_t)(diff_rand(r) & (ALL | DIFF_DF)) | 2;
        emit(e, 0x68);
        emit_imm(e, fl, 4);
        emit(e, 0x9d);
        break;
    }
    case F_PUSHPOP: {
        int a = pick_reg(r, mode, false, rex), b = pick_reg(r, mode, false, rex);
        if (s == S16) {
            emit(e, 0x66);
        }
        if (t->op8) {
            /* PUSH imm8 (sign-extended) or imm16/imm32 (sign-extended in 64-bit) */
            if (rnd(r, 2)) {
                emit(e, 0x6a);
                emit(e, (uint8_t)imm_for(r, 1));
            } else {
                emit(e, 0x68);
                emit_imm(e, imm_for(r, 8), s == S16 ? 2 : 4);
            }
        } else {
            if (a >= 8) {
                emit(e, 0x41);
            }
            emit(e, (uint8_t)(0x50 + (a & 7)));
        }
        if (s == S16) {
            emit(e, 0x66);
        }
        if (b >= 8) {
            emit(e, 0x41);
        }
        emit(e, (uint8_t)(0x58 + (b & 7)));
        in->reg = b;
        break;
    }
    case F_CALLPOP: {
        int reg = pick_reg(r, mode, false, rex);
        emit(e, 0xe8);
        emit_imm(e, 0, 4);
        if (reg >= 8) {
            emit(e, 0x41);
        }
        emit(e, (uint8_t)(0x58 + (reg & 7)));
        in->reg = reg;
        break;
    }
    case F_LOOP: {
        int reg = pick_reg(r, mode, false, rex);
        in->op = t->op8;
        in->addr32 = mode == 64 && rnd(r, 4) == 0;
        in->size = mode == 64 ? 8 : 4;      /* the count register's width */
        uint8_t add[4];
        int n = 0;
        if (rex) {
            add[n++] = (uint8_t)(0x48 | (reg >> 3));
        }
        add[n++] = 0x83;
        add[n++] = (uint8_t)(0xc0 | (reg & 7));
        add[n++] = (uint8_t)diff_rand(r);
        if (in->addr32) {
            emit(e, 0x67);
        }
        emit(e, t->op8);
        emit(e, (uint8_t)n);
        for (int i = 0; i < n; i++) {
            emit(e, add[i]);
        }
        if (rnd(r, 2)) {
            uint64_t junk = diff_rand(r) & ~0xffffffffull;
            junk &= -(uint64_t)rnd(r, 2);
            regs[1] = rnd(r, 3) | junk;
        }
        in->reg = reg;
        break;
    }
    case F_ENTERLEAVE:
        emit(e, 0xc8);
        emit_imm(e, rnd(r, 0x41), 2);
        emit(e, (uint8_t)(t->op8 ? 1 + rnd(r, 3) : 0));     /* nesting level */
        emit(e, 0xc9);
        break;
    case F_PUSHPOPM: {
        /* PUSH/POP m: 64-bit or 16-bit in 64-bit mode, 32 or 16 otherwise */
        int bytes = s == S16 ? 2 : mode == 64 ? 8 : 4;
        MemOp m1, m2;
        if (s == S16) {
            emit(e, 0x66);
        }
        emit(e, 0xff);
        emit_mem(e, r, mode, 6, bytes, &m1);
        fix_rip(e, &m1, blob_off - start);
        if (s == S16) {
            emit(e, 0x66);
        }
        emit(e, 0x8f);
        emit_mem(e, r, mode, 0, bytes, &m2);
        fix_rip(e, &m2, blob_off - start);
        break;
    }
    case F_XLAT:
        regs[3] = DIFF_MEM;
        if (mode == 64 && rnd(r, 2)) {
            emit(e, 0x48);
        }
        emit(e, 0xd7);
        break;
    case F_MOFFS: {
        /* the address is 8 bytes in 64-bit mode, 4 in 32-bit mode */
        uint32_t addr = DIFF_MEM + rnd(r, DIFF_MEM_SIZE - size_bytes(s) + 1);
        if (s == S16) {
            emit(e, 0x66);
        } else if (s == S64) {
            emit(e, 0x48);
        }
        emit(e, s == S8 ? t->op8 : t->opv);
        emit_imm(e, addr, mode == 64 ? 8 : 4);
        break;
    }
    case F_LEA: {
        if (mode == 32 && rnd(r, 3) == 0) {
            /* 16-bit addressing (67 prefix): BX/BP + SI/DI + disp, wraps at 64K */
            int reg = pick_reg(r, mode, false, false);
            int mod = rnd(r, 3), rm = rnd(r, 8);
            if (s == S16) {
                emit(e, 0x66);
            }
            emit(e, 0x67);
            emit(e, 0x8d);
            emit(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | rm));
            if (mod == 1) {
                emit(e, (uint8_t)diff_rand(r));
            } else if (mod == 2 || (mod == 0 && rm == 6)) {
                emit_imm(e, diff_rand(r), 2);
            }
            in->reg = reg;
            break;
        }
        /* any base and index (LEA reads no memory), any scale and displacement */
        int reg = pick_reg(r, mode, false, rex);
        int base = rnd(r, mode == 64 ? 16 : 8), index = rnd(r, mode == 64 ? 16 : 8);
        bool addr32 = mode == 64 && rnd(r, 4) == 0;
        if (s == S16) {
            emit(e, 0x66);
        }
        if (addr32) {
            emit(e, 0x67);
        }
        if (mode == 64) {
            emit(e, (uint8_t)(0x40 | (s == S64 ? 8 : 0) | (reg >> 3) << 2 |
                              (index >> 3) << 1 | (base >> 3)));
        }
        emit(e, 0x8d);
        int mod = rnd(r, 3);
        int form = rnd(r, 3);   /* plain base, SIB, disp32 only / RIP */
        MemOp m = { 0, -1 };
        if (form == 0 && (base & 7) != 4) {
            if (mod == 0 && (base & 7) == 5) {
                mod = 1;    /* mod 0 with rm 5 would mean disp32 / RIP-relative */
            }
            emit(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
        } else if (form == 2) {
            emit(e, (uint8_t)((reg & 7) << 3 | 5));
            mod = 2;    /* disp32 follows */
            if (mode == 64) {
                m.rip_disp_at = e->len;
                m.addr = rnd(r, DIFF_MEM_SIZE);
            }
        } else {
            emit(e, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
            emit(e, (uint8_t)(rnd(r, 4) << 6 | (index & 7) << 3 | (base & 7)));
            if (mod == 0 && (base & 7) == 5) {
                mod = 2;
            }
        }
        if (mod == 1) {
            emit(e, (uint8_t)diff_rand(r));
        } else if (mod == 2) {
            emit_imm(e, edge_value(r), 4);
        }
        in->reg = reg;
        fix_rip(e, &m, blob_off - start);
        break;
    }
    case F_MODRM: {
        int rm_size = (t->attr & A_RM8) ? S8 : (t->attr & A_RM16) ? S16 :
                      (t->attr & A_RM64) ? S64 : s;
        bool rm_byte_no_rex = rm_size == S8 && !rex;
        bool mem = (t->attr & A_MEM) || (!(t->attr & A_REG) && rnd(r, 2));
        int reg = t->ext != R ? t->ext : pick_reg(r, mode, byte_no_rex, rex);
        int rm = mem ? -1 : pick_reg(r, mode, rm_byte_no_rex, rex);
        if (mem && rnd(r, 8) == 0) {
            /* a segment override: all flat in 32-bit mode, ignored in 64-bit mode */
            static const uint8_t seg[] = { 0x26, 0x2e, 0x36, 0x3e };
            emit(e, seg[rnd(r, 4)]);
        }
        if (mem && lockable(t) && rnd(r, 4) == 0) {
            emit(e, 0xf0);
        }
        if (s == S16) {
            emit(e, 0x66);
        }
        if (t->attr & A_F3) {
            emit(e, 0xf3);
        }
        if (rex) {
            int rex_r = t->ext == R ? (reg >> 3) << 2 : 0;
            emit(e, (uint8_t)(0x40 | (s == S64 ? 8 : 0) | rex_r | (rm >= 8 ? 1 : 0)));
        }
        if (t->attr & A_0F) {
            emit(e, 0x0f);
        }
        uint8_t op = s == S8 ? t->op8 : t->opv;
        if (t->attr & A_CC) {
            op = (uint8_t)(op + in->cc);
        }
        emit(e, op);
        MemOp m = { 0, -1 };
        if (mem) {
            emit_mem(e, r, mode, reg, size_bytes(rm_size), &m);
            in->mem = 1;
            in->mem_addr = m.addr;
        } else {
            emit(e, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
            in->rm_reg = rm;
        }
        in->byte_regs_high = byte_no_rex;
        if (t->ext == R) {
            in->reg = reg;
        }
        if (t->imm == IMM_8) {
            emit(e, (uint8_t)imm_for(r, 1));
        } else if (t->imm == IMM_V) {
            emit_imm(e, imm_for(r, 8), s == S64 ? 4 : size_bytes(s));
        } else if (t->imm == IMM_COUNT) {
            in->count = count_value(r);
            in->has_count = true;
            emit(e, in->count);
        }
        if ((t->op8 == 0xd0 || t->opv == 0xd1) && !(t->attr & A_0F)) {
            in->count = 1;
            in->has_count = true;
        }
        fix_rip(e, &m, blob_off - start);
        if (t->attr & A_DIV) {
            /* Dividend high half: zero or the sign of the low half, mostly,
             * so that the quotient fits; a case that still faults on the
             * host is dropped by the caller. */
            int k = rnd(r, 3);
            uint64_t lo = regs[0];
            uint64_t sign = (lo >> (8 * size_bytes(s) - 1)) & 1;
            uint64_t hi = k == 0 ? 0 : k == 1 ? -sign : edge_value(r);
            if (s == S8) {
                regs[0] = (regs[0] & ~0xff00ull) | ((hi & 0xff) << 8);
            } else {
                regs[2] = hi;
            }
        }
        if (t->attr & A_BITOFF) {
            /* bit offset such that the byte addressed stays inside DIFF_MEM */
            int64_t lo = -(int64_t)m.addr * 8 + 64;
            int64_t hi = (int64_t)(DIFF_MEM_SIZE - m.addr) * 8 - 64;
            int64_t off = lo + (int64_t)rnd(r, (unsigned)(hi - lo));
            regs[reg] = (uint64_t)off;
        }
        break;
    }
    }
    in->len = e->len - start;
}

/* ---- flags definedness ---- */

static uint64_t reg_value(const uint64_t *regs, int reg, int size, bool byte_high)
{
    uint64_t v = regs[reg];
    if (size == 1 && byte_high && reg >= 4 && reg < 8) {
        v = regs[reg - 4] >> 8;
    }
    return size == 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static uint64_t rm_value(const DiffInsn *in, const uint64_t *regs, const uint8_t *mem)
{
    if (in->mem) {
        uint64_t v = 0;
        memcpy(&v, mem + in->mem_addr, in->size);
        return v;
    }
    return reg_value(regs, in->rm_reg, in->size, in->byte_regs_high);
}

static bool cc_true(int cc, uint64_t fl)
{
    bool c = fl & CF, z = fl & ZF, sgn = fl & SF, o = fl & OF, p = fl & PF;
    bool v;
    switch (cc >> 1) {
    case 0: v = o; break;
    case 1: v = c; break;
    case 2: v = z; break;
    case 3: v = c || z; break;
    case 4: v = sgn; break;
    case 5: v = p; break;
    case 6: v = sgn != o; break;
    default: v = z || sgn != o; break;
    }
    return (cc & 1) ? !v : v;
}

/*
 * What instruction `in` does to flags given the state before it: flags read,
 * written with defined values, written undefined; whether its destination
 * register or memory is undefined.
 */
void diff_insn_effect(const DiffInsn *in, const uint64_t *pre, const uint8_t *pre_mem,
                      bool amd_host, DiffEffect *eff)
{
    const Tmpl *t = &tmpls[in->tmpl];
    int bits = in->size * 8;
    eff->rd = t->rd;
    eff->wd = t->wd;
    eff->wu = t->wu;
    eff->dest_undef = false;
    eff->dest_reg = -1;
    if (in->cc >= 0) {
        eff->rd |= cc_reads(in->cc);
    }
    unsigned count = in->has_count ? in->count : (unsigned)(pre[1] & 0xff);
    unsigned masked = count & (bits == 64 ? 0x3f : 0x1f);
    switch (t->dyn) {
    case DYN_SHIFT:
        if (masked) {
            eff->wd = CF | PF | ZF | SF | (masked == 1 ? OF : 0);
            eff->wu = AF | (masked > 1 ? OF : 0);
            if (t->ext != 7 && masked >= (unsigned)bits) {
                eff->wd &= ~CF;
                eff->wu |= CF;
            }
        }
        break;
    case DYN_ROT:
    case DYN_RCX:
        if (masked) {
            eff->wd = CF | (masked == 1 ? OF : 0);
            eff->wu = masked > 1 ? OF : 0;
        }
        break;
    case DYN_SHXD:
        if (masked > (unsigned)bits) {
            eff->wd = 0;
            eff->wu = ALL;
            eff->dest_undef = true;     /* SHLD/SHRD write r/m */
            eff->dest_reg = in->mem ? -1 : in->rm_reg;
        } else if (masked) {
            eff->wd = CF | PF | ZF | SF | (masked == 1 ? OF : 0);
            eff->wu = AF | (masked > 1 ? OF : 0);
        }
        break;
    case DYN_BSX:
        if (rm_value(in, pre, pre_mem) == 0) {
            eff->dest_undef = true;     /* BSF/BSR write the reg operand */
            eff->dest_reg = in->reg;
        }
        break;
    case DYN_JCC:
        if (!cc_true(in->cc, pre[DIFF_RFLAGS])) {
            eff->wd = ALL;      /* the ADD runs */
        }
        break;
    case DYN_CMPXCHG:
        /* A 32-bit CMPXCHG to a register that fails, in 64-bit mode: Intel's
         * SDM writes the destination back (zero-extending it into bits 63:32),
         * AMD's APM (and AMD hardware) leaves it alone. bt86 reports
         * GenuineIntel; on an AMD host the destination is not compared. */
        if (amd_host && in->size == 4 && !in->mem && in->rm_reg >= 0 &&
            (pre[0] & 0xffffffff) != reg_value(pre, in->rm_reg, 4, false)) {
            eff->dest_undef = true;
            eff->dest_reg = in->rm_reg;
        }
        break;
    case DYN_LOOP: {
        /* SDM Vol 2A LOOPcc, JrCXZ: the count register is RCX, or ECX with
         * a 67 prefix / in 32-bit mode; LOOPcc decrements it first. */
        uint64_t c = pre[1];
        if (in->addr32 || in->size != 8) {
            c &= 0xffffffff;
        }
        bool z = pre[DIFF_RFLAGS] & ZF, taken;
        if (in->op == 0xe3) {
            taken = c == 0;
        } else {
            c = (c - 1) & ((in->addr32 || in->size != 8) ? 0xffffffffull : ~0ull);
            taken = c != 0 && (in->op == 0xe2 || (in->op == 0xe1 ? z : !z));
        }
        if (!taken) {
            eff->wd = ALL;
        }
        break;
    }
    }
}

/* ---- cases ---- */

static void random_start(DiffRng *r, int mode, uint64_t *regs, uint8_t *mem)
{
    for (int i = 0; i < 16; i++) {
        regs[i] = edge_value(r);
        if (mode != 64) {
            regs[i] &= 0xffffffff;
        }
    }
    regs[4] = DIFF_MEM + 0xe0;
    regs[5] = DIFF_MEM + 0x60;
    regs[DIFF_RFLAGS] = (diff_rand(r) & ALL) | 2;
    for (int i = 0; i < DIFF_MEM_SIZE; i += 8) {
        uint64_t v = edge_value(r);
        memcpy(mem + i, &v, 8);
    }
}

int diff_pick_tmpl(DiffRng *r, int mode, bool solo_ok, const bool *exclude)
{
    for (;;) {
        int t = rnd(r, NTMPLS);
        if (!diff_tmpl_in_mode(t, mode) || (!solo_ok && (tmpls[t].attr & A_SOLO)) ||
            (exclude && exclude[t])) {
            continue;
        }
        return t;
    }
}

/*
 * A case built around template `primary`: alone, or among up to three random
 * non-solo instructions (none from `no_filler`: known failures stay in their
 * own cases). Returns the number of instructions.
 */
int diff_make_case(DiffRng *r, int mode, int primary, int prologue_len,
                   const bool *no_filler, DiffGenCase *gc)
{
    memset(gc, 0, sizeof(*gc));
    random_start(r, mode, gc->in, gc->mem_in);
    int seq[4], n = 0;
    if ((tmpls[primary].attr & A_SOLO) || rnd(r, 3) == 0) {
        seq[n++] = primary;
    } else {
        int before = rnd(r, 3), after = rnd(r, 2);
        for (int i = 0; i < before; i++) {
            seq[n++] = diff_pick_tmpl(r, mode, false, no_filler);
        }
        seq[n++] = primary;
        for (int i = 0; i < after; i++) {
            seq[n++] = diff_pick_tmpl(r, mode, false, no_filler);
        }
    }
    Enc e = { gc->code, 0 };
    for (int i = 0; i < n; i++) {
        gc->insn_off[i] = e.len;
        encode(&tmpls[seq[i]], seq[i], r, mode, &e, prologue_len + e.len, &gc->insns[i],
               gc->in);
    }
    gc->ninsns = n;
    gc->code_len = e.len;
    gc->primary = primary;
    gc->feat = tmpls[primary].feat;
    if (mode != 64) {
        for (int i = 0; i < 16; i++) {
            gc->in[i] &= 0xffffffff;
        }
    }
    return n;
}

/* ---- directed cases ----
 *
 * The carry, overflow and sign boundaries of every operand size, crossed: for
 * the two-operand ALU forms (op rAX, rDX) both operands, with CF clear and
 * set; for the shifts and rotates by CL the value against counts around the
 * operand width; for the multiplies and divides both factors (rAX and rDX or
 * rBX; a dividend's high half is zero or the sign of the low half, and the
 * divisor is never 0 nor -1 under the most negative dividend, so nothing
 * faults). Bits above the operand size hold a fixed pattern, so a result that
 * fails to merge into (or zero-extend) the register shows.
 */

#define DIRECTED_JUNK 0x5aa5c33c96699669ull
#define N_EDGES 6
#define N_COUNTS 8

enum { DIR_ALU, DIR_SHIFT, DIR_MUL2, DIR_MUL1, DIR_DIV };

static const struct {
    const char *tmpl;
    int kind;
    int min_size;           /* 0: 8-bit .. 3: 64-bit */
} directed[] = {
    { "add r/m,r", DIR_ALU, 0 }, { "or r/m,r", DIR_ALU, 0 }, { "adc r/m,r", DIR_ALU, 0 },
    { "sbb r/m,r", DIR_ALU, 0 }, { "and r/m,r", DIR_ALU, 0 }, { "sub r/m,r", DIR_ALU, 0 },
    { "xor r/m,r", DIR_ALU, 0 }, { "cmp r/m,r", DIR_ALU, 0 },
    { "rol r/m,cl", DIR_SHIFT, 0 }, { "ror r/m,cl", DIR_SHIFT, 0 },
    { "rcl r/m,cl", DIR_SHIFT, 0 }, { "rcr r/m,cl", DIR_SHIFT, 0 },
    { "shl r/m,cl", DIR_SHIFT, 0 }, { "shr r/m,cl", DIR_SHIFT, 0 },
    { "sar r/m,cl", DIR_SHIFT, 0 },
    { "imul r,r/m", DIR_MUL2, 1 }, { "mul r/m", DIR_MUL1, 0 }, { "imul r/m", DIR_MUL1, 0 },
    { "div r/m", DIR_DIV, 0 }, { "idiv r/m", DIR_DIV, 0 },
};

static uint64_t directed_edge(int bits, int i)
{
    uint64_t top = 1ull << (bits - 1);
    uint64_t all = bits == 64 ? ~0ull : (1ull << bits) - 1;
    uint64_t v[N_EDGES] = { 0, 1, top - 1, top, all, top + 1 };
    return v[i];
}

static int find_tmpl(const char *name)
{
    for (int t = 0; t < NTMPLS; t++) {
        if (!strcmp(tmpls[t].name, name)) {
            return t;
        }
    }
    return -1;
}

/*
 * Directed case k of this mode into *gc; false once k is past the last one.
 */
bool diff_make_directed(int mode, int k, DiffGenCase *gc)
{
    int nsizes = mode == 64 ? 4 : 3;
    int d = 0;
    for (;; d++) {
        if (d == (int)(sizeof(directed) / sizeof(directed[0]))) {
            return false;
        }
        int nb = directed[d].kind == DIR_SHIFT ? N_COUNTS : N_EDGES;
        int count = (nsizes - directed[d].min_size) * N_EDGES * nb * 2;
        if (k < count) {
            break;
        }
        k -= count;
    }
    int kind = directed[d].kind;
    memset(gc, 0, sizeof(*gc));
    for (int i = 0; i < 16; i++) {
        gc->in[i] = DIRECTED_JUNK;
    }
    gc->in[4] = DIFF_MEM + 0xe0;
    gc->in[5] = DIFF_MEM + 0x60;
    gc->in[DIFF_RFLAGS] = 2 | (k & 1 ? CF : 0);
    k >>= 1;
    int nb = kind == DIR_SHIFT ? N_COUNTS : N_EDGES;
    int b = k % nb;
    k /= nb;
    int a = k % N_EDGES;
    k /= N_EDGES;
    int bits = 8 << (directed[d].min_size + k);
    int t = find_tmpl(directed[d].tmpl);
    const Tmpl *tm = &tmpls[t];
    uint64_t keep = bits == 64 ? 0 : ~((1ull << bits) - 1);
    uint64_t av = directed_edge(bits, a), bv = directed_edge(bits, b);
    int rm = 0, reg = tm->ext;
    gc->in[0] = (gc->in[0] & keep) | av;
    switch (kind) {
    case DIR_ALU:
        reg = 2;
        gc->in[2] = (gc->in[2] & keep) | bv;
        break;
    case DIR_SHIFT: {
        static const int counts[N_COUNTS] = { 0, 1, 2, -1, 0, 1, 31, 33 };
        /* entries 3-5: width - 1, width, width + 1 */
        int c = b >= 3 && b <= 5 ? bits + counts[b] : counts[b];
        gc->in[1] = (gc->in[1] & ~0xffull) | (uint8_t)c;
        break;
    }
    case DIR_MUL2:
        reg = 0;        /* imul rAX, rDX */
        rm = 2;
        gc->in[2] = (gc->in[2] & keep) | bv;
        break;
    case DIR_MUL1:
    case DIR_DIV: {
        rm = 3;         /* rDX:rAX (AX) by rBX (BL) */
        bool idiv = tm->ext == 7;
        if (kind == DIR_DIV && bv == 0) {
            bv = 3;
        }
        if (kind == DIR_DIV && idiv && b == 4 && a == 3) {
            bv = 1;     /* most negative / -1 does not fit */
        }
        gc->in[3] = (gc->in[3] & keep) | bv;
        if (kind == DIR_DIV) {
            uint64_t hi = idiv && (av >> (bits - 1)) ? ~0ull : 0;
            if (bits == 8) {
                gc->in[0] = (gc->in[0] & ~0xffffull) | (hi & 0xff) << 8 | av;
            } else {
                gc->in[2] = (gc->in[2] & keep) | (hi & ~keep);
            }
        }
        break;
    }
    }
    if (mode != 64) {
        for (int i = 0; i < 16; i++) {
            gc->in[i] &= 0xffffffff;
        }
    }
    int n = 0;
    if (bits == 16) {
        gc->code[n++] = 0x66;
    } else if (bits == 64) {
        gc->code[n++] = 0x48;
    }
    if (tm->attr & A_0F) {
        gc->code[n++] = 0x0f;
    }
    gc->code[n++] = bits == 8 ? tm->op8 : tm->opv;
    gc->code[n++] = (uint8_t)(0xc0 | (reg & 7) << 3 | rm);
    DiffInsn *in = &gc->insns[0];
    in->tmpl = t;
    in->len = n;
    in->size = bits / 8;
    in->reg = tm->ext == R ? reg : -1;
    in->rm_reg = rm;
    in->cc = -1;
    gc->ninsns = 1;
    gc->code_len = n;
    gc->primary = t;
    for (int i = 0; i < DIFF_MEM_SIZE; i++) {
        gc->mem_in[i] = (uint8_t)(i * 37 + 11);
    }
    return true;
}
