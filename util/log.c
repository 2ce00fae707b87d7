/*
 * log.c: -d MASK and -D FILE. See util/log.h.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "util/error.h"

int bt86_log_mask;
FILE *bt86_log_file;

static const struct {
    const char *name;
    int mask;
    const char *help;
} log_items[] = {
    { "in_asm", LOG_IN_ASM, "guest code of each translated block, disassembled" },
    { "op", LOG_OP, "IR of each block before optimization" },
    { "op_opt", LOG_OP_OPT, "IR after optimization" },
    { "out_asm", LOG_OUT_ASM, "host code emitted for each block, disassembled" },
    { "int", LOG_INT, "interrupts and exceptions" },
    { "exec", LOG_EXEC, "every translation block executed" },
    { "cpu", LOG_CPU, "CPU state before each block" },
    { "unimp", LOG_UNIMP, "unimplemented functionality the guest used" },
    { "guest_errors", LOG_GUEST_ERROR, "guest actions the hardware would reject" },
    { "ioport", LOG_IOPORT, "accesses to unassigned IO ports" },
    { "reset", LOG_RESET, "resets and run state changes" },
};

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(bt86_log_file ? bt86_log_file : stderr, fmt, ap);
    va_end(ap);
}

bool log_parse_mask(const char *str, int *mask, Error **errp)
{
    int m = 0;
    char **names = g_strsplit(str, ",", -1);
    bool ok = true;

    for (char **n = names; *n; n++) {
        bool found = false;
        if (!strcmp(*n, "all")) {
            m = ~0;
            continue;
        }
        for (size_t i = 0; i < ARRAY_SIZE(log_items); i++) {
            if (!strcmp(*n, log_items[i].name)) {
                m |= log_items[i].mask;
                found = true;
            }
        }
        if (!found) {
            error_setg(errp, "-d %s: unknown log item '%s' (try -d help)", str, *n);
            ok = false;
            break;
        }
    }
    g_strfreev(names);
    if (ok) {
        *mask = m;
    }
    return ok;
}

bool log_set_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        error_setg_errno(errp, errno, "-D %s", path);
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (bt86_log_file) {
        fclose(bt86_log_file);
    }
    bt86_log_file = f;
    return true;
}

void log_print_help(FILE *f)
{
    fprintf(f, "Log items (comma separated, or 'all'):\n");
    for (size_t i = 0; i < ARRAY_SIZE(log_items); i++) {
        fprintf(f, "%-13s %s\n", log_items[i].name, log_items[i].help);
    }
}
