/*
 * test-misc-devices.c: unit tests of isa-debug-exit, port80, port92 and
 * pc-reset-control (hw/misc/), driven through port IO on a harness-clock
 * machine; reset and shutdown requests are checked on the Machine.
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "hw/misc/port92.h"
#include "system/machine.h"

static Machine *new_machine(bool no_reboot)
{
    MachineConfig cfg = { .ram_size = 16 * MiB, .accel = (char *)"qtest", .smp = 1,
                          .no_reboot = no_reboot };
    Error *err = NULL;
    Machine *m = machine_new(&cfg, &err);
    g_assert_null(err);
    g_assert_nonnull(m);
    return m;
}

static Device *create(Machine *m, const char *type, const char *opts_str)
{
    Error *err = NULL;
    Opts *opts = NULL;
    if (opts_str) {
        opts = opts_parse(opts_str, NULL, &err);
        g_assert_null(err);
    }
    Device *dev = device_create(m, type, opts, &err);
    if (err) {
        g_printerr("%s\n", err->msg);
    }
    g_assert_null(err);
    g_assert_nonnull(dev);
    opts_free(opts);
    return dev;
}

static void test_debug_exit_default(void)
{
    Machine *m = new_machine(false);
    create(m, "isa-debug-exit", NULL);
    g_assert_cmpuint(ioport_read(&m->io, 0x501, 1), ==, 0);
    g_assert_false(m->shutdown_requested);
    ioport_write(&m->io, 0x501, 5, 1);
    g_assert_true(m->shutdown_requested);
    g_assert_cmpint(m->exit_status, ==, 11);
    machine_free(m);

    /* The second port of the default size 2 decodes too; a word counts whole. */
    m = new_machine(false);
    create(m, "isa-debug-exit", NULL);
    ioport_write(&m->io, 0x502, 0, 1);
    g_assert_true(m->shutdown_requested);
    g_assert_cmpint(m->exit_status, ==, 1);
    machine_free(m);

    m = new_machine(false);
    create(m, "isa-debug-exit", NULL);
    ioport_write(&m->io, 0x501, 0x21, 2);
    g_assert_cmpint(m->exit_status, ==, 0x43);
    machine_free(m);

    /* Not decoded beyond iosize. */
    m = new_machine(false);
    create(m, "isa-debug-exit", NULL);
    ioport_write(&m->io, 0x503, 1, 1);
    ioport_write(&m->io, 0x500, 1, 1);
    g_assert_false(m->shutdown_requested);
    machine_free(m);
}

static void test_debug_exit_props(void)
{
    Machine *m = new_machine(false);
    create(m, "isa-debug-exit", "iobase=0xf4,iosize=4");
    g_assert_cmpuint(ioport_read(&m->io, 0xf4, 4), ==, 0);
    ioport_write(&m->io, 0xf4, 0x10, 4);
    g_assert_true(m->shutdown_requested);
    g_assert_cmpint(m->exit_status, ==, 0x21);
    machine_free(m);

    /* Bad sizes and ranges are setup errors, not crashes. */
    static const char *bad[] = { "iosize=0", "iosize=5", "iobase=0xffff,iosize=2",
                                 "iobase=0x10000" };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        m = new_machine(false);
        Error *err = NULL;
        Opts *opts = opts_parse(bad[i], NULL, &err);
        g_assert_null(err);
        g_assert_null(device_create(m, "isa-debug-exit", opts, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->msg, "isa-debug-exit"));
        error_free(err);
        opts_free(opts);
        machine_free(m);
    }

    /* Two devices cannot share a port. */
    m = new_machine(false);
    create(m, "isa-debug-exit", NULL);
    Error *err = NULL;
    g_assert_null(device_create(m, "isa-debug-exit", NULL, &err));
    g_assert_nonnull(err);
    error_free(err);
    machine_free(m);
}

static void test_port80(void)
{
    Machine *m = new_machine(false);
    create(m, "port80", NULL);
    /* Claimed: writes are silent, reads float high like an undecoded ISA read. */
    g_assert_nonnull(m->io.ports[0x80]);
    ioport_write(&m->io, 0x80, 0x55, 1);
    g_assert_cmpuint(ioport_read(&m->io, 0x80, 1), ==, 0xff);
    g_assert_false(m->reset_requested);
    g_assert_false(m->shutdown_requested);
    /* Only port 0x80. */
    g_assert_null(m->io.ports[0x81]);
    g_assert_null(m->io.ports[0x7f]);
    machine_free(m);
}

static void a20_observer(void *opaque, int n, int level)
{
    int *count = opaque;
    (*count)++;
}

static void test_port92(void)
{
    Machine *m = new_machine(false);
    Device *d = create(m, "port92", NULL);
    int changes = 0;
    IRQLine *a20 = irq_new(a20_observer, &changes, 0);
    port92_set_a20_line(d, a20);
    g_assert_cmpint(a20->level, ==, 0);
    g_assert_false(port92_get_a20(d));
    g_assert_cmphex(ioport_read(&m->io, 0x92, 1), ==, 0x00);

    ioport_write(&m->io, 0x92, 0x02, 1);
    g_assert_cmpint(a20->level, ==, 1);
    g_assert_true(port92_get_a20(d));
    g_assert_cmphex(ioport_read(&m->io, 0x92, 1), ==, 0x02);
    g_assert_false(m->reset_requested);
    int c = changes;
    ioport_write(&m->io, 0x92, 0x02, 1);    /* no change, no edge */
    g_assert_cmpint(changes, ==, c);

    /* 0 -> 1 on bit 0 resets; holding it at 1 does not reset again. */
    ioport_write(&m->io, 0x92, 0x03, 1);
    g_assert_true(m->reset_requested);
    m->reset_requested = false;
    ioport_write(&m->io, 0x92, 0x03, 1);
    g_assert_false(m->reset_requested);
    ioport_write(&m->io, 0x92, 0x02, 1);
    ioport_write(&m->io, 0x92, 0x03, 1);
    g_assert_true(m->reset_requested);

    device_reset(d);
    g_assert_cmphex(ioport_read(&m->io, 0x92, 1), ==, 0x00);
    g_assert_cmpint(a20->level, ==, 0);
    port92_set_a20_line(d, NULL);
    ioport_write(&m->io, 0x92, 0x02, 1);     /* unhooked: no crash */
    machine_free(m);
    irq_free(a20);

    /* With -no-reboot a guest reset is a shutdown. */
    m = new_machine(true);
    create(m, "port92", NULL);
    ioport_write(&m->io, 0x92, 0x01, 1);
    g_assert_false(m->reset_requested);
    g_assert_true(m->shutdown_requested);
    g_assert_cmpint(m->exit_status, ==, 0);
    machine_free(m);
}

static void test_reset_control(void)
{
    Machine *m = new_machine(false);
    Device *d = create(m, "pc-reset-control", NULL);
    g_assert_cmphex(ioport_read(&m->io, 0xcf9, 1), ==, 0x00);
    /* SYS_RST alone selects the reset kind; nothing happens yet. */
    ioport_write(&m->io, 0xcf9, 0x02, 1);
    g_assert_false(m->reset_requested);
    g_assert_cmphex(ioport_read(&m->io, 0xcf9, 1), ==, 0x02);
    /* RST_CPU starts it; the bit does not stick. */
    ioport_write(&m->io, 0xcf9, 0x06, 1);
    g_assert_true(m->reset_requested);
    g_assert_cmphex(ioport_read(&m->io, 0xcf9, 1), ==, 0x02);
    m->reset_requested = false;
    ioport_write(&m->io, 0xcf9, 0x0e, 1);
    g_assert_true(m->reset_requested);
    g_assert_cmphex(ioport_read(&m->io, 0xcf9, 1), ==, 0x0a);
    m->reset_requested = false;
    /* A soft reset (bit 1 clear) also restarts the machine. */
    ioport_write(&m->io, 0xcf9, 0x04, 1);
    g_assert_true(m->reset_requested);
    /* 0xcf8 is not ours (PCI configuration address). */
    g_assert_null(m->io.ports[0xcf8]);
    g_assert_null(m->io.ports[0xcfa]);
    device_reset(d);
    g_assert_cmphex(ioport_read(&m->io, 0xcf9, 1), ==, 0x00);
    machine_free(m);

    m = new_machine(true);
    create(m, "pc-reset-control", NULL);
    ioport_write(&m->io, 0xcf9, 0x06, 1);
    g_assert_false(m->reset_requested);
    g_assert_true(m->shutdown_requested);
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/debug-exit/default", test_debug_exit_default);
    g_test_add_func("/hw/debug-exit/props", test_debug_exit_props);
    g_test_add_func("/hw/port80", test_port80);
    g_test_add_func("/hw/port92", test_port92);
    g_test_add_func("/hw/reset-control", test_reset_control);
    return g_test_run();
}
