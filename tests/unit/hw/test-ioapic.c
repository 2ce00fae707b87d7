/*
 * test-ioapic.c: unit tests of the 82093AA I/O APIC model (hw/intc/ioapic.c),
 * driven through its MMIO window at 0xfec00000 on a harness machine, with a
 * recording APIC-bus callback standing in for the board.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/intc/ioapic.h"
#include "system/machine.h"

#define BASE 0xfec00000ULL

typedef struct Msg {
    uint8_t dest;
    bool logical;
    uint8_t mode;
    uint8_t vector;
    bool level_trig;
} Msg;

typedef struct Fixture {
    Machine *m;
    Device *io;
    Msg msgs[64];
    int nmsgs;
} Fixture;

static void record(void *opaque, uint8_t dest, bool logical, uint8_t mode,
                   uint8_t vector, bool level_trig)
{
    Fixture *f = opaque;
    g_assert_cmpint(f->nmsgs, <, (int)ARRAY_SIZE(f->msgs));
    f->msgs[f->nmsgs++] = (Msg){ dest, logical, mode, vector, level_trig };
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    f->io = device_create(f->m, "ioapic", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->io);
    ioapic_set_deliver(f->io, record, f);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
}

static uint32_t reg_read(Fixture *f, uint32_t idx)
{
    memmap_store(&f->m->mem, BASE, idx, 4);
    return (uint32_t)memmap_load(&f->m->mem, BASE + 0x10, 4);
}

static void reg_write(Fixture *f, uint32_t idx, uint32_t val)
{
    memmap_store(&f->m->mem, BASE, idx, 4);
    memmap_store(&f->m->mem, BASE + 0x10, val, 4);
}

static void rte_write(Fixture *f, unsigned n, uint64_t v)
{
    reg_write(f, 0x11 + 2 * n, (uint32_t)(v >> 32));
    reg_write(f, 0x10 + 2 * n, (uint32_t)v);
}

static uint64_t rte_read(Fixture *f, unsigned n)
{
    return ((uint64_t)reg_read(f, 0x11 + 2 * n) << 32) | reg_read(f, 0x10 + 2 * n);
}

static void pin(Fixture *f, unsigned n, int level)
{
    irq_set(ioapic_input(f->io, n), level);
}

static void test_registers(Fixture *f, gconstpointer data)
{
    g_assert_cmphex(reg_read(f, 0x01), ==, 0x00170020);
    g_assert_cmphex(reg_read(f, 0x00), ==, 0);
    reg_write(f, 0x00, 0x0a000000);
    g_assert_cmphex(reg_read(f, 0x00), ==, 0x0a000000);
    /* Only bits 24-27 are the ID. */
    reg_write(f, 0x00, 0xffffffff);
    g_assert_cmphex(reg_read(f, 0x00), ==, 0x0f000000);
    g_assert_cmphex(reg_read(f, 0x02), ==, 0x0f000000);
    /* Version is read-only. */
    reg_write(f, 0x01, 0);
    g_assert_cmphex(reg_read(f, 0x01), ==, 0x00170020);
    /* IOREGSEL reads back. */
    memmap_store(&f->m->mem, BASE, 0x13, 4);
    g_assert_cmphex(memmap_load(&f->m->mem, BASE, 4), ==, 0x13);
    /* Every entry is masked after reset. */
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        g_assert_cmphex(rte_read(f, n), ==, 0x10000);
    }
    /* Beyond entry 23, and reserved indices, read 0 and take no writes. */
    g_assert_cmphex(reg_read(f, 0x10 + 2 * 24), ==, 0);
    reg_write(f, 0x40, 0x1234);
    g_assert_cmphex(reg_read(f, 0x40), ==, 0);
    g_assert_cmphex(reg_read(f, 0x03), ==, 0);
    /* Writable fields round-trip; delivery status, remote IRR and reserved
     * bits 17-55 do not stick. */
    rte_write(f, 7, 0xff00000000000000ULL | 0x1ffffffULL);
    g_assert_cmphex(rte_read(f, 7), ==, 0xff0000000001afffULL);
    g_assert_cmphex(ioapic_get_redirection(f->io, 7), ==, 0xff0000000001afffULL);
    g_assert_cmpint(f->nmsgs, ==, 0);
    /* Reset masks everything again and restores the ID. */
    device_reset(f->io);
    g_assert_cmphex(rte_read(f, 7), ==, 0x10000);
    g_assert_cmphex(reg_read(f, 0x00), ==, 0);
}

static void test_edge(Fixture *f, gconstpointer data)
{
    /* Pin 3: vector 0x31, fixed, physical destination 2, edge, active high. */
    rte_write(f, 3, 0x0200000000000031ULL);
    pin(f, 3, 1);
    g_assert_cmpint(f->nmsgs, ==, 1);
    g_assert_cmpuint(f->msgs[0].dest, ==, 2);
    g_assert_false(f->msgs[0].logical);
    g_assert_cmpuint(f->msgs[0].mode, ==, APIC_DM_FIXED);
    g_assert_cmphex(f->msgs[0].vector, ==, 0x31);
    g_assert_false(f->msgs[0].level_trig);
    /* No new edge while held high; no remote IRR for edge entries. */
    pin(f, 3, 1);
    g_assert_cmpint(f->nmsgs, ==, 1);
    g_assert_cmphex(rte_read(f, 3) & (1 << 14), ==, 0);
    pin(f, 3, 0);
    pin(f, 3, 1);
    g_assert_cmpint(f->nmsgs, ==, 2);
    pin(f, 3, 0);
    /* An edge while masked is lost, and unmasking does not replay it. */
    rte_write(f, 3, 0x0200000000010031ULL);
    pin(f, 3, 1);
    pin(f, 3, 0);
    rte_write(f, 3, 0x0200000000000031ULL);
    g_assert_cmpint(f->nmsgs, ==, 2);
    /* Other pins are independent; logical mode and lowest priority pass through. */
    rte_write(f, 4, 0x0300000000000940ULL);
    pin(f, 4, 1);
    g_assert_cmpint(f->nmsgs, ==, 3);
    g_assert_cmpuint(f->msgs[2].dest, ==, 3);
    g_assert_true(f->msgs[2].logical);
    g_assert_cmpuint(f->msgs[2].mode, ==, APIC_DM_LOWEST);
    g_assert_cmphex(f->msgs[2].vector, ==, 0x40);
    /* Pins out of range are ignored. */
    g_assert_null(ioapic_input(f->io, 24));
    ioapic_set_irq(f->io, 24, 1);
    ioapic_set_irq(f->io, 1000, 1);
    g_assert_cmpint(f->nmsgs, ==, 3);
}

static void test_level(Fixture *f, gconstpointer data)
{
    /* Pin 10: vector 0x45, fixed, level, active low, physical dest 1. */
    rte_write(f, 10, 0x010000000000a045ULL);
    pin(f, 10, 1);
    g_assert_cmpint(f->nmsgs, ==, 1);
    g_assert_true(f->msgs[0].level_trig);
    g_assert_cmphex(f->msgs[0].vector, ==, 0x45);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), !=, 0);
    /* Still asserted, remote IRR set: no second message. */
    pin(f, 10, 1);
    g_assert_cmpint(f->nmsgs, ==, 1);
    /* Remote IRR is read-only for the guest. */
    rte_write(f, 10, 0x010000000000a045ULL);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), !=, 0);
    g_assert_cmpint(f->nmsgs, ==, 1);
    /* An EOI for another vector changes nothing. */
    ioapic_eoi(f->io, 0x46);
    g_assert_cmpint(f->nmsgs, ==, 1);
    /* EOI while the pin is still asserted: delivered again. */
    ioapic_eoi(f->io, 0x45);
    g_assert_cmpint(f->nmsgs, ==, 2);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), !=, 0);
    /* Deasserted, then EOI through the version-0x20 EOI register. */
    pin(f, 10, 0);
    memmap_store(&f->m->mem, BASE + 0x40, 0x45, 4);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), ==, 0);
    g_assert_cmpint(f->nmsgs, ==, 2);
    /* Masked while asserted: nothing; unmasking delivers. */
    rte_write(f, 10, 0x010000000001a045ULL);
    pin(f, 10, 1);
    g_assert_cmpint(f->nmsgs, ==, 2);
    rte_write(f, 10, 0x010000000000a045ULL);
    g_assert_cmpint(f->nmsgs, ==, 3);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), !=, 0);
    /* Two level pins sharing a vector are both released by one EOI. */
    rte_write(f, 11, 0x010000000000a045ULL);
    pin(f, 11, 1);
    g_assert_cmpint(f->nmsgs, ==, 4);
    pin(f, 10, 0);
    pin(f, 11, 0);
    ioapic_eoi(f->io, 0x45);
    g_assert_cmphex(rte_read(f, 10) & (1 << 14), ==, 0);
    g_assert_cmphex(rte_read(f, 11) & (1 << 14), ==, 0);
    g_assert_cmpint(f->nmsgs, ==, 4);
}

static void test_modes(Fixture *f, gconstpointer data)
{
    static const uint8_t modes[] = { APIC_DM_SMI, APIC_DM_NMI, APIC_DM_INIT,
                                     APIC_DM_EXTINT };
    for (unsigned i = 0; i < ARRAY_SIZE(modes); i++) {
        rte_write(f, i, ((uint64_t)modes[i] << 8) | 0x20 | (1 << 15));
        pin(f, i, 1);
        g_assert_cmpint(f->nmsgs, ==, (int)i + 1);
        g_assert_cmpuint(f->msgs[i].mode, ==, modes[i]);
        /* Only fixed and lowest-priority messages are EOI'd: no remote IRR. */
        g_assert_cmphex(rte_read(f, i) & (1 << 14), ==, 0);
    }
    /* Rewriting an unmasked entry sends nothing; unmasking an asserted level
     * NMI entry sends it again. */
    rte_write(f, 1, ((uint64_t)APIC_DM_NMI << 8) | (1 << 15));
    g_assert_cmpint(f->nmsgs, ==, 4);
    rte_write(f, 1, ((uint64_t)APIC_DM_NMI << 8) | (1 << 15) | (1 << 16));
    g_assert_cmpint(f->nmsgs, ==, 4);
    rte_write(f, 1, ((uint64_t)APIC_DM_NMI << 8) | (1 << 15));
    g_assert_cmpint(f->nmsgs, ==, 5);
}

static void test_no_deliver_hook(Fixture *f, gconstpointer data)
{
    /* Without a board callback an interrupt goes nowhere but state still moves. */
    ioapic_set_deliver(f->io, NULL, NULL);
    rte_write(f, 2, 0x000000000000a050ULL);
    pin(f, 2, 1);
    g_assert_cmphex(rte_read(f, 2) & (1 << 14), !=, 0);
    ioapic_eoi(f->io, 0x50);
    g_assert_cmpint(f->nmsgs, ==, 0);
}

static void test_bad_props(void)
{
    Error *err = NULL;
    Machine *m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    Device *d = device_new(m, "ioapic", &err);
    g_assert_nonnull(d);
    g_assert_true(device_set_prop(d, "base", "0xfec00100", &err));
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(err);
    error_free(err);
    err = NULL;
    device_destroy(d);
    d = device_new(m, "ioapic", &err);
    g_assert_true(device_set_prop(d, "id", "16", &err));
    g_assert_false(device_realize(d, &err));
    g_assert_nonnull(err);
    error_free(err);
    device_destroy(d);
    machine_free(m);
}

#define T(name, fn) \
    g_test_add("/ioapic/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    T("registers", test_registers);
    T("edge", test_edge);
    T("level", test_level);
    T("modes", test_modes);
    T("no-deliver-hook", test_no_deliver_hook);
    g_test_add_func("/ioapic/bad-props", test_bad_props);
    return g_test_run();
}
