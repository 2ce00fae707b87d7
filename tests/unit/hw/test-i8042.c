/*
 * test-i8042.c: unit tests of the 8042 keyboard controller and the PS/2
 * keyboard and mouse behind it (hw/input/i8042.c), through ports 0x60/0x64.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/input/i8042.h"
#include "system/machine.h"

#define ST_OBF  0x01
#define ST_SYS  0x04
#define ST_A2   0x08
#define ST_MOBF 0x20

typedef struct Fixture {
    Machine *m;
    Device *kbc;
    int raises[NUM_GSI];
} Fixture;

static void irq_observer(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level) {
        f->raises[n]++;
    }
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    for (int i = 0; i < NUM_GSI; i++) {
        f->m->gsi[i]->handler = irq_observer;
        f->m->gsi[i]->opaque = f;
    }
    f->kbc = device_create(f->m, "i8042", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->kbc);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
}

static uint8_t status(Fixture *f)
{
    return ioport_read(&f->m->io, 0x64, 1);
}

static void command(Fixture *f, uint8_t cmd)
{
    ioport_write(&f->m->io, 0x64, cmd, 1);
}

static void data_write(Fixture *f, uint8_t v)
{
    ioport_write(&f->m->io, 0x60, v, 1);
}

/* Read one byte that must be waiting. */
static uint8_t data_read(Fixture *f)
{
    g_assert_cmphex(status(f) & ST_OBF, ==, ST_OBF);
    return ioport_read(&f->m->io, 0x60, 1);
}

static void expect_bytes(Fixture *f, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_assert_cmphex(data_read(f), ==, bytes[i]);
    }
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
}

#define EXPECT(f, ...)                                               \
    do {                                                             \
        static const uint8_t want_[] = { __VA_ARGS__ };              \
        expect_bytes(f, want_, sizeof(want_));                       \
    } while (0)

static uint8_t read_ccb(Fixture *f)
{
    command(f, 0x20);
    return data_read(f);
}

static void write_ccb(Fixture *f, uint8_t v)
{
    command(f, 0x60);
    data_write(f, v);
}

static void test_self_test(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(status(f) & (ST_OBF | ST_SYS), ==, 0);
    command(f, 0xaa);
    g_assert_cmphex(status(f) & (ST_OBF | ST_SYS | ST_A2), ==, ST_OBF | ST_SYS | ST_A2);
    EXPECT(f, 0x55);
    command(f, 0xab);
    EXPECT(f, 0x00);
    command(f, 0xa9);
    EXPECT(f, 0x00);
    /* An empty buffer reads as the last byte. */
    g_assert_cmphex(ioport_read(&f->m->io, 0x60, 1), ==, 0x00);
    /* A data write clears A2 (last write was data). */
    write_ccb(f, 0x03);
    g_assert_cmphex(status(f) & ST_A2, ==, 0);
}

static void test_command_byte(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(read_ccb(f), ==, 0x03);
    write_ccb(f, 0x47);
    g_assert_cmphex(read_ccb(f), ==, 0x47);
    g_assert_cmphex(status(f) & ST_SYS, ==, ST_SYS);
    write_ccb(f, 0x43);
    g_assert_cmphex(status(f) & ST_SYS, ==, 0);
    /* 0xAD/0xAE and 0xA7/0xA8 flip the disable bits. */
    command(f, 0xad);
    command(f, 0xa7);
    g_assert_cmphex(read_ccb(f), ==, 0x73);
    command(f, 0xae);
    g_assert_cmphex(read_ccb(f), ==, 0x63);
    command(f, 0xa8);
    g_assert_cmphex(read_ccb(f), ==, 0x43);
    /* Other controller RAM bytes. */
    command(f, 0x65);
    data_write(f, 0x9c);
    command(f, 0x25);
    EXPECT(f, 0x9c);
}

static void test_keyboard_irq(Fixture *f, gconstpointer data)
{
    /* Replies raise IRQ 1 when command byte bit 0 is set; reading lowers it. */
    command(f, 0xaa);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 1);
    g_assert_cmpint(f->raises[1], ==, 1);
    EXPECT(f, 0x55);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 0);
    /* Two bytes back to back: a fresh edge for the second. */
    data_write(f, 0xf2);
    g_assert_cmpint(f->raises[1], ==, 2);
    data_read(f);
    g_assert_cmpint(f->raises[1], ==, 3);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 1);
    data_read(f);
    data_read(f);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 0);
    g_assert_cmpint(f->raises[12], ==, 0);

    write_ccb(f, 0x00);
    int before = f->raises[1];
    command(f, 0xaa);
    g_assert_cmphex(status(f) & ST_OBF, ==, ST_OBF);
    g_assert_cmpint(f->raises[1], ==, before);
    EXPECT(f, 0x55);
}

static void test_keyboard_commands(Fixture *f, gconstpointer data)
{
    data_write(f, 0xff);
    EXPECT(f, 0xfa, 0xaa);
    data_write(f, 0xf2);
    EXPECT(f, 0xfa, 0xab, 0x83);
    data_write(f, 0xee);
    EXPECT(f, 0xee);
    data_write(f, 0xed);
    EXPECT(f, 0xfa);
    data_write(f, 0x07);
    EXPECT(f, 0xfa);
    data_write(f, 0xf0);
    data_write(f, 0x00);
    EXPECT(f, 0xfa, 0xfa, 0x02);
    data_write(f, 0xf0);
    data_write(f, 0x01);
    data_write(f, 0xf0);
    data_write(f, 0x00);
    EXPECT(f, 0xfa, 0xfa, 0xfa, 0xfa, 0x01);
    data_write(f, 0xf0);
    data_write(f, 0x07);
    EXPECT(f, 0xfa, 0xfe);
    data_write(f, 0xf3);
    data_write(f, 0x20);
    EXPECT(f, 0xfa, 0xfa);
    data_write(f, 0xf5);
    data_write(f, 0xf4);
    EXPECT(f, 0xfa, 0xfa);
    data_write(f, 0x42);            /* not a command */
    EXPECT(f, 0xfe);
    /* A command byte where an argument was expected starts that command. */
    data_write(f, 0xed);
    data_write(f, 0xee);
    EXPECT(f, 0xfa, 0xee);
    /* Reset restores scan set 2. */
    data_write(f, 0xff);
    data_write(f, 0xf0);
    data_write(f, 0x00);
    EXPECT(f, 0xfa, 0xaa, 0xfa, 0xfa, 0x02);
}

static void test_keycodes_and_translation(Fixture *f, gconstpointer data)
{
    i8042_put_keycode(f->kbc, 0x1c);
    i8042_put_keycode(f->kbc, 0xf0);
    i8042_put_keycode(f->kbc, 0x1c);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 1);
    EXPECT(f, 0x1c, 0xf0, 0x1c);

    write_ccb(f, 0x43);             /* translation on */
    i8042_put_keycode(f->kbc, 0x1c);        /* A down */
    i8042_put_keycode(f->kbc, 0xf0);
    i8042_put_keycode(f->kbc, 0x1c);        /* A up */
    i8042_put_keycode(f->kbc, 0xe0);
    i8042_put_keycode(f->kbc, 0x75);        /* up arrow */
    i8042_put_keycode(f->kbc, 0xe0);
    i8042_put_keycode(f->kbc, 0xf0);
    i8042_put_keycode(f->kbc, 0x75);
    i8042_put_keycode(f->kbc, 0x83);        /* F7 */
    i8042_put_keycode(f->kbc, 0x76);        /* Esc */
    EXPECT(f, 0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8, 0x41, 0x01);
    data_write(f, 0xf2);
    EXPECT(f, 0xfa, 0xab, 0x41);

    /* Disabled scanning drops keys; a disabled interface holds them. */
    data_write(f, 0xf5);
    EXPECT(f, 0xfa);
    i8042_put_keycode(f->kbc, 0x1c);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    data_write(f, 0xf4);
    EXPECT(f, 0xfa);
    command(f, 0xad);
    i8042_put_keycode(f->kbc, 0x29);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    command(f, 0xae);
    EXPECT(f, 0x39);

    /* A full keyboard buffer drops, never overflows. */
    command(f, 0xad);
    for (int i = 0; i < 100; i++) {
        i8042_put_keycode(f->kbc, 0x29);
    }
    command(f, 0xae);
    int n = 0;
    while (status(f) & ST_OBF) {
        data_read(f);
        n++;
    }
    g_assert_cmpint(n, ==, 16);
}

static void test_pulse_reset(Fixture *f, gconstpointer data)
{
    command(f, 0xff);               /* pulse nothing */
    g_assert_false(f->m->reset_requested);
    command(f, 0xfd);               /* bit 1 only */
    g_assert_false(f->m->reset_requested);
    command(f, 0xfe);
    g_assert_true(f->m->reset_requested);
    f->m->reset_requested = false;
    command(f, 0xf0);
    g_assert_true(f->m->reset_requested);
}

static void a20_observer(void *opaque, int n, int level)
{
}

static void test_output_port(Fixture *f, gconstpointer data)
{
    IRQLine *a20 = irq_new(a20_observer, NULL, 0);
    i8042_set_a20_line(f->kbc, a20);
    g_assert_cmpint(a20->level, ==, 1);
    g_assert_true(i8042_get_a20(f->kbc));
    command(f, 0xd0);
    uint8_t out = data_read(f);
    g_assert_cmphex(out & 0x03, ==, 0x03);
    /* 0xDD: the classic "A20 off" value of the output port. */
    command(f, 0xd1);
    data_write(f, 0xdd);
    g_assert_cmpint(a20->level, ==, 0);
    g_assert_false(i8042_get_a20(f->kbc));
    g_assert_false(f->m->reset_requested);
    command(f, 0xd0);
    g_assert_cmphex(data_read(f) & 0x03, ==, 0x01);
    command(f, 0xd1);
    data_write(f, 0xdf);
    g_assert_cmpint(a20->level, ==, 1);
    command(f, 0xdd);
    g_assert_cmpint(a20->level, ==, 0);
    command(f, 0xdf);
    g_assert_cmpint(a20->level, ==, 1);
    g_assert_false(f->m->reset_requested);
    /* Clearing bit 0 resets the CPU. */
    command(f, 0xd1);
    data_write(f, 0xde);
    g_assert_true(f->m->reset_requested);
    /* Device reset releases it and turns A20 on. */
    device_reset(f->kbc);
    command(f, 0xd0);
    g_assert_cmphex(data_read(f) & 0x03, ==, 0x03);
    g_assert_cmpint(a20->level, ==, 1);
    i8042_set_a20_line(f->kbc, NULL);
    irq_free(a20);
}

static void test_write_output_buffers(Fixture *f, gconstpointer data)
{
    command(f, 0xd2);
    data_write(f, 0x5a);
    g_assert_cmphex(status(f) & (ST_OBF | ST_MOBF), ==, ST_OBF);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 1);
    EXPECT(f, 0x5a);
    command(f, 0xd3);
    data_write(f, 0xa5);
    g_assert_cmphex(status(f) & (ST_OBF | ST_MOBF), ==, ST_OBF | ST_MOBF);
    g_assert_cmpint(f->m->gsi[12]->level, ==, 1);
    g_assert_cmpint(f->m->gsi[1]->level, ==, 0);
    EXPECT(f, 0xa5);
    g_assert_cmpint(f->m->gsi[12]->level, ==, 0);
}

static void mouse_cmd(Fixture *f, uint8_t b)
{
    command(f, 0xd4);
    data_write(f, b);
}

static void test_mouse(Fixture *f, gconstpointer data)
{
    mouse_cmd(f, 0xff);
    g_assert_cmphex(status(f) & (ST_OBF | ST_MOBF), ==, ST_OBF | ST_MOBF);
    g_assert_cmpint(f->m->gsi[12]->level, ==, 1);
    EXPECT(f, 0xfa, 0xaa, 0x00);
    mouse_cmd(f, 0xf2);
    EXPECT(f, 0xfa, 0x00);
    mouse_cmd(f, 0xe9);
    EXPECT(f, 0xfa, 0x00, 0x02, 100);
    mouse_cmd(f, 0xf3);
    mouse_cmd(f, 200);
    mouse_cmd(f, 0xe8);
    mouse_cmd(f, 0x03);
    mouse_cmd(f, 0xe7);
    mouse_cmd(f, 0xf4);
    EXPECT(f, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa);
    mouse_cmd(f, 0xe9);
    EXPECT(f, 0xfa, 0x30, 0x03, 200);
    mouse_cmd(f, 0xe6);
    EXPECT(f, 0xfa);

    /* Stream mode packet: left button, dx 5, dy -3. */
    i8042_put_mouse_event(f->kbc, 5, -3, 1);
    g_assert_cmpint(f->m->gsi[12]->level, ==, 1);
    EXPECT(f, 0x29, 0x05, 0xfd);
    /* Overflowing motion saturates with the overflow bits. */
    i8042_put_mouse_event(f->kbc, 1000, 0, 0);
    EXPECT(f, 0x48, 0xff, 0x00);

    /* Disabled reporting sends nothing; remote mode answers 0xEB. */
    mouse_cmd(f, 0xf5);
    EXPECT(f, 0xfa);
    i8042_put_mouse_event(f->kbc, 2, 2, 0);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    mouse_cmd(f, 0xf0);
    mouse_cmd(f, 0xeb);
    EXPECT(f, 0xfa, 0xfa, 0x08, 0x02, 0x02);

    /* Wrap mode echoes. */
    mouse_cmd(f, 0xee);
    mouse_cmd(f, 0x12);
    mouse_cmd(f, 0xec);
    EXPECT(f, 0xfa, 0x12, 0xfa);
    mouse_cmd(f, 0x01);
    EXPECT(f, 0xfe);

    /* Aux disabled holds mouse bytes back; mouse IRQ off keeps 12 low. */
    command(f, 0xa7);
    mouse_cmd(f, 0xf2);
    g_assert_cmphex(status(f) & ST_OBF, ==, 0);
    command(f, 0xa8);
    EXPECT(f, 0xfa, 0x00);
    write_ccb(f, 0x01);
    int before = f->raises[12];
    mouse_cmd(f, 0xf2);
    g_assert_cmpint(f->raises[12], ==, before);
    EXPECT(f, 0xfa, 0x00);
}

static void test_unknown_commands(Fixture *f, gconstpointer data)
{
    /* Unknown controller commands are ignored; pending data waits are dropped
     * by a new command. */
    for (unsigned c = 0; c < 0x20; c++) {
        command(f, c);
    }
    command(f, 0xd1);
    command(f, 0xaa);
    data_write(f, 0x00);        /* goes to the keyboard, not the output port */
    g_assert_false(f->m->reset_requested);
    EXPECT(f, 0x55, 0xfe);
    /* Flooding controller replies never overflows. */
    for (int i = 0; i < 100; i++) {
        command(f, 0xaa);
    }
    int n = 0;
    while (status(f) & ST_OBF) {
        data_read(f);
        n++;
    }
    g_assert_cmpint(n, >=, 1);
    g_assert_cmpint(n, <=, 16);
}

static void test_random_traffic(Fixture *f, gconstpointer data)
{
    /* Any byte sequence from the guest (and the UI) keeps the controller sane:
     * the input buffer is never full and the output drains in bounded reads. */
    GRand *r = g_rand_new_with_seed(42);
    for (int i = 0; i < 200000; i++) {
        uint32_t op = g_rand_int_range(r, 0, 6);
        uint8_t v = g_rand_int_range(r, 0, 256);
        switch (op) {
        case 0: command(f, v); break;
        case 1: data_write(f, v); break;
        case 2: ioport_read(&f->m->io, 0x60, 1); break;
        case 3: i8042_put_keycode(f->kbc, v); break;
        case 4: i8042_put_mouse_event(f->kbc, (int)v - 128, 300 - 2 * (int)v, v); break;
        default: g_assert_cmphex(status(f) & 0x02, ==, 0); break;
        }
    }
    g_rand_free(r);
    command(f, 0xae);
    command(f, 0xa8);
    int n = 0;
    while (status(f) & ST_OBF) {
        ioport_read(&f->m->io, 0x60, 1);
        g_assert_cmpint(++n, <, 200);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add("/hw/i8042/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("self-test", test_self_test);
    ADD("command-byte", test_command_byte);
    ADD("keyboard-irq", test_keyboard_irq);
    ADD("keyboard-commands", test_keyboard_commands);
    ADD("keycodes-translation", test_keycodes_and_translation);
    ADD("pulse-reset", test_pulse_reset);
    ADD("output-port", test_output_port);
    ADD("write-output-buffers", test_write_output_buffers);
    ADD("mouse", test_mouse);
    ADD("unknown-commands", test_unknown_commands);
    ADD("random-traffic", test_random_traffic);
#undef ADD
    return g_test_run();
}
