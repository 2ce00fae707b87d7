/*
 * start64.S: 64-bit entry of cpubench, the first byte of the flat image at
 * 2 MiB. entry32.S jumps here in IA-32e mode with EDI = Multiboot magic and
 * ESI = the info structure; we move to our own 64 KiB stack (16-byte aligned as
 * the SysV AMD64 ABI wants at a call) and call bench_main, whose return value
 * goes to the debug-exit port through guest_exit (tests/guest/libguest.c).
 */
    .section .text.entry, "ax", @progbits
    .code64
    .globl bench64_start
bench64_start:
    cli
    leaq bench64_stack_top(%rip), %rsp
    call bench_main
    movl %eax, %edi
    call guest_exit
1:  cli
    hlt
    jmp 1b

    .data
    .align 16
bench64_stack:
    .fill 65536, 1, 0
bench64_stack_top:

    .section .note.GNU-stack, "", @progbits
