/*
 * helper.c: x86 semantics the translator leaves to C: lazy condition codes
 * (SDM Vol 1 §3.4.3, Appendix A flag table), shifts/rotates, multiply/divide
 * with #DE, string instructions, port IO, CPUID, RDTSC, MSRs, control
 * registers, descriptor-table and segment loads (Vol 3 §3.4, §5.8), and
 * interrupt/exception delivery in real, protected and long mode (Vol 3 §6.12,
 * §6.14, Vol 3 §20.1.4 for the real-mode IVT).
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/helper.h"
#include "target-x86/fpu-helper.h"
#include "target-x86/seg-helper.h"
#include "hw/intc/lapic.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))
#define RA(env) tcg_helper_retaddr(x86_tcg_ctx(env), GETPC())

static inline uint64_t sz_mask(int lg)
{
    return lg == 3 ? ~0ull : (1ull << (8 << lg)) - 1;
}

static inline uint64_t sz_sign(int lg)
{
    return 1ull << ((8 << lg) - 1);
}

static inline int64_t sext(uint64_t v, int lg)
{
    int sh = 64 - (8 << lg);
    return (int64_t)(v << sh) >> sh;
}

static uint32_t flags_szp(uint64_t res, int lg)
{
    uint32_t f = 0;
    res &= sz_mask(lg);
    if (!res) {
        f |= CC_Z;
    }
    if (res & sz_sign(lg)) {
        f |= CC_S;
    }
    if (!__builtin_parity(res & 0xff)) {
        f |= CC_P;
    }
    return f;
}

/* The arithmetic flags implied by the lazy state. */
uint32_t x86_cc_compute(CPUX86State *env)
{
    int op = env->cc_op;
    int kind = op >> 2, lg = op & 3;
    uint64_t m = sz_mask(lg), sb = sz_sign(lg);
    uint64_t res = env->cc_dst & m, b = env->cc_src & m, a, cin;
    uint32_t f;

    if (kind == CC_K_EFLAGS || kind >= CC_K_COUNT) {
        return env->rflags & CC_ARITH;
    }
    f = flags_szp(res, lg);
    switch (kind) {
    case CC_K_ADD:
    case CC_K_ADC:
        cin = kind == CC_K_ADC ? (env->cc_src2 & 1) : 0;
        a = (res - b - cin) & m;
        if (cin ? res <= b : res < b) {
            f |= CC_C;
        }
        if ((a ^ res) & (b ^ res) & sb) {
            f |= CC_O;
        }
        f |= (a ^ b ^ res) & CC_A;
        break;
    case CC_K_SUB:
    case CC_K_SBB:
        cin = kind == CC_K_SBB ? (env->cc_src2 & 1) : 0;
        a = (res + b + cin) & m;
        if (cin ? a <= b : a < b) {
            f |= CC_C;
        }
        if ((a ^ b) & (a ^ res) & sb) {
            f |= CC_O;
        }
        f |= (a ^ b ^ res) & CC_A;
        break;
    case CC_K_LOGIC:
        break;
    case CC_K_INC:
        f |= env->cc_src & CC_C;
        if (res == sb) {
            f |= CC_O;
        }
        f |= ((res - 1) ^ 1 ^ res) & CC_A;
        break;
    case CC_K_DEC:
        f |= env->cc_src & CC_C;
        if (res == sb - 1) {
            f |= CC_O;
        }
        f |= ((res + 1) ^ 1 ^ res) & CC_A;
        break;
    case CC_K_SHL:
        /* AF is undefined after shifts; like helper_shift, leave it clear. */
        if ((env->cc_src >> ((8 << lg) - 1)) & 1) {
            f |= CC_C;
        }
        if (!!(res & sb) != !!(f & CC_C)) {
            f |= CC_O;
        }
        break;
    case CC_K_SHR:
        f |= env->cc_src & CC_C;
        if (b & sb) {
            f |= CC_O;
        }
        break;
    case CC_K_SAR:
        f |= env->cc_src & CC_C;
        break;
    case CC_K_MUL:
        if (env->cc_src) {
            f |= CC_C | CC_O;
        }
        break;
    }
    return f;
}

uint64_t x86_get_eflags(CPUX86State *env)
{
    return (env->rflags & ~(uint64_t)CC_ARITH) | x86_cc_compute(env) | 2;
}

void x86_set_eflags(CPUX86State *env, uint64_t val, uint64_t mask)
{
    uint64_t cur = x86_get_eflags(env);
    env->rflags = ((cur & ~mask) | (val & mask)) | 2;
    env->cc_op = CC_OP_EFLAGS;
}

static void set_arith(CPUX86State *env, uint32_t f)
{
    env->rflags = (env->rflags & ~(uint64_t)CC_ARITH) | (f & CC_ARITH);
    env->cc_op = CC_OP_EFLAGS;
}

static bool cond_eval(uint32_t f, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = f & CC_O; break;
    case 1: r = f & CC_C; break;
    case 2: r = f & CC_Z; break;
    case 3: r = f & (CC_C | CC_Z); break;
    case 4: r = f & CC_S; break;
    case 5: r = f & CC_P; break;
    case 6: r = !(f & CC_S) != !(f & CC_O); break;
    default: r = (f & CC_Z) || (!(f & CC_S) != !(f & CC_O)); break;
    }
    return (cc & 1) ? !r : r;
}

uint64_t helper_cc_cond(CPUX86State *env, uint64_t cc)
{
    return cond_eval(x86_cc_compute(env), cc & 15);
}

uint64_t helper_read_eflags(CPUX86State *env)
{
    return x86_get_eflags(env) & ~(uint64_t)(RF_MASK | VM_MASK);
}

/* IF just went from 0 to 1 with INTR asserted: make the loop look at it at the
 * next block boundary, even inside chained blocks (which only test exit_request). */
static void check_intr_window(CPUX86State *env, uint64_t old_flags)
{
    if (!(old_flags & IF_MASK) && (env->rflags & IF_MASK) && env->intr_pending) {
        __atomic_store_n(&env_cpu(env)->exit_request, 1, __ATOMIC_RELEASE);
    }
}

/* POPF/IRET-style write; mask says which bits this privilege level may change. */
void helper_write_eflags(CPUX86State *env, uint64_t val, uint64_t mask)
{
    uint64_t old = env->rflags;
    x86_set_eflags(env, val, mask);
    check_intr_window(env, old);
}

/* CLC STC CMC CLD STD CLI STI: op = opcode low bits (F5, F8-FD). */
void helper_flagop(CPUX86State *env, uint64_t opc)
{
    uint64_t f = x86_get_eflags(env);
    switch (opc) {
    case 0xf5: f ^= CC_C; break;
    case 0xf8: f &= ~(uint64_t)CC_C; break;
    case 0xf9: f |= CC_C; break;
    case 0xfa: f &= ~(uint64_t)IF_MASK; break;
    case 0xfb: f |= IF_MASK; break;
    case 0xfc: f &= ~(uint64_t)DF_MASK; break;
    case 0xfd: f |= DF_MASK; break;
    }
    uint64_t old = env->rflags;
    env->rflags = f;
    env->cc_op = CC_OP_EFLAGS;
    /* STI: the interrupt is taken after the next instruction at the earliest
     * (its shadow); HLT in the same block still runs first. */
    check_intr_window(env, old);
}

/* Group 2: op is ModRM.reg (ROL ROR RCL RCR SHL SHR SAL SAR). */
uint64_t helper_shift(CPUX86State *env, uint64_t op, uint64_t lg, uint64_t val,
                      uint64_t count)
{
    int bits = 8 << lg;
    uint64_t m = sz_mask(lg), sb = sz_sign(lg), res;
    uint32_t f = x86_cc_compute(env);
    bool cf;

    count &= lg == 3 ? 63 : 31;
    val &= m;
    if (!count) {
        return val;
    }
    switch (op & 7) {
    case 0: /* ROL */
        count %= bits;
        res = count ? ((val << count) | (val >> (bits - count))) & m : val;
        f &= ~(uint32_t)(CC_C | CC_O);
        if (res & 1) {
            f |= CC_C;
        }
        if (!!(res & sb) != !!(res & 1)) {
            f |= CC_O;
        }
        break;
    case 1: /* ROR */
        count %= bits;
        res = count ? ((val >> count) | (val << (bits - count))) & m : val;
        f &= ~(uint32_t)(CC_C | CC_O);
        if (res & sb) {
            f |= CC_C;
        }
        if (!!(res & sb) != !!(res & (sb >> 1))) {
            f |= CC_O;
        }
        break;
    case 2: /* RCL */
    case 3: /* RCR */
        count %= bits + 1;
        res = val;
        cf = f & CC_C;
        for (uint64_t i = 0; i < count; i++) {
            bool out;
            if ((op & 7) == 2) {
                out = res & sb;
                res = ((res << 1) | cf) & m;
            } else {
                out = res & 1;
                res = (res >> 1) | (cf ? sb : 0);
            }
            cf = out;
        }
        f &= ~(uint32_t)(CC_C | CC_O);
        if (cf) {
            f |= CC_C;
        }
        if ((op & 7) == 2 ? (!!(res & sb) != cf)
                          : (!!(res & sb) != !!(res & (sb >> 1)))) {
            f |= CC_O;
        }
        break;
    case 4:
    case 6: /* SHL */
        res = (val << count) & m;
        cf = count <= (uint64_t)bits && ((val << (count - 1)) & sb);
        f = flags_szp(res, lg) | (cf ? CC_C : 0);
        if (!!(res & sb) != cf) {
            f |= CC_O;
        }
        break;
    case 5: /* SHR */
        res = val >> count;
        cf = (val >> (count - 1)) & 1;
        f = flags_szp(res, lg) | (cf ? CC_C : 0);
        if (val & sb) {
            f |= CC_O;
        }
        break;
    default: /* SAR */
        res = (uint64_t)(sext(val, lg) >> count) & m;
        cf = (sext(val, lg) >> (count - 1)) & 1;
        f = flags_szp(res, lg) | (cf ? CC_C : 0);
        break;
    }
    set_arith(env, f);
    return res;
}

/* One-operand MUL/IMUL on rAX (and rDX): SDM Vol 2 MUL, IMUL. */
void helper_mul1(CPUX86State *env, uint64_t is_signed, uint64_t lg, uint64_t b)
{
    uint64_t m = sz_mask(lg), lo, hi;
    uint64_t a = env->regs[R_EAX] & m;
    bool ovf;

    b &= m;
    if (lg == 3) {
        if (is_signed) {
            __int128 p = (__int128)(int64_t)a * (int64_t)b;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            ovf = p != (__int128)(int64_t)lo;
        } else {
            unsigned __int128 p = (unsigned __int128)a * b;
            lo = (uint64_t)p;
            hi = (uint64_t)(p >> 64);
            ovf = hi != 0;
        }
    } else {
        int bits = 8 << lg;
        if (is_signed) {
            int64_t p = sext(a, lg) * sext(b, lg);
            lo = (uint64_t)p & m;
            hi = ((uint64_t)p >> bits) & m;
            ovf = p != sext(lo, lg);
        } else {
            uint64_t p = a * b;
            lo = p & m;
            hi = (p >> bits) & m;
            ovf = hi != 0;
        }
    }
    if (lg == 0) {
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | lo | (hi << 8);
    } else if (lg == 1) {
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | lo;
        env->regs[R_EDX] = (env->regs[R_EDX] & ~0xffffull) | hi;
    } else {
        env->regs[R_EAX] = lo;
        env->regs[R_EDX] = hi;
    }
    set_arith(env, flags_szp(lo, lg) | (ovf ? CC_C | CC_O : 0));
}

/* Two/three-operand IMUL: returns the truncated product. */
uint64_t helper_imul2(CPUX86State *env, uint64_t lg, uint64_t a, uint64_t b)
{
    uint64_t m = sz_mask(lg), lo;
    bool ovf;
    if (lg == 3) {
        __int128 p = (__int128)(int64_t)a * (int64_t)b;
        lo = (uint64_t)p;
        ovf = p != (__int128)(int64_t)lo;
    } else {
        int64_t p = sext(a, lg) * sext(b, lg);
        lo = (uint64_t)p & m;
        ovf = p != sext(lo, lg);
    }
    set_arith(env, flags_szp(lo, lg) | (ovf ? CC_C | CC_O : 0));
    return lo;
}

/* The translator context is looked up only to raise (unit tests call helpers
 * on a bare CPUX86State). */
__attribute__((noreturn)) static void raise_de(CPUX86State *env, uintptr_t hostra)
{
    x86_raise(env, 0, 0, tcg_helper_retaddr(x86_tcg_ctx(env), hostra));
}

/* DIV/IDIV: #DE on a zero divisor or a quotient that does not fit. */
void helper_div(CPUX86State *env, uint64_t is_signed, uint64_t lg, uint64_t b)
{
    uint64_t m = sz_mask(lg), q, r;
    int bits = 8 << lg;
    uintptr_t hostra = GETPC();

    b &= m;
    if (!b) {
        raise_de(env, hostra);
    }
    if (lg == 3) {
        unsigned __int128 n = ((unsigned __int128)env->regs[R_EDX] << 64) |
                              env->regs[R_EAX];
        if (is_signed) {
            __int128 sn = (__int128)n, sq;
            if ((int64_t)b == -1 && sn == (__int128)((unsigned __int128)1 << 127)) {
                raise_de(env, hostra);
            }
            sq = sn / (int64_t)b;
            if (sq != (int64_t)sq) {
                raise_de(env, hostra);
            }
            q = (uint64_t)sq;
            r = (uint64_t)(sn % (int64_t)b);
        } else {
            unsigned __int128 uq = n / b;
            if (uq >> 64) {
                raise_de(env, hostra);
            }
            q = (uint64_t)uq;
            r = (uint64_t)(n % b);
        }
    } else {
        uint64_t n;
        if (lg == 0) {
            n = env->regs[R_EAX] & 0xffff;
        } else {
            n = ((env->regs[R_EDX] & m) << bits) | (env->regs[R_EAX] & m);
        }
        if (is_signed) {
            int64_t sn = sext(n, lg + 1 > 3 ? 3 : lg + 1), sq;
            if (lg == 2) {
                sn = (int64_t)n;
            }
            sq = sn / sext(b, lg);
            if (sq != sext((uint64_t)sq & m, lg)) {
                raise_de(env, hostra);
            }
            q = (uint64_t)sq & m;
            r = (uint64_t)(sn % sext(b, lg)) & m;
        } else {
            q = n / b;
            if (q > m) {
                raise_de(env, hostra);
            }
            r = n % b;
        }
    }
    if (lg == 0) {
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | (q & 0xff) | ((r & 0xff) << 8);
    } else if (lg == 1) {
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | (q & 0xffff);
        env->regs[R_EDX] = (env->regs[R_EDX] & ~0xffffull) | (r & 0xffff);
    } else if (lg == 2) {
        env->regs[R_EAX] = q & 0xffffffff;
        env->regs[R_EDX] = r & 0xffffffff;
    } else {
        env->regs[R_EAX] = q;
        env->regs[R_EDX] = r;
    }
}

/* ---- port IO ---- */

uint64_t helper_in(CPUX86State *env, uint64_t port, uint64_t lg)
{
    Machine *m = env_cpu(env)->machine;
    uint32_t v;
    x86_check_io(env, port, 1 << lg, 0);
    machine_lock(m);
    v = ioport_read(&m->io, port & 0xffff, 1u << lg);
    machine_unlock(m);
    return v;
}

void helper_out(CPUX86State *env, uint64_t port, uint64_t lg, uint64_t val)
{
    Machine *m = env_cpu(env)->machine;
    x86_check_io(env, port, 1 << lg, 0);
    machine_lock(m);
    ioport_write(&m->io, port & 0xffff, (uint32_t)val, 1u << lg);
    machine_unlock(m);
}

/* ---- string instructions ---- */

static uint64_t addr_mask(int alg)
{
    return sz_mask(alg);
}

static uint64_t seg_linear(CPUX86State *env, int seg, uint64_t off, bool code64)
{
    if (code64 && seg != R_FS && seg != R_GS) {
        return off;
    }
    off += env->segs[seg].base;
    return code64 ? off : off & 0xffffffffull;
}

static void reg_write_masked(CPUX86State *env, int r, uint64_t v, uint64_t m)
{
    if (m == 0xffffffffull) {
        env->regs[r] = v & m;       /* 32-bit writes zero-extend */
    } else {
        env->regs[r] = (env->regs[r] & ~m) | (v & m);
    }
}

/*
 * REP MOVS / REP STOS forward with 32/64-bit addresses, a page at a time on
 * host memory: whole elements that fit in the current source and destination
 * pages go at once. Registers are written after each chunk, so a fault or a
 * kick between chunks leaves the state the restarted instruction continues
 * from. Anything else (MMIO, code pages, an element across a page, an
 * address about to wrap) is left to the element loop of helper_string.
 */
static void rep_fast(CPUX86State *env, int kind, uint64_t size, uint64_t am, int seg,
                     bool code64, uintptr_t ra)
{
    uint64_t val = env->regs[R_EAX];

    for (;;) {
        uint64_t count = env->regs[R_ECX] & am;
        uint64_t di = env->regs[R_EDI] & am, si = env->regs[R_ESI] & am;
        uint64_t dlin = seg_linear(env, R_ES, di, code64), n;
        uint8_t *dst, *src = NULL;

        if (!count) {
            return;
        }
        n = MIN(count, (0x1000 - (dlin & 0xfff)) / size);
        n = MIN(n, (am - di) / size);               /* no address wrap */
        if (kind == 0) {
            uint64_t slin = seg_linear(env, seg, si, code64);
            n = MIN(n, (0x1000 - (slin & 0xfff)) / size);
            n = MIN(n, (am - si) / size);
            if (n == 0 || !(src = x86_host_ptr(env, slin, X86_ACC_READ, ra))) {
                return;
            }
        }
        if (n == 0 || !(dst = x86_host_ptr(env, dlin, X86_ACC_WRITE, ra))) {
            return;
        }
        if (kind == 0) {
            uint64_t len = n * size;
            if (dst <= src || dst >= src + len) {
                memmove(dst, src, len);
            } else {
                for (uint64_t i = 0; i < len; i++) {   /* forward, overlapping */
                    dst[i] = src[i];
                }
            }
            reg_write_masked(env, R_ESI, si + n * size, am);
        } else if (size == 1) {
            memset(dst, (uint8_t)val, n);
        } else {
            for (uint64_t i = 0; i < n; i++) {
                memcpy(dst + i * size, &val, size);     /* little-endian host */
            }
        }
        reg_write_masked(env, R_EDI, di + n * size, am);
        reg_write_masked(env, R_ECX, count - n, am);
        if ((count - n) &&
            __atomic_load_n(&env_cpu(env)->exit_request, __ATOMIC_RELAXED)) {
            x86_raise(env, EXCP_EXIT, 0, ra);
        }
    }
}

/*
 * kind: 0 MOVS 1 CMPS 2 STOS 3 LODS 4 SCAS 5 INS 6 OUTS.
 * mode: bits 0-1 address size log2, bit 2 REP/REPE, bit 3 REPNE, bit 4 64-bit code.
 * Registers advance after each element, so a fault part-way leaves a state the
 * restarted instruction continues from (SDM Vol 2B REP).
 */
void helper_string(CPUX86State *env, uint64_t kind, uint64_t lg, uint64_t mode,
                   uint64_t seg)
{
    uintptr_t ra = RA(env);
    int alg = mode & 3;
    bool rep = mode & 4, repne = mode & 8, code64 = mode & 16;
    uint64_t am = addr_mask(alg), size = 1u << lg, m = sz_mask(lg);
    int64_t step = (env->rflags & DF_MASK) ? -(int64_t)size : (int64_t)size;
    bool any_rep = rep || repne;

    if (kind >= 5) {
        x86_check_io(env, env->regs[R_EDX] & 0xffff, size, ra);
    }
    if (rep && step > 0 && (kind == 0 || kind == 2) && alg >= 2) {
        rep_fast(env, kind, size, am, seg, code64, ra);
    }

    for (;;) {
        uint64_t si = env->regs[R_ESI] & am, di = env->regs[R_EDI] & am;
        uint64_t v, w;
        bool stop = false;

        if (any_rep && !(env->regs[R_ECX] & am)) {
            break;
        }
        switch (kind) {
        case 0:
            v = x86_ld(env, seg_linear(env, seg, si, code64), size, ra);
            x86_st(env, seg_linear(env, R_ES, di, code64), v, size, ra);
            reg_write_masked(env, R_ESI, si + step, am);
            reg_write_masked(env, R_EDI, di + step, am);
            break;
        case 1:
        case 4:
            if (kind == 1) {
                v = x86_ld(env, seg_linear(env, seg, si, code64), size, ra);
            } else {
                v = env->regs[R_EAX] & m;
            }
            w = x86_ld(env, seg_linear(env, R_ES, di, code64), size, ra);
            env->cc_dst = (v - w) & m;
            env->cc_src = w;
            env->cc_op = CC_OP(CC_K_SUB, lg);
            if (kind == 1) {
                reg_write_masked(env, R_ESI, si + step, am);
            }
            reg_write_masked(env, R_EDI, di + step, am);
            if (rep && ((v - w) & m)) {
                stop = true;
            }
            if (repne && !((v - w) & m)) {
                stop = true;
            }
            break;
        case 2:
            x86_st(env, seg_linear(env, R_ES, di, code64), env->regs[R_EAX] & m, size, ra);
            reg_write_masked(env, R_EDI, di + step, am);
            break;
        case 3:
            v = x86_ld(env, seg_linear(env, seg, si, code64), size, ra);
            reg_write_masked(env, R_EAX, v, lg == 2 ? 0xffffffffull : m);
            reg_write_masked(env, R_ESI, si + step, am);
            break;
        case 5:
            v = helper_in(env, env->regs[R_EDX] & 0xffff, lg);
            x86_st(env, seg_linear(env, R_ES, di, code64), v, size, ra);
            reg_write_masked(env, R_EDI, di + step, am);
            break;
        default:
            v = x86_ld(env, seg_linear(env, seg, si, code64), size, ra);
            helper_out(env, env->regs[R_EDX] & 0xffff, lg, v);
            reg_write_masked(env, R_ESI, si + step, am);
            break;
        }
        if (!any_rep) {
            break;
        }
        reg_write_masked(env, R_ECX, (env->regs[R_ECX] & am) - 1, am);
        if (stop) {
            break;
        }
        /* A long REP must not hold off a kick: registers are exact, so leave and
         * restart the instruction later (SDM Vol 2B REP: interruptible). */
        if (__atomic_load_n(&env_cpu(env)->exit_request, __ATOMIC_RELAXED) &&
            (env->regs[R_ECX] & am)) {
            x86_raise(env, EXCP_EXIT, 0, ra);
        }
    }
}

/* ---- CPUID, RDTSC, MSRs ---- */

void helper_cpuid(CPUX86State *env)
{
    uint32_t r[4];
    x86_cpuid(env, env->regs[R_EAX], env->regs[R_ECX], r);
    env->regs[R_EAX] = r[0];
    env->regs[R_EBX] = r[1];
    env->regs[R_ECX] = r[2];
    env->regs[R_EDX] = r[3];
}

/* A local APIC when the board wired one to this CPU (hw/intc/lapic.c), with
 * the TSC-deadline timer (CPUID.1:ECX[24]); no x2APIC. */
bool x86_cpu_apic_present(CPUX86State *env)
{
    return env_cpu(env)->apic != NULL;
}

uint32_t x86_cpu_apic_features(CPUX86State *env)
{
    return x86_cpu_apic_present(env) ? 1u << 24 : 0;
}

/* The TSC: X86_TSC_KHZ on the machine's virtual clock (target-x86/cpu.h). */
static uint64_t tsc_now(CPUX86State *env)
{
    Machine *m = env_cpu(env)->machine;
    return x86_tsc_at(env, m ? clock_ns(&m->timers.clock) : 0);
}

/* MTRR MSR -> slot in env->mtrr_fixed, or -1 (SDM Vol 3 Table 12-9). */
static int mtrr_fixed_index(uint32_t idx)
{
    switch (idx) {
    case 0x250: return 0;
    case 0x258: return 1;
    case 0x259: return 2;
    default:
        return idx >= 0x268 && idx <= 0x26f ? (int)(idx - 0x268) + 3 : -1;
    }
}

/* What the CPU is not vulnerable to (an emulator does not speculate):
 * RDCL_NO, SKIP_L1DFL_VMENTRY, SSB_NO, MDS_NO, IF_PSCHANGE_MC_NO, TAA_NO,
 * SBDR_SSDP_NO, FBSDP_NO, PSDP_NO, BHI_NO, PBRSB_NO, GDS_NO, RFDS_NO, ITS_NO.
 * Linux then needs neither page-table isolation nor buffer clearing. */
#define X86_ARCH_CAPABILITIES                                                  \
    ((1ull << 0) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |     \
     (1ull << 8) | (1ull << 13) | (1ull << 14) | (1ull << 15) | (1ull << 20) | \
     (1ull << 24) | (1ull << 26) | (1ull << 27) | (1ull << 62))

/* Local APIC MSRs (IA32_APIC_BASE, TSC_DEADLINE, x2APIC 0x800-0x8ff) go to the
 * CPU's userspace APIC under the machine lock. false: #GP. */
static bool apic_msr(CPUX86State *env, uint32_t idx, bool write, uint64_t *v)
{
    CPUState *cpu = env_cpu(env);
    bool ok;
    if (write && idx == MSR_IA32_APICBASE && (*v & MSR_APICBASE_EXTD)) {
        return false;           /* x2APIC is not offered (CPUID.1:ECX[21] = 0) */
    }
    machine_lock(cpu->machine);
    ok = write ? lapic_msr_write(cpu->apic, idx, *v) : lapic_msr_read(cpu->apic, idx, v);
    if (ok) {
        env->apic_base = lapic_get_base(cpu->apic);
    }
    machine_unlock(cpu->machine);
    if (ok && write && idx == MSR_IA32_APICBASE) {
        x86_tlb_flush(env);     /* the APIC page moved or went away */
    }
    return ok;
}

static bool is_apic_msr(uint32_t idx)
{
    return idx == MSR_IA32_APICBASE || idx == MSR_IA32_TSC_DEADLINE ||
           (idx >= MSR_X2APIC_FIRST && idx <= MSR_X2APIC_LAST);
}

void helper_rdtsc(CPUX86State *env)
{
    uint64_t t = tsc_now(env);
    env->regs[R_EAX] = (uint32_t)t;
    env->regs[R_EDX] = t >> 32;
}

void helper_rdmsr(CPUX86State *env)
{
    uint32_t idx = env->regs[R_ECX];
    uint64_t v;
    if (env_cpu(env)->apic && is_apic_msr(idx)) {
        if (!apic_msr(env, idx, false, &v)) {
            x86_raise(env, 13, 0, RA(env));
        }
        env->regs[R_EAX] = (uint32_t)v;
        env->regs[R_EDX] = v >> 32;
        return;
    }
    switch (idx) {
    case MSR_EFER: v = env->efer; break;
    case MSR_STAR: v = env->star; break;
    case MSR_LSTAR: v = env->lstar; break;
    case MSR_CSTAR: v = env->cstar; break;
    case MSR_FMASK: v = env->fmask; break;
    case MSR_FSBASE: v = env->segs[R_FS].base; break;
    case MSR_GSBASE: v = env->segs[R_GS].base; break;
    case MSR_KERNELGSBASE: v = env->kernel_gs_base; break;
    case MSR_IA32_APICBASE: v = env->apic_base; break;
    case MSR_IA32_CR_PAT: v = env->pat; break;
    case MSR_IA32_MISC_ENABLE: v = env->misc_enable; break;
    case MSR_IA32_SYSENTER_CS: v = env->sysenter_cs; break;
    case MSR_IA32_SYSENTER_ESP: v = env->sysenter_esp; break;
    case MSR_IA32_SYSENTER_EIP: v = env->sysenter_eip; break;
    case MSR_TSC_AUX: v = env->tsc_aux; break;
    case MSR_IA32_TSC: v = tsc_now(env); break;
    case MSR_IA32_UCODE_REV: v = 0x100000000ull; break;  /* revision 1 */
    case 0x179: case 0x17a: v = 0; break;   /* MCG_CAP/MCG_STATUS: no banks */
    case MSR_IA32_ARCH_CAPABILITIES: v = X86_ARCH_CAPABILITIES; break;
    case MSR_MTRRcap: v = 0x508; break;     /* 8 variable, fixed, WC */
    case MSR_MTRRdefType: v = env->mtrr_deftype; break;
    default:
        if (idx >= 0x200 && idx <= 0x20f) {
            v = env->mtrr_var[idx - 0x200];
        } else if (mtrr_fixed_index(idx) >= 0) {
            v = env->mtrr_fixed[mtrr_fixed_index(idx)];
        } else {
            x86_raise(env, 13, 0, RA(env));
        }
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

void helper_wrmsr(CPUX86State *env)
{
    uint32_t idx = env->regs[R_ECX];
    uint64_t v = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];

    /* MSRs holding linear addresses take canonical ones only (SDM Vol 4,
     * WRMSR: #GP(0)). */
    switch (idx) {
    case MSR_FSBASE: case MSR_GSBASE: case MSR_KERNELGSBASE:
    case MSR_LSTAR: case MSR_CSTAR:
    case MSR_IA32_SYSENTER_ESP: case MSR_IA32_SYSENTER_EIP:
        if ((uint64_t)((int64_t)(v << 16) >> 16) != v) {
            x86_raise(env, 13, 0, RA(env));
        }
        break;
    default:
        break;
    }
    if (env_cpu(env)->apic && is_apic_msr(idx)) {
        if (!apic_msr(env, idx, true, &v)) {
            x86_raise(env, 13, 0, RA(env));
        }
        return;
    }
    switch (idx) {
    case MSR_EFER:
        if (v & ~(uint64_t)(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)) {
            x86_raise(env, 13, 0, RA(env));
        }
        /* LMA is read-only: it follows CR0.PG && EFER.LME. */
        env->efer = (v & ~(uint64_t)EFER_LMA) | (env->efer & EFER_LMA);
        x86_tlb_flush(env);
        break;
    case MSR_STAR: env->star = v; break;
    case MSR_LSTAR: env->lstar = v; break;
    case MSR_CSTAR: env->cstar = v; break;
    case MSR_FMASK: env->fmask = v; break;
    case MSR_FSBASE: env->segs[R_FS].base = v; break;
    case MSR_GSBASE: env->segs[R_GS].base = v; break;
    case MSR_KERNELGSBASE: env->kernel_gs_base = v; break;
    case MSR_IA32_APICBASE: env->apic_base = v; break;
    case MSR_IA32_CR_PAT: env->pat = v; break;
    case MSR_IA32_MISC_ENABLE: env->misc_enable = v; break;
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = v; break;
    case MSR_IA32_SYSENTER_ESP: env->sysenter_esp = v; break;
    case MSR_IA32_SYSENTER_EIP: env->sysenter_eip = v; break;
    case MSR_TSC_AUX: env->tsc_aux = v; break;
    case MSR_IA32_TSC: env->tsc = 0; env->tsc = v - tsc_now(env); break;
    case MSR_IA32_UCODE_REV: break;         /* writing 0 precedes CPUID(1) */
    case 0x17a:                             /* MCG_STATUS: only 0 (no MCE) */
        if (v) {
            x86_raise(env, 13, 0, RA(env));
        }
        break;
    case MSR_MTRRdefType:
        if (v & ~0xcffull) {
            x86_raise(env, 13, 0, RA(env));
        }
        env->mtrr_deftype = v;
        break;
    default:
        if (idx >= 0x200 && idx <= 0x20f) {
            env->mtrr_var[idx - 0x200] = v;
        } else if (mtrr_fixed_index(idx) >= 0) {
            env->mtrr_fixed[mtrr_fixed_index(idx)] = v;
        } else {
            x86_raise(env, 13, 0, RA(env));
        }
    }
}

/* ---- control registers ---- */

static void update_lma(CPUX86State *env)
{
    if ((env->cr[0] & CR0_PG) && (env->efer & EFER_LME)) {
        env->efer |= EFER_LMA;
    } else {
        env->efer &= ~(uint64_t)EFER_LMA;
    }
}

void helper_write_cr(CPUX86State *env, uint64_t n, uint64_t v)
{
    switch (n) {
    case 0:
        if ((v & CR0_PG) && !(v & CR0_PE)) {
            x86_raise(env, 13, 0, RA(env));
        }
        if (!(v & CR0_PG) && (env->cr[4] & CR4_PCIDE)) {
            x86_raise(env, 13, 0, RA(env));     /* paging off with PCIDE on */
        }
        if ((v & CR0_PG) && (env->efer & EFER_LME) && !(env->cr[4] & CR4_PAE)) {
            x86_raise(env, 13, 0, RA(env));
        }
        env->cr[0] = (v & 0xffffffffull) | CR0_ET;
        update_lma(env);
        break;
    case 2:
        env->cr[2] = v;
        return;
    case 3:
        /* With CR4.PCIDE, CR3[11:0] is the PCID and bit 63 asks to keep the
         * TLB entries of the new PCID; it is not stored (SDM Vol 3 §4.10.4.1).
         * This TLB is not tagged by PCID, so it is flushed all the same:
         * invalidating more than required is always allowed. */
        if (env->cr[4] & CR4_PCIDE) {
            v &= ~(1ull << 63);
        }
        env->cr[3] = v;
        break;
    case 4:
        /* Bits for features CPUID does not advertise are reserved: #GP(0)
         * (SDM Vol 3 §2.5): VME, PVI, UMIP, LA57... */
        if (v & ~(uint64_t)(CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE |
                            CR4_PCE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_FSGSBASE |
                            CR4_PCIDE | CR4_OSXSAVE | CR4_SMEP | CR4_SMAP)) {
            x86_raise(env, 13, 0, RA(env));
        }
        if ((env->efer & EFER_LMA) && !(v & CR4_PAE)) {
            x86_raise(env, 13, 0, RA(env));     /* PAE cannot go in long mode */
        }
        /* PCIDE goes on only in IA-32e mode with PCID 0 in CR3 (SDM Vol 3
         * §4.10.1, MOV CR4 "#GP(0)"). */
        if ((v & CR4_PCIDE) && !(env->cr[4] & CR4_PCIDE) &&
            (!(env->efer & EFER_LMA) || (env->cr[3] & 0xfff))) {
            x86_raise(env, 13, 0, RA(env));
        }
        env->cr[4] = v;
        break;
    case 8:
        env->cr8 = v & 15;
        if (env_cpu(env)->apic) {
            /* CR8 is TPR[7:4] (SDM Vol 3 §10.8.6.1). A lower TPR may let an
             * interrupt in: MOV CR8 ends the block, the loop then sees INTR. */
            CPUState *cpu = env_cpu(env);
            machine_lock(cpu->machine);
            lapic_set_tpr(cpu->apic, (uint8_t)((v & 15) << 4));
            machine_unlock(cpu->machine);
        }
        return;
    default:
        x86_raise(env, 6, 0, RA(env));
    }
    x86_tlb_flush(env);
}

/*
 * INVPCID (SDM Vol 2A): type in a register, a 16-byte descriptor (PCID in
 * bits 11:0, the rest of the first quadword zero; a linear address in the
 * second) in memory. Every type invalidates at least what it must by
 * flushing the whole TLB, which the SDM allows.
 */
void helper_invpcid(CPUX86State *env, uint64_t type, uint64_t desc)
{
    uintptr_t ra = RA(env);
    if (type > 3) {
        x86_raise(env, 13, 0, ra);
    }
    uint64_t lo = x86_ld(env, desc, 8, ra), addr = x86_ld(env, desc + 8, 8, ra);
    if ((lo >> 12) || (type == 0 && !x86_canonical(env, addr)) ||
        (type <= 1 && (lo & 0xfff) && !(env->cr[4] & CR4_PCIDE))) {
        x86_raise(env, 13, 0, ra);
    }
    x86_tlb_flush(env);
}

uint64_t helper_read_cr(CPUX86State *env, uint64_t n)
{
    switch (n) {
    case 0: case 2: case 3: case 4:
        return env->cr[n];
    case 8:
        if (env_cpu(env)->apic) {
            CPUState *cpu = env_cpu(env);
            uint8_t tpr;
            machine_lock(cpu->machine);
            tpr = lapic_get_tpr(cpu->apic);
            machine_unlock(cpu->machine);
            return tpr >> 4;
        }
        return env->cr8;
    default:
        x86_raise(env, 6, 0, RA(env));
    }
}

/* LGDT/LIDT: which 0 = GDT, 1 = IDT; 6 or 10 bytes at linear addr. */
void helper_lgdt(CPUX86State *env, uint64_t which, uint64_t addr, uint64_t mode)
{
    uintptr_t ra = RA(env);
    uint64_t limit = x86_ld(env, addr, 2, ra), base;
    if (mode == 64) {
        base = x86_ld(env, addr + 2, 8, ra);
    } else {
        base = x86_ld(env, addr + 2, 4, ra);
        if (mode == 16) {
            base &= 0xffffff;
        }
    }
    DescTable *t = which ? &env->idt : &env->gdt;
    t->base = base;
    t->limit = limit;
}

/* ---- segments ---- */

int x86_cpl(CPUX86State *env)
{
    if (!(env->cr[0] & CR0_PE)) {
        return 0;
    }
    if (env->rflags & VM_MASK) {
        return 3;
    }
    return env->segs[R_CS].selector & 3;
}

uint32_t x86_tb_flags(CPUX86State *env)
{
    uint32_t f = 0;
    if (env->cr[0] & CR0_PE) {
        f |= TBF_PE;
    }
    if (env->efer & EFER_LMA) {
        f |= TBF_LMA;
    }
    if ((env->efer & EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        f |= TBF_CODE64;
    } else if (!(env->cr[0] & CR0_PE) || (env->rflags & VM_MASK) ||
               !(env->segs[R_CS].flags & DESC_B_MASK)) {
        f |= TBF_CODE16;
    }
    if (env->segs[R_SS].flags & DESC_B_MASK) {
        f |= TBF_SS32;
    }
    if (env->rflags & VM_MASK) {
        f |= TBF_VM;
    }
    f |= (uint32_t)x86_cpl(env) << TBF_CPL_SHIFT;
    f |= (env->cr[0] & CR0_TS) ? TBF_TS : 0;
    f |= (env->cr[0] & CR0_EM) ? TBF_EM : 0;
    f |= (env->cr[0] & CR0_MP) ? TBF_MP : 0;
    f |= (env->cr[4] & CR4_OSFXSR) ? TBF_OSFXSR : 0;
    f |= (env->cr[4] & CR4_OSXSAVE) ? TBF_OSXSAVE : 0;
    f |= x86_mmu_index(env) == X86_MMU_SUP_SMAP ? TBF_SMAP : 0;
    return f;
}

void helper_pause(CPUX86State *env)
{
    x86_tcg_pause(env);
}

void helper_hlt(CPUX86State *env)
{
    x86_halt(env);
}

/* ---- bit operations ---- */

/* BT BTS BTR BTC (kind 0-3): CF = the bit; returns the updated value. */
uint64_t helper_bt(CPUX86State *env, uint64_t kind, uint64_t val, uint64_t bit)
{
    uint64_t m = 1ull << (bit & 63);
    uint32_t f = x86_cc_compute(env) & ~(uint32_t)CC_C;
    if (val & m) {
        f |= CC_C;
    }
    set_arith(env, f);
    switch (kind) {
    case 1: return val | m;
    case 2: return val & ~m;
    case 3: return val ^ m;
    default: return val;
    }
}

/* BSF/BSR (is_rev): ZF = source zero, destination kept then (SDM: undefined,
 * real CPUs keep it). */
uint64_t helper_bsf(CPUX86State *env, uint64_t is_rev, uint64_t lg, uint64_t src,
                    uint64_t old)
{
    uint32_t f = x86_cc_compute(env) & ~(uint32_t)CC_Z;
    src &= sz_mask(lg);
    if (!src) {
        set_arith(env, f | CC_Z);
        return old;
    }
    set_arith(env, f);
    return is_rev ? 63 - __builtin_clzll(src) : __builtin_ctzll(src);
}

/* SHLD/SHRD: shift dst, filling from src. */
uint64_t helper_shld(CPUX86State *env, uint64_t is_right, uint64_t lg, uint64_t dst,
                     uint64_t src, uint64_t count)
{
    int bits = 8 << lg;
    uint64_t m = sz_mask(lg), sb = sz_sign(lg), res;
    bool cf;
    uint32_t f;

    count &= lg == 3 ? 63 : 31;
    dst &= m;
    src &= m;
    if (!count) {
        return dst;
    }
    if (lg == 1 && count > 16) {
        /* Undefined for 16-bit operands; behave like a 32-bit double shift. */
        count &= 15;
        if (!count) {
            return dst;
        }
    }
    if (!is_right) {
        res = ((dst << count) | (count == (uint64_t)bits ? src
               : src >> (bits - count))) & m;
        cf = (dst >> (bits - count)) & 1;
    } else {
        res = ((dst >> count) | (src << (bits - count))) & m;
        cf = (dst >> (count - 1)) & 1;
    }
    f = flags_szp(res, lg) | (cf ? CC_C : 0);
    if (!!(res & sb) != !!(dst & sb)) {
        f |= CC_O;
    }
    set_arith(env, f);
    return res;
}

/* CMPXCHG8B/16B m64: compare EDX:EAX, ZF = equal (lg 3: 8 bytes, 4: 16 bytes). */
void helper_cmpxchg8b(CPUX86State *env, uint64_t addr, uint64_t lg)
{
    uintptr_t ra = RA(env);
    uint32_t f = x86_cc_compute(env) & ~(uint32_t)CC_Z;
    if (lg == 3) {
        uint64_t v = x86_ld(env, addr, 8, ra);
        uint64_t cmp = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
        if (v == cmp) {
            x86_st(env, addr, (env->regs[R_ECX] << 32) | (uint32_t)env->regs[R_EBX], 8,
                   ra);
            f |= CC_Z;
        } else {
            x86_st(env, addr, v, 8, ra);
            env->regs[R_EAX] = (uint32_t)v;
            env->regs[R_EDX] = v >> 32;
        }
    } else {
        uint64_t lo = x86_ld(env, addr, 8, ra), hi = x86_ld(env, addr + 8, 8, ra);
        if (lo == env->regs[R_EAX] && hi == env->regs[R_EDX]) {
            x86_st(env, addr, env->regs[R_EBX], 8, ra);
            x86_st(env, addr + 8, env->regs[R_ECX], 8, ra);
            f |= CC_Z;
        } else {
            x86_st(env, addr, lo, 8, ra);
            env->regs[R_EAX] = lo;
            env->regs[R_EDX] = hi;
        }
    }
    set_arith(env, f);
}

/*
 * Decimal adjust (SDM Vol 2 DAA, DAS, AAA, AAS, AAM, AAD): op is the
 * mnemonic's first opcode byte (27, 2F, 37, 3F, D4, D5), imm the base for
 * AAM/AAD. Flags the SDM leaves undefined come out as the arithmetic they
 * are computed from would set them (SF/ZF/PF from AL, OF clear).
 */
void helper_bcd(CPUX86State *env, uint64_t op, uint64_t imm)
{
    uint32_t f = x86_cc_compute(env);
    uint8_t al = env->regs[R_EAX], ah = env->regs[R_EAX] >> 8, old_al = al;
    bool cf = f & CC_C, af = f & CC_A;
    uint16_t ax;

    switch (op) {
    case 0x27: /* DAA */
    case 0x2f: /* DAS */
        f = 0;
        if ((al & 0xf) > 9 || af) {
            bool carry = op == 0x27 ? al > 0xf9 : al < 6;
            al = op == 0x27 ? al + 6 : al - 6;
            f |= CC_A | (cf || carry ? CC_C : 0);
        }
        if (old_al > 0x99 || cf) {
            al = op == 0x27 ? al + 0x60 : al - 0x60;
            f |= CC_C;
        }
        f |= flags_szp(al, 0);
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffull) | al;
        break;
    case 0x37: /* AAA */
    case 0x3f: /* AAS */
        ax = env->regs[R_EAX];
        if ((al & 0xf) > 9 || af) {
            /* AAA: AX + 106H; AAS: AX - 6, then AH - 1 (the borrow out of AL
             * reaches AH too). */
            ax = op == 0x37 ? ax + 0x106 : ax - 6 - 0x100;
            f = CC_A | CC_C;
        } else {
            f = 0;
        }
        ax &= 0xff0f;
        f |= flags_szp(ax & 0xff, 0);
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | ax;
        break;
    case 0xd4: /* AAM */
        if ((imm & 0xff) == 0) {
            raise_de(env, GETPC());
        }
        ah = al / (uint8_t)imm;
        al = al % (uint8_t)imm;
        f = flags_szp(al, 0);
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | ((uint16_t)ah << 8) | al;
        break;
    default: /* AAD */
        al = (uint8_t)(al + ah * (uint8_t)imm);
        f = flags_szp(al, 0);
        env->regs[R_EAX] = (env->regs[R_EAX] & ~0xffffull) | al;
        break;
    }
    set_arith(env, f);
}

/* ADCX (CF) and ADOX (OF): add with carry through one flag, leave the rest. */
uint64_t helper_adx(CPUX86State *env, uint64_t use_of, uint64_t lg, uint64_t a,
                    uint64_t b)
{
    uint64_t m = sz_mask(lg), flag = use_of ? CC_O : CC_C;
    uint64_t fl = x86_get_eflags(env);
    uint64_t cin = (fl & flag) ? 1 : 0, r;
    bool cout;

    a &= m;
    b &= m;
    r = (a + b + cin) & m;
    cout = cin ? r <= a : r < a;
    x86_set_eflags(env, cout ? flag : 0, flag);
    return r;
}

/* The debug register MOV n names: DR4/DR5 are DR6/DR7 without CR4.DE and
 * #UD with it (SDM Vol 3 §18.2.2); CPL > 0 is #GP(0). */
static int dr_index(CPUX86State *env, int n, uintptr_t ra)
{
    if (x86_cpl(env) != 0) {
        x86_raise(env, 13, 0, tcg_helper_retaddr(x86_tcg_ctx(env), ra));
    }
    if (n == 4 || n == 5) {
        if (env->cr[4] & CR4_DE) {
            x86_raise(env, 6, 0, tcg_helper_retaddr(x86_tcg_ctx(env), ra));
        }
        n += 2;
    }
    return n;
}

/* n | 0x100: a write (the flag keeps one helper signature for both). */
void helper_mov_dr(CPUX86State *env, uint64_t n, uint64_t v)
{
    int i = dr_index(env, n & 7, GETPC());
    if (i == 6) {
        v = (v & 0x1e00f) | 0xffff0ff0;     /* reserved bits read as 1/0 */
    } else if (i == 7) {
        v = (v & 0xffff2bff) | 0x400;
    }
    if (i >= 6 && (env->efer & EFER_LMA) && (v >> 32)) {
        x86_raise(env, 13, 0, tcg_helper_retaddr(x86_tcg_ctx(env), GETPC()));
    }
    env->dr[i] = v;
}

uint64_t helper_mov_dr_read(CPUX86State *env, uint64_t n)
{
    return env->dr[dr_index(env, n & 7, GETPC())];
}

/* LZCNT (SDM Vol 2A): leading zero bits of the operand, its width when it is
 * zero; CF = source was zero, ZF = result is zero, the rest undefined (0). */
uint64_t helper_lzcnt(CPUX86State *env, uint64_t lg, uint64_t src)
{
    int bits = 8 << lg;
    uint64_t r;

    src &= sz_mask(lg);
    r = src ? (uint64_t)(__builtin_clzll(src) - (64 - bits)) : (uint64_t)bits;
    set_arith(env, (src ? 0 : CC_C) | (r ? 0 : CC_Z));
    return r;
}
