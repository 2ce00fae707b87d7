/*
 * memmap.c: guest accesses that leave guest RAM. Run with -m 32 and a 64 KiB
 * -bios image whose byte i is (i * 7 + 3) & 0xff (made by mkpattern.py).
 *
 * Under KVM, RAM is a memory slot, a ROM a read-only slot (stores exit as MMIO
 * and are dropped), and everything else exits as MMIO to the memory map:
 *   - the last dword of RAM reads back what was stored;
 *   - the hole just above RAM and the legacy VGA window read as all ones and
 *     drop stores (a PC's unclaimed bus cycles);
 *   - the firmware ROM, at its top-of-4-GiB home and its alias below 1 MiB,
 *     reads as the image and ignores stores.
 */
#include "guest.h"

#define RAM_SIZE      (32u << 20)
#define VGA_WINDOW    0xa0000u
#define BIOS_SIZE     0x10000u
#define BIOS_HIGH     (0u - BIOS_SIZE)         /* 0xffff0000 */
#define BIOS_LOW      (0x100000u - BIOS_SIZE)  /* 0xf0000 */

static int failures;

static void check(const char *what, u32 got, u32 want)
{
    if (got != want) {
        serial_puts("FAIL: ");
        serial_puts(what);
        serial_puts(": got ");
        serial_put_hex(got);
        serial_puts(", want ");
        serial_put_hex(want);
        serial_puts("\n");
        failures++;
    }
}

static u32 rd32(u32 addr)
{
    return *(volatile u32 *)addr;
}

static u16 rd16(u32 addr)
{
    return *(volatile u16 *)addr;
}

static u8 rd8(u32 addr)
{
    return *(volatile u8 *)addr;
}

static void wr32(u32 addr, u32 v)
{
    *(volatile u32 *)addr = v;
}

static void wr8(u32 addr, u8 v)
{
    *(volatile u8 *)addr = v;
}

static u32 pattern32(u32 off)
{
    u32 v = 0;
    for (u32 b = 0; b < 4; b++) {
        v |= (((off + b) * 7 + 3) & 0xff) << (8 * b);
    }
    return v;
}

static void check_rom(const char *what, u32 base)
{
    const u32 off = 0x1234;
    check(what, rd32(base + off), pattern32(off));
    wr32(base + off, 0xdeadbeef);
    wr8(base + off + 8, 0x55);
    check(what, rd32(base + off), pattern32(off));
    check(what, rd8(base + off + 8), pattern32(off + 8) & 0xff);
    check(what, rd32(base + BIOS_SIZE - 4), pattern32(BIOS_SIZE - 4));
}

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;

    wr32(RAM_SIZE - 4, 0xcafef00d);
    check("last dword of RAM", rd32(RAM_SIZE - 4), 0xcafef00d);

    check("hole above RAM", rd32(RAM_SIZE), 0xffffffff);
    wr32(RAM_SIZE, 0);
    check("hole above RAM after a store", rd32(RAM_SIZE), 0xffffffff);

    check("VGA window dword", rd32(VGA_WINDOW), 0xffffffff);
    wr32(VGA_WINDOW + 0x100, 0x12345678);
    check("VGA window after a store", rd32(VGA_WINDOW + 0x100), 0xffffffff);
    check("VGA window word", rd16(VGA_WINDOW + 2), 0xffff);
    check("VGA window byte", rd8(VGA_WINDOW + 0x1ffff), 0xff);

    check_rom("ROM below 4 GiB", BIOS_HIGH);
    check_rom("ROM alias below 1 MiB", BIOS_LOW);

    if (failures) {
        return 1;
    }
    serial_puts("memory map checks ok\n");
    return 0;
}
