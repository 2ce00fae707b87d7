/*
 * paging.c: 32-bit paging (SDM Vol 3 §4.3) with 4 MiB PSE pages and one 4 KiB
 * page table, and page faults handled by mapping the page (§4.7, §6.15 #PF):
 * CR2 and the error code must be right, the faulting store must restart and
 * complete, accessed/dirty bits must be set by the walk, and a read-only
 * mapping must fault on a supervisor write once CR0.WP is set.
 */
#include "guest.h"

#define PTE_P  0x001u
#define PTE_W  0x002u
#define PTE_US 0x004u
#define PTE_A  0x020u
#define PTE_D  0x040u
#define PTE_PS 0x080u

static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt[1024] __attribute__((aligned(4096)));
static u8 backing[4 * 4096] __attribute__((aligned(4096)));

#define WINDOW 0x00800000u      /* 8 MiB: mapped through pt[] */

volatile u32 pf_count, pf_cr2, pf_err;

void pf_entry(void);
void pf_handler(u32 err);
__asm__(".text\n"
        ".globl pf_entry\n"
        "pf_entry:\n"
        "    pushal\n"
        "    pushl 32(%esp)\n"           /* the error code, above the saved registers */
        "    call pf_handler\n"
        "    addl $4, %esp\n"
        "    popal\n"
        "    addl $4, %esp\n"            /* drop the error code */
        "    iret\n");

void pf_handler(u32 err)
{
    u32 cr2;
    __asm__ volatile("movl %%cr2, %0" : "=r"(cr2));
    pf_count++;
    pf_cr2 = cr2;
    pf_err = err;
    u32 idx = (cr2 - WINDOW) >> 12;
    if (idx < 4) {
        /* Map it (writable) and return: the access restarts. */
        pt[idx] = ((u32)backing + idx * 4096) | PTE_P | PTE_W;
    }
}

/* One copy of the code for both runs (not unrolled into two). */
static __attribute__((noinline)) u32 cr4_then_load(u32 cr4, const u32 *p)
{
    u32 v;
    __asm__ volatile("movl %1, %%cr4\n\tmovl (%2), %0" : "=r"(v) : "r"(cr4), "r"(p)
                     : "memory");
    return v;
}

static u32 failures;

static void check(const char *what, u32 got, u32 want)
{
    if (got != want) {
        failures++;
        serial_puts("FAIL: ");
        serial_puts(what);
        serial_puts(": got ");
        serial_put_hex(got);
        serial_puts(", want ");
        serial_put_hex(want);
        serial_puts("\n");
    }
}

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    guest_set_gate(14, pf_entry);
    guest_load_idt();

    /* Identity map 0-8 MiB with 4 MiB pages; 8-12 MiB through pt[] (empty). */
    pd[0] = 0x000000 | PTE_P | PTE_W | PTE_PS;
    pd[1] = 0x400000 | PTE_P | PTE_W | PTE_PS;
    pd[2] = (u32)pt | PTE_P | PTE_W;
    u32 cr4;
    __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
    cr4 |= 0x10;                                    /* PSE */
    __asm__ volatile("movl %0, %%cr4" : : "r"(cr4));
    __asm__ volatile("movl %0, %%cr3" : : "r"(pd));
    u32 cr0;
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr0));
    cr0 |= 0x80000000u;                             /* PG */
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr0) : "memory");

    /* A store to an unmapped page: #PF (write, not present), then it completes. */
    volatile u32 *w = (volatile u32 *)(WINDOW + 0x10);
    *w = 0xcafef00d;
    check("faults after the first store", pf_count, 1);
    check("CR2", pf_cr2, WINDOW + 0x10);
    check("error code (write, not present)", pf_err, 2);
    check("the store landed", *(volatile u32 *)(backing + 0x10), 0xcafef00d);
    check("PTE accessed+dirty", pt[0] & (PTE_A | PTE_D), PTE_A | PTE_D);

    /* A read of another page: error code 0. */
    volatile u32 *r = (volatile u32 *)(WINDOW + 0x2000 + 0x7fc);
    u32 v = *r;
    check("faults after the read", pf_count, 2);
    check("CR2 of the read", pf_cr2, WINDOW + 0x27fc);
    check("error code (read)", pf_err, 0);
    check("read value", v, 0);
    check("PTE accessed, not dirty", pt[2] & (PTE_A | PTE_D), PTE_A);

    /* Read-only page, CR0.WP: a supervisor write faults with P|W. */
    pt[3] = ((u32)backing + 3 * 4096) | PTE_P;
    __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
    cr0 |= 0x10000u;                                /* WP */
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr0) : "memory");
    *(volatile u32 *)(WINDOW + 0x3000) = 0x1234;    /* handler makes it writable */
    check("faults after the read-only write", pf_count, 3);
    check("error code (protection, write)", pf_err, 3);
    check("the store landed after remapping", *(volatile u32 *)(backing + 0x3000), 0x1234);

    /* ADC and INC with a memory destination that faults: the restarted
     * instruction must see the flags from before it (ADC's carry in, the CF
     * that INC keeps), not those of the attempt that faulted. */
    *(volatile u32 *)(backing + 0x3004) = 0x100;
    pt[3] = ((u32)backing + 3 * 4096) | PTE_P;      /* read-only again */
    __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
    u32 cf = 0;
    __asm__ volatile("stc\n\tadcl $0x10, (%1)\n\tsetc %b0"
                     : "+q"(cf) : "r"(WINDOW + 0x3004) : "memory", "cc");
    check("faults after the read-only ADC", pf_count, 4);
    check("ADC restarted with its carry in", *(volatile u32 *)(backing + 0x3004), 0x111);
    pt[3] = ((u32)backing + 3 * 4096) | PTE_P;
    __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
    cf = 0;
    __asm__ volatile("stc\n\tincl (%1)\n\tsetc %b0"
                     : "+q"(cf) : "r"(WINDOW + 0x3004) : "memory", "cc");
    check("faults after the read-only INC", pf_count, 5);
    check("INC restarted", *(volatile u32 *)(backing + 0x3004), 0x112);
    check("INC kept CF across the fault", cf & 0xff, 1);

    /* A load that faults right after a CMP: the translator has not stored the
     * CMP's lazy-flags kind yet (only at helpers and exits), so the fault must
     * recover it; env still holds POPF's kind. The handler's IRET restores the
     * pushed EFLAGS: 3 - 5 sets CF, AF and SF only. */
    u32 fl, x = 3;
    __asm__ volatile("pushfl\n\tandl $~0x8d5, (%%esp)\n\tpopfl\n\t"
                     "cmpl $5, %1\n\tmovl (%2), %1\n\tpushfl\n\tpopl %0"
                     : "=r"(fl), "+r"(x) : "r"(WINDOW + 0x1000) : "memory", "cc");
    check("faults after the CMP-then-load", pf_count, 6);
    check("flags of the CMP across the fault", fl & 0x8d5, 0x91);

    /* SMEP (SDM Vol 3 §4.6.1): with CR4.SMEP, a CPL 0 fetch from a user page
     * is a #PF with P and I/D set; the handler remaps it supervisor and the
     * call restarts. Only where CPUID.(7,0):EBX[7] has it (the QEMU oracle's
     * default CPU does not); bt86 must have it. */
    u32 c7[4], brand[4];
    __asm__ volatile("cpuid" : "=a"(c7[0]), "=b"(c7[1]), "=c"(c7[2]), "=d"(c7[3])
                     : "a"(7), "c"(0));
    __asm__ volatile("cpuid" : "=a"(brand[0]), "=b"(brand[1]), "=c"(brand[2]),
                     "=d"(brand[3]) : "a"(0x80000002u), "c"(0));
    if (brand[0] == 0x36387462u) {                  /* "bt86" */
        check("bt86 advertises SMEP", (c7[1] >> 7) & 1, 1);
    }
    if ((c7[1] >> 7) & 1) {
        *(volatile u8 *)(backing + 0x1000) = 0xc3;  /* ret */
        pt[1] = ((u32)backing + 0x1000) | PTE_P | PTE_W | PTE_US;
        pd[2] |= PTE_US;                            /* user at every level */
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
        __asm__ volatile("movl %0, %%cr4" : : "r"(cr4 | 0x100000u) : "memory");
        u32 before = pf_count;
        ((void (*)(void))(WINDOW + 0x1000))();
        check("faults after a supervisor call into a user page", pf_count, before + 1);
        check("SMEP #PF error code (P, I/D)", pf_err, 0x11);
        check("SMEP #PF CR2", pf_cr2, WINDOW + 0x1000);
        __asm__ volatile("movl %0, %%cr4" : : "r"(cr4) : "memory");
        pd[2] &= ~PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
    }

    /* SMAP (SDM Vol 3 §4.6.1): with CR4.SMAP, a CPL 0 read of a user page
     * faults unless EFLAGS.AC is set (STAC); an implicit supervisor access
     * (a segment load reading an LDT that lies in a user page) faults even
     * with AC set. The handler remaps the page supervisor each time. */
    if (brand[0] == 0x36387462u) {
        check("bt86 advertises SMAP", (c7[1] >> 20) & 1, 1);
    }
    if ((c7[1] >> 20) & 1) {
        u32 *user_page = (u32 *)(WINDOW + 0x2000);
        *(volatile u32 *)(backing + 0x2010) = 0x5a5a0001;
        pt[2] = ((u32)backing + 0x2000) | PTE_P | PTE_W | PTE_US;
        pd[2] |= PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        __asm__ volatile("movl %%cr4, %0" : "=r"(cr4));
        __asm__ volatile("movl %0, %%cr4" : : "r"(cr4 | 0x200000u) : "memory");
        u32 before = pf_count;
        u32 got = *(volatile u32 *)(user_page + 4);
        check("SMAP: a CPL 0 read of a user page faults", pf_count, before + 1);
        check("SMAP #PF error code (P, read)", pf_err, 1);
        check("SMAP: the read completes after the remap", got, 0x5a5a0001);
        pt[2] |= PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        __asm__ volatile("stac\n\tmovl (%1), %0\n\tclac"
                         : "=r"(got) : "r"(user_page + 4) : "memory");
        check("SMAP: with STAC the read does not fault", pf_count, before + 1);
        check("SMAP: the STAC read's value", got, 0x5a5a0001);
        /* The same MOV CR4 + load, run with SMAP off and then on: the load's
         * block must follow the new CR4 (a chained jump from the MOV CR4 block
         * made on the first run would reach a block translated without SMAP). */
        __asm__ volatile("movl %0, %%cr4" : : "r"(cr4) : "memory");
        pt[2] |= PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        u32 pf_runs[2];
        for (u32 k = 0; k < 2; k++) {
            u32 v4 = k ? cr4 | 0x200000u : cr4;
            u32 before_k = pf_count;
            got = cr4_then_load(v4, user_page + 4);
            pf_runs[k] = pf_count - before_k;
        }
        check("SMAP off, then on, for the same code: faults on the first run", pf_runs[0], 0);
        check("SMAP off, then on, for the same code: faults on the second run", pf_runs[1],
              1);
        before = pf_count;
        /* Implicit access: an LDT in the user page, reached through a GDT
         * copy (in supervisor memory) with an LDT descriptor in slot 15. Event
         * delivery only reads the GDT, so the #PF is delivered normally. */
        struct __attribute__((packed)) { u16 limit; u32 base; } g0, g1;
        __asm__ volatile("sgdt %0" : "=m"(g0));
        u8 *gcopy = backing + 0x3800;               /* supervisor (identity) */
        for (u32 i = 0; i < 0x80; i++) {
            gcopy[i] = i <= g0.limit ? ((u8 *)g0.base)[i] : 0;
        }
        u32 ldt_lin = WINDOW + 0x2800;
        u32 *ldesc = (u32 *)(gcopy + 15 * 8);
        ldesc[0] = (ldt_lin & 0xffff) << 16 | 0x0f;            /* limit 15 */
        ldesc[1] = (ldt_lin & 0xff000000u) | 0x8200 | ((ldt_lin >> 16) & 0xff);
        u32 ds;
        __asm__ volatile("movl %%ds, %0" : "=r"(ds));
        for (u32 i = 0; i < 8; i++) {                /* LDT slot 0 = DS's descriptor */
            backing[0x2800 + i] = ((u8 *)g0.base)[(ds & ~7u) + i];
        }
        g1.limit = 0x7f;
        g1.base = (u32)gcopy;
        pt[2] |= PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        __asm__ volatile("lgdt %0\n\tmovw $0x78, %%ax\n\tlldt %%ax\n\tstac\n\t"
                         "movw $0x4, %%ax\n\tmovw %%ax, %%fs\n\tclac\n\t"
                         "xorl %%eax, %%eax\n\tmovw %%ax, %%fs\n\tlldt %%ax\n\tlgdt %1"
                         : : "m"(g1), "m"(g0) : "eax", "memory");
        check("SMAP: an LDT read from a user page faults even with AC set",
              pf_count, before + 1);
        check("SMAP implicit #PF error code", pf_err, 1);
        check("SMAP implicit #PF CR2 is the LDT entry", pf_cr2, ldt_lin);
        __asm__ volatile("movl %0, %%cr4" : : "r"(cr4) : "memory");
        pd[2] &= ~PTE_US;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
    }

    /* Two code pages behind one linear address: after the remap (and a CR3
     * reload) the other code must run, not a stale translation of the first. */
    static u8 code[2][4096] __attribute__((aligned(4096)));
    for (u32 k = 0; k < 2; k++) {
        code[k][0] = 0xb8;                          /* mov $imm32, %eax */
        code[k][1] = 0x10 + k;
        code[k][2] = code[k][3] = code[k][4] = 0;
        code[k][5] = 0xc3;                          /* ret */
    }
    u32 (*fn)(void) = (u32 (*)(void))(WINDOW + 0x1000);
    for (u32 round = 0; round < 6; round++) {
        u32 k = round & 1;
        pt[1] = (u32)code[k] | PTE_P | PTE_W;
        __asm__ volatile("movl %%cr3, %%eax\n\tmovl %%eax, %%cr3" ::: "eax", "memory");
        u32 got = 0;
        for (u32 rep = 0; rep < 3; rep++) {
            got = fn();
        }
        check("code after remapping", got, 0x10 + k);
    }

    /* The 4 MiB mapping is live: the same byte through two linear addresses. */
    check("identity map", *(volatile u32 *)((u32)backing + 0x10), 0xcafef00d);

    if (failures) {
        return 1;
    }
    serial_puts("paging checks ok\n");
    return 0;
}
