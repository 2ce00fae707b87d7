/*
 * boot.h: getting a guest kernel into memory and the boot CPU into the state
 * its boot protocol expects (direct kernel boot, -kernel/-initrd/-append).
 *   Linux x86 boot protocol (Documentation/arch/x86/boot.rst), bzImage >= 2.06
 *   Multiboot v1 (ELF and a.out kludge), for small test kernels
 * and the e820 memory map both report.
 */
#ifndef HW_PC_BOOT_H
#define HW_PC_BOOT_H

#include "system/machine.h"

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3
#define E820_NVS      4

typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

/* The PC's memory map as the firmware would report it. Returns the count. */
unsigned pc_e820_build(const Machine *m, E820Entry *out, unsigned max);

typedef enum KernelKind {
    KERNEL_UNKNOWN,
    KERNEL_LINUX,
    KERNEL_MULTIBOOT,
} KernelKind;

KernelKind kernel_probe(const uint8_t *img, size_t len);

/* Load m->cfg.kernel (+ initrd, cmdline) into RAM and set the BSP's state.
 * Called at every system reset so a rebooting guest starts over. */
bool pc_boot_kernel(Machine *m, CPUX86State *bsp, Error **errp);

bool linux_load(Machine *m, const uint8_t *img, size_t len, const char *initrd_path,
                const char *cmdline, CPUX86State *bsp, Error **errp);
bool multiboot_load(Machine *m, const uint8_t *img, size_t len, const char *kernel_path,
                    const char *initrd_path, const char *cmdline, CPUX86State *bsp,
                    Error **errp);

/* Fixed low-memory layout used by the loaders (all below 0x9fc00). */
#define BOOT_GDT_ADDR       0x00000500
#define BOOT_PML4_ADDR      0x00001000   /* + PDPT, 4 PDs: identity map of 4 GiB */
#define BOOT_PARAMS_ADDR    0x00007000   /* Linux zero page */
#define BOOT_CMDLINE_ADDR   0x00020000
#define BOOT_CMDLINE_MAX    0x00010000
#define MULTIBOOT_INFO_ADDR 0x00009000

#endif
