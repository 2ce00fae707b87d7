/*
 * char.h: character backends (stdio, mon:stdio, file, unix socket, pty, null)
 * behind one interface. A frontend (a UART, the harness, later the monitor)
 * writes bytes out with chardev_write() and receives bytes through the handlers
 * it installs; input arrives from the machine's GLib main loop, with the machine
 * lock held, and is offered only as far as can_receive() allows (flow control:
 * a full receive FIFO leaves the rest in the backend until chardev_accept_input()).
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/opts.h"

typedef struct Chardev Chardev;
typedef struct ChardevDriver ChardevDriver;

typedef enum ChardevEvent {
    CHR_EVENT_OPENED,       /* a client connected (sockets) */
    CHR_EVENT_CLOSED,       /* it went away; output is dropped meanwhile */
    CHR_EVENT_BREAK,        /* a break condition (Ctrl-a b on mon:stdio) */
} ChardevEvent;

typedef struct ChardevHost {
    GMainContext *ctx;      /* where input watches run */
    /* Ctrl-a x on a mux (mon:stdio / -nographic): quit the machine. */
    void (*request_quit)(void *opaque);
    void *opaque;
} ChardevHost;

struct Chardev {
    char *id;
    const ChardevDriver *drv;
    ChardevHost host;
    /* Frontend */
    int (*can_receive)(void *opaque);
    void (*receive)(void *opaque, const uint8_t *buf, int len);
    void (*event)(void *opaque, ChardevEvent ev);
    void *fe_opaque;
    void *priv;             /* driver state */
};

struct ChardevDriver {
    const char *name;       /* "stdio", "file", "socket", "null", ... */
    bool (*open)(Chardev *chr, Opts *opts, Error **errp);
    /* Write all of buf unless the peer is gone; returns bytes accepted. */
    size_t (*write)(Chardev *chr, const uint8_t *buf, size_t len);
    void (*accept_input)(Chardev *chr);
    void (*close)(Chardev *chr);
};

/* -chardev BACKEND,id=ID,... */
Chardev *chardev_new_from_opts(const ChardevHost *host, Opts *opts, Error **errp);
/* The -serial / -qtest short forms: "stdio", "mon:stdio", "file:PATH",
 * "unix:PATH[,server=on,wait=off]", "tcp:HOST:PORT[,server=on,...]", "null",
 * "none" (returns NULL with no error: no backend). id names the new backend. */
Chardev *chardev_new_from_spec(const ChardevHost *host, const char *spec,
                               const char *id, Error **errp);

void chardev_set_frontend(Chardev *chr,
                          int (*can_receive)(void *opaque),
                          void (*receive)(void *opaque, const uint8_t *buf, int len),
                          void (*event)(void *opaque, ChardevEvent ev),
                          void *opaque);
size_t chardev_write(Chardev *chr, const uint8_t *buf, size_t len);
/* The frontend has room again: deliver pending input. */
void chardev_accept_input(Chardev *chr);
void chardev_free(Chardev *chr);

/* Restore the terminal (stdio raw mode) at exit; safe to call more than once. */
void chardev_restore_terminal(void);

#endif
