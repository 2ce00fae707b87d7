/*
 * test-decode-capstone.c: the decoder against Capstone, on many thousands of
 * random instructions (fixed seed) built from prefix/REX/escape/opcode shapes
 * followed by random ModRM, SIB, displacement and immediate bytes, in 16-, 32-
 * and 64-bit modes.
 *
 * For every sequence, validity and length must agree. For valid ones, the
 * register operands taken from ModRM/opcode, the memory operand (base, index,
 * scale, displacement) and the immediates must agree with Capstone's detail.
 * Where bt86 and Capstone differ on purpose, the difference is named in
 * known_difference() with the SDM reference; nothing else is tolerated.
 *
 * Environment: DECODE_ITERS overrides the sequence count per mode,
 * DECODE_VERBOSE=1 prints each disagreement.
 */
#include "util/osdep.h"
#include "target-x86/cpu.h"
#include "target-x86/decode.h"
#include <capstone/capstone.h>

#define MAX_REASONS 32

typedef struct Stats {
    const char *reason[MAX_REASONS];
    unsigned count[MAX_REASONS];
    unsigned n_reasons;
    unsigned agreed_valid, agreed_invalid, whitelisted, failed;
} Stats;

static void stats_note(Stats *s, const char *reason)
{
    for (unsigned i = 0; i < s->n_reasons; i++) {
        if (s->reason[i] == reason) {
            s->count[i]++;
            return;
        }
    }
    g_assert_cmpuint(s->n_reasons, <, MAX_REASONS);
    s->reason[s->n_reasons] = reason;
    s->count[s->n_reasons++] = 1;
}

static bool verbose(void)
{
    const char *v = g_getenv("DECODE_VERBOSE");
    return v && *v == '1';
}

static void dump_bytes(const char *what, int mode, const uint8_t *b, size_t n)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < n; i++) {
        g_string_append_printf(s, "%02x ", b[i]);
    }
    g_test_message("%s [mode %d] %s", what, mode, s->str);
    g_string_free(s, true);
}

/* Capstone-style name of one of our register operands. */
static void reg_name(const X86Operand *op, char *buf, size_t len)
{
    static const char *const r64[16] = {
        "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
        "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    static const char *const r32[8] = {
        "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    static const char *const r16[8] = {
        "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
    static const char *const r8[8] = {
        "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
    static const char *const r8h[4] = { "ah", "ch", "dh", "bh" };
    static const char *const seg[6] = { "es", "cs", "ss", "ds", "fs", "gs" };
    unsigned n = op->reg;

    switch (op->rclass) {
    case X86_RC_GPR:
        if (n >= 8) {
            const char *sfx = op->size == 4 ? "d" : op->size == 2 ? "w" :
                              op->size == 1 ? "b" : "";
            snprintf(buf, len, "%s%s", r64[n], sfx);
        } else {
            snprintf(buf, len, "%s", op->size == 8 ? r64[n] : op->size == 4 ? r32[n] :
                     op->size == 2 ? r16[n] : r8[n]);
        }
        break;
    case X86_RC_GPR8H: snprintf(buf, len, "%s", r8h[n & 3]); break;
    case X86_RC_SEG: snprintf(buf, len, "%s", seg[n % 6]); break;
    case X86_RC_CR: snprintf(buf, len, "cr%u", n); break;
    case X86_RC_DR: snprintf(buf, len, "dr%u", n); break;
    case X86_RC_XMM: snprintf(buf, len, "xmm%u", n); break;
    case X86_RC_MMX: snprintf(buf, len, "mm%u", n); break;
    case X86_RC_ST: snprintf(buf, len, "st(%u)", n); break;
    default: snprintf(buf, len, "?"); break;
    }
}

static const char *gpr_name_for_mem(int reg, unsigned asize, char *buf, size_t len)
{
    X86Operand op = { .kind = X86_OPK_REG, .rclass = X86_RC_GPR, .reg = reg,
                      .size = asize / 8 };
    reg_name(&op, buf, len);
    return buf;
}

static uint64_t mask_bytes(unsigned n)
{
    return n >= 8 ? ~0ULL : (1ULL << (8 * n)) - 1;
}

/* Operand methods whose register comes from ModRM or the opcode. */
static bool am_encoded_reg(unsigned am)
{
    switch (am) {
    case X86_AM_E: case X86_AM_G: case X86_AM_R: case X86_AM_GR: case X86_AM_S:
    case X86_AM_C: case X86_AM_D: case X86_AM_V: case X86_AM_W: case X86_AM_U:
    case X86_AM_P: case X86_AM_Q: case X86_AM_N: case X86_AM_STI: case X86_AM_Z:
        return true;
    default:
        return false;
    }
}

/* Split of a byte sequence into its prefixes and the rest. */
typedef struct PrefixInfo {
    unsigned len;           /* bytes of prefixes (incl. a REX in effect) */
    bool lock, has66, has67;
    uint8_t last_rep;       /* last F2/F3, or 0 */
    uint8_t rex;            /* REX directly before the opcode, or 0 */
} PrefixInfo;

static void scan_prefixes(int mode, const uint8_t *b, PrefixInfo *pi)
{
    unsigned p = 0;

    memset(pi, 0, sizeof(*pi));
    while (p < X86_MAX_INSN_LEN) {
        uint8_t c = b[p];
        if (mode == 64 && (c & 0xf0) == 0x40) {
            pi->rex = c;
            p++;
            continue;
        }
        if (c == 0xf0) {
            pi->lock = true;
        } else if (c == 0x66) {
            pi->has66 = true;
        } else if (c == 0x67) {
            pi->has67 = true;
        } else if (c == 0xf2 || c == 0xf3) {
            pi->last_rep = c;
        } else if (!(c == 0x26 || c == 0x2e || c == 0x36 || c == 0x3e || c == 0x64 ||
                     c == 0x65)) {
            break;
        }
        pi->rex = 0;
        p++;
    }
    pi->len = p;
}

/*
 * Canonical prefix order, same length: neutral DS overrides first, then the
 * other prefixes in their order, then 66, then the last F2/F3, then the REX in
 * effect. `drop66`/`droprep` leave those out (replaced by DS overrides).
 */
static void canonical(int mode, const uint8_t *in, uint8_t *out, bool drop66,
                      bool droprep)
{
    PrefixInfo pi;
    uint8_t tmp[X86_MAX_INSN_LEN];
    unsigned n = 0;

    scan_prefixes(mode, in, &pi);
    for (unsigned i = 0; i < pi.len; i++) {
        uint8_t c = in[i];
        if (c == 0x66 || c == 0xf2 || c == 0xf3 || (mode == 64 && (c & 0xf0) == 0x40)) {
            continue;
        }
        tmp[n++] = c;
    }
    if (pi.has66 && !drop66) {
        tmp[n++] = 0x66;
    }
    if (pi.last_rep && !droprep) {
        tmp[n++] = pi.last_rep;
    }
    if (pi.rex) {
        tmp[n++] = pi.rex;
    }
    unsigned pad = pi.len - n;
    memset(out, 0x3e, pad);
    memcpy(out + pad, tmp, n);
    memcpy(out + pi.len, in + pi.len, X86_MAX_INSN_LEN - pi.len);
}

static const char *compare_detail(csh h, const cs_insn *ci, const X86Insn *in,
                                  char *why, size_t whylen, bool check_size);
static bool size_checkable(const X86Insn *in);

/* Does the prefix part of `b` contain F2 or F3? */
static bool has_rep_prefix(int mode, const uint8_t *b)
{
    PrefixInfo pi;
    scan_prefixes(mode, b, &pi);
    for (unsigned i = 0; i < pi.len; i++) {
        if (b[i] == 0xf2 || b[i] == 0xf3) {
            return true;
        }
    }
    return false;
}

/* Do our decoder on `ours` and Capstone on `theirs` agree completely? */
static bool agree(csh h, int mode, const uint8_t *ours, const uint8_t *theirs)
{
    X86Insn in;
    cs_insn *ci = NULL;
    char why[160];
    int len = x86_decode(mode, ours, X86_MAX_INSN_LEN, &in);
    size_t n = cs_disasm(h, theirs, X86_MAX_INSN_LEN, 0x1000, 1, &ci);
    bool ok;

    if (len <= 0 || !n) {
        ok = len <= 0 && !n;
    } else {
        bool cs = size_checkable(&in) && !has_rep_prefix(mode, theirs);
        ok = (int)ci[0].size == len &&
             !compare_detail(h, &ci[0], &in, why, sizeof(why), cs);
    }
    if (n) {
        cs_free(ci, n);
    }
    return ok;
}

/*
 * Like agree(), but Capstone may run in another mode and on bytes whose
 * length differs by `delta` (ours + delta == theirs); branch operands are then
 * not compared.
 */
static bool agree_x(csh h2, int mode, const uint8_t *ours, const uint8_t *theirs,
                    int delta, bool len_only)
{
    X86Insn in;
    cs_insn *ci = NULL;
    char why[160];
    int len = x86_decode(mode, ours, X86_MAX_INSN_LEN, &in);
    size_t n = cs_disasm(h2, theirs, X86_MAX_INSN_LEN, 0x1000, 1, &ci);
    bool ok;

    if (len <= 0 || !n) {
        ok = len <= 0 && !n;
    } else {
        for (unsigned k = 0; k < in.n_ops && delta; k++) {
            if (in.ops[k].kind == X86_OPK_REL) {
                in.ops[k].kind = X86_OPK_NONE;
            }
        }
        ok = (int)ci[0].size == len + delta &&
             (len_only || !compare_detail(h2, &ci[0], &in, why, sizeof(why),
                                          size_checkable(&in) &&
                                          !has_rep_prefix(mode, theirs)));
    }
    if (n) {
        cs_free(ci, n);
    }
    return ok;
}

/* Replace every F2/F3 (and 66 if asked) prefix byte by a DS override. */
static void strip_prefixes(int mode, const uint8_t *in, uint8_t *out, bool strip66)
{
    PrefixInfo pi;

    scan_prefixes(mode, in, &pi);
    memcpy(out, in, X86_MAX_INSN_LEN);
    for (unsigned i = 0; i < pi.len; i++) {
        if (out[i] == 0xf2 || out[i] == 0xf3 || (strip66 && out[i] == 0x66)) {
            out[i] = 0x3e;
        }
    }
}

/* Insert byte `c` at offset `at`, dropping the last byte. */
static void insert_byte(const uint8_t *in, uint8_t *out, unsigned at, uint8_t c)
{
    memcpy(out, in, at);
    out[at] = c;
    memcpy(out + at + 1, in + at, X86_MAX_INSN_LEN - at - 1);
}

typedef struct CsHandles {
    csh h;      /* same mode */
    csh h32;    /* 32-bit mode, for Capstone's 16-bit mode gaps */
} CsHandles;

/*
 * Differences between bt86 and Capstone 4 that are by design or are Capstone
 * mistakes. Each is checked as precisely as possible and returns a fixed string
 * (the reason) so the summary counts them; NULL means "not a known
 * difference", which fails the test.
 */
static const char *known_difference(const CsHandles *hs, int mode, const uint8_t *b,
                                    int ours, int cs_len, const X86Insn *in,
                                    const cs_insn *ci)
{
    csh h = hs->h;
    PrefixInfo pi;
    uint8_t canon[X86_MAX_INSN_LEN], alt[X86_MAX_INSN_LEN];
    X86Insn cin;

    scan_prefixes(mode, b, &pi);
    if (pi.len >= 13) {
        return NULL;
    }
    const uint8_t *o = b + pi.len;
    uint8_t op = o[0], op2 = o[1], op3 = o[2];
    unsigned modrm_reg2 = (op3 >> 3) & 7;   /* ModRM.reg of a 0F xx insn */

    /*
     * Capstone 4 (the LLVM decoder) takes 66/F2/F3 as a mandatory prefix only
     * when it directly precedes 0F (or 66/REX). The SDM (Vol 2A §2.1.2,
     * §2.2.1) only requires REX to be adjacent; the prefix order is free. So
     * if Capstone agrees once the prefixes are put in canonical order, and our
     * result does not depend on that order, the difference is Capstone's.
     */
    for (int v = 0; v < 2; v++) {
        bool drop66 = v == 1;
        if (drop66 && !(pi.has66 && pi.last_rep && ours > 0 &&
                        (in->desc->flags & X86_F_SSE_PFX))) {
            continue;
        }
        canonical(mode, b, canon, drop66, false);
        if (memcmp(canon, b, X86_MAX_INSN_LEN) && agree(h, mode, canon, canon)) {
            int clen = x86_decode(mode, canon, X86_MAX_INSN_LEN, &cin);
            if ((clen <= 0 && ours <= 0) ||
                (clen == ours && cin.mnem == in->mnem && cin.opsize == in->opsize)) {
                return "Capstone needs mandatory prefixes adjacent to 0F";
            }
        }
    }
    canonical(mode, b, canon, false, false);
    /*
     * SDM Vol 2A §3.1.1.1 "NP": 66/F2/F3 not part of the opcode are not
     * allowed and cause #UD (or select another instruction). Capstone 4 drops
     * such an F2/F3 and decodes the remaining form: check that it is exactly
     * our decoding without the F2/F3.
     */
    if (ours == -X86_DECODE_UD && pi.last_rep && cs_len > 0) {
        canonical(mode, b, alt, false, true);
        if (agree(h, mode, alt, canon)) {
            return "F2/F3 on a form without one: #UD (SDM NP); Capstone ignores it";
        }
        canonical(mode, b, alt, true, true);
        if (agree(h, mode, alt, canon)) {
            return "F2/F3 on a form without one: #UD (SDM NP); Capstone ignores it";
        }
    }
    /* Same for a 66 on an NP form (MOVNTI, RCPPS, SHA*, EMMS...). */
    if (ours == -X86_DECODE_UD && pi.has66 && cs_len > 0 && op == 0x0f) {
        canonical(mode, b, alt, true, false);
        if (agree(h, mode, alt, canon)) {
            return "66 on a form without one: #UD (SDM NP); Capstone ignores it";
        }
    }
    /*
     * SDM Vol 2A §2.1.1: F2/F3 on an instruction that gives them no meaning
     * are ignored, and 66 keeps its operand-size meaning. Capstone 4 lets an
     * F2/F3 cancel the 66 or rejects the instruction. Check that Capstone
     * agrees once the F2/F3 are removed, and that they do not matter to us.
     */
    if (pi.last_rep && op != 0x0f) {
        strip_prefixes(mode, b, alt, false);
        int alen = x86_decode(mode, alt, X86_MAX_INSN_LEN, &cin);
        if (agree(h, mode, b, alt) &&
            ((alen <= 0 && ours <= 0) || (alen == ours && cin.mnem == in->mnem))) {
            return "F2/F3 on a non-SSE instruction do not cancel 66";
        }
    }
    /*
     * Capstone 4 in 64-bit mode treats "67 REX 0F" as if 66 were present
     * (e.g. 67 4C 0F 74 -> pcmpeqb xmm15). Check that Capstone's answer is our
     * decoding with a 66 inserted before the REX.
     */
    if (mode == 64 && pi.has67 && !pi.has66 && pi.rex && op == 0x0f && cs_len > 0) {
        insert_byte(b, alt, pi.len - 1, 0x66);
        /* Capstone also gets the REX.W size wrong here: length only. */
        if (agree_x(h, mode, alt, b, -1, true)) {
            return "Capstone 64-bit: 67 REX 0F read as 66";
        }
    }
    /*
     * Capstone 4's 16-bit mode misses many 66/F2/F3 SIMD forms. Decoding does
     * not depend on the mode beyond the address size, so compare with Capstone
     * in 32-bit mode with the address-size prefix toggled.
     */
    if (mode == 16 && op == 0x0f && (pi.has66 || pi.last_rep)) {
        /* Toggle 67 always, and 66 when it is an operand-size prefix here. */
        bool os66 = ours > 0 && !(in->desc->flags & X86_F_SSE_PFX) &&
                    in->desc->pfx != X86_PFX_66;
        for (int v = 0; v < 2; v++) {
            uint8_t c2[X86_MAX_INSN_LEN], c3[X86_MAX_INSN_LEN];
            int delta = 0;
            canonical(mode, b, c2, (v == 1 && pi.last_rep) || (os66 && pi.has66), false);
            for (unsigned i = 0; i < pi.len; i++) {
                if (c2[i] == 0x67) {
                    c2[i] = 0x3e;
                }
            }
            if (!pi.has67) {
                insert_byte(c2, c3, 0, 0x67);
                memcpy(c2, c3, sizeof(c2));
                delta++;
            }
            if (os66 && !pi.has66) {
                insert_byte(c2, c3, 0, 0x66);
                memcpy(c2, c3, sizeof(c2));
                delta++;
            }
            if (agree_x(hs->h32, mode, b, c2, delta, false)) {
                return "Capstone 16-bit mode misses SIMD forms (checked in 32-bit mode)";
            }
        }
    }
    /*
     * Capstone 4 in 16-bit mode does not treat 66 as a mandatory prefix and
     * decodes the MMX/NP form; SDM Vol 2A §2.1.2: 66 selects the SSE form in
     * every mode. Check that Capstone's answer is our decoding without 66.
     */
    if (mode == 16 && pi.has66 && op == 0x0f && cs_len > 0) {
        canonical(mode, b, alt, true, false);
        if (agree(h, mode, alt, canon)) {
            return "Capstone 16-bit mode ignores the 66 mandatory prefix";
        }
        canonical(mode, b, alt, true, true);
        if (agree(h, mode, alt, canon)) {
            return "Capstone 16-bit mode ignores the 66 mandatory prefix";
        }
    }

    /*
     * SDM Vol 2A §2.3 / §2.6: VEX and EVEX encode AVX/AVX-512, which bt86 does
     * not implement (CPUID.1:ECX.AVX = 0), so they are #UD by design.
     */
    if (ours == -X86_DECODE_UD && (op == 0xc4 || op == 0xc5 || op == 0x62) &&
        (mode == 64 || (op2 & 0xc0) == 0xc0)) {
        return "VEX/EVEX (AVX) not implemented: #UD";
    }
    /* AMD XOP (8F with ModRM.reg != 0) is not implemented: #UD. */
    if (ours == -X86_DECODE_UD && op == 0x8f && ((op2 >> 3) & 7) != 0) {
        return "XOP (AMD) not implemented: #UD";
    }
    /*
     * SDM Vol 2A "LOCK—Assert LOCK# Signal Prefix": #UD unless the instruction
     * is one of the lockable read-modify-write forms with a memory destination.
     * Capstone does not model this.
     */
    if (pi.lock && ours == -X86_DECODE_UD && cs_len > 0) {
        return "LOCK on non-lockable or register form: #UD (Capstone accepts)";
    }
    /*
     * SDM Vol 2B CALL/JMP/Jcc: in 64-bit mode near branches have a 64-bit
     * operand size and Intel CPUs ignore 66 (rel32 stays). Capstone follows AMD
     * (rel16).
     */
    if (mode == 64 && pi.has66 && ours > 0 && cs_len > 0 &&
        (op == 0xe8 || op == 0xe9 || (op == 0x0f && (op2 & 0xf0) == 0x80))) {
        return "66 on near branch in 64-bit mode: Intel ignores it";
    }
    /*
     * SDM Vol 2B MOV—Move to/from Control/Debug Registers: CR1, CR5-CR7,
     * CR9-CR15 and DR8-DR15 are #UD. Capstone decodes them.
     */
    if (ours == -X86_DECODE_UD && cs_len > 0 && op == 0x0f && op2 >= 0x20 &&
        op2 <= 0x23) {
        return "MOV to/from a reserved CR/DR: #UD";
    }
    /* SDM Vol 2B MOV: "MOV CS, r/m" is #UD. */
    if (ours == -X86_DECODE_UD && cs_len > 0 && op == 0x8e && ((op2 >> 3) & 7) == 1) {
        return "MOV to CS: #UD";
    }
    /*
     * Only six segment registers exist; REX.R does not extend ModRM.reg for
     * MOV Sreg (SDM Vol 2A §2.2.1.2 Table 2-4 lists only GPR/CR/DR/XMM).
     * Capstone rejects the encoding instead.
     */
    if (ours > 0 && cs_len < 0 && mode == 64 && (pi.rex & 4) &&
        (op == 0x8c || op == 0x8e)) {
        return "REX.R on MOV Sreg is ignored";
    }
    /*
     * SDM Vol 2B UD: "0F FF /r UD0 r32, r/m32" and "0F B9 /r UD1 r32, r/m32"
     * take a ModRM byte. Capstone 4 decodes UD1 ("ud2b") without it and
     * rejects UD0. Both raise #UD when executed.
     */
    if (ours > 0 && op == 0x0f && (op2 == 0xff || op2 == 0xb9)) {
        return "UD0/UD1 take a ModRM byte";
    }
    /*
     * SDM Vol 2D Table A-3: 0F 18-0F 1F are hint NOPs ("NOP Ev") in every
     * ModRM form; Capstone 4 rejects several of them.
     */
    if (ours > 0 && cs_len < 0 && op == 0x0f && op2 >= 0x18 && op2 <= 0x1f) {
        return "0F 18-1F hint NOP forms";
    }
    /* SDM Vol 2B MOVSXD: "63 /r MOVSXD r32, r/m32" without REX.W; Capstone says r64. */
    if (ours > 0 && cs_len == ours && mode == 64 && op == 0x63 && !(pi.rex & 8)) {
        return "MOVSXD without REX.W has a 32-bit destination";
    }
    /* SDM Vol 2B PUSH/POP: "50+rw PUSH r16" is valid in 64-bit mode with 66. */
    if (ours > 0 && cs_len == ours && mode == 64 && pi.has66 && op >= 0x50 &&
        op <= 0x5f && !(pi.rex & 8)) {
        return "66 PUSH/POP r16 in 64-bit mode";
    }
    /*
     * SDM Vol 2A §2.2.1.2 and PUSH/POP: with REX.W the operand is 64-bit (REX.W
     * overrides 66). Capstone 4 gives "word ptr" when 66 or 67 is present.
     */
    if (ours > 0 && cs_len == ours && mode == 64 && (pi.has66 || pi.has67) &&
        (pi.rex & 8) &&
        in->opsize == 64 && (in->mnem == X86_M_PUSH || in->mnem == X86_M_POP)) {
        return "REX.W PUSH/POP is 64-bit despite 66/67";
    }
    /* SDM Vol 2B RET: "C2 iw" always has a 16-bit immediate. */
    if (ours > 0 && op == 0xc2 && ours == (int)pi.len + 3) {
        return "RET imm16 is always 16 bits";
    }
    /*
     * The branch target is truncated by the operand size only (SDM Vol 2B
     * Jcc/JMP/CALL "Operation"): 67 does not matter, and with a 32-bit operand
     * size in 16-bit mode EIP is not truncated. Capstone 4 truncates to 16
     * bits in both cases. Accept only if the low 16 bits agree.
     */
    if (ours > 0 && cs_len == ours && (pi.has67 || (mode == 16 && in->opsize == 32)) &&
        in->n_ops && in->ops[0].kind == X86_OPK_REL) {
        for (unsigned j = 0; j < ci->detail->x86.op_count; j++) {
            const cs_x86_op *co = &ci->detail->x86.operands[j];
            uint64_t target = 0x1000 + ours + (uint64_t)in->imm[in->ops[0].index];
            if (co->type == X86_OP_IMM &&
                ((uint64_t)co->imm & 0xffff) == (target & 0xffff)) {
                return "Capstone truncates branch targets to 16 bits (67, or 16-bit mode)";
            }
        }
    }
    /*
     * Capstone prints CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7 as pseudo-ops
     * (cmpunordps) and drops the immediate operand.
     */
    if (ours > 0 && cs_len == ours && op == 0x0f && op2 == 0xc2 && in->n_imm == 1 &&
        in->imm[0] < 8 && !strncmp(ci->mnemonic, "cmp", 3)) {
        return "Capstone folds the CMPxx predicate into the mnemonic";
    }
    /* SDM Vol 2B LAR/LSL: "REX.W 0F 02 /r LAR r64, r32/m16": the source is r32. */
    if (ours > 0 && cs_len == ours && op == 0x0f && (op2 == 0x02 || op2 == 0x03) &&
        (pi.rex & 8)) {
        return "LAR/LSL with REX.W read a 32-bit source register";
    }
    /* Capstone prints AAM/AAD with the default base 10 without the operand. */
    if (ours > 0 && cs_len == ours && (op == 0xd4 || op == 0xd5) && in->imm[0] == 10 &&
        ci->detail->x86.op_count == 0) {
        return "Capstone omits AAM/AAD base 10";
    }
    /* SDM Vol 2B MOVQ: "F3 0F 7E /r MOVQ xmm1, xmm2/m64"; REX.W does not change it. */
    if (ours > 0 && mode == 64 && op == 0x0f && op2 == 0x7e && pi.last_rep == 0xf3 &&
        (pi.rex & 8) && in->mnem == X86_M_MOVQ) {
        return "F3 REX.W 0F 7E is still MOVQ xmm";
    }
    /*
     * AMD APM Vol 3 PREFETCH/PREFETCHW: 0F 0D /1 is PREFETCHW, /0 PREFETCH, and
     * /2-/7 are aliases of PREFETCH (executes on the AMD host; see
     * test-decode-native). Capstone 4 knows only /1.
     */
    if (ours > 0 && cs_len < 0 && op == 0x0f && op2 == 0x0d && in->mnem == X86_M_PREFETCH) {
        return "0F 0D /0, /2-/7 PREFETCH (AMD)";
    }
    /*
     * SDM Vol 2D Table A-6, group 15 with mod = 11B: LFENCE/MFENCE/SFENCE are
     * selected by ModRM.reg; rm is not decoded.
     */
    if (ours > 0 && cs_len < 0 && op == 0x0f && op2 == 0xae && (op3 & 0xc0) == 0xc0 &&
        (in->mnem == X86_M_LFENCE || in->mnem == X86_M_MFENCE ||
         in->mnem == X86_M_SFENCE)) {
        return "fences ignore ModRM.rm";
    }
    /*
     * SDM Vol 2B CALL/JMP/Jcc: the offset size follows the operand size (64
     * in 64-bit mode); 67 does not change it. Capstone 4 reads rel16.
     */
    if (mode == 64 && pi.has67 && ours > 0 && cs_len > 0 &&
        (op == 0xe8 || op == 0xe9 || (op == 0x0f && (op2 & 0xf0) == 0x80))) {
        return "67 on near branch in 64-bit mode: rel32 stays";
    }
    /* SDM Vol 2B XCHG/NOP: with REX.B, 90 is XCHG r8, rAX, not NOP. */
    if (mode == 64 && op == 0x90 && (pi.rex & 1) && in->mnem == X86_M_XCHG) {
        return "REX.B 90 is XCHG r8, rAX";
    }
    /* SDM Vol 2B RDPID: "F3 0F C7 /7 RDPID r64"; Capstone 4 predates it (rdseed). */
    if (ours > 0 && cs_len == ours && in->mnem == X86_M_RDPID &&
        !strcmp(ci->mnemonic, "rdseed")) {
        return "F3 0F C7 /7 is RDPID (Capstone 4: rdseed)";
    }
    /* SDM Vol 2B SWAPGS/RDFSBASE...: "#UD if not in 64-bit mode". */
    if (ours == -X86_DECODE_UD && cs_len > 0 && mode != 64 && ci &&
        (!strcmp(ci->mnemonic, "swapgs") || !strncmp(ci->mnemonic, "rdfsbase", 8) ||
         !strncmp(ci->mnemonic, "rdgsbase", 8) || !strncmp(ci->mnemonic, "wrfsbase", 8) ||
         !strncmp(ci->mnemonic, "wrgsbase", 8))) {
        return "64-bit-only instruction outside 64-bit mode: #UD";
    }
    if (ours == -X86_DECODE_UD && cs_len > 0 && op == 0x0f &&
        (op2 == 0xa6 || op2 == 0xa7)) {
        return "VIA PadLock not implemented: #UD";
    }
    if (ours == -X86_DECODE_UD && cs_len > 0 && op == 0x0f) {
        /* Extensions bt86 does not implement (their CPUID bits are clear). */
        if (op2 == 0x0f || op2 == 0x0e) {
            return "3DNow! not implemented: #UD";
        }
        if (op2 == 0x78 || op2 == 0x79 || op2 == 0x37 ||
            (op2 == 0x01 && (op3 == 0xc1 || op3 == 0xc2 || op3 == 0xc3 || op3 == 0xc4 ||
                             (op3 >= 0xd8 && op3 <= 0xdf) || op3 == 0xd4)) ||
            (op2 == 0xc7 && (op3 & 0xc0) != 0xc0 && modrm_reg2 >= 3) ||
            (op2 == 0x38 && (op3 == 0x80 || op3 == 0x81))) {
            return "VMX/SVM/SMX/XSAVES/SSE4a not implemented: #UD";
        }
        if (op2 == 0x01 && (op3 == 0xd5 || op3 == 0xd6 || op3 == 0xee || op3 == 0xef ||
                            op3 == 0xfa || op3 == 0xfb || op3 == 0xfc || op3 == 0xcf ||
                            op3 == 0xd7)) {
            return "TSX/PKU/MONITORX/CLZERO/SGX not implemented: #UD";
        }
    }
    if (ours == -X86_DECODE_UD && cs_len > 0 && (op == 0xc6 || op == 0xc7) &&
        op2 == 0xf8) {
        return "TSX (XABORT/XBEGIN) not implemented: #UD";
    }
    return NULL;
}

/*
 * Capstone's memory operand sizes follow its own conventions for far pointers
 * (offset only), x87/FXSAVE state areas, MMX/SSE low-half loads and hint NOPs,
 * and go wrong once F2/F3 and 66 are mixed; the size is compared for plain
 * integer instructions, where the SDM and Capstone use the same notion.
 */
static bool size_checkable(const X86Insn *in)
{
    X86Family f = x86_mnemonic_family(in->mnem);

    if (in->prefixes & (X86_P_REP | X86_P_REPNE)) {
        return false;
    }
    if (f != X86_FAM_ALU && f != X86_FAM_MOV && f != X86_FAM_STACK &&
        f != X86_FAM_CONTROL && f != X86_FAM_BCD && f != X86_FAM_FLAGS) {
        return false;
    }
    for (unsigned k = 0; k < in->n_ops; k++) {
        if (in->desc->ops[k].size == X86_SZ_P || in->desc->ops[k].size == X86_SZ_RZ_MW) {
            return false;
        }
    }
    return true;
}

/* Compare operands of a valid, equal-length pair. NULL when they agree. */
static const char *compare_detail(csh h, const cs_insn *ci, const X86Insn *in,
                                  char *why, size_t whylen, bool check_size)
{
    const cs_x86 *x = &ci->detail->x86;
    char name[16], name2[16];

    for (unsigned k = 0; k < in->n_ops; k++) {
        const X86Operand *op = &in->ops[k];
        bool found = false;

        if (op->kind == X86_OPK_REG && am_encoded_reg(op->am)) {
            reg_name(op, name, sizeof(name));
            for (unsigned j = 0; j < x->op_count; j++) {
                if (x->operands[j].type == X86_OP_REG &&
                    !strcmp(cs_reg_name(h, x->operands[j].reg), name)) {
                    found = true;
                }
            }
            if (!found) {
                snprintf(why, whylen, "register %s missing", name);
                return why;
            }
        } else if (op->kind == X86_OPK_IMM && op->index < 2) {
            uint64_t m = mask_bytes(in->imm_size[op->index]);
            for (unsigned j = 0; j < x->op_count; j++) {
                if (x->operands[j].type == X86_OP_IMM &&
                    ((uint64_t)x->operands[j].imm & m) ==
                    ((uint64_t)in->imm[op->index] & m)) {
                    found = true;
                }
            }
            if (!found) {
                snprintf(why, whylen, "immediate %#" PRIx64 " missing",
                         (uint64_t)in->imm[op->index]);
                return why;
            }
        } else if (op->kind == X86_OPK_REL) {
            uint64_t m = mask_bytes(in->opsize == 64 ? 8 : in->opsize / 8);
            uint64_t target = 0x1000 + in->len + (uint64_t)in->imm[op->index];
            for (unsigned j = 0; j < x->op_count; j++) {
                if (x->operands[j].type == X86_OP_IMM &&
                    ((uint64_t)x->operands[j].imm & m) == (target & m)) {
                    found = true;
                }
            }
            if (!found) {
                snprintf(why, whylen, "branch target %#" PRIx64 " missing", target & m);
                return why;
            }
        } else if (op->kind == X86_OPK_FAR) {
            unsigned hits = 0;
            for (unsigned j = 0; j < x->op_count; j++) {
                if (x->operands[j].type == X86_OP_IMM &&
                    ((uint64_t)x->operands[j].imm == (uint64_t)in->imm[0] ||
                     (uint64_t)x->operands[j].imm == (uint64_t)in->imm[1])) {
                    hits++;
                }
            }
            if (hits < 2) {
                snprintf(why, whylen, "far pointer %#" PRIx64 ":%#" PRIx64 " missing",
                         in->imm[1], in->imm[0]);
                return why;
            }
        }
    }
    if (in->has_mem) {
        const cs_x86_op *mo = NULL;
        for (unsigned j = 0; j < x->op_count; j++) {
            if (x->operands[j].type == X86_OP_MEM) {
                mo = &x->operands[j];
                break;
            }
        }
        if (!mo) {
            snprintf(why, whylen, "memory operand missing");
            return why;
        }
        const char *cb = mo->mem.base ? cs_reg_name(h, mo->mem.base) : "";
        const char *cx = mo->mem.index ? cs_reg_name(h, mo->mem.index) : "";
        const char *ob = in->mem.base == X86_BASE_NONE ? "" :
                         in->mem.base == X86_BASE_RIP ?
                         (in->addrsize == 64 ? "rip" : "eip") :
                         gpr_name_for_mem(in->mem.base, in->addrsize, name, sizeof(name));
        const char *ox = in->mem.index < 0 ? "" :
                         gpr_name_for_mem(in->mem.index, in->addrsize, name2,
                                          sizeof(name2));
        uint64_t dm = mask_bytes(in->mem.disp_size ? in->mem.disp_size : 8);
        if (strcmp(cb, ob) || strcmp(cx, ox)) {
            snprintf(why, whylen, "memory base/index %s/%s vs ours %s/%s", cb, cx, ob, ox);
            return why;
        }
        if (in->mem.index >= 0 && mo->mem.scale != in->mem.scale) {
            snprintf(why, whylen, "scale %d vs ours %u", mo->mem.scale, in->mem.scale);
            return why;
        }
        for (unsigned k = 0; k < in->n_ops && check_size; k++) {
            const X86Operand *op = &in->ops[k];
            if (op->kind == X86_OPK_MEM && op->am != X86_AM_X && op->am != X86_AM_Y &&
                op->size && mo->size && op->size != mo->size) {
                snprintf(why, whylen, "memory size %u vs ours %u", mo->size, op->size);
                return why;
            }
        }
        if (((uint64_t)mo->mem.disp & dm) != ((uint64_t)in->mem.disp & dm)) {
            snprintf(why, whylen, "displacement %#" PRIx64 " vs ours %#" PRIx64,
                     (uint64_t)mo->mem.disp, (uint64_t)in->mem.disp);
            return why;
        }
    }
    return NULL;
}

/* Build one random instruction shape into buf (15 bytes). */
static void gen_shape(GRand *rng, int mode, uint8_t *buf)
{
    static const uint8_t legacy[] = { 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x36, 0x3e, 0x26,
                                      0x64, 0x65, 0x66, 0x66, 0xf3, 0xf2 };
    unsigned p = 0;
    unsigned npfx = g_rand_int_range(rng, 0, 8);

    npfx = npfx < 4 ? 0 : npfx - 3;      /* half without prefixes */
    for (unsigned i = 0; i < npfx; i++) {
        buf[p++] = legacy[g_rand_int_range(rng, 0, ARRAY_SIZE(legacy))];
    }
    if (g_rand_int_range(rng, 0, 40) == 0) {
        buf[p++] = 0xf0;
    }
    if (mode == 64 && g_rand_boolean(rng)) {
        buf[p++] = 0x40 | g_rand_int_range(rng, 0, 16);
    }
    switch (g_rand_int_range(rng, 0, 10)) {
    case 0: case 1: case 2: case 3: case 4:
        break;
    case 5: case 6: case 7:
        buf[p++] = 0x0f;
        break;
    case 8:
        buf[p++] = 0x0f;
        buf[p++] = 0x38;
        break;
    default:
        buf[p++] = 0x0f;
        buf[p++] = 0x3a;
        break;
    }
    while (p < X86_MAX_INSN_LEN) {
        buf[p++] = g_rand_int_range(rng, 0, 256);
    }
}

static void run_random(int mode, unsigned iters, Stats *st)
{
    csh h;
    cs_mode cm = mode == 64 ? CS_MODE_64 : mode == 32 ? CS_MODE_32 : CS_MODE_16;
    GRand *rng = g_rand_new_with_seed(0xb786 + mode);
    char why[256];
    unsigned printed = 0;

    g_assert_cmpint(cs_open(CS_ARCH_X86, cm, &h), ==, CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    CsHandles hs = { .h = h };
    g_assert_cmpint(cs_open(CS_ARCH_X86, CS_MODE_32, &hs.h32), ==, CS_ERR_OK);
    cs_option(hs.h32, CS_OPT_DETAIL, CS_OPT_ON);
    for (unsigned it = 0; it < iters; it++) {
        uint8_t buf[X86_MAX_INSN_LEN];
        X86Insn in;
        cs_insn *ci = NULL;
        const char *bad = NULL;

        gen_shape(rng, mode, buf);
        int ours = x86_decode(mode, buf, sizeof(buf), &in);
        size_t n = cs_disasm(h, buf, sizeof(buf), 0x1000, 1, &ci);
        int cs_len = n ? (int)ci[0].size : -1;

        g_assert_cmpint(ours, !=, -X86_DECODE_TRUNC);
        if (ours <= 0 && cs_len <= 0) {
            st->agreed_invalid++;
        } else if (ours != cs_len) {
            const char *k = known_difference(&hs, mode, buf, ours, cs_len, &in,
                                                n ? &ci[0] : NULL);
            if (k) {
                stats_note(st, k);
                st->whitelisted++;
            } else {
                snprintf(why, sizeof(why), "length/validity: ours %d, capstone %d (%s %s)",
                         ours, cs_len, n ? ci[0].mnemonic : "-", n ? ci[0].op_str : "");
                bad = why;
            }
        } else {
            bad = compare_detail(h, &ci[0], &in, why, sizeof(why), size_checkable(&in));
            if (bad) {
                const char *k = known_difference(&hs, mode, buf, ours, cs_len, &in,
                                                n ? &ci[0] : NULL);
                if (k) {
                    stats_note(st, k);
                    st->whitelisted++;
                    bad = NULL;
                }
            } else {
                st->agreed_valid++;
            }
        }
        if (bad) {
            st->failed++;
            if (verbose() || printed < 20) {
                printed++;
                dump_bytes(bad, mode, buf, sizeof(buf));
                if (n) {
                    g_test_message("   capstone: %s %s (%u bytes); ours %s",
                                   ci[0].mnemonic, ci[0].op_str, ci[0].size,
                                   ours > 0 ? x86_mnemonic_name(in.mnem) : "-");
                }
            }
        }
        if (n) {
            cs_free(ci, n);
        }
    }
    cs_close(&h);
    cs_close(&hs.h32);
    g_rand_free(rng);
}

static void test_random(gconstpointer data)
{
    int mode = GPOINTER_TO_INT(data);
    const char *env = g_getenv("DECODE_ITERS");
    unsigned iters = env ? strtoul(env, NULL, 0) : 200000;
    Stats st = { 0 };

    run_random(mode, iters, &st);
    printf("# mode %d: %u sequences: %u agreed valid, %u agreed invalid, "
           "%u known differences, %u disagreements\n",
           mode, iters, st.agreed_valid, st.agreed_invalid, st.whitelisted, st.failed);
    for (unsigned i = 0; i < st.n_reasons; i++) {
        printf("#   known: %-64s %u\n", st.reason[i], st.count[i]);
    }
    /* The comparison must actually have compared many valid instructions. */
    g_assert_cmpuint(st.agreed_valid, >, iters / 4);
    g_assert_cmpuint(st.failed, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/decode/capstone/random16", GINT_TO_POINTER(16), test_random);
    g_test_add_data_func("/decode/capstone/random32", GINT_TO_POINTER(32), test_random);
    g_test_add_data_func("/decode/capstone/random64", GINT_TO_POINTER(64), test_random);
    return g_test_run();
}
