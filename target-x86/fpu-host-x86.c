/*
 * fpu-host-x86.c: the one host-specific piece of the x87 emulation. On an
 * x86-64 host the exact result of a guest x87 instruction (80-bit extended
 * precision, precision and rounding control, transcendentals, C0-C3, stack
 * faults, masked and unmasked responses, SDM Vol 1 ch. 8) is what the host
 * x87 gives when it runs that very instruction on the guest's register stack.
 *
 * fpu_host_exec() swaps the guest's x87 state into the host FPU with FRSTOR,
 * runs one or two guest x87 instructions from a fixed table of stubs, reads
 * the state back with FNSAVE (which also reinitialises the FPU, so nothing is
 * left pending) and restores the host's own x87 state. The stubs are the two
 * bytes of a register form (D8-DF, ModRM C0-FF) or of a memory form whose
 * ModRM names (%rdi), which points at a host buffer holding the operand; the
 * guest's memory is never touched here. Other hosts need a softfloat backend
 * behind the same interface (docs/x87.md).
 */
#include "util/osdep.h"
#include "target-x86/fpu-helper.h"

#if !defined(__x86_64__)
#error "the x87 backend runs guest x87 code on the host FPU: x86-64 hosts only"
#endif

/*
 * Stub k < 512: register form, bytes D8+(k>>6), C0+(k&63).
 * Stub 512+k: memory form, bytes D8+(k>>3), ((k&7)<<3)|7, i.e. [rdi].
 * Stub 576: a bare RET (the second slot when only one instruction runs).
 * Each stub is 8 bytes: ENDBR64 (a NOP unless the host enforces indirect
 * branch tracking), the instruction, RET, INT3 padding.
 */
__asm__(".pushsection .text.bt86_x87_stubs, \"ax\", @progbits\n"
        ".balign 16\n"
        ".globl bt86_x87_stubs\n"
        ".hidden bt86_x87_stubs\n"
        "bt86_x87_stubs:\n"
        ".set bt86_x87_i, 0\n"
        ".rept 512\n"
        ".byte 0xf3, 0x0f, 0x1e, 0xfa\n"
        ".byte 0xd8 + (bt86_x87_i >> 6), 0xc0 + (bt86_x87_i & 63), 0xc3, 0xcc\n"
        ".set bt86_x87_i, bt86_x87_i + 1\n"
        ".endr\n"
        ".set bt86_x87_i, 0\n"
        ".rept 64\n"
        ".byte 0xf3, 0x0f, 0x1e, 0xfa\n"
        ".byte 0xd8 + (bt86_x87_i >> 3), ((bt86_x87_i & 7) << 3) | 7, 0xc3, 0xcc\n"
        ".set bt86_x87_i, bt86_x87_i + 1\n"
        ".endr\n"
        ".byte 0xf3, 0x0f, 0x1e, 0xfa, 0xc3, 0xcc, 0xcc, 0xcc\n"
        ".popsection\n");

extern const uint8_t bt86_x87_stubs[] __attribute__((visibility("hidden")));

/* The 32-bit protected-mode FNSAVE layout (SDM Vol 1 §8.1.10, Figure 8-9):
 * FCW, FSW, FTW in dwords 0-2, pointers in 3-6, ST(0)..ST(7) from byte 28. */
typedef struct FnsaveImage {
    uint8_t b[108];
} FnsaveImage;

static void image_put(FnsaveImage *im, const FpuHostState *st)
{
    memset(im->b, 0, sizeof(im->b));
    memcpy(im->b + 0, &st->fcw, 2);
    memcpy(im->b + 4, &st->fsw, 2);
    memcpy(im->b + 8, &st->ftw, 2);
    for (int i = 0; i < 8; i++) {
        memcpy(im->b + 28 + 10 * i, &st->st[i].mant, 8);
        memcpy(im->b + 36 + 10 * i, &st->st[i].sexp, 2);
    }
}

static void image_get(const FnsaveImage *im, FpuHostState *st)
{
    memcpy(&st->fcw, im->b + 0, 2);
    memcpy(&st->fsw, im->b + 4, 2);
    memcpy(&st->ftw, im->b + 8, 2);
    for (int i = 0; i < 8; i++) {
        memcpy(&st->st[i].mant, im->b + 28 + 10 * i, 8);
        memcpy(&st->st[i].sexp, im->b + 36 + 10 * i, 2);
    }
}

bool fpu_host_has_fisttp(void)
{
    return __builtin_cpu_supports("sse3");
}

void fpu_host_exec(FpuHostState *st, unsigned stub1, unsigned stub2, uint8_t *mem,
                   uint64_t *eflags)
{
    FnsaveImage guest, host;
    /* Only the arithmetic flags go in: DF, TF, AC and IF stay as the ABI
     * wants them (POPF from user mode cannot change IF anyway). */
    uint64_t fl = (*eflags & 0x8d5) | 2;
    const void *s1, *s2;

    if (stub1 > FPU_STUB_RET) {
        stub1 = FPU_STUB_RET;
    }
    if (stub2 > FPU_STUB_RET) {
        stub2 = FPU_STUB_RET;
    }
    s1 = bt86_x87_stubs + 8 * stub1;
    s2 = bt86_x87_stubs + 8 * stub2;
    image_put(&guest, st);
    /*
     * The caller guarantees no unmasked exception flag is set in st->fsw, so
     * the stubs (waiting instructions) cannot trap on entry; FNSAVE never
     * waits and leaves the FPU initialised, so nothing is left pending for
     * host code. The CALLs step over the red zone.
     *
     * The host's x87 stack is empty here (SysV ABI: it is at every call) and
     * usually its status word is clear: then only the control word needs
     * keeping, and the FPU is left as FNSAVE initialised it with that control
     * word back: half the cost of saving the whole host state, which is done
     * when the host has exception flags set or TOP moved.
     */
    uint16_t hcw, hsw;
    __asm__ volatile("fnstcw %0\n\tfnstsw %1" : "=m"(hcw), "=m"(hsw));
    if (!(hsw & 0x383f)) {
        __asm__ volatile("frstor %[guest]\n\t"
                         "lea -128(%%rsp), %%rsp\n\t"
                         "push %[fl]\n\t"
                         "popfq\n\t"
                         "call *%[s1]\n\t"
                         "call *%[s2]\n\t"
                         "pushfq\n\t"
                         "pop %[fl]\n\t"
                         "lea 128(%%rsp), %%rsp\n\t"
                         "fnsave %[guest]\n\t"
                         "fldcw %[hcw]\n\t"
                         : [fl] "+r"(fl), [guest] "+m"(guest)
                         : [s1] "r"(s1), [s2] "r"(s2), "D"(mem), [hcw] "m"(hcw)
                         : "cc", "memory");
    } else {
        __asm__ volatile("fnsave %[host]\n\t"
                         "frstor %[guest]\n\t"
                         "lea -128(%%rsp), %%rsp\n\t"
                         "push %[fl]\n\t"
                         "popfq\n\t"
                         "call *%[s1]\n\t"
                         "call *%[s2]\n\t"
                         "pushfq\n\t"
                         "pop %[fl]\n\t"
                         "lea 128(%%rsp), %%rsp\n\t"
                         "fnsave %[guest]\n\t"
                         "frstor %[host]\n\t"
                         : [fl] "+r"(fl), [guest] "+m"(guest), [host] "=m"(host)
                         : [s1] "r"(s1), [s2] "r"(s2), "D"(mem)
                         : "cc", "memory");
    }
    image_get(&guest, st);
    *eflags = fl;
}
