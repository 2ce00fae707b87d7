/*
 * test-chardev.c: the chardev backends (chardev/): spec parsing and its
 * errors, file output, Unix and TCP sockets in server and client mode with
 * flow control and reconnection, and the Ctrl-a mux of mon:stdio (stdin and
 * stdout are swapped for pipes while it runs).
 */
#include "util/osdep.h"
#include "chardev/char.h"
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/un.h>
#include <unistd.h>

#define assert_no_err(err)                                          \
    do {                                                            \
        if (err) {                                                  \
            g_error("unexpected error: %s", (err)->msg);            \
        }                                                           \
    } while (0)

/* A frontend that records what it gets and takes at most `budget` bytes. */
typedef struct Fe {
    GByteArray *got;
    int budget;             /* -1: unlimited */
    int opened, closed, breaks;
    int quits;
} Fe;

static int fe_can_receive(void *opaque)
{
    Fe *fe = opaque;
    return fe->budget < 0 ? 4096 : fe->budget;
}

static void fe_receive(void *opaque, const uint8_t *buf, int len)
{
    Fe *fe = opaque;
    g_assert_cmpint(len, >, 0);
    if (fe->budget >= 0) {
        g_assert_cmpint(len, <=, fe->budget);   /* flow control honoured */
        fe->budget -= len;
    }
    g_byte_array_append(fe->got, buf, len);
}

static void fe_event(void *opaque, ChardevEvent ev)
{
    Fe *fe = opaque;
    if (ev == CHR_EVENT_OPENED) {
        fe->opened++;
    } else if (ev == CHR_EVENT_CLOSED) {
        fe->closed++;
    } else if (ev == CHR_EVENT_BREAK) {
        fe->breaks++;
    }
}

static void fe_quit(void *opaque)
{
    ((Fe *)opaque)->quits++;
}

static void fe_init(Fe *fe)
{
    memset(fe, 0, sizeof(*fe));
    fe->got = g_byte_array_new();
    fe->budget = -1;
}

static void fe_destroy(Fe *fe)
{
    g_byte_array_free(fe->got, true);
}

typedef struct Env {
    GMainContext *ctx;
    ChardevHost host;
    char *dir;
    Fe fe;
} Env;

static void env_init(Env *e)
{
    e->ctx = g_main_context_new();
    fe_init(&e->fe);
    e->host = (ChardevHost){ .ctx = e->ctx, .request_quit = fe_quit, .opaque = &e->fe };
    GError *err = NULL;
    e->dir = g_dir_make_tmp("bt86-chardev-XXXXXX", &err);
    g_assert_no_error(err);
}

static void env_destroy(Env *e)
{
    g_main_context_unref(e->ctx);
    fe_destroy(&e->fe);
    GDir *d = g_dir_open(e->dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *p = g_build_filename(e->dir, name, NULL);
        g_unlink(p);
        g_free(p);
    }
    if (d) {
        g_dir_close(d);
    }
    g_rmdir(e->dir);
    g_free(e->dir);
}

/* Run the context until cond holds (or fail after 5 s). */
#define ITERATE_UNTIL(e, cond)                                          \
    do {                                                                \
        gint64 _end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;      \
        while (!(cond)) {                                               \
            g_assert_cmpint(g_get_monotonic_time(), <, _end);           \
            g_main_context_iteration((e)->ctx, false);                  \
            g_usleep(200);                                              \
        }                                                               \
    } while (0)

/* Run the context for a while with nothing expected to happen. */
static void iterate_idle(Env *e, int ms)
{
    gint64 end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(e->ctx, false);
        g_usleep(500);
    }
}

static void fd_read_exact(int fd, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
        ssize_t n = read(fd, (char *)buf + got, len - got);
        g_assert_cmpint(n, >, 0);
        got += n;
    }
}

static int unix_connect(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(fd, >=, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, path);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    return fd;
}

/* ---- spec parsing ---- */

static void expect_spec_error(Env *e, const char *spec, const char *id, const char *want)
{
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e->host, spec, id, &err);
    g_assert_null(chr);
    g_assert_nonnull(err);
    if (!strstr(err->msg, want)) {
        g_error("spec '%s': wanted '%s' in '%s'", spec, want, err->msg);
    }
    error_free(err);
}

static void test_spec_errors(void)
{
    Env e;
    env_init(&e);
    expect_spec_error(&e, "foo", "serial0", "-serial foo: unknown chardev backend 'foo'");
    expect_spec_error(&e, "bogus:x", "serial1",
                      "-serial bogus:x: unknown chardev backend");
    expect_spec_error(&e, "foo", "qtest", "foo: unknown chardev backend 'foo'");
    expect_spec_error(&e, "file:", "serial0", "needs a path");
    expect_spec_error(&e, "unix:", "serial0", "needs an address");
    expect_spec_error(&e, "tcp:localhost", "serial0", "expected HOST:PORT");
    expect_spec_error(&e, "mon:file:/tmp/x", "serial0", "only supported with stdio");
    expect_spec_error(&e, "null:x", "serial0",
                      "-serial null:x: 'null' takes no argument");

    char *path = g_build_filename(e.dir, "s.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,server=on,wait=off,colour=blue", path);
    expect_spec_error(&e, spec, "serial0", "unknown parameter 'colour'");
    g_free(spec);
    spec = g_strdup_printf("unix:%s,server=maybe", path);
    expect_spec_error(&e, spec, "serial0", "server=maybe: expected on or off");
    g_free(spec);
    /* Client mode to a socket nobody listens on. */
    spec = g_strdup_printf("unix:%s", path);
    expect_spec_error(&e, spec, "serial0", "cannot connect to");
    g_free(spec);
    expect_spec_error(&e, "unix:/nonexistent-dir/x.sock,server=on,wait=off", "serial0",
                      "No such file or directory");
    char *longpath = g_strnfill(200, 'x');
    spec = g_strdup_printf("unix:/tmp/%s", longpath);
    expect_spec_error(&e, spec, "serial0", "longer than");
    g_free(spec);
    g_free(longpath);
    g_free(path);

    /* "none" is no backend and no error. */
    Error *err = NULL;
    g_assert_null(chardev_new_from_spec(&e.host, "none", "serial0", &err));
    g_assert_null(err);

    /* "null" swallows everything. */
    Chardev *chr = chardev_new_from_spec(&e.host, "null", "n0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    g_assert_cmpstr(chr->id, ==, "n0");
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"abc", 3), ==, 3);
    chardev_free(chr);
    env_destroy(&e);
}

static Chardev *chardev_from_opts_str(Env *e, const char *str, Error **errp)
{
    Opts *o = opts_parse(str, "backend", errp);
    g_assert_nonnull(o);
    Chardev *chr = chardev_new_from_opts(&e->host, o, errp);
    opts_free(o);
    return chr;
}

static void test_opts_errors(void)
{
    Env e;
    env_init(&e);
    static const struct { const char *opts, *want; } cases[] = {
        { "null", "missing id=" },
        { "warp,id=x", "unknown chardev backend 'warp'" },
        { "file,id=f", "path= is required" },
        { "socket,id=s", "give either path=" },
        { "null,id=n,speed=9600", "unknown parameter 'speed'" },
        { "socket,id=s,path=/nonexistent-dir/s,server=on,wait=off", "cannot bind" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Error *err = NULL;
        g_assert_null(chardev_from_opts_str(&e, cases[i].opts, &err));
        g_assert_nonnull(err);
        if (!strstr(err->msg, cases[i].want) || !strstr(err->msg, "-chardev ")) {
            g_error("-chardev %s: wanted '%s' in '%s'", cases[i].opts, cases[i].want,
                    err->msg);
        }
        error_free(err);
    }
    env_destroy(&e);
}

/* ---- file ---- */

static char *file_contents(const char *path)
{
    char *data = NULL;
    GError *err = NULL;
    g_assert_true(g_file_get_contents(path, &data, NULL, &err));
    return data;
}

static void test_file(void)
{
    Env e;
    env_init(&e);
    char *path = g_build_filename(e.dir, "out.txt", NULL);
    g_assert_true(g_file_set_contents(path, "old contents to be truncated", -1, NULL));

    char *spec = g_strdup_printf("file:%s", path);
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    char *c = file_contents(path);
    g_assert_cmpstr(c, ==, "");
    g_free(c);
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"hello ", 6), ==, 6);
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"world\n", 6), ==, 6);
    /* On disk at once, without closing: nothing is lost if bt86 dies. */
    c = file_contents(path);
    g_assert_cmpstr(c, ==, "hello world\n");
    g_free(c);
    chardev_free(chr);
    g_free(spec);

    /* -chardev file,append=on keeps what is there. */
    char *opts = g_strdup_printf("file,id=f1,path=%s,append=on", path);
    chr = chardev_from_opts_str(&e, opts, &err);
    assert_no_err(err);
    chardev_write(chr, (const uint8_t *)"more", 4);
    c = file_contents(path);
    g_assert_cmpstr(c, ==, "hello world\nmore");
    g_free(c);
    chardev_free(chr);
    g_free(opts);

    /* A path with a comma works in the short form (the rest is the path). */
    char *cpath = g_build_filename(e.dir, "a,b.txt", NULL);
    spec = g_strdup_printf("file:%s", cpath);
    chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    chardev_write(chr, (const uint8_t *)"x", 1);
    chardev_free(chr);
    c = file_contents(cpath);
    g_assert_cmpstr(c, ==, "x");
    g_free(c);
    g_free(spec);
    g_free(cpath);

    g_free(path);
    env_destroy(&e);
}

/* ---- sockets ---- */

static void socket_round_trip(Env *e, Chardev *chr, int peer)
{
    /* chardev -> peer */
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"ping", 4), ==, 4);
    char buf[16] = { 0 };
    fd_read_exact(peer, buf, 4);
    g_assert_cmpstr(buf, ==, "ping");
    /* peer -> frontend */
    g_byte_array_set_size(e->fe.got, 0);
    g_assert_cmpint(write(peer, "pong", 4), ==, 4);
    ITERATE_UNTIL(e, e->fe.got->len == 4);
    g_assert_cmpmem(e->fe.got->data, 4, "pong", 4);
}

static void test_unix_server(void)
{
    Env e;
    env_init(&e);
    char *path = g_build_filename(e.dir, "srv.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);

    /* No client yet: output is dropped, not an error, not a block. */
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"lost", 4), ==, 4);

    int peer = unix_connect(path);
    ITERATE_UNTIL(&e, e.fe.opened == 1);
    socket_round_trip(&e, chr, peer);

    /* Flow control: a frontend with room for 3 bytes gets 3, the rest waits
     * in the backend until it calls chardev_accept_input(). */
    g_byte_array_set_size(e.fe.got, 0);
    e.fe.budget = 3;
    g_assert_cmpint(write(peer, "0123456789", 10), ==, 10);
    ITERATE_UNTIL(&e, e.fe.got->len == 3);
    iterate_idle(&e, 50);
    g_assert_cmpuint(e.fe.got->len, ==, 3);
    e.fe.budget = 4;
    chardev_accept_input(chr);
    g_assert_cmpuint(e.fe.got->len, ==, 7);
    e.fe.budget = -1;
    chardev_accept_input(chr);
    g_assert_cmpuint(e.fe.got->len, ==, 10);
    g_assert_cmpmem(e.fe.got->data, 10, "0123456789", 10);

    /* The client leaves: CLOSED, output dropped; a new client is accepted. */
    close(peer);
    ITERATE_UNTIL(&e, e.fe.closed == 1);
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"nobody", 6), ==, 6);
    peer = unix_connect(path);
    ITERATE_UNTIL(&e, e.fe.opened == 2);
    socket_round_trip(&e, chr, peer);
    close(peer);

    chardev_free(chr);
    /* The server removes its socket file. */
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(spec);
    g_free(path);
    env_destroy(&e);
}

static void test_unix_stalled_peer(void)
{
    Env e;
    env_init(&e);
    char *path = g_build_filename(e.dir, "stall.sock", NULL);
    char *spec = g_strdup_printf("unix:%s,server=on,wait=off", path);
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);
    int peer = unix_connect(path);
    ITERATE_UNTIL(&e, e.fe.opened == 1);

    /* A peer that never reads: the machine must not hang on its output. One
     * wait for room, then drops until the peer reads again. */
    static uint8_t chunk[4096];
    memset(chunk, 'q', sizeof(chunk));
    gint64 t0 = g_get_monotonic_time();
    size_t accepted = 0;
    for (int i = 0; i < 2048; i++) {   /* 8 MiB, far beyond any socket buffer */
        accepted += chardev_write(chr, chunk, sizeof(chunk));
    }
    gint64 elapsed_ms = (g_get_monotonic_time() - t0) / 1000;
    g_assert_cmpint(elapsed_ms, <, 4000);
    g_assert_cmpuint(accepted, <, 2048 * sizeof(chunk));
    g_assert_cmpuint(accepted, >, 0);
    /* Still connected: once the peer drains, output flows again. */
    g_assert_cmpint(e.fe.closed, ==, 0);
    for (size_t left = accepted; left;) {
        char buf[65536];
        size_t n = MIN(left, sizeof(buf));
        fd_read_exact(peer, buf, n);
        left -= n;
    }
    socket_round_trip(&e, chr, peer);
    close(peer);
    chardev_free(chr);
    g_free(spec);
    g_free(path);
    env_destroy(&e);
}

static void test_unix_client(void)
{
    Env e;
    env_init(&e);
    char *path = g_build_filename(e.dir, "cli.sock", NULL);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, path);
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);

    /* -chardev socket,path=... (client is the default). */
    char *opts = g_strdup_printf("socket,id=c0,path=%s", path);
    Error *err = NULL;
    Chardev *chr = chardev_from_opts_str(&e, opts, &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    int peer = accept(lfd, NULL, NULL);
    g_assert_cmpint(peer, >=, 0);
    /* Connected before the frontend attached: it is told on attaching. */
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);
    g_assert_cmpint(e.fe.opened, ==, 1);
    chardev_accept_input(chr);
    g_assert_cmpint(e.fe.opened, ==, 1);   /* once */
    socket_round_trip(&e, chr, peer);

    /* The server goes away: CLOSED, and writes are dropped from then on. */
    close(peer);
    ITERATE_UNTIL(&e, e.fe.closed == 1);
    g_assert_cmpuint(chardev_write(chr, (const uint8_t *)"x", 1), ==, 1);
    chardev_free(chr);
    close(lfd);
    g_free(opts);
    g_free(path);
    env_destroy(&e);
}

static int free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    socklen_t len = sizeof(sin);
    getsockname(fd, (struct sockaddr *)&sin, &len);
    close(fd);
    return ntohs(sin.sin_port);
}

static void test_tcp_server(void)
{
    Env e;
    env_init(&e);
    int port = free_tcp_port();
    /* The legacy spelling "server,nowait" is accepted too. */
    char *spec = g_strdup_printf("tcp:127.0.0.1:%d,server,nowait", port);
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);

    int peer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    g_assert_cmpint(connect(peer, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    ITERATE_UNTIL(&e, e.fe.opened == 1);
    socket_round_trip(&e, chr, peer);

    /* A second listener on the same port is refused with a clear message. */
    char *spec2 = g_strdup_printf("tcp:127.0.0.1:%d,server=on,wait=off", port);
    expect_spec_error(&e, spec2, "serial1", "cannot listen on 127.0.0.1");
    g_free(spec2);

    close(peer);
    chardev_free(chr);
    g_free(spec);
    env_destroy(&e);
}

static void test_tcp_client(void)
{
    Env e;
    env_init(&e);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    g_assert_cmpint(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    g_assert_cmpint(listen(lfd, 1), ==, 0);
    socklen_t len = sizeof(sin);
    getsockname(lfd, (struct sockaddr *)&sin, &len);

    char *opts = g_strdup_printf("socket,id=t0,host=127.0.0.1,port=%d,nodelay=on",
                                 ntohs(sin.sin_port));
    Error *err = NULL;
    Chardev *chr = chardev_from_opts_str(&e, opts, &err);
    assert_no_err(err);
    int peer = accept(lfd, NULL, NULL);
    g_assert_cmpint(peer, >=, 0);
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);
    socket_round_trip(&e, chr, peer);
    close(peer);
    ITERATE_UNTIL(&e, e.fe.closed == 1);
    chardev_free(chr);
    close(lfd);
    g_free(opts);

    /* Nobody listening there any more. */
    char *spec = g_strdup_printf("tcp:127.0.0.1:%d", ntohs(sin.sin_port));
    expect_spec_error(&e, spec, "serial0", "Connection refused");
    g_free(spec);
    expect_spec_error(&e, "tcp:no-such-host.invalid:1", "serial0", "cannot resolve");
    env_destroy(&e);
}

typedef struct Connector {
    char *path;
    int fd;
} Connector;

static gpointer connect_later(gpointer opaque)
{
    Connector *c = opaque;
    /* Start-up is blocked in accept() meanwhile. */
    for (int i = 0; i < 500 && !g_file_test(c->path, G_FILE_TEST_EXISTS); i++) {
        g_usleep(10000);
    }
    g_usleep(50000);
    c->fd = unix_connect(c->path);
    return NULL;
}

static void test_unix_server_wait(void)
{
    Env e;
    env_init(&e);
    Connector c = { .path = g_build_filename(e.dir, "wait.sock", NULL), .fd = -1 };
    GThread *t = g_thread_new("connect", connect_later, &c);
    char *spec = g_strdup_printf("unix:%s,server=on", c.path);   /* wait=on default */
    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, spec, "serial0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    g_thread_join(t);
    g_assert_cmpint(c.fd, >=, 0);
    /* Connected before open returned: the very first byte arrives, and the
     * frontend hears about the connection. */
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);
    g_assert_cmpint(e.fe.opened, ==, 1);
    socket_round_trip(&e, chr, c.fd);
    close(c.fd);
    chardev_free(chr);
    g_free(spec);
    g_free(c.path);
    env_destroy(&e);
}

/* ---- mon:stdio ---- */

typedef struct StdioSwap {
    int saved_in, saved_out;
    int to_stdin;       /* we write here: the chardev reads it as stdin */
    int from_stdout;    /* we read here: what the chardev printed */
} StdioSwap;

static void stdio_swap(StdioSwap *s)
{
    int in[2], out[2];
    g_assert_cmpint(pipe(in), ==, 0);
    g_assert_cmpint(pipe(out), ==, 0);
    fflush(stdout);
    s->saved_in = dup(STDIN_FILENO);
    s->saved_out = dup(STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    close(in[0]);
    close(out[1]);
    s->to_stdin = in[1];
    s->from_stdout = out[0];
}

static void stdio_unswap(StdioSwap *s)
{
    fflush(stdout);
    dup2(s->saved_in, STDIN_FILENO);
    dup2(s->saved_out, STDOUT_FILENO);
    close(s->saved_in);
    close(s->saved_out);
    close(s->to_stdin);
    close(s->from_stdout);
}

static char *read_available(int fd)
{
    GString *g = g_string_new(NULL);
    struct pollfd p = { .fd = fd, .events = POLLIN };
    while (poll(&p, 1, 100) == 1) {
        char buf[512];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) {
            break;
        }
        g_string_append_len(g, buf, n);
    }
    return g_string_free(g, false);
}

static void test_mux_stdio(void)
{
    Env e;
    env_init(&e);
    StdioSwap sw;
    stdio_swap(&sw);

    Error *err = NULL;
    Chardev *chr = chardev_new_from_spec(&e.host, "mon:stdio", "serial0", &err);
    assert_no_err(err);
    g_assert_nonnull(chr);
    chardev_set_frontend(chr, fe_can_receive, fe_receive, fe_event, &e.fe);

    /* stdio belongs to one chardev at a time. */
    Chardev *again = chardev_new_from_spec(&e.host, "stdio", "serial1", &err);
    g_assert_null(again);
    g_assert_nonnull(strstr(err->msg, "stdio is already used"));
    error_free(err);
    err = NULL;

    /* Output goes to stdout unchanged. */
    chardev_write(chr, (const uint8_t *)"guest says hi", 13);
    char *out = read_available(sw.from_stdout);
    g_assert_cmpstr(out, ==, "guest says hi");
    g_free(out);

    /* Plain keys pass; Ctrl-a Ctrl-a is one literal Ctrl-a. */
    g_assert_cmpint(write(sw.to_stdin, "ab\x01\x01" "c", 5), ==, 5);
    ITERATE_UNTIL(&e, e.fe.got->len == 4);
    g_assert_cmpmem(e.fe.got->data, 4, "ab\x01" "c", 4);

    /* Ctrl-a b: a break event, nothing delivered. */
    g_assert_cmpint(write(sw.to_stdin, "\x01" "b", 2), ==, 2);
    ITERATE_UNTIL(&e, e.fe.breaks == 1);
    g_assert_cmpuint(e.fe.got->len, ==, 4);

    /* Ctrl-a h: help on stdout; Ctrl-a c: the monitor is not there yet. */
    g_assert_cmpint(write(sw.to_stdin, "\x01h", 2), ==, 2);
    iterate_idle(&e, 30);
    out = read_available(sw.from_stdout);
    g_assert_nonnull(strstr(out, "C-a x"));
    g_free(out);
    g_assert_cmpint(write(sw.to_stdin, "\x01" "c", 2), ==, 2);
    iterate_idle(&e, 30);
    out = read_available(sw.from_stdout);
    g_assert_nonnull(strstr(out, "monitor not yet available"));
    g_free(out);

    /* The escape works even when the frontend is full and not reading. */
    e.fe.budget = 0;
    g_assert_cmpint(write(sw.to_stdin, "zzz\x01x", 5), ==, 5);
    ITERATE_UNTIL(&e, e.fe.quits == 1);
    g_assert_cmpuint(e.fe.got->len, ==, 4);
    e.fe.budget = -1;
    chardev_accept_input(chr);
    g_assert_cmpuint(e.fe.got->len, ==, 7);
    g_assert_cmpmem(e.fe.got->data + 4, 3, "zzz", 3);
    g_assert_cmpuint(e.fe.breaks, ==, 1);

    chardev_free(chr);
    /* Released: stdio can be used again. */
    chr = chardev_new_from_spec(&e.host, "stdio", "serial1", &err);
    assert_no_err(err);
    chardev_free(chr);
    chardev_restore_terminal();
    stdio_unswap(&sw);
    env_destroy(&e);
}

/* ---- the real terminal, end to end through bt86 ---- */

/* Run bt86 on a pseudo-terminal with COM1 on stdio; returns the master. */
static int spawn_on_pty(const char *serial, pid_t *pid)
{
    const char *bt86 = g_getenv("BT86");
    int master = -1;
    *pid = forkpty(&master, NULL, NULL, NULL);
    g_assert_cmpint(*pid, >=, 0);
    if (*pid == 0) {
        execl(bt86, bt86, "-accel", "qtest", "-qtest", "null", "-display", "none",
              "-serial", serial, (char *)NULL);
        _exit(127);
    }
    /* Wait until bt86 put the terminal in raw mode. */
    for (int i = 0; i < 500; i++) {
        struct termios t;
        g_assert_cmpint(tcgetattr(master, &t), ==, 0);
        if (!(t.c_lflag & ICANON)) {
            return master;
        }
        g_usleep(10000);
    }
    g_error("bt86 did not switch the terminal to raw mode");
}

static int wait_child(pid_t pid)
{
    for (int i = 0; i < 500; i++) {
        int ws;
        if (waitpid(pid, &ws, WNOHANG) == pid) {
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        }
        g_usleep(10000);
    }
    kill(pid, SIGKILL);
    g_error("bt86 did not exit");
}

static char *pty_read_until(int master, const char *want)
{
    GString *g = g_string_new(NULL);
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!strstr(g->str, want) && g_get_monotonic_time() < end) {
        struct pollfd p = { .fd = master, .events = POLLIN };
        if (poll(&p, 1, 100) == 1) {
            char buf[256];
            ssize_t n = read(master, buf, sizeof(buf));
            if (n <= 0) {
                break;
            }
            g_string_append_len(g, buf, n);
        }
    }
    return g_string_free(g, false);
}

static void test_terminal_mux_quit(void)
{
    if (!g_getenv("BT86")) {
        g_test_skip("BT86 is not set (run through meson test)");
        return;
    }
    pid_t pid;
    int master = spawn_on_pty("mon:stdio", &pid);
    struct termios t;
    tcgetattr(master, &t);
    g_assert_false(t.c_lflag & ECHO);
    g_assert_false(t.c_lflag & ISIG);           /* Ctrl-C belongs to the guest */
    g_assert_cmpint(write(master, "\x01h", 2), ==, 2);
    char *out = pty_read_until(master, "C-a x");
    g_assert_nonnull(strstr(out, "C-a x"));
    g_free(out);
    g_assert_cmpint(write(master, "\x01x", 2), ==, 2);
    g_assert_cmpint(wait_child(pid), ==, 0);
    /* The terminal is back as it was. */
    tcgetattr(master, &t);
    g_assert_true(t.c_lflag & ICANON);
    g_assert_true(t.c_lflag & ECHO);
    close(master);
}

static void test_terminal_stdio_sigint(void)
{
    if (!g_getenv("BT86")) {
        g_test_skip("BT86 is not set (run through meson test)");
        return;
    }
    pid_t pid;
    int master = spawn_on_pty("stdio", &pid);
    struct termios t;
    tcgetattr(master, &t);
    g_assert_true(t.c_lflag & ISIG);            /* plain stdio: Ctrl-C quits */
    g_assert_cmpint(write(master, "\x03", 1), ==, 1);
    g_assert_cmpint(wait_child(pid), ==, 0);
    tcgetattr(master, &t);
    g_assert_true(t.c_lflag & ICANON);
    close(master);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/chardev/spec-errors", test_spec_errors);
    g_test_add_func("/chardev/opts-errors", test_opts_errors);
    g_test_add_func("/chardev/file", test_file);
    g_test_add_func("/chardev/unix-server", test_unix_server);
    g_test_add_func("/chardev/unix-stalled-peer", test_unix_stalled_peer);
    g_test_add_func("/chardev/unix-client", test_unix_client);
    g_test_add_func("/chardev/unix-server-wait", test_unix_server_wait);
    g_test_add_func("/chardev/tcp-server", test_tcp_server);
    g_test_add_func("/chardev/tcp-client", test_tcp_client);
    g_test_add_func("/chardev/mux-stdio", test_mux_stdio);
    g_test_add_func("/chardev/terminal-mux-quit", test_terminal_mux_quit);
    g_test_add_func("/chardev/terminal-stdio-sigint", test_terminal_stdio_sigint);
    return g_test_run();
}
