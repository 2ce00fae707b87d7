/*
 * fold.c: reference semantics of every single-output value op of the IR.
 * The optimizer folds constants with it and the interpreter executes with
 * it, so both agree by construction; the native emitter is tested against it.
 * 32-bit values are kept zero-extended in a uint64_t. Shift and rotate counts
 * are taken modulo the width (front ends must not rely on out-of-range counts).
 */
#include "tcg/tcg-internal.h"

static uint64_t rol64(uint64_t v, unsigned n)
{
    n &= 63;
    return n ? (v << n) | (v >> (64 - n)) : v;
}

static uint32_t rol32(uint32_t v, unsigned n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}

bool tcg_op_foldable(TCGOpcode opc)
{
    switch (opc) {
    case INDEX_op_add_i32: case INDEX_op_sub_i32: case INDEX_op_mul_i32:
    case INDEX_op_and_i32: case INDEX_op_or_i32: case INDEX_op_xor_i32:
    case INDEX_op_andc_i32: case INDEX_op_shl_i32: case INDEX_op_shr_i32:
    case INDEX_op_sar_i32: case INDEX_op_rotl_i32: case INDEX_op_rotr_i32:
    case INDEX_op_neg_i32: case INDEX_op_not_i32: case INDEX_op_ext8s_i32:
    case INDEX_op_ext8u_i32: case INDEX_op_ext16s_i32: case INDEX_op_ext16u_i32:
    case INDEX_op_deposit_i32: case INDEX_op_extract_i32: case INDEX_op_sextract_i32:
    case INDEX_op_bswap16_i32: case INDEX_op_bswap32_i32: case INDEX_op_clz_i32:
    case INDEX_op_ctz_i32: case INDEX_op_ctpop_i32: case INDEX_op_setcond_i32:
    case INDEX_op_mov_i32:
    case INDEX_op_add_i64: case INDEX_op_sub_i64: case INDEX_op_mul_i64:
    case INDEX_op_and_i64: case INDEX_op_or_i64: case INDEX_op_xor_i64:
    case INDEX_op_andc_i64: case INDEX_op_shl_i64: case INDEX_op_shr_i64:
    case INDEX_op_sar_i64: case INDEX_op_rotl_i64: case INDEX_op_rotr_i64:
    case INDEX_op_neg_i64: case INDEX_op_not_i64: case INDEX_op_ext8s_i64:
    case INDEX_op_ext8u_i64: case INDEX_op_ext16s_i64: case INDEX_op_ext16u_i64:
    case INDEX_op_ext32s_i64: case INDEX_op_ext32u_i64: case INDEX_op_ext_i32_i64:
    case INDEX_op_extu_i32_i64: case INDEX_op_extrl_i64_i32: case INDEX_op_extrh_i64_i32:
    case INDEX_op_deposit_i64: case INDEX_op_extract_i64: case INDEX_op_sextract_i64:
    case INDEX_op_bswap16_i64: case INDEX_op_bswap32_i64: case INDEX_op_bswap64_i64:
    case INDEX_op_clz_i64: case INDEX_op_ctz_i64: case INDEX_op_ctpop_i64:
    case INDEX_op_setcond_i64: case INDEX_op_mov_i64:
        return true;
    default:
        return false;
    }
}

uint64_t tcg_fold_op(TCGOpcode opc, uint64_t a, uint64_t b, uint64_t c0, uint64_t c1)
{
    uint32_t a32 = a, b32 = b;

    switch (opc) {
    case INDEX_op_mov_i32: return a32;
    case INDEX_op_add_i32: return (uint32_t)(a32 + b32);
    case INDEX_op_sub_i32: return (uint32_t)(a32 - b32);
    case INDEX_op_mul_i32: return (uint32_t)(a32 * b32);
    case INDEX_op_and_i32: return a32 & b32;
    case INDEX_op_or_i32: return a32 | b32;
    case INDEX_op_xor_i32: return a32 ^ b32;
    case INDEX_op_andc_i32: return a32 & ~b32;
    case INDEX_op_shl_i32: return (uint32_t)(a32 << (b32 & 31));
    case INDEX_op_shr_i32: return a32 >> (b32 & 31);
    case INDEX_op_sar_i32: return (uint32_t)((int32_t)a32 >> (b32 & 31));
    case INDEX_op_rotl_i32: return rol32(a32, b32);
    case INDEX_op_rotr_i32: return rol32(a32, 32 - (b32 & 31));
    case INDEX_op_neg_i32: return (uint32_t)-a32;
    case INDEX_op_not_i32: return (uint32_t)~a32;
    case INDEX_op_ext8s_i32: return (uint32_t)(int8_t)a32;
    case INDEX_op_ext8u_i32: return (uint8_t)a32;
    case INDEX_op_ext16s_i32: return (uint32_t)(int16_t)a32;
    case INDEX_op_ext16u_i32: return (uint16_t)a32;
    case INDEX_op_deposit_i32:
        return (uint32_t)deposit64(a32, c0, c1, b32);
    case INDEX_op_extract_i32: return extract64(a32, c0, c1);
    case INDEX_op_sextract_i32:
        return (uint32_t)((int32_t)(a32 << (32 - c0 - c1)) >> (32 - c1));
    case INDEX_op_bswap16_i32: return __builtin_bswap16((uint16_t)a32);
    case INDEX_op_bswap32_i32: return __builtin_bswap32(a32);
    case INDEX_op_clz_i32: return a32 ? (uint32_t)__builtin_clz(a32) : b32;
    case INDEX_op_ctz_i32: return a32 ? (uint32_t)__builtin_ctz(a32) : b32;
    case INDEX_op_ctpop_i32: return __builtin_popcount(a32);
    case INDEX_op_setcond_i32: return tcg_eval_cond(c0, a32, b32, false);

    case INDEX_op_mov_i64: return a;
    case INDEX_op_add_i64: return a + b;
    case INDEX_op_sub_i64: return a - b;
    case INDEX_op_mul_i64: return a * b;
    case INDEX_op_and_i64: return a & b;
    case INDEX_op_or_i64: return a | b;
    case INDEX_op_xor_i64: return a ^ b;
    case INDEX_op_andc_i64: return a & ~b;
    case INDEX_op_shl_i64: return a << (b & 63);
    case INDEX_op_shr_i64: return a >> (b & 63);
    case INDEX_op_sar_i64: return (uint64_t)((int64_t)a >> (b & 63));
    case INDEX_op_rotl_i64: return rol64(a, b);
    case INDEX_op_rotr_i64: return rol64(a, 64 - (b & 63));
    case INDEX_op_neg_i64: return -a;
    case INDEX_op_not_i64: return ~a;
    case INDEX_op_ext8s_i64: return (uint64_t)(int8_t)a;
    case INDEX_op_ext8u_i64: return (uint8_t)a;
    case INDEX_op_ext16s_i64: return (uint64_t)(int16_t)a;
    case INDEX_op_ext16u_i64: return (uint16_t)a;
    case INDEX_op_ext32s_i64: return (uint64_t)(int32_t)a;
    case INDEX_op_ext32u_i64: return (uint32_t)a;
    case INDEX_op_ext_i32_i64: return (uint64_t)(int32_t)a32;
    case INDEX_op_extu_i32_i64: return a32;
    case INDEX_op_extrl_i64_i32: return (uint32_t)a;
    case INDEX_op_extrh_i64_i32: return (uint32_t)(a >> 32);
    case INDEX_op_deposit_i64: return deposit64(a, c0, c1, b);
    case INDEX_op_extract_i64: return extract64(a, c0, c1);
    case INDEX_op_sextract_i64:
        return (uint64_t)((int64_t)(a << (64 - c0 - c1)) >> (64 - c1));
    case INDEX_op_bswap16_i64: return __builtin_bswap16((uint16_t)a);
    case INDEX_op_bswap32_i64: return __builtin_bswap32((uint32_t)a);
    case INDEX_op_bswap64_i64: return __builtin_bswap64(a);
    case INDEX_op_clz_i64: return a ? (uint64_t)__builtin_clzll(a) : b;
    case INDEX_op_ctz_i64: return a ? (uint64_t)__builtin_ctzll(a) : b;
    case INDEX_op_ctpop_i64: return __builtin_popcountll(a);
    case INDEX_op_setcond_i64: return tcg_eval_cond(c0, a, b, true);
    default:
        g_assert_not_reached();
    }
}
