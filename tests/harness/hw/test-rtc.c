/*
 * test-rtc.c (harness): the board's MC146818 RTC at 0x70/0x71, IRQ 8, driven
 * through the device harness with the manual clock.
 */
#include <glib.h>
#include <stdlib.h>
#include <time.h>
#include "libharness.h"

#define NS_PER_SEC 1000000000LL
#define MS 1000000LL

static uint8_t cmos_read(Harness *h, uint8_t reg)
{
    harness_outb(h, 0x70, reg);
    return harness_inb(h, 0x71);
}

static void cmos_write(Harness *h, uint8_t reg, uint8_t val)
{
    harness_outb(h, 0x70, reg);
    harness_outb(h, 0x71, val);
}

static int from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static int64_t read_time(Harness *h, bool bcd)
{
    struct tm tm = { 0 };
    uint8_t r[6] = { cmos_read(h, 0), cmos_read(h, 2), cmos_read(h, 4), cmos_read(h, 7),
                     cmos_read(h, 8), cmos_read(h, 9) };
    uint8_t cent = cmos_read(h, 0x32);
    int v[6];
    for (int i = 0; i < 6; i++) {
        v[i] = bcd ? from_bcd(r[i]) : r[i];
    }
    tm.tm_sec = v[0];
    tm.tm_min = v[1];
    tm.tm_hour = v[2];
    tm.tm_mday = v[3];
    tm.tm_mon = v[4] - 1;
    tm.tm_year = (bcd ? from_bcd(cent) : cent) * 100 + v[5] - 1900;
    return (int64_t)timegm(&tm);
}

/* Restart the divider: the next update comes exactly 500 ms later. */
static void align_divider(Harness *h, uint8_t rate)
{
    cmos_write(h, 0x0a, 0x70 | rate);
    cmos_write(h, 0x0a, 0x20 | rate);
}

static void test_time_from_host(void)
{
    Harness *h = harness_start("-m 32");
    int64_t host = (int64_t)time(NULL);
    g_assert_cmpint(llabs(read_time(h, true) - host), <=, 3);
    cmos_write(h, 0x0b, 0x06);      /* binary */
    g_assert_cmpint(llabs(read_time(h, false) - host), <=, 3);
    g_assert_cmphex(cmos_read(h, 0x0d), ==, 0x80);
    /* The board filled the memory size bytes for 32 MiB: 31 MiB of extended
     * memory in KiB at 0x17/0x18 and 0x30/0x31, 16 MiB above 16 MiB in 64 KiB
     * units at 0x34/0x35. */
    g_assert_cmpuint(cmos_read(h, 0x17) | (cmos_read(h, 0x18) << 8), ==, 31 * 1024);
    g_assert_cmpuint(cmos_read(h, 0x30) | (cmos_read(h, 0x31) << 8), ==, 31 * 1024);
    g_assert_cmpuint(cmos_read(h, 0x34) | (cmos_read(h, 0x35) << 8), ==, 256);
    harness_quit(h);
}

static void test_set_time_and_uip(void)
{
    Harness *h = harness_start("");
    cmos_write(h, 0x0b, 0x82);      /* SET, BCD, 24 h */
    cmos_write(h, 0x32, 0x20);
    cmos_write(h, 0x09, 0x26);
    cmos_write(h, 0x08, 0x12);
    cmos_write(h, 0x07, 0x31);
    cmos_write(h, 0x04, 0x23);
    cmos_write(h, 0x02, 0x59);
    cmos_write(h, 0x00, 0x59);
    cmos_write(h, 0x0b, 0x02);
    align_divider(h, 0x6);
    harness_clock_step(h, 500 * MS - 300 * 1000);
    g_assert_cmphex(cmos_read(h, 0x0a) & 0x80, ==, 0);
    harness_clock_step(h, 100 * 1000);      /* 200 us before the update */
    g_assert_cmphex(cmos_read(h, 0x0a) & 0x80, ==, 0x80);
    g_assert_cmphex(cmos_read(h, 0x00), ==, 0x59);
    harness_clock_step(h, 200 * 1000);
    g_assert_cmphex(cmos_read(h, 0x0a) & 0x80, ==, 0);
    /* New year. */
    g_assert_cmphex(cmos_read(h, 0x00), ==, 0x00);
    g_assert_cmphex(cmos_read(h, 0x07), ==, 0x01);
    g_assert_cmphex(cmos_read(h, 0x08), ==, 0x01);
    g_assert_cmphex(cmos_read(h, 0x09), ==, 0x27);
    g_assert_cmphex(cmos_read(h, 0x32), ==, 0x20);
    harness_quit(h);
}

static void test_periodic_irq(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    cmos_write(h, 0x0a, 0x2a);      /* 64 Hz */
    cmos_write(h, 0x0b, 0x42);      /* PIE */
    cmos_read(h, 0x0c);
    g_assert_cmpint(harness_irq_level(h, 8), ==, 0);
    int start = harness_irq_raise_count(h, 8);
    /* 1 s in 2 ms steps, acknowledging every interrupt like a handler. */
    for (int i = 0; i < 500; i++) {
        harness_clock_step(h, 2 * MS);
        if (harness_irq_level(h, 8)) {
            /* IRQF and PF (UF may be set too: a second goes by). */
            g_assert_cmphex(cmos_read(h, 0x0c) & 0xc0, ==, 0xc0);
            g_assert_cmpint(harness_irq_level(h, 8), ==, 0);
        }
    }
    g_assert_cmpint(harness_irq_raise_count(h, 8) - start, ==, 64);
    /* Without an acknowledgement the line stays high: one interrupt. */
    start = harness_irq_raise_count(h, 8);
    harness_clock_step(h, NS_PER_SEC);
    g_assert_cmpint(harness_irq_raise_count(h, 8) - start, ==, 1);
    g_assert_cmpint(harness_irq_level(h, 8), ==, 1);
    g_assert_cmphex(cmos_read(h, 0x0c), ==, 0xd0);      /* IRQF, PF, UF */
    g_assert_cmpint(harness_irq_level(h, 8), ==, 0);
    harness_quit(h);
}

static void test_update_and_alarm_irq(void)
{
    Harness *h = harness_start("");
    harness_irq_intercept(h);
    cmos_write(h, 0x0b, 0x82);
    cmos_write(h, 0x04, 0x08);
    cmos_write(h, 0x02, 0x00);
    cmos_write(h, 0x00, 0x00);
    cmos_write(h, 0x0b, 0x02);
    align_divider(h, 0);            /* no periodic flag */
    cmos_write(h, 0x05, 0x08);      /* alarm 08:00:03 */
    cmos_write(h, 0x03, 0x00);
    cmos_write(h, 0x01, 0x03);
    cmos_read(h, 0x0c);
    cmos_write(h, 0x0b, 0x02 | 0x20 | 0x10);   /* AIE, UIE */

    harness_clock_step(h, 500 * MS);   /* 08:00:01 */
    g_assert_cmpint(harness_irq_level(h, 8), ==, 1);
    g_assert_cmphex(cmos_read(h, 0x0c), ==, 0x90);
    harness_clock_step(h, NS_PER_SEC);  /* 08:00:02 */
    g_assert_cmphex(cmos_read(h, 0x0c), ==, 0x90);
    harness_clock_step(h, NS_PER_SEC);  /* 08:00:03 */
    g_assert_cmphex(cmos_read(h, 0x0c), ==, 0xb0);
    g_assert_cmpint(harness_irq_level(h, 8), ==, 0);

    /* Alarm only: next match is a day later. */
    cmos_write(h, 0x0b, 0x02 | 0x20);
    harness_clock_step(h, 3600 * NS_PER_SEC);
    g_assert_cmpint(harness_irq_level(h, 8), ==, 0);
    harness_clock_step(h, 86400 * NS_PER_SEC - 3600 * NS_PER_SEC);
    g_assert_cmpint(harness_irq_level(h, 8), ==, 1);
    g_assert_cmphex(cmos_read(h, 0x00), ==, 0x03);
    g_assert_cmphex(cmos_read(h, 0x0c) & 0xa0, ==, 0xa0);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/hw/rtc/time-from-host", test_time_from_host);
    g_test_add_func("/harness/hw/rtc/set-time-uip", test_set_time_and_uip);
    g_test_add_func("/harness/hw/rtc/periodic-irq", test_periodic_irq);
    g_test_add_func("/harness/hw/rtc/update-alarm-irq", test_update_and_alarm_irq);
    return g_test_run();
}
