/*
 * simd-helper.c: integer MMX, SSE2, SSSE3, SSE4.1 and SSE4.2 operations for
 * the translator (SDM Vol 1 ch. 9-12 for the model, Vol 2 instruction pages
 * for each operation; §4.1 of Vol 2B for the PCMPxSTRx string compares).
 *
 * Each operation is a lane loop over a local copy of its operands, so a
 * destination that is also the source (or overlaps it) reads the old value,
 * as the hardware does. Lanes are little-endian, like the guest's memory.
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/decode.h"
#include "target-x86/simd-helper.h"

#define GETPC() ((uintptr_t)__builtin_return_address(0))
#define RA(env) tcg_helper_retaddr(x86_tcg_ctx(env), GETPC())

typedef union Vec {
    uint8_t b[16];
    int8_t sb[16];
    uint16_t w[8];
    int16_t sw[8];
    uint32_t l[4];
    int32_t sl[4];
    uint64_t q[2];
    int64_t sq[2];
} Vec;

/* Copy `size` bytes of an operand out of env; the rest reads as zero. */
static void vec_get(Vec *v, CPUX86State *env, uint64_t off, int size)
{
    memset(v, 0, sizeof(*v));
    memcpy(v, (char *)env + off, size);
}

static void vec_put(CPUX86State *env, uint64_t off, const Vec *v, int size)
{
    memcpy((char *)env + off, v, size);
}

static inline int8_t sat_s8(int v)
{
    return v > 127 ? 127 : v < -128 ? -128 : v;
}

static inline uint8_t sat_u8(int v)
{
    return v > 255 ? 255 : v < 0 ? 0 : v;
}

static inline int16_t sat_s16(int v)
{
    return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

static inline uint16_t sat_u16(int v)
{
    return v > 65535 ? 65535 : v < 0 ? 0 : v;
}

/* PUNPCKL/H: interleave the low (hi = false) or high halves, elements of
 * esz bytes, dst element first. */
static void unpack(Vec *r, const Vec *a, const Vec *b, int n, int esz, bool hi)
{
    int k = n / esz / 2;
    int base = hi ? k * esz : 0;
    for (int i = 0; i < k; i++) {
        memcpy(&r->b[2 * i * esz], &a->b[base + i * esz], esz);
        memcpy(&r->b[(2 * i + 1) * esz], &b->b[base + i * esz], esz);
    }
}

/* Logical/arithmetic shifts of every esz-byte lane by count (>= width:
 * zero, or the sign for an arithmetic shift). kind: 0 right logical, 1 right
 * arithmetic, 2 left. */
static void shift_lanes(Vec *r, const Vec *a, int n, int esz, uint64_t count, int kind)
{
    int bits = esz * 8;
    for (int i = 0; i < n / esz; i++) {
        uint64_t v = 0;
        int64_t sv;
        memcpy(&v, &a->b[i * esz], esz);
        if (kind == 1) {
            sv = (int64_t)(v << (64 - bits)) >> (64 - bits);
            v = count >= (uint64_t)bits ? (uint64_t)(sv >> (bits - 1))
                                        : (uint64_t)(sv >> count);
        } else if (count >= (uint64_t)bits) {
            v = 0;
        } else {
            v = kind == 2 ? v << count : v >> count;
        }
        memcpy(&r->b[i * esz], &v, esz);
    }
}

static uint64_t clmul64(uint64_t a, uint64_t b, uint64_t *hi)
{
    uint64_t lo = 0, h = 0;
    for (int i = 0; i < 64; i++) {
        if (b >> i & 1) {
            lo ^= a << i;
            h ^= i ? a >> (64 - i) : 0;
        }
    }
    *hi = h;
    return lo;
}

void helper_simd_op(CPUX86State *env, uint64_t mnem, uint64_t dst, uint64_t src,
                    uint64_t size, uint64_t imm)
{
    int n = size;
    Vec a, b, r;

    vec_get(&a, env, dst, n);
    vec_get(&b, env, src, n);
    memset(&r, 0, sizeof(r));

    switch (mnem) {
    /* ---- add/subtract (wrapping, then saturating) ---- */
    case X86_M_PADDB: for (int i = 0; i < n; i++) r.b[i] = a.b[i] + b.b[i]; break;
    case X86_M_PADDW: for (int i = 0; i < n / 2; i++) r.w[i] = a.w[i] + b.w[i]; break;
    case X86_M_PADDD: for (int i = 0; i < n / 4; i++) r.l[i] = a.l[i] + b.l[i]; break;
    case X86_M_PADDQ: for (int i = 0; i < n / 8; i++) r.q[i] = a.q[i] + b.q[i]; break;
    case X86_M_PSUBB: for (int i = 0; i < n; i++) r.b[i] = a.b[i] - b.b[i]; break;
    case X86_M_PSUBW: for (int i = 0; i < n / 2; i++) r.w[i] = a.w[i] - b.w[i]; break;
    case X86_M_PSUBD: for (int i = 0; i < n / 4; i++) r.l[i] = a.l[i] - b.l[i]; break;
    case X86_M_PSUBQ: for (int i = 0; i < n / 8; i++) r.q[i] = a.q[i] - b.q[i]; break;
    case X86_M_PADDSB:
        for (int i = 0; i < n; i++) r.sb[i] = sat_s8(a.sb[i] + b.sb[i]);
        break;
    case X86_M_PADDSW:
        for (int i = 0; i < n / 2; i++) r.sw[i] = sat_s16(a.sw[i] + b.sw[i]);
        break;
    case X86_M_PSUBSB:
        for (int i = 0; i < n; i++) r.sb[i] = sat_s8(a.sb[i] - b.sb[i]);
        break;
    case X86_M_PSUBSW:
        for (int i = 0; i < n / 2; i++) r.sw[i] = sat_s16(a.sw[i] - b.sw[i]);
        break;
    case X86_M_PADDUSB:
        for (int i = 0; i < n; i++) r.b[i] = sat_u8(a.b[i] + b.b[i]);
        break;
    case X86_M_PADDUSW:
        for (int i = 0; i < n / 2; i++) r.w[i] = sat_u16(a.w[i] + b.w[i]);
        break;
    case X86_M_PSUBUSB:
        for (int i = 0; i < n; i++) r.b[i] = sat_u8(a.b[i] - b.b[i]);
        break;
    case X86_M_PSUBUSW:
        for (int i = 0; i < n / 2; i++) r.w[i] = sat_u16(a.w[i] - b.w[i]);
        break;

    /* ---- compares ---- */
    case X86_M_PCMPEQB: for (int i = 0; i < n; i++) r.b[i] = -(a.b[i] == b.b[i]); break;
    case X86_M_PCMPEQW: for (int i = 0; i < n / 2; i++) r.w[i] = -(a.w[i] == b.w[i]); break;
    case X86_M_PCMPEQD: for (int i = 0; i < n / 4; i++) r.l[i] = -(a.l[i] == b.l[i]); break;
    case X86_M_PCMPEQQ:
        for (int i = 0; i < n / 8; i++) r.q[i] = -(uint64_t)(a.q[i] == b.q[i]);
        break;
    case X86_M_PCMPGTB: for (int i = 0; i < n; i++) r.b[i] = -(a.sb[i] > b.sb[i]); break;
    case X86_M_PCMPGTW:
        for (int i = 0; i < n / 2; i++) r.w[i] = -(a.sw[i] > b.sw[i]);
        break;
    case X86_M_PCMPGTD:
        for (int i = 0; i < n / 4; i++) r.l[i] = -(a.sl[i] > b.sl[i]);
        break;
    case X86_M_PCMPGTQ:
        for (int i = 0; i < n / 8; i++) r.q[i] = -(uint64_t)(a.sq[i] > b.sq[i]);
        break;

    /* ---- min/max/average/absolute ---- */
    case X86_M_PMINUB: for (int i = 0; i < n; i++) r.b[i] = MIN(a.b[i], b.b[i]); break;
    case X86_M_PMAXUB: for (int i = 0; i < n; i++) r.b[i] = MAX(a.b[i], b.b[i]); break;
    case X86_M_PMINSB: for (int i = 0; i < n; i++) r.sb[i] = MIN(a.sb[i], b.sb[i]); break;
    case X86_M_PMAXSB: for (int i = 0; i < n; i++) r.sb[i] = MAX(a.sb[i], b.sb[i]); break;
    case X86_M_PMINSW:
        for (int i = 0; i < n / 2; i++) r.sw[i] = MIN(a.sw[i], b.sw[i]);
        break;
    case X86_M_PMAXSW:
        for (int i = 0; i < n / 2; i++) r.sw[i] = MAX(a.sw[i], b.sw[i]);
        break;
    case X86_M_PMINUW: for (int i = 0; i < n / 2; i++) r.w[i] = MIN(a.w[i], b.w[i]); break;
    case X86_M_PMAXUW: for (int i = 0; i < n / 2; i++) r.w[i] = MAX(a.w[i], b.w[i]); break;
    case X86_M_PMINSD:
        for (int i = 0; i < n / 4; i++) r.sl[i] = MIN(a.sl[i], b.sl[i]);
        break;
    case X86_M_PMAXSD:
        for (int i = 0; i < n / 4; i++) r.sl[i] = MAX(a.sl[i], b.sl[i]);
        break;
    case X86_M_PMINUD: for (int i = 0; i < n / 4; i++) r.l[i] = MIN(a.l[i], b.l[i]); break;
    case X86_M_PMAXUD: for (int i = 0; i < n / 4; i++) r.l[i] = MAX(a.l[i], b.l[i]); break;
    case X86_M_PAVGB:
        for (int i = 0; i < n; i++) r.b[i] = (a.b[i] + b.b[i] + 1) >> 1;
        break;
    case X86_M_PAVGW:
        for (int i = 0; i < n / 2; i++) r.w[i] = (a.w[i] + b.w[i] + 1) >> 1;
        break;
    case X86_M_PABSB: for (int i = 0; i < n; i++) r.b[i] = abs(b.sb[i]); break;
    case X86_M_PABSW: for (int i = 0; i < n / 2; i++) r.w[i] = abs(b.sw[i]); break;
    case X86_M_PABSD:
        for (int i = 0; i < n / 4; i++) r.l[i] = b.sl[i] < 0 ? -(uint32_t)b.sl[i] : b.l[i];
        break;
    case X86_M_PSIGNB:
        for (int i = 0; i < n; i++) r.b[i] = b.sb[i] < 0 ? -a.b[i] : b.sb[i] ? a.b[i] : 0;
        break;
    case X86_M_PSIGNW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = b.sw[i] < 0 ? -a.w[i] : b.sw[i] ? a.w[i] : 0;
        }
        break;
    case X86_M_PSIGND:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = b.sl[i] < 0 ? -a.l[i] : b.sl[i] ? a.l[i] : 0;
        }
        break;
    case X86_M_PSADBW:
        for (int g = 0; g < n / 8; g++) {
            unsigned sum = 0;
            for (int i = 0; i < 8; i++) {
                sum += abs(a.b[g * 8 + i] - b.b[g * 8 + i]);
            }
            r.q[g] = sum;
        }
        break;
    case X86_M_MPSADBW: {
        int so = (imm & 3) * 4, dof = (imm >> 2 & 1) * 4;
        for (int i = 0; i < 8; i++) {
            unsigned sum = 0;
            for (int j = 0; j < 4; j++) {
                sum += abs(a.b[dof + i + j] - b.b[so + j]);
            }
            r.w[i] = sum;
        }
        break;
    }
    case X86_M_PHMINPOSUW: {
        int best = 0;
        for (int i = 1; i < 8; i++) {
            if (b.w[i] < b.w[best]) {
                best = i;
            }
        }
        r.w[0] = b.w[best];
        r.w[1] = best;
        break;
    }

    /* ---- multiplies ---- */
    case X86_M_PMULLW:
        for (int i = 0; i < n / 2; i++) r.w[i] = (uint32_t)(a.sw[i] * b.sw[i]);
        break;
    case X86_M_PMULHW:
        for (int i = 0; i < n / 2; i++) r.w[i] = (uint32_t)(a.sw[i] * b.sw[i]) >> 16;
        break;
    case X86_M_PMULHUW:
        for (int i = 0; i < n / 2; i++) r.w[i] = ((uint32_t)a.w[i] * b.w[i]) >> 16;
        break;
    case X86_M_PMULHRSW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = (uint32_t)((((int32_t)a.sw[i] * b.sw[i]) >> 14) + 1) >> 1;
        }
        break;
    case X86_M_PMULLD:
        for (int i = 0; i < n / 4; i++) r.l[i] = a.l[i] * b.l[i];
        break;
    case X86_M_PMULUDQ:
        for (int i = 0; i < n / 8; i++) r.q[i] = (uint64_t)a.l[2 * i] * b.l[2 * i];
        break;
    case X86_M_PMULDQ:
        for (int i = 0; i < n / 8; i++) {
            r.sq[i] = (int64_t)a.sl[2 * i] * b.sl[2 * i];
        }
        break;
    case X86_M_PMADDWD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = (uint32_t)(a.sw[2 * i] * b.sw[2 * i]) +
                     (uint32_t)(a.sw[2 * i + 1] * b.sw[2 * i + 1]);
        }
        break;
    case X86_M_PMADDUBSW:
        for (int i = 0; i < n / 2; i++) {
            r.sw[i] = sat_s16(a.b[2 * i] * b.sb[2 * i] + a.b[2 * i + 1] * b.sb[2 * i + 1]);
        }
        break;
    case X86_M_PCLMULQDQ: {
        uint64_t hi;
        r.q[0] = clmul64(a.q[imm & 1], b.q[imm >> 4 & 1], &hi);
        r.q[1] = hi;
        break;
    }

    /* ---- horizontal ---- */
    case X86_M_PHADDW: case X86_M_PHSUBW: case X86_M_PHADDSW: case X86_M_PHSUBSW: {
        int k = n / 4;
        for (int i = 0; i < 2 * k; i++) {
            const Vec *v = i < k ? &a : &b;
            int j = (i % k) * 2, x;
            x = mnem == X86_M_PHADDW || mnem == X86_M_PHADDSW
                ? v->sw[j] + v->sw[j + 1] : v->sw[j] - v->sw[j + 1];
            r.w[i] = mnem == X86_M_PHADDSW || mnem == X86_M_PHSUBSW ? (uint16_t)sat_s16(x)
                                                                   : (uint16_t)x;
        }
        break;
    }
    case X86_M_PHADDD: case X86_M_PHSUBD: {
        int k = n / 8;
        for (int i = 0; i < 2 * k; i++) {
            const Vec *v = i < k ? &a : &b;
            int j = (i % k) * 2;
            r.l[i] = mnem == X86_M_PHADDD ? v->l[j] + v->l[j + 1] : v->l[j] - v->l[j + 1];
        }
        break;
    }

    /* ---- pack/unpack ---- */
    case X86_M_PACKSSWB:
        for (int i = 0; i < n / 2; i++) {
            r.sb[i] = sat_s8(a.sw[i]);
            r.sb[n / 2 + i] = sat_s8(b.sw[i]);
        }
        break;
    case X86_M_PACKUSWB:
        for (int i = 0; i < n / 2; i++) {
            r.b[i] = sat_u8(a.sw[i]);
            r.b[n / 2 + i] = sat_u8(b.sw[i]);
        }
        break;
    case X86_M_PACKSSDW:
        for (int i = 0; i < n / 4; i++) {
            r.sw[i] = sat_s16(a.sl[i]);
            r.sw[n / 4 + i] = sat_s16(b.sl[i]);
        }
        break;
    case X86_M_PACKUSDW:
        for (int i = 0; i < n / 4; i++) {
            r.w[i] = a.sl[i] > 65535 ? 65535 : a.sl[i] < 0 ? 0 : (uint16_t)a.sl[i];
            r.w[n / 4 + i] = b.sl[i] > 65535 ? 65535 : b.sl[i] < 0 ? 0 : (uint16_t)b.sl[i];
        }
        break;
    case X86_M_PUNPCKLBW: unpack(&r, &a, &b, n, 1, false); break;
    case X86_M_PUNPCKLWD: unpack(&r, &a, &b, n, 2, false); break;
    case X86_M_PUNPCKLDQ: unpack(&r, &a, &b, n, 4, false); break;
    case X86_M_PUNPCKLQDQ: unpack(&r, &a, &b, n, 8, false); break;
    case X86_M_PUNPCKHBW: unpack(&r, &a, &b, n, 1, true); break;
    case X86_M_PUNPCKHWD: unpack(&r, &a, &b, n, 2, true); break;
    case X86_M_PUNPCKHDQ: unpack(&r, &a, &b, n, 4, true); break;
    case X86_M_PUNPCKHQDQ: unpack(&r, &a, &b, n, 8, true); break;
    case X86_M_PMOVSXBW: for (int i = 0; i < 8; i++) r.sw[i] = b.sb[i]; break;
    case X86_M_PMOVSXBD: for (int i = 0; i < 4; i++) r.sl[i] = b.sb[i]; break;
    case X86_M_PMOVSXBQ: for (int i = 0; i < 2; i++) r.sq[i] = b.sb[i]; break;
    case X86_M_PMOVSXWD: for (int i = 0; i < 4; i++) r.sl[i] = b.sw[i]; break;
    case X86_M_PMOVSXWQ: for (int i = 0; i < 2; i++) r.sq[i] = b.sw[i]; break;
    case X86_M_PMOVSXDQ: for (int i = 0; i < 2; i++) r.sq[i] = b.sl[i]; break;
    case X86_M_PMOVZXBW: for (int i = 0; i < 8; i++) r.w[i] = b.b[i]; break;
    case X86_M_PMOVZXBD: for (int i = 0; i < 4; i++) r.l[i] = b.b[i]; break;
    case X86_M_PMOVZXBQ: for (int i = 0; i < 2; i++) r.q[i] = b.b[i]; break;
    case X86_M_PMOVZXWD: for (int i = 0; i < 4; i++) r.l[i] = b.w[i]; break;
    case X86_M_PMOVZXWQ: for (int i = 0; i < 2; i++) r.q[i] = b.w[i]; break;
    case X86_M_PMOVZXDQ: for (int i = 0; i < 2; i++) r.q[i] = b.l[i]; break;

    /* ---- shuffles and blends ---- */
    case X86_M_PSHUFB:
        for (int i = 0; i < n; i++) r.b[i] = b.b[i] & 0x80 ? 0 : a.b[b.b[i] & (n - 1)];
        break;
    case X86_M_PSHUFW:
        for (int i = 0; i < 4; i++) r.w[i] = b.w[imm >> (2 * i) & 3];
        break;
    case X86_M_PSHUFD:
        for (int i = 0; i < 4; i++) r.l[i] = b.l[imm >> (2 * i) & 3];
        break;
    case X86_M_PSHUFLW:
        for (int i = 0; i < 4; i++) r.w[i] = b.w[imm >> (2 * i) & 3];
        r.q[1] = b.q[1];
        break;
    case X86_M_PSHUFHW:
        r.q[0] = b.q[0];
        for (int i = 0; i < 4; i++) r.w[4 + i] = b.w[4 + (imm >> (2 * i) & 3)];
        break;
    case X86_M_PALIGNR: {
        uint8_t cat[32];
        memcpy(cat, b.b, n);
        memcpy(cat + n, a.b, n);
        for (int i = 0; i < n; i++) {
            r.b[i] = i + imm < (uint64_t)(2 * n) ? cat[i + imm] : 0;
        }
        break;
    }
    case X86_M_PBLENDW:
        for (int i = 0; i < 8; i++) r.w[i] = imm >> i & 1 ? b.w[i] : a.w[i];
        break;
    case X86_M_PBLENDVB:
        for (int i = 0; i < 16; i++) r.b[i] = env->xmm[0].b[i] & 0x80 ? b.b[i] : a.b[i];
        break;

    /* ---- shifts: count from the source operand, or imm for 0F 71-73 ---- */
    case X86_M_PSRLW: shift_lanes(&r, &a, n, 2, src ? b.q[0] : imm, 0); break;
    case X86_M_PSRLD: shift_lanes(&r, &a, n, 4, src ? b.q[0] : imm, 0); break;
    case X86_M_PSRLQ: shift_lanes(&r, &a, n, 8, src ? b.q[0] : imm, 0); break;
    case X86_M_PSRAW: shift_lanes(&r, &a, n, 2, src ? b.q[0] : imm, 1); break;
    case X86_M_PSRAD: shift_lanes(&r, &a, n, 4, src ? b.q[0] : imm, 1); break;
    case X86_M_PSLLW: shift_lanes(&r, &a, n, 2, src ? b.q[0] : imm, 2); break;
    case X86_M_PSLLD: shift_lanes(&r, &a, n, 4, src ? b.q[0] : imm, 2); break;
    case X86_M_PSLLQ: shift_lanes(&r, &a, n, 8, src ? b.q[0] : imm, 2); break;
    case X86_M_PSRLDQ:
        for (int i = 0; i < 16; i++) r.b[i] = i + imm < 16 ? a.b[i + imm] : 0;
        break;
    case X86_M_PSLLDQ:
        for (int i = 0; i < 16; i++) r.b[i] = (uint64_t)i >= imm ? a.b[i - imm] : 0;
        break;
    default:
        /* The translator only passes the mnemonics above. */
        g_assert_not_reached();
    }
    vec_put(env, dst, &r, n);
}

static void set_arith_flags(CPUX86State *env, uint32_t f)
{
    env->rflags = (env->rflags & ~(uint64_t)CC_ARITH) | (f & CC_ARITH);
    env->cc_op = CC_OP_EFLAGS;
}

void helper_ptest(CPUX86State *env, uint64_t dst, uint64_t src)
{
    Vec a, b;
    vec_get(&a, env, dst, 16);
    vec_get(&b, env, src, 16);
    uint32_t f = 0;
    if (!((a.q[0] & b.q[0]) | (a.q[1] & b.q[1]))) {
        f |= CC_Z;
    }
    if (!((~a.q[0] & b.q[0]) | (~a.q[1] & b.q[1]))) {
        f |= CC_C;
    }
    set_arith_flags(env, f);
}

/* Element i of a PCMPxSTRx operand in the format of imm8[1:0]. */
static int str_elem(const Vec *v, int fmt, int i)
{
    switch (fmt) {
    case 0: return v->b[i];
    case 1: return v->w[i];
    case 2: return v->sb[i];
    default: return v->sw[i];
    }
}

/* Explicit length: |reg| saturated to the element count. */
static int str_explicit_len(uint64_t reg, bool rexw, int ub)
{
    int64_t v = rexw ? (int64_t)reg : (int32_t)reg;
    uint64_t m = v < 0 ? -(uint64_t)v : (uint64_t)v;
    return m > (uint64_t)ub ? ub : (int)m;
}

static int str_implicit_len(const Vec *v, int fmt, int ub)
{
    for (int i = 0; i < ub; i++) {
        if (!str_elem(v, fmt, i)) {
            return i;
        }
    }
    return ub;
}

void helper_pcmpstr(CPUX86State *env, uint64_t mode, uint64_t aoff, uint64_t boff,
                    uint64_t imm)
{
    Vec a, b;
    int fmt = imm & 3, agg = imm >> 2 & 3, pol = imm >> 4 & 3;
    int ub = fmt & 1 ? 8 : 16;
    int la, lb;
    uint32_t res = 0, f = 0;

    vec_get(&a, env, aoff, 16);
    vec_get(&b, env, boff, 16);
    if (mode & 1) {
        la = str_explicit_len(env->regs[R_EAX], mode & 4, ub);
        lb = str_explicit_len(env->regs[R_EDX], mode & 4, ub);
    } else {
        la = str_implicit_len(&a, fmt, ub);
        lb = str_implicit_len(&b, fmt, ub);
    }

    /* IntRes1: a (xmm1) is the set/ranges/substring, b (xmm2/m128) the text. */
    for (int i = 0; i < ub; i++) {
        bool bit = false;
        switch (agg) {
        case 0:     /* equal any */
            for (int j = 0; j < la && i < lb && !bit; j++) {
                bit = str_elem(&a, fmt, j) == str_elem(&b, fmt, i);
            }
            break;
        case 1:     /* ranges: pairs (a[j], a[j+1]), both ends valid */
            for (int j = 0; j + 1 < la && i < lb && !bit; j += 2) {
                int v = str_elem(&b, fmt, i);
                bit = v >= str_elem(&a, fmt, j) && v <= str_elem(&a, fmt, j + 1);
            }
            break;
        case 2:     /* equal each: both invalid compare true */
            if (i >= la && i >= lb) {
                bit = true;
            } else if (i < la && i < lb) {
                bit = str_elem(&a, fmt, i) == str_elem(&b, fmt, i);
            }
            break;
        default:    /* equal ordered: substring a starting at b[i] */
            bit = true;
            for (int j = 0; i + j < ub && bit; j++) {
                if (j >= la) {
                    break;              /* the substring ended: match */
                }
                if (i + j >= lb) {
                    bit = false;        /* the text ended first */
                } else {
                    bit = str_elem(&a, fmt, j) == str_elem(&b, fmt, i + j);
                }
            }
            break;
        }
        res |= (uint32_t)bit << i;
    }
    uint32_t all = (1u << ub) - 1;
    if (pol == 1) {
        res ^= all;
    } else if (pol == 3) {
        res ^= (1u << lb) - 1;
    }

    if (mode & 2) {
        Vec m;
        memset(&m, 0, sizeof(m));
        if (imm & 0x40) {
            for (int i = 0; i < ub; i++) {
                if (res >> i & 1) {
                    memset(&m.b[i * (16 / ub)], 0xff, 16 / ub);
                }
            }
        } else {
            m.w[0] = res;
        }
        memcpy(&env->xmm[0], &m, 16);
    } else {
        int idx = ub;
        if (res) {
            idx = imm & 0x40 ? 31 - __builtin_clz(res) : __builtin_ctz(res);
        }
        env->regs[R_ECX] = (uint32_t)idx;
    }
    f |= res ? CC_C : 0;
    f |= lb < ub ? CC_Z : 0;
    f |= la < ub ? CC_S : 0;
    f |= res & 1 ? CC_O : 0;
    set_arith_flags(env, f);
}

uint64_t helper_crc32(CPUX86State *env, uint64_t crc, uint64_t val, uint64_t size)
{
    uint32_t c = crc;
    (void)env;
    for (uint64_t i = 0; i < size; i++) {
        c ^= (uint8_t)(val >> (8 * i));
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (c & 1 ? 0x82f63b78u : 0);   /* 11EDC6F41H reflected */
        }
    }
    return c;
}

void helper_maskmov(CPUX86State *env, uint64_t src, uint64_t mask, uint64_t addr,
                    uint64_t size_is64)
{
    uintptr_t ra = RA(env);
    int n = size_is64 & 0xff;
    bool is64 = size_is64 >> 8;
    Vec v, m;
    vec_get(&v, env, src, n);
    vec_get(&m, env, mask, n);
    for (int i = 0; i < n; i++) {
        if (m.b[i] & 0x80) {
            uint64_t a = addr + i;
            x86_st(env, is64 ? a : (uint32_t)a, v.b[i], 1, ra);
        }
    }
}
