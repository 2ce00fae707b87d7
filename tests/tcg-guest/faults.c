/*
 * faults.c: precise exceptions in 32-bit protected mode (SDM Vol 3 §6.5,
 * §6.12). A #DE handler skips the faulting 2-byte DIV; the loop around it runs
 * hot enough for the translator to chain its blocks, so the faulting guest
 * instruction has to be found in whichever block is running. Registers
 * written before the fault must be visible to the handler and after it.
 */
#include "guest.h"

volatile u32 de_count;
volatile u32 de_seen_ecx;

void de_entry(void);
__asm__(".text\n"
        ".globl de_entry\n"
        "de_entry:\n"
        "    incl de_count\n"
        "    movl %ecx, de_seen_ecx\n"
        "    addl $2, (%esp)\n"          /* skip DIV %EBX (F7 F3) */
        "    iret\n");

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    u32 failures = 0;

    guest_set_gate(0, de_entry);
    guest_load_idt();

    for (u32 i = 1; i <= 500; i++) {
        u32 eax = i, ecx;
        __asm__ volatile("movl %2, %%ecx\n\t"
                         "addl $7, %%ecx\n\t"
                         "xorl %%edx, %%edx\n\t"
                         "xorl %%ebx, %%ebx\n\t"
                         ".byte 0xf7, 0xf3\n\t"     /* div %ebx: #DE */
                         "addl $1, %%ecx\n\t"
                         : "+a"(eax), "=&c"(ecx)
                         : "r"(i)
                         : "ebx", "edx", "cc", "memory");
        if (eax != i || ecx != i + 8 || de_seen_ecx != i + 7) {
            if (failures++ < 4) {
                serial_puts("FAIL: iteration ");
                serial_put_hex(i);
                serial_puts(" eax ");
                serial_put_hex(eax);
                serial_puts(" ecx ");
                serial_put_hex(ecx);
                serial_puts(" handler ecx ");
                serial_put_hex(de_seen_ecx);
                serial_puts("\n");
            }
        }
    }
    if (de_count != 500) {
        serial_puts("FAIL: #DE count ");
        serial_put_hex(de_count);
        serial_puts("\n");
        failures++;
    }
    if (failures) {
        return 1;
    }
    serial_puts("precise exceptions ok\n");
    return 0;
}
