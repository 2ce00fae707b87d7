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

    if (kind == CC_K_EFLAGS || kind > CC_K_DEC) {
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
    machine_lock(m);
    v = ioport_read(&m->io, port & 0xffff, 1u << lg);
    machine_unlock(m);
    return v;
}

void helper_out(CPUX86State *env, uint64_t port, uint64_t lg, uint64_t val)
{
    Machine *m = env_cpu(env)->machine;
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
    uint32_t leaf = env->regs[R_EAX], a = 0, b = 0, c = 0, d = 0;
    CPUState *cpu = env_cpu(env);

    switch (leaf) {
    case 0:
        a = 1;
        b = 0x756e6547; d = 0x49656e69; c = 0x6c65746e;  /* GenuineIntel */
        break;
    case 1: {
        uint32_t n = cpu->machine ? (uint32_t)cpu->machine->ncpus : 1;
        a = 0x000206a0;            /* family 6 */
        b = (uint32_t)cpu->index << 24 | (n & 0xff) << 16;
        c = 1u << 31;              /* running under a hypervisor */
        /* FPU DE PSE TSC MSR PAE CX8 PGE CMOV: what the translator implements or
         * ignores safely; HTT with more than one logical processor. */
        d = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) |
            (1u << 8) | (1u << 13) | (1u << 15) | (n > 1 ? 1u << 28 : 0);
        if (cpu->apic) {
            /* APIC (EDX 9) and the TSC-deadline timer (ECX 24) when the board
             * wired a local APIC to this CPU (hw/intc/lapic.c). */
            d |= 1u << 9;
            c |= 1u << 24;
        }
        break;
    }
    case 0x40000000:
        /* Hypervisor leaf: signature "TCGTCGTCGTCG" in EBX ECX EDX. */
        a = 0x40000000;
        b = 0x54474354u;
        c = 0x43544743u;
        d = 0x47435447u;
        break;
    case 0x80000000:
        a = 0x80000001;
        break;
    case 0x80000001:
        d = (1u << 29) | (1u << 20);   /* LM, NX */
        break;
    default:
        break;
    }
    env->regs[R_EAX] = a;
    env->regs[R_EBX] = b;
    env->regs[R_ECX] = c;
    env->regs[R_EDX] = d;
}

/* The TSC runs at 1 GHz on the machine's virtual clock (it stops while the
 * machine is paused); env->tsc is the offset a WRMSR to IA32_TSC sets. The
 * local APIC's TSC-deadline timer compares against the same value (the board's
 * read_tsc hook). */
static uint64_t cpu_tsc(CPUX86State *env)
{
    CPUState *cpu = env_cpu(env);
    int64_t now = cpu->machine ? clock_ns(&cpu->machine->timers.clock)
                               : (int64_t)g_get_monotonic_time() * 1000;
    return (uint64_t)now + env->tsc;
}

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
    uint64_t t = cpu_tsc(env);
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
    case MSR_IA32_TSC: v = cpu_tsc(env); break;
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
    default:
        x86_raise(env, 13, 0, RA(env));
    }
    env->regs[R_EAX] = (uint32_t)v;
    env->regs[R_EDX] = v >> 32;
}

void helper_wrmsr(CPUX86State *env)
{
    uint32_t idx = env->regs[R_ECX];
    uint64_t v = (env->regs[R_EDX] << 32) | (uint32_t)env->regs[R_EAX];
    if (env_cpu(env)->apic && is_apic_msr(idx)) {
        if (!apic_msr(env, idx, true, &v)) {
            x86_raise(env, 13, 0, RA(env));
        }
        return;
    }
    switch (idx) {
    case MSR_IA32_TSC:
        env->tsc = 0;
        env->tsc = v - cpu_tsc(env);
        break;
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
    default:
        x86_raise(env, 13, 0, RA(env));
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
        env->cr[3] = v;
        break;
    case 4:
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
    return f;
}

/* Read the descriptor for sel from the GDT/LDT: #GP(sel) past the limit. */
static uint64_t read_descriptor(CPUX86State *env, uint32_t sel, uintptr_t ra)
{
    uint64_t base, limit;
    if (sel & 4) {
        base = env->ldt.base;
        limit = env->ldt.limit;
    } else {
        base = env->gdt.base;
        limit = env->gdt.limit;
    }
    if ((sel & ~7u) + 7 > limit) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    return x86_ld(env, base + (sel & ~7u), 8, ra);
}

static void cache_from_desc(SegmentCache *sc, uint32_t sel, uint64_t d)
{
    uint32_t lo = (uint32_t)d, hi = d >> 32;
    uint32_t limit = (lo & 0xffff) | (hi & 0xf0000);
    if (hi & DESC_G_MASK) {
        limit = (limit << 12) | 0xfff;
    }
    sc->selector = sel;
    sc->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
    sc->limit = limit;
    sc->flags = hi & 0x00f0ff00u;
}

static void load_seg(CPUX86State *env, int seg, uint32_t sel, uintptr_t ra)
{
    SegmentCache *sc = &env->segs[seg];
    bool lm64 = (env->efer & EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK);

    sel &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->rflags & VM_MASK)) {
        sc->selector = sel;
        sc->base = (uint64_t)sel << 4;
        return;
    }
    if ((sel & ~3u) == 0) {
        if (seg == R_SS && !(lm64 && x86_cpl(env) != 3)) {
            x86_raise(env, 13, 0, ra);
        }
        sc->selector = sel;
        sc->base = 0;
        sc->limit = 0;
        sc->flags = 0;
        return;
    }
    uint64_t d = read_descriptor(env, sel, ra);
    uint32_t hi = d >> 32;
    if (!(hi & DESC_S_MASK)) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    if (seg == R_SS) {
        if ((hi & DESC_CS_MASK) || !(hi & DESC_W_MASK)) {
            x86_raise(env, 13, sel & ~3u, ra);
        }
    } else if ((hi & DESC_CS_MASK) && !(hi & DESC_R_MASK)) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise(env, seg == R_SS ? 12 : 11, sel & ~3u, ra);
    }
    cache_from_desc(sc, sel, d);
}

void helper_load_seg(CPUX86State *env, uint64_t seg, uint64_t sel)
{
    load_seg(env, seg, sel, RA(env));
}

/* Load CS for a far transfer (same privilege only). */
static void load_cs(CPUX86State *env, uint32_t sel, uintptr_t ra)
{
    sel &= 0xffff;
    if (!(env->cr[0] & CR0_PE) || (env->rflags & VM_MASK)) {
        env->segs[R_CS].selector = sel;
        env->segs[R_CS].base = (uint64_t)sel << 4;
        return;
    }
    if ((sel & ~3u) == 0) {
        x86_raise(env, 13, 0, ra);
    }
    uint64_t d = read_descriptor(env, sel, ra);
    uint32_t hi = d >> 32;
    if (!(hi & DESC_S_MASK) || !(hi & DESC_CS_MASK)) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise(env, 11, sel & ~3u, ra);
    }
    int cpl = x86_cpl(env);
    cache_from_desc(&env->segs[R_CS], (sel & ~3u) | (uint32_t)cpl, d);
}

void helper_ljmp(CPUX86State *env, uint64_t sel, uint64_t off)
{
    load_cs(env, sel, RA(env));
    env->rip = off;
}

/* ---- stack from C ---- */

static int stack_lg(CPUX86State *env)
{
    if ((env->efer & EFER_LMA) && (env->segs[R_CS].flags & DESC_L_MASK)) {
        return 3;
    }
    return (env->segs[R_SS].flags & DESC_B_MASK) && (env->cr[0] & CR0_PE) ? 2 : 1;
}

static void push(CPUX86State *env, uint64_t v, int size, uintptr_t ra)
{
    int slg = stack_lg(env);
    uint64_t am = sz_mask(slg);
    uint64_t sp = (env->regs[R_ESP] - size) & am;
    x86_st(env, seg_linear(env, R_SS, sp, slg == 3), v, size, ra);
    reg_write_masked(env, R_ESP, sp, am);
}

static uint64_t pop(CPUX86State *env, int size, uintptr_t ra)
{
    int slg = stack_lg(env);
    uint64_t am = sz_mask(slg);
    uint64_t sp = env->regs[R_ESP] & am;
    uint64_t v = x86_ld(env, seg_linear(env, R_SS, sp, slg == 3), size, ra);
    reg_write_masked(env, R_ESP, sp + size, am);
    return v;
}

void helper_lcall(CPUX86State *env, uint64_t sel, uint64_t off, uint64_t lg,
                  uint64_t next)
{
    uintptr_t ra = RA(env);
    uint16_t old_cs = env->segs[R_CS].selector;
    SegmentCache save = env->segs[R_CS];
    int size = 1 << lg;
    load_cs(env, sel, ra);
    SegmentCache ncs = env->segs[R_CS];
    env->segs[R_CS] = save;             /* push with the old stack view */
    push(env, old_cs, size, ra);
    push(env, next, size, ra);
    env->segs[R_CS] = ncs;
    env->rip = off;
}

void helper_lret(CPUX86State *env, uint64_t lg, uint64_t imm)
{
    uintptr_t ra = RA(env);
    int size = 1 << lg;
    uint64_t ip = pop(env, size, ra);
    uint64_t cs = pop(env, size, ra);
    env->regs[R_ESP] += imm;
    load_cs(env, cs, ra);
    env->rip = ip;
}

/* IRET (same privilege, or to CPL 3 / in long mode with SS:RSP popped). */
void helper_iret(CPUX86State *env, uint64_t lg)
{
    uintptr_t ra = RA(env);
    env_cpu(env)->nmi_blocked = false;  /* IRET ends NMI blocking (SDM Vol 3 §6.7.1) */
    int size = 1 << lg;
    bool lm = env->efer & EFER_LMA;
    uint64_t ip = pop(env, size, ra);
    uint64_t cs = pop(env, size, ra) & 0xffff;
    uint64_t fl = pop(env, size, ra);
    uint64_t mask = size == 2 ? 0xffff : 0x3f7fd5;

    if (!(env->cr[0] & CR0_PE)) {
        load_cs(env, cs, ra);
        env->rip = ip;
        x86_set_eflags(env, fl, mask & 0xffff);
        return;
    }
    if (lm && size == 8) {
        uint64_t sp = pop(env, 8, ra), ss = pop(env, 8, ra);
        load_cs(env, cs, ra);
        env->segs[R_CS].selector = cs;
        env->regs[R_ESP] = sp;
        if ((ss & ~3u) == 0) {
            env->segs[R_SS].selector = ss;
        } else {
            load_seg(env, R_SS, ss, ra);
        }
    } else {
        load_cs(env, cs, ra);
        env->segs[R_CS].selector = cs;
        if ((cs & 3) > 0) {
            uint64_t sp = pop(env, size, ra), ss = pop(env, size, ra);
            load_seg(env, R_SS, ss, ra);
            env->regs[R_ESP] = sp;
        }
    }
    env->rip = ip;
    x86_set_eflags(env, fl, mask);
}

/* ---- interrupts ---- */

bool x86_exception_has_error(int vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

void x86_do_interrupt(CPUX86State *env, int vec, bool is_soft, bool has_err,
                      uint32_t err, uint64_t next_eip)
{
    uint64_t ret_ip = is_soft ? next_eip : env->rip;
    uint64_t fl = x86_get_eflags(env);

    if (!(env->cr[0] & CR0_PE)) {
        if ((uint32_t)vec * 4 + 3 > env->idt.limit) {
            x86_raise(env, 13, vec * 8 + 2, 0);
        }
        uint64_t ent = x86_ld(env, env->idt.base + vec * 4, 4, 0);
        push(env, fl & 0xffff, 2, 0);
        push(env, env->segs[R_CS].selector, 2, 0);
        push(env, ret_ip & 0xffff, 2, 0);
        load_cs(env, ent >> 16, 0);
        env->rip = ent & 0xffff;
        env->rflags = fl & ~(uint64_t)(IF_MASK | TF_MASK | AC_MASK | RF_MASK);
        env->cc_op = CC_OP_EFLAGS;
        return;
    }

    bool lm = env->efer & EFER_LMA;
    int gsz = lm ? 16 : 8;
    if ((uint32_t)vec * gsz + gsz - 1 > env->idt.limit) {
        x86_raise(env, 13, vec * 8 + 2, 0);
    }
    uint64_t lo = x86_ld(env, env->idt.base + vec * gsz, 8, 0);
    uint64_t off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ull);
    uint32_t sel = (lo >> 16) & 0xffff;
    int type = (lo >> 40) & 15, dpl = (lo >> 45) & 3;
    if (lm) {
        off |= x86_ld(env, env->idt.base + vec * gsz + 8, 4, 0) << 32;
    }
    if (!((lo >> 47) & 1)) {
        x86_raise(env, 11, vec * 8 + 2, 0);
    }
    if (is_soft && dpl < x86_cpl(env)) {
        x86_raise(env, 13, vec * 8 + 2, 0);
    }
    bool gate32 = type & 8;
    if ((type & 7) != 6 && (type & 7) != 7) {
        x86_raise(env, 13, vec * 8 + 2, 0);
    }
    uint16_t old_cs = env->segs[R_CS].selector;
    uint64_t old_ss = env->segs[R_SS].selector, old_sp = env->regs[R_ESP];
    SegmentCache save = env->segs[R_CS];
    load_cs(env, sel, 0);
    SegmentCache ncs = env->segs[R_CS];
    env->segs[R_CS] = save;
    if (lm) {
        /* 64-bit frame: always SS:RSP, RSP aligned to 16 (SDM Vol 3 §6.14.2). */
        env->segs[R_CS] = ncs;
        env->regs[R_ESP] &= ~15ull;
        push(env, old_ss, 8, 0);
        push(env, old_sp, 8, 0);
        push(env, fl, 8, 0);
        push(env, old_cs, 8, 0);
        push(env, ret_ip, 8, 0);
        if (has_err) {
            push(env, err, 8, 0);
        }
    } else {
        int size = gate32 ? 4 : 2;
        push(env, fl, size, 0);
        push(env, old_cs, size, 0);
        push(env, ret_ip, size, 0);
        if (has_err) {
            push(env, err, size, 0);
        }
        env->segs[R_CS] = ncs;
    }
    env->rip = off;
    fl &= ~(uint64_t)(TF_MASK | NT_MASK | RF_MASK | VM_MASK);
    if (!(type & 1)) {
        fl &= ~(uint64_t)IF_MASK;
    }
    env->rflags = fl;
    env->cc_op = CC_OP_EFLAGS;
}

/* INT n / INT3 / UD2-style raises from generated code: state is exact (rip set). */
void helper_raise(CPUX86State *env, uint64_t vec)
{
    x86_raise(env, vec, 0, 0);
}

void helper_int(CPUX86State *env, uint64_t vec, uint64_t next)
{
    /* Delivered right here; the loop resumes at the handler. */
    x86_do_interrupt(env, vec, true, false, 0, next);
    x86_raise(env, EXCP_EXIT, 0, 0);
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

/* LLDT (which 0) / LTR (which 1): system descriptors, 16 bytes in long mode. */
void helper_load_sysseg(CPUX86State *env, uint64_t which, uint64_t sel)
{
    uintptr_t ra = RA(env);
    SegmentCache *sc = which ? &env->tr : &env->ldt;
    bool lm = env->efer & EFER_LMA;

    sel &= 0xffff;
    if ((sel & ~3u) == 0) {
        if (which) {
            x86_raise(env, 13, 0, ra);
        }
        memset(sc, 0, sizeof(*sc));
        return;
    }
    if (sel & 4) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    if ((sel & ~7u) + (lm ? 15 : 7) > env->gdt.limit) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    uint64_t daddr = env->gdt.base + (sel & ~7u);
    uint64_t d = x86_ld(env, daddr, 8, ra);
    uint32_t hi = d >> 32, type = (hi >> 8) & 15;
    if ((hi & DESC_S_MASK) || (which ? (type != 9 && type != 1) : type != 2)) {
        x86_raise(env, 13, sel & ~3u, ra);
    }
    if (!(hi & DESC_P_MASK)) {
        x86_raise(env, 11, sel & ~3u, ra);
    }
    cache_from_desc(sc, sel, d);
    if (lm) {
        sc->base |= x86_ld(env, daddr + 8, 4, ra) << 32;
    }
    if (which) {
        /* Mark the TSS busy, in memory and in the cache. */
        x86_st(env, daddr + 4, hi | (2u << 8), 4, ra);
        sc->flags |= 2u << 8;
    }
}
