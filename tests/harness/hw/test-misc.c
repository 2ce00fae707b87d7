/*
 * test-misc.c (harness): isa-debug-exit ending bt86 with (V << 1) | 1, and the
 * guest reset paths (0xcf9, port 0x92, the 8042) producing RESET lines, or a
 * shutdown with -no-reboot.
 */
#include <glib.h>
#include "libharness.h"

static void test_debug_exit_default(void)
{
    Harness *h = harness_start("-device isa-debug-exit");
    g_assert_cmphex(harness_inb(h, 0x501), ==, 0);
    harness_outb(h, 0x501, 0x2a);
    g_assert_cmpint(harness_wait_exit(h), ==, (0x2a << 1) | 1);
    int status = -1;
    g_assert_true(harness_got_shutdown(h, &status));
    g_assert_cmpint(status, ==, (0x2a << 1) | 1);
    harness_quit(h);
}

static void test_debug_exit_f4(void)
{
    /* kvm-unit-tests' spelling: a dword at 0xf4; status 1 means pass. */
    Harness *h = harness_start("-device isa-debug-exit,iobase=0xf4,iosize=0x4");
    harness_outl(h, 0xf4, 0);
    g_assert_cmpint(harness_wait_exit(h), ==, 1);
    harness_quit(h);

    h = harness_start("-device isa-debug-exit,iobase=0xf4,iosize=0x4");
    harness_outl(h, 0xf4, 1);
    g_assert_cmpint(harness_wait_exit(h), ==, 3);
    harness_quit(h);
}

static void test_reset_control(void)
{
    Harness *h = harness_start("");
    harness_outb(h, 0xcf9, 0x02);
    g_assert_cmphex(harness_inb(h, 0xcf9), ==, 0x02);
    g_assert_false(harness_wait_reset(h, 1, 200));
    harness_outb(h, 0xcf9, 0x06);
    g_assert_true(harness_wait_reset(h, 1, 5000));
    /* The system reset put the register back to 0. */
    g_assert_cmphex(harness_inb(h, 0xcf9), ==, 0x00);
    harness_quit(h);
}

static void test_port92(void)
{
    Harness *h = harness_start("");
    harness_outb(h, 0x92, 0x02);
    g_assert_cmphex(harness_inb(h, 0x92), ==, 0x02);
    g_assert_false(harness_wait_reset(h, 1, 200));
    harness_outb(h, 0x92, 0x03);
    g_assert_true(harness_wait_reset(h, 1, 5000));
    g_assert_cmphex(harness_inb(h, 0x92), ==, 0x00);
    harness_quit(h);
}

static void test_port80(void)
{
    Harness *h = harness_start("");
    harness_outb(h, 0x80, 0x12);
    g_assert_cmphex(harness_inb(h, 0x80), ==, 0xff);
    g_assert_false(harness_wait_reset(h, 1, 100));
    harness_quit(h);
}

static void test_no_reboot(void)
{
    Harness *h = harness_start("-no-reboot");
    harness_outb(h, 0xcf9, 0x06);
    g_assert_cmpint(harness_wait_exit(h), ==, 0);
    int status = -1;
    g_assert_true(harness_got_shutdown(h, &status));
    g_assert_cmpint(status, ==, 0);
    g_assert_cmpint(harness_reset_count(h), ==, 0);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/hw/debug-exit/default", test_debug_exit_default);
    g_test_add_func("/harness/hw/debug-exit/f4", test_debug_exit_f4);
    g_test_add_func("/harness/hw/reset-control", test_reset_control);
    g_test_add_func("/harness/hw/port92", test_port92);
    g_test_add_func("/harness/hw/port80", test_port80);
    g_test_add_func("/harness/hw/no-reboot", test_no_reboot);
    return g_test_run();
}
