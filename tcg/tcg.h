/*
 * tcg.h: the bt86 translator's intermediate representation and builder API.
 *
 * A front end (target-x86/) describes a guest block as a list of IR ops on
 * typed temporaries through the tcg_gen_*() emitters below; a host backend
 * (tcg/x86_64 native emitter or tcg/interp interpreter) turns the list into
 * something runnable. This file knows nothing about x86 guest semantics.
 * Every op is declared once in tcg/tcg-opc.def. docs/tcg.md describes the
 * model (temp kinds, helper flags, softmmu TLB contract, chaining).
 */
#ifndef TCG_TCG_H
#define TCG_TCG_H

#include "util/osdep.h"
#include "util/error.h"

/* ---- Op table -------------------------------------------------------- */

#define TCG_INSN_START_WORDS 3      /* guest pc + two target-defined words */
#define TCG_MAX_OP_ARGS      10
#define TCG_MAX_HELPER_ARGS  6      /* all passed in SysV integer registers */

enum {
    TCG_OPF_BB_END       = 1 << 0,  /* ends a basic block: normal temps die */
    TCG_OPF_CALL_CLOBBER = 1 << 1,  /* clobbers caller-saved host registers */
    TCG_OPF_SIDE_EFFECTS = 1 << 2,  /* never removed by dead code elimination */
    TCG_OPF_64BIT        = 1 << 3,
    TCG_OPF_NOT_PRESENT  = 1 << 4,  /* handled by the allocator, not the emitter */
    TCG_OPF_BB_EXIT      = 1 << 5,  /* leaves the translation block */
    TCG_OPF_COND_BRANCH  = 1 << 6,
    TCG_OPF_GUEST_MEM    = 1 << 7,  /* guest memory access through the TLB */
};

typedef enum TCGOpcode {
#define DEF(name, oargs, iargs, cargs, flags) INDEX_op_##name,
#include "tcg/tcg-opc.def"
#undef DEF
    NB_TCG_OPS,
} TCGOpcode;

typedef struct TCGOpDef {
    const char *name;
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint16_t flags;
} TCGOpDef;

extern const TCGOpDef tcg_op_defs[NB_TCG_OPS];

/* Comparison conditions for setcond / movcond / brcond. */
typedef enum TCGCond {
    TCG_COND_NEVER, TCG_COND_ALWAYS,
    TCG_COND_EQ, TCG_COND_NE,
    TCG_COND_LT, TCG_COND_GE, TCG_COND_LE, TCG_COND_GT,      /* signed */
    TCG_COND_LTU, TCG_COND_GEU, TCG_COND_LEU, TCG_COND_GTU,  /* unsigned */
    TCG_COND_COUNT,
} TCGCond;

TCGCond tcg_invert_cond(TCGCond c);
TCGCond tcg_swap_cond(TCGCond c);       /* cond for swapped operands */
bool tcg_eval_cond(TCGCond c, uint64_t a, uint64_t b, bool is64);

/*
 * Guest memory operation: size, signedness, and the MMU index in a packed
 * constant (MemOpIdx). Guest and host are both little-endian.
 */
typedef enum MemOp {
    MO_8 = 0, MO_16 = 1, MO_32 = 2, MO_64 = 3,
    MO_SIZE = 3,
    MO_SIGN = 4,
    MO_UB = MO_8, MO_UW = MO_16, MO_UL = MO_32, MO_UQ = MO_64,
    MO_SB = MO_8 | MO_SIGN, MO_SW = MO_16 | MO_SIGN, MO_SL = MO_32 | MO_SIGN,
} MemOp;

#define TCG_MAX_MMU_MODES 8
typedef uint32_t MemOpIdx;

static inline MemOpIdx make_memop_idx(MemOp op, unsigned mmu_idx)
{
    return (op & 7) | ((mmu_idx & (TCG_MAX_MMU_MODES - 1)) << 4);
}
static inline MemOp get_memop(MemOpIdx oi) { return oi & 7; }
static inline unsigned get_mmuidx(MemOpIdx oi) { return (oi >> 4) & 7; }

/* ---- Temporaries --------------------------------------------------------- */

typedef enum TCGType { TCG_TYPE_I32, TCG_TYPE_I64 } TCGType;

typedef enum TCGTempKind {
    TEMP_NORMAL,   /* dies at the end of each basic block (label, branch) */
    TEMP_LOCAL,    /* lives for the whole translation block, across branches */
    TEMP_GLOBAL,   /* backed by a field of the CPU state at env + offset */
    TEMP_CONST,    /* interned constant; never written */
    TEMP_FIXED,    /* the env pointer itself (for passing to helpers) */
} TCGTempKind;

typedef enum TCGTempVal {
    TEMP_VAL_DEAD, TEMP_VAL_REG, TEMP_VAL_MEM, TEMP_VAL_CONST,
} TCGTempVal;

typedef struct TCGTemp {
    uint8_t kind;           /* TCGTempKind */
    uint8_t type;           /* TCGType */
    bool allocated;         /* normal/local temp currently handed out */
    bool mem_allocated;     /* backend: stack slot assigned (mem_offset valid) */
    bool mem_coherent;      /* backend: memory copy equals the register */
    uint8_t val_type;       /* backend: TCGTempVal */
    int8_t reg;             /* backend: host register when val_type == REG */
    intptr_t mem_offset;    /* global: env offset; others: frame slot */
    uint64_t val;           /* constant value */
    const char *name;       /* globals only */
    void *state;            /* scratch for passes (optimizer, liveness) */
} TCGTemp;

/*
 * Typed handles. Each is a distinct struct type, so passing an i32 where an
 * i64 is expected is a compile error. They hold the temp's index.
 */
typedef struct TCGv_i32 { int idx; } TCGv_i32;
typedef struct TCGv_i64 { int idx; } TCGv_i64;
typedef struct TCGv_ptr { int idx; } TCGv_ptr;   /* a host pointer (64-bit) */

typedef uint64_t TCGArg;

typedef struct TCGOp {
    uint16_t opc;           /* TCGOpcode */
    uint8_t nb_oargs, nb_iargs, nb_cargs;
    uint32_t life;          /* liveness: bit i set = arg i dead after the op */
    TCGArg args[TCG_MAX_OP_ARGS];
} TCGOp;

#define DEAD_ARG(i) (1u << (i))
/* Output i is a global that nothing reads before it is written again; only a
 * later sync point or the block end needs it, in memory: the backend may store
 * it at once instead of keeping a register for it. */
#define SYNC_ARG(i) (1u << (24 + (i)))

typedef struct TCGLabel {
    int id;
    bool has_value;
    bool referenced;
    uintptr_t value;        /* backend: code offset once placed */
    GArray *relocs;         /* backend: offsets of rel32 fields to patch */
} TCGLabel;

/* ---- Helpers ----------------------------------------------------------- */

/* What a helper may do, so the optimizer and allocator can trust it. */
enum {
    TCG_CALL_NO_READ_GLOBALS  = 1 << 0,  /* globals need not be synced before */
    TCG_CALL_NO_WRITE_GLOBALS = 1 << 1,  /* globals stay valid in registers after */
    TCG_CALL_NO_SIDE_EFFECTS  = 1 << 2,  /* removable if its result is unused */
    TCG_CALL_MAY_RAISE        = 1 << 3,  /* may long-jump out: globals synced before */
};
#define TCG_CALL_PURE \
    (TCG_CALL_NO_READ_GLOBALS | TCG_CALL_NO_WRITE_GLOBALS | TCG_CALL_NO_SIDE_EFFECTS)

typedef enum TCGCallType {
    TCG_CALL_VOID, TCG_CALL_I32, TCG_CALL_I64, TCG_CALL_PTR,
} TCGCallType;

/*
 * A helper declaration. Front ends write one const instance per helper
 * (usually from a .def table) and pass its address to tcg_gen_call*().
 * Arguments are integers or pointers (SysV: all in registers).
 */
typedef struct TCGHelperInfo {
    const void *func;
    const char *name;
    uint16_t flags;
    uint8_t ret;            /* TCGCallType */
    uint8_t nb_args;
    uint8_t args[TCG_MAX_HELPER_ARGS];  /* TCGCallType of each argument */
} TCGHelperInfo;

/*
 * Declare a helper in one line (at least one argument, usually env):
 *   static const TCGHelperInfo hi_foo =
 *       TCG_HELPER_INFO(helper_foo, TCG_CALL_MAY_RAISE, TCG_CALL_VOID,
 *                       TCG_CALL_PTR, TCG_CALL_I32);
 */
#define TCG_HELPER_INFO(fn, fl, rt, ...)                                       \
    { .func = (const void *)(fn), .name = #fn, .flags = (fl), .ret = (rt),     \
      .nb_args = sizeof((const uint8_t[]){ __VA_ARGS__ }),                     \
      .args = { __VA_ARGS__ } }

/* ---- Softmmu TLB contract ----------------------------------------------- */

/*
 * One TLB entry, laid out exactly like this by accel/tcg. The page address in
 * each addr_* field has TCG_TLB_FLAG_* bits in its low bits; plain RAM keeps
 * them zero, so the inline fast path is one compare of the page address.
 * host = guest_vaddr + addend.
 */
typedef struct TCGTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;
} TCGTLBEntry;

#define TCG_TLB_ENTRY_BITS 5    /* sizeof(TCGTLBEntry) == 32 */
#define TCG_TLB_FLAG_INVALID    (1u << 0)
#define TCG_TLB_FLAG_NOTDIRTY   (1u << 1)   /* code page: stores go slow */
#define TCG_TLB_FLAG_MMIO       (1u << 2)
#define TCG_TLB_FLAG_FORCE_SLOW (1u << 3)

/*
 * Slow-path helpers: they perform the access whatever the TLB says (refill,
 * MMIO, page-crossing, faults) and return the value extended per the MemOp.
 * retaddr is the host code address inside the block that made the access; the
 * execution loop maps it back to the guest instruction (tcg_search_insn()).
 */
typedef uint64_t (*TCGLoadHelper)(void *env, uint64_t addr, MemOpIdx oi,
                                  uintptr_t retaddr);
typedef void (*TCGStoreHelper)(void *env, uint64_t addr, uint64_t val, MemOpIdx oi,
                               uintptr_t retaddr);

/*
 * Where the TLB lives in the CPU state. For each MMU index, env holds a
 * uintptr_t mask = (nb_entries - 1) << TCG_TLB_ENTRY_BITS and a pointer to the
 * TCGTLBEntry array. With fast_path false, every access calls the helpers.
 */
typedef struct TCGTLBDesc {
    bool fast_path;
    int page_bits;                          /* 12 on x86 */
    int nb_mmu_modes;
    intptr_t mask_ofs[TCG_MAX_MMU_MODES];   /* env offset of the mask */
    uint32_t fixed_mask;    /* nonzero: the mask never changes (an immediate) */
    intptr_t table_ofs[TCG_MAX_MMU_MODES];  /* env offset of the table pointer */
    TCGLoadHelper load;
    TCGStoreHelper store;
} TCGTLBDesc;

/* ---- Context ------------------------------------------------------------ */

typedef enum TCGBackendKind { TCG_BACKEND_NATIVE, TCG_BACKEND_INTERP } TCGBackendKind;

typedef struct TCGCodeBuf {
    uint8_t *rw;            /* writable view */
    const uint8_t *rx;      /* executable view (== rw for a single RWX map) */
    size_t size;
    size_t used;            /* bytes handed out so far (prologue first) */
    size_t base;            /* bytes kept by tcg_code_flush (the prologue) */
    int fd;
    bool dual;              /* two views of one memfd */
} TCGCodeBuf;

/* Where a block's instructions ended, to map a host pc back to guest state. */
typedef struct TCGInsnRecord {
    uint32_t end_off;                       /* code offset after the insn */
    uint64_t data[TCG_INSN_START_WORDS];
} TCGInsnRecord;

typedef struct TCGContext TCGContext;
typedef void (*TCGPassHook)(TCGContext *s, void *opaque);

struct TCGContext {
    TCGBackendKind backend;

    /* Temps: globals first (they persist), then per-block temps. */
    TCGTemp *temps;
    int nb_temps, temps_cap;
    int nb_globals;
    int env_temp;               /* index of the TEMP_FIXED env pointer */
    GHashTable *const_table[2]; /* value -> temp index + 1, per TCGType */

    /* Op list of the block under construction. */
    TCGOp *ops;
    int nb_ops, ops_cap;
    TCGLabel **labels;
    int nb_labels, labels_cap;

    /* Options. */
    bool optimize;
    TCGPassHook pre_opt_hook;   /* e.g. target flag liveness; may edit ops */
    void *pre_opt_opaque;

    TCGTLBDesc tlb;

    /*
     * Logging (-d op, op_opt, out_asm): the accel points these at the log
     * file when the mask is on; NULL (the default) costs one test each.
     */
    FILE *log_op;
    FILE *log_op_opt;
    FILE *log_out_asm;

    /* Code buffer and fixed entry points inside it. */
    TCGCodeBuf buf;
    const void *code_gen_prologue;   /* native: entry(env, code) */
    const void *code_gen_epilogue;   /* goto_ptr here: returns 0 */
    const void *tb_ret_addr;         /* native: where exit_tb lands */

    /* Results of the last tcg_gen_code(). */
    const void *gen_code_ptr;       /* executable address of the block */
    size_t gen_code_size;
    uint32_t jmp_insn_offset[2];    /* goto_tb n: offset of the patchable field */
    uint32_t jmp_reset_offset[2];   /* goto_tb n: offset of the unchained target */
    bool goto_tb_used[2];
    TCGInsnRecord *insns;
    int nb_insns, insns_cap;

    /* Interpreter: address (+1) of the op calling a helper right now. */
    uintptr_t tci_retaddr;

    /* Backend private state. */
    void *be;
    uint8_t *code_ptr;              /* native: current write pointer (rw view) */
    uint8_t *code_start;            /* native: start of the block (rw view) */
    GArray *ldst_labels;            /* native: slow paths to emit after the block */
    int frame_next;                 /* native: next free spill slot */
};

/* ---- Context lifetime --------------------------------------------------- */

/*
 * Create a context with a code buffer of buf_size bytes. For the native
 * backend this also emits the prologue/epilogue. Returns NULL and sets *errp
 * when the backend is unusable on this host or the buffer cannot be mapped.
 */
TCGContext *tcg_context_new(TCGBackendKind backend, size_t buf_size, Error **errp);
void tcg_context_free(TCGContext *s);
/* True if the native emitter runs on this host (CPU features present). */
bool tcg_native_available(void);
/* Drop all generated blocks (the prologue stays). */
void tcg_code_flush(TCGContext *s);
/* Free bytes left in the code buffer. */
size_t tcg_code_free(TCGContext *s);

/* Begin a new block: drop block temps, ops, labels. Globals are kept. */
void tcg_func_start(TCGContext *s);

/* ---- Temps ---------------------------------------------------------------- */

TCGv_i32 tcg_global_mem_new_i32(TCGContext *s, intptr_t offset, const char *name);
TCGv_i64 tcg_global_mem_new_i64(TCGContext *s, intptr_t offset, const char *name);
TCGv_ptr tcg_env(TCGContext *s);

TCGv_i32 tcg_temp_new_i32(TCGContext *s);
TCGv_i64 tcg_temp_new_i64(TCGContext *s);
TCGv_i32 tcg_temp_local_new_i32(TCGContext *s);
TCGv_i64 tcg_temp_local_new_i64(TCGContext *s);
TCGv_ptr tcg_temp_new_ptr(TCGContext *s);
void tcg_temp_free_i32(TCGContext *s, TCGv_i32 t);
void tcg_temp_free_i64(TCGContext *s, TCGv_i64 t);

TCGv_i32 tcg_constant_i32(TCGContext *s, int32_t val);
TCGv_i64 tcg_constant_i64(TCGContext *s, int64_t val);

static inline TCGTemp *tcg_temp(TCGContext *s, int idx) { return &s->temps[idx]; }
static inline int tcgv_i32_arg(TCGv_i32 v) { return v.idx; }
static inline int tcgv_i64_arg(TCGv_i64 v) { return v.idx; }
static inline int tcgv_ptr_arg(TCGv_ptr v) { return v.idx; }
static inline TCGv_i32 temp_tcgv_i32(int idx) { return (TCGv_i32){ idx }; }
static inline TCGv_i64 temp_tcgv_i64(int idx) { return (TCGv_i64){ idx }; }

/* ---- Labels ---------------------------------------------------------------- */

TCGLabel *gen_new_label(TCGContext *s);
void gen_set_label(TCGContext *s, TCGLabel *l);

/* ---- Raw op emission ------------------------------------------------------- */

TCGOp *tcg_emit_op(TCGContext *s, TCGOpcode opc, int nargs, const TCGArg *args);
/* Turn an op into a nop; passes compact the list afterwards. */
void tcg_op_remove(TCGContext *s, TCGOp *op);
void tcg_ops_compact(TCGContext *s);

/* ---- Builder: 32-bit ---------------------------------------------------- */

void tcg_gen_mov_i32(TCGContext *s, TCGv_i32 ret, TCGv_i32 arg);
void tcg_gen_movi_i32(TCGContext *s, TCGv_i32 ret, int32_t val);
void tcg_gen_add_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_sub_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_mul_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_and_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_or_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_xor_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_andc_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_shl_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_shr_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_sar_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_rotl_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_rotr_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_addi_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_andi_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_shli_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b);
void tcg_gen_shri_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b);
void tcg_gen_sari_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b);
void tcg_gen_neg_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_not_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_ext8s_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_ext8u_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_ext16s_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_ext16u_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_setcond_i32(TCGContext *s, TCGCond c, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_movcond_i32(TCGContext *s, TCGCond c, TCGv_i32 r, TCGv_i32 c1,
                         TCGv_i32 c2, TCGv_i32 v1, TCGv_i32 v2);
void tcg_gen_brcond_i32(TCGContext *s, TCGCond c, TCGv_i32 a, TCGv_i32 b, TCGLabel *l);
void tcg_gen_brcondi_i32(TCGContext *s, TCGCond c, TCGv_i32 a, int32_t b, TCGLabel *l);
void tcg_gen_deposit_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 b,
                         unsigned pos, unsigned len);
void tcg_gen_extract_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, unsigned pos,
                         unsigned len);
void tcg_gen_sextract_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, unsigned pos,
                          unsigned len);
void tcg_gen_add2_i32(TCGContext *s, TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al,
                      TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_sub2_i32(TCGContext *s, TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 al,
                      TCGv_i32 ah, TCGv_i32 bl, TCGv_i32 bh);
void tcg_gen_mulu2_i32(TCGContext *s, TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_muls2_i32(TCGContext *s, TCGv_i32 rl, TCGv_i32 rh, TCGv_i32 a, TCGv_i32 b);
void tcg_gen_bswap16_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_bswap32_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_clz_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 if_zero);
void tcg_gen_ctz_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, TCGv_i32 if_zero);
void tcg_gen_ctpop_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a);
void tcg_gen_ld8u_i32(TCGContext *s, TCGv_i32 r, intptr_t env_ofs);
void tcg_gen_ld8s_i32(TCGContext *s, TCGv_i32 r, intptr_t env_ofs);
void tcg_gen_ld16u_i32(TCGContext *s, TCGv_i32 r, intptr_t env_ofs);
void tcg_gen_ld16s_i32(TCGContext *s, TCGv_i32 r, intptr_t env_ofs);
void tcg_gen_ld_i32(TCGContext *s, TCGv_i32 r, intptr_t env_ofs);
void tcg_gen_st8_i32(TCGContext *s, TCGv_i32 v, intptr_t env_ofs);
void tcg_gen_st16_i32(TCGContext *s, TCGv_i32 v, intptr_t env_ofs);
void tcg_gen_st_i32(TCGContext *s, TCGv_i32 v, intptr_t env_ofs);
void tcg_gen_qemu_ld_i32(TCGContext *s, TCGv_i32 r, TCGv_i64 addr, MemOp mo,
                         unsigned mmu_idx);
void tcg_gen_qemu_st_i32(TCGContext *s, TCGv_i32 v, TCGv_i64 addr, MemOp mo,
                         unsigned mmu_idx);

/* ---- Builder: 64-bit ---------------------------------------------------- */

void tcg_gen_mov_i64(TCGContext *s, TCGv_i64 ret, TCGv_i64 arg);
void tcg_gen_movi_i64(TCGContext *s, TCGv_i64 ret, int64_t val);
void tcg_gen_add_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_sub_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_mul_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_and_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_or_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_xor_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_andc_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_shl_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_shr_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_sar_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_rotl_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_rotr_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_addi_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_andi_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_shli_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b);
void tcg_gen_shri_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b);
void tcg_gen_sari_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b);
void tcg_gen_neg_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_not_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext8s_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext8u_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext16s_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext16u_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext32s_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext32u_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ext_i32_i64(TCGContext *s, TCGv_i64 r, TCGv_i32 a);
void tcg_gen_extu_i32_i64(TCGContext *s, TCGv_i64 r, TCGv_i32 a);
void tcg_gen_extrl_i64_i32(TCGContext *s, TCGv_i32 r, TCGv_i64 a);
void tcg_gen_extrh_i64_i32(TCGContext *s, TCGv_i32 r, TCGv_i64 a);
void tcg_gen_setcond_i64(TCGContext *s, TCGCond c, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_movcond_i64(TCGContext *s, TCGCond c, TCGv_i64 r, TCGv_i64 c1,
                         TCGv_i64 c2, TCGv_i64 v1, TCGv_i64 v2);
void tcg_gen_brcond_i64(TCGContext *s, TCGCond c, TCGv_i64 a, TCGv_i64 b, TCGLabel *l);
void tcg_gen_brcondi_i64(TCGContext *s, TCGCond c, TCGv_i64 a, int64_t b, TCGLabel *l);
void tcg_gen_deposit_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 b,
                         unsigned pos, unsigned len);
void tcg_gen_extract_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, unsigned pos,
                         unsigned len);
void tcg_gen_sextract_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, unsigned pos,
                          unsigned len);
void tcg_gen_add2_i64(TCGContext *s, TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al,
                      TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_sub2_i64(TCGContext *s, TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 al,
                      TCGv_i64 ah, TCGv_i64 bl, TCGv_i64 bh);
void tcg_gen_mulu2_i64(TCGContext *s, TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_muls2_i64(TCGContext *s, TCGv_i64 rl, TCGv_i64 rh, TCGv_i64 a, TCGv_i64 b);
void tcg_gen_bswap16_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_bswap32_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_bswap64_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_clz_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 if_zero);
void tcg_gen_ctz_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, TCGv_i64 if_zero);
void tcg_gen_ctpop_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a);
void tcg_gen_ld8u_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld8s_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld16u_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld16s_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld32u_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld32s_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_ld_i64(TCGContext *s, TCGv_i64 r, intptr_t env_ofs);
void tcg_gen_st8_i64(TCGContext *s, TCGv_i64 v, intptr_t env_ofs);
void tcg_gen_st16_i64(TCGContext *s, TCGv_i64 v, intptr_t env_ofs);
void tcg_gen_st32_i64(TCGContext *s, TCGv_i64 v, intptr_t env_ofs);
void tcg_gen_st_i64(TCGContext *s, TCGv_i64 v, intptr_t env_ofs);
void tcg_gen_qemu_ld_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 addr, MemOp mo,
                         unsigned mmu_idx);
void tcg_gen_qemu_st_i64(TCGContext *s, TCGv_i64 v, TCGv_i64 addr, MemOp mo,
                         unsigned mmu_idx);

/* ---- Builder: immediate-operand conveniences (both widths) ------------- */

void tcg_gen_subi_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_ori_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_xori_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_muli_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_rotli_i32(TCGContext *s, TCGv_i32 r, TCGv_i32 a, int b);
void tcg_gen_setcondi_i32(TCGContext *s, TCGCond c, TCGv_i32 r, TCGv_i32 a, int32_t b);
void tcg_gen_subi_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_ori_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_xori_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_muli_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int64_t b);
void tcg_gen_rotli_i64(TCGContext *s, TCGv_i64 r, TCGv_i64 a, int b);
void tcg_gen_setcondi_i64(TCGContext *s, TCGCond c, TCGv_i64 r, TCGv_i64 a, int64_t b);

/* ---- Builder: control flow and calls ----------------------------------- */

void tcg_gen_br(TCGContext *s, TCGLabel *l);
/* Record the start of a guest instruction (pc + target words). */
void tcg_gen_insn_start(TCGContext *s, uint64_t pc, uint64_t w1, uint64_t w2);
/* Direct jump slot n (0 or 1), patched by tcg_set_jmp_target(). */
void tcg_gen_goto_tb(TCGContext *s, unsigned n);
/* Leave the generated code; tcg_exec_code() returns val. */
void tcg_gen_exit_tb(TCGContext *s, uintptr_t val);
/* Jump to a host code pointer (a block, or s->code_gen_epilogue to return 0). */
void tcg_gen_goto_ptr(TCGContext *s, TCGv_ptr dest);
void tcg_gen_discard_i32(TCGContext *s, TCGv_i32 t);
void tcg_gen_discard_i64(TCGContext *s, TCGv_i64 t);
/*
 * Call a helper. ret is a temp index of the matching type (or -1 for void);
 * args[] holds temp indexes (see tcgv_*_arg()), nargs must equal info->nb_args.
 */
void tcg_gen_call(TCGContext *s, const TCGHelperInfo *info, int ret, int nargs,
                  const int *args);

/* ---- Passes and code generation ----------------------------------------- */

/* Constant folding, copy propagation, simplification, branch folding. */
void tcg_optimize(TCGContext *s);
/* Backward liveness: fills op->life and removes dead ops. */
void tcg_liveness(TCGContext *s);
/* Check the op list is well-formed (types, operands, labels); false + *errp. */
bool tcg_verify(TCGContext *s, Error **errp);

/*
 * Generate code for the op list into the code buffer. Returns the size in
 * bytes (>= 0) or -1 if the buffer is full (flush and retry) or the block is
 * too large (split it). On success s->gen_code_ptr, jmp_*_offset, insns[] are set.
 */
int tcg_gen_code(TCGContext *s);

/* Run generated code. Returns the exit_tb value (0 from the epilogue). */
uintptr_t tcg_exec_code(TCGContext *s, void *env, const void *code);

/*
 * Chain: make goto_tb slot n of the block at code (whose offsets were
 * jmp_insn_offset[n]) jump to target; target == code + jmp_reset_offset[n]
 * unchains. Atomic with respect to threads running the code.
 */
void tcg_set_jmp_target(TCGContext *s, const void *code, uint32_t jmp_insn_offset,
                        const void *target);

/*
 * Map a host return address inside a block (code, insns[]) back to the index
 * of the guest instruction that contained it; -1 if not inside.
 */
int tcg_search_insn(const TCGInsnRecord *insns, int nb_insns, const void *code,
                    uintptr_t host_pc);

/*
 * Inside a helper called from generated code: the host return address to use
 * with tcg_search_insn(). Pass __builtin_return_address(0) as hostra; under
 * the interpreter (whose helpers return into C) the current op is used.
 */
static inline uintptr_t tcg_helper_retaddr(TCGContext *s, uintptr_t hostra)
{
    return s->backend == TCG_BACKEND_INTERP ? s->tci_retaddr : hostra;
}

/* Print the op list (for -d op / op_opt). */
void tcg_dump_ops(TCGContext *s, FILE *f);
/* Disassemble host code with Capstone (for -d out_asm). Returns #insns or -1. */
int tcg_disas_host(FILE *f, const void *code, size_t size);

#endif
