/*
 * test-decode.c: directed tests of the x86 decoder (target-x86/decode.c).
 *
 * Every one-byte opcode in each mode against an independent length model of
 * SDM Vol 2D Table A-2; #UD cases; the 15-byte limit and truncation; prefixes
 * after REX; RIP-relative and 16-bit addressing; moffs sizes; far pointers;
 * ENTER's two immediates; group tables; mandatory prefixes; x87 forms; and a
 * property test that truncated input always asks for more bytes.
 */
#include "util/osdep.h"
#include "target-x86/cpu.h"
#include "target-x86/decode.h"

/* Parse "66 0f 58 c1" into bytes; returns the count. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (*hex && n < max) {
        char *end;
        unsigned long v;

        while (*hex == ' ') {
            hex++;
        }
        if (!*hex) {
            break;
        }
        v = strtoul(hex, &end, 16);
        g_assert(end != hex && v < 256);
        out[n++] = v;
        hex = end;
    }
    return n;
}

/* Decode `hex` (padded with zero bytes to 15) and check the result code. */
static X86Insn dec(int mode, const char *hex, int expect)
{
    uint8_t buf[X86_MAX_INSN_LEN] = { 0 };
    X86Insn in;
    int ret;

    parse_hex(hex, buf, sizeof(buf));
    ret = x86_decode(mode, buf, sizeof(buf), &in);
    if (ret != expect) {
        g_test_message("mode %d '%s': got %d (%s), expected %d", mode, hex, ret,
                       ret > 0 ? x86_mnemonic_name(in.mnem) : "-", expect);
    }
    g_assert_cmpint(ret, ==, expect);
    return in;
}

static void check_mnem(const X86Insn *in, unsigned mnem)
{
    if (in->mnem != mnem) {
        g_test_message("mnemonic %s, expected %s", x86_mnemonic_name(in->mnem),
                       x86_mnemonic_name(mnem));
    }
    g_assert_cmpuint(in->mnem, ==, mnem);
}

/* Decode and check the length and mnemonic. */
static void dm(int mode, const char *hex, int len, unsigned mnem)
{
    X86Insn in = dec(mode, hex, len);
    check_mnem(&in, mnem);
}

static void check_reg(const X86Operand *op, unsigned rclass, unsigned reg, unsigned size)
{
    g_assert_cmpuint(op->kind, ==, X86_OPK_REG);
    g_assert_cmpuint(op->rclass, ==, rclass);
    g_assert_cmpuint(op->reg, ==, reg);
    g_assert_cmpuint(op->size, ==, size);
}

/*
 * Independent length model of the one-byte map, written from SDM Vol 2D Table
 * A-2 (not from insn-table.def): instruction = opcode [ModRM=00] [imm].
 * With ModRM 00 there is no SIB/displacement in any mode. Returns the expected
 * length, or -X86_DECODE_UD. Prefix bytes are followed by 00 00 (ADD Eb,Gb).
 */
static int model_len(int mode, unsigned op)
{
    static const uint8_t modrm_ops[] = {
        0x62, 0x63, 0x69, 0x6b, 0xc0, 0xc1, 0xc4, 0xc5, 0xc6, 0xc7,
        0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff,
    };
    static const uint8_t i64_ops[] = {
        0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61,
        0x62, 0x82, 0x9a, 0xc4, 0xc5, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
    };
    unsigned z = mode == 16 ? 2 : 4;   /* Iz, and Iv without REX.W */
    unsigned asz = mode == 16 ? 2 : mode == 32 ? 4 : 8;
    bool modrm = false;
    unsigned imm = 0;

    if (mode == 64) {
        for (size_t i = 0; i < ARRAY_SIZE(i64_ops); i++) {
            if (op == i64_ops[i]) {
                return -X86_DECODE_UD;
            }
        }
        if ((op & 0xf0) == 0x40) {
            return 3;       /* REX + ADD Eb,Gb */
        }
    }
    switch (op) {
    case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: case 0x66:
    case 0x67: case 0xf0: case 0xf2: case 0xf3: case 0x0f:
        return 3;           /* prefix + 00 00, or 0F 00 00 = SLDT [mem] */
    }
    if (op < 0x40 && (op & 7) < 4) {
        modrm = true;
    }
    if (op < 0x40 && (op & 7) == 4) {
        imm = 1;
    }
    if (op < 0x40 && (op & 7) == 5) {
        imm = z;
    }
    if ((op >= 0x80 && op <= 0x8f) || (op >= 0xd8 && op <= 0xdf)) {
        modrm = true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(modrm_ops); i++) {
        if (op == modrm_ops[i]) {
            modrm = true;
        }
    }
    switch (op) {
    case 0x6a: case 0x6b: case 0x80: case 0x82: case 0x83: case 0xa8: case 0xc0:
    case 0xc1: case 0xc6: case 0xcd: case 0xd4: case 0xd5: case 0xeb: case 0xf6:
        imm = 1;
        break;
    case 0x68: case 0x69: case 0x81: case 0xa9: case 0xc7: case 0xf7:
        imm = z;
        break;
    case 0xe8: case 0xe9:
        imm = mode == 64 ? 4 : z;
        break;
    case 0xc2: case 0xca:
        imm = 2;
        break;
    case 0xc8:
        imm = 3;
        break;
    case 0xa0: case 0xa1: case 0xa2: case 0xa3:
        imm = asz;
        break;
    case 0x9a: case 0xea:
        imm = z + 2;
        break;
    }
    if ((op >= 0x70 && op <= 0x7f) || (op >= 0xb0 && op <= 0xb7) ||
        (op >= 0xe0 && op <= 0xe7)) {
        imm = 1;
    }
    if (op >= 0xb8 && op <= 0xbf) {
        imm = z;
    }
    return 1 + modrm + imm;
}

static void test_one_byte_map(void)
{
    static const int modes[] = { 16, 32, 64 };
    unsigned checked = 0;

    for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
        for (unsigned op = 0; op < 256; op++) {
            uint8_t buf[X86_MAX_INSN_LEN] = { op };
            X86Insn in;
            int want = model_len(modes[m], op);
            int got = x86_decode(modes[m], buf, sizeof(buf), &in);

            if (got != want) {
                g_test_message("mode %d opcode %02x: got %d, model %d", modes[m], op,
                               got, want);
            }
            g_assert_cmpint(got, ==, want);
            checked++;
        }
    }
    g_assert_cmpuint(checked, ==, 768);
}

static void test_invalid(void)
{
    /* Invalid in 64-bit mode (SDM Vol 2D Table A-2 "i64"), valid in 32-bit. */
    static const char *const i64[] = {
        "06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f", "60", "61",
        "62 00", "82 00 00", "9a 00 00 00 00 00 00", "c4 00", "c5 00", "ce", "d4 0a",
        "d5 0a", "d6", "ea 00 00 00 00 00 00",
    };
    for (size_t i = 0; i < ARRAY_SIZE(i64); i++) {
        uint8_t buf[X86_MAX_INSN_LEN] = { 0 };
        X86Insn in;
        size_t n = parse_hex(i64[i], buf, sizeof(buf));
        g_assert_cmpint(x86_decode(64, buf, sizeof(buf), &in), ==, -X86_DECODE_UD);
        g_assert_cmpint(x86_decode(32, buf, sizeof(buf), &in), ==, (int)n);
    }
    dec(64, "8d c0", -X86_DECODE_UD);          /* LEA needs memory */
    dec(32, "0f 01 d0", 3);                    /* XGETBV */
    dec(32, "0f 01 10", 3);                    /* LGDT [eax] */
    dec(32, "0f 01 d8", -X86_DECODE_UD);       /* VMRUN: SVM not implemented */
    dec(32, "0f 01 f8", -X86_DECODE_UD);       /* SWAPGS outside 64-bit */
    dec(64, "0f 01 f8", 3);
    dec(32, "f0 01 c0", -X86_DECODE_UD);       /* LOCK with register destination */
    dec(32, "f0 88 00", -X86_DECODE_UD);       /* LOCK MOV */
    dec(32, "f0 01 00", 3);                    /* LOCK ADD [eax], eax */
    dec(32, "f0 0f c7 08", 4);                 /* LOCK CMPXCHG8B */
    dec(32, "f0 87 00", 3);                    /* LOCK XCHG */
    dec(32, "f0 38 00", -X86_DECODE_UD);       /* CMP is not lockable */
    dec(32, "0f 20 c8", -X86_DECODE_UD);       /* MOV eax, CR1 */
    dec(32, "0f 20 e0", 3);                    /* MOV eax, CR4 */
    dec(64, "44 0f 20 c0", 4);                 /* MOV rax, CR8 */
    dec(64, "44 0f 21 c0", -X86_DECODE_UD);    /* DR8 */
    dec(32, "8e c8", -X86_DECODE_UD);          /* MOV CS, ax */
    dec(32, "8e f0", -X86_DECODE_UD);          /* Sreg 6 */
    dec(32, "8c f0", -X86_DECODE_UD);
    dec(32, "c4 c0 00", -X86_DECODE_UD);       /* VEX in 32-bit mode */
    dec(32, "c4 00", 2);                       /* LES eax, [eax] */
    dec(32, "62 c0", -X86_DECODE_UD);          /* EVEX */
    dec(64, "c5 f8 77", -X86_DECODE_UD);       /* VZEROUPPER */
    dec(32, "fe 10", -X86_DECODE_UD);          /* FE /2 */
    dec(32, "ff 38", -X86_DECODE_UD);          /* FF /7 */
    dec(32, "ff d8", -X86_DECODE_UD);          /* CALLF needs memory */
    dec(32, "8f 08", -X86_DECODE_UD);          /* 8F /1 (XOP space) */
    dec(32, "0f 0f c0 b4", -X86_DECODE_UD);    /* 3DNow! */
    dec(32, "d9 08", -X86_DECODE_UD);          /* D9 /1 memory */
    dec(32, "de d8", -X86_DECODE_UD);          /* DE D8 */
    dec(32, "0f c7 c8", -X86_DECODE_UD);       /* CMPXCHG8B needs memory */
    dec(32, "f3 0f 54 c0", -X86_DECODE_UD);    /* ANDPS has no F3 form */
    dec(32, "f2 0f 38 00 c0", -X86_DECODE_UD); /* PSHUFB has no F2 form */
    dec(32, "66 0f 77", -X86_DECODE_UD);       /* EMMS is NP */
    dec(32, "0f 38 ff c0", -X86_DECODE_UD);
    dec(32, "0f 3a ff c0 00", -X86_DECODE_UD);
    dec(32, "0f 04", -X86_DECODE_UD);
    dec(32, "0f 0b", 2);                       /* UD2 decodes; the translator raises */
    dm(32, "0f 0b", 2, X86_M_UD2);
}

static void test_limits(void)
{
    uint8_t buf[32];
    X86Insn in;

    /* 14 prefixes + NOP = 15 bytes: fine. 15 prefixes + NOP: #GP. */
    memset(buf, 0x66, sizeof(buf));
    buf[14] = 0x90;
    g_assert_cmpint(x86_decode(32, buf, sizeof(buf), &in), ==, 15);
    memset(buf, 0x66, sizeof(buf));
    buf[15] = 0x90;
    g_assert_cmpint(x86_decode(32, buf, sizeof(buf), &in), ==, -X86_DECODE_TOOLONG);
    /* The limit is architectural: it does not depend on how much was supplied. */
    g_assert_cmpint(x86_decode(32, buf, 15, &in), ==, -X86_DECODE_TOOLONG);
    /* 11 prefixes + ADD eax, imm32 = 16 bytes. */
    memset(buf, 0x3e, sizeof(buf));
    buf[11] = 0x05;
    g_assert_cmpint(x86_decode(32, buf, sizeof(buf), &in), ==, -X86_DECODE_TOOLONG);
    /* Prefixes, 0F 3A, ModRM+SIB+disp32+imm8 that just fits, then one too many. */
    dec(64, "3e 3e 3e 66 0f 3a 0f 84 00 11 22 33 44 05", 14);
    dec(64, "3e 3e 3e 3e 66 0f 3a 0f 84 00 11 22 33 44 05", 15);
    dec(64, "3e 3e 3e 3e 3e 66 0f 3a 0f 84 00 11 22 33 44 05", -X86_DECODE_TOOLONG);
    /* Truncation asks for more bytes. */
    memcpy(buf, "\x05\x01\x02\x03\x04", 5);
    g_assert_cmpint(x86_decode(32, buf, 0, &in), ==, -X86_DECODE_TRUNC);
    g_assert_cmpint(x86_decode(32, buf, 3, &in), ==, -X86_DECODE_TRUNC);
    g_assert_cmpint(x86_decode(32, buf, 4, &in), ==, -X86_DECODE_TRUNC);
    g_assert_cmpint(x86_decode(32, buf, 5, &in), ==, 5);
    g_assert_cmpint(x86_decode(16, buf, 3, &in), ==, 3);
    /* An invalid mode value is rejected, not trusted. */
    g_assert_cmpint(x86_decode((X86DecodeMode)8, buf, 5, &in), ==, -X86_DECODE_UD);
}

/* Property: for any bytes, a result of length L means every shorter prefix of
 * the input is TRUNC and every longer one gives L again. */
static void test_truncation_property(void)
{
    GRand *rng = g_rand_new_with_seed(0xdec0de);
    static const int modes[] = { 16, 32, 64 };
    unsigned valid = 0;

    for (unsigned it = 0; it < 20000; it++) {
        uint8_t buf[X86_MAX_INSN_LEN];
        X86Insn in;
        int mode = modes[it % 3];
        int full;

        for (unsigned i = 0; i < sizeof(buf); i++) {
            buf[i] = g_rand_int_range(rng, 0, 256);
        }
        full = x86_decode(mode, buf, sizeof(buf), &in);
        g_assert_cmpint(full, !=, -X86_DECODE_TRUNC);
        g_assert_cmpint(full, <=, X86_MAX_INSN_LEN);
        if (full <= 0) {
            continue;
        }
        valid++;
        g_assert_cmpint(in.len, ==, full);
        for (int avail = 0; avail < full; avail++) {
            g_assert_cmpint(x86_decode(mode, buf, avail, &in), ==, -X86_DECODE_TRUNC);
        }
    }
    g_assert_cmpuint(valid, >, 10000);
    g_rand_free(rng);
}

static void test_rex(void)
{
    X86Insn in;

    /* REX.W: 64-bit operand size; 66 before REX still applies but W wins. */
    in = dec(64, "48 01 c0", 3);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 8);
    in = dec(64, "66 48 01 c0", 4);
    g_assert_cmpuint(in.opsize, ==, 64);
    /* A REX followed by a legacy prefix is ignored (SDM Vol 2A §2.2.1). */
    in = dec(64, "48 66 01 c0", 4);
    g_assert_cmpuint(in.opsize, ==, 16);
    g_assert_cmpuint(in.rex, ==, 0);
    g_assert_false(in.prefixes & X86_P_REX);
    in = dec(64, "41 3e 01 c0", 4);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 4);
    in = dec(64, "49 f0 01 00", 4);     /* ignored REX, then LOCK ADD [rax], eax */
    g_assert_true(in.prefixes & X86_P_LOCK);
    g_assert_cmpint(in.mem.base, ==, R_EAX);
    g_assert_cmpuint(in.opsize, ==, 32);
    /* Only the last REX counts. */
    in = dec(64, "41 48 01 c0", 4);
    g_assert_cmpuint(in.rex, ==, 0x48);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 8);
    /* REX.R, REX.X, REX.B. */
    in = dec(64, "4d 8b 44 b5 08", 5);
    check_reg(&in.ops[1 - 1], X86_RC_GPR, 8, 8);
    g_assert_cmpint(in.mem.base, ==, 13);
    g_assert_cmpint(in.mem.index, ==, R_ESI);
    g_assert_cmpuint(in.mem.scale, ==, 4);
    in = dec(64, "42 8b 04 20", 4);     /* REX.X: index r12 is a real index */
    g_assert_cmpint(in.mem.index, ==, 12);
    in = dec(64, "8b 04 20", 3);        /* index 100b: none */
    g_assert_cmpint(in.mem.index, ==, -1);
    g_assert_cmpint(in.mem.base, ==, R_EAX);
    in = dec(64, "41 8b 45 00", 4);     /* r13 base needs a disp8 like rbp */
    g_assert_cmpint(in.mem.base, ==, 13);
    g_assert_cmpuint(in.mem.disp_size, ==, 1);
    /* Byte registers: AH without REX, SPL with it. */
    in = dec(32, "88 e0", 2);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 1);
    check_reg(&in.ops[1], X86_RC_GPR8H, 0, 1);
    in = dec(64, "40 88 e0", 3);
    check_reg(&in.ops[1], X86_RC_GPR, R_ESP, 1);
    /* 90: NOP, PAUSE, or XCHG r8 with REX.B. */
    dm(64, "90", 1, X86_M_NOP);
    dm(64, "f3 90", 2, X86_M_PAUSE);
    in = dec(64, "41 90", 2);
    check_mnem(&in, X86_M_XCHG);
    check_reg(&in.ops[0], X86_RC_GPR, 8, 4);
    /* MOV r64, imm64. */
    in = dec(64, "48 b8 88 77 66 55 44 33 22 11", 10);
    g_assert_cmpuint(in.imm[0], ==, 0x1122334455667788ULL);
    /* imm32 sign-extended to 64 bits. */
    in = dec(64, "48 c7 c0 ff ff ff ff", 7);
    g_assert_cmpint(in.imm[0], ==, -1);
    in = dec(32, "c7 c0 ff ff ff ff", 6);
    g_assert_cmpint(in.imm[0], ==, 0xffffffffLL);
    in = dec(32, "83 c0 ff", 3);        /* Ib sign-extended to the operand size */
    g_assert_cmpint(in.imm[0], ==, -1);
    g_assert_cmpuint(in.ops[1].size, ==, 4);
    in = dec(32, "80 c0 ff", 3);
    g_assert_cmpint(in.imm[0], ==, 0xff);
}

static void test_operand_size(void)
{
    X86Insn in;

    in = dec(64, "50", 1);
    g_assert_cmpuint(in.opsize, ==, 64);
    in = dec(64, "66 50", 2);
    g_assert_cmpuint(in.opsize, ==, 16);
    in = dec(64, "6a ff", 2);
    g_assert_cmpint(in.imm[0], ==, -1);
    g_assert_cmpuint(in.ops[0].size, ==, 8);
    /* Near branches: forced 64-bit, 66 ignored (Intel), rel32. */
    in = dec(64, "66 e8 00 00 00 00", 6);
    g_assert_cmpuint(in.opsize, ==, 64);
    in = dec(32, "66 e8 34 12", 4);
    g_assert_cmpuint(in.opsize, ==, 16);
    in = dec(16, "e8 34 12", 3);
    g_assert_cmpint(in.imm[0], ==, 0x1234);
    g_assert_cmpuint(in.ops[0].kind, ==, X86_OPK_REL);
    in = dec(16, "66 e8 78 56 34 12", 6);
    g_assert_cmpuint(in.opsize, ==, 32);
    in = dec(32, "eb fe", 2);
    g_assert_cmpint(in.imm[0], ==, -2);
    /* Address size: JCXZ/JECXZ/JRCXZ is one mnemonic, addrsize says which. */
    in = dec(64, "67 e3 00", 3);
    check_mnem(&in, X86_M_JCXZ);
    g_assert_cmpuint(in.addrsize, ==, 32);
    /* 16-bit mode with 66: 32-bit operands. */
    in = dec(16, "66 b8 78 56 34 12", 6);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 4);
    /* MOV CR in 64-bit mode is always 64-bit. */
    in = dec(64, "0f 20 d8", 3);        /* MOV rax, CR3 */
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 8);
    check_reg(&in.ops[1], X86_RC_CR, 3, 8);
    /* MOV CR ignores mod: "0f 22 18" is MOV CR3, eax, with no memory operand. */
    in = dec(32, "0f 22 18", 3);
    g_assert_false(in.has_mem);
    check_reg(&in.ops[0], X86_RC_CR, 3, 4);
    check_reg(&in.ops[1], X86_RC_GPR, R_EAX, 4);
}

static void test_rip_relative(void)
{
    X86Insn in;

    in = dec(64, "8b 05 78 56 34 12", 6);
    g_assert_true(in.has_mem && in.mem.rip_rel);
    g_assert_cmpint(in.mem.base, ==, X86_BASE_RIP);
    g_assert_cmpint(in.mem.disp, ==, 0x12345678);
    in = dec(64, "67 8b 05 f0 ff ff ff", 7);    /* EIP-relative */
    g_assert_true(in.mem.rip_rel);
    g_assert_cmpuint(in.addrsize, ==, 32);
    g_assert_cmpint(in.mem.disp, ==, -16);
    in = dec(64, "8b 04 25 78 56 34 12", 7);    /* SIB, no base: absolute */
    g_assert_false(in.mem.rip_rel);
    g_assert_cmpint(in.mem.base, ==, X86_BASE_NONE);
    g_assert_cmpint(in.mem.index, ==, -1);
    in = dec(32, "8b 05 78 56 34 12", 6);       /* 32-bit mode: absolute */
    g_assert_false(in.mem.rip_rel);
    g_assert_cmpint(in.mem.base, ==, X86_BASE_NONE);
    /* RIP-relative followed by an immediate: the immediate comes after disp. */
    in = dec(64, "c7 05 d1 d2 d3 d4 01 02 03 04", 10);
    g_assert_true(in.mem.rip_rel);
    g_assert_cmpint(in.mem.disp, ==, (int32_t)0xd4d3d2d1);
    g_assert_cmpint(in.imm[0], ==, 0x04030201);
    /* FS override is kept in 64-bit mode; DS is not meaningful. */
    in = dec(64, "64 8b 05 00 00 00 00", 7);
    g_assert_cmpuint(in.mem.seg, ==, R_FS);
    in = dec(64, "26 8b 00", 3);
    g_assert_cmpuint(in.mem.seg, ==, R_DS);
}

static void test_addr16(void)
{
    static const struct {
        uint8_t modrm;
        int base, index;
        unsigned disp_size, seg;
    } forms[] = {
        { 0x00, R_EBX, R_ESI, 0, R_DS }, { 0x01, R_EBX, R_EDI, 0, R_DS },
        { 0x02, R_EBP, R_ESI, 0, R_SS }, { 0x03, R_EBP, R_EDI, 0, R_SS },
        { 0x04, R_ESI, -1, 0, R_DS },    { 0x05, R_EDI, -1, 0, R_DS },
        { 0x06, X86_BASE_NONE, -1, 2, R_DS }, { 0x07, R_EBX, -1, 0, R_DS },
        { 0x46, R_EBP, -1, 1, R_SS },    { 0x86, R_EBP, -1, 2, R_SS },
        { 0x40, R_EBX, R_ESI, 1, R_DS }, { 0x87, R_EBX, -1, 2, R_DS },
    };

    for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
        uint8_t buf[X86_MAX_INSN_LEN] = { 0x8b, forms[i].modrm, 0xfe, 0xff };
        X86Insn in;
        int len = x86_decode(16, buf, sizeof(buf), &in);

        g_assert_cmpint(len, ==, 2 + (int)forms[i].disp_size);
        g_assert_true(in.has_mem);
        g_assert_cmpint(in.mem.base, ==, forms[i].base);
        g_assert_cmpint(in.mem.index, ==, forms[i].index);
        g_assert_cmpuint(in.mem.disp_size, ==, forms[i].disp_size);
        g_assert_cmpuint(in.mem.seg, ==, forms[i].seg);
        if (forms[i].disp_size == 1) {
            g_assert_cmpint(in.mem.disp, ==, -2);
        } else if (forms[i].disp_size == 2) {
            g_assert_cmpint(in.mem.disp, ==, -2);
        }
        /* The same bytes with 67 in 32-bit mode are the 16-bit form. */
        uint8_t b2[X86_MAX_INSN_LEN] = { 0x67, 0x8b, forms[i].modrm, 0xfe, 0xff };
        X86Insn in2;
        g_assert_cmpint(x86_decode(32, b2, sizeof(b2), &in2), ==, len + 1);
        g_assert_cmpint(in2.mem.base, ==, forms[i].base);
    }
    /* Segment override beats the SS default. */
    X86Insn in = dec(16, "26 8b 46 00", 4);
    g_assert_cmpuint(in.mem.seg, ==, R_ES);
    /* 67 in 16-bit mode: 32-bit forms with SIB. */
    in = dec(16, "67 8b 04 8d 00 00 00 00", 8);
    g_assert_cmpint(in.mem.base, ==, X86_BASE_NONE);
    g_assert_cmpint(in.mem.index, ==, R_ECX);
    g_assert_cmpuint(in.mem.scale, ==, 4);
}

static void test_moffs_far_enter(void)
{
    X86Insn in;

    in = dec(16, "a1 34 12", 3);
    g_assert_cmpint(in.mem.disp, ==, 0x1234);
    g_assert_cmpuint(in.ops[1].size, ==, 2);
    dec(16, "67 a1 78 56 34 12", 6);
    in = dec(32, "a1 78 56 34 12", 5);
    g_assert_cmpint(in.mem.disp, ==, 0x12345678);
    dec(32, "67 a1 34 12", 4);
    in = dec(64, "a1 88 77 66 55 44 33 22 11", 9);
    g_assert_cmpuint(in.mem.disp, ==, 0x1122334455667788ULL);
    dec(64, "67 a1 78 56 34 12", 6);
    in = dec(64, "48 a3 88 77 66 55 44 33 22 f1", 10);
    g_assert_cmpuint(in.mem.disp, ==, 0xf122334455667788ULL);  /* not sign-extended */
    g_assert_cmpuint(in.ops[0].size, ==, 8);
    in = dec(64, "65 a0 00 00 00 00 00 00 00 00", 10);
    g_assert_cmpuint(in.mem.seg, ==, R_GS);

    in = dec(16, "ea 34 12 00 f0", 5);
    check_mnem(&in, X86_M_JMPF);
    g_assert_cmpuint(in.ops[0].kind, ==, X86_OPK_FAR);
    g_assert_cmpint(in.imm[0], ==, 0x1234);
    g_assert_cmpint(in.imm[1], ==, 0xf000);
    in = dec(32, "9a 78 56 34 12 08 00", 7);
    check_mnem(&in, X86_M_CALLF);
    g_assert_cmpint(in.imm[0], ==, 0x12345678);
    g_assert_cmpint(in.imm[1], ==, 8);
    in = dec(32, "66 ea 34 12 08 00", 6);
    g_assert_cmpint(in.imm[0], ==, 0x1234);
    in = dec(64, "48 ff 28", 3);            /* JMPF m16:64 */
    check_mnem(&in, X86_M_JMPF);
    g_assert_cmpuint(in.ops[0].size, ==, 10);

    in = dec(32, "c8 10 20 03", 4);
    check_mnem(&in, X86_M_ENTER);
    g_assert_cmpuint(in.n_imm, ==, 2);
    g_assert_cmpint(in.imm[0], ==, 0x2010);
    g_assert_cmpint(in.imm[1], ==, 3);
    in = dec(64, "c2 08 00", 3);
    g_assert_cmpint(in.imm[0], ==, 8);
}

static void test_groups(void)
{
    static const unsigned grp1[8] = { X86_M_ADD, X86_M_OR, X86_M_ADC, X86_M_SBB,
                                      X86_M_AND, X86_M_SUB, X86_M_XOR, X86_M_CMP };
    static const unsigned grp2[8] = { X86_M_ROL, X86_M_ROR, X86_M_RCL, X86_M_RCR,
                                      X86_M_SHL, X86_M_SHR, X86_M_SAL, X86_M_SAR };
    X86Insn in;

    for (unsigned r = 0; r < 8; r++) {
        uint8_t b[X86_MAX_INSN_LEN] = { 0x81, 0xc0 | (r << 3), 1, 2, 3, 4 };
        g_assert_cmpint(x86_decode(32, b, sizeof(b), &in), ==, 6);
        check_mnem(&in, grp1[r]);
        uint8_t c[X86_MAX_INSN_LEN] = { 0xd3, 0xc0 | (r << 3) };
        g_assert_cmpint(x86_decode(32, c, sizeof(c), &in), ==, 2);
        check_mnem(&in, grp2[r]);
        check_reg(&in.ops[1], X86_RC_GPR, R_ECX, 1);
    }
    /* Group 3: only TEST has an immediate. */
    dm(32, "f7 c0 01 00 00 00", 6, X86_M_TEST);
    dm(32, "f7 d0", 2, X86_M_NOT);
    dm(32, "f6 f8", 2, X86_M_IDIV);
    /* Group 5. */
    in = dec(64, "ff d0", 2);
    check_mnem(&in, X86_M_CALL);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 8);
    dm(64, "ff 30", 2, X86_M_PUSH);
    dm(32, "ff 18", 2, X86_M_CALLF);
    /* Group 8 (BT*), group 9, group 15, 0F 01, 0F 18. */
    dm(32, "0f ba e0 05", 4, X86_M_BT);
    dm(32, "0f ba f8 05", 4, X86_M_BTC);
    dec(32, "0f ba c0 05", -X86_DECODE_UD);
    dm(64, "48 0f c7 08", 4, X86_M_CMPXCHG16B);
    dm(64, "0f c7 08", 3, X86_M_CMPXCHG8B);
    dm(64, "0f c7 f0", 3, X86_M_RDRAND);
    dm(32, "0f ae 38", 3, X86_M_CLFLUSH);
    dm(32, "66 0f ae 38", 4, X86_M_CLFLUSHOPT);
    dm(32, "0f ae e8", 3, X86_M_LFENCE);
    dm(32, "0f ae f0", 3, X86_M_MFENCE);
    dm(32, "0f ae f8", 3, X86_M_SFENCE);
    dm(64, "f3 48 0f ae c0", 5, X86_M_RDFSBASE);
    dm(32, "0f ae 10", 3, X86_M_LDMXCSR);
    dm(32, "0f 01 10", 3, X86_M_LGDT);
    in = dec(64, "0f 01 10", 3);
    g_assert_cmpuint(in.ops[0].size, ==, 10);
    dm(32, "0f 01 f9", 3, X86_M_RDTSCP);
    dm(32, "0f 01 c8", 3, X86_M_MONITOR);
    dm(32, "0f 01 38", 3, X86_M_INVLPG);
    dec(32, "0f 01 f8", -X86_DECODE_UD);
    dm(32, "0f 18 08", 3, X86_M_PREFETCHT0);
    dm(32, "0f 1f 44 00 00", 5, X86_M_NOP);
    dm(32, "0f 00 d8", 3, X86_M_LTR);
    dm(32, "c6 00 05", 3, X86_M_MOV);
    dec(32, "c6 08 05", -X86_DECODE_UD);
}

static void test_mandatory_prefixes(void)
{
    X86Insn in;

    dm(32, "0f 58 c1", 3, X86_M_ADDPS);
    dm(32, "66 0f 58 c1", 4, X86_M_ADDPD);
    dm(32, "f3 0f 58 c1", 4, X86_M_ADDSS);
    dm(32, "f2 0f 58 c1", 4, X86_M_ADDSD);
    /* F2/F3 win over 66; the last of F2/F3 wins; order with segments is free. */
    in = dec(32, "66 f3 0f 58 c1", 5);
    check_mnem(&in, X86_M_ADDSS);
    g_assert_cmpuint(in.mandatory, ==, 0xf3);
    dm(32, "f3 66 0f 58 c1", 5, X86_M_ADDSS);
    dm(32, "f2 f3 0f 58 c1", 5, X86_M_ADDSS);
    dm(32, "f3 2e 0f 58 c1", 5, X86_M_ADDSS);
    /* 66 as a mandatory prefix does not change the operand size. */
    in = dec(64, "66 48 0f 6e c0", 5);
    check_mnem(&in, X86_M_MOVD);
    check_reg(&in.ops[0], X86_RC_XMM, 0, 16);
    check_reg(&in.ops[1], X86_RC_GPR, R_EAX, 8);
    /* MMX and SSE forms of one mnemonic; MMX ignores REX.R/B. */
    in = dec(64, "45 0f fc c1", 4);
    check_reg(&in.ops[0], X86_RC_MMX, 0, 8);
    check_reg(&in.ops[1], X86_RC_MMX, 1, 8);
    in = dec(64, "66 45 0f fc c1", 5);
    check_mnem(&in, X86_M_PADDB);
    check_reg(&in.ops[0], X86_RC_XMM, 8, 16);
    check_reg(&in.ops[1], X86_RC_XMM, 9, 16);
    /* Integer instructions selected by F3/F2 keep 66 as operand size. */
    in = dec(32, "f3 0f b8 c1", 4);
    check_mnem(&in, X86_M_POPCNT);
    g_assert_cmpuint(in.desc->feature, ==, X86_FEAT_POPCNT);
    in = dec(32, "66 f3 0f b8 c1", 5);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 2);
    dm(32, "0f bc c1", 3, X86_M_BSF);
    dm(32, "f3 0f bc c1", 4, X86_M_TZCNT);
    dm(32, "f3 0f bd c1", 4, X86_M_LZCNT);
    in = dec(32, "66 f2 0f 38 f1 c1", 6);
    check_mnem(&in, X86_M_CRC32);
    check_reg(&in.ops[1], X86_RC_GPR, R_ECX, 2);
    dm(32, "0f 38 f0 00", 4, X86_M_MOVBE);
    dec(32, "0f 38 f0 c0", -X86_DECODE_UD);          /* MOVBE needs memory */
    dm(32, "66 0f 38 f1 00", 5, X86_M_MOVBE);
    /* Memory/register forms of one opcode. */
    dm(32, "0f 12 00", 3, X86_M_MOVLPS);
    dm(32, "0f 12 c1", 3, X86_M_MOVHLPS);
    /* Immediates in the 0F 3A map and in 0F 70-73. */
    in = dec(32, "66 0f 3a 0f c1 08", 6);
    check_mnem(&in, X86_M_PALIGNR);
    g_assert_cmpint(in.imm[0], ==, 8);
    in = dec(32, "66 0f 73 d8 04", 5);
    check_mnem(&in, X86_M_PSRLDQ);
    dec(32, "0f 73 d8 04", -X86_DECODE_UD);          /* no MMX PSRLDQ */
    in = dec(64, "66 48 0f 3a 16 c0 01", 7);
    check_mnem(&in, X86_M_PEXTRD);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 8);
    in = dec(32, "66 0f 38 10 c1", 5);
    check_mnem(&in, X86_M_PBLENDVB);
    g_assert_cmpuint(in.ops[2].am, ==, X86_AM_XMM0);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_SSE);
}

static void test_x87(void)
{
    X86Insn in;

    in = dec(32, "d8 c1", 2);
    check_mnem(&in, X86_M_FADD);
    check_reg(&in.ops[0], X86_RC_ST, 0, 10);
    check_reg(&in.ops[1], X86_RC_ST, 1, 10);
    in = dec(32, "dc c1", 2);
    check_mnem(&in, X86_M_FADD);
    check_reg(&in.ops[0], X86_RC_ST, 1, 10);
    in = dec(32, "dd 00", 2);
    check_mnem(&in, X86_M_FLD);
    g_assert_cmpuint(in.ops[0].size, ==, 8);
    in = dec(32, "db 28", 2);
    check_mnem(&in, X86_M_FLD);
    g_assert_cmpuint(in.ops[0].size, ==, 10);
    in = dec(32, "d9 30", 2);
    check_mnem(&in, X86_M_FNSTENV);
    g_assert_cmpuint(in.ops[0].size, ==, 28);
    in = dec(32, "66 d9 30", 3);
    g_assert_cmpuint(in.ops[0].size, ==, 14);
    dm(32, "d9 e8", 2, X86_M_FLD1);
    dm(32, "d9 ee", 2, X86_M_FLDZ);
    dec(32, "d9 ef", -X86_DECODE_UD);
    dm(32, "de d9", 2, X86_M_FCOMPP);
    dm(32, "db e3", 2, X86_M_FNINIT);
    in = dec(32, "df e0", 2);
    check_mnem(&in, X86_M_FNSTSW);
    check_reg(&in.ops[0], X86_RC_GPR, R_EAX, 2);
    in = dec(32, "df 28", 2);
    check_mnem(&in, X86_M_FILD);
    g_assert_cmpuint(in.ops[0].size, ==, 8);
    in = dec(32, "da c1", 2);
    check_mnem(&in, X86_M_FCMOVB);
    g_assert_cmpuint(in.desc->feature, ==, X86_FEAT_CMOV);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_X87);
    dm(32, "9b", 1, X86_M_FWAIT);
}

static void test_table_attributes(void)
{
    X86Insn in;

    in = dec(32, "f3 a5", 2);
    check_mnem(&in, X86_M_MOVS);
    g_assert_true(in.desc->flags & X86_F_REP);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_STRING);
    in = dec(32, "f2 ae", 2);
    g_assert_true(in.desc->flags & X86_F_REPZ);
    g_assert_true(in.prefixes & X86_P_REPNE);
    in = dec(32, "0f a2", 2);
    check_mnem(&in, X86_M_CPUID);
    in = dec(32, "0f 30", 2);
    g_assert_true(in.desc->flags & X86_F_PRIV);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_SYSTEM);
    in = dec(32, "01 c0", 2);
    g_assert_true(in.desc->flags & X86_F_LOCK);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_ALU);
    in = dec(32, "0f 44 c1", 3);
    check_mnem(&in, X86_M_CMOVCC);
    g_assert_cmpuint(in.opcode & 0xf, ==, 4);
    g_assert_cmpuint(in.desc->feature, ==, X86_FEAT_CMOV);
    g_assert_cmpstr(x86_feature_name(in.desc->feature), ==, "cmov");
    g_assert_cmpstr(x86_mnemonic_name(X86_M_ADD), ==, "ADD");
    in = dec(64, "0f 05", 2);
    check_mnem(&in, X86_M_SYSCALL);
    g_assert_cmpuint(x86_mnemonic_family(in.mnem), ==, X86_FAM_SYSTEM);
    in = dec(32, "0f 34", 2);
    check_mnem(&in, X86_M_SYSENTER);
    in = dec(64, "9f", 1);          /* LAHF needs LAHF_LM in 64-bit mode only */
    check_mnem(&in, X86_M_LAHF);
    g_assert_cmpuint(in.desc->feature, ==, X86_FEAT_LAHF64);
    in = dec(32, "9f", 1);
    g_assert_cmpuint(in.desc->feature, ==, X86_FEAT_NONE);
    in = dec(32, "0f c8", 2);
    check_mnem(&in, X86_M_BSWAP);
    in = dec(64, "49 0f c8", 3);
    check_reg(&in.ops[0], X86_RC_GPR, 8, 8);
}

/* Coverage numbers for the report; also checks the table is well-formed. */
static void test_coverage(void)
{
    size_t count;
    const X86InsnDesc *t = x86_insn_table(&count);
    unsigned opcodes[X86_MAP_COUNT] = { 0 };
    bool seen[X86_MAP_COUNT][256] = { { false } };
    bool mnem_used[X86_M_COUNT] = { false };
    unsigned mnems = 0;

    for (size_t i = 0; i < count; i++) {
        g_assert_cmpuint(t[i].map, <, X86_MAP_COUNT);
        g_assert_cmpuint(t[i].mnem, <, X86_M_COUNT);
        g_assert_cmpuint(t[i].family, ==, x86_mnemonic_family(t[i].mnem));
        if (!seen[t[i].map][t[i].opcode]) {
            seen[t[i].map][t[i].opcode] = true;
            opcodes[t[i].map]++;
        }
        if (!mnem_used[t[i].mnem]) {
            mnem_used[t[i].mnem] = true;
            mnems++;
        }
    }
    /* Every declared mnemonic is used by at least one entry, except NOP-90's. */
    g_assert_cmpuint(mnems, ==, X86_M_COUNT);
    printf("# decoder table: %zu entries, %u mnemonics; opcodes: one-byte %u, "
           "0F %u, 0F38 %u, 0F3A %u\n", count, mnems, opcodes[X86_MAP_1B],
           opcodes[X86_MAP_0F], opcodes[X86_MAP_0F38], opcodes[X86_MAP_0F3A]);
    g_assert_cmpuint(opcodes[X86_MAP_1B], >=, 240);
    g_assert_cmpuint(opcodes[X86_MAP_0F], >=, 200);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/decode/one-byte-map", test_one_byte_map);
    g_test_add_func("/decode/invalid", test_invalid);
    g_test_add_func("/decode/limits", test_limits);
    g_test_add_func("/decode/truncation-property", test_truncation_property);
    g_test_add_func("/decode/rex", test_rex);
    g_test_add_func("/decode/operand-size", test_operand_size);
    g_test_add_func("/decode/rip-relative", test_rip_relative);
    g_test_add_func("/decode/addr16", test_addr16);
    g_test_add_func("/decode/moffs-far-enter", test_moffs_far_enter);
    g_test_add_func("/decode/groups", test_groups);
    g_test_add_func("/decode/mandatory-prefixes", test_mandatory_prefixes);
    g_test_add_func("/decode/x87", test_x87);
    g_test_add_func("/decode/table-attributes", test_table_attributes);
    g_test_add_func("/decode/coverage", test_coverage);
    return g_test_run();
}
