/*
 * hello32.c: the smallest guest test. Checks that the loader entered us as the
 * Multiboot spec (section 3.2) says: EAX magic, protected mode on, paging off.
 */
#include "guest.h"

int main(u32 magic, u32 mbi)
{
    u32 cr0;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        serial_puts("FAIL: bad multiboot magic ");
        serial_put_hex(magic);
        serial_puts("\n");
        return 1;
    }
    if (!(cr0 & 1) || (cr0 & 0x80000000u)) {
        serial_puts("FAIL: CR0 not PE=1 PG=0: ");
        serial_put_hex(cr0);
        serial_puts("\n");
        return 1;
    }
    serial_puts("hello from 32-bit protected mode\n");
    (void)mbi;
    return 0;
}
