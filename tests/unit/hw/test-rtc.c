/*
 * test-rtc.c: unit tests of the MC146818 RTC/CMOS model (hw/timer/mc146818rtc.c)
 * driven through port 0x70/0x71 on a harness-clock machine, so time only moves
 * when the test steps it.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/timer/mc146818rtc.h"
#include "system/machine.h"
#include <time.h>

#define NS_PER_SEC 1000000000LL

typedef struct Fixture {
    Machine *m;
    Device *rtc;
    int raises;
    int lowers;
} Fixture;

static void irq_observer(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level) {
        f->raises++;
    } else {
        f->lowers++;
    }
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    g_assert_nonnull(f->m);
    f->m->gsi[8]->handler = irq_observer;
    f->m->gsi[8]->opaque = f;
    f->rtc = device_create(f->m, "mc146818rtc", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->rtc);
    /* The clock starts at the host's time, mid-second. Hold the divider chain in
     * reset and release it, as firmware may: the next update is then exactly
     * 500 ms away, so no test depends on the host clock's sub-second phase. */
    uint8_t a = (ioport_write(&f->m->io, 0x70, 0x0a, 1), ioport_read(&f->m->io, 0x71, 1));
    ioport_write(&f->m->io, 0x71, 0x70 | (a & 0x0f), 1);
    ioport_write(&f->m->io, 0x70, 0x0a, 1);
    ioport_write(&f->m->io, 0x71, a, 1);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
}

static uint8_t cmos_read(Fixture *f, uint8_t reg)
{
    ioport_write(&f->m->io, 0x70, reg, 1);
    return ioport_read(&f->m->io, 0x71, 1);
}

static void cmos_write(Fixture *f, uint8_t reg, uint8_t val)
{
    ioport_write(&f->m->io, 0x70, reg, 1);
    ioport_write(&f->m->io, 0x71, val, 1);
}

static void step(Fixture *f, int64_t ns)
{
    timerlist_step(&f->m->timers, ns);
}

static int64_t now_ns(Fixture *f)
{
    return clock_ns(&f->m->timers.clock);
}

static int from_bcd(uint8_t v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

static int64_t read_rtc_time(Fixture *f, bool bcd)
{
    struct tm tm = { 0 };
    int (*dec)(uint8_t) = bcd ? from_bcd : NULL;
#define DEC(v) (dec ? dec(v) : (int)(v))
    tm.tm_sec = DEC(cmos_read(f, 0));
    tm.tm_min = DEC(cmos_read(f, 2));
    tm.tm_hour = DEC(cmos_read(f, 4));
    tm.tm_mday = DEC(cmos_read(f, 7));
    tm.tm_mon = DEC(cmos_read(f, 8)) - 1;
    tm.tm_year = DEC(cmos_read(f, 0x32)) * 100 + DEC(cmos_read(f, 9)) - 1900;
#undef DEC
    return (int64_t)timegm(&tm);
}

/* Stop the clock and set a BCD date and time (24-hour mode). */
static void set_time_bcd(Fixture *f, uint8_t cent, uint8_t year, uint8_t mon,
                         uint8_t mday, uint8_t hour, uint8_t min, uint8_t sec)
{
    uint8_t b = cmos_read(f, 0x0b);
    cmos_write(f, 0x0b, b | 0x80);
    cmos_write(f, 0x32, cent);
    cmos_write(f, 0x09, year);
    cmos_write(f, 0x08, mon);
    cmos_write(f, 0x07, mday);
    cmos_write(f, 0x04, hour);
    cmos_write(f, 0x02, min);
    cmos_write(f, 0x00, sec);
    cmos_write(f, 0x0b, b & ~0x80);
}

/* Restart the divider so the next update is exactly 500 ms from now. */
static void align_divider(Fixture *f)
{
    uint8_t a = cmos_read(f, 0x0a);
    cmos_write(f, 0x0a, 0x70 | (a & 0x0f));
    cmos_write(f, 0x0a, a);
}

static void test_power_on_registers(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(cmos_read(f, 0x0a) & 0x7f, ==, 0x26);
    g_assert_cmphex(cmos_read(f, 0x0b), ==, 0x02);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x0d), ==, 0x80);
    /* C and D are read-only. */
    cmos_write(f, 0x0c, 0xff);
    cmos_write(f, 0x0d, 0x00);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x0d), ==, 0x80);
    /* The index port is write-only. */
    g_assert_cmphex(ioport_read(&f->m->io, 0x70, 1), ==, 0xff);
}

static void test_host_time_bcd(Fixture *f, gconstpointer data)
{
    int64_t host = (int64_t)time(NULL);
    int64_t t = read_rtc_time(f, true);
    g_assert_cmpint(llabs(t - host), <=, 2);
    /* Every time register holds valid BCD digits. */
    static const uint8_t regs[] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
    for (unsigned i = 0; i < ARRAY_SIZE(regs); i++) {
        uint8_t v = cmos_read(f, regs[i]);
        g_assert_cmpuint(v & 0x0f, <=, 9);
        g_assert_cmpuint(v >> 4, <=, 9);
    }
    /* Day of week agrees with the date (1 = Sunday). */
    time_t tt = (time_t)read_rtc_time(f, true);
    struct tm tm;
    gmtime_r(&tt, &tm);
    g_assert_cmpint(from_bcd(cmos_read(f, 6)), ==, tm.tm_wday + 1);
}

static void test_host_time_binary(Fixture *f, gconstpointer data)
{
    cmos_write(f, 0x0b, 0x02 | 0x04);
    int64_t host = (int64_t)time(NULL);
    int64_t t = read_rtc_time(f, false);
    g_assert_cmpint(llabs(t - host), <=, 2);
    /* The clock advances with the virtual clock. */
    int64_t t0 = read_rtc_time(f, false);
    step(f, 10 * NS_PER_SEC);
    int64_t t1 = read_rtc_time(f, false);
    g_assert_cmpint(t1 - t0, >=, 10);
    g_assert_cmpint(t1 - t0, <=, 11);
}

static void test_set_time_and_rollover(Fixture *f, gconstpointer data)
{
    set_time_bcd(f, 0x20, 0x24, 0x02, 0x29, 0x23, 0x59, 0x58);
    align_divider(f);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x58);
    step(f, NS_PER_SEC / 2 - 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x58);
    step(f, 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x59);
    step(f, NS_PER_SEC);
    /* Leap day rolls into March 1st, 2024, a Friday. */
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x02), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x07), ==, 0x01);
    g_assert_cmphex(cmos_read(f, 0x08), ==, 0x03);
    g_assert_cmphex(cmos_read(f, 0x09), ==, 0x24);
    g_assert_cmphex(cmos_read(f, 0x32), ==, 0x20);
    g_assert_cmphex(cmos_read(f, 0x06), ==, 6);

    /* Century rollover. */
    set_time_bcd(f, 0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59);
    align_divider(f);
    step(f, NS_PER_SEC / 2);
    g_assert_cmphex(cmos_read(f, 0x09), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x32), ==, 0x21);
    g_assert_cmphex(cmos_read(f, 0x08), ==, 0x01);
}

static void test_set_freezes(Fixture *f, gconstpointer data)
{
    set_time_bcd(f, 0x20, 0x30, 0x06, 0x15, 0x10, 0x20, 0x30);
    cmos_write(f, 0x0b, 0x82);
    step(f, 5 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x30);
    g_assert_cmphex(cmos_read(f, 0x02), ==, 0x20);
    /* No update cycle, hence no UIP, while SET is 1. */
    for (int i = 0; i < 1000; i++) {
        g_assert_cmphex(cmos_read(f, 0x0a) & 0x80, ==, 0);
        step(f, NS_PER_SEC / 1000);
    }
    cmos_write(f, 0x0b, 0x02);
    step(f, 2 * NS_PER_SEC);
    uint8_t sec = cmos_read(f, 0x00);
    g_assert_true(sec == 0x32 || sec == 0x31);
}

static void test_write_while_running(Fixture *f, gconstpointer data)
{
    set_time_bcd(f, 0x20, 0x25, 0x03, 0x10, 0x09, 0x15, 0x20);
    align_divider(f);               /* updates at +0.5 s, +1.5 s, ... */
    step(f, NS_PER_SEC / 4);
    /* One field set without SET: the others stay, the phase stays. */
    cmos_write(f, 0x02, 0x45);
    g_assert_cmphex(cmos_read(f, 0x02), ==, 0x45);
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x09);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x20);
    step(f, NS_PER_SEC / 4 - 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x20);
    step(f, 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x21);

    /* Divider held in reset: time stands still, no UIP, no periodic flag. */
    cmos_write(f, 0x0a, 0x76);
    cmos_read(f, 0x0c);
    step(f, 3 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x21);
    g_assert_cmphex(cmos_read(f, 0x0a), ==, 0x76);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
    /* Released: the first update half a second later. */
    cmos_write(f, 0x0a, 0x26);
    step(f, NS_PER_SEC / 2 - 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x21);
    step(f, 1000);
    g_assert_cmphex(cmos_read(f, 0x00), ==, 0x22);
    g_assert_cmphex(cmos_read(f, 0x02), ==, 0x45);
}

static void test_twelve_hour_mode(Fixture *f, gconstpointer data)
{
    set_time_bcd(f, 0x20, 0x25, 0x01, 0x01, 0x13, 0x30, 0x00);
    cmos_write(f, 0x0b, 0x00);      /* BCD, 12-hour */
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x81);      /* 1 PM */
    cmos_write(f, 0x0b, 0x04);      /* binary, 12-hour */
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x81);
    set_time_bcd(f, 0x20, 0x25, 0x01, 0x01, 0x00, 0x30, 0x00);
    /* B is binary 12-hour now: 0x00 for the hour is read back as 12 AM. */
    g_assert_cmphex(cmos_read(f, 0x04), ==, 12);
    cmos_write(f, 0x0b, 0x00);
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x12);
    /* Writing 12 PM in 12-hour BCD reads back as 12 in 24-hour mode. The
     * registers are read in the format of B when the clock restarts. */
    cmos_write(f, 0x0b, 0x80);
    cmos_write(f, 0x04, 0x92);
    cmos_write(f, 0x0b, 0x00);
    cmos_write(f, 0x0b, 0x02);
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x12);
    cmos_write(f, 0x0b, 0x00);
    g_assert_cmphex(cmos_read(f, 0x04), ==, 0x92);
}

static void test_uip(Fixture *f, gconstpointer data)
{
    /* Find the start of the UIP window in 10 us steps, then measure it. */
    const int64_t us = 1000;
    int n = 0;
    while (!(cmos_read(f, 0x0a) & 0x80)) {
        step(f, 10 * us);
        g_assert_cmpint(++n, <, 110000);
    }
    uint8_t sec_before = cmos_read(f, 0x00);
    int width = 0;
    while (cmos_read(f, 0x0a) & 0x80) {
        step(f, 10 * us);
        width++;
        g_assert_cmpint(width, <, 100);
    }
    /* 244 us, seen with 10 us resolution. */
    g_assert_cmpint(width, >=, 24);
    g_assert_cmpint(width, <=, 25);
    uint8_t sec_after = cmos_read(f, 0x00);
    g_assert_cmpint((from_bcd(sec_before) + 1) % 60, ==, from_bcd(sec_after));
}

/* Count interrupts over one stepped second, acknowledging each as a guest
 * handler would. */
static int count_irqs_one_second(Fixture *f)
{
    int64_t end = now_ns(f) + NS_PER_SEC;
    int before = f->raises;
    while (now_ns(f) < end) {
        int64_t d = timerlist_deadline_ns(&f->m->timers);
        if (d < 0 || now_ns(f) + d > end) {
            step(f, end - now_ns(f));
        } else {
            step(f, -1);
        }
        if (f->m->gsi[8]->level) {
            uint8_t c = cmos_read(f, 0x0c);
            g_assert_cmphex(c & 0x80, ==, 0x80);       /* IRQF and a cause */
            g_assert_cmphex(c & 0x70, !=, 0);
            g_assert_cmpint(f->m->gsi[8]->level, ==, 0);
        }
    }
    return f->raises - before;
}

static void test_periodic_rates(Fixture *f, gconstpointer data)
{
    static const struct { uint8_t rs; int hz; } rates[] = {
        { 0x6, 1024 }, { 0xf, 2 }, { 0x3, 8192 }, { 0x1, 256 }, { 0x2, 128 },
        { 0xa, 64 },
    };
    for (unsigned i = 0; i < ARRAY_SIZE(rates); i++) {
        cmos_write(f, 0x0a, 0x20 | rates[i].rs);
        cmos_write(f, 0x0b, 0x02 | 0x40);
        cmos_read(f, 0x0c);
        g_assert_cmpint(count_irqs_one_second(f), ==, rates[i].hz);
    }
    /* Rate 0 stops periodic interrupts even with PIE set. */
    cmos_write(f, 0x0a, 0x20);
    g_assert_cmpint(count_irqs_one_second(f), ==, 0);
    g_assert_cmpint(timerlist_deadline_ns(&f->m->timers), ==, -1);
}

static void test_periodic_flag_without_pie(Fixture *f, gconstpointer data)
{
    cmos_write(f, 0x0a, 0x26);
    cmos_read(f, 0x0c);
    /* No timer runs for a flag nobody is interrupted by. */
    g_assert_cmpint(timerlist_deadline_ns(&f->m->timers), ==, -1);
    step(f, 10 * 1000 * 1000);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x40);      /* PF, no IRQF */
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);      /* read cleared it */
    g_assert_cmpint(f->raises, ==, 0);
    /* Enabling PIE with PF pending interrupts at once. */
    step(f, 10 * 1000 * 1000);
    cmos_write(f, 0x0b, 0x42);
    g_assert_cmpint(f->raises, ==, 1);
    g_assert_cmpint(f->m->gsi[8]->level, ==, 1);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0xc0);
    g_assert_cmpint(f->m->gsi[8]->level, ==, 0);
}

static void test_update_interrupt(Fixture *f, gconstpointer data)
{
    cmos_write(f, 0x0a, 0x20);      /* no periodic rate: PF stays clear */
    align_divider(f);
    cmos_read(f, 0x0c);
    cmos_write(f, 0x0b, 0x02 | 0x10);
    step(f, NS_PER_SEC / 2 - 1000);
    g_assert_cmpint(f->raises, ==, 0);
    step(f, 1000);
    g_assert_cmpint(f->raises, ==, 1);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x90);
    g_assert_cmpint(f->m->gsi[8]->level, ==, 0);
    g_assert_cmpint(f->lowers, ==, 1);
    g_assert_cmpint(count_irqs_one_second(f), ==, 1);
    /* Setting SET clears UIE and stops updates. */
    cmos_write(f, 0x0b, 0x82 | 0x10);
    g_assert_cmphex(cmos_read(f, 0x0b), ==, 0x82);
    step(f, 3 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
}

static void test_alarm(Fixture *f, gconstpointer data)
{
    set_time_bcd(f, 0x20, 0x25, 0x07, 0x04, 0x12, 0x00, 0x00);
    cmos_write(f, 0x0a, 0x20);      /* no periodic rate: PF stays clear */
    align_divider(f);               /* 12:00:01 arrives in 0.5 s */
    cmos_write(f, 0x01, 0x05);
    cmos_write(f, 0x03, 0x00);
    cmos_write(f, 0x05, 0x12);
    cmos_read(f, 0x0c);
    cmos_write(f, 0x0b, 0x02 | 0x20);
    step(f, 4 * NS_PER_SEC + NS_PER_SEC / 2 - 1000);
    g_assert_cmpint(f->raises, ==, 0);
    step(f, 1000);                  /* 12:00:05 */
    g_assert_cmpint(f->raises, ==, 1);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0xa0 | 0x10);
    step(f, 10 * NS_PER_SEC);
    g_assert_cmpint(f->raises, ==, 1);

    /* Don't-care hour and minute: every minute at second 30. */
    cmos_write(f, 0x01, 0x30);
    cmos_write(f, 0x03, 0xc0);
    cmos_write(f, 0x05, 0xff);
    cmos_read(f, 0x0c);
    int n = 0;
    for (int i = 0; i < 180; i++) {
        step(f, NS_PER_SEC);
        if (f->m->gsi[8]->level) {
            g_assert_cmphex(cmos_read(f, 0x00), ==, 0x30);
            g_assert_cmphex(cmos_read(f, 0x0c) & 0xa0, ==, 0xa0);
            n++;
        }
    }
    g_assert_cmpint(n, ==, 3);

    /* With AIE off the flag is still set (found lazily) but no interrupt. */
    cmos_write(f, 0x0b, 0x02);
    cmos_read(f, 0x0c);
    int raises = f->raises;
    step(f, 70 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x30);      /* AF | UF */
    g_assert_cmpint(f->raises, ==, raises);
    /* An alarm that can never match never sets AF. */
    cmos_write(f, 0x05, 0x25);
    cmos_write(f, 0x03, 0x00);
    cmos_write(f, 0x01, 0x00);
    cmos_read(f, 0x0c);
    step(f, 2 * 86400 * NS_PER_SEC);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x10);
}

static void test_nvram(Fixture *f, gconstpointer data)
{
    for (unsigned a = 14; a < 128; a++) {
        if (a == 0x32) {
            continue;
        }
        cmos_write(f, a, (uint8_t)(a * 7 + 3));
    }
    for (unsigned a = 14; a < 128; a++) {
        if (a == 0x32) {
            continue;
        }
        g_assert_cmphex(cmos_read(f, a), ==, (uint8_t)(a * 7 + 3));
        g_assert_cmphex(rtc_get_cmos(f->rtc, a), ==, (uint8_t)(a * 7 + 3));
    }
    /* Bit 7 of the index is the NMI mask, not part of the address. */
    ioport_write(&f->m->io, 0x70, 0x80 | 0x40, 1);
    ioport_write(&f->m->io, 0x71, 0xa5, 1);
    g_assert_cmphex(cmos_read(f, 0x40), ==, 0xa5);
    /* Board API. */
    rtc_set_cmos(f->rtc, 0x34, 0x12);
    rtc_set_cmos(f->rtc, 0x35, 0x34);
    g_assert_cmphex(cmos_read(f, 0x34), ==, 0x12);
    g_assert_cmphex(cmos_read(f, 0x35), ==, 0x34);
    g_assert_cmphex(rtc_get_cmos(f->rtc, 0x0d), ==, 0x80);
    g_assert_cmphex(rtc_get_cmos(f->rtc, 200), ==, 0xff);
    rtc_set_cmos(f->rtc, 200, 1);   /* ignored, no crash */
    /* rtc_get_cmos does not clear register C. */
    cmos_write(f, 0x0a, 0x26);
    step(f, NS_PER_SEC / 100);
    g_assert_cmphex(rtc_get_cmos(f->rtc, 0x0c), ==, 0x40);
    g_assert_cmphex(rtc_get_cmos(f->rtc, 0x0c), ==, 0x40);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x40);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
}

static void test_reset(Fixture *f, gconstpointer data)
{
    cmos_write(f, 0x50, 0x77);
    cmos_write(f, 0x0b, 0x02 | 0x40 | 0x20 | 0x10);
    step(f, 2 * NS_PER_SEC);
    g_assert_cmpint(f->m->gsi[8]->level, ==, 1);
    int64_t t = read_rtc_time(f, true);
    device_reset(f->rtc);
    g_assert_cmpint(f->m->gsi[8]->level, ==, 0);
    g_assert_cmphex(cmos_read(f, 0x0b), ==, 0x02);
    g_assert_cmphex(cmos_read(f, 0x0c), ==, 0x00);
    g_assert_cmphex(cmos_read(f, 0x50), ==, 0x77);
    g_assert_cmpint(llabs(read_rtc_time(f, true) - t), <=, 1);
    g_assert_cmpint(timerlist_deadline_ns(&f->m->timers), ==, -1);
}

static void test_garbage_is_harmless(Fixture *f, gconstpointer data)
{
    /* Every byte to every register, then time keeps running sanely. */
    for (unsigned reg = 0; reg < 128; reg++) {
        for (unsigned v = 0; v < 256; v += 17) {
            cmos_write(f, reg, v);
            cmos_read(f, reg);
        }
    }
    cmos_write(f, 0x0a, 0x26);
    cmos_write(f, 0x0b, 0x02);
    step(f, NS_PER_SEC);
    cmos_read(f, 0x00);
    step(f, -1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add("/hw/rtc/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("power-on-registers", test_power_on_registers);
    ADD("host-time-bcd", test_host_time_bcd);
    ADD("host-time-binary", test_host_time_binary);
    ADD("set-time-rollover", test_set_time_and_rollover);
    ADD("set-freezes", test_set_freezes);
    ADD("write-while-running", test_write_while_running);
    ADD("twelve-hour", test_twelve_hour_mode);
    ADD("uip", test_uip);
    ADD("periodic-rates", test_periodic_rates);
    ADD("periodic-flag-without-pie", test_periodic_flag_without_pie);
    ADD("update-interrupt", test_update_interrupt);
    ADD("alarm", test_alarm);
    ADD("nvram", test_nvram);
    ADD("reset", test_reset);
    ADD("garbage", test_garbage_is_harmless);
#undef ADD
    return g_test_run();
}
