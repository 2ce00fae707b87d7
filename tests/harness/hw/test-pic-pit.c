/*
 * test-pic-pit.c (harness): the board's 8259A pair (0x20/0xa0, ELCR 0x4d0) and
 * 8254 PIT (0x40-0x43, 0x61, IRQ 0) under -accel qtest with the manual clock.
 * The harness cannot raise an IRQ itself, so the PIC's inputs are driven by
 * real devices: the PIT on IRQ 0 and the RTC's periodic interrupt on IRQ 8
 * (through the slave and the master's IR2). The PIC's state is read back with
 * OCW3 (IRR/ISR) and the poll command.
 */
#include <glib.h>
#include <stdlib.h>
#include "libharness.h"

#define NS_PER_SEC 1000000000LL
#define MS 1000000LL
#define PIT_HZ 1193182

static void pic_init(Harness *h)
{
    harness_outb(h, 0x20, 0x11);
    harness_outb(h, 0x21, 0x20);
    harness_outb(h, 0x21, 0x04);
    harness_outb(h, 0x21, 0x01);
    harness_outb(h, 0xa0, 0x11);
    harness_outb(h, 0xa1, 0x28);
    harness_outb(h, 0xa1, 0x02);
    harness_outb(h, 0xa1, 0x01);
    harness_outb(h, 0x21, 0x00);
    harness_outb(h, 0xa1, 0x00);
}

static uint8_t pic_reg(Harness *h, uint16_t base, uint8_t ocw3)
{
    harness_outb(h, base, ocw3);
    return harness_inb(h, base);
}

static void pit_program(Harness *h, uint8_t ctrl, uint16_t count)
{
    harness_outb(h, 0x43, ctrl);
    harness_outb(h, 0x40, count & 0xff);
    harness_outb(h, 0x40, count >> 8);
}

static void test_pit_irq0_rate(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    pit_program(h, 0x34, 1193);         /* mode 2, ~1000 Hz */
    int start = harness_irq_raise_count(h, 0);
    for (int i = 0; i < 100; i++) {
        harness_clock_step(h, 10 * MS);
    }
    g_assert_cmpint(harness_irq_raise_count(h, 0) - start, ==, PIT_HZ / 1193);
    /* Mode 3 at ~100 Hz: a rising edge per period. */
    pit_program(h, 0x36, 11932);
    start = harness_irq_raise_count(h, 0);
    harness_clock_step(h, NS_PER_SEC);
    g_assert_cmpint(harness_irq_raise_count(h, 0) - start, ==, PIT_HZ / 11932);
    harness_quit(h);
}

static void test_pit_one_shot_and_readback(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    pit_program(h, 0x30, 5000);         /* mode 0 */
    g_assert_cmpint(harness_irq_level(h, 0), ==, 0);
    harness_clock_step(h, 4 * MS);      /* 4772 clocks */
    g_assert_cmpint(harness_irq_level(h, 0), ==, 0);
    harness_outb(h, 0x43, 0xc2);        /* read back count and status of ch0 */
    g_assert_cmphex(harness_inb(h, 0x40), ==, 0x30);    /* OUT low, lohi, mode 0 */
    uint16_t v = harness_inb(h, 0x40);
    v |= harness_inb(h, 0x40) << 8;
    g_assert_cmpuint(v, ==, 5000 - (uint64_t)4 * MS * PIT_HZ / NS_PER_SEC);
    harness_clock_step(h, 1 * MS);
    g_assert_cmpint(harness_irq_level(h, 0), ==, 1);
    int n = harness_irq_raise_count(h, 0);
    harness_clock_step(h, 100 * MS);
    g_assert_cmpint(harness_irq_raise_count(h, 0), ==, n);
    /* Channel 2 through port 0x61: gate on, OUT after the count. */
    harness_outb(h, 0x43, 0xb0);
    harness_outb(h, 0x42, 100);
    harness_outb(h, 0x42, 0);
    harness_clock_step(h, MS);
    g_assert_cmphex(harness_inb(h, 0x61) & 0x20, ==, 0);
    harness_outb(h, 0x61, 0x01);
    harness_clock_step(h, MS);
    g_assert_cmphex(harness_inb(h, 0x61) & 0x21, ==, 0x21);
    harness_quit(h);
}

static void test_pic_from_pit(void)
{
    Harness *h = harness_start("");
    pic_init(h);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0a), ==, 0x00);
    pit_program(h, 0x34, 1193);
    harness_clock_step(h, 2 * MS);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0a) & 0x01, ==, 0x01);
    /* Poll: acknowledges IRQ 0 like an INTA. */
    harness_outb(h, 0x20, 0x0c);
    g_assert_cmphex(harness_inb(h, 0x20), ==, 0x80);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0b), ==, 0x01);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0a) & 0x01, ==, 0x00);
    /* Masked, the next tick is still seen in IRR but not polled. */
    harness_outb(h, 0x21, 0x01);
    harness_outb(h, 0x20, 0x20);        /* EOI */
    harness_clock_step(h, 2 * MS);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0a) & 0x01, ==, 0x01);
    harness_outb(h, 0x20, 0x0c);
    g_assert_cmphex(harness_inb(h, 0x20), ==, 0x00);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0b), ==, 0x00);
    harness_quit(h);
}

static void test_pic_cascade_from_rtc(void)
{
    Harness *h = harness_start("");
    pic_init(h);
    harness_outb(h, 0x70, 0x0a);
    harness_outb(h, 0x71, 0x2a);        /* 64 Hz */
    harness_outb(h, 0x70, 0x0b);
    harness_outb(h, 0x71, 0x42);        /* PIE */
    harness_outb(h, 0x70, 0x0c);
    harness_inb(h, 0x71);
    harness_clock_step(h, 20 * MS);
    g_assert_cmphex(pic_reg(h, 0xa0, 0x0a) & 0x01, ==, 0x01);   /* slave IR0 */
    g_assert_cmphex(pic_reg(h, 0x20, 0x0a) & 0x04, ==, 0x04);   /* master IR2 */
    /* Poll the master: the cascade input; then the slave: IRQ 8. */
    harness_outb(h, 0x20, 0x0c);
    g_assert_cmphex(harness_inb(h, 0x20), ==, 0x82);
    harness_outb(h, 0xa0, 0x0c);
    g_assert_cmphex(harness_inb(h, 0xa0), ==, 0x80);
    g_assert_cmphex(pic_reg(h, 0xa0, 0x0b), ==, 0x01);
    g_assert_cmphex(pic_reg(h, 0x20, 0x0b), ==, 0x04);
    /* EOI both; ELCR: IRQ 8 cannot be made level triggered. */
    harness_outb(h, 0xa0, 0x20);
    harness_outb(h, 0x20, 0x20);
    harness_outb(h, 0x4d1, 0xff);
    g_assert_cmphex(harness_inb(h, 0x4d1), ==, 0xde);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pic-pit/pit-irq0-rate", test_pit_irq0_rate);
    g_test_add_func("/pic-pit/pit-one-shot-readback", test_pit_one_shot_and_readback);
    g_test_add_func("/pic-pit/pic-from-pit", test_pic_from_pit);
    g_test_add_func("/pic-pit/pic-cascade-from-rtc", test_pic_cascade_from_rtc);
    return g_test_run();
}
