/*
 * test-serial.c: the 16550A UART ("isa-serial", hw/char/serial.c) driven
 * through the device harness with no CPU: registers, divisor latch, loopback,
 * FIFO trigger levels and character timeout, interrupt priority and the IRQ 4
 * line, and real bytes in and out through a Unix-socket backend.
 * Register semantics: PC16550D datasheet.
 */
#include "libharness.h"

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define COM1    0x3f8
#define IRQ     4
#define RBR     (COM1 + 0)
#define THR     (COM1 + 0)
#define DLL     (COM1 + 0)
#define IER     (COM1 + 1)
#define DLM     (COM1 + 1)
#define IIR     (COM1 + 2)
#define FCR     (COM1 + 2)
#define LCR     (COM1 + 3)
#define MCR     (COM1 + 4)
#define LSR     (COM1 + 5)
#define MSR     (COM1 + 6)
#define SCR     (COM1 + 7)

/* ---- a machine with COM1 on a socket the test holds the other end of ---- */

typedef struct SerialFixture {
    Harness *h;
    char *dir;
    char *path;
    int peer;           /* our end of COM1's line, or -1 */
} SerialFixture;

static void fixture_start(SerialFixture *f, bool with_socket)
{
    memset(f, 0, sizeof(*f));
    f->peer = -1;
    if (!with_socket) {
        f->h = harness_start("-serial null");
        return;
    }
    GError *err = NULL;
    f->dir = g_dir_make_tmp("bt86-serial-XXXXXX", &err);
    g_assert_no_error(err);
    f->path = g_build_filename(f->dir, "com1.sock", NULL);
    char *args = g_strdup_printf("-serial unix:%s,server=on,wait=off", f->path);
    f->h = harness_start(args);
    g_free(args);

    /* bt86 opened the listening socket before it connected the harness. */
    f->peer = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->peer, >=, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, f->path);
    g_assert_cmpint(connect(f->peer, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    /* The listening socket is readable from now on, so bt86 accepts in the same
     * main-loop round that serves the next command; after two round trips the
     * connection is surely in place and no transmitted byte is dropped. */
    harness_clock_get(f->h);
    harness_clock_get(f->h);
}

static void fixture_stop(SerialFixture *f)
{
    if (f->peer >= 0) {
        close(f->peer);
    }
    harness_quit(f->h);
    if (f->path) {
        g_unlink(f->path);
        g_rmdir(f->dir);
    }
    g_free(f->path);
    g_free(f->dir);
}

static void peer_send(SerialFixture *f, const void *buf, size_t len)
{
    g_assert_cmpint(send(f->peer, buf, len, MSG_NOSIGNAL), ==, (ssize_t)len);
}

/* Read exactly len bytes the UART transmitted, within a few seconds. */
static void peer_recv(SerialFixture *f, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd p = { .fd = f->peer, .events = POLLIN };
        g_assert_cmpint(poll(&p, 1, 5000), ==, 1);
        ssize_t n = recv(f->peer, (char *)buf + got, len - got, 0);
        g_assert_cmpint(n, >, 0);
        got += n;
    }
}

/* ---- tests ---- */

static void test_reset_values(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    g_assert_cmphex(harness_inb(f.h, IER), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    g_assert_cmphex(harness_inb(f.h, LCR), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, MCR), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);
    /* Not looped back: a connected modem (CTS, DSR, DCD) with no changes. */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0xb0);

    /* A system reset brings dirtied registers back. */
    harness_outb(f.h, SCR, 0x5a);
    harness_outb(f.h, LCR, 0x1b);
    harness_outb(f.h, IER, 0x0f);
    harness_outb(f.h, FCR, 0x01);
    g_assert_cmphex(harness_inb(f.h, IIR) & 0xc0, ==, 0xc0);
    harness_reset(f.h);
    g_assert_true(harness_wait_reset(f.h, 1, 5000));
    g_assert_cmphex(harness_inb(f.h, SCR), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, LCR), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, IER), ==, 0x00);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);
    fixture_stop(&f);
}

static void test_scratch(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    static const uint8_t vals[] = { 0x00, 0x55, 0xaa, 0xff, 0x3c };
    for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
        harness_outb(f.h, SCR, vals[i]);
        g_assert_cmphex(harness_inb(f.h, SCR), ==, vals[i]);
    }
    /* A UART at COM1 only: COM2's scratch register is an unassigned port. */
    g_assert_cmphex(harness_inb(f.h, 0x2ff), ==, 0xff);
    fixture_stop(&f);
}

static void test_divisor_latch(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    harness_outb(f.h, IER, 0x05);
    harness_outb(f.h, LCR, 0x80 | 0x03);        /* DLAB, 8N1 */
    harness_outb(f.h, DLL, 0x0c);               /* 9600 baud */
    harness_outb(f.h, DLM, 0x12);
    g_assert_cmphex(harness_inb(f.h, DLL), ==, 0x0c);
    g_assert_cmphex(harness_inb(f.h, DLM), ==, 0x12);
    g_assert_cmphex(harness_inb(f.h, LCR), ==, 0x83);
    /* DLAB off: offsets 0/1 are RBR/IER again and kept their own values. */
    harness_outb(f.h, LCR, 0x1b);               /* 8E1 */
    g_assert_cmphex(harness_inb(f.h, LCR), ==, 0x1b);
    g_assert_cmphex(harness_inb(f.h, IER), ==, 0x05);
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 0x00);
    /* And the latch kept its value. */
    harness_outb(f.h, LCR, 0x9b);
    g_assert_cmphex(harness_inb(f.h, DLL), ==, 0x0c);
    g_assert_cmphex(harness_inb(f.h, DLM), ==, 0x12);
    /* IER only has four bits. */
    harness_outb(f.h, LCR, 0x03);
    harness_outb(f.h, IER, 0xff);
    g_assert_cmphex(harness_inb(f.h, IER), ==, 0x0f);
    fixture_stop(&f);
}

static void test_loopback(void)
{
    SerialFixture f;
    fixture_start(&f, true);
    harness_outb(f.h, MCR, 0x10);
    /* In loopback every modem input is off; the change shows as deltas. */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x0b);   /* DCD, DSR, CTS fell */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x00);   /* deltas clear on read */

    harness_outb(f.h, MCR, 0x10 | 0x01);                /* DTR -> DSR */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x22);
    harness_outb(f.h, MCR, 0x10 | 0x02);                /* RTS -> CTS */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x13);
    harness_outb(f.h, MCR, 0x10 | 0x04);                /* OUT1 -> RI */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x41);
    harness_outb(f.h, MCR, 0x10 | 0x08);                /* OUT2 -> DCD, RI fell */
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x8c);
    harness_outb(f.h, MCR, 0x10 | 0x0f);
    g_assert_cmphex(harness_inb(f.h, MSR) & 0xf0, ==, 0xf0);

    /* Bytes written come back in RBR, not on the line. */
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);
    harness_outb(f.h, THR, 'A');
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x61);
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'A');
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);

    /* Without FIFO a second byte overruns the first. */
    harness_outb(f.h, THR, '1');
    harness_outb(f.h, THR, '2');
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x63);   /* DR | OE */
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x61);   /* OE cleared by the read */
    g_assert_cmphex(harness_inb(f.h, RBR), ==, '2');

    /* With the FIFO, 16 bytes fit; the 17th is lost with OE. */
    harness_outb(f.h, FCR, 0x07);
    for (int i = 0; i < 17; i++) {
        harness_outb(f.h, THR, 0x30 + i);
    }
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x63);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(harness_inb(f.h, RBR), ==, 0x30 + i);
    }
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);

    /* Nothing of that reached the wire; leaving loopback transmits again. */
    harness_outb(f.h, MCR, 0x03);
    harness_outb(f.h, THR, 'Z');
    char c = 0;
    peer_recv(&f, &c, 1);
    g_assert_cmpint(c, ==, 'Z');
    fixture_stop(&f);
}

static void test_thre_interrupt(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    harness_irq_intercept(f.h);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);

    /* Enabling THRE with THR empty makes it pending at once; without OUT2
     * the PC's IRQ line stays quiet (the buffer is disabled). */
    harness_outb(f.h, IER, 0x02);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x02);   /* read acknowledges */
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    g_assert_cmpint(harness_irq_raise_count(f.h, IRQ), ==, 0);

    harness_outb(f.h, IER, 0x00);
    harness_outb(f.h, MCR, 0x08);                       /* OUT2 */
    harness_outb(f.h, IER, 0x02);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 1);
    g_assert_cmpint(harness_irq_get(f.h, IRQ), ==, 1);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x02);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);

    /* Every transmitted byte empties THR again: a new interrupt. */
    for (int i = 0; i < 3; i++) {
        harness_outb(f.h, THR, 'x');
        g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 1);
        g_assert_cmphex(harness_inb(f.h, LSR) & 0x60, ==, 0x60);
        g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x02);
        g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    }
    g_assert_cmpint(harness_irq_raise_count(f.h, IRQ), ==, 4);

    /* Clearing OUT2 drops the line although the source stays pending. */
    harness_outb(f.h, THR, 'y');
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 1);
    harness_outb(f.h, MCR, 0x00);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x02);
    /* Disabling the source lowers it for good. */
    harness_outb(f.h, MCR, 0x08);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    harness_outb(f.h, THR, 'z');
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 1);
    harness_outb(f.h, IER, 0x00);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    fixture_stop(&f);
}

static void test_transmit_to_socket(void)
{
    SerialFixture f;
    fixture_start(&f, true);
    const char *msg = "hello, world\r\n";
    for (const char *p = msg; *p; p++) {
        harness_outb(f.h, THR, *p);
    }
    char buf[32] = { 0 };
    peer_recv(&f, buf, strlen(msg));
    g_assert_cmpstr(buf, ==, msg);
    fixture_stop(&f);
}

static void test_rx_interrupt(void)
{
    SerialFixture f;
    fixture_start(&f, true);
    harness_irq_intercept(f.h);
    harness_outb(f.h, LCR, 0x03);
    harness_outb(f.h, MCR, 0x0b);                       /* DTR RTS OUT2 */
    harness_outb(f.h, IER, 0x01);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);

    peer_send(&f, "hi!", 3);
    g_assert_true(harness_wait_irq(f.h, IRQ, 1, 5000));
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x04);   /* no FIFO: 0xc0 clear */
    g_assert_cmphex(harness_inb(f.h, LSR) & 0x01, ==, 0x01);
    /* Without FIFO the UART holds one byte; the backend keeps the rest and
     * delivers the next one as soon as RBR is read. */
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'h');
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 1);
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'i');
    g_assert_cmphex(harness_inb(f.h, RBR), ==, '!');
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x60);   /* no overrun */
    fixture_stop(&f);
}

static void test_fifo_trigger_and_flow_control(void)
{
    SerialFixture f;
    fixture_start(&f, true);
    harness_irq_intercept(f.h);
    harness_outb(f.h, LCR, 0x03);
    harness_outb(f.h, FCR, 0xc7);                       /* FIFO, trigger 14 */
    harness_outb(f.h, MCR, 0x08);
    harness_outb(f.h, IER, 0x01);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);

    /* 40 bytes at a 16-byte FIFO: the backend must hold back the rest. */
    uint8_t data[40];
    for (int i = 0; i < 40; i++) {
        data[i] = 0x40 + i;
    }
    peer_send(&f, data, sizeof(data));
    g_assert_true(harness_wait_irq(f.h, IRQ, 1, 5000));
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc4);
    for (int i = 0; i < 40; i++) {
        uint8_t lsr = harness_inb(f.h, LSR);
        g_assert_cmphex(lsr & 0x03, ==, 0x01);           /* data, never an overrun */
        g_assert_cmphex(harness_inb(f.h, RBR), ==, data[i]);
    }
    g_assert_cmphex(harness_inb(f.h, LSR) & 0x01, ==, 0x00);
    g_assert_cmpint(harness_irq_level(f.h, IRQ), ==, 0);
    fixture_stop(&f);
}

static void test_fifo_levels_and_timeout(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    /* 115200 baud 8N1: a character is 10 bits = 86.8 us; timeout after 4. */
    const int64_t char_ns = 86805;
    harness_outb(f.h, LCR, 0x83);
    harness_outb(f.h, DLL, 0x01);
    harness_outb(f.h, DLM, 0x00);
    harness_outb(f.h, LCR, 0x03);
    harness_outb(f.h, MCR, 0x10);                       /* loopback */
    harness_outb(f.h, IER, 0x01);

    static const struct { uint8_t fcr; int level; } trig[] = {
        { 0x01, 1 }, { 0x41, 4 }, { 0x81, 8 }, { 0xc1, 14 },
    };
    for (size_t t = 0; t < G_N_ELEMENTS(trig); t++) {
        harness_outb(f.h, FCR, trig[t].fcr | 0x02);     /* also clears RX FIFO */
        g_assert_cmphex(harness_inb(f.h, LSR) & 0x01, ==, 0);
        for (int i = 0; i < trig[t].level - 1; i++) {
            harness_outb(f.h, THR, i);
        }
        if (trig[t].level > 1) {
            g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
        }
        harness_outb(f.h, THR, 0xee);
        g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc4);
    }

    /* Below the trigger level the character timeout reports the data. */
    harness_outb(f.h, FCR, 0x81 | 0x02);                /* trigger 8, empty */
    harness_outb(f.h, THR, 'a');
    harness_outb(f.h, THR, 'b');
    harness_outb(f.h, THR, 'c');
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
    harness_clock_step(f.h, 4 * char_ns - 2000);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
    harness_clock_step(f.h, 4000);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xcc);
    /* Reading a byte clears the timeout and restarts its clock. */
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'a');
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
    harness_clock_step(f.h, 4 * char_ns + 2000);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xcc);
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'b');
    g_assert_cmphex(harness_inb(f.h, RBR), ==, 'c');
    /* Empty FIFO: no timeout, however long we wait. */
    harness_clock_step(f.h, 100 * char_ns);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);

    /* A slower line (1200 baud, divisor 96) waits proportionally longer. */
    harness_outb(f.h, LCR, 0x83);
    harness_outb(f.h, DLL, 96);
    harness_outb(f.h, LCR, 0x03);
    harness_outb(f.h, THR, 'd');
    harness_clock_step(f.h, 4 * char_ns * 96 - 50000);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
    harness_clock_step(f.h, 100000);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xcc);

    /* Disabling the FIFO reports plain IIR values again (no 0xc0). */
    harness_outb(f.h, FCR, 0x00);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0x01);
    fixture_stop(&f);
}

static void test_iir_priority(void)
{
    SerialFixture f;
    fixture_start(&f, false);
    harness_outb(f.h, MCR, 0x10);                       /* loopback */
    harness_inb(f.h, MSR);                              /* clear entry deltas */
    harness_outb(f.h, FCR, 0x01);                       /* FIFO, trigger 1 */
    harness_outb(f.h, IER, 0x0f);
    /* THRE is the only source so far. */
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc2);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);

    harness_outb(f.h, MCR, 0x13);                       /* modem status change */
    for (int i = 0; i < 17; i++) {                      /* data, then overrun */
        harness_outb(f.h, THR, i);
    }
    /* line status > received data > THRE > modem status */
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc6);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc6);   /* not cleared by IIR */
    g_assert_cmphex(harness_inb(f.h, LSR), ==, 0x63);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc4);
    for (int i = 0; i < 16; i++) {
        g_assert_cmphex(harness_inb(f.h, RBR), ==, i);
    }
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc2);
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc0);
    g_assert_cmphex(harness_inb(f.h, MSR), ==, 0x33);   /* CTS DSR + deltas */
    g_assert_cmphex(harness_inb(f.h, IIR), ==, 0xc1);
    fixture_stop(&f);
}

static void test_second_port(void)
{
    /* COM2 at 0x2f8 on IRQ 3, from the board's table. */
    Harness *h = harness_start("-serial null -serial null");
    harness_irq_intercept(h);
    harness_outb(h, 0x2ff, 0xa5);
    g_assert_cmphex(harness_inb(h, 0x2ff), ==, 0xa5);
    g_assert_cmphex(harness_inb(h, 0x3ff), ==, 0x00);
    harness_outb(h, 0x2fc, 0x08);
    harness_outb(h, 0x2f9, 0x02);
    g_assert_cmpint(harness_irq_level(h, 3), ==, 1);
    g_assert_cmpint(harness_irq_level(h, 4), ==, 0);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/serial/reset-values", test_reset_values);
    g_test_add_func("/serial/scratch", test_scratch);
    g_test_add_func("/serial/divisor-latch", test_divisor_latch);
    g_test_add_func("/serial/loopback", test_loopback);
    g_test_add_func("/serial/thre-interrupt", test_thre_interrupt);
    g_test_add_func("/serial/transmit", test_transmit_to_socket);
    g_test_add_func("/serial/rx-interrupt", test_rx_interrupt);
    g_test_add_func("/serial/fifo-flow-control", test_fifo_trigger_and_flow_control);
    g_test_add_func("/serial/fifo-levels-timeout", test_fifo_levels_and_timeout);
    g_test_add_func("/serial/iir-priority", test_iir_priority);
    g_test_add_func("/serial/second-port", test_second_port);
    return g_test_run();
}
