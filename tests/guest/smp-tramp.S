/*
 * smp-tramp.S: where the application processors of smp.c start. A startup IPI
 * with vector V starts an AP in real mode at V << 12 (SDM Vol 3 §9.4.4.1 and
 * §10.6.1, "Start-Up"); smp.c copies this code to SMP_TRAMP_ADDR first. Each AP
 * reports its initial APIC ID (CPUID leaf 1, EBX 31:24) in its mailbox slot,
 * counts itself in, and spins with interrupts off.
 */
#define SMP_TRAMP_ADDR 0x8000
#define SMP_MAILBOX    0x8100       /* u32 per APIC ID */
#define SMP_COUNT      0x80fc       /* u32: APs that got here */
#define SMP_MAGIC      0x5a000000

    .text
    .code16
    .globl smp_tramp_start, smp_tramp_end
smp_tramp_start:
    cli
    xorw %ax, %ax
    movw %ax, %ds
    movl $1, %eax
    cpuid
    shrl $24, %ebx                  /* initial APIC ID */
    movl %ebx, %eax
    orl $SMP_MAGIC, %eax
    shlw $2, %bx
    movl %eax, SMP_MAILBOX(%bx)
    lock incl SMP_COUNT
    /* Keep running (not halted): a system reset must stop a busy AP too and
     * put it back into wait-for-SIPI (smp.c's "reboot" run checks that). */
1:  pause
    jmp 1b
smp_tramp_end:

    .section .note.GNU-stack, "", @progbits
