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

struct idt_gate {
    u16 off_lo, sel;
    u8 zero, type;
    u16 off_hi;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(8)));
static struct {
    u16 limit;
    u32 base;
} __attribute__((packed)) idtr;

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

static void set_gate(int vec, void (*fn)(void))
{
    u32 a = (u32)fn;
    idt[vec].off_lo = a & 0xffff;
    idt[vec].sel = SEL_CODE32;
    idt[vec].zero = 0;
    idt[vec].type = 0x8e;
    idt[vec].off_hi = a >> 16;
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
static double dvar = 2.0;

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
    check("CPUID.D.0 EAX", r[0], 3);
    check("CPUID.D.0 EBX", r[1], 576);
    check("CPUID.D.0 ECX", r[2], 576);
    check("CPUID.D.0 EDX", r[3], 0);
    cpuid(0xd, 1, r);
    check("CPUID.D.1 EAX (XSAVEOPT only)", r[0], 1);
    u32 d1 = r[0];

    /* XSETBV: bit 0 must stay set, no unsupported bits, ECX = 0. */
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(0), "a"(2), "d"(0));
    check("XSETBV without x87: vector", last_vec, 13);
    faults_reset();
    __asm__ volatile(".byte 0x0f, 0x01, 0xd1" : : "c"(0), "a"(7), "d"(0));
    check("XSETBV with AVX: vector", last_vec, 13);
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
    int same = 1;
    for (int i = 0; i < 288; i++) {
        same &= (i >= 28 && i < 32) || fxa[i] == xsa[i];
    }
    check("XSAVE legacy region == FXSAVE image", same, 1);
    check("XSAVE: XSTATE_BV", rd32(xsa + 512) & 3, 3);
    check("XSAVE: XSTATE_BV high byte kept", xsa[512 + 7], 0x40);
    check("XSAVE: XCOMP_BV untouched", rd32(xsa + 520), 0);
    check("XSAVE: byte 600 untouched", xsa[600], 0x77);

    /* XSAVEOPT saves the same thing. */
    for (int i = 0; i < 512; i++) {
        xsa[i] = 0x11;
    }
    __asm__ volatile("xsaveopt %0" : : "m"(xsa), "a"(3), "d"(0) : "memory");
    same = 1;
    for (int i = 0; i < 288; i++) {
        same &= (i >= 28 && i < 32) || fxa[i] == xsa[i];
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

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;

    set_gate(6, ud_entry);
    set_gate(7, nm_entry);
    set_gate(13, gp_entry);
    set_gate(16, mf_entry);
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (u32)idt;
    __asm__ volatile("lidt %0" : : "m"(idtr));
    set_cr0((get_cr0() & ~0xcu) | 0x22);       /* MP, NE; EM and TS clear */

    x87_hash_init(&hash);
    run_cases();
    if (x87_hash_flush(&hash)) {
        if (ngroup >= sizeof(x87_expect) / sizeof(x87_expect[0]) ||
            x87_expect[ngroup] != hash.group) {
            bad_groups++;
        }
        ngroup++;
    }
    check("host-checked records", hash.records, X87_EXPECT_RECORDS);
    check("groups differing from the host", bad_groups, 0);

    mf_checks();
    nm_checks();
    fxsave_checks();
    xsave_checks();

    if (failures) {
        return 1;
    }
    serial_puts("x87: ");
    serial_put_hex(hash.records);
    serial_puts(" records match the host FPU; system checks ok\n");
    return 0;
}
