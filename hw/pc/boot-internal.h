/*
 * boot-internal.h: helpers shared by the direct-kernel-boot loaders
 * (boot.c, linux.c, multiboot.c) and their unit tests. Not a public interface:
 * the board and main loop only use include/hw/pc/boot.h.
 */
#ifndef HW_PC_BOOT_INTERNAL_H
#define HW_PC_BOOT_INTERNAL_H

#include "hw/pc/boot.h"

/* GDT selectors both protocols name (Linux __BOOT_CS/__BOOT_DS; Multiboot
 * leaves the choice to us and gets the same ones). */
#define BOOT_CS 0x10
#define BOOT_DS 0x18

/* Linux entry point choice. AUTO takes the 64-bit entry when the kernel
 * advertises it (xloadflags XLF_KERNEL_64). */
typedef enum LinuxEntry {
    LINUX_ENTRY_AUTO,
    LINUX_ENTRY_32,
    LINUX_ENTRY_64,
} LinuxEntry;

bool linux_load_entry(Machine *m, const uint8_t *img, size_t len,
                      const char *initrd_path, const char *cmdline, LinuxEntry entry,
                      CPUX86State *bsp, Error **errp);

/* Read a whole file named on the command line. `what` is the option
 * ("-kernel", "-initrd") used in the message; files larger than max bytes are
 * refused before being read. */
uint8_t *boot_read_file(const char *what, const char *path, uint64_t max, size_t *len,
                        Error **errp);

/* Copy into guest RAM / zero guest RAM; false (with a message) if any byte
 * misses RAM, which the callers' own range checks should already exclude. */
bool boot_write(Machine *m, uint64_t addr, const void *buf, uint64_t len, Error **errp);
bool boot_zero(Machine *m, uint64_t addr, uint64_t len, Error **errp);

/* Write the loaders' GDT at BOOT_GDT_ADDR (null, null, BOOT_CS code, BOOT_DS
 * data) and point env->gdt at it. long_mode makes BOOT_CS a 64-bit segment. */
bool boot_setup_gdt(Machine *m, CPUX86State *env, bool long_mode, Error **errp);

/* True if [addr, addr+len) lies entirely in RAM below 4 GiB. */
bool boot_range_in_low_ram(const Machine *m, uint64_t addr, uint64_t len);

#endif
