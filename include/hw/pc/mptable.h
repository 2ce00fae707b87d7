/*
 * mptable.h: the Intel MultiProcessor Specification 1.4 tables (hw/pc/mptable.c)
 * that tell an OS booted without firmware (-kernel) where its CPUs, the I/O
 * APIC and the ISA interrupt routing are.
 */
#ifndef HW_PC_MPTABLE_H
#define HW_PC_MPTABLE_H

#include "system/machine.h"

/* The board's interrupt routing as the tables declare it. */
typedef struct MPTableConfig {
    unsigned ncpus;             /* APIC IDs 0..ncpus-1, CPU 0 the BSP */
    uint8_t lapic_version;
    uint8_t ioapic_id;
    uint8_t ioapic_version;
    uint32_t ioapic_addr;
    uint8_t irq0_pin;           /* IOAPIC input of ISA IRQ 0 (the PIT) */
} MPTableConfig;

/* Build the floating pointer and the configuration table into buf (the
 * floating pointer first, the table 16 bytes after it) for placement at
 * guest-physical addr. Returns the size, or 0 if it does not fit in len. */
size_t mptable_build(const MPTableConfig *cfg, uint32_t addr, uint8_t *buf, size_t len);

/* Write the tables where an OS looks (MP spec §4: the last KiB of base memory,
 * or the BIOS area 0xf0000 when they do not fit and no firmware is mapped
 * there). false with errp set if neither works. */
bool mptable_install(Machine *m, const MPTableConfig *cfg, Error **errp);

#endif
