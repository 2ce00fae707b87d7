/*
 * test-decode-native.c: the decoder against the host CPU itself, for the SIMD
 * maps where mandatory prefixes make validity subtle (0F SSE/MMX rows, 0F 38,
 * 0F 3A).
 *
 * Each random encoding (prefixes in any order, optional REX, escape, opcode,
 * a register-only ModRM, immediate, then NOPs) runs natively in a forked child
 * with EFLAGS.TF set: the single-step trap after the instruction gives its
 * length (the technique of instruction-length probing); SIGILL means #UD.
 * Register-only forms of these opcodes touch no memory and do not branch, so
 * running random ones is harmless.
 *
 * The host may implement extensions bt86 does not (e.g. SSE4a) and lack some
 * bt86 decodes (SHA, ...): those cases are excluded by CPUID, explicitly.
 * Needs an x86-64 host; skips otherwise.
 */
#include "util/osdep.h"
#include "target-x86/decode.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Encodings per test; DECODE_NATIVE_N raises it for a local soak. */
static unsigned N_TESTS = 25000;

#define STUB_OFF 256        /* epilogue the signal handlers resume at */
/*
 * Memory tests set every GPR to SCRATCH_MID, so [base + index * scale + disp8]
 * stays inside [SCRATCH_BASE, SCRATCH_BASE + SCRATCH_SIZE).
 */
#define SCRATCH_BASE 0x80000UL
#define SCRATCH_MID  0x100000UL
#define SCRATCH_SIZE (10 * SCRATCH_MID - SCRATCH_BASE)
#define USER32_CS 0x23      /* Linux x86-64 compatibility-mode code selector */
#define USER64_CS 0x33

enum { NAT_LEN, NAT_UD, NAT_FAULT, NAT_NONE };

typedef struct NativeResult {
    uint8_t kind;
    uint8_t len;
} NativeResult;

static uint8_t *code_page;
static unsigned insn_off;
/*
 * The host RSP is saved on the heap, out of reach of the random displacements
 * (which stay within 2 GiB of the low code page and scratch area).
 */
static uint64_t *saved_rsp;
static uint64_t saved_rsp_addr;
static volatile sig_atomic_t last_kind;
static volatile sig_atomic_t last_len;

static void on_signal(int sig, siginfo_t *si, void *uc_void)
{
    ucontext_t *uc = uc_void;
    greg_t *gr = uc->uc_mcontext.gregs;
    uintptr_t rip = gr[REG_RIP];

    if (sig == SIGTRAP) {
        last_kind = NAT_LEN;
        last_len = rip - (uintptr_t)(code_page + insn_off);
    } else if (sig == SIGILL) {
        last_kind = NAT_UD;
    } else {
        last_kind = NAT_FAULT;
    }
    gr[REG_EFL] &= ~0x100L;
    gr[REG_RIP] = (greg_t)(uintptr_t)(code_page + STUB_OFF);
    /* Back to 64-bit code if the instruction ran in compatibility mode. */
    gr[REG_CSGSFS] = (gr[REG_CSGSFS] & ~0xffffL) | USER64_CS;
}

/* Child: run every encoding, store the outcome in shared memory. */
/* Small byte emitter for the test harness code. */
typedef struct Emit {
    uint8_t *p;
    unsigned n;
} Emit;

static void emit(Emit *e, const uint8_t *b, unsigned n)
{
    memcpy(e->p + e->n, b, n);
    e->n += n;
}

/*
 * Build the harness in code_page; returns the offset of the instruction.
 * 64-bit: save callee-saved registers and RSP; optionally point every GPR
 * (RSP included) at the scratch area so memory operands land there; set TF;
 * run the instruction. 32-bit: also switch to a low stack and far-return to
 * the compatibility-mode code selector (SDM Vol 1 §3.2.1). The signal handlers
 * resume at STUB_OFF, which restores RSP and the saved registers.
 */
static unsigned build_harness(int mode, bool mem, uint8_t *stack32)
{
    static const uint8_t push_saved[] = {
        0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57,
    };
    static const uint8_t set_tf[] = {
        0x9c,                                       /* pushf */
        0x81, 0x0c, 0x24, 0x00, 0x01, 0x00, 0x00,   /* or dword [rsp], TF */
        0x9d,                                       /* popf */
    };
    static const uint8_t pop_saved[] = {
        0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
        0xfc,                                       /* cld (STD is tested) */
        0xc3,                                       /* ret */
    };
    Emit e = { code_page, 0 };
    unsigned insn;

    memset(code_page, 0x90, 4096);
    emit(&e, push_saved, sizeof(push_saved));
    emit(&e, (const uint8_t[]){ 0x48, 0x89, 0xe0, 0x48, 0xa3 }, 5);  /* mov [abs], rsp */
    emit(&e, (const uint8_t *)&saved_rsp_addr, 8);
    if (mem) {
        for (unsigned r = 0; r < 16; r++) {
            uint32_t v = SCRATCH_MID;
            uint8_t b[7] = { 0x48 | (r >> 3), 0xc7, 0xc0 | (r & 7),
                             v, v >> 8, v >> 16, v >> 24 };
            emit(&e, b, 7);                                 /* mov r64, imm32 */
        }
    }
    if (mode == 64) {
        emit(&e, set_tf, sizeof(set_tf));
        insn = e.n;
    } else {
        unsigned code32 = 96;
        uint32_t c32 = (uint32_t)(uintptr_t)(code_page + code32);
        uint32_t esp32 = (uint32_t)(uintptr_t)(stack32 + 4096 - 64);
        uint8_t to32[] = {
            0xbc, esp32, esp32 >> 8, esp32 >> 16, esp32 >> 24,  /* mov esp, imm */
            0x6a, USER32_CS,                                    /* push 0x23 */
            0x68, c32, c32 >> 8, c32 >> 16, c32 >> 24,          /* push code32 */
            0x48, 0xcb,                                         /* retfq */
        };
        emit(&e, to32, sizeof(to32));
        e.n = code32;
        emit(&e, set_tf, sizeof(set_tf));
        insn = e.n;
    }
    g_assert(insn + X86_MAX_INSN_LEN + 16 <= STUB_OFF);
    e.n = STUB_OFF;
    emit(&e, (const uint8_t[]){ 0x48, 0xa1 }, 2);           /* mov rsp, [abs] */
    emit(&e, (const uint8_t *)&saved_rsp_addr, 8);
    emit(&e, (const uint8_t[]){ 0x48, 0x89, 0xc4 }, 3);
    emit(&e, pop_saved, sizeof(pop_saved));
    return insn;
}

/* Child: run every encoding, store the outcome in shared memory. */
static void run_child(const uint8_t (*tests)[X86_MAX_INSN_LEN], NativeResult *res,
                      int mode, bool mem)
{
    struct sigaction sa = { 0 };

    /* Below 2 GiB so that compatibility-mode code and stack can reach it. */
    code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    uint8_t *stack32 = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (code_page == MAP_FAILED || stack32 == MAP_FAILED) {
        _exit(2);
    }
    if (mem) {
        /* Every [base + index * scale + disp8] with base = index = MID fits. */
        void *want = (void *)(uintptr_t)SCRATCH_BASE;
        void *got = mmap(want, SCRATCH_SIZE, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (got != want) {
            _exit(3);
        }
    }
    saved_rsp = g_new0(uint64_t, 1);
    saved_rsp_addr = (uintptr_t)saved_rsp;
    insn_off = build_harness(mode, mem, stack32);
    bool trace = g_getenv("DECODE_NATIVE_TRACE") != NULL;
    /* The instruction may have clobbered RSP: handle signals on their own stack. */
    stack_t ss = { .ss_sp = g_malloc(1 << 16), .ss_size = 1 << 16 };
    sigaltstack(&ss, NULL);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigaction(SIGTRAP, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    alarm(60 + N_TESTS / 10000);
    for (unsigned i = 0; i < N_TESTS; i++) {
        memset(code_page + insn_off, 0x90, STUB_OFF - insn_off);
        memcpy(code_page + insn_off, tests[i], X86_MAX_INSN_LEN);
        last_kind = NAT_NONE;
        if (trace) {
            /* DECODE_NATIVE_TRACE=1: which encoding is running (debugging). */
            fprintf(stderr, "%u:", i);
            for (unsigned k = 0; k < X86_MAX_INSN_LEN; k++) {
                fprintf(stderr, " %02x", tests[i][k]);
            }
            fprintf(stderr, "\n");
        }
        /*
         * Never writable and executable at once (works where the host refuses
         * RWX), and a random store cannot rewrite the harness.
         */
        if (mprotect(code_page, 4096, PROT_READ | PROT_EXEC) < 0) {
            _exit(4);
        }
        ((void (*)(void))code_page)();
        mprotect(code_page, 4096, PROT_READ | PROT_WRITE);
        res[i].kind = last_kind;
        res[i].len = last_len;
    }
    _exit(0);
}

static bool host_has(unsigned feat)
{
    unsigned a, b, c, d, b7 = 0;

    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return false;
    }
    if (__get_cpuid_max(0, NULL) >= 7) {
        unsigned a7, c7, d7;
        __cpuid_count(7, 0, a7, b7, c7, d7);
    }
    switch (feat) {
    case X86_FEAT_NONE: return true;
    case X86_FEAT_MMX: return d & (1u << 23);
    case X86_FEAT_SSE: return d & (1u << 25);
    case X86_FEAT_SSE2: return d & (1u << 26);
    case X86_FEAT_SSE3: return c & (1u << 0);
    case X86_FEAT_PCLMUL: return c & (1u << 1);
    case X86_FEAT_SSSE3: return c & (1u << 9);
    case X86_FEAT_SSE41: return c & (1u << 19);
    case X86_FEAT_SSE42: return c & (1u << 20);
    case X86_FEAT_MOVBE: return c & (1u << 22);
    case X86_FEAT_POPCNT: return c & (1u << 23);
    case X86_FEAT_AES: return c & (1u << 25);
    case X86_FEAT_ADX: return b7 & (1u << 19);
    case X86_FEAT_BMI1: return b7 & (1u << 3);
    case X86_FEAT_RDSEED: return b7 & (1u << 18);
    case X86_FEAT_RDRAND: return c & (1u << 30);
    case X86_FEAT_CMOV: return d & (1u << 15);
    case X86_FEAT_LZCNT: {
        unsigned ea, eb, ec, ed;
        return __get_cpuid(0x80000001, &ea, &eb, &ec, &ed) && (ec & (1u << 5));
    }
    case X86_FEAT_SHA: return b7 & (1u << 29);
    default: return false;
    }
}

/*
 * Opcodes whose register forms are harmless SIMD/integer operations. Left out:
 * 0F F7 (MASKMOVQ stores to [rDI]) and everything outside the SIMD rows.
 */
static uint8_t pick_opcode(GRand *rng, unsigned map)
{
    size_t count;
    const X86InsnDesc *t = x86_insn_table(&count);

    for (;;) {
        uint8_t op = g_rand_int_range(rng, 0, 256);
        /* Half the time, an opcode the table defines in this map. */
        if (g_rand_boolean(rng)) {
            const X86InsnDesc *d = &t[g_rand_int_range(rng, 0, count)];
            if (d->map != map) {
                continue;
            }
            op = d->opcode;
        }
        if (map != X86_MAP_0F) {
            return op;
        }
        if ((op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
            (op >= 0x50 && op <= 0x7f) || (op >= 0xc2 && op <= 0xc6) ||
            (op >= 0xd0 && op != 0xf7) || op == 0xb8 || op == 0xbc || op == 0xbd) {
            return op;
        }
    }
}

static void gen(GRand *rng, uint8_t *b)
{
    static const uint8_t pfx[] = { 0x66, 0xf2, 0xf3, 0x2e, 0x3e, 0x66, 0xf3 };
    unsigned p = 0, n = g_rand_int_range(rng, 0, 4), map;

    for (unsigned i = 0; i < n; i++) {
        b[p++] = pfx[g_rand_int_range(rng, 0, ARRAY_SIZE(pfx))];
    }
    if (g_rand_boolean(rng)) {
        b[p++] = 0x40 | g_rand_int_range(rng, 0, 16);
    }
    b[p++] = 0x0f;
    map = g_rand_int_range(rng, 0, 3) + X86_MAP_0F;
    if (map == X86_MAP_0F38) {
        b[p++] = 0x38;
    } else if (map == X86_MAP_0F3A) {
        b[p++] = 0x3a;
    }
    b[p++] = pick_opcode(rng, map);
    b[p++] = 0xc0 | g_rand_int_range(rng, 0, 64);     /* register ModRM */
    b[p++] = g_rand_int_range(rng, 0, 256);           /* a possible imm8 */
    while (p < X86_MAX_INSN_LEN) {
        b[p++] = 0x90;
    }
}

/*
 * Register-only integer instructions: ALU, moves, shifts, multiply/divide
 * (a divide fault counts as "valid"), bit ops, CMOVcc/SETcc, BSWAP, CRC32,
 * ADCX, hint NOPs, flag ops. No branches, no stack or segment changes.
 * LOCK, 66, 67, F2/F3, segment prefixes and REX are mixed in.
 */
static void gen_integer(GRand *rng, uint8_t *b)
{
    static const uint8_t one_byte[] = {
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d,
        0x63, 0x69, 0x6b, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88,
        0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x90, 0x91, 0x95, 0x97, 0x98, 0x99, 0xa8,
        0xa9, 0xb0, 0xb3, 0xb7, 0xb8, 0xbc, 0xbf, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0,
        0xd1, 0xd2, 0xd3, 0xd6, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfc, 0xfd, 0xfe,
        0xff, 0x06, 0x27, 0x60, 0xd4,
    };
    static const uint8_t two_byte[] = {
        0x40, 0x43, 0x44, 0x4f, 0x90, 0x94, 0x9f, 0xa3, 0xa4, 0xa5, 0xab, 0xac,
        0xad, 0xaf, 0xb0, 0xb1, 0xb3, 0xb6, 0xb7, 0xb8, 0xba, 0xbb, 0xbc, 0xbd,
        0xbe, 0xbf, 0xc0, 0xc1, 0xc8, 0xcb, 0xcf, 0x0d, 0x18, 0x19, 0x1c, 0x1e,
        0x1f, 0x31, 0xc7,
    };
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0x66, 0xf0 };
    unsigned p = 0, n = g_rand_int_range(rng, 0, 4);
    uint8_t op;

    for (unsigned i = 0; i < n; i++) {
        b[p++] = pfx[g_rand_int_range(rng, 0, ARRAY_SIZE(pfx))];
    }
    if (g_rand_boolean(rng)) {
        b[p++] = 0x40 | g_rand_int_range(rng, 0, 16);
    }
    switch (g_rand_int_range(rng, 0, 8)) {
    case 0: case 1:
        b[p++] = 0x0f;
        op = two_byte[g_rand_int_range(rng, 0, ARRAY_SIZE(two_byte))];
        b[p++] = op;
        if (op == 0xc7) {
            /* RDRAND/RDSEED only (reg 6/7); the rest of group 9 is memory. */
            b[p++] = 0xf0 | g_rand_int_range(rng, 0, 16);
            break;
        }
        b[p++] = 0xc0 | g_rand_int_range(rng, 0, 64);
        break;
    case 2:
        b[p++] = 0x0f;
        b[p++] = 0x38;
        b[p++] = 0xf0 + g_rand_int_range(rng, 0, 7);
        b[p++] = 0xc0 | g_rand_int_range(rng, 0, 64);
        break;
    default:
        op = one_byte[g_rand_int_range(rng, 0, ARRAY_SIZE(one_byte))];
        b[p++] = op;
        if (op == 0xff || op == 0xfe) {
            /* INC/DEC only: FF /2-/6 branch or push. */
            b[p++] = 0xc0 | g_rand_int_range(rng, 0, 16);
        } else {
            b[p++] = 0xc0 | g_rand_int_range(rng, 0, 64);
        }
        break;
    }
    for (unsigned i = 0; i < 8 && p < X86_MAX_INSN_LEN; i++) {
        b[p++] = g_rand_int_range(rng, 0, 256);
    }
    while (p < X86_MAX_INSN_LEN) {
        b[p++] = 0x90;
    }
}

/*
 * Memory forms (64-bit mode; every GPR points into the scratch area): integer
 * read-modify-write with and without LOCK, moves, shifts, multiply/divide,
 * MOVBE, CMPXCHG8B/16B, x87 loads/stores/environment, FXSAVE/XSAVE, system
 * stores (SGDT...) and privileged loads (#GP: valid), prefetch and hint NOPs,
 * and the SIMD maps. Left out: segment loads (8E, LSS/LFS/LGS), indirect
 * branches (FF /2-/5), FS/GS overrides (the TLS lives there).
 */
static void gen_memory(GRand *rng, uint8_t *b)
{
    static const uint8_t one_byte[] = {
        0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13,
        0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b,
        0x30, 0x31, 0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x63, 0x69, 0x6b, 0x80,
        0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d,
        0x8f, 0xc0, 0xc1, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3, 0xd8, 0xd9, 0xda,
        0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xd8, 0xd9, 0xdb, 0xdd, 0xdf, 0xf6, 0xf7,
        0xfe, 0xff,
    };
    static const uint8_t two_byte[] = {
        0x00, 0x01, 0x02, 0x03, 0x0d, 0x18, 0x1f, 0x1c, 0x40, 0x4c, 0x93, 0x9e,
        0xa3, 0xa4, 0xa5, 0xab, 0xac, 0xad, 0xae, 0xae, 0xae, 0xaf, 0xb0, 0xb1,
        0xb3, 0xb6, 0xb7, 0xb8, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0, 0xc1,
        0xc3, 0xc7, 0xc7, 0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x28, 0x2b, 0x2e,
        0x58, 0x6e, 0x6f, 0x70, 0x7e, 0x7f, 0xc2, 0xc4, 0xd6, 0xe6, 0xe7, 0xf0,
    };
    static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0xf0, 0xf0 };
    unsigned p = 0, n = g_rand_int_range(rng, 0, 4), reg;
    uint8_t op;

    for (unsigned i = 0; i < n; i++) {
        b[p++] = pfx[g_rand_int_range(rng, 0, ARRAY_SIZE(pfx))];
    }
    if (g_rand_boolean(rng)) {
        b[p++] = 0x40 | g_rand_int_range(rng, 0, 16);
    }
    reg = g_rand_int_range(rng, 0, 8);
    switch (g_rand_int_range(rng, 0, 10)) {
    case 0: case 1: case 2:
        b[p++] = 0x0f;
        op = two_byte[g_rand_int_range(rng, 0, ARRAY_SIZE(two_byte))];
        b[p++] = op;
        /*
         * Not SLDT/STR/SGDT/SIDT/SMSW: the kernel emulates them under UMIP and
         * the single-step trap then lands after the bytes that follow.
         */
        if ((op == 0x00 && reg <= 1) || (op == 0x01 && (reg <= 1 || reg == 4))) {
            reg = 2;
        }
        break;
    case 3:
        b[p++] = 0x0f;
        if (g_rand_boolean(rng)) {
            b[p++] = 0x38;
            b[p++] = pick_opcode(rng, X86_MAP_0F38);
        } else {
            b[p++] = 0x3a;
            b[p++] = pick_opcode(rng, X86_MAP_0F3A);
        }
        break;
    default:
        op = one_byte[g_rand_int_range(rng, 0, ARRAY_SIZE(one_byte))];
        b[p++] = op;
        if (op == 0xff && reg >= 2 && reg <= 5) {
            reg = 6;        /* no indirect branches */
        }
        break;
    }
    /* Mostly disp8 forms (they stay in the scratch area). */
    unsigned r = g_rand_int_range(rng, 0, 10);
    unsigned mod = r < 6 ? 1 : r < 9 ? 0 : 2;
    b[p++] = (mod << 6) | (reg << 3) | g_rand_int_range(rng, 0, 8);
    while (p < X86_MAX_INSN_LEN) {
        b[p++] = g_rand_int_range(rng, 0, 256);
    }
}

/*
 * Encodings the host executes but bt86 does not implement, each with the
 * extension it belongs to (their CPUID bits are clear in bt86's CPU model).
 */
static const char *host_only_extension(const uint8_t *b, const X86Insn *in)
{
    unsigned p = 0;
    unsigned last_rep = 0;
    bool has66 = false;

    while (p < X86_MAX_INSN_LEN - 4 && (b[p] == 0x66 || b[p] == 0x67 || b[p] == 0xf0 ||
                                        b[p] == 0xf2 || b[p] == 0xf3 || b[p] == 0x2e ||
                                        b[p] == 0x3e || (b[p] & 0xf0) == 0x40)) {
        if (b[p] == 0xf2 || b[p] == 0xf3) {
            last_rep = b[p];
        }
        has66 |= b[p] == 0x66;
        p++;
    }
    /* AMD XOP: 8F with ModRM.reg != 0 is a three-byte prefix (AMD APM Vol 6). */
    if (b[p] == 0x8f && ((b[p + 1] >> 3) & 7) != 0) {
        return "XOP";
    }
    if (b[p] != 0x0f) {
        return NULL;
    }
    uint8_t m = b[p + 1], op = b[p + 2];
    unsigned modrm = m == 0x38 || m == 0x3a ? b[p + 3] : op;
    if ((m == 0x78 || m == 0x79) && (last_rep == 0xf2 || (!last_rep && has66))) {
        return "SSE4a EXTRQ/INSERTQ";
    }
    if (m == 0x2b && last_rep) {
        return "SSE4a MOVNTSD/MOVNTSS";
    }
    if (m == 0x38 && (op == 0xf8 || op == 0xf9)) {
        return "MOVDIRI/MOVDIR64B/ENQCMD";
    }
    if (m == 0xc7 && (modrm & 0xc0) != 0xc0 && ((modrm >> 3) & 7) >= 3 &&
        ((modrm >> 3) & 7) <= 5) {
        return "XSAVEC/XSAVES/XRSTORS";
    }
    if ((m == 0x38 && op == 0xcf) || (m == 0x3a && (op == 0xce || op == 0xcf))) {
        return "GFNI";
    }
    /* Intel-only extensions (not on the AMD host this was developed on). */
    if (m == 0xae && last_rep == 0xf3 && (modrm & 0xc0) != 0xc0 &&
        (((modrm >> 3) & 7) == 4 || ((modrm >> 3) & 7) == 6)) {
        return "PTWRITE/CLRSSBSY";
    }
    if (m == 0x38 && op >= 0xd8 && op <= 0xdf && last_rep == 0xf3) {
        return "Key Locker";
    }
    if (m == 0x38 && (op == 0xf5 || op == 0xf6) && !last_rep) {
        return "CET WRSS/WRUSS";
    }
    /* 0F 0D register forms: #UD on AMD, a reserved NOP on some Intel CPUs. */
    if (m == 0x0d && (modrm & 0xc0) == 0xc0) {
        return "0F 0D register form (vendor specific)";
    }
    (void)in;
    return NULL;
}

/*
 * SGDT/SIDT/SLDT/STR/SMSW: with CR4.UMIP the host kernel emulates them for user
 * programs, so neither #UD nor the trap RIP reflects the hardware decoder.
 */
static bool umip_emulated(const uint8_t *b)
{
    unsigned p = 0;

    while (p < X86_MAX_INSN_LEN - 2 && b[p] != 0x0f) {
        p++;
    }
    if (b[p] != 0x0f || p + 2 >= X86_MAX_INSN_LEN) {
        return false;
    }
    unsigned reg = (b[p + 2] >> 3) & 7;
    return (b[p + 1] == 0x00 && reg <= 1) ||
           (b[p + 1] == 0x01 && (reg <= 1 || reg == 4));
}

typedef struct NativeCase {
    void (*generate)(GRand *, uint8_t *);
    int mode;
    bool mem;
    const char *name;
} NativeCase;

static void test_native(gconstpointer data)
{
    const NativeCase *nc = data;
    void (*generate)(GRand *, uint8_t *) = nc->generate;
    uint8_t (*tests)[X86_MAX_INSN_LEN] = g_malloc0(N_TESTS * X86_MAX_INSN_LEN);
    NativeResult *res;
    GRand *rng = g_rand_new_with_seed(0x5eed);
    unsigned agree_len = 0, agree_ud = 0, faults = 0, excluded = 0, failed = 0;
    int status;
    pid_t pid;

    for (unsigned i = 0; i < N_TESTS; i++) {
        generate(rng, tests[i]);
    }
    res = mmap(NULL, sizeof(NativeResult) * N_TESTS, PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    g_assert(res != MAP_FAILED);
    memset(res, 0xff, sizeof(NativeResult) * N_TESTS);
    fflush(NULL);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        run_child((const uint8_t (*)[X86_MAX_INSN_LEN])tests, res, nc->mode, nc->mem);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        g_test_skip("the scratch area for memory operands could not be mapped");
        goto out;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
        g_test_skip("the host does not allow executing a generated code page");
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        for (unsigned i = 0; i < N_TESTS; i++) {
            if (res[i].kind > NAT_NONE) {
                g_test_message("native child failed at encoding %u: %02x %02x %02x %02x "
                               "%02x %02x %02x %02x", i, tests[i][0], tests[i][1],
                               tests[i][2], tests[i][3], tests[i][4], tests[i][5],
                               tests[i][6], tests[i][7]);
                break;
            }
        }
        g_test_message("native child failed (status %#x)", status);
        g_assert_not_reached();
    }

    for (unsigned i = 0; i < N_TESTS; i++) {
        X86Insn in;
        int ours = x86_decode(nc->mode, tests[i], X86_MAX_INSN_LEN, &in);
        const char *bad = NULL;

        if (umip_emulated(tests[i])) {
            excluded++;
            continue;
        }

        g_assert_cmpuint(res[i].kind, <, NAT_NONE);
        if (res[i].kind == NAT_FAULT) {
            /* Decoded fine natively but faulted: only validity is known. */
            faults++;
            if (ours <= 0 && !host_only_extension(tests[i], &in)) {
                bad = "host valid (faulted), ours invalid";
            }
        } else if (res[i].kind == NAT_UD) {
            if (ours > 0 && (in.mnem == X86_M_UD0 || in.mnem == X86_M_UD1)) {
                agree_ud++;     /* decoded, and #UD by definition when executed */
            } else if (ours > 0 && in.map == X86_MAP_0F &&
                       (in.opcode == 0x1a || in.opcode == 0x1b)) {
                excluded++;     /* MPX rules on hosts with MPX (hint NOP otherwise) */
            } else if (ours > 0 && !host_has(in.desc->feature)) {
                excluded++;
            } else if (ours > 0) {
                bad = "host #UD, ours valid";
            } else {
                agree_ud++;
            }
        } else if (ours <= 0) {
            if (host_only_extension(tests[i], &in)) {
                excluded++;
            } else {
                bad = "host valid, ours invalid";
            }
        } else if (ours != res[i].len) {
            bad = "length differs";
        } else {
            agree_len++;
        }
        if (bad) {
            GString *s = g_string_new(NULL);
            for (unsigned k = 0; k < 8; k++) {
                g_string_append_printf(s, "%02x ", tests[i][k]);
            }
            if (failed++ < 30) {
                g_test_message("%s: %s ours %d (%s) host %s len %u", bad, s->str, ours,
                               ours > 0 ? x86_mnemonic_name(in.mnem) : "-",
                               res[i].kind == NAT_UD ? "#UD" :
                               res[i].kind == NAT_FAULT ? "fault" : "ok", res[i].len);
            }
            g_string_free(s, true);
        }
    }
    printf("# native %s: %u encodings: %u same length, %u both #UD, %u valid (faulted), "
           "%u excluded by CPUID, %u disagreements\n",
           nc->name, N_TESTS, agree_len, agree_ud,
           faults, excluded, failed);
    g_assert_cmpuint(agree_len, >, N_TESTS / 10);
    g_assert_cmpuint(agree_ud, >, N_TESTS / 10);
    g_assert_cmpuint(failed, ==, 0);
out:
    munmap(res, sizeof(NativeResult) * N_TESTS);
    g_free(tests);
    g_rand_free(rng);
}

int main(int argc, char **argv)
{
    const char *n = g_getenv("DECODE_NATIVE_N");

    if (n && strtoul(n, NULL, 0) >= 1000) {
        N_TESTS = strtoul(n, NULL, 0);
    }
    g_test_init(&argc, &argv, NULL);
    static const NativeCase cases[] = {
        { gen, 64, false, "simd64" }, { gen_integer, 64, false, "integer64" },
        { gen, 32, false, "simd32" }, { gen_integer, 32, false, "integer32" },
        { gen_memory, 64, true, "memory64" },
    };
    g_test_add_data_func("/decode/native/simd-maps-64", &cases[0], test_native);
    g_test_add_data_func("/decode/native/integer-reg-64", &cases[1], test_native);
    g_test_add_data_func("/decode/native/simd-maps-32", &cases[2], test_native);
    g_test_add_data_func("/decode/native/integer-reg-32", &cases[3], test_native);
    g_test_add_data_func("/decode/native/memory-64", &cases[4], test_native);
    return g_test_run();
}

#else

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    printf("1..0 # SKIP native decode oracle needs an x86-64 Linux host\n");
    return 0;
}

#endif
