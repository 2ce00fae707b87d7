/*
 * chardev-internal.h: what the chardev backends in this folder share and no
 * one else needs: the driver table entries, and a small fd reader that turns a
 * readable descriptor into frontend input while honouring can_receive() (flow
 * control, include/chardev/char.h).
 */
#ifndef CHARDEV_INTERNAL_H
#define CHARDEV_INTERNAL_H

#include "util/osdep.h"
#include "chardev/char.h"

extern const ChardevDriver chardev_null_driver;
extern const ChardevDriver chardev_file_driver;
extern const ChardevDriver chardev_stdio_driver;
extern const ChardevDriver chardev_socket_driver;
extern const ChardevDriver chardev_pty_driver;

/*
 * Reads an fd from a GLib watch on the machine's context into a pending queue
 * and offers the queue to the frontend as far as can_receive() allows. The
 * watch is removed while the queue is at its limit, so a frontend that does not
 * read leaves the rest in the kernel (the peer sees back-pressure).
 */
typedef struct CharReader {
    Chardev *chr;
    int fd;
    GSource *src;
    GByteArray *pending;
    size_t limit;
    bool flushing;
    bool stopped;           /* hangup seen: never watch again */
    bool dead;              /* destroyed while flushing: flush frees */
    /* Bytes just read; the default appends them all to pending. The mux uses
     * this to act on escape sequences as they arrive. */
    void (*input)(struct CharReader *r, const uint8_t *buf, size_t len);
    /* End of file or error. May free the reader; nothing touches it after. */
    void (*hangup)(struct CharReader *r);
    void *opaque;
} CharReader;

void char_reader_init(CharReader *r, Chardev *chr, int fd, size_t limit,
                      void (*hangup)(CharReader *r), void *opaque);
/* (Re)arm the watch if the queue has room. */
void char_reader_update(CharReader *r);
/* Offer pending bytes to the frontend, then re-arm. */
void char_reader_flush(CharReader *r);
/* Remove the watch and drop pending input; the fd is not closed. */
void char_reader_destroy(CharReader *r);

/* Offer bytes to the frontend; returns how many it took (0 if none attached). */
size_t chardev_deliver(Chardev *chr, const uint8_t *buf, size_t len);
void chardev_send_event(Chardev *chr, ChardevEvent ev);

/* Error naming the first option no backend asked for (a misspelt key). */
bool chardev_check_opts(Opts *opts, Error **errp);

/* write() all of buf to a blocking or non-blocking fd, retrying on EINTR and
 * waiting up to timeout_ms for room on EAGAIN. Returns false (errno set, EAGAIN
 * for a timeout) on an error; part of buf may have been written. */
bool chardev_write_full(int fd, const uint8_t *buf, size_t len, bool is_socket,
                        int timeout_ms);

/* Terminal state of the process's stdin (a host resource, not machine state). */
bool chardev_stdio_claim(Chardev *chr, Error **errp);
void chardev_stdio_release(Chardev *chr);
void chardev_term_set_raw(bool keep_signals);

#endif
