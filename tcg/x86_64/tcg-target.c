/*
 * tcg-target.c: the native x86-64 backend: register allocator, per-op
 * constraint table, instruction encoder, softmmu fast path, prologue.
 *
 * Encodings follow the Intel SDM Vol 2 (instruction reference, ModRM/SIB/REX
 * in §2.1-2.2). Calls follow the System V AMD64 ABI (§3.2: integer args in
 * rdi, rsi, rdx, rcx, r8, r9; rbx, rbp, r12-r15 callee-saved; rsp 16-byte
 * aligned at a call).
 *
 * Register roles: r14 holds env for the whole block; r10 and r11 are scratch
 * for the emitter (TLB probe, wide immediates, clz/ctz); every other register
 * except rsp is allocatable. Spill slots live in a fixed frame below the
 * saved registers, addressed from rsp.
 *
 * The allocator is a single forward pass. Globals stay in host registers
 * across a basic block and are written back (synced) only where the CPU state
 * must be exact: basic block end, helpers that read/write globals or may
 * raise, and guest memory accesses (whose slow path may fault).
 */
#include "tcg/tcg-internal.h"
#include <cpuid.h>

enum {
    R_RAX, R_RCX, R_RDX, R_RBX, R_RSP, R_RBP, R_RSI, R_RDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
};

#define TCG_AREG0   R_R14
#define TCG_TMP0    R_R11
#define TCG_TMP1    R_R10
#define RMASK(r)    (1u << (r))
#define ALLOC_REGS  (0xffffu & ~(RMASK(R_RSP) | RMASK(R_R10) | RMASK(R_R11) | RMASK(R_R14)))
#define CALL_CLOBBERED (RMASK(R_RAX) | RMASK(R_RCX) | RMASK(R_RDX) | RMASK(R_RSI) | \
                        RMASK(R_RDI) | RMASK(R_R8) | RMASK(R_R9))

/* Callee-saved first: values there survive helper calls. */
static const int8_t alloc_order[] = {
    R_RBX, R_RBP, R_R12, R_R13, R_R15, R_RSI, R_RDI, R_R8, R_R9, R_RCX, R_RDX, R_RAX,
};
static const int8_t call_arg_regs[6] = { R_RDI, R_RSI, R_RDX, R_RCX, R_R8, R_R9 };

#define FRAME_SLOTS 1024
/* 6 pushes + return address = 56; frame keeps rsp 16-byte aligned at calls. */
#define FRAME_SIZE  (FRAME_SLOTS * 8 + 8)
#define CODE_MARGIN 4096    /* never start an op with less room than this */

typedef struct X86State {
    int reg_to_temp[16];
    uint32_t locked;        /* registers in use by the op being emitted */
    bool overflow;          /* code buffer or frame exhausted */
    bool have_lzcnt;
    bool have_bmi2;         /* RORX: the TLB index without a copy */
    /*
     * Read-modify-write: a guest load whose address is stored to again by a
     * later op of the same instruction probes the TLB for writing; its fast
     * path leaves the host address in TCG_TMP0 (its slow path leaves 0), and
     * the paired store (op index rmw_st) only tests that.
     */
    int cur_op;
    int rmw_st;
    int locals[32];         /* indexes of TEMP_LOCAL temps of this block */
    int nb_locals;          /* -1: more than fit, scan every temp */
    bool tmp0_clobbered;    /* TCG_TMP0 was written since the paired load */
} X86State;

static X86State *be(TCGContext *s)
{
    return s->be;
}

/* ---- Host features ------------------------------------------------------- */

bool tcg_native_available(void)
{
    unsigned a, b, c, d;

    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_POPCNT)) {
        return false;
    }
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & bit_BMI)) {
        return false;               /* tzcnt */
    }
    if (!__get_cpuid(0x80000001, &a, &b, &c, &d) || !(c & bit_LZCNT)) {
        return false;               /* lzcnt */
    }
    return true;
}

/* ---- Raw output ------------------------------------------------------------ */

static inline void out8(TCGContext *s, uint8_t v)
{
    *s->code_ptr++ = v;
}

static inline void out32(TCGContext *s, uint32_t v)
{
    memcpy(s->code_ptr, &v, 4);
    s->code_ptr += 4;
}

static inline void out64(TCGContext *s, uint64_t v)
{
    memcpy(s->code_ptr, &v, 8);
    s->code_ptr += 8;
}

/* Opcode flags for out_opc(). */
#define P_EXT     0x100     /* 0x0f escape */
#define P_REXW    0x200
#define P_DATA16  0x400
#define P_F3      0x800
#define P_REXB_R  0x1000    /* reg field names a byte register: force REX for sil.. */
#define P_REXB_RM 0x2000

static void out_opc(TCGContext *s, int opc, int r, int rm, int x)
{
    int rex = 0;

    if (opc & P_DATA16) {
        out8(s, 0x66);
    }
    if (opc & P_F3) {
        out8(s, 0xf3);
    }
    rex |= (opc & P_REXW) ? 8 : 0;
    rex |= (r & 8) >> 1;
    rex |= (x & 8) >> 2;
    rex |= (rm & 8) >> 3;
    /* Byte registers 4..7 mean ah..bh without REX, spl..dil with it. */
    if (((opc & P_REXB_R) && r >= 4) || ((opc & P_REXB_RM) && rm >= 4)) {
        rex |= 0x40;
    }
    if (rex) {
        out8(s, 0x40 | (rex & 0xf));
    }
    if (opc & P_EXT) {
        out8(s, 0x0f);
    }
    out8(s, opc & 0xff);
}

static void out_modrm(TCGContext *s, int opc, int r, int rm)
{
    out_opc(s, opc, r, rm, 0);
    out8(s, 0xc0 | ((r & 7) << 3) | (rm & 7));
}

/* [base + ofs]; rsp/r12 need a SIB byte, rbp/r13 always take a displacement. */
static void out_modrm_offset(TCGContext *s, int opc, int r, int base, int32_t ofs)
{
    int mod = (ofs == (int8_t)ofs) ? 0x40 : 0x80;

    out_opc(s, opc, r, base, 0);
    out8(s, mod | ((r & 7) << 3) | (base & 7));
    if ((base & 7) == R_RSP) {
        out8(s, 0x24);
    }
    if (mod == 0x40) {
        out8(s, ofs);
    } else {
        out32(s, ofs);
    }
}

/* opc r, [base + index] (index is never rsp: it is not allocated). */
static void out_modrm_bi(TCGContext *s, int opc, int r, int base, int index)
{
    bool disp8 = (base & 7) == 5;       /* rbp/r13 as base need a displacement */

    out_opc(s, opc, r, base, index);
    out8(s, (disp8 ? 0x44 : 0x04) | ((r & 7) << 3));
    out8(s, ((index & 7) << 3) | (base & 7));
    if (disp8) {
        out8(s, 0);
    }
}

/* lea o, [base + index] (32-bit form zero-extends). rsp is never an operand. */
static void out_lea_bi(TCGContext *s, bool is64, int o, int base, int index)
{
    int rex = (is64 ? 8 : 0) | ((o & 8) >> 1) | ((index & 8) >> 2) | ((base & 8) >> 3);
    bool disp8 = (base & 7) == 5;       /* rbp/r13 as base need a displacement */

    if (rex) {
        out8(s, 0x40 | rex);
    }
    out8(s, 0x8d);
    out8(s, (disp8 ? 0x40 : 0x00) | ((o & 7) << 3) | 4);
    out8(s, ((index & 7) << 3) | (base & 7));
    if (disp8) {
        out8(s, 0);
    }
}

/* ModRM opcode constants. */
#define OPC_ARITH_GvEv  0x03        /* add r, r/m; (ext << 3) selects the op */
#define OPC_ARITH_EvIz  0x81
#define OPC_ARITH_EvIb  0x83
#define OPC_MOVL_GvEv   0x8b
#define OPC_MOVL_EvGv   0x89
#define OPC_MOVB_EvGv   0x88
#define OPC_MOVL_EvIz   0xc7
#define OPC_MOVB_EvIb   0xc6
#define OPC_MOVZBL      (0xb6 | P_EXT)
#define OPC_MOVZWL      (0xb7 | P_EXT)
#define OPC_MOVSBL      (0xbe | P_EXT)
#define OPC_MOVSWL      (0xbf | P_EXT)
#define OPC_MOVSLQ      (0x63 | P_REXW)
#define OPC_SHIFT_1     0xd1
#define OPC_SHIFT_Ib    0xc1
#define OPC_SHIFT_cl    0xd3
#define OPC_GRP3_Ev     0xf7
#define OPC_IMUL_GvEv   (0xaf | P_EXT)
#define OPC_IMUL_GvEvIz 0x69
#define OPC_SETCC       (0x90 | P_EXT | P_REXB_RM)
#define OPC_CMOVCC      (0x40 | P_EXT)
#define OPC_JCC_long    (0x80 | P_EXT)
#define OPC_JMP_long    0xe9
#define OPC_GRP5        0xff
#define OPC_BSWAP       (0xc8 | P_EXT)
#define OPC_LZCNT       (0xbd | P_EXT | P_F3)
#define OPC_TZCNT       (0xbc | P_EXT | P_F3)
#define OPC_POPCNT      (0xb8 | P_EXT | P_F3)
#define OPC_LEA         0x8d
#define OPC_TESTL       0x85

enum { ARITH_ADD = 0, ARITH_OR = 1, ARITH_ADC = 2, ARITH_SBB = 3, ARITH_AND = 4,
       ARITH_SUB = 5, ARITH_XOR = 6, ARITH_CMP = 7 };
enum { SHIFT_ROL = 0, SHIFT_ROR = 1, SHIFT_SHL = 4, SHIFT_SHR = 5, SHIFT_SAR = 7 };
enum { EXT3_NOT = 2, EXT3_NEG = 3, EXT3_MUL = 4, EXT3_IMUL = 5 };
enum { EXT5_CALLN_Ev = 2, EXT5_JMPN_Ev = 4 };

enum { JCC_JO, JCC_JNO, JCC_JB, JCC_JAE, JCC_JE, JCC_JNE, JCC_JBE, JCC_JA,
       JCC_JS, JCC_JNS, JCC_JP, JCC_JNP, JCC_JL, JCC_JGE, JCC_JLE, JCC_JG };

static const uint8_t tcg_cond_to_jcc[TCG_COND_COUNT] = {
    [TCG_COND_EQ] = JCC_JE, [TCG_COND_NE] = JCC_JNE,
    [TCG_COND_LT] = JCC_JL, [TCG_COND_GE] = JCC_JGE,
    [TCG_COND_LE] = JCC_JLE, [TCG_COND_GT] = JCC_JG,
    [TCG_COND_LTU] = JCC_JB, [TCG_COND_GEU] = JCC_JAE,
    [TCG_COND_LEU] = JCC_JBE, [TCG_COND_GTU] = JCC_JA,
};

static inline int rexw(bool is64)
{
    return is64 ? P_REXW : 0;
}

static void out_mov(TCGContext *s, bool is64, int dst, int src)
{
    if (dst != src) {
        out_modrm(s, OPC_MOVL_GvEv | rexw(is64), dst, src);
    }
}

static void out_movi(TCGContext *s, bool is64, int reg, uint64_t v)
{
    if (!is64) {
        v = (uint32_t)v;
    }
    if (v == 0) {
        out_modrm(s, (ARITH_XOR << 3) | OPC_ARITH_GvEv, reg, reg);   /* xor r32, r32 */
    } else if (v == (uint32_t)v) {
        out_opc(s, 0xb8 + (reg & 7), 0, reg, 0);                    /* mov r32, imm32 */
        out32(s, v);
    } else if ((int64_t)v == (int32_t)v) {
        out_modrm(s, OPC_MOVL_EvIz | P_REXW, 0, reg);               /* sign-extended */
        out32(s, v);
    } else {
        out_opc(s, (0xb8 + (reg & 7)) | P_REXW, 0, reg, 0);         /* movabs */
        out64(s, v);
    }
}

static void out_ld(TCGContext *s, bool is64, int reg, int base, intptr_t ofs)
{
    out_modrm_offset(s, OPC_MOVL_GvEv | rexw(is64), reg, base, ofs);
}

static void out_st(TCGContext *s, bool is64, int reg, int base, intptr_t ofs)
{
    out_modrm_offset(s, OPC_MOVL_EvGv | rexw(is64), reg, base, ofs);
}

static void out_arithi(TCGContext *s, int ext, bool is64, int reg, int32_t v)
{
    if (v == (int8_t)v) {
        out_modrm(s, OPC_ARITH_EvIb | rexw(is64), ext, reg);
        out8(s, v);
    } else {
        out_modrm(s, OPC_ARITH_EvIz | rexw(is64), ext, reg);
        out32(s, v);
    }
}

static void out_arith(TCGContext *s, int ext, bool is64, int dst, int src)
{
    out_modrm(s, ((ext << 3) | OPC_ARITH_GvEv) | rexw(is64), dst, src);
}

static void out_shifti(TCGContext *s, int ext, bool is64, int reg, int count)
{
    if (count == 1) {
        out_modrm(s, OPC_SHIFT_1 | rexw(is64), ext, reg);
    } else {
        out_modrm(s, OPC_SHIFT_Ib | rexw(is64), ext, reg);
        out8(s, count);
    }
}

/* Forward jump whose rel32 is patched later; returns the field (rw view). */
static uint8_t *out_jcc_fwd(TCGContext *s, int jcc)
{
    if (jcc < 0) {
        out8(s, OPC_JMP_long);
    } else {
        out_opc(s, OPC_JCC_long + jcc, 0, 0, 0);
    }
    out32(s, 0);
    return s->code_ptr - 4;
}

static void patch_rel32(uint8_t *field, const uint8_t *target)
{
    int32_t rel = target - (field + 4);
    memcpy(field, &rel, 4);
}

static void out_jmp_to(TCGContext *s, int jcc, const uint8_t *target_rw)
{
    uint8_t *f = out_jcc_fwd(s, jcc);
    patch_rel32(f, target_rw);
}

static void out_call(TCGContext *s, const void *fn)
{
    /* The buffer may sit anywhere: an absolute call reaches every helper. */
    out_movi(s, true, R_RAX, (uintptr_t)fn);
    out_modrm(s, OPC_GRP5, EXT5_CALLN_Ev, R_RAX);
}

/* ---- Temp locations ---------------------------------------------------------- */

static bool temp_is64(TCGTemp *t)
{
    return t->type == TCG_TYPE_I64;
}

/* Base register and offset of a temp's memory home. */
static int temp_base(TCGTemp *t)
{
    return t->kind == TEMP_GLOBAL ? TCG_AREG0 : R_RSP;
}

static void temp_alloc_frame(TCGContext *s, TCGTemp *t)
{
    if (s->frame_next >= FRAME_SLOTS) {
        be(s)->overflow = true;
        t->mem_offset = 0;          /* garbage but in-bounds; code is discarded */
    } else {
        t->mem_offset = s->frame_next++ * 8;
    }
    t->mem_allocated = true;
}

static void store_const_to_mem(TCGContext *s, TCGTemp *t)
{
    int base = temp_base(t);
    /* Frame slots are 8 bytes; i32 globals are exactly 4. */
    bool wide = t->kind != TEMP_GLOBAL || temp_is64(t);
    uint64_t v = t->val;

    if (!wide) {
        out_modrm_offset(s, OPC_MOVL_EvIz, 0, base, t->mem_offset);
        out32(s, v);
    } else if ((int64_t)v == (int32_t)v) {
        out_modrm_offset(s, OPC_MOVL_EvIz | P_REXW, 0, base, t->mem_offset);
        out32(s, v);
    } else {
        out_movi(s, true, TCG_TMP0, v);
        out_st(s, true, TCG_TMP0, base, t->mem_offset);
        be(s)->tmp0_clobbered = true;
    }
}

/*
 * Ops check for CODE_MARGIN bytes before they start; only write-backs of
 * many temps at once (block boundaries, calls) can exceed that, so they check
 * here. On overflow the block is abandoned: keep writing inside it harmlessly.
 */
static void ensure_room(TCGContext *s)
{
    if (s->buf.rw + s->buf.size - s->code_ptr < 64) {
        be(s)->overflow = true;
        s->code_ptr = s->code_start;
    }
}

/* Make the memory home hold the current value (the register stays valid). */
static void temp_sync(TCGContext *s, TCGTemp *t)
{
    ensure_room(s);
    if (t->kind == TEMP_CONST || t->kind == TEMP_FIXED) {
        return;
    }
    if (!t->mem_allocated) {
        temp_alloc_frame(s, t);
    }
    switch (t->val_type) {
    case TEMP_VAL_REG:
        if (!t->mem_coherent) {
            bool wide = t->kind != TEMP_GLOBAL || temp_is64(t);
            out_st(s, wide, t->reg, temp_base(t), t->mem_offset);
            t->mem_coherent = true;
        }
        break;
    case TEMP_VAL_CONST:
        store_const_to_mem(s, t);
        t->val_type = TEMP_VAL_MEM;
        break;
    default:
        break;
    }
}

static void temp_free_reg(TCGContext *s, TCGTemp *t)
{
    if (t->val_type == TEMP_VAL_REG) {
        be(s)->reg_to_temp[t->reg] = -1;
    }
}

/* Sync and drop the register: the value now lives in memory only. */
static void temp_save(TCGContext *s, TCGTemp *t)
{
    if (t->kind == TEMP_CONST) {
        temp_free_reg(s, t);
        t->val_type = TEMP_VAL_CONST;
        return;
    }
    if (t->val_type == TEMP_VAL_DEAD) {
        return;
    }
    temp_sync(s, t);
    temp_free_reg(s, t);
    t->val_type = TEMP_VAL_MEM;
}

/* The value is no longer needed. */
static void temp_dead(TCGContext *s, TCGTemp *t)
{
    temp_free_reg(s, t);
    switch (t->kind) {
    case TEMP_CONST:
        t->val_type = TEMP_VAL_CONST;
        break;
    case TEMP_GLOBAL:
        /* Liveness guarantees a write comes before any read or sync point. */
        t->val_type = TEMP_VAL_MEM;
        t->mem_coherent = true;
        break;
    default:
        t->val_type = TEMP_VAL_DEAD;
        break;
    }
}

static void reg_evict(TCGContext *s, int reg)
{
    int ti = be(s)->reg_to_temp[reg];

    if (ti >= 0) {
        temp_save(s, &s->temps[ti]);
    }
}

static int reg_alloc(TCGContext *s, uint32_t allowed, uint32_t avoid)
{
    X86State *b = be(s);
    uint32_t ok = allowed & ~avoid & ~b->locked & ALLOC_REGS;

    g_assert(ok);
    for (size_t i = 0; i < ARRAY_SIZE(alloc_order); i++) {
        int r = alloc_order[i];
        if ((ok & RMASK(r)) && b->reg_to_temp[r] < 0) {
            return r;
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(alloc_order); i++) {
        int r = alloc_order[i];
        if (ok & RMASK(r)) {
            reg_evict(s, r);
            return r;
        }
    }
    g_assert_not_reached();
}

/* Put the value of t into reg (not taking ownership). */
static void temp_copy_to(TCGContext *s, TCGTemp *t, int reg, int idx)
{
    bool is64 = temp_is64(t);

    switch (t->val_type) {
    case TEMP_VAL_REG:
        out_mov(s, true, reg, t->reg);
        break;
    case TEMP_VAL_CONST:
        out_movi(s, is64, reg, t->val);
        break;
    case TEMP_VAL_MEM:
        out_ld(s, is64 || t->kind != TEMP_GLOBAL, reg, temp_base(t), t->mem_offset);
        break;
    default:
        if (t->kind == TEMP_FIXED) {
            out_mov(s, true, reg, TCG_AREG0);
        }
        /* Reading a dead temp: undefined value, nothing to load. */
        break;
    }
}

/* Ensure t is in a register of the allowed set; t owns it afterwards. */
static int temp_load(TCGContext *s, int idx, uint32_t allowed)
{
    TCGTemp *t = &s->temps[idx];
    X86State *b = be(s);
    int reg;

    if (t->kind == TEMP_FIXED) {
        if (allowed & RMASK(TCG_AREG0)) {
            return TCG_AREG0;
        }
        reg = reg_alloc(s, allowed, 0);
        out_mov(s, true, reg, TCG_AREG0);
        b->locked |= RMASK(reg);        /* scratch, freed after the op */
        return reg;
    }
    if (t->val_type == TEMP_VAL_REG) {
        if (allowed & RMASK(t->reg)) {
            return t->reg;
        }
        if (b->locked & RMASK(t->reg)) {
            /* Used by another operand of this op: copy, keep the original. */
            reg = reg_alloc(s, allowed, 0);
            out_mov(s, true, reg, t->reg);
            b->locked |= RMASK(reg);
            return reg;
        }
        reg = reg_alloc(s, allowed, RMASK(t->reg));
        out_mov(s, true, reg, t->reg);
        b->reg_to_temp[t->reg] = -1;
        b->reg_to_temp[reg] = idx;
        t->reg = reg;
        return reg;
    }
    reg = reg_alloc(s, allowed, 0);
    temp_copy_to(s, t, reg, idx);
    /* Memory matches only if that is where the value came from. */
    t->mem_coherent = t->val_type == TEMP_VAL_MEM || t->kind == TEMP_CONST;
    t->val_type = TEMP_VAL_REG;
    t->reg = reg;
    b->reg_to_temp[reg] = idx;
    return reg;
}

/* Write back every global (and local, at block boundaries) and free regs. */
static void save_globals(TCGContext *s, bool locals_too)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            temp_save(s, &s->temps[i]);
        }
    }
    if (!locals_too) {
        return;
    }
    /* Locals go to their frame slot; of the rest only temps in registers
     * need anything: normal temps die, constants just free the register. */
    if (be(s)->nb_locals < 0) {
        for (int i = s->nb_globals; i < s->nb_temps; i++) {
            if (s->temps[i].kind == TEMP_LOCAL) {
                temp_save(s, &s->temps[i]);
            }
        }
    }
    for (int k = 0; k < be(s)->nb_locals; k++) {
        temp_save(s, &s->temps[be(s)->locals[k]]);
    }
    for (int r = 0; r < 16; r++) {
        int ti = be(s)->reg_to_temp[r];
        if (ti < 0) {
            continue;
        }
        TCGTemp *t = &s->temps[ti];
        if (t->kind == TEMP_CONST) {
            temp_save(s, t);
        } else if (t->kind == TEMP_NORMAL) {
            temp_dead(s, t);
        }
    }
}

static void sync_globals(TCGContext *s)
{
    for (int i = 0; i < s->nb_globals; i++) {
        if (s->temps[i].kind == TEMP_GLOBAL) {
            temp_sync(s, &s->temps[i]);
        }
    }
}

/* ---- Constraints --------------------------------------------------------------- */

typedef struct ArgCon {
    uint16_t regs;          /* allowed registers (0 = unused slot) */
    int8_t alias;           /* input shares the register of output N, or -1 */
    bool imm;               /* a suitable constant may be encoded inline */
} ArgCon;

typedef struct OpCon {
    ArgCon o[2];
    ArgCon i[4];
} OpCon;

#define C_R     { ALLOC_REGS, -1, false }
#define C_RI    { ALLOC_REGS, -1, true }
#define C_A0    { ALLOC_REGS, 0, false }
#define C_A1    { ALLOC_REGS, 1, false }

static bool op_con(TCGOpcode opc, OpCon *c)
{
    static const ArgCon r = C_R, ri = C_RI, a0 = C_A0, a1 = C_A1;
    static const ArgCon cx_i = { RMASK(R_RCX), -1, true };
    static const ArgCon ax = { RMASK(R_RAX), -1, false };
    static const ArgCon dx = { RMASK(R_RDX), -1, false };

    memset(c, 0, sizeof(*c));
    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_add_i64:
        /* Three-operand through LEA when the first input stays live. */
        c->o[0] = r; c->i[0] = r; c->i[1] = ri;
        return true;
    case INDEX_op_sub_i32: case INDEX_op_mul_i32:
    case INDEX_op_and_i32: case INDEX_op_or_i32: case INDEX_op_xor_i32:
    case INDEX_op_andc_i32:
    case INDEX_op_sub_i64: case INDEX_op_mul_i64:
    case INDEX_op_and_i64: case INDEX_op_or_i64: case INDEX_op_xor_i64:
    case INDEX_op_andc_i64:
    case INDEX_op_deposit_i32: case INDEX_op_deposit_i64:
        c->o[0] = r; c->i[0] = a0; c->i[1] = (opc == INDEX_op_deposit_i32 ||
                                               opc == INDEX_op_deposit_i64) ? r : ri;
        return true;
    case INDEX_op_shl_i32: case INDEX_op_shr_i32: case INDEX_op_sar_i32:
    case INDEX_op_rotl_i32: case INDEX_op_rotr_i32:
    case INDEX_op_shl_i64: case INDEX_op_shr_i64: case INDEX_op_sar_i64:
    case INDEX_op_rotl_i64: case INDEX_op_rotr_i64:
        c->o[0] = r; c->i[0] = a0; c->i[1] = cx_i;
        return true;
    case INDEX_op_neg_i32: case INDEX_op_not_i32:
    case INDEX_op_neg_i64: case INDEX_op_not_i64:
        c->o[0] = r; c->i[0] = a0;
        return true;
    case INDEX_op_ext8s_i32: case INDEX_op_ext8u_i32: case INDEX_op_ext16s_i32:
    case INDEX_op_ext16u_i32: case INDEX_op_ext8s_i64: case INDEX_op_ext8u_i64:
    case INDEX_op_ext16s_i64: case INDEX_op_ext16u_i64: case INDEX_op_ext32s_i64:
    case INDEX_op_ext32u_i64: case INDEX_op_ext_i32_i64: case INDEX_op_extu_i32_i64:
    case INDEX_op_extrl_i64_i32: case INDEX_op_extrh_i64_i32:
    case INDEX_op_bswap16_i32: case INDEX_op_bswap32_i32: case INDEX_op_bswap16_i64:
    case INDEX_op_bswap32_i64: case INDEX_op_bswap64_i64:
    case INDEX_op_extract_i32: case INDEX_op_sextract_i32:
    case INDEX_op_extract_i64: case INDEX_op_sextract_i64:
    case INDEX_op_ctpop_i32: case INDEX_op_ctpop_i64:
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
        c->o[0] = r; c->i[0] = r;
        return true;
    case INDEX_op_clz_i32: case INDEX_op_ctz_i32:
    case INDEX_op_clz_i64: case INDEX_op_ctz_i64:
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64:
        c->o[0] = r; c->i[0] = r; c->i[1] = ri;
        return true;
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64:
        c->o[0] = r; c->i[0] = r; c->i[1] = ri; c->i[2] = r; c->i[3] = a0;
        return true;
    case INDEX_op_ld8u_i32: case INDEX_op_ld8s_i32: case INDEX_op_ld16u_i32:
    case INDEX_op_ld16s_i32: case INDEX_op_ld_i32:
    case INDEX_op_ld8u_i64: case INDEX_op_ld8s_i64: case INDEX_op_ld16u_i64:
    case INDEX_op_ld16s_i64: case INDEX_op_ld32u_i64: case INDEX_op_ld32s_i64:
    case INDEX_op_ld_i64:
        c->o[0] = r;
        return true;
    case INDEX_op_st8_i32: case INDEX_op_st16_i32: case INDEX_op_st_i32:
    case INDEX_op_st8_i64: case INDEX_op_st16_i64: case INDEX_op_st32_i64:
    case INDEX_op_st_i64:
        c->i[0] = ri;
        return true;
    case INDEX_op_brcond_i32: case INDEX_op_brcond_i64:
        c->i[0] = r; c->i[1] = ri;
        return true;
    case INDEX_op_add2_i32: case INDEX_op_sub2_i32:
    case INDEX_op_add2_i64: case INDEX_op_sub2_i64:
        c->o[0] = r; c->o[1] = r; c->i[0] = a0; c->i[1] = a1; c->i[2] = ri; c->i[3] = ri;
        return true;
    case INDEX_op_mulu2_i32: case INDEX_op_muls2_i32:
    case INDEX_op_mulu2_i64: case INDEX_op_muls2_i64:
        c->o[0] = ax; c->o[1] = dx; c->i[0] = ax; c->i[0].alias = 0; c->i[1] = r;
        return true;
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st_i64:
        c->i[0] = r; c->i[1] = r;
        return true;
    case INDEX_op_goto_ptr:
        c->i[0] = r;
        return true;
    default:
        return false;
    }
}

static bool is_fixed(uint16_t regs)
{
    return regs && !(regs & (regs - 1));
}

/* ---- Op emission ------------------------------------------------------------------- */

typedef struct OpRegs {
    int o[2];
    int i[4];
    bool ic[4];             /* input is an inline constant */
    uint64_t iv[4];
    bool im;                /* input 1 is a global read from memory: mbase+mofs */
    int mbase;
    intptr_t mofs;
} OpRegs;

static void out_setcond_flags(TCGContext *s, bool is64, int a, const OpRegs *R, int bi)
{
    if (R->ic[bi]) {
        if (R->iv[bi] == 0) {
            out_modrm(s, OPC_TESTL | rexw(is64), a, a);
        } else {
            out_arithi(s, ARITH_CMP, is64, a, R->iv[bi]);
        }
    } else {
        out_arith(s, ARITH_CMP, is64, a, R->i[bi]);
    }
}

static void out_qemu_ldst(TCGContext *s, const TCGOp *op, const OpRegs *R, bool is_ld,
                          bool is64);

static void emit_op(TCGContext *s, const TCGOp *op, const OpRegs *R)
{
    TCGOpcode opc = op->opc;
    bool is64 = tcg_op_defs[opc].flags & TCG_OPF_64BIT;
    int w = rexw(is64);
    int nt = op->nb_oargs + op->nb_iargs;
    const TCGArg *c = &op->args[nt];
    int o = R->o[0];

    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_add_i64:
        if (R->im) {
            if (o != R->i[0]) {
                out_mov(s, true, o, R->i[0]);
            }
            out_modrm_offset(s, (ARITH_ADD << 3) | OPC_ARITH_GvEv | w, o, R->mbase, R->mofs);
        } else if (R->ic[1]) {
            if (o == R->i[0]) {
                out_arithi(s, ARITH_ADD, is64, o, R->iv[1]);
            } else {
                out_modrm_offset(s, OPC_LEA | w, o, R->i[0], (int32_t)R->iv[1]);
            }
        } else if (o == R->i[0] || o == R->i[1]) {
            out_arith(s, ARITH_ADD, is64, o, o == R->i[0] ? R->i[1] : R->i[0]);
        } else {
            out_lea_bi(s, is64, o, R->i[0], R->i[1]);
        }
        break;
    case INDEX_op_sub_i32: case INDEX_op_sub_i64:
    case INDEX_op_and_i32: case INDEX_op_and_i64:
    case INDEX_op_or_i32: case INDEX_op_or_i64:
    case INDEX_op_xor_i32: case INDEX_op_xor_i64: {
        int ext = (opc == INDEX_op_add_i32 || opc == INDEX_op_add_i64) ? ARITH_ADD
                : (opc == INDEX_op_sub_i32 || opc == INDEX_op_sub_i64) ? ARITH_SUB
                : (opc == INDEX_op_and_i32 || opc == INDEX_op_and_i64) ? ARITH_AND
                : (opc == INDEX_op_or_i32 || opc == INDEX_op_or_i64) ? ARITH_OR
                : ARITH_XOR;
        if (R->im) {
            out_modrm_offset(s, (ext << 3) | OPC_ARITH_GvEv | w, o, R->mbase, R->mofs);
        } else if (R->ic[1]) {
            /* and with a mask of the low 32 bits: 32-bit form, as wide imm. */
            bool narrow = ext == ARITH_AND && R->iv[1] == (uint32_t)R->iv[1];
            out_arithi(s, ext, is64 && !narrow, o, R->iv[1]);
        } else {
            out_arith(s, ext, is64, o, R->i[1]);
        }
        break;
    }
    case INDEX_op_andc_i32: case INDEX_op_andc_i64:
        if (R->ic[1]) {
            out_arithi(s, ARITH_AND, is64, o, ~R->iv[1]);
        } else {
            out_mov(s, true, TCG_TMP0, R->i[1]);
            out_modrm(s, OPC_GRP3_Ev | w, EXT3_NOT, TCG_TMP0);
            out_arith(s, ARITH_AND, is64, o, TCG_TMP0);
        }
        break;
    case INDEX_op_mul_i32: case INDEX_op_mul_i64:
        if (R->ic[1]) {
            out_modrm(s, OPC_IMUL_GvEvIz | w, o, o);
            out32(s, R->iv[1]);
        } else {
            out_modrm(s, OPC_IMUL_GvEv | w, o, R->i[1]);
        }
        break;
    case INDEX_op_shl_i32: case INDEX_op_shl_i64:
    case INDEX_op_shr_i32: case INDEX_op_shr_i64:
    case INDEX_op_sar_i32: case INDEX_op_sar_i64:
    case INDEX_op_rotl_i32: case INDEX_op_rotl_i64:
    case INDEX_op_rotr_i32: case INDEX_op_rotr_i64: {
        int ext = (opc == INDEX_op_shl_i32 || opc == INDEX_op_shl_i64) ? SHIFT_SHL
                : (opc == INDEX_op_shr_i32 || opc == INDEX_op_shr_i64) ? SHIFT_SHR
                : (opc == INDEX_op_sar_i32 || opc == INDEX_op_sar_i64) ? SHIFT_SAR
                : (opc == INDEX_op_rotl_i32 || opc == INDEX_op_rotl_i64) ? SHIFT_ROL
                : SHIFT_ROR;
        if (R->ic[1]) {
            int n = R->iv[1] & (is64 ? 63 : 31);
            if (n) {
                out_shifti(s, ext, is64, o, n);
            } else if (!is64) {
                out_mov(s, false, o, o);    /* keep the i32 zero-extension */
            }
        } else {
            out_modrm(s, OPC_SHIFT_cl | w, ext, o);
        }
        break;
    }
    case INDEX_op_neg_i32: case INDEX_op_neg_i64:
        out_modrm(s, OPC_GRP3_Ev | w, EXT3_NEG, o);
        break;
    case INDEX_op_not_i32: case INDEX_op_not_i64:
        out_modrm(s, OPC_GRP3_Ev | w, EXT3_NOT, o);
        break;
    case INDEX_op_ext8s_i32: case INDEX_op_ext8s_i64:
        out_modrm(s, OPC_MOVSBL | w | P_REXB_RM, o, R->i[0]);
        break;
    case INDEX_op_ext8u_i32: case INDEX_op_ext8u_i64:
        out_modrm(s, OPC_MOVZBL | P_REXB_RM, o, R->i[0]);
        break;
    case INDEX_op_ext16s_i32: case INDEX_op_ext16s_i64:
        out_modrm(s, OPC_MOVSWL | w, o, R->i[0]);
        break;
    case INDEX_op_ext16u_i32: case INDEX_op_ext16u_i64:
        out_modrm(s, OPC_MOVZWL, o, R->i[0]);
        break;
    case INDEX_op_ext32s_i64: case INDEX_op_ext_i32_i64:
        out_modrm(s, OPC_MOVSLQ, o, R->i[0]);
        break;
    case INDEX_op_ext32u_i64: case INDEX_op_extu_i32_i64: case INDEX_op_extrl_i64_i32:
        out_modrm(s, OPC_MOVL_GvEv, o, R->i[0]);   /* 32-bit mov zero-extends */
        break;
    case INDEX_op_extrh_i64_i32:
        out_mov(s, true, o, R->i[0]);
        out_shifti(s, SHIFT_SHR, true, o, 32);
        break;
    case INDEX_op_bswap16_i32: case INDEX_op_bswap16_i64:
        out_modrm(s, OPC_MOVL_GvEv, o, R->i[0]);
        out_opc(s, OPC_BSWAP + (o & 7), 0, o, 0);
        out_shifti(s, SHIFT_SHR, false, o, 16);
        break;
    case INDEX_op_bswap32_i32: case INDEX_op_bswap32_i64:
        out_modrm(s, OPC_MOVL_GvEv, o, R->i[0]);
        out_opc(s, OPC_BSWAP + (o & 7), 0, o, 0);
        break;
    case INDEX_op_bswap64_i64:
        out_mov(s, true, o, R->i[0]);
        out_opc(s, (OPC_BSWAP + (o & 7)) | P_REXW, 0, o, 0);
        break;
    case INDEX_op_clz_i32: case INDEX_op_clz_i64:
    case INDEX_op_ctz_i32: case INDEX_op_ctz_i64: {
        bool clz = opc == INDEX_op_clz_i32 || opc == INDEX_op_clz_i64;
        unsigned bits = is64 ? 64 : 32;
        bool use_fb = !(R->ic[1] && R->iv[1] == bits);
        /* The constant first: out_movi may use xor, which clobbers CF. */
        if (use_fb && R->ic[1]) {
            out_movi(s, is64, TCG_TMP1, R->iv[1]);
        }
        /* lzcnt/tzcnt give the width and set CF for a zero source. */
        out_modrm(s, (clz ? OPC_LZCNT : OPC_TZCNT) | w, TCG_TMP0, R->i[0]);
        if (use_fb) {
            out_modrm(s, (OPC_CMOVCC + JCC_JB) | w, TCG_TMP0,
                      R->ic[1] ? TCG_TMP1 : R->i[1]);
        }
        out_mov(s, true, o, TCG_TMP0);
        break;
    }
    case INDEX_op_ctpop_i32: case INDEX_op_ctpop_i64:
        out_modrm(s, OPC_POPCNT | w, o, R->i[0]);
        break;
    case INDEX_op_extract_i32: case INDEX_op_extract_i64:
    case INDEX_op_sextract_i32: case INDEX_op_sextract_i64: {
        unsigned bits = is64 ? 64 : 32, pos = c[0], len = c[1];
        bool sign = opc == INDEX_op_sextract_i32 || opc == INDEX_op_sextract_i64;
        /* A low byte, word or dword: one movzx/movsx/mov instead of two shifts. */
        if (pos == 0 && (len == 8 || len == 16 || (len == 32 && is64))) {
            static const int zx[3] = { OPC_MOVZBL | P_REXB_RM, OPC_MOVZWL, OPC_MOVL_GvEv };
            int sx[3] = { OPC_MOVSBL | w | P_REXB_RM, OPC_MOVSWL | w, OPC_MOVSLQ };
            int k = len == 8 ? 0 : len == 16 ? 1 : 2;
            out_modrm(s, sign ? sx[k] : zx[k], o, R->i[0]);
            break;
        }
        out_mov(s, true, o, R->i[0]);
        if (bits - pos - len) {
            out_shifti(s, SHIFT_SHL, is64, o, bits - pos - len);
        }
        if (bits - len) {
            out_shifti(s, sign ? SHIFT_SAR : SHIFT_SHR, is64, o, bits - len);
        } else if (!is64) {
            out_mov(s, false, o, o);
        }
        break;
    }
    case INDEX_op_deposit_i32: case INDEX_op_deposit_i64: {
        unsigned pos = c[0], len = c[1];
        uint64_t field = len == 64 ? ~0ULL : ((1ULL << len) - 1);
        uint64_t mask = field << pos;
        if (!is64) {
            mask = (uint32_t)mask;
        }
        /* The low byte or word: a partial register move keeps the rest. */
        if (pos == 0 && len == 8) {
            out_modrm(s, OPC_MOVB_EvGv | P_REXB_R | P_REXB_RM, R->i[1], o);
            break;
        }
        if (pos == 0 && len == 16) {
            out_modrm(s, OPC_MOVL_EvGv | P_DATA16, R->i[1], o);
            break;
        }
        /* tmp0 = (b << (bits-len)) >> (bits-len-pos): the field in place. */
        out_mov(s, true, TCG_TMP0, R->i[1]);
        {
            unsigned bits = is64 ? 64 : 32;
            if (bits - len) {
                out_shifti(s, SHIFT_SHL, is64, TCG_TMP0, bits - len);
            }
            if (bits - len - pos) {
                out_shifti(s, SHIFT_SHR, is64, TCG_TMP0, bits - len - pos);
            }
        }
        out_movi(s, is64, TCG_TMP1, ~mask);
        out_arith(s, ARITH_AND, is64, o, TCG_TMP1);
        out_arith(s, ARITH_OR, is64, o, TCG_TMP0);
        break;
    }
    case INDEX_op_setcond_i32: case INDEX_op_setcond_i64: {
        TCGCond cond = c[0];
        if (cond == TCG_COND_ALWAYS || cond == TCG_COND_NEVER) {
            out_movi(s, false, o, cond == TCG_COND_ALWAYS);
            break;
        }
        out_setcond_flags(s, is64, R->i[0], R, 1);
        out_modrm(s, OPC_SETCC + tcg_cond_to_jcc[cond], 0, o);
        out_modrm(s, OPC_MOVZBL | P_REXB_RM, o, o);
        break;
    }
    case INDEX_op_movcond_i32: case INDEX_op_movcond_i64: {
        TCGCond cond = c[0];
        if (cond == TCG_COND_ALWAYS) {
            out_mov(s, is64, o, R->i[2]);
        } else if (cond != TCG_COND_NEVER) {
            out_setcond_flags(s, is64, R->i[0], R, 1);
            out_modrm(s, (OPC_CMOVCC + tcg_cond_to_jcc[cond]) | w, o, R->i[2]);
        }
        break;
    }
    case INDEX_op_ld8u_i32: case INDEX_op_ld8u_i64:
        out_modrm_offset(s, OPC_MOVZBL, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld8s_i32: case INDEX_op_ld8s_i64:
        out_modrm_offset(s, OPC_MOVSBL | w, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld16u_i32: case INDEX_op_ld16u_i64:
        out_modrm_offset(s, OPC_MOVZWL, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld16s_i32: case INDEX_op_ld16s_i64:
        out_modrm_offset(s, OPC_MOVSWL | w, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld_i32: case INDEX_op_ld32u_i64:
        out_ld(s, false, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld32s_i64:
        out_modrm_offset(s, OPC_MOVSLQ, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_ld_i64:
        out_ld(s, true, o, TCG_AREG0, c[0]);
        break;
    case INDEX_op_st8_i32: case INDEX_op_st8_i64:
        if (R->ic[0]) {
            out_modrm_offset(s, OPC_MOVB_EvIb, 0, TCG_AREG0, c[0]);
            out8(s, R->iv[0]);
        } else {
            out_modrm_offset(s, OPC_MOVB_EvGv | P_REXB_R, R->i[0], TCG_AREG0, c[0]);
        }
        break;
    case INDEX_op_st16_i32: case INDEX_op_st16_i64:
        if (R->ic[0]) {
            out_modrm_offset(s, OPC_MOVL_EvIz | P_DATA16, 0, TCG_AREG0, c[0]);
            out8(s, R->iv[0]);
            out8(s, R->iv[0] >> 8);
        } else {
            out_modrm_offset(s, OPC_MOVL_EvGv | P_DATA16, R->i[0], TCG_AREG0, c[0]);
        }
        break;
    case INDEX_op_st_i32: case INDEX_op_st32_i64: case INDEX_op_st_i64: {
        bool wide = opc == INDEX_op_st_i64;
        if (R->ic[0]) {
            out_modrm_offset(s, OPC_MOVL_EvIz | rexw(wide), 0, TCG_AREG0, c[0]);
            out32(s, R->iv[0]);
        } else {
            out_st(s, wide, R->i[0], TCG_AREG0, c[0]);
        }
        break;
    }
    case INDEX_op_add2_i32: case INDEX_op_add2_i64:
    case INDEX_op_sub2_i32: case INDEX_op_sub2_i64: {
        bool add = opc == INDEX_op_add2_i32 || opc == INDEX_op_add2_i64;
        if (R->ic[2]) {
            out_arithi(s, add ? ARITH_ADD : ARITH_SUB, is64, R->o[0], R->iv[2]);
        } else {
            out_arith(s, add ? ARITH_ADD : ARITH_SUB, is64, R->o[0], R->i[2]);
        }
        if (R->ic[3]) {
            out_arithi(s, add ? ARITH_ADC : ARITH_SBB, is64, R->o[1], R->iv[3]);
        } else {
            out_arith(s, add ? ARITH_ADC : ARITH_SBB, is64, R->o[1], R->i[3]);
        }
        break;
    }
    case INDEX_op_mulu2_i32: case INDEX_op_mulu2_i64:
        out_modrm(s, OPC_GRP3_Ev | w, EXT3_MUL, R->i[1]);
        break;
    case INDEX_op_muls2_i32: case INDEX_op_muls2_i64:
        out_modrm(s, OPC_GRP3_Ev | w, EXT3_IMUL, R->i[1]);
        break;
    case INDEX_op_qemu_ld_i32: case INDEX_op_qemu_ld_i64:
        out_qemu_ldst(s, op, R, true, is64);
        break;
    case INDEX_op_qemu_st_i32: case INDEX_op_qemu_st_i64:
        out_qemu_ldst(s, op, R, false, is64);
        break;
    default:
        g_error("tcg x86_64: no emitter for %s", tcg_op_defs[opc].name);
    }
}

/* Does a constant fit the immediate field of this op? */
static bool const_ok(TCGOpcode opc, bool is64, uint64_t v)
{
    if (opc == INDEX_op_st8_i32 || opc == INDEX_op_st8_i64 ||
        opc == INDEX_op_st16_i32 || opc == INDEX_op_st16_i64 ||
        opc == INDEX_op_st_i32 || opc == INDEX_op_st32_i64) {
        return true;
    }
    if (opc == INDEX_op_andc_i64) {
        return (int64_t)~v == (int32_t)~v;
    }
    if (opc == INDEX_op_clz_i32 || opc == INDEX_op_clz_i64 ||
        opc == INDEX_op_ctz_i32 || opc == INDEX_op_ctz_i64) {
        return true;
    }
    if (opc == INDEX_op_and_i64 && v == (uint32_t)v) {
        return true;                /* the 32-bit form clears the high half */
    }
    return !is64 || (int64_t)v == (int32_t)v;
}

/* Ops whose second input may be a memory operand (OpRegs.im). */
static bool alu_mem_ok(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_add_i64:
    case INDEX_op_sub_i32: case INDEX_op_sub_i64:
    case INDEX_op_and_i32: case INDEX_op_and_i64:
    case INDEX_op_or_i32: case INDEX_op_or_i64:
    case INDEX_op_xor_i32: case INDEX_op_xor_i64:
        return true;
    default:
        return false;
    }
}

/* Generic constraint-driven allocation for one op, then emission. */
static void reg_alloc_op(TCGContext *s, const TCGOp *op)
{
    X86State *b = be(s);
    OpCon con;
    OpRegs R;
    int no = op->nb_oargs, ni = op->nb_iargs;
    bool is64 = tcg_op_defs[op->opc].flags & TCG_OPF_64BIT;
    uint32_t fixed = 0, dead_regs = 0;
    int order[4], n = 0;

    if (!op_con(op->opc, &con)) {
        g_error("tcg x86_64: no constraints for %s", tcg_op_defs[op->opc].name);
    }
    memset(&R, 0, sizeof(R));
    b->locked = 0;
    /* Registers that fixed operands need are kept away from the others. */
    for (int i = 0; i < no; i++) {
        if (is_fixed(con.o[i].regs)) {
            fixed |= con.o[i].regs;
        }
    }
    for (int i = 0; i < ni; i++) {
        if (is_fixed(con.i[i].regs)) {
            fixed |= con.i[i].regs;
        }
    }
    /* Fixed-register inputs first, so nothing else squats on their register. */
    for (int i = 0; i < ni; i++) {
        if (is_fixed(con.i[i].regs)) {
            order[n++] = i;
        }
    }
    for (int i = 0; i < ni; i++) {
        if (!is_fixed(con.i[i].regs)) {
            order[n++] = i;
        }
    }
    for (int k = 0; k < ni; k++) {
        int i = order[k];
        const ArgCon *ac = &con.i[i];
        int idx = op->args[no + i];
        TCGTemp *t = &s->temps[idx];
        uint32_t allowed = ac->regs;
        int reg;

        if (!is_fixed(allowed)) {
            allowed &= ~fixed;
        }
        if (ac->imm && (t->val_type == TEMP_VAL_CONST) &&
            const_ok(op->opc, is64, t->val)) {
            R.ic[i] = true;
            R.iv[i] = t->val;
            continue;
        }
        /* The second operand of an ALU op, a global only in memory: use it
         * there ("add r, [env+ofs]") rather than load it first. */
        if (i == 1 && ac->imm && t->kind == TEMP_GLOBAL && t->val_type == TEMP_VAL_MEM &&
            alu_mem_ok(op->opc) && op->args[no] != op->args[no + 1]) {
            R.im = true;
            R.mbase = temp_base(t);
            R.mofs = t->mem_offset;
            continue;
        }
        if (ac->alias >= 0) {
            /* The op overwrites this register: reuse it only if t dies here. */
            bool twice = false;
            for (int j = 0; j < ni; j++) {
                if (j != i && op->args[no + j] == (TCGArg)idx) {
                    twice = true;
                }
            }
            if (!twice && (op->life & DEAD_ARG(no + i)) && t->kind != TEMP_CONST &&
                t->kind != TEMP_FIXED) {
                reg = temp_load(s, idx, allowed);
                b->locked |= RMASK(reg);
                R.i[i] = reg;
                continue;
            }
            reg = reg_alloc(s, allowed, 0);
            b->locked |= RMASK(reg);
            if (t->val_type == TEMP_VAL_REG) {
                out_mov(s, true, reg, t->reg);
            } else {
                temp_copy_to(s, t, reg, idx);
            }
            R.i[i] = reg;
            continue;
        }
        reg = temp_load(s, idx, allowed);
        b->locked |= RMASK(reg);
        R.i[i] = reg;
    }
    /* Dead inputs release their registers (still locked for this op). */
    for (int i = 0; i < ni; i++) {
        if (op->life & DEAD_ARG(no + i)) {
            TCGTemp *t = &s->temps[op->args[no + i]];
            if (t->val_type == TEMP_VAL_REG) {
                dead_regs |= RMASK(t->reg);
            }
            temp_dead(s, t);
        }
    }
    /* Guest memory ops may fault in the slow path: make the state exact. */
    if (tcg_op_defs[op->opc].flags & TCG_OPF_GUEST_MEM) {
        sync_globals(s);
    }
    for (int j = 0; j < no; j++) {
        int idx = op->args[j];
        TCGTemp *t = &s->temps[idx];
        int reg = -1;

        for (int i = 0; i < ni; i++) {
            if (con.i[i].alias == j) {
                reg = R.i[i];
            }
        }
        if (reg < 0) {
            uint32_t allowed = con.o[j].regs;
            if (!is_fixed(allowed)) {
                allowed &= ~fixed;
            }
            if (no == 1) {
                /* Single-output emitters write the output last. */
                uint32_t cand = dead_regs & allowed & ~fixed;
                for (int r = 0; r < 16 && cand; r++) {
                    if ((cand & RMASK(r)) && b->reg_to_temp[r] < 0) {
                        reg = r;
                        break;
                    }
                }
            }
            if (reg < 0) {
                if (is_fixed(allowed)) {
                    int r = __builtin_ctz(allowed);
                    if (b->reg_to_temp[r] >= 0 && b->reg_to_temp[r] != idx) {
                        reg_evict(s, r);
                    }
                    reg = r;
                } else {
                    reg = reg_alloc(s, allowed, 0);
                }
            }
        }
        /* The old value of t is overwritten. */
        if (t->val_type == TEMP_VAL_REG && t->reg != reg) {
            b->reg_to_temp[t->reg] = -1;
        }
        /* Alias and scratch registers are unowned; owned ones were evicted. */
        g_assert(b->reg_to_temp[reg] < 0 || b->reg_to_temp[reg] == idx);
        b->reg_to_temp[reg] = idx;
        t->val_type = TEMP_VAL_REG;
        t->reg = reg;
        t->mem_coherent = false;
        b->locked |= RMASK(reg);
        R.o[j] = reg;
    }
    emit_op(s, op, &R);
    for (int j = 0; j < no; j++) {
        if (op->life & DEAD_ARG(j)) {
            temp_dead(s, &s->temps[op->args[j]]);
        } else if (op->life & SYNC_ARG(j)) {
            temp_save(s, &s->temps[op->args[j]]);   /* only memory needs it */
        }
    }
    b->locked = 0;
}

/*
 * An extension of a global that is only in memory: one extending load
 * (movzx/movsx/mov r32 from env) instead of loading the register and then
 * extending it. The global stays in memory. False if it does not apply.
 */
static bool reg_alloc_ext_mem(TCGContext *s, const TCGOp *op)
{
    X86State *b = be(s);
    TCGTemp *ti = &s->temps[op->args[1]], *to = &s->temps[op->args[0]];
    int opc, reg;

    if (ti->kind != TEMP_GLOBAL || ti->val_type != TEMP_VAL_MEM || to == ti ||
        (op->life & SYNC_ARG(0))) {
        return false;
    }
    switch (op->opc) {
    case INDEX_op_ext8u_i64: opc = OPC_MOVZBL; break;
    case INDEX_op_ext8s_i64: opc = OPC_MOVSBL | P_REXW; break;
    case INDEX_op_ext16u_i64: opc = OPC_MOVZWL; break;
    case INDEX_op_ext16s_i64: opc = OPC_MOVSWL | P_REXW; break;
    case INDEX_op_ext32u_i64: opc = OPC_MOVL_GvEv; break;
    case INDEX_op_ext32s_i64: opc = OPC_MOVSLQ; break;
    default:
        return false;
    }
    b->locked = 0;
    reg = reg_alloc(s, ALLOC_REGS, 0);
    out_modrm_offset(s, opc, reg, temp_base(ti), ti->mem_offset);
    if (op->life & DEAD_ARG(1)) {
        temp_dead(s, ti);
    }
    if (to->val_type == TEMP_VAL_REG) {
        b->reg_to_temp[to->reg] = -1;
    }
    b->reg_to_temp[reg] = op->args[0];
    to->val_type = TEMP_VAL_REG;
    to->reg = reg;
    to->mem_coherent = false;
    if (op->life & DEAD_ARG(0)) {
        temp_dead(s, to);
    }
    return true;
}

static void reg_alloc_mov(TCGContext *s, const TCGOp *op)
{
    X86State *b = be(s);
    int oidx = op->args[0], iidx = op->args[1];
    TCGTemp *to = &s->temps[oidx], *ti = &s->temps[iidx];
    bool is64 = temp_is64(to);

    if (oidx == iidx) {
        return;
    }
    if (ti->val_type == TEMP_VAL_CONST) {
        uint64_t v = ti->val;
        temp_free_reg(s, to);
        to->val_type = TEMP_VAL_CONST;
        to->val = is64 ? v : (uint32_t)v;
        to->mem_coherent = false;
    } else {
        int ireg = temp_load(s, iidx, ALLOC_REGS | RMASK(TCG_AREG0));
        int oreg;
        b->locked = RMASK(ireg);
        if ((op->life & SYNC_ARG(0)) && to->kind == TEMP_GLOBAL) {
            /* Only memory needs the global: store it now, keep no copy. */
            temp_free_reg(s, to);
            ensure_room(s);
            out_st(s, is64, ireg, temp_base(to), to->mem_offset);
            to->val_type = TEMP_VAL_MEM;
            to->mem_coherent = true;
            if ((op->life & DEAD_ARG(1)) && ti->kind != TEMP_FIXED) {
                temp_dead(s, ti);
            }
            b->locked = 0;
            return;
        }
        if ((op->life & DEAD_ARG(1)) && ti->kind != TEMP_FIXED) {
            temp_dead(s, ti);
            oreg = ireg;
        } else {
            oreg = (to->val_type == TEMP_VAL_REG) ? to->reg : reg_alloc(s, ALLOC_REGS, 0);
            out_mov(s, is64, oreg, ireg);
        }
        if (to->val_type == TEMP_VAL_REG && to->reg != oreg) {
            b->reg_to_temp[to->reg] = -1;
        }
        b->reg_to_temp[oreg] = oidx;
        to->val_type = TEMP_VAL_REG;
        to->reg = oreg;
        to->mem_coherent = false;
        b->locked = 0;
    }
    if (op->life & DEAD_ARG(0)) {
        temp_dead(s, to);
    }
}

static void reg_alloc_movi(TCGContext *s, const TCGOp *op)
{
    TCGTemp *t = &s->temps[op->args[0]];

    temp_free_reg(s, t);
    t->val_type = TEMP_VAL_CONST;
    t->val = temp_is64(t) ? op->args[1] : (uint32_t)op->args[1];
    t->mem_coherent = false;
    if (op->life & DEAD_ARG(0)) {
        temp_dead(s, t);
    }
}

static void reg_alloc_call(TCGContext *s, const TCGOp *op)
{
    X86State *b = be(s);
    int no = op->nb_oargs, ni = op->nb_iargs;
    const TCGHelperInfo *info = (const TCGHelperInfo *)(uintptr_t)op->args[no + ni];
    unsigned f = info->flags;
    bool need_sync = !((f & TCG_CALL_NO_READ_GLOBALS) && (f & TCG_CALL_NO_WRITE_GLOBALS))
                     || (f & TCG_CALL_MAY_RAISE);
    bool need_reload = !(f & TCG_CALL_NO_WRITE_GLOBALS);

    /* Everything in a call-clobbered register moves to memory. */
    for (int r = 0; r < 16; r++) {
        if ((CALL_CLOBBERED & RMASK(r)) && b->reg_to_temp[r] >= 0) {
            temp_save(s, &s->temps[b->reg_to_temp[r]]);
        }
    }
    if (need_sync) {
        sync_globals(s);
    }
    if (need_reload) {
        for (int i = 0; i < s->nb_globals; i++) {
            if (s->temps[i].kind == TEMP_GLOBAL) {
                temp_save(s, &s->temps[i]);
            }
        }
    }
    /* Sources are now callee-saved registers, memory or constants. */
    for (int i = 0; i < ni; i++) {
        TCGTemp *t = &s->temps[op->args[no + i]];
        int reg = call_arg_regs[i];
        if (t->kind == TEMP_FIXED) {
            out_mov(s, true, reg, TCG_AREG0);
        } else {
            temp_copy_to(s, t, reg, op->args[no + i]);
        }
    }
    out_call(s, info->func);
    for (int i = 0; i < ni; i++) {
        if (op->life & DEAD_ARG(no + i)) {
            temp_dead(s, &s->temps[op->args[no + i]]);
        }
    }
    if (no) {
        int idx = op->args[0];
        TCGTemp *t = &s->temps[idx];
        temp_free_reg(s, t);
        b->reg_to_temp[R_RAX] = idx;
        t->val_type = TEMP_VAL_REG;
        t->reg = R_RAX;
        t->mem_coherent = false;
        if (op->life & DEAD_ARG(0)) {
            temp_dead(s, t);
        }
    }
}

/* ---- Softmmu fast path ------------------------------------------------------------ */

/*
 * The store that writes back what the qemu_ld at index oi read (same address
 * temp, size and MMU index), with only simple value ops between (none of them
 * uses TCG_TMP0 or redefines the address), or -1.
 */
static int rmw_pair(TCGContext *s, int oi)
{
    const TCGOp *ld = &s->ops[oi];
    TCGArg addr = ld->args[1];
    MemOpIdx moi = ld->args[2];

    for (int j = oi + 1; j < s->nb_ops && j < oi + 24; j++) {
        const TCGOp *op = &s->ops[j];
        switch (op->opc) {
        case INDEX_op_nop: case INDEX_op_discard:
            continue;
        case INDEX_op_qemu_st_i64: case INDEX_op_qemu_st_i32:
            if (op->args[1] == addr && (get_memop(op->args[2]) & MO_SIZE) ==
                (get_memop(moi) & MO_SIZE) && get_mmuidx(op->args[2]) == get_mmuidx(moi)) {
                return j;
            }
            return -1;
        case INDEX_op_mov_i32: case INDEX_op_mov_i64:
        case INDEX_op_movi_i32: case INDEX_op_movi_i64:
        case INDEX_op_add_i32: case INDEX_op_add_i64:
        case INDEX_op_sub_i32: case INDEX_op_sub_i64:
        case INDEX_op_and_i32: case INDEX_op_and_i64:
        case INDEX_op_or_i32: case INDEX_op_or_i64:
        case INDEX_op_xor_i32: case INDEX_op_xor_i64:
        case INDEX_op_neg_i32: case INDEX_op_neg_i64:
        case INDEX_op_not_i32: case INDEX_op_not_i64:
        case INDEX_op_shl_i32: case INDEX_op_shl_i64:
        case INDEX_op_shr_i32: case INDEX_op_shr_i64:
        case INDEX_op_sar_i32: case INDEX_op_sar_i64:
        case INDEX_op_mul_i32: case INDEX_op_mul_i64:
        case INDEX_op_ext8s_i64: case INDEX_op_ext8u_i64:
        case INDEX_op_ext16s_i64: case INDEX_op_ext16u_i64:
        case INDEX_op_ext32s_i64: case INDEX_op_ext32u_i64:
            for (int k = 0; k < op->nb_oargs; k++) {
                if (op->args[k] == addr) {
                    return -1;
                }
            }
            continue;
        default:
            return -1;
        }
    }
    return -1;
}

/* opc r, [TCG_TMP0] or, with index >= 0, [TCG_TMP0 + index]. */
static void out_host_mem(TCGContext *s, int opc, int r, int index)
{
    if (index < 0) {
        out_modrm_offset(s, opc, r, TCG_TMP0, 0);
    } else {
        out_modrm_bi(s, opc, r, TCG_TMP0, index);
    }
}

/* Store data to the host address TCG_TMP0 (+ index). */
static void out_host_st(TCGContext *s, MemOp mo, int data, int index)
{
    static const int opc[4] = { OPC_MOVB_EvGv | P_REXB_R, OPC_MOVL_EvGv | P_DATA16,
                                OPC_MOVL_EvGv, OPC_MOVL_EvGv | P_REXW };
    out_host_mem(s, opc[mo & MO_SIZE], data, index);
}

static void out_qemu_ldst(TCGContext *s, const TCGOp *op, const OpRegs *R, bool is_ld,
                          bool is64)
{
    X86State *b = be(s);
    MemOpIdx oi = op->args[2];
    MemOp mo = get_memop(oi);
    unsigned mmu = get_mmuidx(oi), size = 1u << (mo & MO_SIZE);
    int addr = is_ld ? R->i[0] : R->i[1];
    int data = is_ld ? R->o[0] : R->i[0];
    const TCGTLBDesc *d = &s->tlb;
    TCGLdstLabel l = { .is_ld = is_ld, .is64 = is64, .oi = oi, .addr_reg = addr,
                       .data_reg = data };

    if (d->fast_path && !is_ld && b->rmw_st == b->cur_op && !b->tmp0_clobbered) {
        /* The paired load checked this page for writing: TCG_TMP0 holds the
         * host address, or 0 if it took the slow path. */
        b->rmw_st = -1;
        out_modrm(s, OPC_TESTL | P_REXW, TCG_TMP0, TCG_TMP0);
        l.label_ptr = out_jcc_fwd(s, JCC_JE);
        out_host_st(s, mo, data, -1);
        l.raddr = s->code_ptr;
        g_array_append_val(s->ldst_labels, l);
        return;
    }
    b->rmw_st = -1;
    if (d->fast_path && mmu < (unsigned)d->nb_mmu_modes) {
        uint64_t page_mask = ~(((uint64_t)1 << d->page_bits) - 1);
        int cmp_ofs = is_ld ? offsetof(TCGTLBEntry, addr_read)
                            : offsetof(TCGTLBEntry, addr_write);
        if (is_ld) {
            b->rmw_st = rmw_pair(s, b->cur_op);
            if (b->rmw_st >= 0) {
                cmp_ofs = offsetof(TCGTLBEntry, addr_write);
                l.rmw = true;
            }
        }

        /* tmp1 = &table[(addr >> page_bits) & (n - 1)]. With a fixed mask, a
         * rotate (RORX, three operands) does for the shift: the bits rotated
         * in at the top are masked off. */
        if (d->fixed_mask && b->have_bmi2) {
            out8(s, 0xc4);                                  /* VEX, map 0F3A */
            out8(s, (uint8_t)((TCG_TMP1 & 8 ? 0 : 0x80) | 0x40 | (addr & 8 ? 0 : 0x20) | 3));
            out8(s, 0x80 | 0x78 | 3);                       /* W1, vvvv unused, F2 */
            out8(s, 0xf0);                                  /* RORX r64, r/m64, imm8 */
            out8(s, (uint8_t)(0xc0 | (TCG_TMP1 & 7) << 3 | (addr & 7)));
            out8(s, (uint8_t)(d->page_bits - TCG_TLB_ENTRY_BITS));
        } else {
            out_mov(s, true, TCG_TMP1, addr);
            out_shifti(s, SHIFT_SHR, true, TCG_TMP1, d->page_bits - TCG_TLB_ENTRY_BITS);
        }
        if (d->fixed_mask) {
            out_arithi(s, ARITH_AND, false, TCG_TMP1, d->fixed_mask);  /* zero-extends */
        } else {
            out_modrm_offset(s, (ARITH_AND << 3) | OPC_ARITH_GvEv | P_REXW, TCG_TMP1,
                             TCG_AREG0, d->mask_ofs[mmu]);
        }
        out_modrm_offset(s, (ARITH_ADD << 3) | OPC_ARITH_GvEv | P_REXW, TCG_TMP1,
                         TCG_AREG0, d->table_ofs[mmu]);
        /* tmp0 = page of the last byte: a page-crossing access misses. */
        out_modrm_offset(s, OPC_LEA | P_REXW, TCG_TMP0, addr, size - 1);
        if ((int64_t)page_mask == (int32_t)page_mask) {
            out_arithi(s, ARITH_AND, true, TCG_TMP0, page_mask);
        } else {
            g_error("tcg: page_bits too large");
        }
        out_modrm_offset(s, (ARITH_CMP << 3) | OPC_ARITH_GvEv | P_REXW, TCG_TMP0,
                         TCG_TMP1, cmp_ofs);
        l.label_ptr = out_jcc_fwd(s, JCC_JNE);
        out_ld(s, true, TCG_TMP0, TCG_TMP1, offsetof(TCGTLBEntry, addend));
        /* The access adds the guest address in its addressing mode; a load
         * paired with a store materializes the host address for it. */
        int index = addr;
        if (l.rmw) {
            out_arith(s, ARITH_ADD, true, TCG_TMP0, addr);
            index = -1;
        }
        if (is_ld) {
            int opc;
            switch (mo) {
            case MO_UB: opc = OPC_MOVZBL; break;
            case MO_SB: opc = OPC_MOVSBL | rexw(is64); break;
            case MO_UW: opc = OPC_MOVZWL; break;
            case MO_SW: opc = OPC_MOVSWL | rexw(is64); break;
            case MO_UL: opc = OPC_MOVL_GvEv; break;
            case MO_SL: opc = is64 ? OPC_MOVSLQ : OPC_MOVL_GvEv; break;
            default: opc = OPC_MOVL_GvEv | P_REXW; break;
            }
            out_host_mem(s, opc, data, index);
        } else {
            out_host_st(s, mo, data, index);
        }
        b->tmp0_clobbered = false;
    } else {
        l.label_ptr = out_jcc_fwd(s, -1);
    }
    l.raddr = s->code_ptr;
    g_array_append_val(s->ldst_labels, l);
}

static const int8_t slow_saved[] = { R_RAX, R_RCX, R_RDX, R_RSI, R_RDI, R_R8, R_R9 };

/*
 * Out-of-line slow path: preserve every call-clobbered register (the fast
 * path left live values there), call the accel's helper, come back.
 */
static void out_ldst_slow(TCGContext *s, const TCGLdstLabel *l)
{
    const void *raddr_rx = tcg_rw_to_rx(&s->buf, l->raddr);

    patch_rel32(l->label_ptr, s->code_ptr);
    for (size_t i = 0; i < ARRAY_SIZE(slow_saved); i++) {
        out_opc(s, 0x50 + (slow_saved[i] & 7), 0, slow_saved[i], 0);   /* push */
    }
    out_arithi(s, ARITH_SUB, true, R_RSP, 8);       /* 7 pushes + 8 = 64: aligned */
    out_mov(s, true, TCG_TMP1, l->addr_reg);
    if (!l->is_ld) {
        out_mov(s, true, TCG_TMP0, l->data_reg);
    }
    out_mov(s, true, R_RDI, TCG_AREG0);
    out_mov(s, true, R_RSI, TCG_TMP1);
    if (l->is_ld) {
        out_movi(s, false, R_RDX, l->oi);
        out_movi(s, true, R_RCX, (uintptr_t)raddr_rx);
        out_call(s, (const void *)s->tlb.load);
        out_mov(s, true, TCG_TMP1, R_RAX);
    } else {
        if (l->is64) {
            out_mov(s, true, R_RDX, TCG_TMP0);
        } else {
            out_modrm(s, OPC_MOVL_GvEv, R_RDX, TCG_TMP0);  /* zero-extend an i32 */
        }
        out_movi(s, false, R_RCX, l->oi);
        out_movi(s, true, R_R8, (uintptr_t)raddr_rx);
        out_call(s, (const void *)s->tlb.store);
    }
    out_arithi(s, ARITH_ADD, true, R_RSP, 8);
    for (int i = ARRAY_SIZE(slow_saved) - 1; i >= 0; i--) {
        out_opc(s, 0x58 + (slow_saved[i] & 7), 0, slow_saved[i], 0);   /* pop */
    }
    if (l->is_ld) {
        out_mov(s, l->is64, l->data_reg, TCG_TMP1);
    }
    if (l->rmw) {
        out_arith(s, ARITH_XOR, false, TCG_TMP0, TCG_TMP0);     /* store: slow too */
    }
    out_jmp_to(s, -1, l->raddr);
}

/* ---- Prologue, block generation, chaining ---------------------------------------- */

static const int8_t saved_regs[] = { R_RBP, R_RBX, R_R12, R_R13, R_R14, R_R15 };

void tcg_x86_emit_prologue(TCGContext *s)
{
    uint8_t *start;

    s->be = g_new0(X86State, 1);
    {
        unsigned a, b, c, d;
        be(s)->have_bmi2 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_BMI2);
    }
    s->code_ptr = start = s->buf.rw;
    /* entry(env = rdi, code = rsi) */
    for (size_t i = 0; i < ARRAY_SIZE(saved_regs); i++) {
        out_opc(s, 0x50 + (saved_regs[i] & 7), 0, saved_regs[i], 0);
    }
    out_modrm(s, OPC_ARITH_EvIz | P_REXW, ARITH_SUB, R_RSP);
    out32(s, FRAME_SIZE);
    out_mov(s, true, TCG_AREG0, R_RDI);
    out_modrm(s, OPC_GRP5, EXT5_JMPN_Ev, R_RSI);

    /* goto_ptr lands here to leave with 0. */
    s->code_gen_epilogue = tcg_rw_to_rx(&s->buf, s->code_ptr);
    out_movi(s, false, R_RAX, 0);
    /* exit_tb lands here with rax set. */
    s->tb_ret_addr = tcg_rw_to_rx(&s->buf, s->code_ptr);
    out_modrm(s, OPC_ARITH_EvIz | P_REXW, ARITH_ADD, R_RSP);
    out32(s, FRAME_SIZE);
    for (int i = ARRAY_SIZE(saved_regs) - 1; i >= 0; i--) {
        out_opc(s, 0x58 + (saved_regs[i] & 7), 0, saved_regs[i], 0);
    }
    out8(s, 0xc3);
    s->code_gen_prologue = s->buf.rx;
    s->buf.used = (s->code_ptr - start + 63) & ~(size_t)63;
    s->buf.base = s->buf.used;
}

void tcg_x86_set_jmp_target(TCGContext *s, const void *code, uint32_t off,
                            const void *target)
{
    const uint8_t *field_rx = (const uint8_t *)code + off;
    uint8_t *field_rw = tcg_rx_to_rw(&s->buf, field_rx);
    int32_t rel = (const uint8_t *)target - (field_rx + 4);

    /* The field is 4-byte aligned, so this store is atomic for running CPUs. */
    __atomic_store_n((int32_t *)field_rw, rel, __ATOMIC_RELEASE);
}

static void out_nopn(TCGContext *s, int n)
{
    while (n-- > 0) {
        out8(s, 0x90);
    }
}

int tcg_x86_gen_code(TCGContext *s)
{
    X86State *b = be(s);
    uint8_t *start = s->buf.rw + s->buf.used;
    uint8_t *end = s->buf.rw + s->buf.size;
    uint64_t insn_data[TCG_INSN_START_WORDS] = { 0 };
    bool have_insn = false;

    if ((size_t)(end - start) < CODE_MARGIN * 2) {
        return -1;
    }
    s->code_ptr = s->code_start = start;
    s->frame_next = 0;
    g_array_set_size(s->ldst_labels, 0);
    b->overflow = false;
    for (int r = 0; r < 16; r++) {
        b->reg_to_temp[r] = -1;
    }
    b->nb_locals = 0;
    for (int i = 0; i < s->nb_temps; i++) {
        TCGTemp *t = &s->temps[i];
        if (t->kind == TEMP_LOCAL && b->nb_locals >= 0) {
            if (b->nb_locals < (int)ARRAY_SIZE(b->locals)) {
                b->locals[b->nb_locals++] = i;
            } else {
                b->nb_locals = -1;
            }
        }
        switch (t->kind) {
        case TEMP_GLOBAL:
            t->val_type = TEMP_VAL_MEM;
            t->mem_coherent = true;
            break;
        case TEMP_CONST:
            t->val_type = TEMP_VAL_CONST;
            break;
        case TEMP_FIXED:
            t->val_type = TEMP_VAL_DEAD;
            break;
        default:
            t->val_type = TEMP_VAL_DEAD;
            t->mem_allocated = false;
            break;
        }
    }
    for (int i = 0; i < s->nb_labels; i++) {
        TCGLabel *l = s->labels[i];
        l->has_value = false;
        if (!l->relocs) {
            l->relocs = g_array_new(false, false, sizeof(uint8_t *));
        }
        g_array_set_size(l->relocs, 0);
    }

    b->rmw_st = -1;
    for (int oi = 0; oi < s->nb_ops; oi++) {
        const TCGOp *op = &s->ops[oi];

        b->cur_op = oi;
        if (end - s->code_ptr < CODE_MARGIN || b->overflow) {
            return -1;
        }
        switch (op->opc) {
        case INDEX_op_nop:
        case INDEX_op_discard:
            break;
        case INDEX_op_insn_start:
            if (have_insn) {
                tcg_record_insn_end(s, insn_data, s->code_ptr - start);
            }
            memcpy(insn_data, op->args, sizeof(insn_data));
            have_insn = true;
            break;
        case INDEX_op_mov_i32: case INDEX_op_mov_i64:
            reg_alloc_mov(s, op);
            break;
        case INDEX_op_movi_i32: case INDEX_op_movi_i64:
            reg_alloc_movi(s, op);
            break;
        case INDEX_op_call:
            reg_alloc_call(s, op);
            break;
        case INDEX_op_set_label: {
            TCGLabel *l = s->labels[op->args[0]];
            save_globals(s, true);
            l->has_value = true;
            l->value = s->code_ptr - start;
            for (guint k = 0; k < l->relocs->len; k++) {
                patch_rel32(g_array_index(l->relocs, uint8_t *, k), s->code_ptr);
            }
            break;
        }
        case INDEX_op_br: {
            TCGLabel *l = s->labels[op->args[0]];
            save_globals(s, true);
            if (l->has_value) {
                out_jmp_to(s, -1, start + l->value);
            } else {
                uint8_t *f = out_jcc_fwd(s, -1);
                g_array_append_val(l->relocs, f);
            }
            break;
        }
        case INDEX_op_ld_i32: {
            /* "ld t, env+ofs; brcond t, 0" with t dying there (the exit
             * request check that starts every block): cmp mem, 0; jcc. */
            const TCGOp *nx = oi + 1 < s->nb_ops ? &s->ops[oi + 1] : NULL;
            TCGTemp *zero = nx ? &s->temps[nx->args[1]] : NULL;
            if (nx && nx->opc == INDEX_op_brcond_i32 && nx->args[0] == op->args[0] &&
                (nx->life & DEAD_ARG(0)) && zero->kind == TEMP_CONST && zero->val == 0 &&
                (nx->args[2] == TCG_COND_NE || nx->args[2] == TCG_COND_EQ) &&
                (int64_t)op->args[1] == (int32_t)op->args[1]) {
                TCGLabel *l = s->labels[nx->args[3]];
                int jcc = tcg_cond_to_jcc[nx->args[2]];
                save_globals(s, true);
                out_modrm_offset(s, OPC_ARITH_EvIb, ARITH_CMP, TCG_AREG0, op->args[1]);
                out8(s, 0);
                if (l->has_value) {
                    out_jmp_to(s, jcc, start + l->value);
                } else {
                    uint8_t *f = out_jcc_fwd(s, jcc);
                    g_array_append_val(l->relocs, f);
                }
                oi++;
                break;
            }
            reg_alloc_op(s, op);
            break;
        }
        case INDEX_op_brcond_i32: case INDEX_op_brcond_i64: {
            TCGLabel *l = s->labels[op->args[3]];
            bool is64 = op->opc == INDEX_op_brcond_i64;
            TCGCond cond = op->args[2];
            OpRegs R;
            int a;
            TCGTemp *tb = &s->temps[op->args[1]];

            memset(&R, 0, sizeof(R));
            TCGTemp *ta = &s->temps[op->args[0]];
            /* A global still in memory is compared there (cmp [env+ofs], b). */
            bool amem = ta->kind == TEMP_GLOBAL && ta->val_type == TEMP_VAL_MEM &&
                        op->args[0] != op->args[1];
            b->locked = 0;
            a = amem ? -1 : temp_load(s, op->args[0], ALLOC_REGS);
            if (!amem) {
                b->locked |= RMASK(a);
            }
            if (tb->val_type == TEMP_VAL_CONST && const_ok(op->opc, is64, tb->val)) {
                R.ic[1] = true;
                R.iv[1] = tb->val;
            } else {
                R.i[1] = temp_load(s, op->args[1], ALLOC_REGS);
            }
            b->locked = 0;
            /* Stores only: the operand registers keep their values. */
            save_globals(s, true);
            if (cond == TCG_COND_NEVER) {
                break;
            }
            if (cond == TCG_COND_ALWAYS) {
                uint8_t *f = out_jcc_fwd(s, -1);
                g_array_append_val(l->relocs, f);
                break;
            }
            if (amem) {
                int w = rexw(is64);
                if (!R.ic[1]) {
                    out_modrm_offset(s, 0x39 | w, R.i[1], temp_base(ta), ta->mem_offset);
                } else if ((int64_t)R.iv[1] == (int8_t)R.iv[1]) {
                    out_modrm_offset(s, OPC_ARITH_EvIb | w, ARITH_CMP, temp_base(ta),
                                     ta->mem_offset);
                    out8(s, R.iv[1]);
                } else {
                    out_modrm_offset(s, OPC_ARITH_EvIz | w, ARITH_CMP, temp_base(ta),
                                     ta->mem_offset);
                    out32(s, R.iv[1]);
                }
            } else {
                out_setcond_flags(s, is64, a, &R, 1);
            }
            if (l->has_value) {
                out_jmp_to(s, tcg_cond_to_jcc[cond], start + l->value);
            } else {
                uint8_t *f = out_jcc_fwd(s, tcg_cond_to_jcc[cond]);
                g_array_append_val(l->relocs, f);
            }
            break;
        }
        case INDEX_op_exit_tb:
            save_globals(s, false);
            out_movi(s, true, R_RAX, op->args[0]);
            out_jmp_to(s, -1, tcg_rx_to_rw(&s->buf, s->tb_ret_addr));
            break;
        case INDEX_op_goto_tb: {
            unsigned n = op->args[0];
            save_globals(s, false);
            /* Align the rel32 field so that re-patching it is one atomic store. */
            out_nopn(s, (4 - ((uintptr_t)(s->code_ptr + 1) & 3)) & 3);
            out8(s, OPC_JMP_long);
            s->jmp_insn_offset[n] = s->code_ptr - start;
            out32(s, 0);
            s->jmp_reset_offset[n] = s->code_ptr - start;
            break;
        }
        case INDEX_op_goto_ptr: {
            int r;
            b->locked = 0;
            r = temp_load(s, op->args[0], ALLOC_REGS);
            save_globals(s, false);
            out_modrm(s, OPC_GRP5, EXT5_JMPN_Ev, r);
            break;
        }
        case INDEX_op_ext8u_i64: case INDEX_op_ext8s_i64:
        case INDEX_op_ext16u_i64: case INDEX_op_ext16s_i64:
        case INDEX_op_ext32u_i64: case INDEX_op_ext32s_i64:
            if (!reg_alloc_ext_mem(s, op)) {
                reg_alloc_op(s, op);
            }
            break;
        default:
            reg_alloc_op(s, op);
            break;
        }
    }
    if (have_insn) {
        tcg_record_insn_end(s, insn_data, s->code_ptr - start);
    }
    for (guint i = 0; i < s->ldst_labels->len; i++) {
        if (end - s->code_ptr < CODE_MARGIN) {
            return -1;
        }
        out_ldst_slow(s, &g_array_index(s->ldst_labels, TCGLdstLabel, i));
    }
    if (b->overflow) {
        return -1;
    }
    for (int i = 0; i < s->nb_labels; i++) {
        if (s->labels[i]->relocs->len && !s->labels[i]->has_value) {
            g_error("tcg: label L%d used but never set", i);
        }
    }
    s->gen_code_ptr = tcg_rw_to_rx(&s->buf, start);
    s->gen_code_size = s->code_ptr - start;
    s->buf.used = ((s->code_ptr - s->buf.rw) + 15) & ~(size_t)15;
    __builtin___clear_cache((char *)s->gen_code_ptr,
                            (char *)s->gen_code_ptr + s->gen_code_size);
    return s->gen_code_size;
}
