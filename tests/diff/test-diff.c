/*
 * test-diff.c: differential test of bt86's translator against the host CPU
 * (DESIGN.md testing layer 3). Cases of diff-insns.c run natively here, in
 * 64-bit mode or, through a far call to Linux's 32-bit user code segment, in
 * 32-bit mode; then inside bt86 (-accel tcg, each backend given) through the
 * bare-metal guest diff-guest.elf, which compares its results with the host's
 * under per-case masks of the flags and registers the SDM leaves undefined.
 *
 *   test-diff --bt86 PATH --guest diff-guest.elf --mode 64|32 [--fp]
 *             [--backend native --backend interp] [--cases N] [--seed S] [--tap]
 *
 * --fp: x87, MMX and SSE..SSE4.2 instructions instead (diff-fp-insns.c); each
 * case also starts from an FXSAVE image, and the image after it is compared
 * (FCW, FSW, tags, MXCSR, the ST registers in use, the XMM registers).
 *
 * Directed cases (diff_make_directed: the boundary values of every size,
 * crossed, for the ALU forms and the shifts by CL) come first; --cases counts
 * the random ones.
 *
 * TAP: one test point per instruction template and backend; a template in the
 * known-failure list below is reported "not ok ... # TODO" with its reason.
 * Mismatches print the bytes, Capstone's disassembly, the start state and both
 * results. Case count: --cases, else BT86_DIFF_CASES, else the quick size
 * (ten times more when BT86_QUICK is unset, as for the other randomized suites).
 */
#include "diff-gen.h"
#include "diff-fp.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define QUICK_CASES 3000
#define QUICK_FP_CASES 12000
#define MAX_REPORT 40

extern const uint8_t diff_prologue64[], diff_prologue64_end[];
extern const uint8_t diff_epilogue64[], diff_epilogue64_end[];
extern const uint8_t diff_prologue32[], diff_prologue32_end[];
extern const uint8_t diff_epilogue32[], diff_epilogue32_end[];
extern const uint8_t diff_prologue64fp[], diff_prologue64fp_end[];
extern const uint8_t diff_epilogue64fp[], diff_epilogue64fp_end[];
extern const uint8_t diff_prologue32fp[], diff_prologue32fp_end[];
extern const uint8_t diff_epilogue32fp[], diff_epilogue32fp_end[];
extern const uint8_t diff_stub64[], diff_stub64_end[];
extern const uint8_t diff_tramp32[], diff_tramp32_end[];
void diff_call64(void);

/* Templates whose mismatches are known translator bugs, reported to the lead:
 * printed as TAP TODO so that they stay visible. */
typedef struct KnownFail {
    int mode;                   /* 0: both */
    const char *tmpl;
    const char *why;
} KnownFail;

static const KnownFail known_fails[] = {
    { 0, NULL, NULL },
};

static const KnownFail *known_fail(int mode, const char *name)
{
    for (const KnownFail *k = known_fails; k->tmpl; k++) {
        if ((k->mode == 0 || k->mode == mode) && !strcmp(k->tmpl, name)) {
            return k;
        }
    }
    return NULL;
}

typedef struct Host {
    int mode;
    bool fp;                    /* --fp: x87/MMX/SSE templates */
    bool amd;                   /* AuthenticAMD: see DYN_CMPXCHG in diff-insns.c */
    const uint8_t *pro, *epi;
    int pro_len, epi_len;
    uint8_t *code, *data;
} Host;

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_sig;

static void fault_handler(int sig)
{
    fault_sig = sig;
    siglongjmp(fault_jmp, 1);
}

/* The template family in use: integer (diff-insns.c) or x87/SSE (--fp). */
static bool g_fp;

static int tmpl_count(void)
{
    return g_fp ? diff_fp_ntmpls() : diff_ntmpls();
}

static const char *tmpl_name(int t)
{
    return g_fp ? diff_fp_tmpl_name(t) : diff_tmpl_name(t);
}

static bool tmpl_in_mode(int t, int mode)
{
    return g_fp ? diff_fp_tmpl_in_mode(t, mode) : diff_tmpl_in_mode(t, mode);
}

static unsigned tmpl_feat(int t)
{
    return g_fp ? 0 : diff_tmpl_feat(t);
}

static void host_init(Host *h, int mode)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
    h->amd = b == 0x68747541 && d == 0x69746e65 && c == 0x444d4163;   /* AuthenticAMD */
    h->mode = mode;
    h->fp = g_fp;
    /* [mode 64?][fp?]: prologue, its end, epilogue, its end */
    static const uint8_t *const glue[2][2][4] = {
        { { diff_prologue32, diff_prologue32_end, diff_epilogue32, diff_epilogue32_end },
          { diff_prologue32fp, diff_prologue32fp_end, diff_epilogue32fp,
            diff_epilogue32fp_end } },
        { { diff_prologue64, diff_prologue64_end, diff_epilogue64, diff_epilogue64_end },
          { diff_prologue64fp, diff_prologue64fp_end, diff_epilogue64fp,
            diff_epilogue64fp_end } },
    };
    const uint8_t *const *g = glue[mode == 64][g_fp];
    h->pro = g[0];
    h->pro_len = (int)(g[1] - g[0]);
    h->epi = g[2];
    h->epi_len = (int)(g[3] - g[2]);
    h->code = mmap((void *)(uintptr_t)DIFF_CODE, DIFF_CODE_SIZE,
                   PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    h->data = mmap((void *)(uintptr_t)DIFF_DATA, DIFF_DATA_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (h->code != (void *)(uintptr_t)DIFF_CODE || h->data != (void *)(uintptr_t)DIFF_DATA) {
        fprintf(stderr, "test-diff: cannot map the fixed code/data pages at 0x%x/0x%x: %s\n",
                DIFF_CODE, DIFF_DATA, strerror(errno));
        exit(1);
    }
    memcpy(h->code + (DIFF_STUB64 - DIFF_CODE), diff_stub64, diff_stub64_end - diff_stub64);
    memcpy(h->code + (DIFF_TRAMP32 - DIFF_CODE), diff_tramp32,
           diff_tramp32_end - diff_tramp32);
    uint32_t off = DIFF_TRAMP32;
    uint16_t sel = 0x23;        /* Linux x86-64: __USER32_CS */
    memcpy(h->data + (DIFF_FARPTR - DIFF_DATA), &off, 4);
    memcpy(h->data + (DIFF_FARPTR - DIFF_DATA) + 4, &sel, 2);

    static uint8_t altstack[65536];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_handler = fault_handler, .sa_flags = SA_ONSTACK | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    int sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
}

/* Run code[0..len) between prologue and epilogue on the host CPU. False if it
 * faulted (the case is then not used). */
static bool host_run_fx(Host *h, const uint8_t *code, int len, const uint64_t *in,
                        const uint8_t *mem_in, uint64_t *out, uint8_t *mem_out,
                        const uint8_t *fx_in, uint8_t *fx_out)
{
    /* The case loads its own x87/SSE state: keep this process's around it. */
    static uint8_t host_fx[DIFF_FX_SIZE] __attribute__((aligned(16)));
    bool ok = false;
    if (fx_in) {
        memcpy(h->data + (DIFF_FX_IN - DIFF_DATA), fx_in, DIFF_FX_SIZE);
        memset(h->data + (DIFF_FX_OUT - DIFF_DATA), 0, DIFF_FX_SIZE);
    }
    __asm__ volatile("fxsave64 %0" : "=m"(host_fx));
    memcpy(h->code, h->pro, h->pro_len);
    memcpy(h->code + h->pro_len, code, len);
    memcpy(h->code + h->pro_len + len, h->epi, h->epi_len);
    memcpy(h->data + (DIFF_STATE_IN - DIFF_DATA), in, 8 * DIFF_NREGS);
    memset(h->data + (DIFF_STATE_OUT - DIFF_DATA), 0, 8 * DIFF_NREGS);
    memcpy(h->data, mem_in, DIFF_MEM_SIZE);
    fault_sig = 0;
    if (sigsetjmp(fault_jmp, 1)) {
        __asm__ volatile("cld");
        goto out;
    }
    if (h->mode == 64) {
        diff_call64();
    } else {
        ((void (*)(void))(uintptr_t)DIFF_STUB64)();
    }
    memcpy(out, h->data + (DIFF_STATE_OUT - DIFF_DATA), 8 * DIFF_NREGS);
    memcpy(mem_out, h->data, DIFF_MEM_SIZE);
    if (fx_out) {
        memcpy(fx_out, h->data + (DIFF_FX_OUT - DIFF_DATA), DIFF_FX_SIZE);
    }
    ok = true;
out:
    __asm__ volatile("fxrstor64 %0" : : "m"(host_fx));
    return ok;
}

static bool host_run(Host *h, const uint8_t *code, int len, const uint64_t *in,
                     const uint8_t *mem_in, uint64_t *out, uint8_t *mem_out)
{
    static uint8_t fx_default[DIFF_FX_SIZE] __attribute__((aligned(16)));
    if (h->fp) {
        /* Prologues with FXRSTOR need a valid image: FCW 037Fh, MXCSR 1F80h. */
        fx_default[0] = 0x7f;
        fx_default[1] = 0x03;
        fx_default[24] = 0x80;
        fx_default[25] = 0x1f;
    }
    return host_run_fx(h, code, len, in, mem_in, out, mem_out, h->fp ? fx_default : NULL,
                       NULL);
}

/* Masks of a generated case from the states before each instruction (got by
 * running the prefixes). False when the case would read an undefined value. */
static bool case_masks(Host *h, const DiffGenCase *gc, uint32_t *flags_mask,
                       uint32_t *reg_mask)
{
    uint64_t pre[DIFF_NREGS];
    uint8_t pre_mem[DIFF_MEM_SIZE];
    uint32_t undef = 0;
    *reg_mask = h->mode == 64 ? 0xffff : 0xff;
    for (int i = 0; i < gc->ninsns; i++) {
        if (i == 0) {
            memcpy(pre, gc->in, sizeof(pre));
            memcpy(pre_mem, gc->mem_in, sizeof(pre_mem));
        } else if (!host_run(h, gc->code, gc->insn_off[i], gc->in, gc->mem_in, pre, pre_mem)) {
            return false;
        }
        DiffEffect eff;
        diff_insn_effect(&gc->insns[i], pre, pre_mem, h->amd, &eff);
        if (eff.rd & undef) {
            return false;
        }
        undef = (undef & ~eff.wd) | eff.wu;
        if (eff.dest_undef) {
            if (i != gc->ninsns - 1 || eff.dest_reg < 0) {
                return false;
            }
            *reg_mask &= ~(1u << eff.dest_reg);
        }
    }
    *flags_mask = (DIFF_ARITH & ~undef) | DIFF_DF;
    return true;
}

typedef struct Run {
    int ncases;                 /* directed, random, then the planted mismatch */
    int ndirected;
    DiffGenCase *gen;
    DiffCase *cases;
    DiffFpCase *fpcases;        /* --fp: the cases with their FXSAVE images */
    int dropped;
} Run;

/* --fp: every template in turn, one instruction per case. */
static void generate_fp(Host *h, Run *run, uint64_t seed, int ncases)
{
    DiffRng rng = { seed * 0x9e3779b97f4a7c15ull + 1 };
    int ntm = diff_fp_ntmpls();
    int *order = g_new(int, ntm), nord = 0;
    for (int t = 0; t < ntm; t++) {
        if (diff_fp_tmpl_in_mode(t, h->mode)) {
            order[nord++] = t;
        }
    }
    run->ndirected = 0;
    run->gen = g_new0(DiffGenCase, ncases + 1);
    run->cases = g_new0(DiffCase, ncases + 1);
    run->fpcases = g_new0(DiffFpCase, ncases + 1);
    for (int n = 0; n < ncases; n++) {
        DiffGenCase *gc = &run->gen[n];
        DiffFpCase *fc = &run->fpcases[n];
        DiffCase *c = &fc->c;
        int t = order[n % nord];
        for (int tries = 0;; tries++) {
            uint32_t fsw_mask, flags_mask;
            diff_fp_make_case(&rng, h->mode, t, gc, fc->fx_in, &fsw_mask, &flags_mask);
            if (host_run_fx(h, gc->code, gc->code_len, gc->in, gc->mem_in, c->out,
                            c->mem_out, fc->fx_in, fc->fx_out)) {
                c->code_len = gc->code_len;
                c->flags_mask = flags_mask;
                c->reg_mask = h->mode == 64 ? 0xffff : 0xff;
                c->index = n;
                memcpy(c->in, gc->in, sizeof(c->in));
                memcpy(c->mem_in, gc->mem_in, sizeof(c->mem_in));
                memcpy(c->code, gc->code, gc->code_len);
                fc->fsw_mask = fsw_mask;
                fc->nxmm = h->mode == 64 ? 16 : 8;
                run->cases[n] = *c;
                break;
            }
            run->dropped++;
            if (tries > 1000) {
                fprintf(stderr, "test-diff: template %s never gives a usable case\n",
                        diff_fp_tmpl_name(t));
                exit(1);
            }
        }
    }
    g_free(order);
    /* The canary: case 0 again with a wrong expected RAX, memory byte and XMM0
     * byte. A harness that does not report it compares nothing. */
    run->gen[ncases] = run->gen[0];
    run->gen[ncases].primary = -1;
    run->fpcases[ncases] = run->fpcases[0];
    run->fpcases[ncases].c.index = ncases;
    run->fpcases[ncases].c.out[0] ^= 1;
    run->fpcases[ncases].c.mem_out[7] ^= 0x80;
    run->fpcases[ncases].fx_out[160] ^= 0x01;
    run->cases[ncases] = run->fpcases[ncases].c;
    run->ncases = ncases + 1;
}

static void generate(Host *h, Run *run, uint64_t seed, int ncases)
{
    DiffRng rng = { seed * 0x9e3779b97f4a7c15ull + 1 };
    int ntm = diff_ntmpls();
    int *order = g_new(int, ntm);
    bool *no_filler = g_new0(bool, ntm);
    int nord = 0;
    for (int t = 0; t < ntm; t++) {
        no_filler[t] = known_fail(h->mode, diff_tmpl_name(t)) != NULL;
        if (diff_tmpl_in_mode(t, h->mode)) {
            order[nord++] = t;
        }
    }
    DiffGenCase probe;
    int ndir = 0;
    while (diff_make_directed(h->mode, ndir, &probe)) {
        ndir++;
    }
    run->ndirected = ndir;
    run->gen = g_new0(DiffGenCase, ndir + ncases + 1);
    run->cases = g_new0(DiffCase, ndir + ncases + 1);
    ncases += ndir;
    for (int n = 0; n < ncases; n++) {
        DiffGenCase *gc = &run->gen[n];
        DiffCase *c = &run->cases[n];
        int primary = n < ndir ? -1 : order[(n - ndir) % nord];
        for (int tries = 0;; tries++) {
            if (n < ndir) {
                diff_make_directed(h->mode, n, gc);
                primary = gc->primary;
            } else {
                diff_make_case(&rng, h->mode, primary, h->pro_len, no_filler, gc);
            }
            uint32_t fm, rm;
            if (case_masks(h, gc, &fm, &rm) &&
                host_run(h, gc->code, gc->code_len, gc->in, gc->mem_in, c->out, c->mem_out)) {
                c->code_len = gc->code_len;
                c->flags_mask = fm;
                c->reg_mask = rm | gc->feat << 16;
                c->index = n;
                memcpy(c->in, gc->in, sizeof(c->in));
                memcpy(c->mem_in, gc->mem_in, sizeof(c->mem_in));
                memcpy(c->code, gc->code, gc->code_len);
                break;
            }
            if (n < ndir) {
                fprintf(stderr, "test-diff: directed case %d faults on the host\n", n);
                exit(1);
            }
            run->dropped++;
            if (tries > 1000) {
                fprintf(stderr, "test-diff: template %s never gives a usable case\n",
                        diff_tmpl_name(primary));
                exit(1);
            }
        }
    }
    g_free(order);
    g_free(no_filler);
    /* The canary: case 0 again with a wrong expected RAX and memory byte. A
     * harness that does not report it compares nothing. */
    run->gen[ncases] = run->gen[0];
    run->gen[ncases].primary = -1;
    run->cases[ncases] = run->cases[0];
    run->cases[ncases].index = ncases;
    run->cases[ncases].out[0] ^= 1;
    run->cases[ncases].mem_out[7] ^= 0x80;
    run->cases[ncases].reg_mask |= 1;
    run->ncases = ncases + 1;
}

static char *write_case_file(Host *h, Run *run, const char *dir, int first, bool trace)
{
    DiffHeader hdr = { .magic = DIFF_MAGIC, .mode = (uint32_t)h->mode | (trace ? 0x100 : 0)
                                                  | (h->fp ? DIFF_MODE_FP : 0),
                       .ncases = (uint32_t)run->ncases,
                       .case_size = h->fp ? sizeof(DiffFpCase) : sizeof(DiffCase),
                       .prologue_len = (uint32_t)h->pro_len,
                       .epilogue_len = (uint32_t)h->epi_len,
                       .first = (uint32_t)first };
    memcpy(hdr.prologue, h->pro, h->pro_len);
    memcpy(hdr.epilogue, h->epi, h->epi_len);
    char *path = g_build_filename(dir, "cases.bin", NULL);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(&hdr, sizeof(hdr), 1, f) == 1;
    if (ok) {
        size_t wrote = h->fp ? fwrite(run->fpcases, sizeof(DiffFpCase), run->ncases, f)
                             : fwrite(run->cases, sizeof(DiffCase), run->ncases, f);
        ok = wrote == (size_t)run->ncases;
    }
    if (f && fclose(f) != 0) {
        ok = false;
    }
    if (!ok) {
        fprintf(stderr, "test-diff: cannot write %s\n", path);
        exit(1);
    }
    return path;
}

/* Run bt86 on the guest; returns the serial output (NULL on spawn failure)
 * and sets *status to the wait status (-1: killed after the timeout). */
static char *run_bt86(const char *bt86, const char *backend, const char *guest,
                      const char *cases, const char *dir, int timeout, int *status)
{
    char *serial = g_build_filename(dir, "serial.out", NULL);
    char *serial_spec = g_strdup_printf("file:%s", serial);
    char *accel = g_strdup_printf("tcg,backend=%s", backend);
    const char *argv[] = { bt86, "-accel", accel, "-m", "256", "-display", "none",
                           "-serial", serial_spec, "-device",
                           "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot",
                           "-kernel", guest, "-initrd", cases, NULL };
    unlink(serial);
    pid_t pid = fork();
    if (pid == 0) {
        execv(bt86, (char **)argv);
        _exit(127);
    }
    *status = -1;
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout * G_USEC_PER_SEC;
    for (;;) {
        int ws;
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid) {
            *status = ws;
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &ws, 0);
            break;
        }
        g_usleep(20000);
    }
    char *out = NULL;
    if (!g_file_get_contents(serial, &out, NULL, NULL)) {
        out = g_strdup("");
    }
    g_free(serial);
    g_free(serial_spec);
    g_free(accel);
    return out;
}

static void print_state(const char *what, const uint64_t *v, int mode, uint32_t reg_mask,
                        uint32_t flags_mask, const uint64_t *ref)
{
    static const char *const n64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    printf("#   %-8s", what);
    int nregs = mode == 64 ? 16 : 8;
    for (int i = 0; i < nregs; i++) {
        bool bad = ref && ((reg_mask >> i) & 1) && v[i] != ref[i];
        printf("%s%s=%0*llx%s", i && i % 4 == 0 ? "\n#            " : " ", n64[i],
               mode == 64 ? 16 : 8, (unsigned long long)v[i], bad ? "(!)" : "");
    }
    bool fbad = ref && ((v[DIFF_RFLAGS] ^ ref[DIFF_RFLAGS]) & flags_mask);
    printf("\n#            rflags=%04llx%s\n",
           (unsigned long long)(v[DIFF_RFLAGS] & (DIFF_ARITH | DIFF_DF)), fbad ? "(!)" : "");
}

static void print_case(csh cs, const DiffGenCase *gc, const DiffCase *c, int mode,
                       const uint64_t *got, const uint8_t *got_mem)
{
    if (gc->primary < 0) {
        return;     /* the planted mismatch */
    }
    printf("# case %u (%s):", c->index, tmpl_name(gc->primary));
    for (int i = 0; i < gc->code_len; i++) {
        printf(" %02x", gc->code[i]);
    }
    printf("\n");
    cs_insn *insn;
    size_t n = cs_disasm(cs, gc->code, gc->code_len, 0, 0, &insn);
    for (size_t i = 0; i < n; i++) {
        char hex[2 * 16 + 1] = "";
        for (int b = 0; b < insn[i].size && b < 16; b++) {
            snprintf(hex + 2 * b, 3, "%02x", insn[i].bytes[b]);
        }
        printf("#     %-24s %s %s\n", hex, insn[i].mnemonic, insn[i].op_str);
    }
    if (n) {
        cs_free(insn, n);
    }
    printf("#   compared: flags %04x, registers %04x\n", c->flags_mask, c->reg_mask);
    print_state("start", c->in, mode, 0, 0, NULL);
    print_state("host", c->out, mode, 0, 0, NULL);
    if (got) {
        print_state("bt86", got, mode, c->reg_mask, c->flags_mask, c->out);
    }
    if (got_mem) {
        for (int i = 0; i < DIFF_MEM_SIZE; i++) {
            if (got_mem[i] != c->mem_out[i]) {
                printf("#   mem[0x%x+0x%02x]: start %02x host %02x bt86 %02x\n", DIFF_MEM, i,
                       c->mem_in[i], c->mem_out[i], got_mem[i]);
            }
        }
    }
}

/* --fp: what differs in the FXSAVE image, field by field. */
static void print_fx(const DiffFpCase *fc, const uint8_t *got)
{
    const uint8_t *want = fc->fx_out, *in = fc->fx_in;
#define RD16(p) ((unsigned)((p)[0] | (p)[1] << 8))
#define RD32(p) ((unsigned)((p)[0] | (p)[1] << 8 | (p)[2] << 16 | (unsigned)(p)[3] << 24))
    printf("#   x87/SSE: start fcw %04x fsw %04x tags %02x mxcsr %08x\n", RD16(in),
           RD16(in + 2), in[4], RD32(in + 24));
    printf("#   host:    fcw %04x fsw %04x tags %02x mxcsr %08x (fsw compared: %04x)\n",
           RD16(want), RD16(want + 2), want[4], RD32(want + 24), fc->fsw_mask);
    printf("#   bt86:    fcw %04x fsw %04x tags %02x mxcsr %08x\n", RD16(got),
           RD16(got + 2), got[4], RD32(got + 24));
    unsigned top = (RD16(want + 2) >> 11) & 7;
    for (int j = 0; j < 8; j++) {
        const uint8_t *a = want + 32 + 16 * j, *b = got + 32 + 16 * j, *i0 = in + 32 + 16 * j;
        if (((want[4] >> ((top + j) & 7)) & 1) && memcmp(a, b, 10)) {
            printf("#   st(%d): start %04x:%016llx host %04x:%016llx bt86 %04x:%016llx\n",
                   j, RD16(i0 + 8), (unsigned long long)(RD32(i0) | (uint64_t)RD32(i0 + 4) << 32),
                   RD16(a + 8), (unsigned long long)(RD32(a) | (uint64_t)RD32(a + 4) << 32),
                   RD16(b + 8), (unsigned long long)(RD32(b) | (uint64_t)RD32(b + 4) << 32));
        }
    }
    for (unsigned x = 0; x < fc->nxmm; x++) {
        const uint8_t *a = want + 160 + 16 * x, *b = got + 160 + 16 * x;
        const uint8_t *i0 = in + 160 + 16 * x;
        if (memcmp(a, b, 16)) {
            printf("#   xmm%u: start %016llx%016llx\n#          host  %016llx%016llx\n"
                   "#          bt86  %016llx%016llx\n", x,
                   (unsigned long long)(RD32(i0 + 8) | (uint64_t)RD32(i0 + 12) << 32),
                   (unsigned long long)(RD32(i0) | (uint64_t)RD32(i0 + 4) << 32),
                   (unsigned long long)(RD32(a + 8) | (uint64_t)RD32(a + 12) << 32),
                   (unsigned long long)(RD32(a) | (uint64_t)RD32(a + 4) << 32),
                   (unsigned long long)(RD32(b + 8) | (uint64_t)RD32(b + 12) << 32),
                   (unsigned long long)(RD32(b) | (uint64_t)RD32(b + 4) << 32));
        }
    }
#undef RD16
#undef RD32
}

typedef struct Result {
    bool *fxbad;                /* per case: the FXSAVE image differed (--fp) */
    bool *bad;                  /* per case */
    bool *skipped;              /* per case: the guest CPU lacks the instruction */
    int nbad;
    int crashes;
    int faults;
    int ud_first, ud_second;    /* the directed rewritten-#UD check; -2: not seen */
    char *error;                /* the run itself failed */
} Result;

static void parse_output(const char *out, Run *run, Result *res, csh cs, int mode,
                         int *reported, int *end_seen)
{
    gchar **lines = g_strsplit(out, "\n", -1);
    uint64_t got[DIFF_NREGS];
    int got_idx = -1;
    for (gchar **l = lines; *l; l++) {
        char *s = g_strstrip(*l);
        unsigned idx, vec;
        if (sscanf(s, "M %u", &idx) == 1 && idx < (unsigned)run->ncases) {
            char *p = strchr(s + 2, ' ');
            for (int i = 0; i < DIFF_NREGS && p; i++) {
                got[i] = strtoull(p + 1, &p, 16);
            }
            if (!res->bad[idx]) {
                res->bad[idx] = true;
                res->nbad++;
            }
            got_idx = (int)idx;
            bool has_mem = l[1] && !strncmp(g_strstrip(l[1]), "X ", 2);
            if (has_mem) {
                continue;
            }
            if ((*reported)++ < MAX_REPORT) {
                print_case(cs, &run->gen[idx], &run->cases[idx], mode, got, NULL);
            }
        } else if (sscanf(s, "X %u", &idx) == 1 && (int)idx == got_idx) {
            uint8_t mem[DIFF_MEM_SIZE];
            const char *p = strchr(s + 2, ' ');
            for (int i = 0; i < DIFF_MEM_SIZE && p && p[1] && p[2]; i++, p += 2) {
                char b[3] = { p[1], p[2], 0 };
                mem[i] = (uint8_t)strtoul(b, NULL, 16);
            }
            if ((*reported)++ < MAX_REPORT) {
                print_case(cs, &run->gen[idx], &run->cases[idx], mode, got, mem);
            }
        } else if (sscanf(s, "F %u %u", &idx, &vec) == 2 && idx < (unsigned)run->ncases) {
            if (!res->bad[idx]) {
                res->bad[idx] = true;
                res->nbad++;
                res->faults++;
            }
            if ((*reported)++ < MAX_REPORT) {
                printf("# exception %u under bt86, none on the host:\n", vec);
                print_case(cs, &run->gen[idx], &run->cases[idx], mode, NULL, NULL);
            }
        } else if (sscanf(s, "U %u %u", &idx, &vec) == 2) {
            res->ud_first = (int)idx;
            res->ud_second = vec == 0xffffffffu ? -1 : (int)vec;
        } else if (sscanf(s, "P %u", &idx) == 1 && idx < (unsigned)run->ncases &&
                   run->fpcases) {
            uint8_t fx[DIFF_FX_SIZE];
            const char *p = strchr(s + 2, ' ');
            int got_n = 0;
            for (int i = 0; i < DIFF_FX_SIZE && p && p[1] && p[2]; i++, p += 2, got_n++) {
                char b[3] = { p[1], p[2], 0 };
                fx[i] = (uint8_t)strtoul(b, NULL, 16);
            }
            if (!res->bad[idx]) {
                res->bad[idx] = true;
                res->nbad++;
            }
            res->fxbad[idx] = true;
            if (got_n == DIFF_FX_SIZE && (*reported)++ < MAX_REPORT) {
                print_case(cs, &run->gen[idx], &run->cases[idx], mode, NULL, NULL);
                print_fx(&run->fpcases[idx], fx);
            }
        } else if (sscanf(s, "S %u", &idx) == 1 && idx < (unsigned)run->ncases) {
            res->skipped[idx] = true;
        } else if (!strncmp(s, "DIFF END", 8)) {
            unsigned total, nbad;
            if (sscanf(s, "DIFF END %u %u", &total, &nbad) == 2) {
                *end_seen = 1;
            }
        }
    }
    g_strfreev(lines);
}

/* The last "C n" line of a traced run: the case the guest died in. */
static int last_traced(const char *out)
{
    const char *p = out, *last = NULL;
    while ((p = strstr(p, "C ")) != NULL) {
        if (p == out || p[-1] == '\n') {
            last = p;
        }
        p += 2;
    }
    return last ? atoi(last + 2) : -1;
}

static void run_backend(Host *h, Run *run, const char *bt86, const char *guest,
                        const char *backend, const char *dir, Result *res, csh cs)
{
    res->ud_first = res->ud_second = -2;
    res->bad = g_new0(bool, run->ncases);
    res->fxbad = g_new0(bool, run->ncases);
    res->skipped = g_new0(bool, run->ncases);
    int first = 0, reported = 0;
    int timeout = 60 + run->ncases / 20;
    while (first < run->ncases) {
        char *cases = write_case_file(h, run, dir, first, false);
        int status, end_seen = 0;
        char *out = run_bt86(bt86, backend, guest, cases, dir, timeout, &status);
        parse_output(out, run, res, cs, h->mode, &reported, &end_seen);
        g_free(out);
        bool clean = end_seen && status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 1;
        if (clean) {
            g_free(cases);
            return;
        }
        /* The guest died (or bt86 failed): find the case with a traced rerun. */
        g_free(cases);
        cases = write_case_file(h, run, dir, first, true);
        out = run_bt86(bt86, backend, guest, cases, dir, timeout * 4, &status);
        int dead = last_traced(out);
        g_free(out);
        g_free(cases);
        if (dead < first) {
            res->error = g_strdup_printf("bt86 -accel tcg,backend=%s failed before case %d "
                                         "(wait status 0x%x)", backend, first, status);
            return;
        }
        printf("# guest stopped in case %d (bt86 wait status 0x%x):\n", dead, status);
        if (reported++ < MAX_REPORT) {
            print_case(cs, &run->gen[dead], &run->cases[dead], h->mode, NULL, NULL);
        }
        if (!res->bad[dead]) {
            res->bad[dead] = true;
            res->nbad++;
        }
        res->crashes++;
        if (res->crashes > 20) {
            res->error = g_strdup("more than 20 guest crashes: giving up");
            return;
        }
        first = dead + 1;
    }
}

int main(int argc, char **argv)
{
    char *bt86 = NULL, *guest = NULL, *workdir = NULL;
    char **backends = NULL;
    int mode = 64, ncases = 0;
    gint64 seed = 1;
    gboolean tap = FALSE, fp = FALSE;
    GOptionEntry entries[] = {
        { "bt86", 0, 0, G_OPTION_ARG_FILENAME, &bt86, "bt86 binary", "PATH" },
        { "guest", 0, 0, G_OPTION_ARG_FILENAME, &guest, "diff-guest.elf", "PATH" },
        { "mode", 0, 0, G_OPTION_ARG_INT, &mode, "64 or 32", "BITS" },
        { "backend", 0, 0, G_OPTION_ARG_STRING_ARRAY, &backends, "tcg backend", "NAME" },
        { "cases", 0, 0, G_OPTION_ARG_INT, &ncases, "number of cases", "N" },
        { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, "random seed", "S" },
        { "workdir", 0, 0, G_OPTION_ARG_FILENAME, &workdir,
          "keep the case file and serial output here", "DIR" },
        { "tap", 0, 0, G_OPTION_ARG_NONE, &tap, "TAP output (always on)", NULL },
        { "fp", 0, 0, G_OPTION_ARG_NONE, &fp, "x87/MMX/SSE templates", NULL },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("- bt86 against the host CPU");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *gerr = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || !bt86 || !guest ||
        (mode != 64 && mode != 32)) {
        fprintf(stderr, "test-diff: %s\n", gerr ? gerr->message :
                "--bt86, --guest and --mode 64|32 are needed");
        return 2;
    }
    g_option_context_free(ctx);
    g_fp = fp;
    if (!backends) {
        backends = g_new0(char *, 3);
        backends[0] = g_strdup("native");
        backends[1] = g_strdup("interp");
    }
    if (ncases <= 0) {
        const char *env = getenv("BT86_DIFF_CASES");
        ncases = env ? atoi(env) : 0;
        if (ncases <= 0) {
            /* One x87/SSE case is one instruction: many more of them. */
            int quick = fp ? QUICK_FP_CASES : QUICK_CASES;
            ncases = getenv("BT86_QUICK") ? quick : 10 * quick;
        }
    }

    Host h;
    host_init(&h, mode);
    csh cs;
    if (cs_open(CS_ARCH_X86, mode == 64 ? CS_MODE_64 : CS_MODE_32, &cs) != CS_ERR_OK) {
        fprintf(stderr, "test-diff: capstone unavailable\n");
        return 1;
    }
    if (mode == 32) {
        /* A kernel without IA-32 emulation (or booted with ia32_emulation=0)
         * has no usable selector 0x23: the far call faults. */
        uint64_t in[DIFF_NREGS] = { 0 }, out[DIFF_NREGS];
        uint8_t mem[DIFF_MEM_SIZE] = { 0 }, nothing[1] = { 0 };
        in[4] = DIFF_MEM + 0xe0;
        in[DIFF_RFLAGS] = 2;
        if (!host_run(&h, nothing, 0, in, mem, out, mem)) {
            printf("1..0 # SKIP the host cannot run 32-bit user code (signal %d on the far "
                   "call to selector 0x23)\n", (int)fault_sig);
            cs_close(&cs);
            g_strfreev(backends);
            g_free(bt86);
            g_free(guest);
            g_free(workdir);
            return 0;
        }
    }
    Run run = { 0 };
    gint64 t0 = g_get_monotonic_time();
    int nrandom = ncases;
    if (g_fp) {
        generate_fp(&h, &run, (uint64_t)seed, nrandom);
    } else {
        generate(&h, &run, (uint64_t)seed, nrandom);
    }
    ncases = run.ncases - 1;    /* directed and random; the planted one is last */
    gint64 t1 = g_get_monotonic_time();
    printf("# %d-bit mode: %d directed cases, %d random cases from seed %" G_GINT64_FORMAT
           " (%d drawn again: host fault or undefined input), host run %.2f s, %s host\n",
           mode, run.ndirected, nrandom, seed, run.dropped, (t1 - t0) / 1e6,
           h.amd ? "AMD" : "non-AMD");

    char *dir = workdir ? g_strdup(workdir) : g_dir_make_tmp("bt86-diff-XXXXXX", NULL);
    int nb = g_strv_length(backends), ntm = tmpl_count();
    int in_mode = 0;
    for (int t = 0; t < ntm; t++) {
        in_mode += tmpl_in_mode(t, mode);
    }
    printf("1..%d\n", nb * (in_mode + 2));
    int point = 0, failed = 0;
    for (int b = 0; b < nb; b++) {
        Result res = { 0 };
        gint64 s0 = g_get_monotonic_time();
        run_backend(&h, &run, bt86, guest, backends[b], dir, &res, cs);
        /* --fp: the planted case must also be caught by the image compare. */
        bool canary = res.bad[ncases] && (!g_fp || res.fxbad[ncases]);
        printf("# backend %s: %d cases, %d mismatches (%d exceptions, %d guest crashes), "
               "%.2f s\n", backends[b], ncases, res.nbad - canary, res.faults, res.crashes,
               (g_get_monotonic_time() - s0) / 1e6);
        point++;
        if (canary && !res.error) {
            printf("ok %d - %d-bit %s: the planted mismatch (case %d) is reported\n", point,
                   mode, backends[b], ncases);
        } else {
            failed++;
            printf("not ok %d - %d-bit %s: the planted mismatch (case %d) went unreported%s%s\n",
                   point, mode, backends[b], ncases, res.error ? ": " : "",
                   res.error ? res.error : "");
        }
        point++;
        const KnownFail *kud = known_fail(mode, "rewritten #UD");
        if (res.ud_first == 6 && res.ud_second == -1) {
            printf("ok %d - %d-bit %s: a block that raised #UD runs its rewritten bytes%s\n",
                   point, mode, backends[b], kud ? " (a known failure: fixed?)" : "");
        } else {
            printf("not ok %d - %d-bit %s: 0f 04 gave vector %d, the NOPs written over it "
                   "vector %d (-1: none)%s%s\n", point, mode, backends[b], res.ud_first,
                   res.ud_second, kud && res.ud_first >= 0 ? " # TODO " : "",
                   kud && res.ud_first >= 0 ? kud->why : "");
            failed += !kud || res.ud_first < 0;
        }
        for (int t = 0; t < ntm; t++) {
            const char *name = tmpl_name(t);
            int total = 0, bad = 0, skipped = 0;
            if (!tmpl_in_mode(t, mode)) {
                continue;
            }
            for (int n = 0; n < ncases; n++) {
                if (run.gen[n].primary == t) {
                    total++;
                    bad += res.bad[n];
                    skipped += res.skipped[n];
                }
            }
            point++;
            if (total == 0) {
                printf("ok %d - %s %d-bit %s # SKIP no case drawn: --cases below the "
                       "number of templates\n", point, name, mode, backends[b]);
                continue;
            }
            if (skipped && skipped == total && !bad && !res.error) {
                printf("ok %d - %s %d-bit %s # SKIP bt86's CPUID does not advertise it "
                       "(feature mask %x), %d cases not run\n", point, name, mode,
                       backends[b], tmpl_feat(t), total);
                continue;
            }
            total -= skipped;
            const KnownFail *k = known_fail(mode, name);
            bool ok = !res.error && bad == 0 && total > 0;
            if (!ok && k) {
                printf("not ok %d - %s %d-bit %s: %d of %d cases differ # TODO %s\n", point,
                       name, mode, backends[b], bad, total, k->why);
            } else if (ok) {
                printf("ok %d - %s %d-bit %s: %d cases agree%s\n", point, name, mode,
                       backends[b], total, k ? " (a known failure, not hit by these cases)" : "");
            } else {
                failed++;
                printf("not ok %d - %s %d-bit %s: %d of %d cases differ%s%s\n", point, name,
                       mode, backends[b], bad, total, res.error ? ": " : "",
                       res.error ? res.error : "");
            }
        }
        g_free(res.bad);
        g_free(res.fxbad);
        g_free(res.skipped);
        g_free(res.error);
    }
    if (!workdir) {
        char *p = g_build_filename(dir, "cases.bin", NULL);
        unlink(p);
        g_free(p);
        p = g_build_filename(dir, "serial.out", NULL);
        unlink(p);
        g_free(p);
        rmdir(dir);
    }
    g_free(dir);
    cs_close(&cs);
    g_free(run.gen);
    g_free(run.cases);
    g_free(run.fpcases);
    g_strfreev(backends);
    g_free(bt86);
    g_free(guest);
    g_free(workdir);
    return failed ? 1 : 0;
}
