/*
 * tcg-internal.h: declarations shared between the IR core (tcg.c,
 * optimize.c), the code buffer and the two backends. Not for front ends.
 */
#ifndef TCG_TCG_INTERNAL_H
#define TCG_TCG_INTERNAL_H

#include "tcg/tcg.h"

/* An out-of-line softmmu slow path queued while emitting a block. */
typedef struct TCGLdstLabel {
    bool is_ld;
    bool is64;
    bool rmw;               /* load paired with a store: clear TCG_TMP0 after */
    MemOpIdx oi;
    int addr_reg;
    int data_reg;           /* value to store, or destination of a load */
    uint8_t *label_ptr;     /* rel32 of the jne to patch (rw view) */
    uint8_t *raddr;         /* where to come back (rw view) */
} TCGLdstLabel;

int tcg_constant_internal(TCGContext *s, TCGType type, int64_t val);
const char *tcg_cond_name(TCGCond c);
void tcg_temp_name(TCGContext *s, int idx, char *buf, size_t len);
void tcg_dump_op(TCGContext *s, const TCGOp *op, FILE *f);
void tcg_record_insn_end(TCGContext *s, const uint64_t *data, uint32_t end_off);

/* Code buffer (codebuf.c). */
bool tcg_codebuf_init(TCGCodeBuf *b, size_t size, Error **errp);
void tcg_codebuf_destroy(TCGCodeBuf *b);
static inline const void *tcg_rw_to_rx(const TCGCodeBuf *b, const void *rw)
{
    return b->rx + ((const uint8_t *)rw - b->rw);
}
static inline uint8_t *tcg_rx_to_rw(const TCGCodeBuf *b, const void *rx)
{
    return b->rw + ((const uint8_t *)rx - b->rx);
}

/* Native x86-64 backend (x86_64/tcg-target.c). */
void tcg_x86_emit_prologue(TCGContext *s);
int tcg_x86_gen_code(TCGContext *s);
void tcg_x86_set_jmp_target(TCGContext *s, const void *code, uint32_t off,
                            const void *target);

/* Interpreter backend (interp/tci.c). */
void tci_init(TCGContext *s);
int tci_gen_code(TCGContext *s);
uintptr_t tci_exec(TCGContext *s, void *env, const void *code);
void tci_set_jmp_target(TCGContext *s, const void *code, uint32_t off,
                        const void *target);

/* Reference semantics of the pure ops, shared by the optimizer and interpreter. */
uint64_t tcg_fold_op(TCGOpcode opc, uint64_t a, uint64_t b, uint64_t c0, uint64_t c1);
bool tcg_op_foldable(TCGOpcode opc);

#endif
