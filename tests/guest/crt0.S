/*
 * crt0.S: entry of the bare-metal guest test programs.
 *
 * The Multiboot v1 header (Multiboot spec 0.6.96, section 3.1.1) makes them
 * loadable with -kernel. The loader enters _start in flat 32-bit protected mode
 * with paging off, EAX = 0x2BADB002 and EBX = the info structure (section 3.2).
 * The spec leaves GDTR undefined, so we load our own GDT at once; it also has the
 * 16-bit and 64-bit segments the real-mode and long-mode programs switch to.
 */
#define MB_MAGIC 0x1badb002
#define MB_FLAGS 0x00000003         /* page-align modules, want memory info */

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl $stack_top, %esp
    movl %eax, %esi                 /* keep the loader's magic and info pointer */
    movl %ebx, %edi
    lgdt gdt_desc
    ljmp $0x08, $1f
1:  movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    call serial_init
    pushl %edi
    pushl %esi
    call main
    addl $8, %esp
    pushl %eax
    call guest_exit

    .section .rodata
    .align 8
    .globl guest_gdt
guest_gdt:
    .quad 0                         /* 0x00 null */
    .quad 0x00cf9b000000ffff        /* 0x08 code, 32-bit, flat, accessed */
    .quad 0x00cf93000000ffff        /* 0x10 data, 32-bit, flat, accessed */
    .quad 0x00009b000000ffff        /* 0x18 code, 16-bit, base 0, 64 KiB */
    .quad 0x000093000000ffff        /* 0x20 data, 16-bit, base 0, 64 KiB */
    .quad 0x00af9b000000ffff        /* 0x28 code, 64-bit (L=1, D=0) */
guest_gdt_end:

    .align 4
    .globl gdt_desc
gdt_desc:
    .word guest_gdt_end - guest_gdt - 1
    .long guest_gdt

    .bss
    .align 16
stack_bottom:
    .skip 16384
    .globl stack_top
stack_top:

    .section .note.GNU-stack, "", @progbits
