/*
 * cpubench.c: the 64-bit half of cpubench, a CPU-bound guest benchmark for
 * comparing binary translators (bt86 -accel tcg against QEMU TCG, bench/README.md).
 *
 * Booted as a Multiboot v1 kernel (Multiboot spec 0.6.96 §3.3: the info structure
 * gives the memory size, flags bit 0, and the command line, flags bit 2), it reads
 * "work=NAME scale=N div=N tsc=0|1" from the command line, runs integer workloads and
 * prints one line per workload on COM1:
 *
 *     bench NAME iterations=N checksum=0x... [cycles=N]
 *
 * Checksums depend only on the workload, scale and div (never on the TSC or on
 * timing), so every emulator and accelerator must print the same ones. Each
 * workload also checks its own result (a known CRC, a sorted array, a single
 * permutation cycle, equal copies) and reports "bench ERROR ..." and exit code 1
 * (status 3) when it is wrong, so a broken translator cannot pass by being fast.
 * Everything is integer code: the build uses -mgeneral-regs-only and nothing here
 * turns on SSE (CR4.OSFXSR stays clear).
 */
#include "guest.h"

typedef unsigned long usize;

#define MIB              (1024ull * 1024ull)
#define HEAP_BASE        (4 * MIB)      /* above the 2 MiB image (link64.ld) */
#define MAP_END          (1024 * MIB)   /* entry32.S maps the first 1 GiB */
#define CMDLINE_MAX      256
#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)

typedef struct Bench {
    u64 heap_next;      /* bump allocator; reset before each workload */
    u64 heap_end;       /* end of usable RAM (and of the identity map) */
    u64 scale;          /* scale=N: multiplies every repetition count */
    u64 div;            /* div=N: divides them (tiny runs under slow accelerators) */
    int use_tsc;
    int failed;
} Bench;

typedef struct Workload {
    const char *name;
    /* Runs the workload at the given scale, returns the checksum and sets
     * *iterations; on a self-check failure calls bench_fail(). */
    u64 (*run)(Bench *b, u64 *iterations);
} Workload;

/* gcc may emit calls to these even in freestanding code (struct copies,
 * zeroing); provide plain versions so the image always links. */
void *memcpy(void *dst, const void *src, usize n);
void *memset(void *dst, int c, usize n);
int bench_main(u32 magic, u32 mbi);

void *memcpy(void *dst, const void *src, usize n)
{
    u8 *d = dst;
    const u8 *s = src;
    while (n--) {
        *d++ = *s++;
    }
    return dst;
}

void *memset(void *dst, int c, usize n)
{
    u8 *d = dst;
    while (n--) {
        *d++ = (u8)c;
    }
    return dst;
}

/* ---- output ---------------------------------------------------------------- */

static void put_dec(u64 v)
{
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i) {
        serial_putc(buf[--i]);
    }
}

static void put_hex64(u64 v)
{
    static const char digits[] = "0123456789abcdef";
    serial_puts("0x");
    for (int shift = 60; shift >= 0; shift -= 4) {
        serial_putc(digits[(v >> shift) & 15]);
    }
}

static void bench_fail(Bench *b, const char *work, const char *what)
{
    serial_puts("bench ERROR ");
    serial_puts(work);
    serial_puts(": ");
    serial_puts(what);
    serial_puts("\n");
    b->failed = 1;
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((u64)hi << 32) | lo;
}

/* ---- helpers --------------------------------------------------------------- */

/* splitmix64: a small, well-mixed deterministic generator (no host entropy). */
static inline u64 rng_next(u64 *state)
{
    u64 z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform-enough value in [0, n) for n < 2^32, without a divide. */
static inline u32 rng_below(u64 *state, u32 n)
{
    return (u32)(((rng_next(state) & 0xffffffffull) * n) >> 32);
}

/* Fold a value into a running checksum (order-sensitive). */
static inline u64 mix(u64 h, u64 v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h;
}

/* Bump allocation from the heap; NULL (and a message) if RAM is too small. */
static void *heap_alloc(Bench *b, u64 size, const char *work)
{
    u64 start = (b->heap_next + 4095) & ~4095ull;
    if (start + size > b->heap_end || start + size < start) {
        bench_fail(b, work, "not enough guest RAM (boot with -m 64 or more)");
        return 0;
    }
    b->heap_next = start + size;
    return (void *)(usize)start;
}

/* Repetitions of a workload: per_scale x scale / div, at least 1. */
static u64 reps(const Bench *b, u64 per_scale)
{
    u64 n = per_scale * b->scale / b->div;
    return n ? n : 1;
}

/* ---- crc32: CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) --------------- */

#define CRC_BUF_SIZE   (1 * MIB)
#define CRC_BIT_SIZE   (64 * 1024)     /* bitwise variant: a 64 KiB slice */
#define CRC_PASSES     32              /* per unit of scale */

static u32 crc32_table_update(const u32 *table, u32 crc, const u8 *p, u64 len)
{
    for (u64 i = 0; i < len; i++) {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return crc;
}

static u32 crc32_bitwise_update(u32 crc, const u8 *p, u64 len)
{
    for (u64 i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            /* -(crc & 1) is all ones when the low bit is set: branch-free. */
            crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    }
    return crc;
}

static u64 work_crc32(Bench *b, u64 *iterations)
{
    static const char check[] = "123456789";
    u32 *table = heap_alloc(b, 256 * sizeof(u32), "crc32");
    u8 *buf = heap_alloc(b, CRC_BUF_SIZE, "crc32");
    if (!table || !buf) {
        return 0;
    }
    for (u32 n = 0; n < 256; n++) {
        u32 c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        table[n] = c;
    }
    /* The standard check value of CRC-32 over "123456789" is 0xCBF43926. */
    if (~crc32_table_update(table, ~0u, (const u8 *)check, 9) != 0xcbf43926u ||
        ~crc32_bitwise_update(~0u, (const u8 *)check, 9) != 0xcbf43926u) {
        bench_fail(b, "crc32", "CRC-32 of \"123456789\" is not 0xcbf43926");
        return 0;
    }
    u64 seed = 0x637263333231ull;
    for (u64 i = 0; i < CRC_BUF_SIZE; i += 8) {
        *(u64 *)(buf + i) = rng_next(&seed);
    }
    u64 passes = reps(b, CRC_PASSES);
    u64 sum = 0;
    u32 crc = ~0u;
    for (u64 pass = 0; pass < passes; pass++) {
        /* Change one byte a pass so no pass repeats the previous one. */
        buf[(pass * 4099) % CRC_BUF_SIZE] ^= (u8)(pass + 1);
        crc = crc32_table_update(table, crc, buf, CRC_BUF_SIZE);
        u32 bit = crc32_bitwise_update(crc, buf + (pass % 16) * CRC_BIT_SIZE,
                                       CRC_BIT_SIZE);
        sum = mix(sum, ((u64)~bit << 32) | ~crc);
    }
    /* Cross-check the two methods on one slice: they must agree. */
    if (crc32_table_update(table, 0x1234u, buf, CRC_BIT_SIZE) !=
        crc32_bitwise_update(0x1234u, buf, CRC_BIT_SIZE)) {
        bench_fail(b, "crc32", "table and bitwise CRC-32 disagree");
    }
    *iterations = passes;
    return sum;
}

/* ---- sort: heapsort of 256K pseudo-random 64-bit values ------------------- */

#define SORT_COUNT     (256 * 1024)
#define SORT_ROUNDS    3               /* sorts per unit of scale */

static void sift_down(u64 *a, u64 root, u64 n)
{
    u64 v = a[root];
    for (;;) {
        u64 child = 2 * root + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && a[child + 1] > a[child]) {
            child++;
        }
        if (a[child] <= v) {
            break;
        }
        a[root] = a[child];
        root = child;
    }
    a[root] = v;
}

static void heapsort_u64(u64 *a, u64 n)
{
    for (u64 i = n / 2; i-- > 0;) {
        sift_down(a, i, n);
    }
    for (u64 end = n; end-- > 1;) {
        u64 t = a[0];
        a[0] = a[end];
        a[end] = t;
        sift_down(a, 0, end);
    }
}

static u64 work_sort(Bench *b, u64 *iterations)
{
    u64 *a = heap_alloc(b, SORT_COUNT * sizeof(u64), "sort");
    if (!a) {
        return 0;
    }
    u64 seed = 0x736f7274ull;
    u64 rounds = reps(b, SORT_ROUNDS);
    u64 sum = 0;
    for (u64 round = 0; round < rounds; round++) {
        for (u64 i = 0; i < SORT_COUNT; i++) {
            /* Some duplicates (low bits masked in a quarter of the values). */
            u64 v = rng_next(&seed);
            a[i] = (i & 3) ? v : v & ~0xfffffull;
        }
        heapsort_u64(a, SORT_COUNT);
        u64 h = 0;
        for (u64 i = 0; i < SORT_COUNT; i++) {
            if (i && a[i - 1] > a[i]) {
                bench_fail(b, "sort", "array not sorted");
                return 0;
            }
            h = mix(h, a[i]);
        }
        sum = mix(sum, h);
    }
    *iterations = rounds;
    return sum;
}

/* ---- chase: pointer chasing through a random cycle in 16 MiB -------------- */

#define CHASE_ENTRIES  (4 * 1024 * 1024)   /* u32 indices: 16 MiB */
#define CHASE_STEPS    (1024 * 1024)       /* steps per unit of scale */

static u64 work_chase(Bench *b, u64 *iterations)
{
    u32 *next = heap_alloc(b, CHASE_ENTRIES * sizeof(u32), "chase");
    if (!next) {
        return 0;
    }
    for (u32 i = 0; i < CHASE_ENTRIES; i++) {
        next[i] = i;
    }
    /* Sattolo's algorithm: a uniformly random permutation with exactly one
     * cycle, so the walk visits every entry before it comes back. */
    u64 seed = 0x6368617365ull;
    for (u32 i = CHASE_ENTRIES - 1; i > 0; i--) {
        u32 j = rng_below(&seed, i);
        u32 t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    /* Walk in chunks that end at lap boundaries: the cycle has exactly
     * CHASE_ENTRIES entries, so every full lap ends back at entry 0 (checked
     * from scale 4 up, where the walk completes a lap). */
    u64 steps = reps(b, CHASE_STEPS);
    u64 done = 0, sum = 0;
    u32 p = 0;
    while (done < steps) {
        u64 in_lap = done % CHASE_ENTRIES;
        u64 chunk = CHASE_ENTRIES - in_lap;
        if (chunk > steps - done) {
            chunk = steps - done;
        }
        u64 acc = 0;
        for (u64 step = 0; step < chunk; step++) {
            p = next[p];
            acc += p ^ step;
        }
        done += chunk;
        if (done % CHASE_ENTRIES == 0 && p != 0) {
            bench_fail(b, "chase", "walk did not return to its start after a lap");
            return 0;
        }
        sum = mix(sum, acc);
    }
    sum = mix(sum, p);
    *iterations = steps;
    return sum;
}

/* ---- strcopy: byte, word and string copy loops ---------------------------- */

#define STR_SIZE       (256 * 1024)
#define STR_ROUNDS     96                  /* per unit of scale */

static u64 work_strcopy(Bench *b, u64 *iterations)
{
    u8 *src = heap_alloc(b, STR_SIZE + 128, "strcopy");
    u8 *dst = heap_alloc(b, STR_SIZE + 128, "strcopy");
    if (!src || !dst) {
        return 0;
    }
    /* Nonzero bytes cut into NUL-terminated strings of 1 to 512 bytes. */
    u64 seed = 0x737472ull;
    u64 until_nul = 1 + rng_below(&seed, 512);
    for (u64 i = 0; i < STR_SIZE + 64; i++) {
        if (--until_nul == 0) {
            src[i] = 0;
            until_nul = 1 + rng_below(&seed, 512);
        } else {
            src[i] = (u8)(1 + rng_below(&seed, 255));
        }
    }
    src[STR_SIZE + 63] = 0;

    u64 rounds = reps(b, STR_ROUNDS);
    u64 sum = 0;
    for (u64 r = 0; r < rounds; r++) {
        u64 so = r & 7, dof = (r * 3) & 7;
        u64 len = STR_SIZE - 16 - (r & 15);

        /* memcpy-style byte loop, at varying (mis)alignments. */
        for (u64 i = 0; i < len; i++) {
            dst[dof + i] = src[so + i];
        }
        u64 mismatches = 0;
        for (u64 i = 0; i < len; i++) {
            mismatches += dst[dof + i] != src[so + i];
        }

        /* Word loop: 8 bytes at a time, aligned, with a per-round twist so the
         * result differs from the byte copy. */
        u64 *dw = (u64 *)dst;
        const u64 *sw = (const u64 *)src;
        for (u64 i = 0; i < STR_SIZE / 8; i++) {
            dw[i] = sw[i] ^ (r * 0x0101010101010101ull);
        }
        u64 h = 0;
        for (u64 i = 0; i < STR_SIZE / 8; i += 64) {
            h = mix(h, dw[i]);
        }

        /* strcpy/strlen style: copy string by string up to each NUL. */
        const u8 *s = src + so;
        u8 *d = dst + dof;
        const u8 *end = src + STR_SIZE;
        u64 strings = 0, total = 0;
        while (s < end) {
            u64 n = 0;
            while ((d[n] = s[n]) != 0) {
                n++;
            }
            total += n;
            strings++;
            s += n + 1;
            d += n + 1;
        }
        if (mismatches) {
            bench_fail(b, "strcopy", "byte copy differs from its source");
            return 0;
        }
        sum = mix(sum, h);
        sum = mix(sum, (strings << 32) ^ total);
        sum = mix(sum, dst[dof + (r * 7919) % len]);
    }
    *iterations = rounds;
    return sum;
}

/* ---- interp: a small register-machine bytecode interpreter ---------------- */

enum {
    OP_LOADI,   /* r[a] = imm */
    OP_ANDI,    /* r[a] = r[b] & imm */
    OP_LOADM,   /* r[a] = mem[r[b] & 255] */
    OP_STOREM,  /* mem[r[b] & 255] = r[a] */
    OP_MULI,    /* r[a] = r[b] * imm */
    OP_ADD,     /* r[a] = r[b] + r[c] */
    OP_SHRX,    /* r[a] = r[b] ^ (r[b] >> imm) */
    OP_DEC,     /* r[a] = r[a] - 1 */
    OP_JNZ,     /* if r[a] != 0 goto imm */
    OP_HALT,
};

typedef struct Insn {
    u8 op, a, b, c;
    u32 imm;
} Insn;

#define INTERP_LOOPS   (1536 * 1024)   /* bytecode loop trips per unit of scale */

static u64 interp_run(const Insn *prog, u32 nprog, u64 *regs, u64 *mem, u64 *executed)
{
    u32 pc = 0;
    u64 count = 0;
    for (;;) {
        if (pc >= nprog) {
            return 1;       /* a bad jump target: treated as an error */
        }
        const Insn *in = &prog[pc++];
        count++;
        switch (in->op) {
        case OP_LOADI:
            regs[in->a & 7] = in->imm;
            break;
        case OP_ANDI:
            regs[in->a & 7] = regs[in->b & 7] & in->imm;
            break;
        case OP_LOADM:
            regs[in->a & 7] = mem[regs[in->b & 7] & 255];
            break;
        case OP_STOREM:
            mem[regs[in->b & 7] & 255] = regs[in->a & 7];
            break;
        case OP_MULI:
            regs[in->a & 7] = regs[in->b & 7] * in->imm;
            break;
        case OP_ADD:
            regs[in->a & 7] = regs[in->b & 7] + regs[in->c & 7];
            break;
        case OP_SHRX:
            regs[in->a & 7] = regs[in->b & 7] ^ (regs[in->b & 7] >> (in->imm & 63));
            break;
        case OP_DEC:
            regs[in->a & 7]--;
            break;
        case OP_JNZ:
            if (regs[in->a & 7]) {
                pc = in->imm;
            }
            break;
        case OP_HALT:
            *executed = count;
            return 0;
        default:
            return 1;
        }
    }
}

static u64 work_interp(Bench *b, u64 *iterations)
{
    /* r0 = trip count, r1 = accumulator; each trip mixes one memory word. */
    static const Insn prog[] = {
        { OP_LOADI, 1, 0, 0, 0x12345 },
        /* 1: loop */
        { OP_ANDI, 2, 0, 0, 255 },
        { OP_LOADM, 3, 2, 0, 0 },
        { OP_MULI, 1, 1, 0, 0x9e37 },
        { OP_ADD, 1, 1, 3, 0 },
        { OP_SHRX, 1, 1, 0, 13 },
        { OP_STOREM, 1, 2, 0, 0 },
        { OP_DEC, 0, 0, 0, 0 },
        { OP_JNZ, 0, 0, 0, 1 },
        { OP_HALT, 0, 0, 0, 0 },
    };
    u64 *mem = heap_alloc(b, 256 * sizeof(u64), "interp");
    if (!mem) {
        return 0;
    }
    u64 seed = 0x696e74ull;
    for (int i = 0; i < 256; i++) {
        mem[i] = rng_next(&seed);
    }
    u64 regs[8] = { 0 };
    u64 loops = reps(b, INTERP_LOOPS);
    regs[0] = loops;
    u64 executed = 0;
    if (interp_run(prog, sizeof(prog) / sizeof(prog[0]), regs, mem, &executed) ||
        executed != 2 + 8 * loops) {
        bench_fail(b, "interp", "bytecode program ran off its rails");
        return 0;
    }
    u64 sum = regs[1];
    for (int i = 0; i < 256; i++) {
        sum = mix(sum, mem[i]);
    }
    *iterations = executed;
    return sum;
}

/* ---- matmul: 32-bit integer matrix multiply ------------------------------- */

#define MAT_N          128
#define MAT_MULS       28              /* products per unit of scale */

static u64 work_matmul(Bench *b, u64 *iterations)
{
    u32 *ma = heap_alloc(b, MAT_N * MAT_N * sizeof(u32), "matmul");
    u32 *mb = heap_alloc(b, MAT_N * MAT_N * sizeof(u32), "matmul");
    u32 *mc = heap_alloc(b, MAT_N * MAT_N * sizeof(u32), "matmul");
    if (!ma || !mb || !mc) {
        return 0;
    }
    u64 seed = 0x6d6174ull;
    for (int i = 0; i < MAT_N * MAT_N; i++) {
        ma[i] = (u32)rng_next(&seed);
        mb[i] = (u32)rng_next(&seed);
    }
    u64 muls = reps(b, MAT_MULS);
    u64 sum = 0;
    for (u64 m = 0; m < muls; m++) {
        ma[m % (MAT_N * MAT_N)] += (u32)m;     /* no two products alike */
        for (int i = 0; i < MAT_N; i++) {
            for (int j = 0; j < MAT_N; j++) {
                mc[i * MAT_N + j] = 0;
            }
            /* i-k-j order: the inner loop walks both B and C by rows. */
            for (int k = 0; k < MAT_N; k++) {
                u32 aik = ma[i * MAT_N + k];
                for (int j = 0; j < MAT_N; j++) {
                    mc[i * MAT_N + j] += aik * mb[k * MAT_N + j];
                }
            }
        }
        u64 h = 0;
        for (int i = 0; i < MAT_N * MAT_N; i++) {
            h = mix(h, mc[i]);
        }
        sum = mix(sum, h);
    }
    /* Spot-check one element against a direct dot product. */
    u32 dot = 0;
    for (int k = 0; k < MAT_N; k++) {
        dot += ma[5 * MAT_N + k] * mb[k * MAT_N + 7];
    }
    if (muls && dot != mc[5 * MAT_N + 7]) {
        bench_fail(b, "matmul", "product element differs from its dot product");
        return 0;
    }
    *iterations = muls;
    return sum;
}

/* ---- driver ---------------------------------------------------------------- */

static const Workload workloads[] = {
    { "crc32", work_crc32 },
    { "sort", work_sort },
    { "chase", work_chase },
    { "strcopy", work_strcopy },
    { "interp", work_interp },
    { "matmul", work_matmul },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

static int str_eq(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* Parse a decimal number; 0 on anything else (callers treat 0 as invalid). */
static u64 parse_u64(const char *s)
{
    u64 v = 0;
    if (!*s) {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 100000000ull) {
            return 0;
        }
        v = v * 10 + (u64)(*s - '0');
    }
    return v;
}

static void run_one(Bench *b, const Workload *w)
{
    u64 iterations = 0;
    b->heap_next = HEAP_BASE;
    u64 t0 = b->use_tsc ? rdtsc() : 0;
    u64 sum = w->run(b, &iterations);
    u64 t1 = b->use_tsc ? rdtsc() : 0;
    if (b->failed) {
        return;
    }
    serial_puts("bench ");
    serial_puts(w->name);
    serial_puts(" iterations=");
    put_dec(iterations);
    serial_puts(" checksum=");
    put_hex64(sum);
    if (b->use_tsc) {
        serial_puts(" cycles=");
        put_dec(t1 - t0);
    }
    serial_puts("\n");
}

int bench_main(u32 magic, u32 mbi_addr)
{
    Bench b = { .heap_next = HEAP_BASE, .scale = 1, .div = 1, .use_tsc = 1 };
    char cmdline[CMDLINE_MAX];
    const char *work = "all";

    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        serial_puts("bench ERROR not booted by a Multiboot loader\n");
        return 1;
    }
    const volatile u32 *mbi = (const volatile u32 *)(usize)mbi_addr;
    u32 flags = mbi[0];
    if (!(flags & MBI_FLAG_MEM)) {
        serial_puts("bench ERROR the loader gave no memory size\n");
        return 1;
    }
    /* mem_upper: KiB of RAM from 1 MiB up to the first hole (§3.3). */
    b.heap_end = MIB + (u64)mbi[2] * 1024;
    if (b.heap_end > MAP_END) {
        b.heap_end = MAP_END;
    }

    /* Copy the command line first (bounded), then split it in place into
     * space-separated words; the first is the kernel name. */
    cmdline[0] = 0;
    if (flags & MBI_FLAG_CMDLINE) {
        const volatile char *src = (const volatile char *)(usize)mbi[4];
        int i = 0;
        if ((usize)src < b.heap_end) {
            while (i < CMDLINE_MAX - 1 && src[i]) {
                cmdline[i] = src[i];
                i++;
            }
        }
        cmdline[i] = 0;
    }
    for (char *p = cmdline; *p;) {
        while (*p == ' ') {
            p++;
        }
        char *word = p;
        while (*p && *p != ' ') {
            p++;
        }
        if (*p) {
            *p++ = 0;
        }
        if (word[0] == 'w' && word[1] == 'o' && word[2] == 'r' && word[3] == 'k' &&
            word[4] == '=') {
            work = word + 5;
        } else if (word[0] == 's' && word[1] == 'c' && word[2] == 'a' &&
                   word[3] == 'l' && word[4] == 'e' && word[5] == '=') {
            b.scale = parse_u64(word + 6);
            if (b.scale == 0 || b.scale > 100000) {
                serial_puts("bench ERROR scale must be 1..100000\n");
                return 1;
            }
        } else if (word[0] == 'd' && word[1] == 'i' && word[2] == 'v' &&
                   word[3] == '=') {
            b.div = parse_u64(word + 4);
            if (b.div == 0 || b.div > 100000000) {
                serial_puts("bench ERROR div must be 1..100000000\n");
                return 1;
            }
        } else if (str_eq(word, "tsc=0")) {
            b.use_tsc = 0;
        }
    }

    serial_puts("cpubench work=");
    serial_puts(work);
    serial_puts(" scale=");
    put_dec(b.scale);
    if (b.div != 1) {
        serial_puts(" div=");
        put_dec(b.div);
    }
    serial_puts("\n");

    if (str_eq(work, "none")) {
        /* The idle-boot baseline: boot, print, exit. */
        serial_puts("bench none iterations=0 checksum=0x0000000000000000\n");
    } else if (str_eq(work, "all")) {
        for (u64 i = 0; i < NWORKLOADS && !b.failed; i++) {
            run_one(&b, &workloads[i]);
        }
    } else {
        u64 i;
        for (i = 0; i < NWORKLOADS; i++) {
            if (str_eq(work, workloads[i].name)) {
                run_one(&b, &workloads[i]);
                break;
            }
        }
        if (i == NWORKLOADS) {
            serial_puts("bench ERROR unknown work= (none, all, crc32, sort, chase, "
                        "strcopy, interp, matmul)\n");
            return 1;
        }
    }
    if (b.failed) {
        return 1;
    }
    serial_puts("cpubench done\n");
    return 0;
}
