/*
 * diff-gen.h: the case generator of the differential harness (diff-insns.c),
 * as test-diff.c uses it.
 */
#ifndef TESTS_DIFF_DIFF_GEN_H
#define TESTS_DIFF_DIFF_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include "diff.h"

#define DIFF_MAX_INSNS 4

typedef struct DiffRng {
    uint64_t s;
} DiffRng;

/* One generated instruction, as far as its flag definedness needs to know. */
typedef struct DiffInsn {
    int tmpl;
    int len;
    int size;               /* operand size in bytes */
    int reg;                /* register written (ModRM reg, opcode reg) or -1 */
    int rm_reg;             /* ModRM r/m register, or -1 */
    bool mem;               /* r/m is memory at DIFF_MEM + mem_addr */
    uint32_t mem_addr;
    bool byte_regs_high;    /* byte registers 4-7 are AH..BH */
    int cc;                 /* condition code, or -1 */
    uint8_t op;             /* LOOP family: the opcode */
    bool addr32;            /* LOOP family: 67 prefix (ECX in 64-bit mode) */
    bool has_count;         /* shift count known statically */
    uint8_t count;
} DiffInsn;

typedef struct DiffEffect {
    uint16_t rd, wd, wu;    /* flags read / written defined / written undefined */
    bool dest_undef;        /* the destination's value is undefined: */
    int dest_reg;           /* this register, or memory when -1 */
} DiffEffect;

typedef struct DiffGenCase {
    int primary;
    unsigned feat;          /* DIFF_FEAT_* the case needs */
    int ninsns;
    DiffInsn insns[DIFF_MAX_INSNS];
    int insn_off[DIFF_MAX_INSNS];
    int code_len;
    uint8_t code[DIFF_MAX_CODE];
    uint64_t in[DIFF_NREGS];
    uint8_t mem_in[DIFF_MEM_SIZE];
} DiffGenCase;

uint64_t diff_rand(DiffRng *r);
int diff_ntmpls(void);
const char *diff_tmpl_name(int t);
unsigned diff_tmpl_feat(int t);
bool diff_tmpl_in_mode(int t, int mode);
int diff_pick_tmpl(DiffRng *r, int mode, bool solo_ok, const bool *exclude);
int diff_make_case(DiffRng *r, int mode, int primary, int prologue_len,
                   const bool *no_filler, DiffGenCase *gc);
bool diff_make_directed(int mode, int k, DiffGenCase *gc);
void diff_insn_effect(const DiffInsn *in, const uint64_t *pre, const uint8_t *pre_mem,
                      bool amd_host, DiffEffect *eff);

#endif
