/*
 * mptable.c: Intel MultiProcessor Specification version 1.4 tables for direct
 * kernel boots (no firmware to write them). Chapter 4 "MP Configuration Table":
 *   - the MP floating pointer structure ("_MP_", §4.1), looked for in the first
 *     KiB of the EBDA, the last KiB of base memory or 0xf0000-0xfffff;
 *   - the configuration table ("PCMP", §4.2) with a processor entry per CPU
 *     (§4.3.1), one ISA bus (§4.3.2), the I/O APIC (§4.3.3), an I/O interrupt
 *     assignment per ISA IRQ (§4.3.4) and the local interrupt assignments of
 *     LINT0 (ExtINT) and LINT1 (NMI) (§4.3.5).
 * The IMCR bit of feature byte 2 is clear: the board runs in virtual wire mode
 * (§3.6.2.2), the 8259A reaching the CPUs through LINT0.
 *
 * Why MP and not ACPI: a -kernel boot has no firmware, and Linux reads these
 * few fixed-size records with ACPI absent; the tables here are the board's
 * routing in ~200 lines. ACPI (RSDP/MADT/HPET) is what SeaBIOS+fw_cfg will
 * supply for firmware boots; MPTableConfig holds what a MADT would need.
 */
#include "util/osdep.h"
#include "hw/pc/mptable.h"

#define MP_FLOAT_SIZE      16
#define MP_HEADER_SIZE     44
#define MP_PROC_SIZE       20
#define MP_ENTRY_SIZE      8
#define MP_SPEC_REV        4            /* version 1.4 */

enum { MP_PROC, MP_BUS, MP_IOAPIC, MP_IOINT, MP_LINT };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };

#define MP_BASE_MEM_TOP    0x9fc00u     /* last KiB of 639 KiB base memory */
#define MP_BASE_MEM_SIZE   0x400u
#define MP_BIOS_AREA       0xf0000u
#define MP_BIOS_AREA_SIZE  0x10000u
#define BDA_EBDA_SEG       0x40e

static uint8_t checksum(const uint8_t *p, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += p[i];
    }
    return (uint8_t)-sum;
}

static uint8_t *put_entry(uint8_t *p, uint8_t type, uint8_t itype, uint8_t bus,
                          uint8_t irq, uint8_t dest_id, uint8_t dest_pin)
{
    p[0] = type;
    p[1] = itype;
    stw_le(p + 2, 0);               /* polarity/trigger: conform to the bus */
    p[4] = bus;
    p[5] = irq;
    p[6] = dest_id;
    p[7] = dest_pin;
    return p + MP_ENTRY_SIZE;
}

size_t mptable_build(const MPTableConfig *cfg, uint32_t addr, uint8_t *buf, size_t len)
{
    /* 16 ISA IRQ entries less the cascade (IRQ 2), plus the ExtINT on pin 0. */
    unsigned nioint = 16;
    size_t table = MP_HEADER_SIZE + cfg->ncpus * MP_PROC_SIZE + MP_ENTRY_SIZE * 2 +
                   nioint * MP_ENTRY_SIZE + 2 * MP_ENTRY_SIZE;
    size_t total = MP_FLOAT_SIZE + table;
    uint8_t *f = buf, *t = buf + MP_FLOAT_SIZE, *p;
    uint16_t count = 0;

    if (cfg->ncpus == 0 || cfg->ncpus > 255 || total > len || table > 0xffff) {
        return 0;
    }
    memset(buf, 0, total);

    /* Floating pointer (§4.1, Table 4-1). */
    memcpy(f, "_MP_", 4);
    stl_le(f + 4, addr + MP_FLOAT_SIZE);
    f[8] = 1;                       /* length in 16-byte paragraphs */
    f[9] = MP_SPEC_REV;
    f[11] = 0;                      /* feature 1: a configuration table follows */
    f[12] = 0;                      /* feature 2: IMCRP clear, virtual wire */
    f[10] = checksum(f, MP_FLOAT_SIZE);

    /* Header (§4.2, Table 4-2). */
    memcpy(t, "PCMP", 4);
    stw_le(t + 4, (uint16_t)table);
    t[6] = MP_SPEC_REV;
    memcpy(t + 8, "BT86    ", 8);
    memcpy(t + 16, "PC          ", 12);
    stl_le(t + 36, APIC_DEFAULT_BASE);

    p = t + MP_HEADER_SIZE;
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        p[0] = MP_PROC;
        p[1] = (uint8_t)i;          /* local APIC ID */
        p[2] = cfg->lapic_version;
        p[3] = 1 | (i == 0 ? 2 : 0);    /* enabled, bootstrap processor */
        stl_le(p + 4, 0x000206a0);  /* signature: family 6, as CPUID leaf 1 */
        stl_le(p + 8, (1u << 0) | (1u << 9));   /* FPU, APIC */
        p += MP_PROC_SIZE;
        count++;
    }
    p[0] = MP_BUS;
    p[1] = 0;
    memcpy(p + 2, "ISA   ", 6);
    p += MP_ENTRY_SIZE;
    count++;
    p[0] = MP_IOAPIC;
    p[1] = cfg->ioapic_id;
    p[2] = cfg->ioapic_version;
    p[3] = 1;                       /* enabled */
    stl_le(p + 4, cfg->ioapic_addr);
    p += MP_ENTRY_SIZE;
    count++;

    /* The 8259A's INTR on pin 0 (ExtINT), then ISA IRQ n on pin n except IRQ 0
     * (on irq0_pin) and the cascade IRQ 2, which has no pin of its own. */
    p = put_entry(p, MP_IOINT, MP_EXTINT, 0, 0, cfg->ioapic_id, 0);
    count++;
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2) {
            continue;
        }
        p = put_entry(p, MP_IOINT, MP_INT, 0, (uint8_t)irq, cfg->ioapic_id,
                      irq == 0 ? cfg->irq0_pin : (uint8_t)irq);
        count++;
    }
    /* LINT0 ExtINT and LINT1 NMI on every local APIC (ID 0xff). */
    p = put_entry(p, MP_LINT, MP_EXTINT, 0, 0, 0xff, 0);
    p = put_entry(p, MP_LINT, MP_NMI, 0, 0, 0xff, 1);
    count += 2;

    g_assert((size_t)(p - t) == table);
    stw_le(t + 34, count);
    t[7] = checksum(t, table);
    return total;
}

bool mptable_install(Machine *m, const MPTableConfig *cfg, Error **errp)
{
    g_autofree uint8_t *buf = g_malloc(MP_BIOS_AREA_SIZE);
    size_t n = mptable_build(cfg, MP_BASE_MEM_TOP, buf, MP_BASE_MEM_SIZE);
    uint32_t addr = MP_BASE_MEM_TOP;

    if (!n) {
        /* Too many CPUs for the last KiB: the BIOS area, if no ROM is there. */
        addr = MP_BIOS_AREA;
        n = mptable_build(cfg, addr, buf, MP_BIOS_AREA_SIZE);
        if (!n || m->bios || !memmap_host_ptr(&m->mem, addr, n, true)) {
            error_setg(errp, "mptable: no room for the tables of %u CPUs", cfg->ncpus);
            return false;
        }
    }
    if (memmap_write(&m->mem, addr, buf, n) != MEMTX_OK) {
        error_setg(errp, "mptable: cannot write the tables at %#x", addr);
        return false;
    }
    /* The BDA's EBDA segment, so the "first KiB of the EBDA" search (and an
     * OS reserving the EBDA) finds the same place. */
    uint8_t seg[2];
    stw_le(seg, MP_BASE_MEM_TOP >> 4);
    memmap_write(&m->mem, BDA_EBDA_SEG, seg, 2);
    return true;
}
