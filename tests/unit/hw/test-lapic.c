/*
 * test-lapic.c: unit tests of the local APIC model (hw/intc/lapic.c) on a
 * harness machine whose clock only moves when the test steps it: priorities,
 * IRR/ISR/EOI, the timer in each mode, IPIs through a recording bus, INIT/SIPI,
 * x2APIC MSRs, LINT pins; and the IOAPIC -> LAPIC -> EOI round trip.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/intc/ioapic.h"
#include "hw/intc/lapic.h"
#include "system/machine.h"

#define BASE 0xfee00000ULL

typedef struct Fixture {
    Machine *m;
    Device *apic;
    IRQLine *intr;
    int intr_level;
    int intr_raises;
    int inits, nmis, smis, sipis;
    uint8_t sipi_vector;
    LAPICMessage sent[16];
    int nsent;
    int eois;
    uint8_t eoi_vector;
    Device *ioapic;         /* for the round-trip test */
} Fixture;

static void intr_cb(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    if (level && !f->intr_level) {
        f->intr_raises++;
    }
    f->intr_level = level;
}

static void init_cb(void *cpu) { ((Fixture *)cpu)->inits++; }
static void nmi_cb(void *cpu) { ((Fixture *)cpu)->nmis++; }
static void smi_cb(void *cpu) { ((Fixture *)cpu)->smis++; }

static void sipi_cb(void *cpu, uint8_t vector)
{
    Fixture *f = cpu;
    f->sipis++;
    f->sipi_vector = vector;
}

static void send_cb(void *bus, Device *src, const LAPICMessage *msg)
{
    Fixture *f = bus;
    g_assert_true(src == f->apic);
    g_assert_cmpint(f->nsent, <, (int)ARRAY_SIZE(f->sent));
    f->sent[f->nsent++] = *msg;
}

static void eoi_cb(void *bus, uint8_t vector)
{
    Fixture *f = bus;
    f->eois++;
    f->eoi_vector = vector;
    if (f->ioapic) {
        ioapic_eoi(f->ioapic, vector);
    }
}

static Device *make_lapic(Fixture *f, const char *const *props)
{
    Error *err = NULL;
    Device *d = device_new(f->m, "lapic", &err);
    g_assert_nonnull(d);
    for (; props && props[0]; props += 2) {
        g_assert_true(device_set_prop(d, props[0], props[1], &err));
    }
    g_assert_true(device_realize(d, &err));
    g_assert_null(err);
    return d;
}

static void setup_with(Fixture *f, const char *const *props)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    f->apic = make_lapic(f, props);
    f->intr = irq_new(intr_cb, f, 0);
    LAPICHooks hooks = {
        .intr = f->intr, .cpu = f, .init = init_cb, .sipi = sipi_cb, .nmi = nmi_cb,
        .smi = smi_cb, .bus = f, .send = send_cb, .eoi = eoi_cb,
    };
    lapic_connect(f->apic, &hooks);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    static const char *const props[] = { "apic-id", "3", "bsp", "on",
                                         "map-mmio", "on", NULL };
    setup_with(f, props);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->intr);
}

static uint32_t rd(Fixture *f, unsigned off)
{
    return (uint32_t)memmap_load(&f->m->mem, BASE + off, 4);
}

static void wr(Fixture *f, unsigned off, uint32_t v)
{
    memmap_store(&f->m->mem, BASE + off, v, 4);
}

static void step(Fixture *f, int64_t ns)
{
    timerlist_step(&f->m->timers, ns);
}

static bool irr_bit(Fixture *f, unsigned v)
{
    return rd(f, 0x200 + (v / 32) * 16) & (1u << (v % 32));
}

static bool isr_bit(Fixture *f, unsigned v)
{
    return rd(f, 0x100 + (v / 32) * 16) & (1u << (v % 32));
}

static bool tmr_bit(Fixture *f, unsigned v)
{
    return rd(f, 0x180 + (v / 32) * 16) & (1u << (v % 32));
}

static void enable(Fixture *f)
{
    wr(f, 0xf0, 0x1ff);
}

static void test_power_on(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(lapic_get_base(f->apic), ==, 0xfee00900);
    g_assert_cmphex(rd(f, 0x20), ==, 0x03000000);
    g_assert_cmphex(rd(f, 0x30), ==, 0x50014);
    g_assert_cmphex(rd(f, 0xf0), ==, 0xff);
    g_assert_cmphex(rd(f, 0xe0), ==, 0xffffffff);
    g_assert_cmphex(rd(f, 0xd0), ==, 0);
    for (unsigned off = 0x320; off <= 0x370; off += 0x10) {
        g_assert_cmphex(rd(f, off), ==, 0x10000);
    }
    g_assert_cmphex(rd(f, 0x380), ==, 0);
    g_assert_cmphex(rd(f, 0x390), ==, 0);
    /* Writable ID; version read-only; narrow reads see the right bytes. */
    wr(f, 0x20, 0x07000000);
    g_assert_cmphex(rd(f, 0x20), ==, 0x07000000);
    g_assert_cmphex(lapic_get_id(f->apic), ==, 7);
    wr(f, 0x30, 0);
    g_assert_cmphex(rd(f, 0x30), ==, 0x50014);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0x32, 1), ==, 0x05);
    /* A register that does not exist reads 0 and is logged in ESR. */
    g_assert_cmphex(rd(f, 0x2f0), ==, 0);
    wr(f, 0x280, 0);
    g_assert_cmphex(rd(f, 0x280), ==, 0x80);
    wr(f, 0x280, 0);
    g_assert_cmphex(rd(f, 0x280), ==, 0);
    /* Reset brings the initial ID back. */
    device_reset(f->apic);
    g_assert_cmphex(rd(f, 0x20), ==, 0x03000000);
    g_assert_false(f->intr_level);
}

static void test_priority(Fixture *f, gconstpointer data)
{
    /* Software-disabled: IRR fills but nothing is presented. */
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x51, false);
    g_assert_true(irr_bit(f, 0x51));
    g_assert_false(lapic_has_interrupt(f->apic));
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_NONE);
    enable(f);
    g_assert_true(lapic_has_interrupt(f->apic));
    g_assert_true(f->intr_level);
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x62, false);
    lapic_deliver(f->apic, APIC_DM_LOWEST, 0x3a, false);
    /* Highest vector first; it moves from IRR to ISR and PPR follows. */
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x62);
    g_assert_false(irr_bit(f, 0x62));
    g_assert_true(isr_bit(f, 0x62));
    g_assert_cmphex(rd(f, 0xa0), ==, 0x60);
    g_assert_false(lapic_has_interrupt(f->apic));
    g_assert_false(f->intr_level);
    /* TPR class equal to the ISR class: PPR is the whole TPR. */
    wr(f, 0x80, 0x65);
    g_assert_cmphex(rd(f, 0xa0), ==, 0x65);
    wr(f, 0x80, 0x00);
    /* A same-class vector waits for the EOI; a higher class nests. */
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x6f, false);
    g_assert_false(lapic_has_interrupt(f->apic));
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x71, false);
    g_assert_true(lapic_has_interrupt(f->apic));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x71);
    g_assert_cmphex(rd(f, 0xa0), ==, 0x70);
    wr(f, 0xb0, 0);     /* EOI 0x71 */
    g_assert_false(isr_bit(f, 0x71));
    g_assert_true(isr_bit(f, 0x62));
    g_assert_cmphex(rd(f, 0xa0), ==, 0x60);
    wr(f, 0xb0, 0);     /* EOI 0x62 */
    g_assert_cmphex(rd(f, 0xa0), ==, 0x00);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x6f);
    wr(f, 0xb0, 0);
    /* TPR masks classes at or below it; PPR = TPR when above the ISR class. */
    wr(f, 0x80, 0x55);
    g_assert_cmphex(rd(f, 0x80), ==, 0x55);
    g_assert_cmphex(rd(f, 0xa0), ==, 0x55);
    g_assert_false(lapic_has_interrupt(f->apic));
    wr(f, 0x80, 0x40);
    g_assert_true(lapic_has_interrupt(f->apic));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x51);
    /* ISR class 5 above TPR class 4: PPR is the ISR class. */
    g_assert_cmphex(rd(f, 0xa0), ==, 0x50);
    wr(f, 0xb0, 0);
    g_assert_false(lapic_has_interrupt(f->apic));   /* 0x3a is below TPR 0x40 */
    wr(f, 0x80, 0);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x3a);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_NONE);
    wr(f, 0xb0, 0);
    /* APR: the TPR when it is above IRR and ISR classes. */
    wr(f, 0x80, 0x80);
    g_assert_cmphex(rd(f, 0x90), ==, 0x80);
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x95, false);
    g_assert_cmphex(lapic_get_apr(f->apic), ==, 0x90);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x95);
    wr(f, 0xb0, 0);
    wr(f, 0x80, 0);
}

static void test_spurious(Fixture *f, gconstpointer data)
{
    wr(f, 0xf0, 0x1ef);
    g_assert_cmphex(rd(f, 0xf0), ==, 0x1ef);
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x45, false);
    g_assert_true(f->intr_level);
    /* TPR raised between INTR and INTA: the CPU gets the spurious vector and
     * the request stays pending without going to ISR. */
    wr(f, 0x80, 0x50);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0xef);
    g_assert_true(irr_bit(f, 0x45));
    g_assert_false(isr_bit(f, 0x45));
    wr(f, 0x80, 0);
    /* Software disable: LVT entries get masked and stay masked. */
    wr(f, 0x350, 0x700);
    g_assert_cmphex(rd(f, 0x350), ==, 0x700);
    wr(f, 0xf0, 0xef);
    g_assert_false(lapic_has_interrupt(f->apic));
    g_assert_false(f->intr_level);
    g_assert_cmphex(rd(f, 0x350), ==, 0x10700);
    wr(f, 0x320, 0x30);
    g_assert_cmphex(rd(f, 0x320), ==, 0x10030);
    wr(f, 0xf0, 0x1ef);
    g_assert_true(lapic_has_interrupt(f->apic));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x45);
}

static void test_eoi_level(Fixture *f, gconstpointer data)
{
    enable(f);
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x70, true);
    g_assert_true(tmr_bit(f, 0x70));
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x30, false);
    g_assert_false(tmr_bit(f, 0x30));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x70);
    wr(f, 0xb0, 0);
    g_assert_cmpint(f->eois, ==, 1);
    g_assert_cmphex(f->eoi_vector, ==, 0x70);
    g_assert_false(tmr_bit(f, 0x70));
    /* Edge-triggered: no broadcast. */
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x30);
    wr(f, 0xb0, 0);
    g_assert_cmpint(f->eois, ==, 1);
    /* EOI with an empty ISR does nothing. */
    wr(f, 0xb0, 0);
    g_assert_cmpint(f->eois, ==, 1);
}

static void test_illegal_vector(Fixture *f, gconstpointer data)
{
    enable(f);
    lapic_deliver(f->apic, APIC_DM_FIXED, 5, false);
    g_assert_false(irr_bit(f, 5));
    /* ESR shows errors only after a write latches them. */
    g_assert_cmphex(rd(f, 0x280), ==, 0);
    wr(f, 0x280, 0);
    g_assert_cmphex(rd(f, 0x280), ==, 0x40);
    /* With LVT error unmasked the error raises its vector. */
    wr(f, 0x370, 0xfe);
    lapic_deliver(f->apic, APIC_DM_FIXED, 15, false);
    g_assert_true(irr_bit(f, 0xfe));
    /* Sending an illegal vector is a send error. */
    wr(f, 0x300, 0x4005);
    g_assert_cmpint(f->nsent, ==, 0);
    wr(f, 0x280, 0);
    g_assert_cmphex(rd(f, 0x280), ==, 0x60);
}

static const uint32_t divide_conf[] = { 0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa };
static const unsigned divide_val[] = { 1, 2, 4, 8, 16, 32, 64, 128 };

static void test_timer_oneshot(Fixture *f, gconstpointer data)
{
    enable(f);
    wr(f, 0x320, 0x40);             /* one-shot, vector 0x40 */
    for (unsigned i = 0; i < ARRAY_SIZE(divide_conf); i++) {
        int64_t period = 1000LL * divide_val[i];
        wr(f, 0x3e0, divide_conf[i]);
        g_assert_cmphex(rd(f, 0x3e0), ==, divide_conf[i]);
        wr(f, 0x380, 1000);
        g_assert_cmpuint(rd(f, 0x390), ==, 1000);
        step(f, period - 1);
        g_assert_false(irr_bit(f, 0x40));
        g_assert_cmpuint(rd(f, 0x390), ==, 1);
        step(f, 1);
        g_assert_true(irr_bit(f, 0x40));
        g_assert_cmpuint(rd(f, 0x390), ==, 0);
        g_assert_cmpint(lapic_intack(f->apic), ==, 0x40);
        wr(f, 0xb0, 0);
        /* One shot only. */
        step(f, period * 3);
        g_assert_false(irr_bit(f, 0x40));
        g_assert_cmpuint(rd(f, 0x390), ==, 0);
        g_assert_cmpuint(rd(f, 0x380), ==, 1000);
    }
    /* Writing 0 stops a running count. */
    wr(f, 0x3e0, 0xb);
    wr(f, 0x380, 100);
    step(f, 50);
    wr(f, 0x380, 0);
    step(f, 100);
    g_assert_false(irr_bit(f, 0x40));
    /* Masked: counts down but raises nothing. */
    wr(f, 0x320, 0x10040);
    wr(f, 0x380, 100);
    step(f, 100);
    g_assert_false(irr_bit(f, 0x40));
    g_assert_cmpuint(rd(f, 0x390), ==, 0);
    /* Changing the divider mid-count keeps the count and changes the rate. */
    wr(f, 0x320, 0x40);
    wr(f, 0x3e0, 0xb);
    wr(f, 0x380, 100);
    step(f, 40);                    /* 60 left */
    g_assert_cmpuint(rd(f, 0x390), ==, 60);
    wr(f, 0x3e0, 0x0);              /* divide by 2: 120 ns more */
    g_assert_cmpuint(rd(f, 0x390), ==, 60);
    step(f, 119);
    g_assert_false(irr_bit(f, 0x40));
    g_assert_cmpuint(rd(f, 0x390), ==, 1);
    step(f, 1);
    g_assert_true(irr_bit(f, 0x40));
}

static void test_timer_periodic(Fixture *f, gconstpointer data)
{
    enable(f);
    wr(f, 0x320, 0x20041);          /* periodic, vector 0x41 */
    wr(f, 0x3e0, 0x1);              /* divide by 4 */
    wr(f, 0x380, 250);              /* 1000 ns period */
    for (int i = 0; i < 10; i++) {
        step(f, 500);
        g_assert_false(irr_bit(f, 0x41));
        g_assert_cmpuint(rd(f, 0x390), ==, 125);
        step(f, 499);
        g_assert_false(irr_bit(f, 0x41));
        step(f, 1);
        g_assert_true(irr_bit(f, 0x41));
        /* Reloaded at the expiry. */
        g_assert_cmpuint(rd(f, 0x390), ==, 250);
        g_assert_cmpint(lapic_intack(f->apic), ==, 0x41);
        wr(f, 0xb0, 0);
    }
    /* Several periods at once coalesce into one pending interrupt and the
     * count stays in phase. */
    step(f, 3300);
    g_assert_true(irr_bit(f, 0x41));
    g_assert_cmpuint(rd(f, 0x390), ==, 250 - 75);
    /* Switching to one-shot: the next expiry is the last. */
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x41);
    wr(f, 0xb0, 0);
    wr(f, 0x320, 0x41);
    step(f, 700);
    g_assert_true(irr_bit(f, 0x41));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x41);
    wr(f, 0xb0, 0);
    step(f, 5000);
    g_assert_false(irr_bit(f, 0x41));
}

static void test_timer_late_loop(Fixture *f, gconstpointer data)
{
    enable(f);
    wr(f, 0x320, 0x20041);          /* periodic, vector 0x41 */
    wr(f, 0x3e0, 0xb);              /* divide by 1 */
    wr(f, 0x380, 10);               /* 10 ns period */
    /* The main loop wakes a million periods late: one callback, one pending
     * interrupt, the count in phase, the next expiry in the future. */
    f->m->timers.clock.manual_ns += 10 * 1000 * 1000 + 5;
    g_assert_true(timerlist_run_expired(&f->m->timers));
    g_assert_true(irr_bit(f, 0x41));
    g_assert_cmpuint(rd(f, 0x390), ==, 5);
    g_assert_cmpint(timerlist_deadline_ns(&f->m->timers), ==, 5);
}

static void test_timer_deadline(Fixture *f, gconstpointer data)
{
    uint64_t v;
    enable(f);
    /* Not in TSC-deadline mode: the MSR reads 0 and ignores writes. */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 12345));
    g_assert_true(lapic_msr_read(f->apic, MSR_IA32_TSC_DEADLINE, &v));
    g_assert_cmpuint(v, ==, 0);
    step(f, 1000);
    wr(f, 0x320, 0x40050);          /* TSC-deadline, vector 0x50 */
    /* Initial count is ignored in this mode. */
    wr(f, 0x380, 10);
    g_assert_cmpuint(rd(f, 0x380), ==, 0);
    step(f, 100);
    g_assert_false(irr_bit(f, 0x50));
    /* tsc-khz defaults to 1 GHz: TSC = virtual ns. Now = 1100. */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 6100));
    g_assert_true(lapic_msr_read(f->apic, MSR_IA32_TSC_DEADLINE, &v));
    g_assert_cmpuint(v, ==, 6100);
    step(f, 4999);
    g_assert_false(irr_bit(f, 0x50));
    step(f, 1);
    g_assert_true(irr_bit(f, 0x50));
    g_assert_true(lapic_msr_read(f->apic, MSR_IA32_TSC_DEADLINE, &v));
    g_assert_cmpuint(v, ==, 0);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x50);
    wr(f, 0xb0, 0);
    /* A deadline already passed fires at once. */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 10));
    g_assert_true(irr_bit(f, 0x50));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x50);
    wr(f, 0xb0, 0);
    /* Writing 0 disarms. */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 7000));
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 0));
    step(f, 10000);
    g_assert_false(irr_bit(f, 0x50));
    /* Leaving TSC-deadline mode disarms too. */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 20000));
    wr(f, 0x320, 0x50);
    step(f, 10000);
    g_assert_false(irr_bit(f, 0x50));
}

static void test_deadline_tsc_rate(void)
{
    static const char *const props[] = { "tsc-khz", "2000000", "map-mmio", "on", NULL };
    Fixture fx, *f = &fx;
    setup_with(f, props);
    enable(f);
    wr(f, 0x320, 0x40050);
    step(f, 1000);                  /* TSC = 2000 */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_TSC_DEADLINE, 2000 + 5000));
    step(f, 2499);
    g_assert_false(irr_bit(f, 0x50));
    step(f, 1);
    g_assert_true(irr_bit(f, 0x50));
    fixture_teardown(f, NULL);
}

static void test_ipi(Fixture *f, gconstpointer data)
{
    enable(f);
    /* Fixed, physical, destination 2. */
    wr(f, 0x310, 0x02000000);
    g_assert_cmphex(rd(f, 0x310), ==, 0x02000000);
    wr(f, 0x300, 0x4031);
    g_assert_cmpint(f->nsent, ==, 1);
    g_assert_cmpuint(f->sent[0].dest, ==, 2);
    g_assert_false(f->sent[0].logical);
    g_assert_cmpuint(f->sent[0].mode, ==, APIC_DM_FIXED);
    g_assert_cmphex(f->sent[0].vector, ==, 0x31);
    g_assert_cmpuint(f->sent[0].shorthand, ==, APIC_SH_NONE);
    /* Delivery status reads idle. */
    g_assert_cmphex(rd(f, 0x300), ==, 0x4031);
    /* Logical, lowest priority, level-triggered. */
    wr(f, 0x310, 0x0f000000);
    wr(f, 0x300, 0xc932);
    g_assert_cmpint(f->nsent, ==, 2);
    g_assert_true(f->sent[1].logical);
    g_assert_cmpuint(f->sent[1].mode, ==, APIC_DM_LOWEST);
    g_assert_true(f->sent[1].level_trig);
    g_assert_cmpuint(f->sent[1].dest, ==, 0x0f);
    /* NMI, INIT, SIPI to all but self. */
    wr(f, 0x300, 0xc0400);
    wr(f, 0x300, 0xc4500);
    wr(f, 0x300, 0xc0699);
    g_assert_cmpint(f->nsent, ==, 5);
    g_assert_cmpuint(f->sent[2].mode, ==, APIC_DM_NMI);
    g_assert_cmpuint(f->sent[3].mode, ==, APIC_DM_INIT);
    g_assert_cmpuint(f->sent[4].mode, ==, APIC_DM_SIPI);
    g_assert_cmphex(f->sent[4].vector, ==, 0x99);
    for (int i = 2; i < 5; i++) {
        g_assert_cmpuint(f->sent[i].shorthand, ==, APIC_SH_ALL_BUT_SELF);
    }
    /* All including self goes to the bus as well. */
    wr(f, 0x300, 0x84033);
    g_assert_cmpint(f->nsent, ==, 6);
    g_assert_cmpuint(f->sent[5].shorthand, ==, APIC_SH_ALL);
    /* Self: local, not on the bus. */
    wr(f, 0x300, 0x44041);
    g_assert_cmpint(f->nsent, ==, 6);
    g_assert_true(irr_bit(f, 0x41));
    /* INIT level de-assert does nothing. */
    wr(f, 0x300, 0x88500);
    g_assert_cmpint(f->nsent, ==, 6);
    g_assert_cmpint(f->inits, ==, 0);
}

static void test_init_sipi(Fixture *f, gconstpointer data)
{
    enable(f);
    wr(f, 0x80, 0x20);
    wr(f, 0x20, 0x09000000);
    lapic_deliver(f->apic, APIC_DM_FIXED, 0x77, false);
    lapic_deliver(f->apic, APIC_DM_INIT, 0, false);
    g_assert_cmpint(f->inits, ==, 1);
    /* INIT cleared the state but kept the (software-set) ID and base. */
    g_assert_cmphex(rd(f, 0x80), ==, 0);
    g_assert_cmphex(rd(f, 0xf0), ==, 0xff);
    g_assert_false(irr_bit(f, 0x77));
    g_assert_cmphex(rd(f, 0x20), ==, 0x09000000);
    g_assert_cmphex(lapic_get_base(f->apic), ==, 0xfee00900);
    lapic_deliver(f->apic, APIC_DM_SIPI, 0x9a, false);
    g_assert_cmpint(f->sipis, ==, 1);
    g_assert_cmphex(f->sipi_vector, ==, 0x9a);
    lapic_deliver(f->apic, APIC_DM_NMI, 0, false);
    lapic_deliver(f->apic, APIC_DM_SMI, 0, false);
    g_assert_cmpint(f->nmis, ==, 1);
    g_assert_cmpint(f->smis, ==, 1);
    /* Self-INIT through the ICR reaches the CPU callback too. */
    wr(f, 0x300, 0x44500);
    g_assert_cmpint(f->inits, ==, 2);
    /* A hardware-disabled APIC takes no messages. */
    g_assert_true(lapic_set_base(f->apic, 0xfee00000));
    lapic_deliver(f->apic, APIC_DM_SIPI, 0x10, false);
    g_assert_cmpint(f->sipis, ==, 1);
}

static void test_x2apic(Fixture *f, gconstpointer data)
{
    uint64_t v;
    /* x2APIC MSRs #GP in xAPIC mode. */
    g_assert_false(lapic_msr_read(f->apic, 0x802, &v));
    g_assert_false(lapic_msr_write(f->apic, 0x808, 0));
    /* Invalid base transitions. */
    g_assert_false(lapic_set_base(f->apic, 0xfee00400));     /* EXTD without EN */
    g_assert_false(lapic_set_base(f->apic, 0xfee00801));     /* reserved bit */
    g_assert_true(lapic_msr_write(f->apic, MSR_IA32_APICBASE, 0xfee00c00));
    g_assert_true(lapic_msr_read(f->apic, MSR_IA32_APICBASE, &v));
    g_assert_cmphex(v, ==, 0xfee00d00);                      /* BSP kept */
    g_assert_true(lapic_msr_read(f->apic, 0x802, &v));
    g_assert_cmphex(v, ==, 3);
    g_assert_true(lapic_msr_read(f->apic, 0x803, &v));
    g_assert_cmphex(v, ==, 0x50014);
    /* Logical ID derived from the ID: cluster 0, bit 3; read-only. */
    g_assert_true(lapic_msr_read(f->apic, 0x80d, &v));
    g_assert_cmphex(v, ==, 0x8);
    g_assert_false(lapic_msr_write(f->apic, 0x80d, 0));
    g_assert_false(lapic_msr_write(f->apic, 0x802, 5));
    /* No DFR, no ICR high, no APR in x2APIC mode. */
    g_assert_false(lapic_msr_read(f->apic, 0x80e, &v));
    g_assert_false(lapic_msr_read(f->apic, 0x831, &v));
    g_assert_false(lapic_msr_read(f->apic, 0x809, &v));
    /* The MMIO page is gone. */
    g_assert_cmphex(rd(f, 0x30), !=, 0x50014);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0x30, 4), ==, 0);
    /* SVR, TPR, PPR. */
    g_assert_true(lapic_msr_write(f->apic, 0x80f, 0x1ff));
    g_assert_true(lapic_msr_write(f->apic, 0x808, 0x30));
    g_assert_true(lapic_msr_read(f->apic, 0x80a, &v));
    g_assert_cmphex(v, ==, 0x30);
    g_assert_true(lapic_msr_write(f->apic, 0x808, 0));
    /* SELF IPI. */
    g_assert_true(lapic_msr_write(f->apic, 0x83f, 0x66));
    g_assert_true(lapic_msr_read(f->apic, 0x820 + 0x66 / 32, &v));
    g_assert_cmphex(v, ==, 1u << (0x66 % 32));
    g_assert_false(lapic_msr_read(f->apic, 0x83f, &v));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x66);
    g_assert_true(lapic_msr_read(f->apic, 0x810 + 0x66 / 32, &v));
    g_assert_cmphex(v, ==, 1u << (0x66 % 32));
    /* EOI takes only 0. */
    g_assert_false(lapic_msr_write(f->apic, 0x80b, 1));
    g_assert_true(lapic_msr_write(f->apic, 0x80b, 0));
    g_assert_true(lapic_msr_read(f->apic, 0x810 + 0x66 / 32, &v));
    g_assert_cmphex(v, ==, 0);
    /* 64-bit ICR with a 32-bit destination. */
    g_assert_true(lapic_msr_write(f->apic, 0x830, 0x0000012300004031ULL));
    g_assert_cmpint(f->nsent, ==, 1);
    g_assert_cmphex(f->sent[0].dest, ==, 0x123);
    g_assert_cmphex(f->sent[0].vector, ==, 0x31);
    g_assert_true(lapic_msr_read(f->apic, 0x830, &v));
    g_assert_cmphex(v, ==, 0x0000012300004031ULL);
    /* Timer through MSRs. */
    g_assert_true(lapic_msr_write(f->apic, 0x832, 0x42));
    g_assert_true(lapic_msr_write(f->apic, 0x83e, 0xb));
    g_assert_true(lapic_msr_write(f->apic, 0x838, 300));
    step(f, 100);
    g_assert_true(lapic_msr_read(f->apic, 0x839, &v));
    g_assert_cmpuint(v, ==, 200);
    g_assert_false(lapic_msr_write(f->apic, 0x839, 0));      /* read-only */
    step(f, 200);
    g_assert_true(lapic_msr_read(f->apic, 0x820 + 0x42 / 32, &v));
    g_assert_cmphex(v, ==, 1u << (0x42 % 32));
    /* ESR: only 0 may be written. */
    g_assert_false(lapic_msr_write(f->apic, 0x828, 1));
    g_assert_true(lapic_msr_write(f->apic, 0x828, 0));
    /* Upper half of 32-bit registers is reserved. */
    g_assert_false(lapic_msr_write(f->apic, 0x808, 1ULL << 32));
    /* Not an APIC MSR. */
    g_assert_false(lapic_msr_read(f->apic, 0x900, &v));
    /* Destination matching in x2APIC mode. */
    g_assert_true(lapic_match_dest(f->apic, 3, false));
    g_assert_false(lapic_match_dest(f->apic, 0x103, false));
    g_assert_true(lapic_match_dest(f->apic, 0xffffffff, false));
    g_assert_true(lapic_match_dest(f->apic, 0x0000000c, true));
    g_assert_false(lapic_match_dest(f->apic, 0x00010008, true));
    /* x2APIC -> xAPIC directly is invalid; via disabled it works. */
    g_assert_false(lapic_set_base(f->apic, 0xfee00800));
    g_assert_true(lapic_set_base(f->apic, 0xfee00000));
    g_assert_false(lapic_set_base(f->apic, 0xfee00c00));     /* disabled -> x2 */
    g_assert_true(lapic_set_base(f->apic, 0xfee00800));
    g_assert_cmphex(rd(f, 0x30), ==, 0x50014);
    g_assert_false(lapic_msr_read(f->apic, 0x802, &v));
}

static void test_base_move(Fixture *f, gconstpointer data)
{
    g_assert_true(lapic_set_base(f->apic, 0xfed00800));
    g_assert_cmphex((uint32_t)memmap_load(&f->m->mem, 0xfed00030, 4), ==, 0x50014);
    g_assert_cmphex(rd(f, 0x30), !=, 0x50014);
    g_assert_true(lapic_set_base(f->apic, 0xfee00800));
    g_assert_cmphex(rd(f, 0x30), ==, 0x50014);
}

static void test_dest_match(Fixture *f, gconstpointer data)
{
    /* Physical. */
    g_assert_true(lapic_match_dest(f->apic, 3, false));
    g_assert_false(lapic_match_dest(f->apic, 4, false));
    g_assert_true(lapic_match_dest(f->apic, 0xff, false));
    /* Flat logical: LDR bit 2. */
    wr(f, 0xd0, 0x04000000);
    g_assert_cmphex(rd(f, 0xd0), ==, 0x04000000);
    g_assert_true(lapic_match_dest(f->apic, 0x06, true));
    g_assert_false(lapic_match_dest(f->apic, 0x09, true));
    g_assert_true(lapic_match_dest(f->apic, 0xff, true));
    /* Cluster: cluster 2, member bit 1. */
    wr(f, 0xe0, 0x0fffffff);
    g_assert_cmphex(rd(f, 0xe0), ==, 0x0fffffff);
    wr(f, 0xd0, 0x22000000);
    g_assert_true(lapic_match_dest(f->apic, 0x23, true));
    g_assert_false(lapic_match_dest(f->apic, 0x21, true));
    g_assert_false(lapic_match_dest(f->apic, 0x32, true));
}

static void test_lint(Fixture *f, gconstpointer data)
{
    enable(f);
    /* LINT0 as ExtINT: the 8259's INT passes through to INTR. */
    wr(f, 0x350, 0x700);
    irq_raise(lapic_lint(f->apic, 0));
    g_assert_true(f->intr_level);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_EXTINT);
    irq_lower(lapic_lint(f->apic, 0));
    g_assert_false(f->intr_level);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_NONE);
    /* Masked ExtINT: nothing. */
    wr(f, 0x350, 0x10700);
    irq_raise(lapic_lint(f->apic, 0));
    g_assert_false(f->intr_level);
    irq_lower(lapic_lint(f->apic, 0));
    /* LINT1 as NMI, on rising edges. */
    wr(f, 0x360, 0x400);
    irq_raise(lapic_lint(f->apic, 1));
    irq_raise(lapic_lint(f->apic, 1));
    g_assert_cmpint(f->nmis, ==, 1);
    irq_lower(lapic_lint(f->apic, 1));
    /* LINT1 fixed, level-triggered: remote IRR until the EOI, then again. */
    wr(f, 0x360, 0x8000 | 0x58);
    irq_raise(lapic_lint(f->apic, 1));
    g_assert_true(irr_bit(f, 0x58));
    g_assert_cmphex(rd(f, 0x360) & (1 << 14), !=, 0);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x58);
    wr(f, 0xb0, 0);
    g_assert_true(irr_bit(f, 0x58));        /* still asserted */
    irq_lower(lapic_lint(f->apic, 1));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x58);
    wr(f, 0xb0, 0);
    g_assert_cmphex(rd(f, 0x360) & (1 << 14), ==, 0);
    g_assert_false(irr_bit(f, 0x58));
    /* An ExtINT message (from the IOAPIC) is taken once. */
    lapic_deliver(f->apic, APIC_DM_EXTINT, 0, false);
    g_assert_true(f->intr_level);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_EXTINT);
    g_assert_false(f->intr_level);
    /* Hardware-disabled APIC: LINT0 is INTR, LINT1 is NMI, whatever the LVT. */
    g_assert_true(lapic_set_base(f->apic, 0xfee00000));
    irq_raise(lapic_lint(f->apic, 0));
    g_assert_true(f->intr_level);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_EXTINT);
    irq_lower(lapic_lint(f->apic, 0));
    g_assert_false(f->intr_level);
    irq_raise(lapic_lint(f->apic, 1));
    g_assert_cmpint(f->nmis, ==, 2);
    g_assert_null(lapic_lint(f->apic, 2));
}

static void test_virtual_wire(void)
{
    static const char *const props[] = { "virtual-wire", "on", NULL };
    Fixture fx, *f = &fx;
    setup_with(f, props);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0xf0, 4), ==, 0x1ff);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0x350, 4), ==, 0x700);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0x360, 4), ==, 0x400);
    /* Not mapped by itself (map-mmio off): the board dispatches. */
    g_assert_cmphex((uint32_t)memmap_load(&f->m->mem, BASE + 0x30, 4), !=, 0x50014);
    g_assert_cmphex(lapic_mmio_read(f->apic, 0x30, 4), ==, 0x50014);
    lapic_set_lint(f->apic, 0, 1);
    g_assert_cmpint(lapic_intack(f->apic), ==, LAPIC_INTACK_EXTINT);
    lapic_set_lint(f->apic, 0, 0);
    fixture_teardown(f, NULL);
}

/* Board stand-in: IOAPIC messages go to the one LAPIC if it matches. */
static void route(void *opaque, uint8_t dest, bool logical, uint8_t mode, uint8_t vector,
                  bool level_trig)
{
    Fixture *f = opaque;
    if (lapic_match_dest(f->apic, dest, logical)) {
        lapic_deliver(f->apic, mode, vector, level_trig);
    }
}

static void test_ioapic_round_trip(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    f->ioapic = device_create(f->m, "ioapic", NULL, &err);
    g_assert_nonnull(f->ioapic);
    ioapic_set_deliver(f->ioapic, route, f);
    enable(f);
    /* Pin 9 level -> vector 0x61 to APIC 3; pin 4 edge -> vector 0x34 to APIC 5. */
    memmap_store(&f->m->mem, 0xfec00000, 0x23, 4);
    memmap_store(&f->m->mem, 0xfec00010, 0x03000000, 4);
    memmap_store(&f->m->mem, 0xfec00000, 0x22, 4);
    memmap_store(&f->m->mem, 0xfec00010, 0x8061, 4);
    memmap_store(&f->m->mem, 0xfec00000, 0x19, 4);
    memmap_store(&f->m->mem, 0xfec00010, 0x05000000, 4);
    memmap_store(&f->m->mem, 0xfec00000, 0x18, 4);
    memmap_store(&f->m->mem, 0xfec00010, 0x0034, 4);
    irq_raise(ioapic_input(f->ioapic, 4));
    g_assert_false(f->intr_level);          /* not for us */
    irq_raise(ioapic_input(f->ioapic, 9));
    g_assert_true(f->intr_level);
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x61);
    /* EOI while the device still holds the line: delivered again. */
    wr(f, 0xb0, 0);
    g_assert_cmpint(f->eois, ==, 1);
    g_assert_true(irr_bit(f, 0x61));
    irq_lower(ioapic_input(f->ioapic, 9));
    g_assert_cmpint(lapic_intack(f->apic), ==, 0x61);
    wr(f, 0xb0, 0);
    g_assert_cmpint(f->eois, ==, 2);
    g_assert_false(irr_bit(f, 0x61));
    g_assert_false(f->intr_level);
    g_assert_cmphex(ioapic_get_redirection(f->ioapic, 9) & (1 << 14), ==, 0);
}

/* Three CPUs on one APIC bus routed by apic_bus_deliver(). */
typedef struct SmpCpu {
    struct Smp *smp;
    int inits, sipis;
    uint8_t sipi_vector;
} SmpCpu;

typedef struct Smp {
    Machine *m;
    Device *apic[3];
    SmpCpu cpu[3];
} Smp;

static void smp_init_cb(void *cpu) { ((SmpCpu *)cpu)->inits++; }

static void smp_sipi_cb(void *cpu, uint8_t vector)
{
    SmpCpu *c = cpu;
    c->sipis++;
    c->sipi_vector = vector;
}

static void smp_send(void *bus, Device *src, const LAPICMessage *msg)
{
    Smp *smp = bus;
    apic_bus_deliver(smp->apic, 3, src, msg);
}

static bool smp_irr(Smp *smp, int i, unsigned v)
{
    return lapic_mmio_read(smp->apic[i], 0x200 + (v / 32) * 16, 4) & (1u << (v % 32));
}

static void smp_icr(Smp *smp, int i, uint32_t hi, uint32_t lo)
{
    lapic_mmio_write(smp->apic[i], 0x310, hi, 4);
    lapic_mmio_write(smp->apic[i], 0x300, lo, 4);
}

static void test_smp_bus(void)
{
    Error *err = NULL;
    Smp smp = { 0 };
    smp.m = unit_machine_new(16 * MiB, 3);
    g_assert_null(err);
    for (int i = 0; i < 3; i++) {
        char id[4];
        snprintf(id, sizeof(id), "%d", i);
        smp.apic[i] = device_new(smp.m, "lapic", &err);
        g_assert_true(device_set_prop(smp.apic[i], "apic-id", id, &err));
        g_assert_true(device_realize(smp.apic[i], &err));
        smp.cpu[i].smp = &smp;
        LAPICHooks hooks = { .cpu = &smp.cpu[i], .init = smp_init_cb,
                             .sipi = smp_sipi_cb, .bus = &smp, .send = smp_send };
        lapic_connect(smp.apic[i], &hooks);
        lapic_mmio_write(smp.apic[i], 0xf0, 0x1ff, 4);
    }
    /* The BSP wakes the others: INIT then SIPI to all but self. */
    smp_icr(&smp, 0, 0, 0xc4500);
    smp_icr(&smp, 0, 0, 0xc0608);
    g_assert_cmpint(smp.cpu[0].inits, ==, 0);
    g_assert_cmpint(smp.cpu[0].sipis, ==, 0);
    for (int i = 1; i < 3; i++) {
        g_assert_cmpint(smp.cpu[i].inits, ==, 1);
        g_assert_cmpint(smp.cpu[i].sipis, ==, 1);
        g_assert_cmphex(smp.cpu[i].sipi_vector, ==, 0x08);
        /* INIT left the APIC software-disabled; turn it back on. */
        lapic_mmio_write(smp.apic[i], 0xf0, 0x1ff, 4);
    }
    /* Physical fixed IPI to APIC 2 only. */
    smp_icr(&smp, 1, 0x02000000, 0x4041);
    g_assert_false(smp_irr(&smp, 0, 0x41));
    g_assert_false(smp_irr(&smp, 1, 0x41));
    g_assert_true(smp_irr(&smp, 2, 0x41));
    /* All including self. */
    smp_icr(&smp, 2, 0, 0x84042);
    for (int i = 0; i < 3; i++) {
        g_assert_true(smp_irr(&smp, i, 0x42));
    }
    /* Flat logical: CPU i has logical bit i; destination 0b101. */
    for (int i = 0; i < 3; i++) {
        lapic_mmio_write(smp.apic[i], 0xd0, 1u << (24 + i), 4);
    }
    smp_icr(&smp, 1, 0x05000000, 0x4843);
    g_assert_true(smp_irr(&smp, 0, 0x43));
    g_assert_false(smp_irr(&smp, 1, 0x43));
    g_assert_true(smp_irr(&smp, 2, 0x43));
    /* Lowest priority among all three: the one with the lowest TPR wins (with
     * IRR and ISR empty, APR = TPR). */
    for (int i = 0; i < 3; i++) {
        int v;
        while ((v = lapic_intack(smp.apic[i])) >= 0) {
            lapic_mmio_write(smp.apic[i], 0xb0, 0, 4);
        }
        g_assert_cmpint(v, ==, LAPIC_INTACK_NONE);
    }
    lapic_set_tpr(smp.apic[0], 0x30);
    lapic_set_tpr(smp.apic[1], 0x10);
    lapic_set_tpr(smp.apic[2], 0x20);
    g_assert_cmphex(lapic_get_tpr(smp.apic[1]), ==, 0x10);
    LAPICMessage msg = { .dest = 0x07, .logical = true, .mode = APIC_DM_LOWEST,
                         .vector = 0x44 };
    g_assert_cmpuint(apic_bus_deliver(smp.apic, 3, NULL, &msg), ==, 1);
    g_assert_false(smp_irr(&smp, 0, 0x44));
    g_assert_true(smp_irr(&smp, 1, 0x44));
    g_assert_false(smp_irr(&smp, 2, 0x44));
    /* A hardware-disabled APIC is off the bus. */
    g_assert_true(lapic_set_base(smp.apic[2], 0xfee00000));
    msg = (LAPICMessage){ .dest = 0xff, .mode = APIC_DM_FIXED, .vector = 0x45 };
    g_assert_cmpuint(apic_bus_deliver(smp.apic, 3, NULL, &msg), ==, 2);
    machine_free(smp.m);
}

static void test_bad_props(void)
{
    Error *err = NULL;
    Machine *m = unit_machine_new(16 * MiB, 1);
    Device *d = device_new(m, "lapic", &err);
    g_assert_true(device_set_prop(d, "bus-mhz", "0", &err));
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(err);
    error_free(err);
    err = NULL;
    device_destroy(d);
    d = device_new(m, "lapic", &err);
    g_assert_true(device_set_prop(d, "apic-id", "255", &err));
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(err);
    error_free(err);
    device_destroy(d);
    machine_free(m);
}

#define T(name, fn) \
    g_test_add("/lapic/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    T("power-on", test_power_on);
    T("priority", test_priority);
    T("spurious", test_spurious);
    T("eoi-level", test_eoi_level);
    T("illegal-vector", test_illegal_vector);
    T("timer-oneshot", test_timer_oneshot);
    T("timer-periodic", test_timer_periodic);
    T("timer-late-loop", test_timer_late_loop);
    T("timer-deadline", test_timer_deadline);
    g_test_add_func("/lapic/deadline-tsc-rate", test_deadline_tsc_rate);
    T("ipi", test_ipi);
    T("init-sipi", test_init_sipi);
    T("x2apic", test_x2apic);
    T("base-move", test_base_move);
    T("dest-match", test_dest_match);
    T("lint", test_lint);
    g_test_add_func("/lapic/virtual-wire", test_virtual_wire);
    T("ioapic-round-trip", test_ioapic_round_trip);
    g_test_add_func("/lapic/smp-bus", test_smp_bus);
    g_test_add_func("/lapic/bad-props", test_bad_props);
    return g_test_run();
}
