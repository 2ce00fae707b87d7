/*
 * dregs.c: MOV to and from the debug registers (SDM Vol 3 §18.2). Values
 * written to DR0-DR3 read back; DR6/DR7 keep their fixed bits; DR4/DR5
 * alias DR6/DR7 while CR4.DE is clear. Above all, none of these moves may
 * touch a general-purpose register (ModRM.reg names the debug register):
 * every GPR is checked after the moves.
 */
#include "guest.h"

static u32 failures;

static void check(const char *what, u32 got, u32 want)
{
    if (got != want) {
        if (failures++ < 8) {
            serial_puts("FAIL: ");
            serial_puts(what);
            serial_puts(" = ");
            serial_put_hex(got);
            serial_puts(", want ");
            serial_put_hex(want);
            serial_puts("\n");
        }
    }
}

u32 dregs_r[8];

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    u32 *r = dregs_r;

    /* Write DR0-DR3 from ESI with distinct values in every other GPR. */
    __asm__ volatile(
        "push %%ebp\n"
        "mov $0x11110000, %%eax\n"
        "mov $0x22220000, %%ebx\n"
        "mov $0x33330000, %%ecx\n"
        "mov $0x44440000, %%edx\n"
        "mov $0x55550000, %%edi\n"
        "mov $0x66660000, %%ebp\n"
        "mov $0xd0, %%esi\n"
        "mov %%esi, %%dr0\n"
        "mov $0xd1, %%esi\n"
        "mov %%esi, %%dr1\n"
        "mov $0xd2, %%esi\n"
        "mov %%esi, %%dr2\n"
        "mov $0xd3, %%esi\n"
        "mov %%esi, %%dr3\n"
        "mov %%ebp, %%esi\n"
        "pop %%ebp\n"
        "mov %%eax, dregs_r\n"
        "mov %%ebx, dregs_r+4\n"
        "mov %%ecx, dregs_r+8\n"
        "mov %%edx, dregs_r+12\n"
        "mov %%edi, dregs_r+16\n"
        "mov %%esi, dregs_r+20\n"
        ::: "eax", "ebx", "ecx", "edx", "esi", "edi", "memory");
    check("eax", r[0], 0x11110000);
    check("ebx", r[1], 0x22220000);
    check("ecx", r[2], 0x33330000);
    check("edx", r[3], 0x44440000);
    check("edi", r[4], 0x55550000);
    check("ebp", r[5], 0x66660000);

    u32 d0, d1, d2, d3, d6, d7, d4, d5;
    __asm__ volatile("mov %%dr0, %0" : "=r"(d0));
    __asm__ volatile("mov %%dr1, %0" : "=r"(d1));
    __asm__ volatile("mov %%dr2, %0" : "=r"(d2));
    __asm__ volatile("mov %%dr3, %0" : "=r"(d3));
    check("dr0", d0, 0xd0);
    check("dr1", d1, 0xd1);
    check("dr2", d2, 0xd2);
    check("dr3", d3, 0xd3);

    /* DR7 bit 10 reads as 1; DR6 bits 4-11 and 16-31 read as 1 (no RTM). */
    __asm__ volatile("mov %0, %%dr7" :: "r"(0u));
    __asm__ volatile("mov %0, %%dr6" :: "r"(0u));
    __asm__ volatile("mov %%dr7, %0" : "=r"(d7));
    __asm__ volatile("mov %%dr6, %0" : "=r"(d6));
    check("dr7 fixed bits", d7, 0x400);
    check("dr6 fixed bits", d6, 0xffff0ff0);
    /* With CR4.DE clear (as at boot), DR4/DR5 are DR6/DR7. */
    __asm__ volatile("mov %0, %%dr7" :: "r"(0x401u));
    __asm__ volatile("mov %%dr4, %0" : "=r"(d4));
    __asm__ volatile("mov %%dr5, %0" : "=r"(d5));
    check("dr4 = dr6", d4, 0xffff0ff0);
    check("dr5 = dr7", d5, 0x401);

    if (failures) {
        guest_exit(2);
    }
    serial_puts("debug registers ok\n");
    guest_exit(0);
}
