/*
 * status.c: exits with a chosen non-zero code so a test can check that the
 * exact value written to the debug-exit port reaches the process exit status:
 * 0x2a gives (0x2a << 1) | 1 = 85.
 */
#include "guest.h"

#define STATUS_CODE 0x2a

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    serial_puts("status test: exiting with 0x2a\n");
    return STATUS_CODE;
}
