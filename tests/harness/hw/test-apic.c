/*
 * test-apic.c (harness): the board's interrupt wiring (hw/pc/pc.c) under
 * -accel qtest with the manual clock: ISA IRQ 0 (the PIT) reaches IOAPIC pin 2
 * and not pin 0, HPET timer 2 reaches pin 20, and the IOAPIC's messages land in
 * the local APIC's IRR (CPU 0's xAPIC page is mapped at 0xfee00000 when there
 * are no vCPUs). No CPU takes the interrupts, so IRR bits stay set to be read.
 */
#include <glib.h>
#include <stdlib.h>
#include "libharness.h"

#define MS 1000000LL
#define LAPIC 0xfee00000ULL
#define IOAPIC 0xfec00000ULL
#define HPET 0xfed00000ULL

static void ioapic_route(Harness *h, unsigned pin, uint32_t low)
{
    harness_writel(h, IOAPIC, 0x11 + 2 * pin);
    harness_writel(h, IOAPIC + 0x10, 0);            /* destination APIC ID 0 */
    harness_writel(h, IOAPIC, 0x10 + 2 * pin);
    harness_writel(h, IOAPIC + 0x10, low);
}

static bool irr_bit(Harness *h, unsigned vector)
{
    return harness_readl(h, LAPIC + 0x200 + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

static Harness *start(void)
{
    Harness *h = harness_start("");
    /* 8259A initialised and fully masked: its INTR (IOAPIC pin 0) stays low. */
    harness_outb(h, 0x20, 0x11);
    harness_outb(h, 0x21, 0x20);
    harness_outb(h, 0x21, 0x04);
    harness_outb(h, 0x21, 0x01);
    harness_outb(h, 0xa0, 0x11);
    harness_outb(h, 0xa1, 0x28);
    harness_outb(h, 0xa1, 0x02);
    harness_outb(h, 0xa1, 0x01);
    harness_outb(h, 0x21, 0xff);
    harness_outb(h, 0xa1, 0xff);
    harness_writel(h, LAPIC + 0xf0, 0x1ff);          /* APIC software enable */
    g_assert_cmphex(harness_readl(h, LAPIC + 0x30) & 0xff, ==, 0x14);
    return h;
}

static void test_pit_on_pin2(void)
{
    Harness *h = start();
    ioapic_route(h, 2, 0x30);                        /* fixed, edge, vector 0x30 */
    ioapic_route(h, 0, 0x33);
    g_assert_false(irr_bit(h, 0x30));
    harness_outb(h, 0x43, 0x34);                     /* PIT mode 2, ~1 kHz */
    harness_outb(h, 0x40, 1193 & 0xff);
    harness_outb(h, 0x40, 1193 >> 8);
    harness_clock_step(h, 3 * MS);
    g_assert_true(irr_bit(h, 0x30));
    g_assert_false(irr_bit(h, 0x33));                /* pin 0 is the 8259A's */
    harness_quit(h);
}

static void test_pit_masked(void)
{
    Harness *h = start();
    ioapic_route(h, 2, 0x10030);                     /* masked */
    harness_outb(h, 0x43, 0x34);
    harness_outb(h, 0x40, 1193 & 0xff);
    harness_outb(h, 0x40, 1193 >> 8);
    harness_clock_step(h, 3 * MS);
    g_assert_false(irr_bit(h, 0x30));
    harness_quit(h);
}

static void test_hpet_on_pin20(void)
{
    Harness *h = start();
    g_assert_cmphex(harness_readq(h, HPET) >> 32, ==, 10000000);  /* 10 ns */
    ioapic_route(h, 20, 0x32);
    harness_writeq(h, HPET + 0x140, (20u << 9) | (1u << 2));     /* timer 2 */
    harness_writeq(h, HPET + 0x148, 1000);                        /* 10 us */
    harness_writeq(h, HPET + 0x10, 1);
    harness_clock_step(h, 9000);
    g_assert_false(irr_bit(h, 0x32));
    harness_clock_step(h, 1000);
    g_assert_true(irr_bit(h, 0x32));
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/apic-wiring/pit-on-pin2", test_pit_on_pin2);
    g_test_add_func("/apic-wiring/pit-masked", test_pit_masked);
    g_test_add_func("/apic-wiring/hpet-on-pin20", test_hpet_on_pin20);
    return g_test_run();
}
