/*
 * cpuid.c: the CPU that -accel tcg presents: CPUID leaves (SDM Vol 2A CPUID,
 * Vol 3 §9.11 for topology) describing a Westmere-class Intel core with
 * exactly the features the translator implements. One table of feature
 * bits, so "what is advertised" and "what is implemented" are checked in
 * one place (docs/cpu-model.md lists them with the file that implements
 * each).
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/fpu-helper.h"

/* Family 6, model 0x2C (Westmere-EP), stepping 2. */
#define CPUID_SIGNATURE 0x000206c2u
#define CPUID_MAX_BASIC 0x16u
#define CPUID_MAX_EXT   0x80000008u

/* CPUID.1:EDX */
#define F1D_FPU   (1u << 0)
#define F1D_DE    (1u << 2)
#define F1D_PSE   (1u << 3)
#define F1D_TSC   (1u << 4)
#define F1D_MSR   (1u << 5)
#define F1D_PAE   (1u << 6)
#define F1D_CX8   (1u << 8)
#define F1D_APIC  (1u << 9)
#define F1D_SEP   (1u << 11)
#define F1D_MTRR  (1u << 12)
#define F1D_PGE   (1u << 13)
#define F1D_CMOV  (1u << 15)
#define F1D_PAT   (1u << 16)
#define F1D_PSE36 (1u << 17)
#define F1D_CLFSH (1u << 19)
#define F1D_MMX   (1u << 23)
#define F1D_FXSR  (1u << 24)
#define F1D_SSE   (1u << 25)
#define F1D_SSE2  (1u << 26)
#define F1D_HTT   (1u << 28)
/* CPUID.1:ECX */
#define F1C_SSE3     (1u << 0)
#define F1C_SSSE3    (1u << 9)
#define F1C_CX16     (1u << 13)
#define F1C_PCID     (1u << 17)
#define F1C_SSE41    (1u << 19)
#define F1C_SSE42    (1u << 20)
#define F1C_X2APIC   (1u << 21)
#define F1C_MOVBE    (1u << 22)
#define F1C_POPCNT   (1u << 23)
#define F1C_TSCDL    (1u << 24)
#define F1C_XSAVE    (1u << 26)
#define F1C_OSXSAVE  (1u << 27)
#define F1C_HYPERV   (1u << 31)

/*
 * What the translator implements (the file doing it in brackets):
 * x87 [fpu-helper.c], MMX and integer SSE..SSE4.2, POPCNT, CRC32
 * [simd-helper.c], SSE float [sse-helper.c], CMPXCHG8B/16B, MOVBE, CMOV,
 * CLFLUSH [translate.c], SYSENTER/SYSCALL, RDTSCP, FSGSBASE, RDPID
 * [seg-helper.c], 2-level with PSE/PSE-36, PAE and 4-level paging with
 * 1 GiB pages and NX [mmu.c], MTRR/PAT storage and the TSC [helper.c],
 * XSAVE of x87 and SSE state [fpu-helper.c].
 */
#define BASE_1D (F1D_FPU | F1D_DE | F1D_PSE | F1D_TSC | F1D_MSR | F1D_PAE |       \
                 F1D_CX8 | F1D_SEP | F1D_MTRR | F1D_PGE | F1D_CMOV | F1D_PAT |   \
                 F1D_PSE36 | F1D_CLFSH | F1D_MMX | F1D_FXSR | F1D_SSE | F1D_SSE2)
#define BASE_1C (F1C_SSE3 | F1C_SSSE3 | F1C_CX16 | F1C_SSE41 | F1C_SSE42 |          \
                 F1C_MOVBE | F1C_POPCNT | F1C_XSAVE | F1C_HYPERV)

static const char brand[48] = "bt86 virtual CPU (Westmere class) @ 2.00GHz";

/* Deterministic cache parameters (leaf 4): type, level, ways, sets. */
static const struct {
    uint8_t type, level;
    uint16_t ways, sets;
    bool shared;            /* by every core of the package */
} caches[] = {
    { 1, 1, 8, 64, false },     /* L1d 32 KiB */
    { 2, 1, 8, 64, false },     /* L1i 32 KiB */
    { 3, 2, 8, 512, false },    /* L2 256 KiB */
    { 3, 3, 16, 8192, true },   /* L3 8 MiB */
};

static void put_str(uint32_t *r, const char *s)
{
    for (int i = 0; i < 4; i++) {
        r[i] = (uint32_t)(uint8_t)s[4 * i] | (uint32_t)(uint8_t)s[4 * i + 1] << 8 |
               (uint32_t)(uint8_t)s[4 * i + 2] << 16 |
               (uint32_t)(uint8_t)s[4 * i + 3] << 24;
    }
}

void x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    CPUState *cpu = env_cpu(env);
    uint32_t ncpus = cpu->machine ? (uint32_t)cpu->machine->ncpus : 1;
    uint32_t id = (uint32_t)cpu->index;
    bool apic = x86_cpu_apic_present(env);

    r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf > CPUID_MAX_BASIC && leaf < 0x40000000u) {
        leaf = CPUID_MAX_BASIC;     /* out of range: the highest basic leaf */
    }
    switch (leaf) {
    case 0:
        r[0] = CPUID_MAX_BASIC;
        r[1] = 0x756e6547;          /* "GenuineIntel" in EBX EDX ECX */
        r[3] = 0x49656e69;
        r[2] = 0x6c65746e;
        break;
    case 1:
        r[0] = CPUID_SIGNATURE;
        /* APIC ID, logical processors per package, CLFLUSH line (8 x 8). */
        r[1] = id << 24 | (ncpus & 0xff) << 16 | 8 << 8;
        r[2] = BASE_1C | F1C_PCID;
        if (env->cr[4] & CR4_OSXSAVE) {
            r[2] |= F1C_OSXSAVE;
        }
        r[3] = BASE_1D | (ncpus > 1 ? F1D_HTT : 0);
        if (apic) {
            /* The APIC bit follows IA32_APIC_BASE[11] (SDM Vol 3 §11.4.3). */
            r[3] |= (env->apic_base & MSR_APICBASE_ENABLE) ? F1D_APIC : 0;
            r[2] |= x86_cpu_apic_features(env);
        }
        break;
    case 2:
        r[0] = 0x0000ff01;          /* descriptor FFh: see leaf 4 */
        break;
    case 4:
        if (sub < G_N_ELEMENTS(caches)) {
            uint32_t share = caches[sub].shared ? ncpus - 1 : 0;
            r[0] = caches[sub].type | caches[sub].level << 5 | 1 << 8 |
                   (share & 0xfff) << 14 | ((ncpus - 1) & 0x3f) << 26;
            r[1] = (uint32_t)(caches[sub].ways - 1) << 22 | 63;
            r[2] = caches[sub].sets - 1u;
        }
        break;
    case 6:
        r[0] = apic ? 1u << 2 : 0;  /* ARAT: the APIC timer keeps running */
        break;
    case 7:
        if (sub == 0) {
            /* FSGSBASE, SMEP, ERMS (REP MOVSB is fine), INVPCID, SMAP */
            r[1] = 1u << 0 | 1u << 7 | 1u << 9 | 1u << 10 | 1u << 20;
            r[2] = 1u << 22;            /* RDPID */
            r[3] = 1u << 29;            /* IA32_ARCH_CAPABILITIES */
        }
        break;
    case 0xd:
        /* XSAVE (SDM Vol 1 §13.2): x87 and SSE in the legacy region. */
        if (sub == 0) {
            r[0] = X86_XCR0_SUPPORTED;
            r[1] = X86_XSAVE_SIZE;
            r[2] = X86_XSAVE_SIZE;
        } else if (sub == 1) {
            r[0] = 1;                   /* XSAVEOPT */
        }
        break;
    case 0x15:
        /* TSC = 25 MHz crystal x 80 / 1 = 2 GHz (helper.c X86_TSC_PER_NS). */
        r[0] = 1;
        r[1] = 80;
        r[2] = 25000000;
        break;
    case 0x16:
        r[0] = 2000;                    /* base MHz */
        r[1] = 2000;                    /* max MHz */
        r[2] = 100;                     /* bus MHz */
        break;
    case 0x40000000:
        /* Hypervisor leaf: signature "TCGTCGTCGTCG" in EBX ECX EDX. */
        r[0] = 0x40000000;
        r[1] = 0x54474354u;
        r[2] = 0x43544743u;
        r[3] = 0x47435447u;
        break;
    case 0x80000000:
        r[0] = CPUID_MAX_EXT;
        break;
    case 0x80000001:
        r[2] = 1u << 0 | 1u << 5;       /* LAHF/SAHF in 64-bit mode, LZCNT */
        r[3] = 1u << 11 | 1u << 20 | 1u << 26 | 1u << 27 | 1u << 29;
                                        /* SYSCALL NX 1GB-pages RDTSCP LM */
        break;
    case 0x80000002:
    case 0x80000003:
    case 0x80000004:
        put_str(r, brand + 16 * (leaf - 0x80000002));
        break;
    case 0x80000006:
        r[2] = 256 << 16 | 6 << 12 | 64;    /* L2: 256 KiB, 8-way, 64-byte lines */
        break;
    case 0x80000007:
        r[3] = 1u << 8;                 /* invariant TSC */
        break;
    case 0x80000008:
        r[0] = 48 << 8 | 40;            /* 48-bit linear, 40-bit physical */
        break;
    default:
        break;
    }
}
