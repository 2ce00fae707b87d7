/*
 * diff-host.S: the host side's machine code for the differential harness.
 *
 * prologue64/epilogue64 and prologue32/epilogue32 are not run where they lie:
 * their bytes are copied around each case (by the host into its code page, by
 * the guest from the case file), so both worlds run identical code. The
 * prologue loads every GPR and RFLAGS from DIFF_STATE_IN (POPF, SDM Vol 2B),
 * the epilogue stores them to DIFF_STATE_OUT (PUSHF before any flag-writing
 * instruction; MOV writes no flags) and returns with CLD, as the ABI wants.
 *
 * stub64 and tramp32 are copied below 4 GiB: a far CALL from 64-bit mode
 * through an m16:32 pointer pushes a 32-bit return offset, and the 32-bit code
 * runs on ESP, so both the caller and the stack of the 32-bit excursion must
 * lie low (SDM Vol 2A CALL, "far call" in IA-32e mode). Selector 0x23 is Linux
 * x86-64's flat 32-bit user code segment; 0x2b its flat data segment, loaded
 * into DS/ES for the excursion since a 64-bit process runs with null DS/ES.
 */
#include "diff.h"

#define IN(i)  (DIFF_STATE_IN + 8 * (i))
#define OUT(i) (DIFF_STATE_OUT + 8 * (i))

    /* FXRSTOR/FXSAVE (no REX.W: the 32-bit pointer format, the same image
     * in both modes; the pointers are not compared) around x87/SSE cases. */
    .macro PRO64 fx
    movq %rsp, DIFF_SAVED_SP
    .if \fx
    fxrstor DIFF_FX_IN
    .endif
    movl $IN(16), %esp
    popfq
    movq IN(0), %rax
    movq IN(1), %rcx
    movq IN(2), %rdx
    movq IN(3), %rbx
    movq IN(5), %rbp
    movq IN(6), %rsi
    movq IN(7), %rdi
    movq IN(8), %r8
    movq IN(9), %r9
    movq IN(10), %r10
    movq IN(11), %r11
    movq IN(12), %r12
    movq IN(13), %r13
    movq IN(14), %r14
    movq IN(15), %r15
    movq IN(4), %rsp
    .endm

    .macro EPI64 fx
    movq %rax, OUT(0)
    movq %rcx, OUT(1)
    movq %rdx, OUT(2)
    movq %rbx, OUT(3)
    movq %rsp, OUT(4)
    movq %rbp, OUT(5)
    movq %rsi, OUT(6)
    movq %rdi, OUT(7)
    movq %r8, OUT(8)
    movq %r9, OUT(9)
    movq %r10, OUT(10)
    movq %r11, OUT(11)
    movq %r12, OUT(12)
    movq %r13, OUT(13)
    movq %r14, OUT(14)
    movq %r15, OUT(15)
    .if \fx
    fxsave DIFF_FX_OUT
    .endif
    movl $OUT(17), %esp
    pushfq
    movq DIFF_SAVED_SP, %rsp
    cld
    ret
    .endm

    .macro PRO32 fx
    movl %esp, DIFF_SAVED_SP
    .if \fx
    fxrstor DIFF_FX_IN
    .endif
    movl $IN(16), %esp
    popfl
    movl IN(0), %eax
    movl IN(1), %ecx
    movl IN(2), %edx
    movl IN(3), %ebx
    movl IN(5), %ebp
    movl IN(6), %esi
    movl IN(7), %edi
    movl IN(4), %esp
    .endm

    .macro EPI32 fx
    movl %eax, OUT(0)
    movl %ecx, OUT(1)
    movl %edx, OUT(2)
    movl %ebx, OUT(3)
    movl %esp, OUT(4)
    movl %ebp, OUT(5)
    movl %esi, OUT(6)
    movl %edi, OUT(7)
    .if \fx
    fxsave DIFF_FX_OUT
    .endif
    movl $(OUT(16) + 4), %esp
    pushfl
    movl DIFF_SAVED_SP, %esp
    cld
    ret
    .endm

    .section .rodata
    .code64
    .globl diff_prologue64, diff_prologue64_end, diff_epilogue64, diff_epilogue64_end
diff_prologue64:
    PRO64 0
diff_prologue64_end:
diff_epilogue64:
    EPI64 0
diff_epilogue64_end:
    .globl diff_prologue64fp, diff_prologue64fp_end, diff_epilogue64fp, diff_epilogue64fp_end
diff_prologue64fp:
    PRO64 1
diff_prologue64fp_end:
diff_epilogue64fp:
    EPI64 1
diff_epilogue64fp_end:

    .code32
    .globl diff_prologue32, diff_prologue32_end, diff_epilogue32, diff_epilogue32_end
diff_prologue32:
    PRO32 0
diff_prologue32_end:
diff_epilogue32:
    EPI32 0
diff_epilogue32_end:
    .globl diff_prologue32fp, diff_prologue32fp_end, diff_epilogue32fp, diff_epilogue32fp_end
diff_prologue32fp:
    PRO32 1
diff_prologue32fp_end:
diff_epilogue32fp:
    EPI32 1
diff_epilogue32fp_end:

    .code64
    .globl diff_stub64, diff_stub64_end
diff_stub64:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, DIFF_SAVED64
    movl $DIFF_LOWSTACK, %esp
    lcall *DIFF_FARPTR
    movq DIFF_SAVED64, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret
diff_stub64_end:

    .code32
    .globl diff_tramp32, diff_tramp32_end
diff_tramp32:
    pushl %ds
    pushl %es
    movl $0x2b, %eax
    movl %eax, %ds
    movl %eax, %es
    movl $DIFF_CODE, %eax
    call *%eax
    popl %es
    popl %ds
    lret
diff_tramp32_end:

    /* Run the 64-bit blob at DIFF_CODE: it clobbers every register, so keep the
     * ones the SysV ABI says a callee preserves. */
    .text
    .code64
    .globl diff_call64
diff_call64:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movl $DIFF_CODE, %eax
    call *%rax
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

    .section .note.GNU-stack, "", @progbits
