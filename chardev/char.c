/*
 * char.c: the chardev core. Parses backend specs (the -serial / -qtest short
 * forms and -chardev BACKEND,id=ID,...), owns the frontend hooks, and provides
 * the flow-controlled fd reader every input-capable backend uses.
 *
 * Spellings follow QEMU's documented command line: "stdio", "mon:stdio",
 * "file:PATH", "unix:PATH[,server=on,wait=off]", "tcp:HOST:PORT[,...]", "null",
 * "none", "pty"; the legacy bare flags "server" and "nowait" are accepted too.
 */
#include "util/osdep.h"
#include "chardev/char.h"
#include "chardev-internal.h"
#include <glib-unix.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static const ChardevDriver *const chardev_drivers[] = {
    &chardev_null_driver,
    &chardev_file_driver,
    &chardev_stdio_driver,
    &chardev_socket_driver,
    &chardev_pty_driver,
};

/* ---- frontend side ---- */

size_t chardev_deliver(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr->receive || !len) {
        return 0;
    }
    size_t room = len;
    if (chr->can_receive) {
        int r = chr->can_receive(chr->fe_opaque);
        room = r > 0 ? (size_t)r : 0;
    }
    if (room > len) {
        room = len;
    }
    if (room > INT_MAX) {
        room = INT_MAX;
    }
    if (room) {
        chr->receive(chr->fe_opaque, buf, (int)room);
    }
    return room;
}

void chardev_send_event(Chardev *chr, ChardevEvent ev)
{
    if (chr->event) {
        chr->event(chr->fe_opaque, ev);
    }
}

void chardev_set_frontend(Chardev *chr,
                          int (*can_receive)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf, int len),
                          void (*event)(void *opaque, ChardevEvent ev),
                          void *opaque)
{
    chr->can_receive = can_receive;
    chr->receive = receive;
    chr->event = event;
    chr->fe_opaque = opaque;
    /* Input that arrived before anyone listened is delivered now (and a
     * socket connected meanwhile announces itself with CHR_EVENT_OPENED). */
    if (receive) {
        chardev_accept_input(chr);
    }
}

size_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr || !len) {
        return 0;
    }
    return chr->drv->write ? chr->drv->write(chr, buf, len) : len;
}

void chardev_accept_input(Chardev *chr)
{
    if (chr && chr->drv->accept_input) {
        chr->drv->accept_input(chr);
    }
}

void chardev_free(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chr->drv->close) {
        chr->drv->close(chr);
    }
    g_free(chr->id);
    g_free(chr);
}

/* ---- the fd reader ---- */

static gboolean char_reader_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    CharReader *r = opaque;
    uint8_t buf[4096];
    size_t room = r->limit > r->pending->len ? r->limit - r->pending->len : 0;
    if (room > sizeof(buf)) {
        room = sizeof(buf);
    }
    if (!room) {
        char_reader_update(r);
        return G_SOURCE_CONTINUE;   /* update removed us if needed */
    }
    ssize_t n = read(fd, buf, room);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        /* EOF or error: stop watching for good; the owner decides what it means. */
        r->stopped = true;
        if (r->src) {
            g_source_destroy(r->src);
            g_source_unref(r->src);
            r->src = NULL;
        }
        if (r->hangup) {
            r->hangup(r);   /* may free r */
        }
        return G_SOURCE_REMOVE;
    }
    if (r->input) {
        r->input(r, buf, n);
    } else {
        g_byte_array_append(r->pending, buf, n);
    }
    char_reader_flush(r);
    return G_SOURCE_CONTINUE;
}

void char_reader_init(CharReader *r, Chardev *chr, int fd, size_t limit,
                      void (*hangup)(CharReader *r), void *opaque)
{
    memset(r, 0, sizeof(*r));
    r->chr = chr;
    r->fd = fd;
    r->limit = limit ? limit : 4096;
    r->pending = g_byte_array_new();
    r->hangup = hangup;
    r->opaque = opaque;
}

void char_reader_update(CharReader *r)
{
    if (r->dead || !r->pending) {
        return;
    }
    bool want = !r->stopped && r->fd >= 0 && r->pending->len < r->limit;
    if (want && !r->src) {
        r->src = g_unix_fd_source_new(r->fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
        g_source_set_callback(r->src, (GSourceFunc)(void (*)(void))char_reader_ready,
                              r, NULL);
        g_source_attach(r->src, r->chr->host.ctx);
    } else if (!want && r->src) {
        g_source_destroy(r->src);
        g_source_unref(r->src);
        r->src = NULL;
    }
}

void char_reader_flush(CharReader *r)
{
    /* A frontend may call chardev_accept_input() from its receive handler; the
     * outer loop below already re-checks can_receive(), so just return. */
    if (r->flushing) {
        return;
    }
    r->flushing = true;
    while (r->pending->len) {
        uint8_t chunk[4096];
        size_t n = MIN(r->pending->len, sizeof(chunk));
        memcpy(chunk, r->pending->data, n);
        size_t took = chardev_deliver(r->chr, chunk, n);
        if (r->dead) {
            /* The frontend's handler tore the connection down (e.g. a reply
             * that hit a closed socket): finish the destroy it started. */
            g_byte_array_free(r->pending, true);
            r->pending = NULL;
            r->flushing = false;
            return;
        }
        if (!took) {
            break;
        }
        g_byte_array_remove_range(r->pending, 0, took);
    }
    r->flushing = false;
    char_reader_update(r);
}

void char_reader_destroy(CharReader *r)
{
    if (r->src) {
        g_source_destroy(r->src);
        g_source_unref(r->src);
        r->src = NULL;
    }
    r->fd = -1;
    r->stopped = true;
    if (r->flushing) {
        r->dead = true;     /* char_reader_flush() is on the stack: it frees */
        return;
    }
    if (r->pending) {
        g_byte_array_free(r->pending, true);
        r->pending = NULL;
    }
}

bool chardev_write_full(int fd, const uint8_t *buf, size_t len, bool is_socket,
                        int timeout_ms)
{
    while (len) {
        ssize_t n = is_socket ? send(fd, buf, len, MSG_NOSIGNAL) : write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = { .fd = fd, .events = POLLOUT };
                if (poll(&p, 1, timeout_ms) <= 0) {
                    /* A peer that stopped reading: give up on this chunk
                     * rather than freeze the machine forever. */
                    errno = EAGAIN;
                    return false;
                }
                continue;
            }
            return false;
        }
        buf += n;
        len -= n;
    }
    return true;
}

/* ---- creation ---- */

bool chardev_check_opts(Opts *opts, Error **errp)
{
    for (guint i = 0; i < opts->items->len; i++) {
        OptItem *it = &g_array_index(opts->items, OptItem, i);
        if (!it->used) {
            error_setg(errp, "unknown parameter '%s'", it->key);
            return false;
        }
    }
    return true;
}

static const ChardevDriver *chardev_find_driver(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(chardev_drivers); i++) {
        if (!strcmp(chardev_drivers[i]->name, name)) {
            return chardev_drivers[i];
        }
    }
    return NULL;
}

static Chardev *chardev_open(const ChardevHost *host, const ChardevDriver *drv,
                             const char *id, Opts *opts, Error **errp)
{
    Chardev *chr = g_new0(Chardev, 1);
    chr->id = g_strdup(id);
    chr->drv = drv;
    if (host) {
        chr->host = *host;
    }
    if (!chr->host.ctx) {
        chr->host.ctx = g_main_context_default();
    }
    if (!drv->open(chr, opts, errp)) {
        g_free(chr->id);
        g_free(chr);
        return NULL;
    }
    return chr;
}

Chardev *chardev_new_from_opts(const ChardevHost *host, Opts *opts, Error **errp)
{
    /* The backend is the leading bare item; accept it under either implied key
     * name a caller may have given opts_parse(). */
    const char *backend = opts_get(opts, "backend");
    if (!backend) {
        backend = opts_get(opts, "driver");
    }
    const char *id = opts_get(opts, "id");
    if (!backend || !*backend) {
        error_setg(errp, "-chardev %s: no backend given", opts->text);
        return NULL;
    }
    if (!id || !*id) {
        error_setg(errp, "-chardev %s: missing id=", opts->text);
        return NULL;
    }
    const ChardevDriver *drv = chardev_find_driver(backend);
    if (!drv) {
        error_setg(errp, "-chardev %s: unknown chardev backend '%s'", opts->text,
                   backend);
        return NULL;
    }
    Error *err = NULL;
    Chardev *chr = chardev_open(host, drv, id, opts, &err);
    if (!chr) {
        error_prepend(&err, "-chardev %s: ", opts->text);
        if (errp) {
            *errp = err;
        } else {
            error_free(err);
        }
        return NULL;
    }
    return chr;
}

static void opts_append(Opts *o, const char *key, const char *value)
{
    OptItem it = { .key = g_strdup(key), .value = g_strdup(value) };
    g_array_append_val(o->items, it);
}

/* "server,nowait" (QEMU's old short booleans) into "server=on,wait=off". */
static char *chardev_legacy_flags(const char *rest)
{
    char **items = g_strsplit(rest, ",", -1);
    for (char **p = items; *p; p++) {
        const char *repl = NULL;
        if (!strcmp(*p, "server")) {
            repl = "server=on";
        } else if (!strcmp(*p, "nowait")) {
            repl = "wait=off";
        } else if (!strcmp(*p, "wait")) {
            repl = "wait=on";
        } else if (!strcmp(*p, "nodelay")) {
            repl = "nodelay=on";
        }
        if (repl) {
            g_free(*p);
            *p = g_strdup(repl);
        }
    }
    char *out = g_strjoinv(",", items);
    g_strfreev(items);
    return out;
}

/* Index of the first single comma (",," is an escaped comma), or strlen. */
static size_t spec_first_comma(const char *s)
{
    size_t i = 0;
    while (s[i]) {
        if (s[i] == ',') {
            if (s[i + 1] == ',') {
                i += 2;
                continue;
            }
            break;
        }
        i++;
    }
    return i;
}

static char *spec_unescape(const char *s, size_t len)
{
    GString *g = g_string_new(NULL);
    for (size_t i = 0; i < len; i++) {
        g_string_append_c(g, s[i]);
        if (s[i] == ',' && i + 1 < len && s[i + 1] == ',') {
            i++;
        }
    }
    return g_string_free(g, false);
}

/* Turn a short-form spec into backend + options; NULL and *errp on failure. */
static Opts *chardev_spec_to_opts(const char *spec, const ChardevDriver **drv,
                                  Error **errp)
{
    const char *colon = strchr(spec, ':');
    char *kind = colon ? g_strndup(spec, colon - spec) : g_strdup(spec);
    const char *arg = colon ? colon + 1 : NULL;
    Opts *o = NULL;

    if (!strcmp(kind, "mon") && arg) {
        /* mon:X = X behind the Ctrl-a mux; only stdio has a terminal to mux. */
        if (strcmp(arg, "stdio") && strncmp(arg, "stdio,", 6)) {
            error_setg(errp, "mon: is only supported with stdio");
            goto out;
        }
        o = opts_parse(arg + 5 + (arg[5] == ','), NULL, errp);
        if (o) {
            opts_append(o, "mux", "on");
        }
        *drv = &chardev_stdio_driver;
    } else if (!strcmp(kind, "file")) {
        if (!arg || !*arg) {
            error_setg(errp, "file: needs a path");
            goto out;
        }
        /* The whole rest is the path: a file name may contain commas. */
        o = opts_parse("", NULL, errp);
        opts_append(o, "path", arg);
        *drv = &chardev_file_driver;
    } else if (!strcmp(kind, "unix") || !strcmp(kind, "tcp")) {
        if (!arg || !*arg) {
            error_setg(errp, "%s: needs an address", kind);
            goto out;
        }
        size_t addr_len = spec_first_comma(arg);
        char *addr = spec_unescape(arg, addr_len);
        char *rest = chardev_legacy_flags(arg[addr_len] ? arg + addr_len + 1 : "");
        o = opts_parse(rest, NULL, errp);
        g_free(rest);
        if (o && !strcmp(kind, "unix")) {
            opts_append(o, "path", addr);
        } else if (o) {
            const char *pc = strrchr(addr, ':');
            if (!pc || !pc[1]) {
                error_setg(errp, "tcp: expected HOST:PORT, got '%s'", addr);
                opts_free(o);
                o = NULL;
            } else {
                char *host = g_strndup(addr, pc - addr);
                /* [v6addr]:port */
                if (host[0] == '[' && host[strlen(host) - 1] == ']') {
                    char *h = g_strndup(host + 1, strlen(host) - 2);
                    g_free(host);
                    host = h;
                }
                opts_append(o, "host", host);
                opts_append(o, "port", pc + 1);
                g_free(host);
            }
        }
        g_free(addr);
        *drv = &chardev_socket_driver;
    } else if (!arg && (*drv = chardev_find_driver(kind)) &&
               *drv != &chardev_socket_driver && *drv != &chardev_file_driver) {
        o = opts_parse("", NULL, errp);
    } else if (arg && chardev_find_driver(kind) &&
               strcmp(kind, "socket") && strcmp(kind, "file")) {
        error_setg(errp, "'%s' takes no argument", kind);
        *drv = NULL;
    } else {
        error_setg(errp, "unknown chardev backend '%s'", kind);
        *drv = NULL;
    }
out:
    g_free(kind);
    return o;
}

Chardev *chardev_new_from_spec(const ChardevHost *host, const char *spec,
                               const char *id, Error **errp)
{
    if (!spec || !strcmp(spec, "none")) {
        return NULL;
    }
    Error *err = NULL;
    const ChardevDriver *drv = NULL;
    Opts *o = chardev_spec_to_opts(spec, &drv, &err);
    Chardev *chr = NULL;
    if (o) {
        chr = chardev_open(host, drv, id, o, &err);
        opts_free(o);
    }
    if (!chr) {
        /* Name the spec, and the option it came from: the CLI names -serial
         * backends "serialN"; other callers (-qtest) add their own prefix. */
        bool serial = id && g_str_has_prefix(id, "serial");
        error_prepend(&err, "%s%s: ", serial ? "-serial " : "", spec);
        if (errp) {
            *errp = err;
        } else {
            error_free(err);
        }
    }
    return chr;
}
