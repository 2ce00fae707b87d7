/*
 * test-i8042.c (harness): the board's 8042 at 0x60/0x64 with IRQ 1 and 12:
 * self test, command byte, keyboard and mouse replies with their interrupt
 * lines, and the reset pulse producing a RESET line.
 */
#include <glib.h>
#include "libharness.h"

static uint8_t kbc_read(Harness *h)
{
    g_assert_cmphex(harness_inb(h, 0x64) & 0x01, ==, 0x01);
    return harness_inb(h, 0x60);
}

static void test_self_test_and_ccb(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    harness_outb(h, 0x64, 0xaa);
    g_assert_cmpint(harness_irq_level(h, 1), ==, 1);
    g_assert_cmphex(harness_inb(h, 0x64) & 0x05, ==, 0x05);    /* OBF, SYS */
    g_assert_cmphex(kbc_read(h), ==, 0x55);
    g_assert_cmpint(harness_irq_level(h, 1), ==, 0);
    g_assert_cmphex(harness_inb(h, 0x64) & 0x01, ==, 0);

    harness_outb(h, 0x64, 0x60);
    harness_outb(h, 0x60, 0x55);                /* XLAT, kbd off, SYS, kbd int */
    harness_outb(h, 0x64, 0x20);
    g_assert_cmphex(kbc_read(h), ==, 0x55);
    harness_outb(h, 0x64, 0xae);
    harness_outb(h, 0x64, 0x20);
    g_assert_cmphex(kbc_read(h), ==, 0x45);
    harness_outb(h, 0x64, 0xab);
    g_assert_cmphex(kbc_read(h), ==, 0x00);
    harness_quit(h);
}

static void test_keyboard_and_mouse(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    harness_outb(h, 0x60, 0xff);
    g_assert_cmpint(harness_irq_level(h, 1), ==, 1);
    g_assert_cmphex(kbc_read(h), ==, 0xfa);
    g_assert_cmphex(kbc_read(h), ==, 0xaa);
    g_assert_cmpint(harness_irq_level(h, 1), ==, 0);
    g_assert_cmpint(harness_irq_raise_count(h, 1), ==, 2);

    harness_outb(h, 0x60, 0xf2);
    g_assert_cmphex(kbc_read(h), ==, 0xfa);
    g_assert_cmphex(kbc_read(h), ==, 0xab);
    g_assert_cmphex(kbc_read(h), ==, 0x83);

    harness_outb(h, 0x64, 0xd4);
    harness_outb(h, 0x60, 0xff);
    g_assert_cmpint(harness_irq_level(h, 12), ==, 1);
    g_assert_cmpint(harness_irq_level(h, 1), ==, 0);
    g_assert_cmphex(harness_inb(h, 0x64) & 0x21, ==, 0x21);    /* OBF, MOBF */
    g_assert_cmphex(kbc_read(h), ==, 0xfa);
    g_assert_cmphex(kbc_read(h), ==, 0xaa);
    g_assert_cmphex(kbc_read(h), ==, 0x00);
    g_assert_cmpint(harness_irq_level(h, 12), ==, 0);
    harness_quit(h);
}

static void test_reset_pulse(void)
{
    Harness *h = harness_start("");
    harness_outb(h, 0x64, 0xff);    /* pulses nothing */
    g_assert_false(harness_wait_reset(h, 1, 200));
    harness_outb(h, 0x64, 0xfe);
    g_assert_true(harness_wait_reset(h, 1, 5000));
    /* Through the output port too. */
    harness_outb(h, 0x64, 0xd1);
    harness_outb(h, 0x60, 0xfe);
    g_assert_true(harness_wait_reset(h, 2, 5000));
    /* The controller works after the reset. */
    harness_outb(h, 0x64, 0xaa);
    g_assert_cmphex(kbc_read(h), ==, 0x55);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/hw/i8042/self-test-ccb", test_self_test_and_ccb);
    g_test_add_func("/harness/hw/i8042/keyboard-mouse", test_keyboard_and_mouse);
    g_test_add_func("/harness/hw/i8042/reset-pulse", test_reset_pulse);
    return g_test_run();
}
