/*
 * triple.S: a deliberate triple fault, in 64-bit mode (longmode.S). With an
 * IDT of limit 0, the #UD of UD2 cannot be delivered (a vector beyond the limit
 * raises
 * #GP, SDM Vol 3 §6.10), nor can that #GP, nor the double fault that follows:
 * the processor shuts down (§6.15, "Interrupt 8—Double Fault Exception"). On a
 * PC that is a reset; run with -no-reboot it ends the emulator with status 0.
 */
    .text
    .code32
    .globl main
main:
    pushl $msg_next
    call serial_puts
    addl $4, %esp
    pushl $entry64
    call enter_long_mode

    .code64
entry64:
    lidt empty_idt(%rip)
    ud2
    /* Still here: no shutdown happened. */
    movl $msg_fail, %esi
    call puts64
    movl $1, %eax
    jmp exit64

    .section .rodata
    .align 4
empty_idt:
    .word 0
    .long 0, 0
msg_next:
    .asciz "triple fault next\n"
msg_fail:
    .asciz "FAIL: UD2 with an empty IDT returned\n"

    .section .note.GNU-stack, "", @progbits
