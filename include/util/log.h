/*
 * log.h: debug logging selected with -d MASK[,MASK] and sent to -D FILE.
 * The mask is process-wide configuration (not machine state) and is tested
 * with one load and branch, so logging costs nothing when it is off.
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include "util/osdep.h"

enum {
    LOG_IN_ASM      = 1 << 0,  /* guest code as translated, disassembled */
    LOG_OP          = 1 << 1,  /* IR before optimization */
    LOG_OP_OPT      = 1 << 2,  /* IR after optimization */
    LOG_OUT_ASM     = 1 << 3,  /* host code emitted */
    LOG_INT         = 1 << 4,  /* interrupts and exceptions */
    LOG_EXEC        = 1 << 5,  /* each translation block executed */
    LOG_UNIMP       = 1 << 6,  /* unimplemented features the guest touched */
    LOG_GUEST_ERROR = 1 << 7,  /* guest did something the hardware rejects */
    LOG_IOPORT      = 1 << 8,  /* unassigned port IO */
    LOG_CPU         = 1 << 9,  /* CPU state at block entry */
    LOG_RESET       = 1 << 10, /* resets and run state changes */
};

extern int bt86_log_mask;
extern FILE *bt86_log_file;

static inline bool log_enabled(int mask)
{
    return unlikely(bt86_log_mask & mask);
}

void log_printf(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

#define log_mask(mask, ...)                 \
    do {                                    \
        if (log_enabled(mask)) {            \
            log_printf(__VA_ARGS__);        \
        }                                   \
    } while (0)

/* Parse "in_asm,int" into a mask; false and *errp on an unknown name. */
typedef struct Error Error;
bool log_parse_mask(const char *str, int *mask, Error **errp);
bool log_set_file(const char *path, Error **errp);
/* Print the list of mask names (for -d help). */
void log_print_help(FILE *f);

#endif
