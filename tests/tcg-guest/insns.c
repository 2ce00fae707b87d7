/*
 * insns.c: a battery of integer instructions over edge-case operands, each
 * result and its architecturally defined flags (SDM Vol 1 Appendix A; the
 * undefined ones are masked, they differ between CPU vendors) folded into one
 * checksum. The expected checksum is what the program prints on hardware
 * (under KVM); the translator must print the same.
 */
#include "guest.h"

#define F_ARITH 0x8d5u      /* CF PF AF ZF SF OF */
#define F_LOGIC 0x8c5u      /* AF undefined */
#define F_SHIFT 0x0c5u      /* CF PF ZF SF (OF only for count 1) */
#define F_CO    0x801u
#define F_C     0x001u
#define F_Z     0x040u

static u32 hash = 2166136261u;
static u32 ncases;

static void mix(u32 v)
{
    for (int i = 0; i < 4; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 16777619u;
    }
}

static void report(u32 a, u32 b, u32 c, u32 d, u32 f)
{
    mix(a);
    mix(b);
    mix(c);
    mix(d);
    mix(f);
    ncases++;
}

static u32 mem[4];

#define RUN(code, fmask, A, B, C, D)                                              \
    do {                                                                          \
        u32 a_ = (A), b_ = (B), c_ = (C), d_ = (D), f_;                           \
        mem[0] = (A) ^ 0x5a5a5a5a;                                                \
        mem[1] = (B) + 0x1234;                                                    \
        __asm__ volatile(code "\n\tpushfl\n\tpopl %4"                             \
                         : "+a"(a_), "+b"(b_), "+c"(c_), "+d"(d_), "=&S"(f_)       \
                         : "D"(mem) : "cc", "memory");                            \
        report(a_, b_, c_, d_, f_ & (fmask));                                     \
        report(mem[0], mem[1], 0, 0, 0);                                          \
    } while (0)

static const u32 vals[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0x12345678, 0xdeadbeef, 0x0000001f, 0x00000020,
};

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    for (u32 i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        for (u32 j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
            u32 x = vals[i], y = vals[j], s = y & 31;
            RUN("clc\n\taddl %%ebx,%%eax", F_ARITH, x, y, 0, 0);
            RUN("stc\n\tadcl %%ebx,%%eax", F_ARITH, x, y, 0, 0);
            RUN("clc\n\tadcl %%ebx,%%eax", F_ARITH, x, y, 0, 0);
            RUN("subl %%ebx,%%eax", F_ARITH, x, y, 0, 0);
            RUN("stc\n\tsbbl %%ebx,%%eax", F_ARITH, x, y, 0, 0);
            RUN("cmpl %%ebx,%%eax\n\tsetl %%cl\n\tsetbe %%dl", F_ARITH, x, y, 0, 0);
            RUN("addb %%bl,%%ah\n\tsubw %%bx,%%cx", F_ARITH, x, y, x, 0);
            RUN("andl %%ebx,%%eax", F_LOGIC, x, y, 0, 0);
            RUN("orw %%bx,%%ax", F_LOGIC, x, y, 0, 0);
            RUN("xorb %%bh,%%al", F_LOGIC, x, y, 0, 0);
            RUN("testl %%ebx,%%eax\n\tsetg %%cl", F_LOGIC, x, y, 0, 0);
            RUN("stc\n\tincl %%eax\n\tdecw %%bx", F_ARITH, x, y, 0, 0);
            RUN("negl %%eax\n\tnotl %%ebx", F_ARITH, x, y, 0, 0);
            RUN("negb %%al", F_ARITH, x, y, 0, 0);
            RUN("shll %%cl,%%eax", s == 1 ? (F_SHIFT | 0x800) : s ? F_SHIFT : 0, x, 0, s, 0);
            RUN("shrl %%cl,%%eax", s == 1 ? (F_SHIFT | 0x800) : s ? F_SHIFT : 0, x, 0, s, 0);
            RUN("sarl %%cl,%%eax", s == 1 ? (F_SHIFT | 0x800) : s ? F_SHIFT : 0, x, 0, s, 0);
            RUN("sarw $1,%%ax", F_SHIFT | 0x800, x, 0, 0, 0);
            RUN("shlb $3,%%al", F_SHIFT, x, 0, 0, 0);
            RUN("roll %%cl,%%eax", s == 1 ? F_CO : s ? F_C : 0, x, 0, s, 0);
            RUN("rorw %%cl,%%ax", s == 1 ? F_CO : (s & 15) ? F_C : 0, x, 0, s, 0);
            RUN("stc\n\trcll %%cl,%%eax", s == 1 ? F_CO : F_C, x, 0, s, 0);
            RUN("clc\n\trcrb $1,%%al", F_CO, x, 0, 0, 0);
            RUN("shldl %%cl,%%ebx,%%eax", s == 1 ? (F_SHIFT | 0x800) : s ? F_SHIFT : 0,
                x, y, s, 0);
            RUN("shrdl %%cl,%%ebx,%%eax", s == 1 ? (F_SHIFT | 0x800) : s ? F_SHIFT : 0,
                x, y, s, 0);
            RUN("imull %%ebx,%%eax", F_CO, x, y, 0, 0);
            RUN("imull $-7,%%ebx,%%eax", F_CO, x, y, 0, 0);
            RUN("mull %%ebx", F_CO, x, y, 0, 0);
            RUN("imull %%ebx", F_CO, x, y, 0, 0);
            RUN("mulb %%bl", F_CO, x, y, 0, 0);
            RUN("imulw %%bx", F_CO, x, y, 0, 0);
            RUN("xorl %%edx,%%edx\n\torl $1,%%ebx\n\tdivl %%ebx", 0, x, y, 0, 0);
            RUN("andl $0x7ffffff,%%ebx\n\torl $3,%%ebx\n\tcltd\n\tidivl %%ebx", 0,
                x, y, 0, 0);
            RUN("movzbl %%al,%%ecx\n\tmovsbw %%bl,%%dx\n\tmovswl %%ax,%%eax", 0,
                x, y, 0, 0);
            RUN("cwtl\n\tcltd", 0, x, 0, 0, 0);
            RUN("cbtw\n\tcwtd", 0, x, 0, 0, 0);
            RUN("leal 0x10(%%eax,%%ebx,4),%%ecx\n\tleaw -3(%%ebx),%%dx", 0, x, y, 0, 0);
            RUN("cmpl %%ebx,%%eax\n\tcmovll %%ebx,%%eax\n\tcmovaw %%ax,%%cx", 0,
                x, y, 0x5555, 0);
            RUN("bswap %%eax\n\txchgl %%eax,%%ebx\n\txchgb %%cl,%%dh", 0, x, y, 0x77, 0x1200);
            RUN("xaddl %%eax,%%ebx", F_ARITH, x, y, 0, 0);
            RUN("cmpxchgl %%ecx,%%ebx", F_ARITH, x, y, 0xabcdef01, 0);
            RUN("cmpxchgl %%ecx,%%ebx", F_ARITH, x, x, 0xabcdef01, 0);
            RUN("bsfl %%ebx,%%eax", F_Z, 0x1234, y, 0, 0);
            RUN("bsrl %%ebx,%%eax", F_Z, 0x1234, y, 0, 0);
            /* REP BSF (TZCNT where BMI1 exists): same result for non-zero input. */
            RUN("rep bsfl %%ebx,%%eax", 0, 0x1234, y | 0x10000000, 0, 0);
            RUN("btl %%ecx,%%eax\n\tsetc %%dl", F_C, x, 0, s, 0);
            RUN("btsl %%ecx,%%eax", F_C, x, 0, s, 0);
            RUN("btrl $7,%%eax", F_C, x, 0, 0, 0);
            RUN("btcw %%cx,%%ax", F_C, x, 0, y, 0);
            /* Memory forms (EDI points at mem[]). */
            RUN("addl %%eax,(%%edi)\n\tsubl 4(%%edi),%%ebx", F_ARITH, x, y, 0, 0);
            RUN("incl 4(%%edi)\n\tnegw (%%edi)", F_ARITH, x, y, 0, 0);
            RUN("shll $5,(%%edi)\n\trorw 4(%%edi)", F_C, x, y, 0, 0);
            RUN("btsl %%ecx,(%%edi)", F_C, x, y, s + 32, 0);
            RUN("movl $-40,%%ecx\n\tbtl %%ecx,32(%%edi)", F_C, x, y, 0, 0);
            RUN("xchgl %%eax,(%%edi)\n\txaddl %%ebx,4(%%edi)", F_ARITH, x, y, 0, 0);
            RUN("cmpxchgl %%ecx,(%%edi)", F_ARITH, x, y, 0x1111, 0);
            RUN("pushl %%eax\n\tpushl (%%edi)\n\tpopl %%ebx\n\tpopl 4(%%edi)", 0, x, y, 0, 0);
            RUN("pushfl\n\tpopl %%ecx\n\tandl $0x8d5,%%ecx", 0, x, y, 0, 0);
            RUN("stc\n\t.byte 0xd6\n\tsahf\n\tlahf", F_ARITH, x, y, 0, 0);
            RUN("movl %%ebx,%%ecx\n\tandl $7,%%ecx\n\tincl %%ecx\n"
                "1:\taddl %%ecx,%%eax\n\tloop 1b", F_ARITH, x, y, 0, 0);
            RUN("pushal\n\tmovl $1,%%eax\n\tmovl $2,%%ebx\n\tpopal", 0, x, y, 3, 4);
            RUN("cld\n\tpushl %%edi\n\tmovl %%eax,%%ecx\n\tandl $3,%%ecx\n\tincl %%ecx\n"
                "\tmovb %%bl,%%al\n\trep stosb\n\tpopl %%edi", 0, x, y, 0, 0);
            RUN("cld\n\tpushl %%esi\n\tpushl %%edi\n\tmovl %%edi,%%esi\n\taddl $4,%%edi\n"
                "\tmovl $1,%%ecx\n\trep movsl\n\tpopl %%edi\n\tpopl %%esi", 0, x, y, 0, 0);
            RUN("cld\n\tpushl %%edi\n\tmovl $2,%%ecx\n\trepne scasl\n\tpopl %%edi", F_ARITH,
                x ^ 0x5a5a5a5a, y, 0, 0);
            RUN("pushl %%edi\n\tmovl %%edi,%%ebx\n\tmovb $1,%%al\n\txlat\n\tpopl %%edi",
                0, x, y, 0, 0);
        }
    }
    serial_puts("insns: ");
    serial_put_hex(ncases);
    serial_puts(" cases, checksum ");
    serial_put_hex(hash);
    serial_puts("\n");
    return 0;
}
