/*
 * char-stdio.c: the "stdio" backend (host stdin/stdout) and its Ctrl-a mux
 * ("mon:stdio", what -nographic uses).
 *
 * When stdin is a terminal it is switched to raw input (no line editing, no
 * echo, no CR->NL translation) so the guest sees every key as typed; output
 * post-processing stays on. The saved settings come back at exit and on fatal
 * signals (chardev_restore_terminal). The terminal is a host resource shared by
 * the whole process, so its saved state is file-static; one chardev at a time
 * may own stdio.
 *
 * Mux escapes (Ctrl-a, then): x quit, h help, b send break, c monitor,
 * Ctrl-a a literal Ctrl-a.
 */
#include "util/osdep.h"
#include "chardev/char.h"
#include "chardev-internal.h"
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#define MUX_ESCAPE      0x01    /* Ctrl-a */
/* Bytes held for a slow frontend. The mux keeps reading past a full frontend
 * (so Ctrl-a x still works when the guest stopped reading) up to this much. */
#define STDIO_QUEUE     4096
#define MUX_QUEUE       (64 * 1024)

typedef struct StdioState {
    CharReader rd;
    bool mux;
    bool escape;            /* Ctrl-a seen, waiting for the command key */
} StdioState;

static Chardev *stdio_owner;
static bool term_saved;
static struct termios term_orig;
static bool term_handlers_installed;

void chardev_restore_terminal(void)
{
    if (term_saved) {
        /* tcsetattr is async-signal-safe: this also runs from signal handlers. */
        tcsetattr(STDIN_FILENO, TCSANOW, &term_orig);
    }
}

static void chardev_fatal_signal(int sig)
{
    chardev_restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void chardev_install_term_handlers(void)
{
    static const int sigs[] = {
        SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGSEGV, SIGBUS, SIGABRT, SIGFPE,
        SIGILL,
    };
    if (term_handlers_installed) {
        return;
    }
    term_handlers_installed = true;
    atexit(chardev_restore_terminal);
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        struct sigaction old;
        /* Leave alone any handler someone else installed (they are expected to
         * call chardev_restore_terminal() themselves). */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            struct sigaction sa = { .sa_handler = chardev_fatal_signal };
            sigemptyset(&sa.sa_mask);
            sa.sa_flags = SA_RESETHAND;
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

void chardev_term_set_raw(bool keep_signals)
{
    if (!isatty(STDIN_FILENO)) {
        return;
    }
    if (!term_saved) {
        if (tcgetattr(STDIN_FILENO, &term_orig) < 0) {
            return;
        }
        term_saved = true;
        chardev_install_term_handlers();
    }
    struct termios t = term_orig;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_oflag |= OPOST;
    t.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!keep_signals) {
        t.c_lflag &= ~ISIG;
    }
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

bool chardev_stdio_claim(Chardev *chr, Error **errp)
{
    if (stdio_owner && stdio_owner != chr) {
        error_setg(errp, "stdio is already used by chardev '%s'",
                   stdio_owner->id ? stdio_owner->id : "?");
        return false;
    }
    stdio_owner = chr;
    return true;
}

void chardev_stdio_release(Chardev *chr)
{
    if (stdio_owner == chr) {
        stdio_owner = NULL;
    }
}

static void stdio_print(const char *s)
{
    chardev_write_full(STDOUT_FILENO, (const uint8_t *)s, strlen(s), false, 1000);
}

static void mux_command(Chardev *chr, StdioState *s, uint8_t c)
{
    switch (c) {
    case 'x':
    case 'X':
        stdio_print("\r\nbt86: terminating (Ctrl-a x)\r\n");
        chardev_restore_terminal();
        if (chr->host.request_quit) {
            chr->host.request_quit(chr->host.opaque);
        }
        break;
    case 'h':
    case 'H':
    case '?':
        stdio_print("\r\n"
                    "C-a h    print this help\r\n"
                    "C-a x    exit emulator\r\n"
                    "C-a b    send break\r\n"
                    "C-a c    switch between console and monitor\r\n"
                    "C-a C-a  send C-a\r\n");
        break;
    case 'b':
    case 'B':
        chardev_send_event(chr, CHR_EVENT_BREAK);
        break;
    case 'c':
    case 'C':
        stdio_print("\r\nbt86: monitor not yet available\r\n");
        break;
    case MUX_ESCAPE:
        g_byte_array_append(s->rd.pending, &c, 1);
        break;
    default:
        /* Unknown command keys are swallowed, as with QEMU's mux. */
        break;
    }
}

static void mux_input(CharReader *r, const uint8_t *buf, size_t len)
{
    Chardev *chr = r->chr;
    StdioState *s = chr->priv;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (s->escape) {
            s->escape = false;
            mux_command(chr, s, c);
        } else if (c == MUX_ESCAPE) {
            s->escape = true;
        } else {
            g_byte_array_append(r->pending, &c, 1);
        }
    }
}

static void stdio_hangup(CharReader *r)
{
    /* stdin closed (e.g. </dev/null or the end of a piped script): no more
     * input, output still works. A frontend that lives on input (the harness)
     * takes this as the end of the session. */
    chardev_send_event(r->chr, CHR_EVENT_CLOSED);
}

static bool stdio_open(Chardev *chr, Opts *opts, Error **errp)
{
    bool mux = false, signals;
    if (!opts_get_bool(opts, "mux", &mux, errp)) {
        return false;
    }
    /* Plain stdio keeps Ctrl-C as a signal (like QEMU's default); with the mux
     * Ctrl-C goes to the guest and Ctrl-a x is the way out. */
    signals = !mux;
    if (!opts_get_bool(opts, "signal", &signals, errp) ||
        !chardev_check_opts(opts, errp) || !chardev_stdio_claim(chr, errp)) {
        return false;
    }
    StdioState *s = g_new0(StdioState, 1);
    s->mux = mux;
    chr->priv = s;
    char_reader_init(&s->rd, chr, STDIN_FILENO, mux ? MUX_QUEUE : STDIO_QUEUE,
                     stdio_hangup, s);
    if (mux) {
        s->rd.input = mux_input;
    }
    chardev_term_set_raw(signals);
    char_reader_update(&s->rd);
    return true;
}

static size_t stdio_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chardev_write_full(STDOUT_FILENO, buf, len, false, 1000)) {
        return 0;
    }
    return len;
}

static void stdio_accept_input(Chardev *chr)
{
    StdioState *s = chr->priv;
    char_reader_flush(&s->rd);
}

static void stdio_close(Chardev *chr)
{
    StdioState *s = chr->priv;
    char_reader_destroy(&s->rd);
    chardev_restore_terminal();
    chardev_stdio_release(chr);
    g_free(s);
}

const ChardevDriver chardev_stdio_driver = {
    .name = "stdio",
    .open = stdio_open,
    .write = stdio_write,
    .accept_input = stdio_accept_input,
    .close = stdio_close,
};
