/*
 * irq64.S: exceptions and external interrupts in 64-bit long mode.
 *
 * Builds a 64-bit IDT with interrupt gates (SDM Vol 3 §6.14.1), takes a divide
 * error (#DE, vector 0) and returns past it with IRETQ, then programs the 8259
 * PIC (ICW1-ICW4, 8259A datasheet) to put IRQ 0-7 at vectors 0x20-0x27 and the
 * 8254 PIT channel 0 as a rate generator (mode 2, ~100 Hz), and sleeps in HLT
 * until three timer interrupts have arrived. Under KVM this exercises the
 * in-kernel PIT, PIC and the local APIC's virtual-wire (ExtINT) input.
 */
#define PIT_DIVISOR  11932          /* 1193182 Hz / 100 */
#define TIMER_VECTOR 0x20
#define TICKS_WANTED 3
#define MAX_HALTS    1000

    .text
    .code32
    .globl main
main:
    pushl $entry64
    call enter_long_mode

    .code64
/* Gate for vector %rdi -> handler %rsi: present, DPL 0, 64-bit interrupt gate. */
set_gate:
    shlq $4, %rdi
    movl $idt, %eax                 /* addresses are below 4 GiB: zero-extended */
    addq %rax, %rdi
    movq %rsi, %rax
    movw %ax, (%rdi)                /* offset 15:0 */
    movw $0x28, 2(%rdi)             /* selector: crt0's 64-bit code */
    movw $0x8e00, 4(%rdi)           /* IST 0, type 0xe, P */
    shrq $16, %rax
    movw %ax, 6(%rdi)               /* offset 31:16 */
    shrq $16, %rax
    movl %eax, 8(%rdi)              /* offset 63:32 */
    movl $0, 12(%rdi)
    ret

entry64:
    movl $0, de_count(%rip)
    movl $0, timer_ticks(%rip)
    xorl %edi, %edi
    movl $isr_divide_error, %esi
    call set_gate
    movl $TIMER_VECTOR, %edi
    movl $isr_timer, %esi
    call set_gate
    lidt idt_ptr(%rip)

    /* #DE: 1234 / 0. The handler skips the 2-byte DIV. */
    movl $1234, %eax
    xorl %edx, %edx
    xorl %ecx, %ecx
    divl %ecx
    cmpl $1, de_count(%rip)
    je 1f
    movl $msg_de_fail, %esi
    jmp fail
1:  movl $msg_de_ok, %esi
    call puts64

    /* 8259: edge, cascade, vectors 0x20/0x28, slave on IRQ 2, 8086 mode, only
     * IRQ 0 unmasked. */
    movb $0x11, %al
    outb %al, $0x20
    outb %al, $0xa0
    movb $TIMER_VECTOR, %al
    outb %al, $0x21
    movb $TIMER_VECTOR + 8, %al
    outb %al, $0xa1
    movb $0x04, %al
    outb %al, $0x21
    movb $0x02, %al
    outb %al, $0xa1
    movb $0x01, %al
    outb %al, $0x21
    outb %al, $0xa1
    movb $0xfe, %al
    outb %al, $0x21
    movb $0xff, %al
    outb %al, $0xa1
    /* 8254 channel 0: lo/hi byte, mode 2, binary. */
    movb $0x34, %al
    outb %al, $0x43
    movb $(PIT_DIVISOR & 0xff), %al
    outb %al, $0x40
    movb $(PIT_DIVISOR >> 8), %al
    outb %al, $0x40

    movl $MAX_HALTS, %ecx
2:  sti                             /* its one-instruction shadow covers HLT */
    hlt
    cli
    cmpl $TICKS_WANTED, timer_ticks(%rip)
    jae 3f
    loop 2b
    movl $msg_timer_fail, %esi
    jmp fail
3:  movl $msg_timer_ok, %esi
    call puts64
    xorl %eax, %eax
    jmp exit64

fail:
    call puts64
    movl $1, %eax
    jmp exit64

/* A fault returns to the faulting instruction (SDM Vol 3 §6.5): skip it. */
isr_divide_error:
    incl de_count(%rip)
    addq $2, (%rsp)
    iretq

isr_timer:
    pushq %rax
    incl timer_ticks(%rip)
    movb $0x20, %al                 /* non-specific EOI to the master PIC */
    outb %al, $0x20
    popq %rax
    iretq

    .section .rodata
    .align 4
idt_ptr:
    .word 256 * 16 - 1
    .long idt, 0                    /* 64-bit base; idt is below 4 GiB */
msg_de_ok:
    .asciz "divide error handled\r\n"
msg_de_fail:
    .asciz "FAIL: divide error not delivered exactly once\r\n"
msg_timer_ok:
    .asciz "timer interrupts ok\r\n"
msg_timer_fail:
    .asciz "FAIL: fewer than 3 timer interrupts\r\n"

    .bss
    .align 16
idt:
    .skip 256 * 16
de_count:
    .long 0
timer_ticks:
    .long 0

    .section .note.GNU-stack, "", @progbits
