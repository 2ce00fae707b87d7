/*
 * realmode.S: leave protected mode for real mode and run there.
 *
 * SDM Vol 3 §9.9.2 "Switching Back to Real-Address Mode": from 32-bit code, jump
 * to a 16-bit code segment whose limit is 64 KiB, load the data segment registers
 * with a 16-bit, 64 KiB data descriptor (the hidden limits stay in force in real
 * mode), clear CR0.PE, far jump to a real-mode CS, load a real-mode IDT.
 *
 * The 16-bit part is copied below 1 MiB (to RM_BASE) because real mode only
 * reaches the first MiB; it refers to its own labels relative to rm_start, so it
 * runs with CS = DS = SS = RM_BASE >> 4. In real mode it prints through the UART
 * with port IO, installs an interrupt vector in the IVT it points IDTR at, calls
 * it with INT, checks real-mode address arithmetic (seg * 16 + offset) and exits
 * through the debug-exit port without ever going back to protected mode.
 */
#define RM_BASE    0x10000
#define RM_SEG     (RM_BASE >> 4)
#define COM1       0x3f8
#define TEST_VEC   0x40
#define EXIT_PORT  0xf4

    .text
    .code32
    .globl main
main:
    /* Copy the 16-bit part to RM_BASE. */
    movl $rm_start, %esi
    movl $RM_BASE, %edi
    movl $(rm_end - rm_start), %ecx
    cld
    rep movsb
    lgdt rm_gdt_desc
    ljmp $0x18, $(pm16_entry - rm_start)

    .section .rodata
    .align 8
rm_gdt:
    .quad 0                         /* 0x00 null */
    .quad 0x00cf9b000000ffff        /* 0x08 code, 32-bit, flat */
    .quad 0x00cf93000000ffff        /* 0x10 data, 32-bit, flat */
    .quad 0x00009b010000ffff        /* 0x18 code, 16-bit, base RM_BASE, 64 KiB */
    .quad 0x000093010000ffff        /* 0x20 data, 16-bit, base RM_BASE, 64 KiB */
rm_gdt_end:
    .align 4
rm_gdt_desc:
    .word rm_gdt_end - rm_gdt - 1
    .long rm_gdt

/* Everything from rm_start to rm_end runs at RM_BASE, addressed by offsets. */
#define OFF(sym) ((sym) - rm_start)

    .text
    .code16
rm_start:
pm16_entry:
    movw $0x20, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl %cr0, %eax
    andl $~1, %eax
    movl %eax, %cr0
    ljmp $RM_SEG, $OFF(rm_entry)

rm_entry:
    movw $RM_SEG, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $0xfff0, %sp
    lidt OFF(rm_idtr)

    /* Really in real mode? The MSW must show PE = 0. */
    smsw %ax
    testw $1, %ax
    jz 1f
    movw $OFF(msg_pe), %si
    jmp fail
1:
    movw $OFF(msg_hello), %si
    call puts16

    /* Vector TEST_VEC -> RM_SEG:isr, in the IVT at linear 0 (SDM Vol 3 §20.1.4). */
    xorw %ax, %ax
    movw %ax, %es
    movw $OFF(isr), %es:(TEST_VEC * 4)
    movw $RM_SEG, %es:(TEST_VEC * 4 + 2)
    movw $0x1111, %ax
    movw $0, %bx
    int $TEST_VEC
    cmpw $0xbeef, %ax
    jne 2f
    cmpw $0x1111, %bx                /* the handler saw the caller's AX */
    je 3f
2:  movw $OFF(msg_int), %si
    jmp fail
3:
    /* 0x2000:0x0010 and 0x2001:0x0000 are the same byte, linear 0x20010. */
    movw $0x2000, %ax
    movw %ax, %es
    movw $0x2001, %ax
    movw %ax, %fs
    movb $0x5a, %es:0x10
    cmpb $0x5a, %fs:0x00
    jne 4f
    movb $0xa5, %fs:0x00
    cmpb $0xa5, %es:0x10
    je 5f
4:  movw $OFF(msg_seg), %si
    jmp fail
5:
    movw $OFF(msg_ok), %si
    call puts16
    xorl %eax, %eax
    jmp rm_exit

fail:
    call puts16
    movl $1, %eax
rm_exit:
    movw $EXIT_PORT, %dx
    outl %eax, %dx
6:  cli
    hlt
    jmp 6b

/* The INT handler: reports, hands back a value in AX, returns with IRET. */
isr:
    pushw %si
    movw %ax, %bx
    movw $OFF(msg_isr), %si
    call puts16
    movw $0xbeef, %ax
    popw %si
    iret

/* Print the NUL-terminated string at DS:SI. */
puts16:
    pushw %ax
    pushw %cx
    pushw %dx
7:  lodsb
    testb %al, %al
    jz 9f
    movb %al, %ah
    movw $COM1 + 5, %dx
    movw $0xffff, %cx               /* bounded wait for THR empty */
8:  inb %dx, %al
    testb $0x20, %al
    loopz 8b
    movw $COM1, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 7b
9:  popw %dx
    popw %cx
    popw %ax
    ret

rm_idtr:
    .word 0x3ff
    .long 0
msg_hello:
    .asciz "hello from real mode\r\n"
msg_isr:
    .asciz "int 0x40 handler called\r\n"
msg_ok:
    .asciz "real mode checks ok\r\n"
msg_pe:
    .asciz "FAIL: CR0.PE still set\r\n"
msg_int:
    .asciz "FAIL: INT 0x40 did not return the handler's value\r\n"
msg_seg:
    .asciz "FAIL: real-mode segment arithmetic\r\n"
rm_end:

    .section .note.GNU-stack, "", @progbits
