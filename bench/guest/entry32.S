/*
 * entry32.S: the 32-bit half of cpubench. tests/guest/crt0.S (the Multiboot v1
 * header, GDT with a 64-bit code segment, stack, serial_init) calls main(magic,
 * mbi) here in flat protected mode. main identity-maps the first 1 GiB with
 * 2 MiB pages and enters IA-32e mode as SDM Vol 3 §9.8.5 "Initializing IA-32e
 * Mode" orders it (CR4.PAE, CR3, EFER.LME, CR0.PG; the CPU then sets EFER.LMA),
 * then far-jumps through the 64-bit code segment to the 64-bit benchmark image
 * linked at BENCH64_BASE (start64.S), passing magic in EDI and mbi in ESI.
 * Page-table formats: SDM Vol 3 §4.5 (4-level paging, 2 MiB PDEs with PS=1).
 */
#define MSR_EFER     0xc0000080
#define EFER_LME     0x100
#define CR4_PAE      0x20
#define CR0_PG       0x80000000
#define PTE_P        0x001
#define PTE_RW       0x002
#define PTE_PS       0x080
#define SEL_CODE64   0x28
#define SEL_DATA     0x10
#define BENCH64_BASE 0x200000

    .text
    .code32
    .globl main
main:
    movl 4(%esp), %esi              /* magic */
    movl 8(%esp), %edi              /* mbi */

    /* Clear the three tables: the Multiboot spec does not promise a zeroed
     * .bss for ELF images, and stale bits here would map garbage. */
    pushl %edi
    movl $bench_pml4, %edi
    movl $(3 * 4096 / 4), %ecx
    xorl %eax, %eax
    cld
    rep stosl
    popl %edi

    movl $(bench_pdpt + PTE_P + PTE_RW), bench_pml4
    movl $(bench_pd + PTE_P + PTE_RW), bench_pdpt
    /* 512 PDEs x 2 MiB = 1 GiB identity map; the benchmark only touches what
     * the Multiboot memory info says exists. */
    movl $bench_pd, %ebx
    movl $(PTE_P + PTE_RW + PTE_PS), %eax
    movl $512, %ecx
1:  movl %eax, (%ebx)
    movl $0, 4(%ebx)
    addl $0x200000, %eax
    addl $8, %ebx
    loop 1b

    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $bench_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    ljmp $SEL_CODE64, $2f

    .code64
2:  movw $SEL_DATA, %ax             /* data segments are ignored in 64-bit mode */
    movw %ax, %ss                   /* but SS must stay a valid writable one */
    xchgl %esi, %edi                /* SysV args: EDI = magic, ESI = mbi; a 32-bit
                                     * xchg zero-extends both into RDI, RSI */
    movl $BENCH64_BASE, %eax
    jmp *%rax

    .bss
    .align 4096
bench_pml4:
    .skip 4096
bench_pdpt:
    .skip 4096
bench_pd:
    .skip 4096

    .section .note.GNU-stack, "", @progbits
