/*
 * longmode.S: enter_long_mode(entry64), called from 32-bit code: builds page
 * tables identity-mapping the first 4 MiB with two 2 MiB pages (SDM Vol 3
 * §4.5), then follows SDM Vol 3 §9.8.5 "Initializing IA-32e Mode": CR4.PAE,
 * CR3, EFER.LME, CR0.PG (the CPU sets EFER.LMA), and a far jump through the
 * 64-bit code segment of crt0's GDT to entry64, with RSP on crt0's stack.
 * It does not return.
 */
#define MSR_EFER   0xc0000080
#define PTE_P      0x001
#define PTE_RW     0x002
#define PTE_PS     0x080

    .text
    .code32
    .globl enter_long_mode
enter_long_mode:
    movl 4(%esp), %ebx              /* entry64 */
    /* Clear the three tables (do not rely on the loader zeroing .bss). */
    movl $pml4, %edi
    movl $(3 * 4096 / 4), %ecx
    xorl %eax, %eax
    cld
    rep stosl
    movl $(pdpt + PTE_P + PTE_RW), pml4
    movl $(pd + PTE_P + PTE_RW), pdpt
    movl $(0x000000 + PTE_P + PTE_RW + PTE_PS), pd
    movl $(0x200000 + PTE_P + PTE_RW + PTE_PS), pd + 8

    movl %cr4, %eax
    orl $0x20, %eax                 /* CR4.PAE */
    movl %eax, %cr4
    movl $pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $0x100, %eax                /* EFER.LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax           /* CR0.PG: activates IA-32e mode */
    movl %eax, %cr0
    ljmp $0x28, $1f

    .code64
1:  movl $stack_top, %esp           /* zero-extends into RSP */
    movl %ebx, %ebx
    jmp *%rbx

/* 64-bit helpers for the long-mode programs. */

/* Print the NUL-terminated string at RSI on COM1. */
    .globl puts64
puts64:
    pushq %rcx
    pushq %rdx
    pushq %rax
2:  lodsb
    testb %al, %al
    jz 4f
    movb %al, %ah
    movw $0x3f8 + 5, %dx
    movl $0xffff, %ecx              /* bounded wait for THR empty */
3:  inb %dx, %al
    testb $0x20, %al
    loopz 3b
    movw $0x3f8, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 2b
4:  popq %rax
    popq %rdx
    popq %rcx
    ret

/* Exit through the debug-exit port with the code in EAX. */
    .globl exit64
exit64:
    movw $0xf4, %dx
    outl %eax, %dx
5:  cli
    hlt
    jmp 5b

    .bss
    .align 4096
pml4:
    .skip 4096
pdpt:
    .skip 4096
pd:
    .skip 4096

    .section .note.GNU-stack, "", @progbits
