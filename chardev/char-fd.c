/*
 * char-fd.c: the simple backends: "null" (discard output, no input), "file"
 * (output to a file, created/truncated or appended, written through at every
 * write so nothing is lost if bt86 dies) and "pty" (a pseudo-terminal whose
 * slave name is printed at start-up, for `screen /dev/pts/N`).
 */
#include "util/osdep.h"
#include "chardev/char.h"
#include "chardev-internal.h"
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

/* ---- null ---- */

static bool null_open(Chardev *chr, Opts *opts, Error **errp)
{
    return chardev_check_opts(opts, errp);
}

static size_t null_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    return len;
}

const ChardevDriver chardev_null_driver = {
    .name = "null",
    .open = null_open,
    .write = null_write,
};

/* ---- file ---- */

typedef struct FileState {
    int fd;
    char *path;
    bool failed;        /* one warning, not one per byte */
} FileState;

static bool file_open(Chardev *chr, Opts *opts, Error **errp)
{
    const char *path = opts_get(opts, "path");
    bool append = false;
    if (!opts_get_bool(opts, "append", &append, errp) ||
        !chardev_check_opts(opts, errp)) {
        return false;
    }
    if (!path || !*path) {
        error_setg(errp, "file: path= is required");
        return false;
    }
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
    int fd = open(path, flags, 0666);
    if (fd < 0) {
        error_setg_errno(errp, errno, "cannot open '%s'", path);
        return false;
    }
    FileState *s = g_new0(FileState, 1);
    s->fd = fd;
    s->path = g_strdup(path);
    chr->priv = s;
    return true;
}

static size_t file_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    FileState *s = chr->priv;
    if (!chardev_write_full(s->fd, buf, len, false, -1)) {
        if (!s->failed) {
            s->failed = true;
            warn_report("chardev '%s': writing %s: %s", chr->id ? chr->id : "?",
                        s->path, g_strerror(errno));
        }
        return 0;
    }
    return len;
}

static void file_close(Chardev *chr)
{
    FileState *s = chr->priv;
    close(s->fd);
    g_free(s->path);
    g_free(s);
}

const ChardevDriver chardev_file_driver = {
    .name = "file",
    .open = file_open,
    .write = file_write,
    .close = file_close,
};

/* ---- pty ---- */

typedef struct PtyState {
    int master;
    int slave;          /* held open so the master never sees a hangup */
    CharReader rd;
} PtyState;

static void pty_hangup(CharReader *r)
{
    /* Cannot happen while we hold the slave; nothing more to read anyway. */
}

static bool pty_open(Chardev *chr, Opts *opts, Error **errp)
{
    if (!chardev_check_opts(opts, errp)) {
        return false;
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        error_setg_errno(errp, errno, "cannot create a pseudo-terminal");
        if (master >= 0) {
            close(master);
        }
        return false;
    }
    const char *name = ptsname(master);
    int slave = name ? open(name, O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
    if (slave < 0) {
        error_setg_errno(errp, errno, "cannot open the pseudo-terminal slave");
        close(master);
        return false;
    }
    struct termios t;
    if (tcgetattr(slave, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(slave, TCSANOW, &t);
    }
    /* Output is dropped rather than blocking when nobody reads the slave. */
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    fprintf(stderr, "bt86: char device redirected to %s (label %s)\n", name,
            chr->id ? chr->id : "?");
    PtyState *s = g_new0(PtyState, 1);
    s->master = master;
    s->slave = slave;
    chr->priv = s;
    char_reader_init(&s->rd, chr, master, 4096, pty_hangup, s);
    char_reader_update(&s->rd);
    return true;
}

static size_t pty_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    PtyState *s = chr->priv;
    ssize_t n;
    do {
        n = write(s->master, buf, len);
    } while (n < 0 && errno == EINTR);
    return n < 0 ? 0 : (size_t)n;
}

static void pty_accept_input(Chardev *chr)
{
    PtyState *s = chr->priv;
    char_reader_flush(&s->rd);
}

static void pty_close(Chardev *chr)
{
    PtyState *s = chr->priv;
    char_reader_destroy(&s->rd);
    close(s->master);
    close(s->slave);
    g_free(s);
}

const ChardevDriver chardev_pty_driver = {
    .name = "pty",
    .open = pty_open,
    .write = pty_write,
    .accept_input = pty_accept_input,
    .close = pty_close,
};
