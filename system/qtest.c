/*
 * qtest.c: the device harness (-accel qtest -qtest CHARDEV), the way to test a
 * device model with no CPU at all. A test program sends one command a line over
 * a chardev (usually a Unix socket) and gets one reply line each; machine events
 * (IRQ line changes, resets, shutdown) arrive as asynchronous lines in between.
 * The clock is manual: time moves only when the test steps it, so timer-driven
 * device behaviour is deterministic. The protocol is specified in
 * docs/harness.md; tests/harness/libharness.c is its client.
 *
 * As an accelerator it is the null case: no vCPU ever runs, and nothing drives
 * the interrupt lines but the devices themselves.
 */
#include "util/osdep.h"
#include "system/qtest.h"
#include "system/accel.h"
#include "chardev/char.h"

/* A command line is at most this long: "write ADDR LEN HEX" with the largest
 * LEN below takes about twice LEN. Longer lines are refused, not buffered. */
#define QTEST_MAX_LINE  (2 * QTEST_MAX_LEN + 128)
#define QTEST_MAX_LEN   (1 * MiB)

typedef struct QTest QTest;

typedef struct QTestIrq {
    QTest *qt;
    int gsi;
    IRQHandler old_handler;
    void *old_opaque;
} QTestIrq;

struct QTest {
    Machine *m;
    Chardev *chr;
    GString *line;          /* a command line being received */
    bool overlong;          /* discarding the rest of a too-long line */
    bool intercepted;
    int irq_level[NUM_GSI];
    QTestIrq irqs[NUM_GSI];
};

static QTest *qtest_state(Machine *m)
{
    if (!m->qtest) {
        QTest *qt = g_new0(QTest, 1);
        qt->m = m;
        qt->line = g_string_new(NULL);
        m->qtest = qt;
    }
    return m->qtest;
}

static void qtest_send(QTest *qt, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void qtest_send(QTest *qt, const char *fmt, ...)
{
    if (!qt->chr) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *line = g_strconcat(s, "\n", NULL);
    chardev_write(qt->chr, (const uint8_t *)line, strlen(line));
    g_free(line);
    g_free(s);
}

/* ---- IRQ observation ---- */

static void qtest_irq_handler(void *opaque, int n, int level)
{
    QTestIrq *qi = opaque;
    QTest *qt = qi->qt;
    level = level != 0;
    if (qt->irq_level[qi->gsi] != level) {
        qt->irq_level[qi->gsi] = level;
        qtest_send(qt, "IRQ %s %d", level ? "raise" : "lower", qi->gsi);
    }
}

static void qtest_irq_intercept(QTest *qt)
{
    Machine *m = qt->m;
    for (int i = 0; i < NUM_GSI; i++) {
        IRQLine *line = m->gsi[i];
        if (!line) {
            continue;
        }
        QTestIrq *qi = &qt->irqs[i];
        if (!qt->intercepted) {
            qi->qt = qt;
            qi->gsi = i;
            qi->old_handler = line->handler;
            qi->old_opaque = line->opaque;
            line->handler = qtest_irq_handler;
            line->opaque = qi;
        }
        /* Lines already high are announced, so the client's view starts right. */
        qt->irq_level[i] = line->level != 0;
        if (qt->irq_level[i]) {
            qtest_send(qt, "IRQ raise %d", i);
        }
    }
    qt->intercepted = true;
}

static void qtest_irq_restore(QTest *qt)
{
    if (!qt->intercepted) {
        return;
    }
    for (int i = 0; i < NUM_GSI; i++) {
        IRQLine *line = qt->m->gsi[i];
        if (line && line->opaque == &qt->irqs[i]) {
            line->handler = qt->irqs[i].old_handler;
            line->opaque = qt->irqs[i].old_opaque;
        }
    }
    qt->intercepted = false;
}

/* ---- commands ---- */

/* Hex with 0x, or decimal; nothing else (a leading 0 is not octal here). */
static bool qtest_parse_num(const char *s, uint64_t *out)
{
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s || !g_ascii_isxdigit(*s)) {
        return false;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end) {
        return false;
    }
    *out = v;
    return true;
}

static int hexval(char c)
{
    return g_ascii_xdigit_value(c);
}

typedef struct QTestCmd {
    const char *name;
    int nargs;              /* exact, or -1 for 0 or 1 */
    unsigned size;          /* access width for in/out/read/write */
    /* Returns false with *msg set for an ERR reply. */
    bool (*fn)(QTest *qt, const struct QTestCmd *cmd, uint64_t *a, char **argv,
               GString *reply, const char **msg);
} QTestCmd;

static bool qtest_check_value(const QTestCmd *cmd, uint64_t v, const char **msg)
{
    if (cmd->size < 8 && v >> (cmd->size * 8)) {
        *msg = "value too wide for the access size";
        return false;
    }
    return true;
}

static bool qtest_cmd_out(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                          GString *reply, const char **msg)
{
    if (a[0] > 0xffff) {
        *msg = "port out of range";
        return false;
    }
    if (!qtest_check_value(cmd, a[1], msg)) {
        return false;
    }
    ioport_write(&qt->m->io, a[0], a[1], cmd->size);
    return true;
}

static bool qtest_cmd_in(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                         GString *reply, const char **msg)
{
    if (a[0] > 0xffff) {
        *msg = "port out of range";
        return false;
    }
    uint32_t v = ioport_read(&qt->m->io, a[0], cmd->size);
    g_string_append_printf(reply, " 0x%" PRIx32, v);
    return true;
}

static bool qtest_cmd_readn(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                            GString *reply, const char **msg)
{
    uint64_t v = memmap_load(&qt->m->mem, a[0], cmd->size);
    g_string_append_printf(reply, " 0x%" PRIx64, v);
    return true;
}

static bool qtest_cmd_writen(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                             GString *reply, const char **msg)
{
    if (!qtest_check_value(cmd, a[1], msg)) {
        return false;
    }
    memmap_store(&qt->m->mem, a[0], a[1], cmd->size);
    return true;
}

static bool qtest_cmd_read(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                           GString *reply, const char **msg)
{
    if (a[1] > QTEST_MAX_LEN) {
        *msg = "length too large";
        return false;
    }
    uint8_t *buf = g_malloc(a[1] ? a[1] : 1);
    memmap_read(&qt->m->mem, a[0], buf, a[1]);
    if (a[1]) {
        g_string_append_c(reply, ' ');
    }
    static const char hexdigits[] = "0123456789abcdef";
    for (uint64_t i = 0; i < a[1]; i++) {
        g_string_append_c(reply, hexdigits[buf[i] >> 4]);
        g_string_append_c(reply, hexdigits[buf[i] & 15]);
    }
    g_free(buf);
    return true;
}

static bool qtest_cmd_write(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                            GString *reply, const char **msg)
{
    const char *hex = argv[3];
    if (a[1] > QTEST_MAX_LEN) {
        *msg = "length too large";
        return false;
    }
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
    }
    if (strlen(hex) != a[1] * 2) {
        *msg = "data length does not match LEN";
        return false;
    }
    uint8_t *buf = g_malloc(a[1] ? a[1] : 1);
    for (uint64_t i = 0; i < a[1]; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            g_free(buf);
            *msg = "bad hex data";
            return false;
        }
        buf[i] = hi << 4 | lo;
    }
    memmap_write(&qt->m->mem, a[0], buf, a[1]);
    g_free(buf);
    return true;
}

static bool qtest_manual_clock(QTest *qt, const char **msg)
{
    if (!qt->m->timers.clock.manual) {
        *msg = "the clock is not manual (use -accel qtest)";
        return false;
    }
    return true;
}

static bool qtest_cmd_clock_step(QTest *qt, const QTestCmd *cmd, uint64_t *a,
                                 char **argv, GString *reply, const char **msg)
{
    if (!qtest_manual_clock(qt, msg)) {
        return false;
    }
    int64_t ns = -1;
    if (argv[1]) {
        if (a[0] > INT64_MAX / 2) {
            *msg = "step too large";
            return false;
        }
        ns = a[0];
    }
    int64_t now = timerlist_step(&qt->m->timers, ns);
    g_string_append_printf(reply, " 0x%" PRIx64, (uint64_t)now);
    return true;
}

static bool qtest_cmd_clock_set(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                                GString *reply, const char **msg)
{
    if (!qtest_manual_clock(qt, msg)) {
        return false;
    }
    int64_t now = clock_ns(&qt->m->timers.clock);
    if (a[0] > INT64_MAX / 2 || (int64_t)a[0] < now) {
        *msg = "time can only move forward";
        return false;
    }
    now = timerlist_step(&qt->m->timers, (int64_t)a[0] - now);
    g_string_append_printf(reply, " 0x%" PRIx64, (uint64_t)now);
    return true;
}

static bool qtest_cmd_clock_get(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                                GString *reply, const char **msg)
{
    g_string_append_printf(reply, " 0x%" PRIx64,
                           (uint64_t)clock_ns(&qt->m->timers.clock));
    return true;
}

static bool qtest_cmd_irq_intercept(QTest *qt, const QTestCmd *cmd, uint64_t *a,
                                    char **argv, GString *reply, const char **msg)
{
    qtest_irq_intercept(qt);
    return true;
}

static bool qtest_cmd_irq_get(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                              GString *reply, const char **msg)
{
    if (a[0] >= NUM_GSI || !qt->m->gsi[a[0]]) {
        *msg = "no such interrupt line";
        return false;
    }
    g_string_append_printf(reply, " 0x%x", qt->m->gsi[a[0]]->level != 0);
    return true;
}

static bool qtest_cmd_reset(QTest *qt, const QTestCmd *cmd, uint64_t *a, char **argv,
                            GString *reply, const char **msg)
{
    machine_request_reset(qt->m);
    return true;
}

static const QTestCmd qtest_cmds[] = {
    { "outb", 2, 1, qtest_cmd_out },
    { "outw", 2, 2, qtest_cmd_out },
    { "outl", 2, 4, qtest_cmd_out },
    { "inb", 1, 1, qtest_cmd_in },
    { "inw", 1, 2, qtest_cmd_in },
    { "inl", 1, 4, qtest_cmd_in },
    { "readb", 1, 1, qtest_cmd_readn },
    { "readw", 1, 2, qtest_cmd_readn },
    { "readl", 1, 4, qtest_cmd_readn },
    { "readq", 1, 8, qtest_cmd_readn },
    { "writeb", 2, 1, qtest_cmd_writen },
    { "writew", 2, 2, qtest_cmd_writen },
    { "writel", 2, 4, qtest_cmd_writen },
    { "writeq", 2, 8, qtest_cmd_writen },
    { "read", 2, 0, qtest_cmd_read },
    { "write", 3, 0, qtest_cmd_write },
    { "clock_step", -1, 0, qtest_cmd_clock_step },
    { "clock_set", 1, 0, qtest_cmd_clock_set },
    { "clock_get", 0, 0, qtest_cmd_clock_get },
    { "irq_intercept", 0, 0, qtest_cmd_irq_intercept },
    { "irq_get", 1, 0, qtest_cmd_irq_get },
    { "reset", 0, 0, qtest_cmd_reset },
};

static void qtest_process_line(QTest *qt, const char *text)
{
    char **argv = g_strsplit_set(text, " \t\r", -1);
    /* Drop the empty words that runs of blanks leave. */
    int argc = 0;
    for (int i = 0; argv[i]; i++) {
        if (*argv[i]) {
            argv[argc++] = argv[i];
        } else {
            g_free(argv[i]);
        }
    }
    argv[argc] = NULL;
    if (!argc) {
        g_strfreev(argv);
        return;     /* blank line: no reply */
    }

    const QTestCmd *cmd = NULL;
    for (size_t i = 0; i < ARRAY_SIZE(qtest_cmds); i++) {
        if (!strcmp(argv[0], qtest_cmds[i].name)) {
            cmd = &qtest_cmds[i];
            break;
        }
    }
    if (!cmd) {
        qtest_send(qt, "ERR unknown command '%s'", argv[0]);
        g_strfreev(argv);
        return;
    }
    int nargs = argc - 1;
    if (cmd->nargs >= 0 ? nargs != cmd->nargs : nargs > 1) {
        qtest_send(qt, "ERR %s: wrong number of arguments", cmd->name);
        g_strfreev(argv);
        return;
    }
    /* Numeric arguments; write's data argument (the third) is hex text. */
    uint64_t a[3] = { 0 };
    for (int i = 0; i < nargs && i < 3; i++) {
        if (cmd->fn == qtest_cmd_write && i == 2) {
            break;
        }
        if (!qtest_parse_num(argv[i + 1], &a[i])) {
            qtest_send(qt, "ERR %s: bad number '%s'", cmd->name, argv[i + 1]);
            g_strfreev(argv);
            return;
        }
    }
    GString *reply = g_string_new("OK");
    const char *msg = NULL;
    if (cmd->fn(qt, cmd, a, argv, reply, &msg)) {
        qtest_send(qt, "%s", reply->str);
    } else {
        qtest_send(qt, "ERR %s: %s", cmd->name, msg ? msg : "failed");
    }
    g_string_free(reply, true);
    g_strfreev(argv);
}

/* ---- chardev frontend ---- */

static int qtest_can_receive(void *opaque)
{
    return 4096;
}

static void qtest_receive(void *opaque, const uint8_t *buf, int len)
{
    QTest *qt = opaque;
    for (int i = 0; i < len; i++) {
        char c = buf[i];
        if (c == '\n') {
            if (qt->overlong) {
                qt->overlong = false;
                qtest_send(qt, "ERR line too long");
            } else {
                qtest_process_line(qt, qt->line->str);
            }
            g_string_truncate(qt->line, 0);
        } else if (!qt->overlong) {
            if (qt->line->len >= QTEST_MAX_LINE) {
                qt->overlong = true;
                g_string_truncate(qt->line, 0);
            } else {
                g_string_append_c(qt->line, c);
            }
        }
    }
}

static void qtest_event(void *opaque, ChardevEvent ev)
{
    QTest *qt = opaque;
    /* The test went away: nobody can drive or stop this machine any more. */
    if (ev == CHR_EVENT_CLOSED) {
        machine_request_shutdown(qt->m, 0);
    }
}

static void qtest_request_quit(void *opaque)
{
    machine_request_shutdown(opaque, 0);
}

bool qtest_init(Machine *m, const char *chardev_spec, Error **errp)
{
    QTest *qt = qtest_state(m);
    if (qt->chr) {
        error_setg(errp, "-qtest: the harness is already attached");
        return false;
    }
    if (!chardev_spec || !*chardev_spec) {
        error_setg(errp, "-qtest: a chardev is required (e.g. unix:PATH or stdio)");
        return false;
    }
    ChardevHost host = {
        .ctx = m->ctx,
        .request_quit = qtest_request_quit,
        .opaque = m,
    };
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&host, chardev_spec, "qtest", &err);
    if (!chr) {
        if (!err) {
            error_setg(&err, "%s: the harness needs a chardev", chardev_spec);
        }
        error_prepend(&err, "-qtest ");
        if (errp) {
            *errp = err;
        } else {
            error_free(err);
        }
        return false;
    }
    g_ptr_array_add(m->chardevs, chr);
    qt->chr = chr;
    chardev_set_frontend(chr, qtest_can_receive, qtest_receive, qtest_event, qt);
    return true;
}

void qtest_notify_reset(Machine *m)
{
    if (m->qtest) {
        qtest_send(m->qtest, "RESET");
    }
}

void qtest_notify_shutdown(Machine *m, int status)
{
    if (m->qtest) {
        qtest_send(m->qtest, "SHUTDOWN %d", status);
    }
}

/* ---- the accelerator ---- */

static bool qtest_accel_init(Machine *m, Error **errp)
{
    qtest_state(m);
    return true;
}

static bool qtest_cpu_init(CPUState *cpu, Error **errp)
{
    return true;
}

static void qtest_cpu_noop(CPUState *cpu)
{
    /* No vCPU thread: nothing runs, nothing to kick or join. */
}

static void qtest_accel_destroy(Machine *m)
{
    QTest *qt = m->qtest;
    if (!qt) {
        return;
    }
    qtest_irq_restore(qt);
    if (qt->chr) {
        /* The chardev itself belongs to m->chardevs. */
        chardev_set_frontend(qt->chr, NULL, NULL, NULL, NULL);
    }
    g_string_free(qt->line, true);
    g_free(qt);
    m->qtest = NULL;
}

const AccelOps qtest_accel_ops = {
    .name = "qtest",
    .init = qtest_accel_init,
    .cpu_init = qtest_cpu_init,
    .cpu_start = qtest_cpu_noop,
    .cpu_kick = qtest_cpu_noop,
    .cpu_destroy = qtest_cpu_noop,
    .destroy = qtest_accel_destroy,
};
