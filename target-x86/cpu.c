/*
 * cpu.c: architectural CPU states that are defined by the manual rather than
 * reached by executing code: the power-on/INIT state (SDM Vol 3 §9.1.1,
 * Table 9-1), and the entry states the boot protocols ask for (flat 32-bit
 * protected mode, 64-bit long mode; SDM Vol 3 §9.8 and §9.8.5 describe the
 * switches that firmware would otherwise execute).
 *
 * Segment caches keep descriptor attribute bits where a descriptor's high
 * dword has them (see cpu.h), so building a GDT entry from a cache is a
 * matter of moving base and limit around the attribute bits.
 */
#include "util/osdep.h"
#include "target-x86/cpu.h"

/* Attributes of a present, accessed, read/write data segment (DPL 0). */
#define SEG_DATA_RW (DESC_P_MASK | DESC_S_MASK | DESC_W_MASK | DESC_A_MASK)
/* Present, accessed, execute/read code segment (DPL 0). */
#define SEG_CODE_RX (DESC_P_MASK | DESC_S_MASK | DESC_CS_MASK | DESC_R_MASK | DESC_A_MASK)

/* Processor signature left in EDX after reset (SDM Table 9-1: "000n06xxH").
 * Family 6, model 0, stepping 3: what the family-6 CPUID model reports at
 * the least; firmware only uses it to print the CPU family. */
#define RESET_EDX_SIGNATURE 0x00000603

/* Power-up default of IA32_PAT (SDM Vol 3 §12.12.4, Table 12-12). */
#define PAT_POWER_ON 0x0007040600070406ULL

void x86_seg_set(SegmentCache *s, uint16_t sel, uint64_t base, uint32_t limit,
                 uint32_t flags)
{
    s->selector = sel;
    s->base = base;
    s->limit = limit;
    s->flags = flags;
}

void x86_seg_set_real(SegmentCache *s, uint16_t sel, bool code)
{
    /* Real-mode loads only change selector and base (SDM Vol 3 §20.1.1); the
     * limit and attributes are those the processor sets at reset. */
    x86_seg_set(s, sel, (uint64_t)sel << 4, 0xffff, code ? SEG_CODE_RX : SEG_DATA_RW);
}

void x86_cpu_reset_state(CPUX86State *env, bool is_bsp)
{
    memset(env, 0, sizeof(*env));

    env->regs[R_EDX] = RESET_EDX_SIGNATURE;
    env->rflags = 0x2;          /* bit 1 reads as one */
    env->rip = 0xfff0;

    /* CS:IP = F000:FFF0 with the base at FFFF0000, so the first fetch hits
     * the reset vector at FFFFFFF0 (SDM Vol 3 §9.1.4). */
    x86_seg_set(&env->segs[R_CS], 0xf000, 0xffff0000, 0xffff, SEG_CODE_RX);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            x86_seg_set_real(&env->segs[i], 0, false);
        }
    }
    env->gdt.base = 0;
    env->gdt.limit = 0xffff;
    env->idt.base = 0;
    env->idt.limit = 0xffff;
    /* Table 9-1: LDTR and TR present with limit FFFFH. TR is typed busy TSS
     * because VM entry (and later task switches) insist on a busy TSS type. */
    x86_seg_set(&env->ldt, 0, 0, 0xffff, DESC_P_MASK | (DESC_TYPE_LDT << DESC_TYPE_SHIFT));
    x86_seg_set(&env->tr, 0, 0, 0xffff,
                DESC_P_MASK | (DESC_TYPE_TSS_BUSY << DESC_TYPE_SHIFT));

    env->cr[0] = CR0_CD | CR0_NW | CR0_ET;     /* 60000010H */
    env->dr[6] = 0xffff0ff0;
    env->dr[7] = 0x00000400;
    env->efer = 0;
    env->xcr0 = 1;              /* x87 state is always enabled in XCR0 */

    /* x87 and SSE power-up values (Table 9-1): FCW 0040H, FSW 0, FTW 5555H,
     * MXCSR 1F80H. FNINIT later gives 037FH / 0 / FFFFH. */
    env->fpuc = 0x0040;
    env->fpus = 0;
    env->fptag = 0x5555;
    env->mxcsr = 0x1f80;

    env->pat = PAT_POWER_ON;
    env->misc_enable = 1;       /* fast-strings enable, set by default on P6+ */
    env->apic_base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE |
                     (is_bsp ? MSR_APICBASE_BSP : 0);
}

/* Flat 4 GiB segments: base 0, limit FFFFFFFFH with 4 KiB granularity. */
static void seg_set_flat(SegmentCache *s, uint16_t sel, uint32_t flags)
{
    x86_seg_set(s, sel, 0, 0xffffffff, flags | DESC_G_MASK);
}

/* Task register and LDT as a protected-mode OS finds them before loading its
 * own: null LDT, a busy TSS that nobody has switched through yet. */
static void seg_set_pm_system(CPUX86State *env)
{
    x86_seg_set(&env->ldt, 0, 0, 0xffff, DESC_P_MASK | (DESC_TYPE_LDT << DESC_TYPE_SHIFT));
    x86_seg_set(&env->tr, 0, 0, 0xffff,
                DESC_P_MASK | (DESC_TYPE_TSS_BUSY << DESC_TYPE_SHIFT));
}

void x86_cpu_set_flat32(CPUX86State *env, uint16_t code_sel, uint16_t data_sel)
{
    /* Caches enabled (CD/NW clear, as firmware leaves them), paging off. */
    env->cr[0] = CR0_PE | CR0_ET;
    env->cr[3] = 0;
    env->cr[4] = 0;
    env->efer = 0;
    env->rflags = 0x2;          /* IF, VM, TF clear */

    seg_set_flat(&env->segs[R_CS], code_sel, SEG_CODE_RX | DESC_B_MASK);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            seg_set_flat(&env->segs[i], data_sel, SEG_DATA_RW | DESC_B_MASK);
        }
    }
    seg_set_pm_system(env);
}

void x86_cpu_set_long64(CPUX86State *env, uint64_t cr3, uint16_t code_sel,
                        uint16_t data_sel)
{
    /* IA-32e mode needs PAE paging with EFER.LME set before CR0.PG; the CPU
     * then sets LMA (SDM Vol 3 §9.8.5). We land in the finished state. */
    env->cr[0] = CR0_PE | CR0_PG | CR0_ET;
    env->cr[3] = cr3;
    env->cr[4] = CR4_PAE;
    env->efer = EFER_LME | EFER_LMA;
    env->rflags = 0x2;

    /* 64-bit code segment: L=1 requires D=0 (SDM Vol 3 §5.2.1). */
    seg_set_flat(&env->segs[R_CS], code_sel, SEG_CODE_RX | DESC_L_MASK);
    for (int i = 0; i < 6; i++) {
        if (i != R_CS) {
            seg_set_flat(&env->segs[i], data_sel, SEG_DATA_RW | DESC_B_MASK);
        }
    }
    seg_set_pm_system(env);
}

uint64_t x86_make_descriptor(uint32_t base, uint32_t limit, uint32_t flags)
{
    /* The descriptor's 20-bit limit counts 4 KiB pages when G is set
     * (SDM Vol 3 §3.4.5); the cache holds it in bytes. */
    uint32_t raw_limit = (flags & DESC_G_MASK) ? limit >> 12 : limit;
    uint32_t lo = ((base & 0xffff) << 16) | (raw_limit & 0xffff);
    uint32_t hi = (base & 0xff000000) | ((base >> 16) & 0xff) |
                  (raw_limit & 0x000f0000) | (flags & 0x00f0ff00);
    return ((uint64_t)hi << 32) | lo;
}
