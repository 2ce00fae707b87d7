/*
 * long64.S: enter 64-bit long mode (longmode.S) and compute there: prints
 * through the UART, checks EFER.LMA (SDM Vol 3 §9.8.5) and a computation whose
 * result needs all 64 bits, and exits through port 0xf4.
 */
#define MSR_EFER   0xc0000080

    .text
    .code32
    .globl main
main:
    pushl $long_entry
    call enter_long_mode

    .code64
long_entry:
    movl $msg_hello, %esi
    call puts64

    /* EFER.LMA must now be set. */
    movl $MSR_EFER, %ecx
    rdmsr
    testl $0x400, %eax
    jnz 1f
    movl $msg_lma, %esi
    jmp fail
1:
    /* A carry across bit 31 must land in bit 32. */
    movl $0xffffffff, %eax
    addq $1, %rax
    movabsq $0x100000000, %rdx
    cmpq %rdx, %rax
    jne 2f
    /* (0x0123456789abcdef * 0x100000003) mod 2^64, rotated left by 13. */
    movabsq $0x0123456789abcdef, %rax
    movabsq $0x0000000100000003, %rbx
    imulq %rbx, %rax
    rolq $13, %rax
    movabsq $0xb3c4b3a06d39b1a2, %rdx
    cmpq %rdx, %rax
    je 3f
2:  movl $msg_math, %esi
    jmp fail
3:
    movl $msg_ok, %esi
    call puts64
    xorl %eax, %eax
    jmp exit64

fail:
    call puts64
    movl $1, %eax
    jmp exit64

    .section .rodata
msg_hello:
    .asciz "hello from long mode\r\n"
msg_ok:
    .asciz "64-bit arithmetic ok\r\n"
msg_lma:
    .asciz "FAIL: EFER.LMA clear after enabling paging\r\n"
msg_math:
    .asciz "FAIL: 64-bit arithmetic\r\n"

    .section .note.GNU-stack, "", @progbits
