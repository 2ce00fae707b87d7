/*
 * x87.c: the x87 FPU, FXSAVE/FXRSTOR and XSAVE under bt86 (SDM Vol 1 ch. 8,
 * §10.5, ch. 13), in 32-bit protected mode.
 *
 * Part 1 runs the cases of x87-cases.c.inc (arithmetic in every rounding and
 * precision mode, masked and unmasked responses, stack faults, loads and
 * stores of every format, transcendentals, comparisons and their flags,
 * FCMOVcc, FNSTENV/FLDENV/FNSAVE/FRSTOR/FXSAVE images) and compares each
 * group of results with x87-expect.h, which the same cases produced on the
 * build host's own FPU.
 *
 * Part 2 checks what only a kernel can see, against the SDM: #MF delivery
 * with CR0.NE=1 and the FSW/FIP/FOP its handler finds, the data pointer, #NM
 * with CR0.TS/EM (and MP for FWAIT), #UD/#GP of FXSAVE/FXRSTOR/XSAVE/XRSTOR/
 * XGETBV/XSETBV, CPUID leaf 0xD and the XSAVE area header.
 */
#include "guest.h"
#include "x87-hash.h"
#include "x87-expect.h"

/* gcc may call these for structure copies in freestanding code. */
void *memcpy(void *d, const void *s, unsigned n);
void *memset(void *d, int c, unsigned n);
void *memcpy(void *d, const void *s, unsigned n)
{
    u8 *dd = d;
    const u8 *ss = s;
    while (n--) {
        *dd++ = *ss++;
    }
    return d;
}

void *memset(void *d, int c, unsigned n)
{
    u8 *dd = d;
    while (n--) {
        *dd++ = (u8)c;
    }
    return d;
}

static X87Hash hash;
static u32 ngroup, bad_groups;
static const char *group_name;

static void rec(const char *name, const void *p, unsigned n)
{
    if (hash.records % X87_GROUP == 0) {
        group_name = name;
    }
    if (x87_hash_add(&hash, p, n)) {
        if (ngroup >= sizeof(x87_expect) / sizeof(x87_expect[0]) ||
            x87_expect[ngroup] != hash.group) {
            if (bad_groups++ < 8) {
                serial_puts("FAIL: records from ");
                serial_put_hex(hash.records - X87_GROUP);
                serial_puts(" (");
                serial_puts(group_name);
                serial_puts(") differ from the host\n");
            }
        }
        ngroup++;
    }
}

#include "x87-cases.c.inc"

/* ---- part 2: exceptions and system state ---- */

volatile u32 last_vec, nfaults, last_err, skip_len;
volatile u16 mf_fsw;
volatile u8 mf_env[28];

void ud_entry(void);
void nm_entry(void);
void gp_entry(void);
void mf_entry(void);
__asm__(".text\n"
        "ud_entry:\n"
        "    movl $6, last_vec\n"
        "    jmp skip_common\n"
        "gp_entry:\n"
        "    movl $13, last_vec\n"
        "    popl last_err\n"
        "skip_common:\n"
        "    incl nfaults\n"
        "    pushl %eax\n"
        "    movl skip_len, %eax\n"
        "    addl %eax, 4(%esp)\n"
        "    popl %eax\n"
        "    iret\n"
        /* #NM: make the FPU available and run the instruction again. */
        "nm_entry:\n"
        "    movl $7, last_vec\n"
        "    incl nfaults\n"
        "    pushl %eax\n"
        "    movl %cr0, %eax\n"
        "    andl $~0xc, %eax\n"
        "    movl %eax, %cr0\n"
        "    popl %eax\n"
        "    iret\n"
        /* #MF: look at the state, clear the exception, run it again. */
        "mf_entry:\n"
        "    movl $16, last_vec\n"
        "    incl nfaults\n"
        "    fnstsw mf_fsw\n"
        "    fnstenv mf_env\n"
        "    fnclex\n"
        "    iret\n");

static u32 failures;
/* "oracle" on the command line: a run on real hardware (KVM) to check the
 * expectations of parts 2 and 3; part 1 and the values specific to bt86's
 * CPUID are skipped. */
static int oracle;

static int cmdline_has(u32 mbi, const char *word)
{
    const u32 *info = (const u32 *)mbi;
    if (!mbi || !(info[0] & (1u << 2)) || !info[4]) {
        return 0;
    }
    for (const char *p = (const char *)info[4]; *p; p++) {
        int i = 0;
        while (word[i] && p[i] == word[i]) {
            i++;
        }
        if (!word[i]) {
            return 1;
        }
    }
    return 0;
}

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

static u32 rd32(const volatile u8 *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static u32 get_cr0(void)
{
    u32 v;
    __asm__ volatile("movl %%cr0, %0" : "=r"(v));
    return v;
}

static void set_cr0(u32 v)
{
    __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory");
}

static u32 get_cr4(void)
{
    u32 v;
    __asm__ volatile("movl %%cr4, %0" : "=r"(v));
    return v;
}

static void set_cr4(u32 v)
{
    __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory");
}

static void faults_reset(void)
{
    last_vec = 0xff;
    nfaults = 0;
    last_err = 0xdead;
}

void fdiv_insn(void);
void fadd_insn(void);
extern double dvar;
double dvar = 2.0;

static void mf_checks(void)
{
    u16 cw = 0x037b;            /* zero-divide unmasked */

    set_cr0(get_cr0() | 0x20);  /* CR0.NE: native #MF */
    faults_reset();
    __asm__ volatile("fninit\n\tfldcw %0\n\tfld1\n\tfldz\n\t"
                     ".globl fdiv_insn\nfdiv_insn:\n\t"
                     ".byte 0xde, 0xf9\n\t"         /* FDIVP: 0 / ... ZE */
                     "fnstsw %%ax\n\t"              /* no wait: no #MF here */
                     "fwait"                        /* #MF, then again */
                     : : "m"(cw) : "eax", "memory");
    check("#MF at FWAIT: vector", last_vec, 16);
    check("#MF at FWAIT: count", nfaults, 1);
    check("#MF: FSW exception bits", mf_fsw & 0x80ff, 0x8084);
    check("#MF: FIP", rd32(mf_env + 12), (u32)fdiv_insn);
    check("#MF: FCS", rd32(mf_env + 16) & 0xffff, SEL_CODE32);
    check("#MF: FOP", (rd32(mf_env + 16) >> 16) & 0x7ff, 0x6f9);

    /* A non-control instruction takes it too; FNSTSW/FNSTCW do not. */
    u16 sw1, sw2;
    faults_reset();
    __asm__ volatile("fninit\n\tfldcw %2\n\tfld1\n\tfldz\n\t.byte 0xde, 0xf9\n\t"
                     "fnstsw %0\n\tfnstcw %2\n\tfld1\n\tfnstsw %1\n\tfninit"
                     : "=m"(sw1), "=m"(sw2) : "m"(cw) : "memory");
    check("#MF at FLD1: count", nfaults, 1);
    check("#MF at FLD1: vector", last_vec, 16);
    check("FLD1 after #MF: pushed once", ((sw1 >> 11) - (sw2 >> 11)) & 7, 1);

    /* The data pointer and opcode of a memory form (FADD m64, DC /0). */
    __asm__ volatile("fninit\n\tfld1\n\t"
                     ".globl fadd_insn\nfadd_insn:\n\t"
                     "faddl dvar\n\tfnstenv %0\n\tfninit"
                     : "=m"(*(u8(*)[28])mf_env) : : "memory");
    check("FIP", rd32(mf_env + 12), (u32)fadd_insn);
    check("FOP", (rd32(mf_env + 16) >> 16) & 0x7ff, 0x405);
    check("FDP", rd32(mf_env + 20), (u32)&dvar);
    check("FDS", rd32(mf_env + 24) & 0xffff, SEL_DATA32);
}

static void nm_checks(void)
{
    u32 cr0 = get_cr0();

    faults_reset();
    set_cr0(cr0 | 0x8);         /* TS */
    __asm__ volatile("fld1\n\tfstp %%st(0)" : : : "memory");
    check("#NM with TS: vector", last_vec, 7);
    check("#NM with TS: count", nfaults, 1);

    faults_reset();
    set_cr0(cr0 | 0x4);         /* EM */
    __asm__ volatile("fldz\n\tfstp %%st(0)" : : : "memory");
    check("#NM with EM: count", nfaults, 1);

    faults_reset();
    set_cr0((cr0 | 0x8) & ~0x2u);   /* TS, MP=0: FWAIT runs */
    __asm__ volatile("fwait" : : : "memory");
    check("FWAIT with TS, MP=0", nfaults, 0);
    set_cr0(cr0 | 0xa);             /* TS, MP=1: FWAIT faults */
    __asm__ volatile("fwait" : : : "memory");
    check("FWAIT with TS, MP=1", nfaults, 1);
    set_cr0(cr0);
}

static u8 fxa[512 + 64] __attribute__((aligned(64)));
static u8 fxb[512 + 64] __attribute__((aligned(64)));
static u8 xsa[1024] __attribute__((aligned(64)));

static void fxsave_checks(void)
{
    u32 cr0 = get_cr0();
    static const u16 cw = 0x0b7f;

    /* #UD with CR0.EM (SDM Vol 2A FXSAVE), #GP on a misaligned area. */
    faults_reset();
    skip_len = 3;               /* 0F AE 07: fxsave (%edi) */
    set_cr0(cr0 | 0x4);
    __asm__ volatile(".byte 0x0f, 0xae, 0x07" : : "D"(fxa) : "memory");
    set_cr0(cr0);
    check("FXSAVE with EM: vector", last_vec, 6);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0xae, 0x07" : : "D"(fxa + 8) : "memory");
    check("FXSAVE misaligned: vector", last_vec, 13);
    check("FXSAVE misaligned: error code", last_err, 0);

    /* x87 registers, XMM registers and MXCSR through FXRSTOR and back. */
    for (int i = 0; i < 512; i++) {
        fxa[i] = 0xcc;
        fxb[i] = 0xee;
    }
    __asm__ volatile("fninit\n\tfldcw %0\n\tfldpi\n\tfxsave %1"
                     : : "m"(cw), "m"(fxa) : "memory");
    for (int i = 160; i < 288; i++) {
        fxa[i] = (u8)(i * 7 + 1);
    }
    fxa[24] = 0x80; fxa[25] = 0x3f; fxa[26] = 0; fxa[27] = 0;     /* MXCSR 3F80 */
    faults_reset();
    __asm__ volatile("fninit\n\tfxrstor %0\n\tfxsave %1" : : "m"(fxa), "m"(fxb)
                     : "memory");
    check("FXRSTOR: faults", nfaults, 0);
    int bad = -1;
    for (int i = 32; i < 288 && bad < 0; i++) {
        if ((i >= 160 || (i - 32) % 16 < 10) && fxa[i] != fxb[i]) {
            bad = i;
        }
    }
    check("FXSAVE after FXRSTOR: first differing byte", (u32)bad, 0xffffffffu);
    check("FXSAVE: FCW", fxb[0] | fxb[1] << 8, 0x0b7f);
    check("FXSAVE: abridged tag", fxb[4], 0x80);
    check("FXSAVE: MXCSR", rd32(fxb + 24), 0x3f80);
    check("FXSAVE: MXCSR_MASK", rd32(fxb + 28) & 0xffbf, 0xffbf);
    check("FXSAVE: bytes 464-511 untouched", fxb[500], 0xee);

    /* Reserved MXCSR bits: #GP(0), nothing loaded. */
    fxa[26] = 1;                                /* bit 16 */
    faults_reset();
    skip_len = 3;                               /* 0F AE 0F: fxrstor (%edi) */
    __asm__ volatile("fninit\n\t.byte 0x0f, 0xae, 0x0f" : : "D"(fxa) : "memory");
    check("FXRSTOR reserved MXCSR: vector", last_vec, 13);
    fxa[26] = 0;
}

static u32 xgetbv0(void)
{
    u32 a, d;
    __asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
    return a;
}

static void cpuid(u32 leaf, u32 sub, u32 *r)
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static void xsave_checks(void)
{
    u32 r[4], cr4 = get_cr4();

    cpuid(0, 0, r);
    check("CPUID max leaf >= 0xD", r[0] >= 0xd, 1);
    cpuid(1, 0, r);
    check("CPUID.1 EDX.FPU", r[3] & 1, 1);
    check("CPUID.1 EDX.FXSR", (r[3] >> 24) & 1, 1);
    check("CPUID.1 ECX.XSAVE", (r[2] >> 26) & 1, 1);
    check("CPUID.1 ECX.OSXSAVE (CR4 clear)", (r[2] >> 27) & 1, 0);

    /* Without CR4.OSXSAVE: #UD. */
    faults_reset();
    skip_len = 3;                               /* 0F 01 D0 */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : : "c"(0) : "eax", "edx", "memory");
    check("XGETBV without OSXSAVE: vector", last_vec, 6);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0xae, 0x27" : : "D"(xsa), "a"(3), "d"(0) : "memory");
    check("XSAVE without OSXSAVE: vector", last_vec, 6);

    set_cr4(cr4 | (1u << 18) | (1u << 9));
    cpuid(1, 0, r);
    check("CPUID.1 ECX.OSXSAVE (CR4 set)", (r[2] >> 27) & 1, 1);
    check("XCR0 at reset", xgetbv0(), 1);
    cpuid(0xd, 0, r);
    u32 d0 = r[0];
    if (!oracle) {
        check("CPUID.D.0 EAX", r[0], 3);
        check("CPUID.D.0 EBX", r[1], 576);
        check("CPUID.D.0 ECX", r[2], 576);
        check("CPUID.D.0 EDX", r[3], 0);
    }
    cpuid(0xd, 1, r);
    if (!oracle) {
        check("CPUID.D.1 EAX (XSAVEOPT only)", r[0], 1);
    }
    u32 d1 = r[0];

    /* XSETBV: bit 0 must stay set, no unsupported bits, ECX = 0. */
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(0), "a"(2), "d"(0));
    check("XSETBV without x87: vector", last_vec, 13);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(0), "a"(7), "d"(0));
    check("XSETBV with AVX: vector", last_vec, (d0 & 4) ? 0xff : 13);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(1), "a"(1), "d"(0));
    check("XSETBV ECX=1: vector", last_vec, 13);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : : "c"(1) : "eax", "edx");
    check("XGETBV ECX=1: vector", last_vec, (d1 & 4) ? 0xff : 13);
    faults_reset();
    __asm__ volatile("xsetbv" : : "c"(0), "a"(3), "d"(0));
    check("XSETBV 3: faults", nfaults, 0);
    check("XCR0 after XSETBV", xgetbv0(), 3);

    /* XSAVE: the legacy region is the FXSAVE image; XSTATE_BV gets RFBM's
     * bits, the rest of the header is left alone. */
    for (int i = 0; i < 1024; i++) {
        xsa[i] = 0x77;
    }
    for (int i = 512; i < 576; i++) {
        xsa[i] = 0;
    }
    xsa[512 + 7] = 0x40;                        /* a bit outside RFBM stays */
    static const u16 cw = 0x027f;
    __asm__ volatile("fninit\n\tfldcw %0\n\tfldl2e\n\tfld1\n\tfxsave %1\n\t"
                     "xsave %2"
                     : : "m"(cw), "m"(fxa), "m"(xsa), "a"(3), "d"(0) : "memory");
    /* On hardware the SSE component may be in its initial state (XINUSE[1]
     * clear) and then need not be written: the oracle run looks at x87. */
    int same = 1, cmp_end = oracle ? 160 : 288;
    u32 bv_want = oracle ? 1 : 3;
    for (int i = 0; i < cmp_end; i++) {
        same &= (i >= 24 && i < 32) || fxa[i] == xsa[i];
    }
    check("XSAVE legacy region == FXSAVE image", same, 1);
    check("XSAVE: XSTATE_BV", rd32(xsa + 512) & bv_want, bv_want);
    check("XSAVE: XSTATE_BV high byte kept", xsa[512 + 7], 0x40);
    check("XSAVE: XCOMP_BV untouched", rd32(xsa + 520), 0);
    check("XSAVE: byte 600 untouched", xsa[600], 0x77);

    /* XSAVEOPT saves the same thing. */
    for (int i = 0; i < 512; i++) {
        xsa[i] = 0x11;
    }
    __asm__ volatile("xsaveopt %0" : : "m"(xsa), "a"(3), "d"(0) : "memory");
    same = 1;
    for (int i = 0; i < cmp_end; i++) {
        same &= (i >= 24 && i < 32) || fxa[i] == xsa[i];
    }
    check("XSAVEOPT legacy region == FXSAVE image", same, 1);

    /* XRSTOR brings it back; with XSTATE_BV[0] = 0, x87 is initialised. */
    u16 sw, cwo;
    xsa[512 + 7] = 0;
    __asm__ volatile("fninit\n\tfldz\n\txrstor %2\n\tfnstsw %0\n\tfnstcw %1"
                     : "=m"(sw), "=m"(cwo) : "m"(xsa), "a"(3), "d"(0) : "memory");
    check("XRSTOR: FCW", cwo, 0x027f);
    check("XRSTOR: TOP", (sw >> 11) & 7, 6);
    xsa[512] = 2;
    __asm__ volatile("fldz\n\txrstor %2\n\tfnstsw %0\n\tfnstcw %1"
                     : "=m"(sw), "=m"(cwo) : "m"(xsa), "a"(3), "d"(0) : "memory");
    check("XRSTOR init x87: FCW", cwo, 0x037f);
    check("XRSTOR init x87: FSW", sw, 0);

    /* Header rules and alignment: #GP(0). */
    faults_reset();
    skip_len = 3;                               /* 0F AE 2F: xrstor (%edi) */
    xsa[520] = 1;                               /* XCOMP_BV */
    __asm__ volatile(".byte 0x0f, 0xae, 0x2f" : : "D"(xsa), "a"(3), "d"(0) : "memory");
    check("XRSTOR XCOMP_BV != 0: vector", last_vec, 13);
    xsa[520] = 0;
    xsa[512] = 4;                               /* AVX not in XCR0 */
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0xae, 0x2f" : : "D"(xsa), "a"(3), "d"(0) : "memory");
    check("XRSTOR XSTATE_BV outside XCR0: vector", last_vec, 13);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0xae, 0x27" : : "D"(xsa + 16), "a"(3), "d"(0)
                     : "memory");
    check("XSAVE misaligned: vector", last_vec, 13);
    __asm__ volatile("fninit");
}

/* ---- real mode: the real-address-mode environment layouts ----
 * x87_realmode() copies rm_snip to linear 0x10000, drops to real mode with
 * CS = DS = SS = 0x1000 (so pointers have bits above 15 set), runs FADD m64
 * and stores the environment in the 32-bit and 16-bit real-mode layouts (SDM
 * Vol 1 Figures 8-10, 8-12), loads a prepared 16-bit one with FLDENV and
 * stores it again, then FNSAVE; back in protected mode the results are read
 * from the copy. */
#define RM_LIN 0x10000u
void x87_realmode(void);
extern u8 rm_snip[], rm_fadd[], rm_var[], rm_env32[], rm_env16[], rm_env_in16[],
    rm_env_out32[], rm_save16[], rm_env_out32b[];
u32 rm_saved_esp;

__asm__(".text\n"
        ".code32\n"
        ".globl x87_realmode\n"
        "x87_realmode:\n"
        "    pushal\n"
        "    movl %esp, rm_saved_esp\n"
        "    movl $rm_snip, %esi\n"
        "    movl $0x10000, %edi\n"
        "    movl $(rm_snip_end - rm_snip), %ecx\n"
        "    cld\n"
        "    rep movsb\n"
        "    lgdt x87_rm_gdt_desc\n"
        "    ljmp $0x18, $0\n"
        ".code16\n"
        ".globl rm_snip, rm_fadd, rm_var, rm_env32, rm_env16, rm_env_in16\n"
        ".globl rm_env_out32, rm_save16, rm_env_out32b\n"
        "rm_snip:\n"
        "    movw $0x20, %ax\n"
        "    movw %ax, %ds\n"
        "    movw %ax, %es\n"
        "    movw %ax, %ss\n"
        "    movl %cr0, %eax\n"
        "    andl $~1, %eax\n"
        "    movl %eax, %cr0\n"
        "    ljmp $0x1000, $(rm_go - rm_snip)\n"
        "rm_go:\n"
        "    movw $0x1000, %ax\n"
        "    movw %ax, %ds\n"
        "    movw %ax, %es\n"
        "    movw %ax, %ss\n"
        "    movw $0xfff0, %sp\n"
        "    fninit\n"
        "    fldl (rm_var - rm_snip)\n"
        "rm_fadd:\n"
        "    faddl (rm_var - rm_snip)\n"       /* DC 06 disp16: FOP 0x406 */
        "    data32 fnstenv (rm_env32 - rm_snip)\n"
        "    fnstenv (rm_env16 - rm_snip)\n"
        "    fldenv (rm_env_in16 - rm_snip)\n"
        "    data32 fnstenv (rm_env_out32 - rm_snip)\n"
        "    fldenv (rm_env_in16 - rm_snip)\n"
        "    fnsave (rm_save16 - rm_snip)\n"
        "    frstor (rm_save16 - rm_snip)\n"
        "    data32 fnstenv (rm_env_out32b - rm_snip)\n"
        "    movl %cr0, %eax\n"
        "    orl $1, %eax\n"
        "    movl %eax, %cr0\n"
        "    ljmpl $0x08, $x87_rm_back\n"
        "    .balign 8\n"
        "rm_var: .quad 0x4004000000000000\n"  /* 2.5 */
        "rm_env32: .skip 28\n"
        "rm_env16: .skip 14\n"
        "rm_env_in16: .skip 14\n"
        "rm_env_out32: .skip 28\n"
        "rm_save16: .skip 94\n"
        "rm_env_out32b: .skip 28\n"
        "rm_snip_end:\n"
        ".code32\n"
        "x87_rm_back:\n"
        "    movw $0x10, %ax\n"
        "    movw %ax, %ds\n"
        "    movw %ax, %es\n"
        "    movw %ax, %ss\n"
        "    movw %ax, %fs\n"
        "    movw %ax, %gs\n"
        "    movl rm_saved_esp, %esp\n"
        "    lgdt gdt_desc\n"
        "    ljmp $0x08, $1f\n"
        "1:  popal\n"
        "    ret\n"
        ".section .rodata\n"
        ".balign 8\n"
        "x87_rm_gdt:\n"
        "    .quad 0\n"
        "    .quad 0x00cf9b000000ffff\n"      /* 0x08 code, 32-bit, flat */
        "    .quad 0x00cf93000000ffff\n"      /* 0x10 data, 32-bit, flat */
        "    .quad 0x00009b010000ffff\n"      /* 0x18 code, 16-bit, base 0x10000 */
        "    .quad 0x000093010000ffff\n"      /* 0x20 data, 16-bit, base 0x10000 */
        "x87_rm_gdt_end:\n"
        "    .balign 4\n"
        "x87_rm_gdt_desc:\n"
        "    .word x87_rm_gdt_end - x87_rm_gdt - 1\n"
        "    .long x87_rm_gdt\n"
        ".text\n");

static u8 *rm_copy(const u8 *sym)
{
    return (u8 *)(RM_LIN + (u32)(sym - rm_snip));
}

static u32 rd16(const u8 *p)
{
    return p[0] | p[1] << 8;
}

static void realmode_checks(void)
{
    u32 fip = RM_LIN + (u32)(rm_fadd - rm_snip), fdp = RM_LIN + (u32)(rm_var - rm_snip);
    u8 *in = rm_env_in16;
    static const u8 in16[14] = {
        0x72, 0x02, 0x00, 0x00, 0xff, 0xff,     /* FCW, FSW, FTW */
        0xcd, 0xab, 0x23, 0x21,                 /* FIP 0x2abcd, FOP 0x123 */
        0xef, 0xcd, 0x00, 0x30,                 /* FDP 0x3cdef */
    };
    for (int i = 0; i < 14; i++) {
        in[i] = in16[i];
    }
    x87_realmode();

    u8 *e32 = rm_copy(rm_env32), *e16 = rm_copy(rm_env16);
    u8 *o32 = rm_copy(rm_env_out32), *sv = rm_copy(rm_save16);
    check("real FNSTENV32: FCW", rd16(e32), 0x037f);
    check("real FNSTENV32: TOP", (rd16(e32 + 4) >> 11) & 7, 7);
    check("real FNSTENV32: FIP[15:0]", rd16(e32 + 12), fip & 0xffff);
    check("real FNSTENV32: FIP[31:16], FOP", rd32(e32 + 16), (fip >> 16) << 12 | 0x406);
    check("real FNSTENV32: FDP[15:0]", rd16(e32 + 20), fdp & 0xffff);
    check("real FNSTENV32: FDP[31:16]", rd32(e32 + 24), (fdp >> 16) << 12);
    check("real FNSTENV16: FIP[15:0]", rd16(e16 + 6), fip & 0xffff);
    check("real FNSTENV16: FIP[19:16], FOP", rd16(e16 + 8), (fip >> 16) << 12 | 0x406);
    check("real FNSTENV16: FDP[15:0]", rd16(e16 + 10), fdp & 0xffff);
    check("real FNSTENV16: FDP[19:16]", rd16(e16 + 12), (fdp >> 16) << 12);
    check("real FLDENV16/FNSTENV32: FCW", rd16(o32), 0x0272);
    check("real FLDENV16/FNSTENV32: FIP[15:0]", rd16(o32 + 12), 0xabcd);
    check("real FLDENV16/FNSTENV32: FIP[31:16], FOP", rd32(o32 + 16), 0x2123);
    check("real FLDENV16/FNSTENV32: FDP[15:0]", rd16(o32 + 20), 0xcdef);
    check("real FLDENV16/FNSTENV32: FDP[31:16]", rd32(o32 + 24), 0x3000);
    check("real FNSAVE16: FCW", rd16(sv), 0x0272);
    check("real FNSAVE16: FIP[19:16], FOP", rd16(sv + 8), 0x2123);
    check("real FNSAVE16: FDP[19:16]", rd16(sv + 12), 0x3000);
    u8 *o32b = rm_copy(rm_env_out32b);
    check("real FRSTOR16/FNSTENV32: FCW", rd16(o32b), 0x0272);
    check("real FRSTOR16/FNSTENV32: FIP[31:16], FOP", rd32(o32b + 16), 0x2123);
    check("real FRSTOR16/FNSTENV32: FDP[31:16]", rd32(o32b + 24), 0x3000);
    __asm__ volatile("fninit");
}

/* ---- part 3: 64-bit mode (REX.W layouts) ----
 * enter_long_mode (tests/guest/longmode.S) identity-maps 4 MiB and jumps to
 * x87_long, which saves images with and without REX.W and returns to
 * compatibility mode (32-bit code, IA-32e still active) at x87_compat, where
 * x87_long_check() compares them and ends the run. No exception may happen
 * from there on: the IDT is a 32-bit one. */
void enter_long_mode(void (*entry64)(void)) __attribute__((noreturn));
void x87_long(void);
void x87_long_fadd(void);
void x87_long_check(void) __attribute__((noreturn, used));
extern u8 fx64[512], fx64b[512], fx64c[512], fx64d[512], fx64e[512], xs64[1024],
    env64[28];
u8 fx64[512] __attribute__((aligned(64)));
u8 fx64b[512] __attribute__((aligned(64)));
u8 fx64c[512] __attribute__((aligned(64)));
u8 fx64d[512] __attribute__((aligned(64)));
u8 fx64e[512] __attribute__((aligned(64)));
u8 xs64[1024] __attribute__((aligned(64)));
u8 env64[28];

__asm__(".text\n"
        ".code64\n"
        ".globl x87_long\n"
        "x87_long:\n"
        "    movl $dvar, %esi\n"
        "    fninit\n"
        "    fldl (%rsi)\n"
        "    fld1\n"
        ".globl x87_long_fadd\n"
        "x87_long_fadd:\n"
        "    faddl (%rsi)\n"                  /* DC 06: FOP 0x406 */
        "    movl $fx64, %edi\n"
        "    fxsave64 (%rdi)\n"
        "    movl $fx64b, %edi\n"
        "    fxsave (%rdi)\n"
        "    movl $xs64, %edi\n"
        "    movl $3, %eax\n"
        "    xorl %edx, %edx\n"
        "    xsave64 (%rdi)\n"
        "    movl $env64, %edi\n"
        "    fnstenv (%rdi)\n"
        /* XMM8-15 through FXRSTOR64 and back. */
        "    movl $fx64c, %edi\n"
        "    fxrstor64 (%rdi)\n"
        "    movl $fx64d, %edi\n"
        "    fxsave64 (%rdi)\n"
        /* XRSTOR64 of the XSAVE64 image brings the FADD state back. */
        "    fninit\n"
        "    movl $xs64, %edi\n"
        "    movl $3, %eax\n"
        "    xorl %edx, %edx\n"
        "    xrstor64 (%rdi)\n"
        "    movl $fx64e, %edi\n"
        "    fxsave64 (%rdi)\n"
        "    pushq $0x08\n"
        "    movl $x87_compat, %eax\n"
        "    pushq %rax\n"
        "    lretq\n"
        ".code32\n"
        "x87_compat:\n"
        "    call x87_long_check\n");

static u64 rd64(const u8 *p)
{
    return rd32(p) | (u64)rd32(p + 4) << 32;
}

void x87_long_check(void)
{
    int same = 1, xmm = 1;

    /* AMD CPUs store FOP/FIP/FDP in FXSAVE only with an exception pending;
     * bt86 always does, like Intel's. */
    if (!oracle) {
        check("64-bit FXSAVE64: FOP", fx64[6] | fx64[7] << 8, 0x406);
        check("64-bit FXSAVE64: FIP low", (u32)rd64(fx64 + 8), (u32)x87_long_fadd);
        check("64-bit FXSAVE64: FIP high", (u32)(rd64(fx64 + 8) >> 32), 0);
        check("64-bit FXSAVE64: FDP low", (u32)rd64(fx64 + 16), (u32)&dvar);
        check("64-bit FXSAVE64: FDP high", (u32)(rd64(fx64 + 16) >> 32), 0);
        check("64-bit FXSAVE: FIP", rd32(fx64b + 8), (u32)x87_long_fadd);
        check("64-bit FXSAVE: FCS", fx64b[12] | fx64b[13] << 8, SEL_CODE64);
        check("64-bit FXSAVE: FDP", rd32(fx64b + 16), (u32)&dvar);
    }
    check("64-bit FXSAVE64: TOP", (fx64[3] >> 3) & 7, 6);
    check("64-bit FXSAVE64: abridged tag", fx64[4], 0xc0);
    check("64-bit FXSAVE64: ST(0) exponent (3.0)", fx64[40] | fx64[41] << 8, 0x4000);
    check("64-bit FNSTENV: FIP", rd32(env64 + 12), (u32)x87_long_fadd);
    check("64-bit FNSTENV: FDP", rd32(env64 + 20), (u32)&dvar);
    for (int i = 0; i < (oracle ? 160 : 416); i++) {
        same &= (i >= 24 && i < 32) || fx64[i] == xs64[i];
    }
    check("64-bit XSAVE64 legacy region == FXSAVE64 image", same, 1);
    check("64-bit XSAVE64: XSTATE_BV", xs64[512] & (oracle ? 1 : 3), oracle ? 1 : 3);
    for (int i = 160; i < 416; i++) {
        xmm &= fx64d[i] == fx64c[i];
    }
    check("64-bit FXRSTOR64/FXSAVE64: XMM0-15", xmm, 1);
    same = 1;
    for (int i = 0; i < 160; i++) {
        same &= (i >= 24 && i < 32) || fx64[i] == fx64e[i];
    }
    check("64-bit XRSTOR64 restores the FXSAVE64 x87 image", same, 1);
    if (failures) {
        guest_exit(1);
    }
    serial_puts("x87: ");
    serial_put_hex(hash.records);
    serial_puts(" records match the host FPU; system checks ok\n");
    guest_exit(0);
}

int main(u32 magic, u32 mbi)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        mbi = 0;
    }

    guest_set_gate(6, ud_entry);
    guest_set_gate(7, nm_entry);
    guest_set_gate(13, gp_entry);
    guest_set_gate(16, mf_entry);
    guest_load_idt();
    set_cr0((get_cr0() & ~0xcu) | 0x22);       /* MP, NE; EM and TS clear */
    /* CR4.OSFXSR: without it FXSAVE/FXRSTOR may skip MXCSR and XMM. */
    set_cr4(get_cr4() | (1u << 9));

    oracle = cmdline_has(mbi, "oracle");
    x87_hash_init(&hash);
    if (!oracle) {
        run_cases();
    }
    if (x87_hash_flush(&hash)) {
        if (ngroup >= sizeof(x87_expect) / sizeof(x87_expect[0]) ||
            x87_expect[ngroup] != hash.group) {
            bad_groups++;
        }
        ngroup++;
    }
    if (!oracle) {
        check("host-checked records", hash.records, X87_EXPECT_RECORDS);
        check("groups differing from the host", bad_groups, 0);
    }

    mf_checks();
    nm_checks();
    fxsave_checks();
    realmode_checks();
    xsave_checks();

    if (failures) {
        return 1;
    }
    /* A valid FXRSTOR64 image with a pattern in XMM0-15 for part 3. */
    __asm__ volatile("fninit\n\tfxsave %0" : "=m"(fx64c));
    for (int i = 160; i < 416; i++) {
        fx64c[i] = (u8)(i * 13 + 5);
    }
    enter_long_mode(x87_long);
}
