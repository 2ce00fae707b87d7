/*
 * e820.c: the PC memory map as firmware reports it through INT 15h, AX=E820h
 * (ACPI spec §15, "System Address Map Interfaces"), shared by the Linux zero
 * page and the Multiboot mmap so both protocols tell the guest the same story.
 *
 *   0          - 0x9fc00     RAM (conventional memory)
 *   0x9fc00    - 0xa0000     reserved (extended BIOS data area)
 *   0xf0000    - 0x100000    reserved (system BIOS)
 *   0x100000   - below_4g    RAM
 *   0xfffc0000 - 4 GiB       reserved (BIOS flash)
 *   4 GiB      - +above_4g   RAM
 * The VGA window and option-ROM area (0xa0000-0xeffff) are not listed: they
 * are not RAM, and legacy firmware leaves them out too.
 */
#include "util/osdep.h"
#include "hw/pc/boot.h"

#define E820_EBDA_START  0x9fc00ULL
#define E820_EBDA_END    0xa0000ULL
#define E820_BIOS_START  0xf0000ULL
#define E820_HIGH_START  0x100000ULL
#define E820_FLASH_START 0xfffc0000ULL

static void e820_add(E820Entry *out, unsigned max, unsigned *n, uint64_t addr,
                     uint64_t size, uint32_t type)
{
    if (size == 0 || *n >= max) {
        return;
    }
    out[*n].addr = addr;
    out[*n].size = size;
    out[*n].type = type;
    (*n)++;
}

unsigned pc_e820_build(const Machine *m, E820Entry *out, unsigned max)
{
    unsigned n = 0;
    /* machine_new() guarantees at least 1 MiB; stay correct for less anyway. */
    uint64_t low_end = MIN(m->below_4g_mem, E820_EBDA_START);

    e820_add(out, max, &n, 0, low_end, E820_RAM);
    e820_add(out, max, &n, E820_EBDA_START, E820_EBDA_END - E820_EBDA_START,
             E820_RESERVED);
    e820_add(out, max, &n, E820_BIOS_START, E820_HIGH_START - E820_BIOS_START,
             E820_RESERVED);
    if (m->below_4g_mem > E820_HIGH_START) {
        e820_add(out, max, &n, E820_HIGH_START, m->below_4g_mem - E820_HIGH_START,
                 E820_RAM);
    }
    e820_add(out, max, &n, E820_FLASH_START, 4 * GiB - E820_FLASH_START, E820_RESERVED);
    e820_add(out, max, &n, 4 * GiB, m->above_4g_mem, E820_RAM);
    return n;
}
