/*
 * reboot.c: a guest reset under the accelerator, and the boot after it.
 *
 * The first boot leaves a marker in RAM outside the program image and triple
 * faults (UD2 with an empty IDT: SDM Vol 3 §6.15); the PC resets, the loader
 * puts the program back and the boot CPU starts over. The second boot finds the
 * marker (RAM survives a reset on a PC, the image is reloaded) and passes. A
 * vCPU that kept stale state across the reset would not get there.
 */
#include "guest.h"

#define MARKER_ADDR  0x300000u      /* 3 MiB: past the image, inside -m 32 */
#define MARKER_MAGIC 0x52425431u    /* "1TBR" */

static void triple_fault(void)
{
    static const struct {
        u16 limit;
        u32 base;
    } __attribute__((packed)) empty_idt = { 0, 0 };
    __asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
}

int main(u32 magic, u32 mbi)
{
    volatile u32 *marker = (volatile u32 *)MARKER_ADDR;
    (void)magic;
    (void)mbi;

    if (*marker != MARKER_MAGIC) {
        *marker = MARKER_MAGIC;
        serial_puts("first boot: triple fault to reset\n");
        triple_fault();
        serial_puts("FAIL: still running after the triple fault\n");
        return 1;
    }
    *marker = 0;
    serial_puts("second boot after reset\n");
    return 0;
}
