/*
 * cpu.h: the architectural state of one x86-64 CPU, shared by both
 * accelerators (KVM copies it in and out of the kernel; the translator runs on
 * it directly) and by the loaders, which set the state a boot protocol asks for.
 *
 * Segment registers carry their hidden descriptor cache (SDM Vol 3 §3.4.3);
 * flags keep the descriptor's attribute bits in the positions they have in the
 * high dword of a descriptor (type at bit 8, S 12, DPL 13-14, P 15, AVL 20,
 * L 21, D/B 22, G 23), so loading a descriptor is a mask, not a reshuffle.
 */
#ifndef TARGET_X86_CPU_H
#define TARGET_X86_CPU_H

#include "util/osdep.h"

enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
       R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
enum { R_ES, R_CS, R_SS, R_DS, R_FS, R_GS };

/* Descriptor attribute bits, in SegmentCache.flags. */
#define DESC_TYPE_SHIFT 8
#define DESC_TYPE_MASK  (15 << DESC_TYPE_SHIFT)
#define DESC_A_MASK     (1 << 8)     /* accessed */
#define DESC_W_MASK     (1 << 9)     /* data: writable */
#define DESC_R_MASK     (1 << 9)     /* code: readable */
#define DESC_E_MASK     (1 << 10)    /* data: expand down */
#define DESC_C_MASK     (1 << 10)    /* code: conforming */
#define DESC_CS_MASK    (1 << 11)    /* code (vs data) */
#define DESC_S_MASK     (1 << 12)    /* code/data (vs system) */
#define DESC_DPL_SHIFT  13
#define DESC_DPL_MASK   (3 << DESC_DPL_SHIFT)
#define DESC_P_MASK     (1 << 15)
#define DESC_AVL_MASK   (1 << 20)
#define DESC_L_MASK     (1 << 21)    /* 64-bit code */
#define DESC_B_MASK     (1 << 22)    /* 32-bit default size */
#define DESC_G_MASK     (1 << 23)    /* 4 KiB limit granularity */

/* System descriptor types (S = 0). */
#define DESC_TYPE_LDT        2
#define DESC_TYPE_TSS16_BUSY 3
#define DESC_TYPE_TSS_AVAIL  9
#define DESC_TYPE_TSS_BUSY   11

/* RFLAGS */
#define CC_C  0x0001
#define CC_P  0x0004
#define CC_A  0x0010
#define CC_Z  0x0040
#define CC_S  0x0080
#define TF_MASK   0x00000100
#define IF_MASK   0x00000200
#define DF_MASK   0x00000400
#define CC_O  0x0800
#define IOPL_MASK 0x00003000
#define NT_MASK   0x00004000
#define RF_MASK   0x00010000
#define VM_MASK   0x00020000
#define AC_MASK   0x00040000
#define VIF_MASK  0x00080000
#define VIP_MASK  0x00100000
#define ID_MASK   0x00200000

/* CR0 */
#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_AM (1u << 18)
#define CR0_NW (1u << 29)
#define CR0_CD (1u << 30)
#define CR0_PG (1u << 31)

/* CR4 */
#define CR4_VME        (1u << 0)
#define CR4_PVI        (1u << 1)
#define CR4_TSD        (1u << 2)
#define CR4_DE         (1u << 3)
#define CR4_PSE        (1u << 4)
#define CR4_PAE        (1u << 5)
#define CR4_MCE        (1u << 6)
#define CR4_PGE        (1u << 7)
#define CR4_PCE        (1u << 8)
#define CR4_OSFXSR     (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define CR4_UMIP       (1u << 11)
#define CR4_LA57       (1u << 12)
#define CR4_FSGSBASE   (1u << 16)
#define CR4_PCIDE      (1u << 17)
#define CR4_OSXSAVE    (1u << 18)
#define CR4_SMEP       (1u << 20)
#define CR4_SMAP       (1u << 21)

/* EFER */
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

/* MSRs */
#define MSR_IA32_TSC            0x10
#define MSR_IA32_APICBASE       0x1b
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_IA32_UCODE_REV      0x8b
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_MTRRcap             0xfe
#define MSR_MTRRdefType         0x2ff
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_CR_PAT         0x277
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_FMASK               0xc0000084
#define MSR_FSBASE              0xc0000100
#define MSR_GSBASE              0xc0000101
#define MSR_KERNELGSBASE        0xc0000102
#define MSR_TSC_AUX             0xc0000103

#define APIC_DEFAULT_BASE       0xfee00000ULL
#define MSR_APICBASE_BSP        (1ULL << 8)
#define MSR_APICBASE_ENABLE     (1ULL << 11)

typedef struct SegmentCache {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;         /* byte granular, already scaled by G */
    uint32_t flags;         /* DESC_* attribute bits */
} SegmentCache;

typedef struct DescTable {
    uint64_t base;
    uint16_t limit;
} DescTable;

typedef union X86XmmReg {
    uint8_t b[16];
    uint32_t l[4];
    uint64_t q[2];
} X86XmmReg;

/* An x87 register: 64-bit significand (explicit integer bit), sign and
 * 15-bit exponent in sexp (SDM Vol 1 §4.2.2, Figure 4-3). */
typedef struct X86Float80 {
    uint64_t mant;
    uint16_t sexp;
} X86Float80;

typedef struct CPUX86State {
    uint64_t regs[16];
    uint64_t rip;
    uint64_t rflags;        /* all bits except the lazily computed arithmetic ones
                               when the translator owns them (see cc_op) */
    /* Lazy condition codes, used by the translator (issue: translator core). */
    uint32_t cc_op;
    uint64_t cc_dst, cc_src, cc_src2;

    SegmentCache segs[6];
    SegmentCache ldt;
    SegmentCache tr;
    DescTable gdt;
    DescTable idt;

    uint64_t cr[5];         /* cr0, (cr1 unused), cr2, cr3, cr4 */
    uint64_t cr8;
    uint64_t efer;
    uint64_t xcr0;
    uint64_t dr[8];

    /* MSRs */
    uint64_t star, lstar, cstar, fmask, kernel_gs_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t tsc;
    uint64_t tsc_aux;
    uint64_t apic_base;
    uint64_t pat;
    uint64_t misc_enable;
    /* MTRRs (SDM Vol 3 §12.11): default type, 11 fixed-range registers
     * (64K_00000, 16K_80000/A0000, 4K_C0000..F8000), 8 variable pairs. */
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];

    /* x87 FPU (SDM Vol 1 ch. 8): fpus is the status word with TOP in bits
     * 11-13, fptag the full tag word (2 bits per physical register, 3 =
     * empty). ST(i) is fpregs[(TOP + i) & 7]; MMX register i is
     * fpregs[i].mant, and an MMX write sets sexp to FFFFH (SDM Vol 1 §9.5). */
    uint16_t fpuc, fpus, fptag;
    uint16_t fpop;              /* last non-control instruction's opcode (11 bits) */
    uint16_t fpcs, fpds;
    uint64_t fpip, fpdp;        /* last instruction and data pointers */
    X86Float80 fpregs[8];

    /* SSE */
    uint32_t mxcsr;
    X86XmmReg xmm[16];
    X86XmmReg sse_tmp;          /* translator scratch: a memory operand */

    /* Pending event state for accelerators that deliver them */
    bool interrupt_shadow;
    bool nmi_pending;

    /* External interrupt wiring for accelerators without an in-kernel irqchip
     * (-accel tcg): the board's interrupt controller drives intr_pending (the
     * INTR pin, written under the machine lock, read at block boundaries) and
     * intack performs the INTA cycle, returning the vector. The board's INTR
     * handler sets all three whenever the pin changes; a reset clears them
     * (the interrupt controller is reset first, which lowers INTR). */
    volatile int intr_pending;
    int (*intack)(void *opaque);
    void *intack_opaque;

    /* Translator (-accel tcg) state, unused by KVM. The softmmu TLB per MMU
     * index (supervisor, user, supervisor with SMAP: X86_MMU_* in
     * x86-tcg.h): see TCGTLBDesc in tcg/tcg.h. */
    uintptr_t tcg_tlb_mask[3];
    void *tcg_tlb_table[3];
    int tcg_exception;          /* vector being raised (loop-private) */
    uint32_t tcg_error_code;
    bool tcg_has_error;
} CPUX86State;

/*
 * The TSC of -accel tcg: X86_TSC_KHZ on the machine's virtual clock (it
 * stops while the machine is paused), plus env->tsc, the offset a WRMSR to
 * IA32_TSC sets. CPUID leaf 15h reports the rate; the local APIC's
 * TSC-deadline timer converts with it.
 */
#define X86_TSC_KHZ 2000000u
static inline uint64_t x86_tsc_at(const CPUX86State *env, int64_t clock_ns)
{
    return (uint64_t)clock_ns * (X86_TSC_KHZ / 1000000u) + env->tsc;
}

/* Power-on/INIT state (SDM Vol 3 §9.1.1, Table 9-1). is_bsp sets the APIC BSP bit. */
void x86_cpu_reset_state(CPUX86State *env, bool is_bsp);

/* Fill a segment cache from a selector and explicit descriptor fields. */
void x86_seg_set(SegmentCache *s, uint16_t sel, uint64_t base, uint32_t limit,
                 uint32_t flags);
/* Real-mode style segment: base = sel << 4, limit 0xffff, present RW data or code. */
void x86_seg_set_real(SegmentCache *s, uint16_t sel, bool code);

/* Flat 32-bit protected mode with paging off, interrupts disabled: the entry
 * state of the Linux 32-bit boot protocol and Multiboot (code_sel / data_sel are
 * the selectors the protocol names; descriptors are in the caches). */
void x86_cpu_set_flat32(CPUX86State *env, uint16_t code_sel, uint16_t data_sel);
/* 64-bit long mode with the given page tables, CS.L=1: the Linux 64-bit entry. */
void x86_cpu_set_long64(CPUX86State *env, uint64_t cr3, uint16_t code_sel,
                        uint16_t data_sel);

/* Build an 8-byte GDT descriptor from cache-style fields. */
uint64_t x86_make_descriptor(uint32_t base, uint32_t limit, uint32_t flags);

#endif
