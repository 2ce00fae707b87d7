/*
 * diff-guest.c: the bare-metal side of the differential harness. The case file
 * (diff.h) arrives as the first Multiboot module (Multiboot spec 0.6.96 §3.3:
 * flags bit 3, mods_count, mods_addr). Each case's start state, memory and
 * code are put in place, the code runs (32-bit protected mode, or 64-bit mode
 * entered from compatibility mode), and the result is compared with the host
 * CPU's under the case's masks. Mismatches are printed as hex for the host
 * side to decode:
 *   M <index> <17 x 16 hex digits: RAX..R15, RFLAGS>
 *   X <index> <DIFF_MEM_SIZE bytes as hex>     (only when memory differs)
 *   F <index> <vector>                         (an exception the host did not take)
 *   U <vector> <vector>                        (the directed rewritten-#UD check)
 *   S <index>                                  (skipped: CPUID lacks a feature)
 *   P <index> <DIFF_FX_SIZE bytes as hex>      (x87/SSE cases: the FXSAVE image
 *                                               differs where it is compared)
 *   DIFF END <cases> <mismatches>
 * With the trace bit set it also prints "C <index>" before each case, which
 * finds the case that takes the guest down.
 */
#define DIFF_GUEST
#include "guest.h"
#include "diff.h"

void diff_enter_ia32e(void);
void diff_call32(void);
void diff_call64(void);
extern const u32 diff_fault32_entries[32], diff_fault64_entries[32];

/* IDT: 32 interrupt gates (type 0xE, present, DPL 0), 8 bytes each in legacy
 * mode, 16 in IA-32e mode (SDM Vol 3 §6.11, §6.14.1). */
static u32 idt[32 * 4] __attribute__((aligned(16)));

static void load_idt(int mode)
{
    int words = mode == 64 ? 4 : 2;
    for (int v = 0; v < 32; v++) {
        u32 off = mode == 64 ? diff_fault64_entries[v] : diff_fault32_entries[v];
        u32 *g = &idt[v * words];
        g[0] = (u32)(mode == 64 ? SEL_CODE64 : SEL_CODE32) << 16 | (off & 0xffff);
        g[1] = (off & 0xffff0000u) | 0x8e00;
        if (mode == 64) {
            g[2] = 0;
            g[3] = 0;
        }
    }
    struct __attribute__((packed)) {
        u16 limit;
        u32 base;
    } d = { (u16)(32 * words * 4 - 1), (u32)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

static void copy(volatile u8 *dst, const u8 *src, u32 n)
{
    for (u32 i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

static void put_hex64(u64 v)
{
    static const char hex[] = "0123456789abcdef";
    char buf[17];
    for (int i = 15; i >= 0; i--) {
        buf[i] = hex[v & 15];
        v >>= 4;
    }
    buf[16] = 0;
    serial_puts(buf);
}

static void put_dec(u32 v)
{
    char buf[12];
    int i = 11;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    serial_puts(buf + i);
}

static void cpuid(u32 leaf, u32 sub, u32 *r)
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

/* DIFF_FEAT_* bits this CPU advertises. */
static u32 cpu_features(void)
{
    u32 r[4], f = 0, max;
    cpuid(0, 0, r);
    max = r[0];
    cpuid(1, 0, r);
    if (r[2] & (1u << 23)) {
        f |= DIFF_FEAT_POPCNT;
    }
    if (max >= 7) {
        cpuid(7, 0, r);
        if (r[1] & (1u << 3)) {
            f |= DIFF_FEAT_BMI1;
        }
    }
    cpuid(0x80000000, 0, r);
    if (r[0] >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        if (r[2] & (1u << 5)) {
            f |= DIFF_FEAT_LZCNT;
        }
    }
    return f;
}

/* "<tag> <case> <bytes as hex>" */
static void put_bytes(char tag, u32 n, const volatile u8 *p, u32 len)
{
    static const char hex[] = "0123456789abcdef";
    serial_putc(tag);
    serial_puts(" ");
    put_dec(n);
    serial_puts(" ");
    for (u32 i = 0; i < len; i++) {
        serial_putc(hex[p[i] >> 4]);
        serial_putc(hex[p[i] & 15]);
    }
    serial_puts("\n");
}

static u32 rd16(const volatile u8 *p)
{
    return p[0] | (u32)p[1] << 8;
}

/* Does the FXSAVE image after an x87/SSE case differ from the host's where
 * diff.h says it is compared? */
static int fx_differs(const DiffFpCase *fc, const volatile u8 *got)
{
    const u8 *want = fc->fx_out;
    if (rd16(got) != rd16(want) || ((rd16(got + 2) ^ rd16(want + 2)) & fc->fsw_mask) ||
        got[4] != want[4]) {
        return 1;
    }
    for (int i = 24; i < 28; i++) {             /* MXCSR */
        if (got[i] != want[i]) {
            return 1;
        }
    }
    u32 top = (rd16(want + 2) >> 11) & 7;
    for (u32 j = 0; j < 8; j++) {
        if (!((want[4] >> ((top + j) & 7)) & 1)) {
            continue;                           /* empty: its contents are stale */
        }
        for (u32 b = 0; b < 10; b++) {
            if (got[32 + 16 * j + b] != want[32 + 16 * j + b]) {
                return 1;
            }
        }
    }
    for (u32 b = 0; b < 16 * fc->nxmm && b < 256; b++) {
        if (got[160 + b] != want[160 + b]) {
            return 1;
        }
    }
    return 0;
}

/* x87 and SSE usable: CR0.MP, NE set, EM, TS clear; CR4.OSFXSR, OSXMMEXCPT
 * (SDM Vol 3 §13.1.3). */
static void enable_fpu(void)
{
    u32 cr;
    __asm__ volatile("movl %%cr0, %0" : "=r"(cr));
    cr = (cr | 0x2 | 0x20) & ~(0x4u | 0x8u);
    __asm__ volatile("movl %0, %%cr0" : : "r"(cr));
    __asm__ volatile("movl %%cr4, %0" : "=r"(cr));
    cr |= 0x600;
    __asm__ volatile("movl %0, %%cr4" : : "r"(cr));
    __asm__ volatile("fninit");
}

int main(u32 magic, u32 mbi)
{
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        serial_puts("diff: not booted by a Multiboot loader\n");
        return 1;
    }
    const u32 *info = (const u32 *)mbi;
    if (!(info[0] & (1u << 3)) || info[5] == 0) {
        serial_puts("diff: no case file module\n");
        return 1;
    }
    const u32 *mod = (const u32 *)info[6];
    const DiffHeader *h = (const DiffHeader *)mod[0];
    u32 mod_len = mod[1] - mod[0];
    int fp = (h->mode & DIFF_MODE_FP) != 0;
    u32 csize = fp ? sizeof(DiffFpCase) : sizeof(DiffCase);
    if (mod_len < sizeof(*h) || h->magic != DIFF_MAGIC || h->case_size != csize ||
        (u64)h->ncases * csize > mod_len - sizeof(*h) ||
        h->prologue_len > DIFF_MAX_GLUE || h->epilogue_len > DIFF_MAX_GLUE) {
        serial_puts("diff: bad case file\n");
        return 1;
    }
    u32 mode = h->mode & 0xff;
    int trace = (h->mode >> 8) & 1;
    if (mode == 64) {
        diff_enter_ia32e();
    }
    load_idt(mode);
    enable_fpu();
    volatile u8 *fx_in = (volatile u8 *)DIFF_FX_IN;
    volatile u8 *fx_out = (volatile u8 *)DIFF_FX_OUT;
    /* A sane image for the directed check below (FCW 037Fh, MXCSR 1F80h). */
    __asm__ volatile("fxsave (%0)" : : "r"(DIFF_FX_IN) : "memory");
    volatile u32 *fault = (volatile u32 *)DIFF_FAULT;
    const u8 *case_base = (const u8 *)(h + 1);
    volatile u8 *code = (volatile u8 *)DIFF_CODE;
    volatile u8 *mem = (volatile u8 *)DIFF_MEM;
    volatile u64 *st_in = (volatile u64 *)DIFF_STATE_IN;
    volatile u64 *st_out = (volatile u64 *)DIFF_STATE_OUT;
    /* Directed: a block that ends in a #UD (0f 04, an opcode no x86 defines),
     * then those bytes rewritten to NOPs: the new bytes must run (SDM Vol 3
     * §11.6, self-modifying code).
     * Reported as "U <vector of run 1> <vector of run 2 or 4294967295>". */
    for (int i = 0; i < DIFF_NREGS; i++) {
        st_in[i] = 0;
    }
    st_in[4] = DIFF_MEM + 0xe0;
    st_in[DIFF_RFLAGS] = 2;
    u32 pl = h->prologue_len;
    copy(code, h->prologue, pl);
    code[pl] = 0x0f;
    code[pl + 1] = 0x04;
    copy(code + pl + 2, h->epilogue, h->epilogue_len);
    u32 ud[2];
    for (int run = 0; run < 2; run++) {
        *fault = ~0u;
        if (mode == 64) {
            diff_call64();
        } else {
            diff_call32();
        }
        ud[run] = *fault;
        code[pl] = 0x90;
        code[pl + 1] = 0x90;
    }
    serial_puts("U ");
    put_dec(ud[0]);
    serial_puts(" ");
    put_dec(ud[1]);
    serial_puts("\n");

    copy(code, h->prologue, h->prologue_len);
    u32 bad = 0;
    u32 feat = cpu_features();
    u32 first = h->first;
    for (u32 n = first; n < h->ncases; n++) {
        const DiffCase *c = (const DiffCase *)(case_base + n * csize);
        const DiffFpCase *fc = (const DiffFpCase *)c;
        if (c->code_len > DIFF_MAX_CODE) {
            serial_puts("diff: bad case length\n");
            return 1;
        }
        if ((c->reg_mask >> 16) & ~feat) {
            serial_puts("S ");
            put_dec(n);
            serial_puts("\n");
            continue;
        }
        if (trace) {
            serial_puts("C ");
            put_dec(n);
            serial_puts("\n");
        }
        for (int i = 0; i < DIFF_NREGS; i++) {
            st_in[i] = c->in[i];
            st_out[i] = 0;
        }
        copy(mem, c->mem_in, DIFF_MEM_SIZE);
        if (fp) {
            copy(fx_in, fc->fx_in, DIFF_FX_SIZE);
            for (int i = 0; i < DIFF_FX_SIZE; i++) {
                fx_out[i] = 0;
            }
        }
        copy(code + h->prologue_len, c->code, c->code_len);
        copy(code + h->prologue_len + c->code_len, h->epilogue, h->epilogue_len);
        *fault = ~0u;
        if (mode == 64) {
            diff_call64();
        } else {
            diff_call32();
        }
        if (*fault != ~0u) {
            /* The host ran this case without a fault. Rewrite the prologue too:
             * bt86 has been seen to keep a block that ends in a #UD it raised
             * after its bytes were rewritten (see the known failures of
             * test-diff.c); without this every later case would fail. */
            copy(code, h->prologue, h->prologue_len);
            bad++;
            serial_puts("F ");
            put_dec(n);
            serial_puts(" ");
            put_dec(*fault);
            serial_puts("\n");
            continue;
        }
        int reg_bad = 0, mem_bad = 0;
        for (int i = 0; i < DIFF_RFLAGS; i++) {
            if ((c->reg_mask >> i) & 1 && st_out[i] != c->out[i]) {
                reg_bad = 1;
            }
        }
        if ((st_out[DIFF_RFLAGS] ^ c->out[DIFF_RFLAGS]) & c->flags_mask) {
            reg_bad = 1;
        }
        for (int i = 0; i < DIFF_MEM_SIZE; i++) {
            if (mem[i] != c->mem_out[i]) {
                mem_bad = 1;
            }
        }
        if (fp && fx_differs(fc, fx_out)) {
            put_bytes('P', n, fx_out, DIFF_FX_SIZE);
            if (!reg_bad && !mem_bad) {
                bad++;
                continue;
            }
        }
        if (!reg_bad && !mem_bad) {
            continue;
        }
        bad++;
        serial_puts("M ");
        put_dec(n);
        for (int i = 0; i < DIFF_NREGS; i++) {
            serial_puts(" ");
            put_hex64(st_out[i]);
        }
        serial_puts("\n");
        if (mem_bad) {
            put_bytes('X', n, mem, DIFF_MEM_SIZE);
        }
    }
    serial_puts("DIFF END ");
    put_dec(h->ncases - first);
    serial_puts(" ");
    put_dec(bad);
    serial_puts("\n");
    return 0;
}
