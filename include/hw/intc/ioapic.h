/*
 * ioapic.h: the 82093AA I/O APIC (hw/intc/ioapic.c) as the board sees it.
 *
 * The IOAPIC turns its 24 input pins into messages on the APIC bus. It does not
 * know the local APICs: the board supplies a deliver() callback that finds the
 * destination LAPIC(s) (lapic_match_dest) and hands them the message
 * (lapic_deliver), or under KVM with kernel-irqchip=off injects it.
 * Level-triggered entries stay "remote IRR" busy until a LAPIC EOIs the vector;
 * the board forwards that EOI with ioapic_eoi().
 */
#ifndef HW_INTC_IOAPIC_H
#define HW_INTC_IOAPIC_H

#include "hw/device.h"
#include "hw/irq.h"

#define IOAPIC_NUM_PINS       24
#define IOAPIC_DEFAULT_BASE   0xfec00000ULL
#define IOAPIC_VERSION        0x20

/* Delivery modes (redirection entry bits 8-10; same encoding as the LAPIC ICR). */
#define APIC_DM_FIXED    0
#define APIC_DM_LOWEST   1
#define APIC_DM_SMI      2
#define APIC_DM_NMI      4
#define APIC_DM_INIT     5
#define APIC_DM_SIPI     6
#define APIC_DM_EXTINT   7

/* A message to the APIC bus. dest is the 8-bit destination field, logical
 * selects logical (LDR/DFR) rather than physical (APIC ID) matching. */
typedef void (*IOAPICDeliverFn)(void *opaque, uint8_t dest, bool logical, uint8_t mode,
                                uint8_t vector, bool level_trig);

void ioapic_set_deliver(Device *ioapic, IOAPICDeliverFn fn, void *opaque);
/* Input pin n (0..23) as an IRQ line; level 1 = asserted. The board points the
 * machine's gsi[] handlers at these (or calls ioapic_set_irq directly). */
IRQLine *ioapic_input(Device *ioapic, unsigned n);
void ioapic_set_irq(Device *ioapic, unsigned n, int level);
/* A LAPIC EOI'd a level-triggered vector: clear remote IRR of every entry with
 * that vector and re-deliver those whose pin is still asserted. */
void ioapic_eoi(Device *ioapic, uint8_t vector);
/* Raw redirection entry (for the board/debugging); 0 if n is out of range. */
uint64_t ioapic_get_redirection(Device *ioapic, unsigned n);

#endif
