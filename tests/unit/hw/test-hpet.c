/*
 * test-hpet.c: unit tests of the HPET (hw/timer/hpet.c, IA-PC HPET 1.0a)
 * through its MMIO block at 0xfed00000 on a harness machine, whose manual
 * clock makes every count and match exact. The platform's GSI lines are
 * replaced by recorders.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"

#define BASE 0xfed00000ULL
#define T(n, reg) (0x100 + 0x20 * (n) + (reg))

typedef struct Fixture {
    Machine *m;
    Device *hpet;
    int rises[NUM_GSI];
    int level[NUM_GSI];
} Fixture;

static void line_handler(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level && !f->level[n]) {
        f->rises[n]++;
    }
    f->level[n] = level;
}

static void setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    for (int i = 0; i < NUM_GSI; i++) {
        f->m->gsi[i]->handler = line_handler;
        f->m->gsi[i]->opaque = f;
        f->m->gsi[i]->n = i;
    }
    f->hpet = device_create(f->m, "hpet", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->hpet);
}

static void teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
}

static uint64_t rd(Fixture *f, uint64_t off)
{
    return memmap_load(&f->m->mem, BASE + off, 8);
}

static uint32_t rd32(Fixture *f, uint64_t off)
{
    return (uint32_t)memmap_load(&f->m->mem, BASE + off, 4);
}

static void wr(Fixture *f, uint64_t off, uint64_t v)
{
    memmap_store(&f->m->mem, BASE + off, v, 8);
}

static void step(Fixture *f, int64_t ns)
{
    timerlist_step(&f->m->timers, ns);
}

static void test_caps(Fixture *f, gconstpointer data)
{
    uint64_t cap = rd(f, 0);
    g_assert_cmpuint(cap >> 32, ==, 10000000);          /* 10 ns in fs */
    g_assert_cmphex((cap >> 16) & 0xffff, ==, 0x8086);
    g_assert_cmpuint((cap >> 8) & 0x1f, ==, 2);         /* 3 timers */
    g_assert_true(cap & (1u << 13));                     /* 64-bit counter */
    g_assert_true(cap & (1u << 15));                     /* legacy route */
    g_assert_cmpuint(cap & 0xff, ==, 1);
    g_assert_cmphex(rd32(f, 4), ==, cap >> 32);          /* high half alone */
    /* Timers 0 and 1 periodic-capable, 2 not; routes 20-23. */
    g_assert_true(rd(f, T(0, 0)) & (1u << 4));
    g_assert_false(rd(f, T(2, 0)) & (1u << 4));
    g_assert_cmphex(rd(f, T(2, 0)) >> 32, ==, 0x00f00000);
}

static void test_counter(Fixture *f, gconstpointer data)
{
    step(f, 5000);
    g_assert_cmpuint(rd(f, 0xf0), ==, 0);               /* halted at reset */
    wr(f, 0x10, 1);
    step(f, 1000);
    g_assert_cmpuint(rd(f, 0xf0), ==, 100);             /* 100 MHz */
    wr(f, 0x10, 0);
    step(f, 1000);
    g_assert_cmpuint(rd(f, 0xf0), ==, 100);             /* stops where it is */
    wr(f, 0xf0, 0x123456789ULL);                         /* writable when halted */
    g_assert_cmphex(rd(f, 0xf0), ==, 0x123456789ULL);
    wr(f, 0x10, 1);
    step(f, 20);
    g_assert_cmphex(rd(f, 0xf0), ==, 0x123456789ULL + 2);
    wr(f, 0xf0, 5);                                      /* ignored while running */
    g_assert_cmphex(rd(f, 0xf0), ==, 0x123456789ULL + 2);
}

static void test_oneshot_edge(Fixture *f, gconstpointer data)
{
    wr(f, T(2, 0), (20u << 9) | (1u << 2));             /* pin 20, edge, enabled */
    wr(f, T(2, 8), 500);
    wr(f, 0x10, 1);
    step(f, 4990);
    g_assert_cmpint(f->rises[20], ==, 0);
    step(f, 10);
    g_assert_cmpint(f->rises[20], ==, 1);
    g_assert_cmpint(f->level[20], ==, 0);               /* a pulse */
    step(f, 100000);
    g_assert_cmpint(f->rises[20], ==, 1);               /* one-shot */
    /* A route the capability does not offer is refused. */
    wr(f, T(2, 0), (3u << 9) | (1u << 2));
    g_assert_cmpuint((rd(f, T(2, 0)) >> 9) & 0x1f, ==, 20);
}

static void test_periodic(Fixture *f, gconstpointer data)
{
    wr(f, 0x10, 1);
    step(f, 1000);                                       /* counter 100 */
    /* VAL_SET then comparator = now + 100, then the period. */
    wr(f, T(0, 0), (21u << 9) | (1u << 2) | (1u << 3) | (1u << 6));
    wr(f, T(0, 8), 200);
    wr(f, T(0, 8), 100);
    g_assert_cmpuint(rd(f, T(0, 8)), ==, 200);
    for (int i = 1; i <= 10; i++) {
        step(f, 1000);
        g_assert_cmpint(f->rises[21], ==, i);
    }
    g_assert_cmpuint(rd(f, T(0, 8)), ==, 1200);         /* comparator advanced */
    wr(f, T(0, 0), 21u << 9);                            /* interrupts off */
    step(f, 5000);
    g_assert_cmpint(f->rises[21], ==, 10);
}

static void test_level(Fixture *f, gconstpointer data)
{
    wr(f, T(2, 0), (22u << 9) | (1u << 2) | (1u << 1));  /* pin 22, level */
    wr(f, T(2, 8), 10);
    wr(f, 0x10, 1);
    step(f, 100);
    g_assert_cmpint(f->level[22], ==, 1);
    g_assert_cmphex(rd(f, 0x20), ==, 4);
    wr(f, 0x20, 1);                                      /* other bit: no effect */
    g_assert_cmpint(f->level[22], ==, 1);
    memmap_store(&f->m->mem, BASE + 0x20, 4, 4);         /* clear timer 2 */
    g_assert_cmphex(rd(f, 0x20), ==, 0);
    g_assert_cmpint(f->level[22], ==, 0);
}

static void test_legacy(Fixture *f, gconstpointer data)
{
    wr(f, T(0, 0), (20u << 9) | (1u << 2));
    wr(f, T(0, 8), 10);
    wr(f, T(1, 0), (20u << 9) | (1u << 2));
    wr(f, T(1, 8), 20);
    wr(f, 0x10, 3);                                      /* enable + legacy route */
    step(f, 300);
    g_assert_cmpint(f->rises[0], ==, 1);                 /* timer 0 -> IRQ 0 */
    g_assert_cmpint(f->rises[8], ==, 1);                 /* timer 1 -> IRQ 8 */
    g_assert_cmpint(f->rises[20], ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add("/hpet/" name, Fixture, NULL, setup, fn, teardown)
    ADD("caps", test_caps);
    ADD("counter", test_counter);
    ADD("oneshot-edge", test_oneshot_edge);
    ADD("periodic", test_periodic);
    ADD("level", test_level);
    ADD("legacy", test_legacy);
    return g_test_run();
}
