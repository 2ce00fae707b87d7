/*
 * lapic.h: the local APIC (hw/intc/lapic.c), one per vCPU, as the CPU and the
 * board see it. Intel SDM Vol. 3A chapter 10 (xAPIC and x2APIC).
 *
 * The LAPIC knows neither the other LAPICs nor the IOAPIC. Wiring, set by the
 * board with lapic_connect():
 *   - intr: raised while the CPU has an interrupt to take (lapic_has_interrupt);
 *     the CPU then calls lapic_intack() to get the vector.
 *   - send(): an IPI written to the ICR (other than to self); the board finds the
 *     targets with lapic_match_dest() and calls lapic_deliver() on each.
 *   - eoi(): EOI of a level-triggered vector; the board calls ioapic_eoi().
 *   - init()/sipi()/nmi()/smi(): what a received message does to the CPU.
 *   - read_tsc(): the CPU's TSC (for the TSC-deadline timer); if NULL the TSC
 *     is taken as the virtual clock scaled by the tsc-khz property.
 *
 * MMIO: with property map-mmio=true the device maps its xAPIC page at its APIC
 * base (the device harness, which has no vCPUs). With vCPUs every LAPIC lives
 * at the same address, so nothing is mapped there: the accelerator offers each
 * of a vCPU's accesses to an unmapped page to that vCPU's lapic_mmio_access(),
 * which claims those inside its own (possibly relocated) page.
 *
 * Both accelerators use the same calls: TCG checks lapic_has_interrupt() at
 * instruction boundaries; KVM with kernel-irqchip=off waits for intr, and when
 * the vCPU can take an interrupt calls lapic_intack() and KVM_INTERRUPT.
 */
#ifndef HW_INTC_LAPIC_H
#define HW_INTC_LAPIC_H

#include "hw/device.h"
#include "hw/irq.h"
#include "hw/intc/ioapic.h"

#define LAPIC_VERSION          0x50014   /* version 0x14, max LVT entry 5 */
#define LAPIC_MMIO_SIZE        0x1000
#define MSR_IA32_TSC_DEADLINE  0x6e0
#define MSR_X2APIC_FIRST       0x800
#define MSR_X2APIC_LAST        0x8ff
#define MSR_APICBASE_EXTD      (1ULL << 10)

/* lapic_intack(): the interrupt is the 8259's (ExtINT): ask the PIC for the vector. */
#define LAPIC_INTACK_EXTINT    (-2)
/* lapic_intack(): nothing to take (the request went away). */
#define LAPIC_INTACK_NONE      (-1)

/* ICR destination shorthand (bits 18-19). */
#define APIC_SH_NONE           0
#define APIC_SH_SELF           1
#define APIC_SH_ALL            2
#define APIC_SH_ALL_BUT_SELF   3

/* An interprocessor message from the ICR. dest is the 8-bit xAPIC destination
 * or the 32-bit x2APIC one; shorthand is APIC_SH_ALL or APIC_SH_ALL_BUT_SELF
 * (dest is then meaningless) or APIC_SH_NONE. */
typedef struct LAPICMessage {
    uint32_t dest;
    bool logical;
    uint8_t mode;           /* APIC_DM_* */
    uint8_t vector;
    uint8_t shorthand;
    bool level;             /* ICR bit 14 (assert) */
    bool level_trig;        /* ICR bit 15 */
} LAPICMessage;

typedef struct LAPICHooks {
    IRQLine *intr;
    void *cpu;
    void (*init)(void *cpu);
    void (*sipi)(void *cpu, uint8_t vector);
    void (*nmi)(void *cpu);
    void (*smi)(void *cpu);
    uint64_t (*read_tsc)(void *cpu);
    void *bus;
    void (*send)(void *bus, Device *src, const LAPICMessage *msg);
    void (*eoi)(void *bus, uint8_t vector);
} LAPICHooks;

void lapic_connect(Device *lapic, const LAPICHooks *hooks);

/* ---- CPU side ---- */
bool lapic_has_interrupt(Device *lapic);
/* Highest-priority IRR vector above PPR moves to ISR and is returned; or the
 * spurious vector if the request vanished under a TPR raise; or
 * LAPIC_INTACK_EXTINT / LAPIC_INTACK_NONE. */
int lapic_intack(Device *lapic);
/* IA32_APIC_BASE (MSR 0x1b). set returns false for an invalid value or
 * transition (the CPU raises #GP). */
uint64_t lapic_get_base(Device *lapic);
bool lapic_set_base(Device *lapic, uint64_t value);
/* x2APIC MSRs 0x800-0x8ff and IA32_TSC_DEADLINE (0x6e0). false = #GP. */
bool lapic_msr_read(Device *lapic, uint32_t msr, uint64_t *value);
bool lapic_msr_write(Device *lapic, uint32_t msr, uint64_t value);
/* The xAPIC page (offset within it). */
uint64_t lapic_mmio_read(Device *lapic, uint64_t offset, unsigned size);
void lapic_mmio_write(Device *lapic, uint64_t offset, uint64_t value, unsigned size);

/* A physical access by this APIC's own CPU: true (and done) if paddr lies in
 * the APIC's xAPIC page, false if the access belongs to the memory map. This is
 * how the accelerators give each vCPU its own page at the same address. */
bool lapic_mmio_access(Device *lapic, uint64_t paddr, bool write, uint64_t *value,
                       unsigned size);

/* ---- bus side ---- */
/* Does this LAPIC accept a message for dest (physical or logical, xAPIC 8-bit
 * or x2APIC 32-bit according to its mode)? Broadcast IDs included. */
bool lapic_match_dest(Device *lapic, uint32_t dest, bool logical);
/* Accept a message (from the IOAPIC, another LAPIC or MSI). */
void lapic_deliver(Device *lapic, uint8_t mode, uint8_t vector, bool level_trig);
/* Arbitration priority (for lowest-priority delivery: lowest APR wins). */
uint8_t lapic_get_apr(Device *lapic);
uint32_t lapic_get_id(Device *lapic);
/* TPR for MOV CR8 (CR8 = TPR[7:4]) and for KVM's kvm_run->cr8 sync. */
uint8_t lapic_get_tpr(Device *lapic);
void lapic_set_tpr(Device *lapic, uint8_t tpr);
/* The APIC bus, for the board: deliver msg to each LAPIC in lapics[0..n) (NULL
 * entries skipped) it is meant for. src is the sending LAPIC for the SELF and
 * ALL_BUT_SELF shorthands, NULL for IOAPIC and MSI messages. A lowest-priority
 * message goes to the one target with the lowest arbitration priority (the
 * first one on a tie). Returns how many LAPICs took the message. */
unsigned apic_bus_deliver(Device *const *lapics, unsigned n, Device *src,
                          const LAPICMessage *msg);
/* LINT0/LINT1 pins (0/1) as IRQ lines: the 8259's INT goes to LINT0. */
IRQLine *lapic_lint(Device *lapic, unsigned pin);
void lapic_set_lint(Device *lapic, unsigned pin, int level);

#endif
