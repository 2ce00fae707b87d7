/*
 * test-i8254.c: unit tests of "isa-pit" (hw/timer/i8254.c) through ports
 * 0x40-0x43 and 0x61 on a machine with the manual (harness) clock, so the
 * counters move only when the test steps virtual time. IRQ 0 is observed on
 * m->gsi[0].
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/timer/i8254.h"
#include "system/machine.h"

#define NS_PER_SEC 1000000000LL

typedef struct Fixture {
    Machine *m;
    Device *pit;
    int raises;
} Fixture;

static void irq_observer(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level) {
        f->raises++;
    }
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    f->m->gsi[0]->handler = irq_observer;
    f->m->gsi[0]->opaque = f;
    f->pit = device_create(f->m, "isa-pit", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->pit);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
}

static void outb(Fixture *f, uint16_t port, uint8_t v)
{
    ioport_write(&f->m->io, port, v, 1);
}

static uint8_t inb(Fixture *f, uint16_t port)
{
    return ioport_read(&f->m->io, port, 1);
}

static int64_t now_ns(Fixture *f)
{
    return clock_ns(&f->m->timers.clock);
}

/* Step virtual time so exactly `ticks` PIT clocks have passed since t0. */
static void step_to_tick(Fixture *f, int64_t t0, int64_t ticks)
{
    int64_t target = t0 + (ticks * NS_PER_SEC + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ;
    g_assert_cmpint(target, >=, now_ns(f));
    timerlist_step(&f->m->timers, target - now_ns(f));
}

static void program(Fixture *f, int ch, uint8_t ctrl, uint16_t count)
{
    outb(f, 0x43, ctrl);
    outb(f, 0x40 + ch, count & 0xff);
    outb(f, 0x40 + ch, count >> 8);
}

static uint16_t read_lohi(Fixture *f, int ch)
{
    uint8_t lo = inb(f, 0x40 + ch);
    return lo | (inb(f, 0x40 + ch) << 8);
}

static void test_mode2_rate(Fixture *f, gconstpointer data)
{
    program(f, 0, 0x34, 1193);          /* ch0, LSB then MSB, mode 2: ~1000 Hz */
    int64_t t0 = now_ns(f);
    int start = f->raises;
    /* One second in 1 ms steps: a rising edge every 1193 clocks. */
    for (int i = 0; i < 1000; i++) {
        timerlist_step(&f->m->timers, NS_PER_SEC / 1000);
    }
    g_assert_cmpint(now_ns(f) - t0, ==, NS_PER_SEC);
    g_assert_cmpint(f->raises - start, ==, PIT_FREQ_HZ / 1193);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    /* OUT is low exactly during the last clock of each period. */
    int64_t base = (PIT_FREQ_HZ / 1193 + 1) * 1193;
    step_to_tick(f, t0, base - 1);
    g_assert_cmpint(pit_get_out(f->pit, 0), ==, 0);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 0);
    step_to_tick(f, t0, base);
    g_assert_cmpint(pit_get_out(f->pit, 0), ==, 1);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
}

static void test_mode3_square(Fixture *f, gconstpointer data)
{
    program(f, 0, 0x36, 11932);         /* mode 3: ~100 Hz */
    int64_t t0 = now_ns(f);
    int start = f->raises;
    timerlist_step(&f->m->timers, NS_PER_SEC);  /* the clock visits every edge */
    g_assert_cmpint(f->raises - start, ==, PIT_FREQ_HZ / 11932);
    /* Half high, half low, with the count going down by two. */
    int64_t p = (PIT_FREQ_HZ / 11932 + 1) * 11932;
    step_to_tick(f, t0, p + 5965);
    g_assert_cmpint(pit_get_out(f->pit, 0), ==, 1);
    g_assert_cmpuint(read_lohi(f, 0), ==, 11932 - 2 * 5965);
    step_to_tick(f, t0, p + 5966);
    g_assert_cmpint(pit_get_out(f->pit, 0), ==, 0);
    g_assert_cmpuint(read_lohi(f, 0), ==, 11932);
}

static void test_mode0_one_shot(Fixture *f, gconstpointer data)
{
    outb(f, 0x43, 0x30);
    g_assert_cmpint(pit_get_out(f->pit, 0), ==, 0);
    outb(f, 0x40, 1000 & 0xff);
    outb(f, 0x40, 1000 >> 8);
    int64_t t0 = now_ns(f);
    int start = f->raises;
    step_to_tick(f, t0, 999);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 0);
    g_assert_cmpuint(read_lohi(f, 0), ==, 1);
    step_to_tick(f, t0, 1000);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    timerlist_step(&f->m->timers, NS_PER_SEC);
    g_assert_cmpint(f->raises - start, ==, 1);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    /* The counter wraps on: 1000 - (1000 + x) mod 65536. */
    g_assert_cmpuint(read_lohi(f, 0), ==,
                     (uint16_t)(1000 - (1000 + PIT_FREQ_HZ)));
    /* A new count restarts the one-shot with OUT low. */
    outb(f, 0x40, 10);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 0);
    outb(f, 0x40, 0);
    t0 = now_ns(f);
    step_to_tick(f, t0, 10);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    g_assert_cmpint(f->raises - start, ==, 2);
}

static void test_latch(Fixture *f, gconstpointer data)
{
    program(f, 1, 0x74, 50000);         /* ch1, mode 2 */
    int64_t t0 = now_ns(f);
    step_to_tick(f, t0, 1000);
    outb(f, 0x43, 0x40);                /* latch ch1 */
    step_to_tick(f, t0, 3000);
    outb(f, 0x43, 0x40);                /* ignored: already latched */
    g_assert_cmpuint(read_lohi(f, 1), ==, 49000);
    /* Unlatched again: the live count. */
    g_assert_cmpuint(read_lohi(f, 1), ==, 47000);
    /* LSB-only access. */
    outb(f, 0x43, 0x54);                /* ch1, LSB, mode 2 */
    outb(f, 0x41, 200);
    t0 = now_ns(f);
    step_to_tick(f, t0, 50);
    g_assert_cmpuint(inb(f, 0x41), ==, 150);
    step_to_tick(f, t0, 250);
    g_assert_cmpuint(inb(f, 0x41), ==, 150);    /* period 200 */
}

static void test_readback_status(Fixture *f, gconstpointer data)
{
    outb(f, 0x43, 0x34);
    outb(f, 0x43, 0xe2);                /* read-back status of ch0 */
    g_assert_cmphex(inb(f, 0x40), ==, 0x80 | 0x40 | 0x34);  /* OUT, null count */
    outb(f, 0x40, 0x10);
    outb(f, 0x40, 0x27);                /* 10000 */
    int64_t t0 = now_ns(f);
    step_to_tick(f, t0, 123);
    outb(f, 0x43, 0xc2);                /* count and status of ch0 */
    step_to_tick(f, t0, 500);
    g_assert_cmphex(inb(f, 0x40), ==, 0x80 | 0x34);
    g_assert_cmpuint(read_lohi(f, 0), ==, 10000 - 123);
    /* BCD: 1000 decimal, one clock later 0999. */
    outb(f, 0x43, 0x35);
    outb(f, 0x40, 0x00);
    outb(f, 0x40, 0x10);
    t0 = now_ns(f);
    step_to_tick(f, t0, 1);
    g_assert_cmphex(read_lohi(f, 0), ==, 0x0999);
    outb(f, 0x43, 0xe2);
    g_assert_cmphex(inb(f, 0x40), ==, 0x80 | 0x35);
}

static void test_channel2_gate(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(inb(f, 0x61) & 0x23, ==, 0x00);
    program(f, 2, 0xb0, 100);           /* ch2, mode 0, gate low: not counting */
    int64_t t0 = now_ns(f);
    step_to_tick(f, t0, 500);
    g_assert_cmphex(inb(f, 0x61) & 0x20, ==, 0);
    g_assert_cmpuint(read_lohi(f, 2), ==, 100);
    outb(f, 0x61, 0x03);                /* gate and speaker on */
    g_assert_cmphex(inb(f, 0x61) & 0x03, ==, 0x03);
    t0 = now_ns(f);
    step_to_tick(f, t0, 99);
    g_assert_cmphex(inb(f, 0x61) & 0x20, ==, 0);
    step_to_tick(f, t0, 100);
    g_assert_cmphex(inb(f, 0x61) & 0x20, ==, 0x20);
    /* Channel 2 never touches IRQ 0. */
    g_assert_cmpint(f->raises, ==, 0);
    /* Refresh toggle (bit 4) flips every 15.085 us. */
    uint8_t a = inb(f, 0x61) & 0x10;
    timerlist_step(&f->m->timers, 15085);
    g_assert_cmphex(inb(f, 0x61) & 0x10, !=, a);
}

static void test_gate_modes(Fixture *f, gconstpointer data)
{
    /* Mode 1 (hardware one-shot) on channel 2: waits for a gate rising edge. */
    outb(f, 0x43, 0x92);                /* ch2, LSB, mode 1 */
    outb(f, 0x42, 50);
    int64_t t0 = now_ns(f);
    step_to_tick(f, t0, 500);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 1);
    outb(f, 0x61, 0x01);                /* trigger */
    t0 = now_ns(f);
    step_to_tick(f, t0, 49);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 0);
    step_to_tick(f, t0, 50);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 1);
    outb(f, 0x61, 0x00);
    outb(f, 0x61, 0x01);                /* retrigger: low again for 50 clocks */
    t0 = now_ns(f);
    step_to_tick(f, t0, 10);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 0);
    g_assert_cmpuint(inb(f, 0x42), ==, 40);
    /* Mode 2 with the gate low: OUT forced high and the count held; the
     * rising edge reloads. */
    outb(f, 0x43, 0x94);                /* ch2, LSB, mode 2 */
    outb(f, 0x42, 100);
    t0 = now_ns(f);
    step_to_tick(f, t0, 30);
    g_assert_cmpuint(inb(f, 0x42), ==, 70);
    outb(f, 0x61, 0x00);
    step_to_tick(f, t0, 99);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 1);
    outb(f, 0x61, 0x01);
    t0 = now_ns(f);
    step_to_tick(f, t0, 98);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 1);
    step_to_tick(f, t0, 99);
    g_assert_cmpint(pit_get_out(f->pit, 2), ==, 0);
    g_assert_cmpint(f->raises, ==, 0);
    /* Mode 4 (software strobe) on channel 0: one low clock at terminal count,
     * so one IRQ 0 edge. */
    outb(f, 0x43, 0x18);                /* ch0, LSB, mode 4: OUT goes high */
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    int start = f->raises;
    outb(f, 0x40, 20);
    t0 = now_ns(f);
    step_to_tick(f, t0, 20);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 0);
    step_to_tick(f, t0, 21);
    g_assert_cmpint(f->m->gsi[0]->level, ==, 1);
    timerlist_step(&f->m->timers, NS_PER_SEC / 10);
    g_assert_cmpint(f->raises - start, ==, 1);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define T(name, fn) \
    g_test_add("/i8254/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    T("mode2-rate", test_mode2_rate);
    T("mode3-square", test_mode3_square);
    T("mode0-one-shot", test_mode0_one_shot);
    T("latch", test_latch);
    T("readback-status", test_readback_status);
    T("channel2-gate", test_channel2_gate);
    T("gate-modes", test_gate_modes);
    return g_test_run();
}
