/*
 * diff-guest-asm.S: mode plumbing of the differential harness's guest.
 *
 * diff_enter_ia32e: identity-maps the first 1 GiB with 2 MiB pages (SDM Vol 3
 * §4.5, PML4E -> PDPTE -> PDE with PS=1) and activates IA-32e mode the way
 * SDM Vol 3 §9.8.5 lists (CR4.PAE, CR3, EFER.LME, CR0.PG), but stays on crt0's
 * 32-bit code segment: the C loop then runs in compatibility mode, and each
 * case is entered through a far call to the 64-bit code segment (0x28), the
 * mirror image of what the host test does under Linux.
 * diff_call32/diff_call64: run the blob at DIFF_CODE, keeping the registers the
 * i386 ABI wants preserved (the blob clobbers all of them).
 */
#include "diff.h"

#define MSR_EFER 0xc0000080

    .text
    .code32
    .globl diff_enter_ia32e
diff_enter_ia32e:
    pushl %edi
    movl $diff_pml4, %edi
    movl $(3 * 4096 / 4), %ecx
    xorl %eax, %eax
    cld
    rep stosl
    movl $(diff_pdpt + 3), diff_pml4
    movl $(diff_pd + 3), diff_pdpt
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* P, RW, PS */
    movl %eax, diff_pd(, %ecx, 8)
    incl %ecx
    cmpl $512, %ecx
    jb 1b
    movl %cr4, %eax
    orl $0x20, %eax                 /* CR4.PAE */
    movl %eax, %cr4
    movl $diff_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $0x100, %eax                /* EFER.LME */
    wrmsr
    movl %cr0, %eax
    orl $0x80000000, %eax           /* CR0.PG: IA-32e mode, compatibility submode */
    movl %eax, %cr0
    jmp 2f
2:  popl %edi
    ret

    .globl diff_call32
diff_call32:
    pushl %ebx
    pushl %esi
    pushl %edi
    pushl %ebp
    movl $DIFF_CODE, %eax
    call *%eax
    popl %ebp
    popl %edi
    popl %esi
    popl %ebx
    ret

    .globl diff_call64
diff_call64:
    pushl %ebx
    pushl %esi
    pushl %edi
    pushl %ebp
    lcall $0x28, $diff_tramp64
    popl %ebp
    popl %edi
    popl %esi
    popl %ebx
    ret

    .code64
diff_tramp64:
    movl %esp, %esp                 /* RSP = ESP: the upper half is not defined */
    movl $DIFF_CODE, %eax
    call *%rax
    lretl                           /* 32-bit operand size: pops EIP, CS */

/*
 * Exception entry points, one per vector 0-31, for a 32-bit IDT (flat mode)
 * and a 64-bit IDT (IA-32e mode, SDM Vol 3 §6.14.1). A case that faults under
 * bt86 (the host ran it cleanly) records the vector at DIFF_FAULT and returns
 * from the blob on the stack pointer the prologue saved, so the next case
 * still runs.
 */
    .code32
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
fault32_\n:
    movl $\n, DIFF_FAULT
    jmp fault32
    .endr
fault32:
    movl DIFF_SAVED_SP, %esp
    cld
    ret

    .code64
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
fault64_\n:
    movl $\n, DIFF_FAULT
    jmp fault64
    .endr
fault64:
    movq DIFF_SAVED_SP, %rsp
    cld
    ret

    .section .rodata
    .align 4
    .globl diff_fault32_entries, diff_fault64_entries
diff_fault32_entries:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long fault32_\n
    .endr
diff_fault64_entries:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long fault64_\n
    .endr

    .bss
    .align 4096
diff_pml4:
    .skip 4096
diff_pdpt:
    .skip 4096
diff_pd:
    .skip 4096

    .section .note.GNU-stack, "", @progbits
