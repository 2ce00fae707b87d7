/*
 * libharness.c: client of the device harness protocol (docs/harness.md).
 *
 * The test listens on a Unix socket in a private temporary directory and
 * starts bt86 with `-qtest unix:PATH` (client mode), so the connection exists
 * before any command is sent and no start-up race is possible. Replies are
 * read line by line with a timeout; asynchronous lines (IRQ, RESET, SHUTDOWN)
 * met on the way are recorded in the Harness.
 */
#include "libharness.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define HARNESS_NUM_IRQ     24
#define HARNESS_TIMEOUT_MS  30000

struct Harness {
    pid_t pid;
    int fd;
    char *dir;
    char *sock_path;
    GString *rbuf;
    bool eof;
    bool exited;
    int exit_status;
    int irq_level[HARNESS_NUM_IRQ];
    int irq_raises[HARNESS_NUM_IRQ];
    int resets;
    bool shutdown;
    int shutdown_status;
};

static int64_t now_ms(void)
{
    return g_get_monotonic_time() / 1000;
}

/* ---- process ---- */

static int harness_status_code(int wstatus)
{
    if (WIFEXITED(wstatus)) {
        return WEXITSTATUS(wstatus);
    }
    if (WIFSIGNALED(wstatus)) {
        return 128 + WTERMSIG(wstatus);
    }
    return -1;
}

/* Reap without blocking; true once the process is gone. */
static bool harness_try_reap(Harness *h)
{
    if (h->exited) {
        return true;
    }
    int ws;
    pid_t r = waitpid(h->pid, &ws, WNOHANG);
    if (r == h->pid) {
        h->exited = true;
        h->exit_status = harness_status_code(ws);
    }
    return h->exited;
}

static bool harness_wait_reap(Harness *h, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (!harness_try_reap(h)) {
        if (now_ms() >= deadline) {
            return false;
        }
        g_usleep(2000);
    }
    return true;
}

Harness *harness_start(const char *extra_args)
{
    const char *bt86 = g_getenv("BT86");
    if (!bt86 || !*bt86) {
        g_error("libharness: set BT86 to the bt86 binary (meson does this)");
    }
    Harness *h = g_new0(Harness, 1);
    h->fd = -1;
    h->rbuf = g_string_new(NULL);
    GError *gerr = NULL;
    h->dir = g_dir_make_tmp("bt86-harness-XXXXXX", &gerr);
    g_assert_no_error(gerr);
    h->sock_path = g_build_filename(h->dir, "qtest.sock", NULL);

    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(lfd, >=, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(h->sock_path), <, sizeof(sun.sun_path));
    strcpy(sun.sun_path, h->sock_path);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);

    char **extra = NULL;
    int nextra = 0;
    if (extra_args && *extra_args) {
        if (!g_shell_parse_argv(extra_args, &nextra, &extra, &gerr)) {
            g_error("libharness: cannot parse '%s': %s", extra_args, gerr->message);
        }
    }
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(bt86));
    g_ptr_array_add(argv, g_strdup("-accel"));
    g_ptr_array_add(argv, g_strdup("qtest"));
    g_ptr_array_add(argv, g_strdup("-qtest"));
    g_ptr_array_add(argv, g_strdup_printf("unix:%s", h->sock_path));
    g_ptr_array_add(argv, g_strdup("-display"));
    g_ptr_array_add(argv, g_strdup("none"));
    for (int i = 0; i < nextra; i++) {
        g_ptr_array_add(argv, g_strdup(extra[i]));
    }
    g_ptr_array_add(argv, NULL);
    g_strfreev(extra);

    if (g_getenv("HARNESS_VERBOSE")) {
        char *cmd = g_strjoinv(" ", (char **)argv->pdata);
        g_printerr("libharness: %s\n", cmd);
        g_free(cmd);
    }

    pid_t ppid = getpid();
    h->pid = fork();
    g_assert_cmpint(h->pid, >=, 0);
    if (h->pid == 0) {
        /* Never outlive the test, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != ppid) {
            _exit(127);
        }
        execv(bt86, (char **)argv->pdata);
        fprintf(stderr, "libharness: cannot run %s: %s\n", bt86, strerror(errno));
        _exit(127);
    }
    g_ptr_array_free(argv, true);

    /* Wait for the connection, noticing a bt86 that failed to start. */
    int64_t deadline = now_ms() + HARNESS_TIMEOUT_MS;
    while (h->fd < 0) {
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        int r = poll(&p, 1, 50);
        if (r > 0) {
            h->fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            g_assert_cmpint(h->fd, >=, 0);
            break;
        }
        if (harness_try_reap(h)) {
            g_error("libharness: bt86 exited with status %d before connecting "
                    "(extra args: %s)", h->exit_status, extra_args ? extra_args : "");
        }
        if (now_ms() > deadline) {
            kill(h->pid, SIGKILL);
            g_error("libharness: bt86 did not connect within %d ms", HARNESS_TIMEOUT_MS);
        }
    }
    close(lfd);
    g_unlink(h->sock_path);
    return h;
}

int harness_pid(Harness *h)
{
    return h->pid;
}

/* ---- lines ---- */

/* Record an asynchronous line; false if it is a reply. */
static bool harness_async(Harness *h, const char *line)
{
    int n;
    if (sscanf(line, "IRQ raise %d", &n) == 1) {
        g_assert_cmpint(n, >=, 0);
        g_assert_cmpint(n, <, HARNESS_NUM_IRQ);
        h->irq_level[n] = 1;
        h->irq_raises[n]++;
        return true;
    }
    if (sscanf(line, "IRQ lower %d", &n) == 1) {
        g_assert_cmpint(n, >=, 0);
        g_assert_cmpint(n, <, HARNESS_NUM_IRQ);
        h->irq_level[n] = 0;
        return true;
    }
    if (!strcmp(line, "RESET")) {
        h->resets++;
        return true;
    }
    if (sscanf(line, "SHUTDOWN %d", &n) == 1) {
        h->shutdown = true;
        h->shutdown_status = n;
        return true;
    }
    return false;
}

/* Next line from the socket, waiting up to timeout_ms (-1: forever); NULL on
 * timeout or end of file (h->eof). */
static char *harness_read_line(Harness *h, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(h->rbuf->str, '\n', h->rbuf->len);
        if (nl) {
            size_t n = nl - h->rbuf->str;
            char *line = g_strndup(h->rbuf->str, n);
            g_string_erase(h->rbuf, 0, n + 1);
            return line;
        }
        if (h->eof || h->fd < 0) {
            return NULL;
        }
        int64_t left = deadline - now_ms();
        if (left < 0) {
            return NULL;
        }
        struct pollfd p = { .fd = h->fd, .events = POLLIN };
        int r = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno != EINTR) {
            g_error("libharness: poll: %s", strerror(errno));
        }
        if (r <= 0) {
            continue;
        }
        char buf[65536];
        ssize_t got = read(h->fd, buf, sizeof(buf));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            h->eof = true;
            continue;
        }
        g_string_append_len(h->rbuf, buf, got);
    }
}

/* Read whatever is already waiting, without blocking. */
static void harness_drain(Harness *h)
{
    char *line;
    while ((line = harness_read_line(h, 0))) {
        if (!harness_async(h, line)) {
            g_error("libharness: unexpected line with no command pending: %s", line);
        }
        g_free(line);
    }
}

static char *harness_cmd_v(Harness *h, const char *fmt, va_list ap)
{
    char *cmd = g_strdup_vprintf(fmt, ap);
    if (g_getenv("HARNESS_VERBOSE")) {
        g_printerr("> %s\n", cmd);
    }
    g_assert_null(strchr(cmd, '\n'));
    char *line = g_strconcat(cmd, "\n", NULL);
    size_t len = strlen(line), off = 0;
    while (off < len) {
        ssize_t n = send(h->fd, line + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            g_error("libharness: sending '%s': %s", cmd, strerror(errno));
        }
        off += n;
    }
    g_free(line);
    for (;;) {
        char *reply = harness_read_line(h, HARNESS_TIMEOUT_MS);
        if (!reply) {
            g_error("libharness: no reply to '%s' (%s)", cmd,
                    h->eof ? "bt86 closed the connection" : "timeout");
        }
        if (g_getenv("HARNESS_VERBOSE")) {
            g_printerr("< %s\n", reply);
        }
        if (harness_async(h, reply)) {
            g_free(reply);
            continue;
        }
        g_free(cmd);
        return reply;
    }
}

char *harness_cmd(Harness *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = harness_cmd_v(h, fmt, ap);
    va_end(ap);
    return r;
}

/* Run a command that must succeed; returns its value (0 if none). */
static uint64_t harness_cmd_ok(Harness *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static uint64_t harness_cmd_ok(Harness *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *r = harness_cmd_v(h, fmt, ap);
    va_end(ap);
    if (strncmp(r, "OK", 2) || (r[2] && r[2] != ' ')) {
        g_error("libharness: command failed: %s", r);
    }
    uint64_t v = 0;
    if (r[2] == ' ') {
        v = g_ascii_strtoull(r + 3, NULL, 0);
    }
    g_free(r);
    return v;
}

/* ---- ports and memory ---- */

void harness_outb(Harness *h, uint16_t port, uint8_t val)
{
    harness_cmd_ok(h, "outb 0x%x 0x%x", port, val);
}

void harness_outw(Harness *h, uint16_t port, uint16_t val)
{
    harness_cmd_ok(h, "outw 0x%x 0x%x", port, val);
}

void harness_outl(Harness *h, uint16_t port, uint32_t val)
{
    harness_cmd_ok(h, "outl 0x%x 0x%x", port, val);
}

uint8_t harness_inb(Harness *h, uint16_t port)
{
    return harness_cmd_ok(h, "inb 0x%x", port);
}

uint16_t harness_inw(Harness *h, uint16_t port)
{
    return harness_cmd_ok(h, "inw 0x%x", port);
}

uint32_t harness_inl(Harness *h, uint16_t port)
{
    return harness_cmd_ok(h, "inl 0x%x", port);
}

uint8_t harness_readb(Harness *h, uint64_t addr)
{
    return harness_cmd_ok(h, "readb 0x%" PRIx64, addr);
}

uint16_t harness_readw(Harness *h, uint64_t addr)
{
    return harness_cmd_ok(h, "readw 0x%" PRIx64, addr);
}

uint32_t harness_readl(Harness *h, uint64_t addr)
{
    return harness_cmd_ok(h, "readl 0x%" PRIx64, addr);
}

uint64_t harness_readq(Harness *h, uint64_t addr)
{
    return harness_cmd_ok(h, "readq 0x%" PRIx64, addr);
}

void harness_writeb(Harness *h, uint64_t addr, uint8_t val)
{
    harness_cmd_ok(h, "writeb 0x%" PRIx64 " 0x%x", addr, val);
}

void harness_writew(Harness *h, uint64_t addr, uint16_t val)
{
    harness_cmd_ok(h, "writew 0x%" PRIx64 " 0x%x", addr, val);
}

void harness_writel(Harness *h, uint64_t addr, uint32_t val)
{
    harness_cmd_ok(h, "writel 0x%" PRIx64 " 0x%x", addr, val);
}

void harness_writeq(Harness *h, uint64_t addr, uint64_t val)
{
    harness_cmd_ok(h, "writeq 0x%" PRIx64 " 0x%" PRIx64, addr, val);
}

void harness_memread(Harness *h, uint64_t addr, void *buf, size_t len)
{
    char *r = harness_cmd(h, "read 0x%" PRIx64 " %zu", addr, len);
    if (strncmp(r, "OK", 2)) {
        g_error("libharness: read failed: %s", r);
    }
    const char *hex = r[2] == ' ' ? r + 3 : r + 2;
    g_assert_cmpuint(strlen(hex), ==, 2 * len);
    uint8_t *out = buf;
    for (size_t i = 0; i < len; i++) {
        int hi = g_ascii_xdigit_value(hex[2 * i]);
        int lo = g_ascii_xdigit_value(hex[2 * i + 1]);
        g_assert_true(hi >= 0 && lo >= 0);
        out[i] = hi << 4 | lo;
    }
    g_free(r);
}

void harness_memwrite(Harness *h, uint64_t addr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    GString *hex = g_string_sized_new(2 * len + 1);
    for (size_t i = 0; i < len; i++) {
        g_string_append_printf(hex, "%02x", in[i]);
    }
    harness_cmd_ok(h, "write 0x%" PRIx64 " %zu %s", addr, len, hex->str);
    g_string_free(hex, true);
}

/* ---- clock ---- */

int64_t harness_clock_step(Harness *h, int64_t ns)
{
    if (ns < 0) {
        return harness_cmd_ok(h, "clock_step");
    }
    return harness_cmd_ok(h, "clock_step %" PRId64, ns);
}

int64_t harness_clock_set(Harness *h, int64_t ns)
{
    return harness_cmd_ok(h, "clock_set %" PRId64, ns);
}

int64_t harness_clock_get(Harness *h)
{
    return harness_cmd_ok(h, "clock_get");
}

/* ---- interrupts and events ---- */

void harness_irq_intercept(Harness *h)
{
    memset(h->irq_level, 0, sizeof(h->irq_level));
    harness_cmd_ok(h, "irq_intercept");
}

int harness_irq_level(Harness *h, int n)
{
    g_assert_cmpint(n, >=, 0);
    g_assert_cmpint(n, <, HARNESS_NUM_IRQ);
    harness_drain(h);
    return h->irq_level[n];
}

int harness_irq_raise_count(Harness *h, int n)
{
    g_assert_cmpint(n, >=, 0);
    g_assert_cmpint(n, <, HARNESS_NUM_IRQ);
    harness_drain(h);
    return h->irq_raises[n];
}

int harness_irq_get(Harness *h, int n)
{
    return harness_cmd_ok(h, "irq_get %d", n);
}

/* Read async lines until cond(h) holds or timeout_ms passes. */
static bool harness_wait_for(Harness *h, bool (*cond)(Harness *, const void *),
                             const void *arg, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    harness_drain(h);
    while (!cond(h, arg)) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return false;
        }
        char *line = harness_read_line(h, (int)left);
        if (!line) {
            return cond(h, arg);
        }
        if (!harness_async(h, line)) {
            g_error("libharness: unexpected line with no command pending: %s", line);
        }
        g_free(line);
    }
    return true;
}

struct IrqWait {
    int n, level;
};

static bool harness_irq_is(Harness *h, const void *arg)
{
    const struct IrqWait *w = arg;
    return h->irq_level[w->n] == w->level;
}

bool harness_wait_irq(Harness *h, int n, int level, int timeout_ms)
{
    g_assert_cmpint(n, >=, 0);
    g_assert_cmpint(n, <, HARNESS_NUM_IRQ);
    struct IrqWait w = { n, !!level };
    return harness_wait_for(h, harness_irq_is, &w, timeout_ms);
}

void harness_reset(Harness *h)
{
    harness_cmd_ok(h, "reset");
}

static bool harness_resets_reached(Harness *h, const void *arg)
{
    return h->resets >= *(const int *)arg;
}

bool harness_wait_reset(Harness *h, int count, int timeout_ms)
{
    return harness_wait_for(h, harness_resets_reached, &count, timeout_ms);
}

int harness_reset_count(Harness *h)
{
    harness_drain(h);
    return h->resets;
}

bool harness_got_shutdown(Harness *h, int *status)
{
    harness_drain(h);
    if (h->shutdown && status) {
        *status = h->shutdown_status;
    }
    return h->shutdown;
}

/* ---- the end ---- */

int harness_wait_exit(Harness *h)
{
    if (!harness_wait_reap(h, HARNESS_TIMEOUT_MS)) {
        kill(h->pid, SIGKILL);
        harness_wait_reap(h, HARNESS_TIMEOUT_MS);
        g_error("libharness: bt86 did not exit within %d ms", HARNESS_TIMEOUT_MS);
    }
    /* Keep the last words (e.g. SHUTDOWN) for harness_got_shutdown(). */
    harness_drain(h);
    return h->exit_status;
}

int harness_quit(Harness *h)
{
    int status = -1;
    if (!h) {
        return status;
    }
    if (h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
    /* Closing the channel makes bt86 shut down; insist if it does not. */
    if (harness_wait_reap(h, 10000)) {
        status = h->exit_status;
    } else {
        kill(h->pid, SIGKILL);
        harness_wait_reap(h, 10000);
    }
    g_unlink(h->sock_path);
    g_rmdir(h->dir);
    g_free(h->sock_path);
    g_free(h->dir);
    g_string_free(h->rbuf, true);
    g_free(h);
    return status;
}
