/*
 * test-x86-flags.c: the translator's x86 flag semantics (target-x86/helper.c:
 * lazy condition codes, shifts/rotates, multiply, divide) checked against the
 * host CPU, which is an x86-64 and therefore an exact oracle for the defined
 * flags of each instruction (SDM Vol 1 Appendix A; undefined flags are masked
 * per the instruction pages of Vol 2). The lazy state is set up exactly as
 * translate.c emits it.
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/helper.h"

#define FL_ALL (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)

enum { OP_ADD, OP_ADC, OP_SUB, OP_SBB, OP_AND, OP_OR, OP_XOR, OP_INC, OP_DEC, OP_NEG,
       OP_COUNT };
static const char *const op_names[] = {
    "add", "adc", "sub", "sbb", "and", "or", "xor", "inc", "dec", "neg",
};

/* Host execution: CF preset from cin, result and RFLAGS returned. */
#define HOST_ALU(T)                                                               \
static uint32_t host_alu_##T(int op, uint64_t a, uint64_t b, int cin, uint64_t *res) \
{                                                                                 \
    T x = (T)a, y = (T)b;                                                         \
    uint64_t fl, c = cin;                                                         \
    switch (op) {                                                                 \
    case OP_ADD: __asm__("bt $0,%[c]\n\tadd %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_ADC: __asm__("bt $0,%[c]\n\tadc %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_SUB: __asm__("bt $0,%[c]\n\tsub %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_SBB: __asm__("bt $0,%[c]\n\tsbb %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_AND: __asm__("bt $0,%[c]\n\tand %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_OR: __asm__("bt $0,%[c]\n\tor %[y],%[x]\n\tpushfq\n\tpopq %[f]"       \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_XOR: __asm__("bt $0,%[c]\n\txor %[y],%[x]\n\tpushfq\n\tpopq %[f]"     \
                         : [x] "+r"(x), [f] "=r"(fl) : [y] "r"(y), [c] "r"(c) : "cc"); break; \
    case OP_INC: __asm__("bt $0,%[c]\n\tinc %[x]\n\tpushfq\n\tpopq %[f]"          \
                         : [x] "+r"(x), [f] "=r"(fl) : [c] "r"(c) : "cc"); break;  \
    case OP_DEC: __asm__("bt $0,%[c]\n\tdec %[x]\n\tpushfq\n\tpopq %[f]"          \
                         : [x] "+r"(x), [f] "=r"(fl) : [c] "r"(c) : "cc"); break;  \
    default: __asm__("bt $0,%[c]\n\tneg %[x]\n\tpushfq\n\tpopq %[f]"              \
                         : [x] "+r"(x), [f] "=r"(fl) : [c] "r"(c) : "cc"); break;  \
    }                                                                             \
    *res = x;                                                                     \
    return fl & FL_ALL;                                                           \
}

HOST_ALU(uint8_t)
HOST_ALU(uint16_t)
HOST_ALU(uint32_t)
HOST_ALU(uint64_t)

#define HOST_SHIFT(T)                                                             \
static uint32_t host_shift_##T(int op, uint64_t a, uint8_t n, int cin, uint64_t *res) \
{                                                                                 \
    T x = (T)a;                                                                   \
    uint64_t fl, c = cin;                                                         \
    switch (op) {                                                                 \
    case 0: __asm__("bt $0,%[c]\n\trol %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    case 1: __asm__("bt $0,%[c]\n\tror %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    case 2: __asm__("bt $0,%[c]\n\trcl %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    case 3: __asm__("bt $0,%[c]\n\trcr %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    case 4: __asm__("bt $0,%[c]\n\tshl %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    case 5: __asm__("bt $0,%[c]\n\tshr %%cl,%[x]\n\tpushfq\n\tpopq %[f]"          \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    default: __asm__("bt $0,%[c]\n\tsar %%cl,%[x]\n\tpushfq\n\tpopq %[f]"         \
                    : [x] "+r"(x), [f] "=r"(fl) : "c"(n), [c] "r"(c) : "cc"); break; \
    }                                                                             \
    *res = x;                                                                     \
    return fl & FL_ALL;                                                           \
}

HOST_SHIFT(uint8_t)
HOST_SHIFT(uint16_t)
HOST_SHIFT(uint32_t)
HOST_SHIFT(uint64_t)

static uint64_t mask_of(int lg)
{
    return lg == 3 ? ~0ull : (1ull << (8 << lg)) - 1;
}

static uint32_t host_alu(int lg, int op, uint64_t a, uint64_t b, int cin, uint64_t *r)
{
    switch (lg) {
    case 0: return host_alu_uint8_t(op, a, b, cin, r);
    case 1: return host_alu_uint16_t(op, a, b, cin, r);
    case 2: return host_alu_uint32_t(op, a, b, cin, r);
    default: return host_alu_uint64_t(op, a, b, cin, r);
    }
}

static uint32_t host_shift(int lg, int op, uint64_t a, uint8_t n, int cin, uint64_t *r)
{
    switch (lg) {
    case 0: return host_shift_uint8_t(op, a, n, cin, r);
    case 1: return host_shift_uint16_t(op, a, n, cin, r);
    case 2: return host_shift_uint32_t(op, a, n, cin, r);
    default: return host_shift_uint64_t(op, a, n, cin, r);
    }
}

/* The lazy state translate.c leaves for op, then the flags helper.c derives. */
static uint32_t lazy_alu(int lg, int op, uint64_t a, uint64_t b, int cin, uint64_t *r)
{
    CPUX86State env = { 0 };
    uint64_t m = mask_of(lg), bm = b & m, res;
    int kind;

    a &= m;
    env.rflags = cin ? CC_C : 0;
    switch (op) {
    case OP_ADD: res = a + bm; kind = CC_K_ADD; break;
    case OP_ADC: res = a + bm + cin; kind = CC_K_ADC; break;
    case OP_SUB: res = a - bm; kind = CC_K_SUB; break;
    case OP_SBB: res = a - bm - cin; kind = CC_K_SBB; break;
    case OP_AND: res = a & bm; kind = CC_K_LOGIC; break;
    case OP_OR: res = a | bm; kind = CC_K_LOGIC; break;
    case OP_XOR: res = a ^ bm; kind = CC_K_LOGIC; break;
    case OP_INC: res = a + 1; bm = cin; kind = CC_K_INC; break;
    case OP_DEC: res = a - 1; bm = cin; kind = CC_K_DEC; break;
    default: res = -a; bm = a; kind = CC_K_SUB; break;
    }
    env.cc_dst = res;
    env.cc_src = bm;
    env.cc_src2 = cin;
    env.cc_op = CC_OP(kind, lg);
    *r = res & m;
    return x86_cc_compute(&env);
}

static const uint64_t edge[] = {
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
    0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0x0f, 0x10,
};

static uint64_t pick(GRand *r, int i)
{
    if (i < (int)G_N_ELEMENTS(edge)) {
        return edge[i];
    }
    return ((uint64_t)g_rand_int(r) << 32) | g_rand_int(r);
}

static void test_alu(void)
{
    GRand *r = g_rand_new_with_seed(1234);
    int n = 0;
    for (int lg = 0; lg < 4; lg++) {
        for (int op = 0; op < OP_COUNT; op++) {
            for (int i = 0; i < 60; i++) {
                for (int j = 0; j < 60; j++) {
                    uint64_t a = pick(r, i), b = pick(r, j), hr, lr;
                    int cin = (i + j) & 1;
                    uint32_t hf = host_alu(lg, op, a, b, cin, &hr);
                    uint32_t lf = lazy_alu(lg, op, a, b, cin, &lr);
                    uint32_t care = FL_ALL;
                    if (op == OP_AND || op == OP_OR || op == OP_XOR) {
                        care &= ~(uint32_t)CC_A;    /* AF undefined */
                    }
                    if ((hr & mask_of(lg)) != lr || (hf & care) != (lf & care)) {
                        g_test_message("%s size %d a=%#" PRIx64 " b=%#" PRIx64
                                       " cin=%d: host %#" PRIx64 "/%#x lazy %#" PRIx64
                                       "/%#x", op_names[op], 1 << lg, a, b, cin, hr, hf,
                                       lr, lf);
                        g_assert_not_reached();
                    }
                    n++;
                }
            }
        }
    }
    g_test_message("%d ALU cases", n);
    g_rand_free(r);
}

static void test_shift(void)
{
    GRand *r = g_rand_new_with_seed(99);
    static const char *const names[] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "",
                                         "sar" };
    for (int lg = 0; lg < 4; lg++) {
        int bits = 8 << lg;
        for (int op = 0; op < 8; op++) {
            if (op == 6) {
                continue;
            }
            for (int i = 0; i < 40; i++) {
                for (int n = 0; n < (lg == 3 ? 64 : 32); n++) {
                    uint64_t a = pick(r, i), hr;
                    int cin = (i ^ n) & 1;
                    uint32_t hf = host_shift(lg, op == 7 ? 6 : op, a, n, cin, &hr);
                    CPUX86State env = { 0 };
                    env.rflags = 2 | (cin ? CC_C : 0) | CC_A;
                    uint64_t lr = helper_shift(&env, op, lg, a & mask_of(lg), n);
                    uint32_t lf = x86_get_eflags(&env) & FL_ALL;
                    uint32_t care;
                    int cnt = n;
                    if (cnt == 0) {
                        /* A zero count changes nothing (the host's other flags are
                         * whatever BT left, so compare with the state we set). */
                        g_assert_cmphex(lr, ==, a & mask_of(lg));
                        g_assert_cmphex(lf, ==, CC_A | (cin ? CC_C : 0));
                        continue;
                    }
                    if (op < 4) {
                        /* Rotates touch only CF and OF; OF is defined for count 1. */
                        care = CC_C | (cnt == 1 ? CC_O : 0);
                    } else {
                        care = CC_C | CC_P | CC_Z | CC_S | (cnt == 1 ? CC_O : 0);
                        if (cnt >= bits && op != 7) {
                            care &= ~(uint32_t)CC_C;   /* CF undefined past the width */
                        }
                    }
                    if ((hr & mask_of(lg)) != (lr & mask_of(lg)) ||
                        (hf & care) != (lf & care)) {
                        g_test_message("%s size %d a=%#" PRIx64 " n=%d cin=%d: host %#"
                                       PRIx64 "/%#x helper %#" PRIx64 "/%#x", names[op],
                                       1 << lg, a, n, cin, hr, hf, lr, lf);
                        g_assert_not_reached();
                    }
                }
            }
        }
    }
    g_rand_free(r);
}

static void test_conditions(void)
{
    /* Every Jcc condition over every combination of the flags it reads. */
    for (uint32_t f = 0; f < 64; f++) {
        uint32_t fl = ((f & 1) ? CC_C : 0) | ((f & 2) ? CC_P : 0) | ((f & 4) ? CC_Z : 0) |
                      ((f & 8) ? CC_S : 0) | ((f & 16) ? CC_O : 0) | ((f & 32) ? CC_A : 0);
        CPUX86State env = { 0 };
        env.rflags = 2 | fl;
        for (int cc = 0; cc < 16; cc++) {
            bool c = fl & CC_C, z = fl & CC_Z, s = fl & CC_S, o = fl & CC_O,
                 p = fl & CC_P;
            bool want[8] = { o, c, z, c || z, s, p, s != o, z || (s != o) };
            bool w = (cc & 1) ? !want[cc >> 1] : want[cc >> 1];
            g_assert_cmpuint(helper_cc_cond(&env, cc), ==, w);
        }
    }
}

static void test_mul(void)
{
    GRand *r = g_rand_new_with_seed(7);
    for (int i = 0; i < 2000; i++) {
        uint64_t a = pick(r, i % 30), b = pick(r, (i * 7) % 40);
        CPUX86State env = { 0 };
        uint64_t lo, hi, fl;
        /* 64-bit IMUL r, r/m against the host. */
        uint64_t x = a;
        __asm__("imul %[b],%[x]\n\tpushfq\n\tpopq %[f]" : [x] "+r"(x), [f] "=r"(fl)
                : [b] "r"(b) : "cc");
        g_assert_cmphex(helper_imul2(&env, 3, a, b), ==, x);
        g_assert_cmphex(x86_get_eflags(&env) & (CC_C | CC_O), ==, fl & (CC_C | CC_O));
        /* 32-bit MUL into EDX:EAX. */
        env.regs[R_EAX] = a;
        helper_mul1(&env, 0, 2, b);
        uint32_t ea = a, eb = b, ed;
        __asm__("mull %[b]\n\tpushfq\n\tpopq %[f]" : "+a"(ea), "=d"(ed), [f] "=r"(fl)
                : [b] "r"(eb) : "cc");
        g_assert_cmphex(env.regs[R_EAX], ==, ea);
        g_assert_cmphex(env.regs[R_EDX], ==, ed);
        g_assert_cmphex(x86_get_eflags(&env) & (CC_C | CC_O), ==, fl & (CC_C | CC_O));
        /* 64-bit signed one-operand IMUL into RDX:RAX. */
        env.regs[R_EAX] = a;
        helper_mul1(&env, 1, 3, b);
        lo = a;
        __asm__("imulq %[b]\n\tpushfq\n\tpopq %[f]" : "+a"(lo), "=d"(hi), [f] "=r"(fl)
                : [b] "r"(b) : "cc");
        g_assert_cmphex(env.regs[R_EAX], ==, lo);
        g_assert_cmphex(env.regs[R_EDX], ==, hi);
        g_assert_cmphex(x86_get_eflags(&env) & (CC_C | CC_O), ==, fl & (CC_C | CC_O));
    }
    g_rand_free(r);
}

static void test_div(void)
{
    GRand *r = g_rand_new_with_seed(11);
    for (int i = 0; i < 2000; i++) {
        uint64_t n = pick(r, i % 30), d = pick(r, (i * 3) % 40) | 1;
        uint32_t hi = (uint32_t)g_rand_int(r) % ((uint32_t)d ? (uint32_t)d : 1);
        CPUX86State env = { 0 };
        /* 32-bit DIV with EDX < divisor: never #DE. */
        uint32_t ea = n, ed = hi, eb = d;
        if (!eb) {
            continue;
        }
        env.regs[R_EAX] = ea;
        env.regs[R_EDX] = ed;
        helper_div(&env, 0, 2, eb);
        __asm__("divl %[b]" : "+a"(ea), "+d"(ed) : [b] "r"(eb) : "cc");
        g_assert_cmphex(env.regs[R_EAX], ==, ea);
        g_assert_cmphex(env.regs[R_EDX], ==, ed);
        /* 16-bit IDIV of a sign-extended dividend: never #DE either. */
        int16_t sa = (int16_t)n, sb = (int16_t)d;
        if (sb == 0 || (sa == INT16_MIN && sb == -1)) {
            continue;
        }
        env.regs[R_EAX] = (uint16_t)sa;
        env.regs[R_EDX] = sa < 0 ? 0xffff : 0;
        helper_div(&env, 1, 1, (uint16_t)sb);
        g_assert_cmpint((int16_t)env.regs[R_EAX], ==, sa / sb);
        g_assert_cmpint((int16_t)env.regs[R_EDX], ==, sa % sb);
    }
    g_rand_free(r);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/tcg/x86/flags/alu", test_alu);
    g_test_add_func("/tcg/x86/flags/shift", test_shift);
    g_test_add_func("/tcg/x86/flags/conditions", test_conditions);
    g_test_add_func("/tcg/x86/mul", test_mul);
    g_test_add_func("/tcg/x86/div", test_div);
    return g_test_run();
}
