/*
 * test-serial-ops.c: the 16550A model ("isa-serial", hw/char/serial.c) driven
 * directly through the machine's port map, with a recording chardev behind
 * it: realize errors, break (BI) handling, the receive path's flow control
 * and the IRQ line as seen by an observer. The harness test
 * (tests/harness/test-serial.c) covers the same device through bt86.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "chardev/char.h"
#include "hw/device.h"
#include "system/machine.h"

#define COM1 0x3f8

/* A backend that records output and holds input until the frontend has room. */
typedef struct RecState {
    GByteArray *out;
    GByteArray *in;         /* waiting to be delivered */
    int accept_calls;
} RecState;

static size_t rec_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    RecState *s = chr->priv;
    g_byte_array_append(s->out, buf, len);
    return len;
}

static void rec_accept_input(Chardev *chr)
{
    RecState *s = chr->priv;
    s->accept_calls++;
    while (s->in->len && chr->receive) {
        int room = chr->can_receive(chr->fe_opaque);
        if (room <= 0) {
            break;
        }
        int n = MIN((guint)room, s->in->len);
        uint8_t tmp[64];
        n = MIN(n, (int)sizeof(tmp));
        memcpy(tmp, s->in->data, n);
        g_byte_array_remove_range(s->in, 0, n);
        chr->receive(chr->fe_opaque, tmp, n);
    }
}

static const ChardevDriver rec_driver = {
    .name = "test-recorder",
    .write = rec_write,
    .accept_input = rec_accept_input,
};

typedef struct Fixture {
    Machine *m;
    Chardev *chr;
    RecState rec;
    int irq_level;
    int irq_edges;
} Fixture;

static void observe_irq(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level && !f->irq_level) {
        f->irq_edges++;
    }
    f->irq_level = level;
}

static void fixture_init(Fixture *f)
{
    memset(f, 0, sizeof(*f));
    Error *err = NULL;
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_nonnull(f->m);
    f->rec.out = g_byte_array_new();
    f->rec.in = g_byte_array_new();
    f->chr = g_new0(Chardev, 1);
    f->chr->id = g_strdup("rec");
    f->chr->drv = &rec_driver;
    f->chr->priv = &f->rec;
    g_ptr_array_add(f->m->chardevs, f->chr);
    f->m->gsi[4]->handler = observe_irq;
    f->m->gsi[4]->opaque = f;

    Opts *o = opts_parse("isa-serial,chardev=rec", "driver", &err);
    g_assert_nonnull(o);
    Device *dev = device_create(f->m, "isa-serial", o, &err);
    if (!dev) {
        g_error("isa-serial: %s", err->msg);
    }
    opts_free(o);
}

static void fixture_destroy(Fixture *f)
{
    /* machine_free destroys devices (detaching the frontend) and chardevs; our
     * chardev has no close hook, so its state is ours to free. */
    machine_free(f->m);
    g_byte_array_free(f->rec.out, true);
    g_byte_array_free(f->rec.in, true);
}

static uint8_t in8(Fixture *f, unsigned reg)
{
    return ioport_read(&f->m->io, COM1 + reg, 1);
}

static void out8(Fixture *f, unsigned reg, uint8_t v)
{
    ioport_write(&f->m->io, COM1 + reg, v, 1);
}

static void test_realize_errors(void)
{
    Error *err = NULL;
    Machine *m = unit_machine_new(16 * MiB, 1);
    static const struct { const char *opts, *want; } cases[] = {
        { "isa-serial,iobase=0xfffc", "outside the IO space" },
        { "isa-serial,irq=24", "only 24 interrupt lines" },
        { "isa-serial,chardev=nosuch", "nosuch" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        Opts *o = opts_parse(cases[i].opts, "driver", &err);
        g_assert_null(device_create(m, "isa-serial", o, &err));
        g_assert_nonnull(err);
        if (!strstr(err->msg, cases[i].want)) {
            g_error("%s: wanted '%s' in '%s'", cases[i].opts, cases[i].want, err->msg);
        }
        error_free(err);
        err = NULL;
        opts_free(o);
    }
    /* Two UARTs on the same ports: the second is refused. */
    Opts *o = opts_parse("isa-serial", "driver", &err);
    g_assert_nonnull(device_create(m, "isa-serial", o, &err));
    g_assert_null(device_create(m, "isa-serial", o, &err));
    g_assert_nonnull(err);
    error_free(err);
    opts_free(o);
    /* Without a chardev the UART works and output goes nowhere. */
    ioport_write(&m->io, COM1, 'x', 1);
    g_assert_cmphex(ioport_read(&m->io, COM1 + 5, 1), ==, 0x60);
    machine_free(m);
}

static void test_transmit(void)
{
    Fixture f;
    fixture_init(&f);
    const char *msg = "bt86\n";
    for (const char *p = msg; *p; p++) {
        out8(&f, 0, *p);
        g_assert_cmphex(in8(&f, 5) & 0x60, ==, 0x60);
    }
    g_assert_cmpmem(f.rec.out->data, f.rec.out->len, msg, strlen(msg));
    /* DLAB writes are the divisor, not data. */
    out8(&f, 3, 0x80);
    out8(&f, 0, 0x01);
    out8(&f, 3, 0x03);
    g_assert_cmpuint(f.rec.out->len, ==, strlen(msg));
    fixture_destroy(&f);
}

static void test_receive_flow_control(void)
{
    Fixture f;
    fixture_init(&f);
    out8(&f, 2, 0x01);                          /* FIFO, trigger 1 */
    out8(&f, 4, 0x08);
    out8(&f, 1, 0x01);
    for (int i = 0; i < 20; i++) {
        uint8_t c = 'a' + i;
        g_byte_array_append(f.rec.in, &c, 1);
    }
    chardev_accept_input(f.chr);
    /* The FIFO takes 16; 4 wait in the backend. */
    g_assert_cmpuint(f.rec.in->len, ==, 4);
    g_assert_cmpint(f.irq_level, ==, 1);
    g_assert_cmphex(in8(&f, 2), ==, 0xc4);
    int calls = f.rec.accept_calls;
    for (int i = 0; i < 20; i++) {
        g_assert_cmphex(in8(&f, 5) & 0x03, ==, 0x01);
        g_assert_cmphex(in8(&f, 0), ==, 'a' + i);
    }
    /* Each RBR read offered the room back. */
    g_assert_cmpint(f.rec.accept_calls - calls, ==, 20);
    g_assert_cmpuint(f.rec.in->len, ==, 0);
    g_assert_cmpint(f.irq_level, ==, 0);
    /* Reading an empty RBR is harmless. */
    g_assert_cmphex(in8(&f, 0), ==, 0);
    g_assert_cmphex(in8(&f, 5), ==, 0x60);
    fixture_destroy(&f);
}

static void test_break(void)
{
    Fixture f;
    fixture_init(&f);
    out8(&f, 2, 0x01);
    out8(&f, 4, 0x08);
    out8(&f, 1, 0x05);                          /* RX data + line status */
    g_assert_nonnull(f.chr->event);
    f.chr->event(f.chr->fe_opaque, CHR_EVENT_BREAK);
    g_assert_cmpint(f.irq_level, ==, 1);
    g_assert_cmphex(in8(&f, 2), ==, 0xc6);      /* line status first */
    /* BI, error-in-FIFO, data ready (the break loads a zero character). */
    g_assert_cmphex(in8(&f, 5), ==, 0x80 | 0x60 | 0x10 | 0x01);
    g_assert_cmphex(in8(&f, 2), ==, 0xc4);
    g_assert_cmphex(in8(&f, 0), ==, 0x00);
    g_assert_cmphex(in8(&f, 2), ==, 0xc1);
    g_assert_cmpint(f.irq_level, ==, 0);
    /* Other events mean nothing to a UART. */
    f.chr->event(f.chr->fe_opaque, CHR_EVENT_CLOSED);
    f.chr->event(f.chr->fe_opaque, CHR_EVENT_OPENED);
    g_assert_cmphex(in8(&f, 5), ==, 0x60);
    fixture_destroy(&f);
}

static void test_reset(void)
{
    Fixture f;
    fixture_init(&f);
    out8(&f, 4, 0x08);
    out8(&f, 1, 0x02);
    g_assert_cmpint(f.irq_level, ==, 1);
    out8(&f, 7, 0x77);
    uint8_t c = 'z';
    g_byte_array_append(f.rec.in, &c, 1);
    chardev_accept_input(f.chr);
    g_assert_cmphex(in8(&f, 5) & 1, ==, 1);
    for (guint i = 0; i < f.m->devices->len; i++) {
        device_reset(g_ptr_array_index(f.m->devices, i));
    }
    g_assert_cmpint(f.irq_level, ==, 0);
    g_assert_cmphex(in8(&f, 1), ==, 0);
    g_assert_cmphex(in8(&f, 2), ==, 0x01);
    g_assert_cmphex(in8(&f, 5), ==, 0x60);
    g_assert_cmphex(in8(&f, 7), ==, 0);
    g_assert_cmphex(in8(&f, 6), ==, 0xb0);
    fixture_destroy(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/serial-ops/realize-errors", test_realize_errors);
    g_test_add_func("/serial-ops/transmit", test_transmit);
    g_test_add_func("/serial-ops/receive-flow-control", test_receive_flow_control);
    g_test_add_func("/serial-ops/break", test_break);
    g_test_add_func("/serial-ops/reset", test_reset);
    return g_test_run();
}
