/*
 * simd-helper.c: integer MMX, SSE2, SSSE3, SSE4.1 and SSE4.2 operations for
 * the translator (SDM Vol 1 ch. 9-12 for the model, Vol 2 instruction pages
 * for each operation; §4.1 of Vol 2B for the PCMPxSTRx string compares;
 * FIPS-197 for the AES round steps).
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

/* ---- AES round primitives (FIPS-197 §5.1, §5.3; SDM Vol 2A AESENC...) ----
 * The state is the 16 bytes of the register, byte 4 * c + r holding row r of
 * column c. The S-box tables were generated from their definition (the
 * multiplicative inverse in GF(2^8) mod 11BH, then the affine map with 63H). */
static const uint8_t aes_sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b,
    0xfe, 0xd7, 0xab, 0x76, 0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0,
    0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0, 0xb7, 0xfd, 0x93, 0x26,
    0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2,
    0xeb, 0x27, 0xb2, 0x75, 0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0,
    0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84, 0x53, 0xd1, 0x00, 0xed,
    0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f,
    0x50, 0x3c, 0x9f, 0xa8, 0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5,
    0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2, 0xcd, 0x0c, 0x13, 0xec,
    0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14,
    0xde, 0x5e, 0x0b, 0xdb, 0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c,
    0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79, 0xe7, 0xc8, 0x37, 0x6d,
    0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f,
    0x4b, 0xbd, 0x8b, 0x8a, 0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e,
    0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e, 0xe1, 0xf8, 0x98, 0x11,
    0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f,
    0xb0, 0x54, 0xbb, 0x16,
};

static const uint8_t aes_inv_sbox[256] = {
    0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3, 0x9e,
    0x81, 0xf3, 0xd7, 0xfb, 0x7c, 0xe3, 0x39, 0x82, 0x9b, 0x2f, 0xff, 0x87,
    0x34, 0x8e, 0x43, 0x44, 0xc4, 0xde, 0xe9, 0xcb, 0x54, 0x7b, 0x94, 0x32,
    0xa6, 0xc2, 0x23, 0x3d, 0xee, 0x4c, 0x95, 0x0b, 0x42, 0xfa, 0xc3, 0x4e,
    0x08, 0x2e, 0xa1, 0x66, 0x28, 0xd9, 0x24, 0xb2, 0x76, 0x5b, 0xa2, 0x49,
    0x6d, 0x8b, 0xd1, 0x25, 0x72, 0xf8, 0xf6, 0x64, 0x86, 0x68, 0x98, 0x16,
    0xd4, 0xa4, 0x5c, 0xcc, 0x5d, 0x65, 0xb6, 0x92, 0x6c, 0x70, 0x48, 0x50,
    0xfd, 0xed, 0xb9, 0xda, 0x5e, 0x15, 0x46, 0x57, 0xa7, 0x8d, 0x9d, 0x84,
    0x90, 0xd8, 0xab, 0x00, 0x8c, 0xbc, 0xd3, 0x0a, 0xf7, 0xe4, 0x58, 0x05,
    0xb8, 0xb3, 0x45, 0x06, 0xd0, 0x2c, 0x1e, 0x8f, 0xca, 0x3f, 0x0f, 0x02,
    0xc1, 0xaf, 0xbd, 0x03, 0x01, 0x13, 0x8a, 0x6b, 0x3a, 0x91, 0x11, 0x41,
    0x4f, 0x67, 0xdc, 0xea, 0x97, 0xf2, 0xcf, 0xce, 0xf0, 0xb4, 0xe6, 0x73,
    0x96, 0xac, 0x74, 0x22, 0xe7, 0xad, 0x35, 0x85, 0xe2, 0xf9, 0x37, 0xe8,
    0x1c, 0x75, 0xdf, 0x6e, 0x47, 0xf1, 0x1a, 0x71, 0x1d, 0x29, 0xc5, 0x89,
    0x6f, 0xb7, 0x62, 0x0e, 0xaa, 0x18, 0xbe, 0x1b, 0xfc, 0x56, 0x3e, 0x4b,
    0xc6, 0xd2, 0x79, 0x20, 0x9a, 0xdb, 0xc0, 0xfe, 0x78, 0xcd, 0x5a, 0xf4,
    0x1f, 0xdd, 0xa8, 0x33, 0x88, 0x07, 0xc7, 0x31, 0xb1, 0x12, 0x10, 0x59,
    0x27, 0x80, 0xec, 0x5f, 0x60, 0x51, 0x7f, 0xa9, 0x19, 0xb5, 0x4a, 0x0d,
    0x2d, 0xe5, 0x7a, 0x9f, 0x93, 0xc9, 0x9c, 0xef, 0xa0, 0xe0, 0x3b, 0x4d,
    0xae, 0x2a, 0xf5, 0xb0, 0xc8, 0xeb, 0xbb, 0x3c, 0x83, 0x53, 0x99, 0x61,
    0x17, 0x2b, 0x04, 0x7e, 0xba, 0x77, 0xd6, 0x26, 0xe1, 0x69, 0x14, 0x63,
    0x55, 0x21, 0x0c, 0x7d,
};

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;
    while (b) {
        if (b & 1) {
            r ^= a;
        }
        a = (a << 1) ^ (a & 0x80 ? 0x1b : 0);
        b >>= 1;
    }
    return r;
}

/* ShiftRows (inverse: right) then SubBytes (inverse S-box). */
static void aes_shift_sub(Vec *r, const Vec *a, bool inv)
{
    for (int c = 0; c < 4; c++) {
        for (int row = 0; row < 4; row++) {
            int from = 4 * ((c + (inv ? 4 - row : row)) & 3) + row;
            r->b[4 * c + row] = inv ? aes_inv_sbox[a->b[from]] : aes_sbox[a->b[from]];
        }
    }
}

/* MixColumns with the circulant coefficients {02 03 01 01} or, inverse,
 * {0E 0B 0D 09}. */
static void aes_mix(Vec *v, bool inv)
{
    static const uint8_t fwd[4] = { 2, 3, 1, 1 }, bwd[4] = { 14, 11, 13, 9 };
    const uint8_t *k = inv ? bwd : fwd;
    for (int c = 0; c < 4; c++) {
        uint8_t col[4], out[4];
        memcpy(col, &v->b[4 * c], 4);
        for (int row = 0; row < 4; row++) {
            out[row] = 0;
            for (int j = 0; j < 4; j++) {
                out[row] ^= gf_mul(col[j], k[(j - row) & 3]);
            }
        }
        memcpy(&v->b[4 * c], out, 4);
    }
}

static uint32_t aes_sub_word(uint32_t w)
{
    return (uint32_t)aes_sbox[w & 0xff] | (uint32_t)aes_sbox[w >> 8 & 0xff] << 8 |
           (uint32_t)aes_sbox[w >> 16 & 0xff] << 16 | (uint32_t)aes_sbox[w >> 24] << 24;
}

/* ---- SHA-1 and SHA-256 steps (FIPS 180-4 §4.1, §6.1, §6.2; SDM Vol 2C
 * SHA1RNDS4 ... SHA256MSG2). Dwords are numbered from the low end: l[3] is
 * bits 127:96, which the manual names first (A, W0). ---- */
static inline uint32_t rol32(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

static inline uint32_t ror32(uint32_t v, int n)
{
    return (v >> n) | (v << (32 - n));
}

static uint32_t sha1_f(int i, uint32_t b, uint32_t c, uint32_t d)
{
    switch (i) {
    case 0: return (b & c) ^ (~b & d);
    case 2: return (b & c) ^ (b & d) ^ (c & d);
    default: return b ^ c ^ d;
    }
}

static void sha1rnds4(Vec *r, const Vec *a, const Vec *b, int imm)
{
    static const uint32_t k[4] = { 0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6 };
    uint32_t va = a->l[3], vb = a->l[2], vc = a->l[1], vd = a->l[0], ve = 0;
    int fi = imm & 3;
    for (int i = 0; i < 4; i++) {
        uint32_t t = sha1_f(fi, vb, vc, vd) + rol32(va, 5) + b->l[3 - i] + ve + k[fi];
        ve = vd;
        vd = vc;
        vc = rol32(vb, 30);
        vb = va;
        va = t;
    }
    r->l[3] = va;
    r->l[2] = vb;
    r->l[1] = vc;
    r->l[0] = vd;
}

static void sha256rnds2(Vec *r, const Vec *a, const Vec *b, const X86XmmReg *wk)
{
    uint32_t va = b->l[3], vb = b->l[2], vc = a->l[3], vd = a->l[2];
    uint32_t ve = b->l[1], vf = b->l[0], vg = a->l[1], vh = a->l[0];
    for (int i = 0; i < 2; i++) {
        uint32_t ch = (ve & vf) ^ (~ve & vg);
        uint32_t maj = (va & vb) ^ (va & vc) ^ (vb & vc);
        uint32_t s1 = ror32(ve, 6) ^ ror32(ve, 11) ^ ror32(ve, 25);
        uint32_t s0 = ror32(va, 2) ^ ror32(va, 13) ^ ror32(va, 22);
        uint32_t t1 = vh + s1 + ch + wk->l[i];
        vh = vg;
        vg = vf;
        vf = ve;
        ve = vd + t1;
        vd = vc;
        vc = vb;
        vb = va;
        va = t1 + s0 + maj;
    }
    r->l[3] = va;
    r->l[2] = vb;
    r->l[1] = ve;
    r->l[0] = vf;
}

static inline uint32_t sha256_sig0(uint32_t x)
{
    return ror32(x, 7) ^ ror32(x, 18) ^ (x >> 3);
}

static inline uint32_t sha256_sig1(uint32_t x)
{
    return ror32(x, 17) ^ ror32(x, 19) ^ (x >> 10);
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
    case X86_M_PADDB:
        for (int i = 0; i < n; i++) {
            r.b[i] = a.b[i] + b.b[i];
        }
        break;
    case X86_M_PADDW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = a.w[i] + b.w[i];
        }
        break;
    case X86_M_PADDD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = a.l[i] + b.l[i];
        }
        break;
    case X86_M_PADDQ:
        for (int i = 0; i < n / 8; i++) {
            r.q[i] = a.q[i] + b.q[i];
        }
        break;
    case X86_M_PSUBB:
        for (int i = 0; i < n; i++) {
            r.b[i] = a.b[i] - b.b[i];
        }
        break;
    case X86_M_PSUBW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = a.w[i] - b.w[i];
        }
        break;
    case X86_M_PSUBD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = a.l[i] - b.l[i];
        }
        break;
    case X86_M_PSUBQ:
        for (int i = 0; i < n / 8; i++) {
            r.q[i] = a.q[i] - b.q[i];
        }
        break;
    case X86_M_PADDSB:
        for (int i = 0; i < n; i++) {
            r.sb[i] = sat_s8(a.sb[i] + b.sb[i]);
        }
        break;
    case X86_M_PADDSW:
        for (int i = 0; i < n / 2; i++) {
            r.sw[i] = sat_s16(a.sw[i] + b.sw[i]);
        }
        break;
    case X86_M_PSUBSB:
        for (int i = 0; i < n; i++) {
            r.sb[i] = sat_s8(a.sb[i] - b.sb[i]);
        }
        break;
    case X86_M_PSUBSW:
        for (int i = 0; i < n / 2; i++) {
            r.sw[i] = sat_s16(a.sw[i] - b.sw[i]);
        }
        break;
    case X86_M_PADDUSB:
        for (int i = 0; i < n; i++) {
            r.b[i] = sat_u8(a.b[i] + b.b[i]);
        }
        break;
    case X86_M_PADDUSW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = sat_u16(a.w[i] + b.w[i]);
        }
        break;
    case X86_M_PSUBUSB:
        for (int i = 0; i < n; i++) {
            r.b[i] = sat_u8(a.b[i] - b.b[i]);
        }
        break;
    case X86_M_PSUBUSW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = sat_u16(a.w[i] - b.w[i]);
        }
        break;

    /* ---- compares ---- */
    case X86_M_PCMPEQB:
        for (int i = 0; i < n; i++) {
            r.b[i] = -(a.b[i] == b.b[i]);
        }
        break;
    case X86_M_PCMPEQW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = -(a.w[i] == b.w[i]);
        }
        break;
    case X86_M_PCMPEQD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = -(a.l[i] == b.l[i]);
        }
        break;
    case X86_M_PCMPEQQ:
        for (int i = 0; i < n / 8; i++) {
            r.q[i] = -(uint64_t)(a.q[i] == b.q[i]);
        }
        break;
    case X86_M_PCMPGTB:
        for (int i = 0; i < n; i++) {
            r.b[i] = -(a.sb[i] > b.sb[i]);
        }
        break;
    case X86_M_PCMPGTW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = -(a.sw[i] > b.sw[i]);
        }
        break;
    case X86_M_PCMPGTD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = -(a.sl[i] > b.sl[i]);
        }
        break;
    case X86_M_PCMPGTQ:
        for (int i = 0; i < n / 8; i++) {
            r.q[i] = -(uint64_t)(a.sq[i] > b.sq[i]);
        }
        break;

    /* ---- min/max/average/absolute ---- */
    case X86_M_PMINUB:
        for (int i = 0; i < n; i++) {
            r.b[i] = MIN(a.b[i], b.b[i]);
        }
        break;
    case X86_M_PMAXUB:
        for (int i = 0; i < n; i++) {
            r.b[i] = MAX(a.b[i], b.b[i]);
        }
        break;
    case X86_M_PMINSB:
        for (int i = 0; i < n; i++) {
            r.sb[i] = MIN(a.sb[i], b.sb[i]);
        }
        break;
    case X86_M_PMAXSB:
        for (int i = 0; i < n; i++) {
            r.sb[i] = MAX(a.sb[i], b.sb[i]);
        }
        break;
    case X86_M_PMINSW:
        for (int i = 0; i < n / 2; i++) {
            r.sw[i] = MIN(a.sw[i], b.sw[i]);
        }
        break;
    case X86_M_PMAXSW:
        for (int i = 0; i < n / 2; i++) {
            r.sw[i] = MAX(a.sw[i], b.sw[i]);
        }
        break;
    case X86_M_PMINUW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = MIN(a.w[i], b.w[i]);
        }
        break;
    case X86_M_PMAXUW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = MAX(a.w[i], b.w[i]);
        }
        break;
    case X86_M_PMINSD:
        for (int i = 0; i < n / 4; i++) {
            r.sl[i] = MIN(a.sl[i], b.sl[i]);
        }
        break;
    case X86_M_PMAXSD:
        for (int i = 0; i < n / 4; i++) {
            r.sl[i] = MAX(a.sl[i], b.sl[i]);
        }
        break;
    case X86_M_PMINUD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = MIN(a.l[i], b.l[i]);
        }
        break;
    case X86_M_PMAXUD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = MAX(a.l[i], b.l[i]);
        }
        break;
    case X86_M_PAVGB:
        for (int i = 0; i < n; i++) {
            r.b[i] = (a.b[i] + b.b[i] + 1) >> 1;
        }
        break;
    case X86_M_PAVGW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = (a.w[i] + b.w[i] + 1) >> 1;
        }
        break;
    case X86_M_PABSB:
        for (int i = 0; i < n; i++) {
            r.b[i] = abs(b.sb[i]);
        }
        break;
    case X86_M_PABSW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = abs(b.sw[i]);
        }
        break;
    case X86_M_PABSD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = b.sl[i] < 0 ? -(uint32_t)b.sl[i] : b.l[i];
        }
        break;
    case X86_M_PSIGNB:
        for (int i = 0; i < n; i++) {
            r.b[i] = b.sb[i] < 0 ? -a.b[i] : b.sb[i] ? a.b[i] : 0;
        }
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
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = (uint32_t)(a.sw[i] * b.sw[i]);
        }
        break;
    case X86_M_PMULHW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = (uint32_t)(a.sw[i] * b.sw[i]) >> 16;
        }
        break;
    case X86_M_PMULHUW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = ((uint32_t)a.w[i] * b.w[i]) >> 16;
        }
        break;
    case X86_M_PMULHRSW:
        for (int i = 0; i < n / 2; i++) {
            r.w[i] = (uint32_t)((((int32_t)a.sw[i] * b.sw[i]) >> 14) + 1) >> 1;
        }
        break;
    case X86_M_PMULLD:
        for (int i = 0; i < n / 4; i++) {
            r.l[i] = a.l[i] * b.l[i];
        }
        break;
    case X86_M_PMULUDQ:
        for (int i = 0; i < n / 8; i++) {
            r.q[i] = (uint64_t)a.l[2 * i] * b.l[2 * i];
        }
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
            r.sw[i] = sat_s16(a.b[2 * i] * b.sb[2 * i] +
                              a.b[2 * i + 1] * b.sb[2 * i + 1]);
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
            r.w[n / 4 + i] = b.sl[i] > 65535 ? 65535
                             : b.sl[i] < 0 ? 0 : (uint16_t)b.sl[i];
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
    case X86_M_PMOVSXBW:
        for (int i = 0; i < 8; i++) {
            r.sw[i] = b.sb[i];
        }
        break;
    case X86_M_PMOVSXBD:
        for (int i = 0; i < 4; i++) {
            r.sl[i] = b.sb[i];
        }
        break;
    case X86_M_PMOVSXBQ:
        for (int i = 0; i < 2; i++) {
            r.sq[i] = b.sb[i];
        }
        break;
    case X86_M_PMOVSXWD:
        for (int i = 0; i < 4; i++) {
            r.sl[i] = b.sw[i];
        }
        break;
    case X86_M_PMOVSXWQ:
        for (int i = 0; i < 2; i++) {
            r.sq[i] = b.sw[i];
        }
        break;
    case X86_M_PMOVSXDQ:
        for (int i = 0; i < 2; i++) {
            r.sq[i] = b.sl[i];
        }
        break;
    case X86_M_PMOVZXBW:
        for (int i = 0; i < 8; i++) {
            r.w[i] = b.b[i];
        }
        break;
    case X86_M_PMOVZXBD:
        for (int i = 0; i < 4; i++) {
            r.l[i] = b.b[i];
        }
        break;
    case X86_M_PMOVZXBQ:
        for (int i = 0; i < 2; i++) {
            r.q[i] = b.b[i];
        }
        break;
    case X86_M_PMOVZXWD:
        for (int i = 0; i < 4; i++) {
            r.l[i] = b.w[i];
        }
        break;
    case X86_M_PMOVZXWQ:
        for (int i = 0; i < 2; i++) {
            r.q[i] = b.w[i];
        }
        break;
    case X86_M_PMOVZXDQ:
        for (int i = 0; i < 2; i++) {
            r.q[i] = b.l[i];
        }
        break;

    /* ---- shuffles and blends ---- */
    case X86_M_PSHUFB:
        for (int i = 0; i < n; i++) {
            r.b[i] = b.b[i] & 0x80 ? 0 : a.b[b.b[i] & (n - 1)];
        }
        break;
    case X86_M_PSHUFW:
        for (int i = 0; i < 4; i++) {
            r.w[i] = b.w[imm >> (2 * i) & 3];
        }
        break;
    case X86_M_PSHUFD:
        for (int i = 0; i < 4; i++) {
            r.l[i] = b.l[imm >> (2 * i) & 3];
        }
        break;
    case X86_M_PSHUFLW:
        for (int i = 0; i < 4; i++) {
            r.w[i] = b.w[imm >> (2 * i) & 3];
        }
        r.q[1] = b.q[1];
        break;
    case X86_M_PSHUFHW:
        r.q[0] = b.q[0];
        for (int i = 0; i < 4; i++) {
            r.w[4 + i] = b.w[4 + (imm >> (2 * i) & 3)];
        }
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
        for (int i = 0; i < 8; i++) {
            r.w[i] = imm >> i & 1 ? b.w[i] : a.w[i];
        }
        break;
    case X86_M_PBLENDVB:
        for (int i = 0; i < 16; i++) {
            r.b[i] = env->xmm[0].b[i] & 0x80 ? b.b[i] : a.b[i];
        }
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
        for (int i = 0; i < 16; i++) {
            r.b[i] = i + imm < 16 ? a.b[i + imm] : 0;
        }
        break;
    case X86_M_PSLLDQ:
        for (int i = 0; i < 16; i++) {
            r.b[i] = (uint64_t)i >= imm ? a.b[i - imm] : 0;
        }
        break;
    /* ---- AES: a = state, b = round key ---- */
    case X86_M_AESENC: case X86_M_AESENCLAST:
    case X86_M_AESDEC: case X86_M_AESDECLAST: {
        bool dec = mnem == X86_M_AESDEC || mnem == X86_M_AESDECLAST;
        aes_shift_sub(&r, &a, dec);
        if (mnem == X86_M_AESENC || mnem == X86_M_AESDEC) {
            aes_mix(&r, dec);
        }
        r.q[0] ^= b.q[0];
        r.q[1] ^= b.q[1];
        break;
    }
    case X86_M_AESIMC:
        r = b;
        aes_mix(&r, true);
        break;
    case X86_M_AESKEYGENASSIST: {
        uint32_t x1 = aes_sub_word(b.l[1]), x3 = aes_sub_word(b.l[3]);
        r.l[0] = x1;
        r.l[1] = ((x1 >> 8) | (x1 << 24)) ^ (uint32_t)imm;
        r.l[2] = x3;
        r.l[3] = ((x3 >> 8) | (x3 << 24)) ^ (uint32_t)imm;
        break;
    }
    /* ---- SHA ---- */
    case X86_M_SHA1RNDS4:
        sha1rnds4(&r, &a, &b, imm);
        break;
    case X86_M_SHA1NEXTE:
        r = b;
        r.l[3] = b.l[3] + rol32(a.l[3], 30);
        break;
    case X86_M_SHA1MSG1:
        r.l[3] = a.l[1] ^ a.l[3];
        r.l[2] = a.l[0] ^ a.l[2];
        r.l[1] = b.l[3] ^ a.l[1];
        r.l[0] = b.l[2] ^ a.l[0];
        break;
    case X86_M_SHA1MSG2:
        r.l[3] = rol32(a.l[3] ^ b.l[2], 1);
        r.l[2] = rol32(a.l[2] ^ b.l[1], 1);
        r.l[1] = rol32(a.l[1] ^ b.l[0], 1);
        r.l[0] = rol32(a.l[0] ^ r.l[3], 1);
        break;
    case X86_M_SHA256RNDS2:
        sha256rnds2(&r, &a, &b, &env->xmm[0]);
        break;
    case X86_M_SHA256MSG1:
        r.l[3] = a.l[3] + sha256_sig0(b.l[0]);
        r.l[2] = a.l[2] + sha256_sig0(a.l[3]);
        r.l[1] = a.l[1] + sha256_sig0(a.l[2]);
        r.l[0] = a.l[0] + sha256_sig0(a.l[1]);
        break;
    case X86_M_SHA256MSG2:
        r.l[0] = a.l[0] + sha256_sig1(b.l[2]);
        r.l[1] = a.l[1] + sha256_sig1(b.l[3]);
        r.l[2] = a.l[2] + sha256_sig1(r.l[0]);
        r.l[3] = a.l[3] + sha256_sig1(r.l[1]);
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
