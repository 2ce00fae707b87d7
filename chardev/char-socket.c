/*
 * char-socket.c: the "socket" backend, a Unix-domain or TCP stream socket.
 *
 *   unix:PATH,server=on[,wait=off]   listen on PATH (one client at a time)
 *   unix:PATH[,server=off]           connect to PATH at start-up
 *   tcp:HOST:PORT,server=on[,...]    the same over TCP
 *
 * A listening backend with wait=on (the default, as in QEMU) blocks start-up
 * until the first client connects. While no client is connected output is
 * dropped; when one goes away the frontend gets CHR_EVENT_CLOSED and a server
 * accepts the next client.
 */
#include "util/osdep.h"
#include "chardev/char.h"
#include "chardev-internal.h"
#include <fcntl.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct SocketState {
    Chardev *chr;
    bool server;
    bool is_unix;
    bool nodelay;
    char *path;             /* unix: to unlink at close (server) */
    char *desc;             /* for messages: "unix:PATH" / "tcp:HOST:PORT" */
    int listen_fd;
    GSource *listen_src;
    int fd;                 /* the connected peer, or -1 */
    bool stalled;           /* the peer stopped reading: drop, do not wait */
    /* The frontend that was told CHR_EVENT_OPENED for this connection. A
     * connection made before the frontend attached (client mode, wait=on) is
     * announced when it does, so it never misses the event. */
    void *announced_to;
    CharReader rd;
} SocketState;

static void socket_listen_update(SocketState *s);

static void socket_disconnect(SocketState *s)
{
    if (s->fd < 0) {
        return;
    }
    char_reader_destroy(&s->rd);
    close(s->fd);
    s->fd = -1;
    s->announced_to = NULL;
    chardev_send_event(s->chr, CHR_EVENT_CLOSED);
    socket_listen_update(s);
}

static void socket_announce(SocketState *s)
{
    Chardev *chr = s->chr;
    if (s->fd >= 0 && chr->event && s->announced_to != chr->fe_opaque) {
        s->announced_to = chr->fe_opaque;
        chardev_send_event(chr, CHR_EVENT_OPENED);
    }
}

static void socket_hangup(CharReader *r)
{
    socket_disconnect(r->opaque);
}

static void socket_attach(SocketState *s, int fd)
{
    fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
    /* Non-blocking, so a peer that stops reading cannot hang the machine. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    s->stalled = false;
    if (!s->is_unix && s->nodelay) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    s->fd = fd;
    char_reader_init(&s->rd, s->chr, fd, 4096, socket_hangup, s);
    char_reader_update(&s->rd);
    socket_listen_update(s);
    socket_announce(s);
}

static int socket_accept_one(SocketState *s)
{
    int fd;
    do {
        fd = accept(s->listen_fd, NULL, NULL);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

static gboolean socket_listen_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    SocketState *s = opaque;
    int c = socket_accept_one(s);
    if (c >= 0) {
        socket_attach(s, c);    /* removes this watch while the client stays */
    }
    return G_SOURCE_CONTINUE;
}

/* Listen for a client only while none is connected. */
static void socket_listen_update(SocketState *s)
{
    bool want = s->server && s->listen_fd >= 0 && s->fd < 0;
    if (want && !s->listen_src) {
        s->listen_src = g_unix_fd_source_new(s->listen_fd, G_IO_IN);
        g_source_set_callback(s->listen_src,
                              (GSourceFunc)(void (*)(void))socket_listen_ready, s, NULL);
        g_source_attach(s->listen_src, s->chr->host.ctx);
    } else if (!want && s->listen_src) {
        g_source_destroy(s->listen_src);
        g_source_unref(s->listen_src);
        s->listen_src = NULL;
    }
}

static int socket_unix_addr(const char *path, struct sockaddr_un *sun, Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "socket path '%s' is longer than %zu bytes", path,
                   sizeof(sun->sun_path) - 1);
        return -1;
    }
    strcpy(sun->sun_path, path);
    return 0;
}

static bool socket_open_unix(SocketState *s, Error **errp)
{
    struct sockaddr_un sun;
    if (socket_unix_addr(s->path, &sun, errp) < 0) {
        return false;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "socket");
        return false;
    }
    if (s->server) {
        unlink(s->path);    /* a stale socket from an earlier run */
        if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            error_setg_errno(errp, errno, "cannot bind '%s'", s->path);
            close(fd);
            return false;
        }
        if (listen(fd, 1) < 0) {
            error_setg_errno(errp, errno, "cannot listen on '%s'", s->path);
            close(fd);
            unlink(s->path);
            return false;
        }
        s->listen_fd = fd;
        return true;
    }
    int r;
    do {
        r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        error_setg_errno(errp, errno, "cannot connect to '%s'", s->path);
        close(fd);
        return false;
    }
    s->fd = fd;
    return true;
}

static bool socket_open_tcp(SocketState *s, const char *host, const char *port,
                            Error **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = s->server ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    /* An empty host means every interface for a server, localhost for a client. */
    const char *h = host && *host ? host : (s->server ? NULL : "localhost");
    int gai = getaddrinfo(h, port, &hints, &res);
    if (gai) {
        error_setg(errp, "cannot resolve '%s:%s': %s", host ? host : "", port,
                   gai_strerror(gai));
        return false;
    }
    int err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (s->server) {
            int one = 1;
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1) == 0) {
                s->listen_fd = fd;
                break;
            }
        } else {
            int r;
            do {
                r = connect(fd, ai->ai_addr, ai->ai_addrlen);
            } while (r < 0 && errno == EINTR);
            if (r == 0) {
                s->fd = fd;
                break;
            }
        }
        err = errno;
        close(fd);
    }
    freeaddrinfo(res);
    if (s->listen_fd < 0 && s->fd < 0) {
        error_setg_errno(errp, err ? err : EADDRNOTAVAIL, "cannot %s %s:%s",
                         s->server ? "listen on" : "connect to", host ? host : "",
                         port);
        return false;
    }
    return true;
}

static bool socket_open(Chardev *chr, Opts *opts, Error **errp)
{
    const char *path = opts_get(opts, "path");
    const char *host = opts_get(opts, "host");
    const char *port = opts_get(opts, "port");
    bool server = false, wait = true, nodelay = false;
    if (!opts_get_bool(opts, "server", &server, errp) ||
        !opts_get_bool(opts, "wait", &wait, errp) ||
        !opts_get_bool(opts, "nodelay", &nodelay, errp) ||
        !chardev_check_opts(opts, errp)) {
        return false;
    }
    if (!!path == !!port) {
        error_setg(errp, "socket: give either path= (unix) or host=/port= (tcp)");
        return false;
    }
    SocketState *s = g_new0(SocketState, 1);
    s->chr = chr;
    s->server = server;
    s->is_unix = path != NULL;
    s->nodelay = nodelay;
    s->listen_fd = -1;
    s->fd = -1;
    s->path = g_strdup(path);
    s->desc = path ? g_strdup_printf("unix:%s", path)
                   : g_strdup_printf("tcp:%s:%s", host ? host : "", port);
    chr->priv = s;
    bool ok = s->is_unix ? socket_open_unix(s, errp)
                         : socket_open_tcp(s, host, port, errp);
    if (!ok) {
        g_free(s->path);
        g_free(s->desc);
        g_free(s);
        chr->priv = NULL;
        return false;
    }
    if (s->server && wait) {
        fprintf(stderr, "bt86: waiting for connection on %s,server=on\n", s->desc);
        int c = socket_accept_one(s);
        if (c < 0) {
            error_setg_errno(errp, errno, "accept on %s", s->desc);
            close(s->listen_fd);
            if (s->is_unix) {
                unlink(s->path);
            }
            g_free(s->path);
            g_free(s->desc);
            g_free(s);
            chr->priv = NULL;
            return false;
        }
        socket_attach(s, c);
    } else if (s->fd >= 0) {
        socket_attach(s, s->fd);
    } else {
        socket_listen_update(s);
    }
    return true;
}

static size_t socket_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    SocketState *s = chr->priv;
    if (s->fd < 0) {
        return len;     /* nobody there: dropped, as on a cable with no peer */
    }
    /* Wait a while for a slow reader, but not again and again for one that
     * stopped: its output is dropped until it reads again. */
    if (!chardev_write_full(s->fd, buf, len, true, s->stalled ? 0 : 1000)) {
        if (errno == EAGAIN) {
            s->stalled = true;
        } else {
            socket_disconnect(s);
        }
        return 0;
    }
    s->stalled = false;
    return len;
}

static void socket_accept_input(Chardev *chr)
{
    SocketState *s = chr->priv;
    if (s->fd >= 0) {
        socket_announce(s);     /* a frontend attached after the connection */
        char_reader_flush(&s->rd);
    }
}

static void socket_close(Chardev *chr)
{
    SocketState *s = chr->priv;
    if (s->fd >= 0) {
        char_reader_destroy(&s->rd);
        close(s->fd);
    }
    if (s->listen_src) {
        g_source_destroy(s->listen_src);
        g_source_unref(s->listen_src);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        if (s->is_unix) {
            unlink(s->path);
        }
    }
    g_free(s->path);
    g_free(s->desc);
    g_free(s);
}

const ChardevDriver chardev_socket_driver = {
    .name = "socket",
    .open = socket_open,
    .write = socket_write,
    .accept_input = socket_accept_input,
    .close = socket_close,
};
