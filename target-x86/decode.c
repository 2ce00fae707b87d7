/*
 * decode.c: the table-driven x86 instruction decoder.
 *
 * Walks the instruction format of Intel SDM Vol 2A chapter 2: legacy prefixes
 * (§2.1.1, any order and repetition), REX (§2.2.1: 64-bit mode only, and only
 * when it is the last prefix before the opcode), the opcode maps of Vol 2D
 * appendix A selected by escape bytes and mandatory prefixes, ModRM and SIB
 * (§2.1.5, Tables 2-1 to 2-3 and the 16-bit forms), RIP-relative addressing
 * (§2.2.1.6), displacement and immediates. VEX/EVEX (§2.3, §2.6) are recognised
 * and raise #UD: bt86 does not report AVX in CPUID.
 *
 * The entries come from insn-table.def. They are grouped by (map, opcode) once,
 * at first use, into an immutable index; decoding is then a scan of the few
 * entries sharing an opcode.
 */
#include "util/osdep.h"
#include "target-x86/cpu.h"
#include "target-x86/decode.h"

/* Family of each mnemonic, as enum constants so table entries can use them. */
enum {
#define X86_MNEM(name, family) X86_MF_##name = X86_FAM_##family,
#define X86_INSN(...)
#include "target-x86/insn-table.def"
#undef X86_MNEM
#undef X86_INSN
};

/* Operand shorthands in the manual's notation (SDM Vol 2D §A.2). */
#define OPD(am, sz) { X86_AM_##am, X86_SZ_##sz, 0 }
#define NO   OPD(NONE, NONE)
#define Eb   OPD(E, B)
#define Ew   OPD(E, W)
#define Ed   OPD(E, D)
#define Ev   OPD(E, V)
#define Ey   OPD(E, Y)
#define Evw  OPD(E, RV_MW)
#define Edw  OPD(E, RD_MW)
#define Ezw  OPD(E, RZ_MW)
#define Edb  OPD(E, RD_MB)
#define Gb   OPD(G, B)
#define Gw   OPD(G, W)
#define Gd   OPD(G, D)
#define Gv   OPD(G, V)
#define Gy   OPD(G, Y)
#define M    OPD(M, MEM)
#define Mw   OPD(M, W)
#define Md   OPD(M, D)
#define Mq   OPD(M, Q)
#define Mv   OPD(M, V)
#define My   OPD(M, Y)
#define Mp   OPD(M, P)
#define Ma   OPD(M, A)
#define Ms   OPD(M, S)
#define Mt   OPD(M, T)
#define Mx   OPD(M, DQ)
#define Mdq  OPD(M, DQ)
#define Menv OPD(M, ENV)
#define Mst  OPD(M, STATE)
#define M512 OPD(M, 512)
#define Mxs  OPD(M, XS)
#define Ry   OPD(R, Y)
#define Rv   OPD(GR, V)
#define Ib   OPD(I, B)
#define Ibs  OPD(I, BS)
#define Iw   OPD(I, W)
#define Iz   OPD(I, Z)
#define Iv   OPD(I, V)
#define Jb   OPD(J, B)
#define Jz   OPD(J, Z)
#define Ob   OPD(O, B)
#define Ov   OPD(O, V)
#define Ap   OPD(A, P)
#define Sw   OPD(S, W)
#define Cd   OPD(C, Y)
#define Dd   OPD(D, Y)
#define Zb   OPD(Z, B)
#define Zv   OPD(Z, V)
#define Zy   OPD(Z, Y)
#define Xb   OPD(X, B)
#define Xv   OPD(X, V)
#define Xz   OPD(X, Z)
#define Yb   OPD(Y, B)
#define Yv   OPD(Y, V)
#define Yz   OPD(Y, Z)
#define Vx   OPD(V, DQ)
#define Wx   OPD(W, DQ)
#define Wq   OPD(W, Q)
#define Wd   OPD(W, D)
#define Ww   OPD(W, W)
#define Ux   OPD(U, DQ)
#define Pq   OPD(P, Q)
#define Qq   OPD(Q, Q)
#define Qd   OPD(Q, D)
#define Nq   OPD(N, Q)
#define STi  OPD(STI, T)
#define ST0  OPD(ST0, T)
#define XMM0 OPD(XMM0, DQ)
#define ONE  OPD(ONE, B)
#define AL   { X86_AM_REG, X86_SZ_B, R_EAX }
#define CL   { X86_AM_REG, X86_SZ_B, R_ECX }
#define AX   { X86_AM_REG, X86_SZ_W, R_EAX }
#define DX   { X86_AM_REG, X86_SZ_W, R_EDX }
#define rAX  { X86_AM_REG, X86_SZ_V, R_EAX }
#define eAX  { X86_AM_REG, X86_SZ_Z, R_EAX }
#define sES  { X86_AM_SEG, X86_SZ_W, R_ES }
#define sCS  { X86_AM_SEG, X86_SZ_W, R_CS }
#define sSS  { X86_AM_SEG, X86_SZ_W, R_SS }
#define sDS  { X86_AM_SEG, X86_SZ_W, R_DS }
#define sFS  { X86_AM_SEG, X86_SZ_W, R_FS }
#define sGS  { X86_AM_SEG, X86_SZ_W, R_GS }

/* Flag shorthands. */
#define D64   X86_F_D64
#define F64   X86_F_F64
#define I64   X86_F_I64
#define O64   X86_F_O64
#define LOCK  X86_F_LOCK
#define XLOCK X86_F_XLOCK
#define REP   X86_F_REP
#define REPZ  X86_F_REPZ
#define SSEP  X86_F_SSE_PFX
#define PRIV  X86_F_PRIV
#define NOW   X86_F_NOW
#define REXW  X86_F_REXW

static const X86InsnDesc insn_table[] = {
#define X86_MNEM(name, family)
#define X86_INSN(map, opc, pfx, r, mod, rm, mn, feat, fl, ...) \
    { X86_M_##mn, X86_MAP_##map, opc, X86_PFX_##pfx, r, X86_MOD_##mod, rm, \
      X86_FEAT_##feat, X86_MF_##mn, (fl), { __VA_ARGS__ } },
#include "target-x86/insn-table.def"
#undef X86_MNEM
#undef X86_INSN
};

static const char *const mnem_names[] = {
#define X86_MNEM(name, family) #name,
#define X86_INSN(...)
#include "target-x86/insn-table.def"
#undef X86_MNEM
#undef X86_INSN
};

static const uint8_t mnem_family[] = {
#define X86_MNEM(name, family) X86_FAM_##family,
#define X86_INSN(...)
#include "target-x86/insn-table.def"
#undef X86_MNEM
#undef X86_INSN
};

static const char *const feature_names[X86_FEAT_COUNT] = {
    [X86_FEAT_NONE] = "none", [X86_FEAT_FPU] = "fpu", [X86_FEAT_CMOV] = "cmov",
    [X86_FEAT_CX8] = "cx8", [X86_FEAT_CX16] = "cx16", [X86_FEAT_MMX] = "mmx",
    [X86_FEAT_SSE] = "sse", [X86_FEAT_SSE2] = "sse2", [X86_FEAT_SSE3] = "sse3",
    [X86_FEAT_SSSE3] = "ssse3", [X86_FEAT_SSE41] = "sse4.1",
    [X86_FEAT_SSE42] = "sse4.2", [X86_FEAT_POPCNT] = "popcnt",
    [X86_FEAT_LZCNT] = "lzcnt", [X86_FEAT_BMI1] = "bmi1", [X86_FEAT_MOVBE] = "movbe",
    [X86_FEAT_RDTSCP] = "rdtscp", [X86_FEAT_SYSCALL] = "syscall",
    [X86_FEAT_SEP] = "sep", [X86_FEAT_CLFLUSH] = "clflush",
    [X86_FEAT_CLFLUSHOPT] = "clflushopt", [X86_FEAT_CLWB] = "clwb",
    [X86_FEAT_FXSR] = "fxsr", [X86_FEAT_XSAVE] = "xsave",
    [X86_FEAT_XSAVEOPT] = "xsaveopt", [X86_FEAT_MONITOR] = "monitor",
    [X86_FEAT_RDRAND] = "rdrand", [X86_FEAT_RDSEED] = "rdseed",
    [X86_FEAT_FSGSBASE] = "fsgsbase", [X86_FEAT_LAHF64] = "lahf_lm",
    [X86_FEAT_AES] = "aes", [X86_FEAT_PCLMUL] = "pclmulqdq", [X86_FEAT_SHA] = "sha",
    [X86_FEAT_ADX] = "adx", [X86_FEAT_RDPID] = "rdpid",
    [X86_FEAT_PREFETCHW] = "prefetchw", [X86_FEAT_SMAP] = "smap",
};

/*
 * The index: entries of one (map, opcode) are contiguous in `order`, from
 * first[key] to first[key + 1]. Built once; read-only afterwards.
 */
#define N_KEYS (X86_MAP_COUNT * 256)

typedef struct DecodeIndex {
    uint16_t first[N_KEYS + 1];
    uint16_t order[ARRAY_SIZE(insn_table)];
    bool modrm[N_KEYS];
} DecodeIndex;

static DecodeIndex decode_index;

static bool am_uses_modrm(unsigned am)
{
    switch (am) {
    case X86_AM_E: case X86_AM_G: case X86_AM_M: case X86_AM_R: case X86_AM_S:
    case X86_AM_C: case X86_AM_D: case X86_AM_V: case X86_AM_W: case X86_AM_U:
    case X86_AM_P: case X86_AM_Q: case X86_AM_N: case X86_AM_STI: case X86_AM_GR:
        return true;
    default:
        return false;
    }
}

static gpointer decode_index_build(gpointer unused)
{
    DecodeIndex *ix = &decode_index;
    unsigned count[N_KEYS] = { 0 };
    unsigned fill[N_KEYS];

    G_STATIC_ASSERT(ARRAY_SIZE(insn_table) < UINT16_MAX);
    G_STATIC_ASSERT(ARRAY_SIZE(mnem_names) == X86_M_COUNT);
    for (size_t i = 0; i < ARRAY_SIZE(insn_table); i++) {
        const X86InsnDesc *d = &insn_table[i];
        unsigned key = d->map * 256 + d->opcode;
        count[key]++;
        if (d->reg >= 0 || d->mod != X86_MOD_ANY || d->map >= X86_MAP_0F38) {
            ix->modrm[key] = true;
        }
        for (int k = 0; k < 4; k++) {
            if (am_uses_modrm(d->ops[k].am)) {
                ix->modrm[key] = true;
            }
        }
    }
    ix->first[0] = 0;
    for (unsigned k = 0; k < N_KEYS; k++) {
        ix->first[k + 1] = ix->first[k] + count[k];
        fill[k] = ix->first[k];
    }
    /* Stable: table order is the tie-break between equally good matches. */
    for (size_t i = 0; i < ARRAY_SIZE(insn_table); i++) {
        unsigned key = insn_table[i].map * 256 + insn_table[i].opcode;
        ix->order[fill[key]++] = i;
    }
    return NULL;
}

static const DecodeIndex *decode_index_get(void)
{
    static GOnce once = G_ONCE_INIT;

    g_once(&once, decode_index_build, NULL);
    return &decode_index;
}

const X86InsnDesc *x86_insn_table(size_t *count)
{
    *count = ARRAY_SIZE(insn_table);
    return insn_table;
}

const char *x86_mnemonic_name(unsigned mnem)
{
    return mnem < X86_M_COUNT ? mnem_names[mnem] : "?";
}

X86Family x86_mnemonic_family(unsigned mnem)
{
    return mnem < X86_M_COUNT ? (X86Family)mnem_family[mnem] : X86_FAM_MISC;
}

const char *x86_feature_name(unsigned feat)
{
    return feat < X86_FEAT_COUNT && feature_names[feat] ? feature_names[feat] : "?";
}

/*
 * Byte reader. Every field is checked against the 15-byte architectural limit
 * first (so the answer does not depend on how many bytes the caller had), then
 * against what the caller supplied.
 */
typedef struct Reader {
    const uint8_t *bytes;
    size_t avail;
    unsigned pos;
} Reader;

static int reader_need(const Reader *r, unsigned n)
{
    if (r->pos + n > X86_MAX_INSN_LEN) {
        return -X86_DECODE_TOOLONG;
    }
    if (r->pos + n > r->avail) {
        return -X86_DECODE_TRUNC;
    }
    return 0;
}

/* Read an n-byte little-endian field; sign-extend it if asked. */
static int reader_get(Reader *r, unsigned n, bool sign, int64_t *val)
{
    uint64_t v = 0;
    int ret = reader_need(r, n);

    if (ret < 0) {
        return ret;
    }
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)r->bytes[r->pos + i] << (8 * i);
    }
    r->pos += n;
    if (sign && n < 8) {
        unsigned shift = 64 - 8 * n;
        *val = (int64_t)(v << shift) >> shift;
    } else {
        *val = (int64_t)v;
    }
    return 0;
}

/* Rank of an entry's prefix class against the effective mandatory prefix. */
static int prefix_rank(unsigned cls, unsigned mp)
{
    switch (cls) {
    case X86_PFX_ANY:
        return 1;
    case X86_PFX_NOREP:
        return (mp == 0 || mp == 0x66) ? 2 : 0;
    case X86_PFX_NP:
        return mp == 0 ? 3 : 0;
    case X86_PFX_66:
        return mp == 0x66 ? 3 : 0;
    case X86_PFX_F3:
        return mp == 0xf3 ? 3 : 0;
    case X86_PFX_F2:
        return mp == 0xf2 ? 3 : 0;
    }
    return 0;
}

static const X86InsnDesc *select_entry(const DecodeIndex *ix, unsigned key,
                                       X86Insn *insn, unsigned mp)
{
    const X86InsnDesc *best = NULL;
    int best_rank = 0;
    bool rexw = insn->rex & 8;

    for (unsigned i = ix->first[key]; i < ix->first[key + 1]; i++) {
        const X86InsnDesc *d = &insn_table[ix->order[i]];
        int rank;

        if (d->reg >= 0 && d->reg != ((insn->modrm >> 3) & 7)) {
            continue;
        }
        if (d->mod == X86_MOD_MEM && insn->mod == 3) {
            continue;
        }
        if (d->mod == X86_MOD_REG && insn->mod != 3) {
            continue;
        }
        if (d->rm >= 0 && d->rm != (insn->modrm & 7)) {
            continue;
        }
        if ((d->flags & X86_F_I64) && insn->mode == 64) {
            continue;
        }
        if ((d->flags & X86_F_O64) && insn->mode != 64) {
            continue;
        }
        if ((d->flags & X86_F_REXW) && !rexw) {
            continue;
        }
        if ((d->flags & X86_F_NOW) && rexw) {
            continue;
        }
        rank = prefix_rank(d->pfx, mp);
        if (rank > best_rank) {
            best = d;
            best_rank = rank;
        }
    }
    return best;
}

/* Effective operand size (SDM Vol 1 §3.6, Vol 2A §2.2.1.2 Table 2-4). */
static unsigned operand_size(const X86Insn *insn, const X86InsnDesc *d)
{
    bool os66 = (insn->prefixes & X86_P_OPSIZE) && d->pfx != X86_PFX_66 &&
                !(d->flags & X86_F_SSE_PFX);

    if (insn->mode == 64) {
        if (d->flags & X86_F_F64) {
            return 64;
        }
        if (insn->rex & 8) {
            return 64;
        }
        if (os66) {
            return 16;
        }
        return (d->flags & X86_F_D64) ? 64 : 32;
    }
    if (insn->mode == 32) {
        return os66 ? 16 : 32;
    }
    return os66 ? 32 : 16;
}

/* Bytes of an operand of size `sz` (0 when it has no fixed size). */
static unsigned operand_bytes(const X86Insn *insn, unsigned sz, bool is_mem)
{
    unsigned os = insn->opsize / 8;

    switch (sz) {
    case X86_SZ_B: case X86_SZ_BS: return 1;
    case X86_SZ_W: return 2;
    case X86_SZ_D: return 4;
    case X86_SZ_Q: return 8;
    case X86_SZ_V: return os;
    case X86_SZ_Z: return os == 2 ? 2 : 4;
    case X86_SZ_Y: return os == 8 ? 8 : 4;
    case X86_SZ_P: return 2 + os;
    case X86_SZ_A: return 2 * os;
    case X86_SZ_S: return insn->mode == 64 ? 10 : 6;
    case X86_SZ_DQ: return 16;
    case X86_SZ_T: return 10;
    case X86_SZ_ENV: return os == 2 ? 14 : 28;
    case X86_SZ_STATE: return os == 2 ? 94 : 108;
    case X86_SZ_512: return 512;
    case X86_SZ_RV_MW: return is_mem ? 2 : os;
    case X86_SZ_RD_MW: return is_mem ? 2 : 4;
    case X86_SZ_RZ_MW: return is_mem ? 2 : os == 2 ? 2 : 4;
    case X86_SZ_RD_MB: return is_mem ? 1 : 4;
    default: return 0;
    }
}

/* ModRM memory operand, 16-bit forms (SDM Vol 2A Table 2-1). */
static int decode_mem16(Reader *r, X86Insn *insn)
{
    static const int8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI,
                                      R_EBP, R_EBX };
    static const int8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };
    unsigned rm = insn->modrm & 7;
    X86MemOperand *m = &insn->mem;
    unsigned dsize = 0;

    m->base = base16[rm];
    m->index = index16[rm];
    m->scale = 1;
    if (insn->mod == 0 && rm == 6) {
        m->base = X86_BASE_NONE;
        dsize = 2;
    } else if (insn->mod == 1) {
        dsize = 1;
    } else if (insn->mod == 2) {
        dsize = 2;
    }
    m->disp_size = dsize;
    return dsize ? reader_get(r, dsize, true, &m->disp) : 0;
}

/* ModRM/SIB memory operand, 32/64-bit forms (SDM Vol 2A Tables 2-2, 2-3, 2-7). */
static int decode_mem32(Reader *r, X86Insn *insn)
{
    X86MemOperand *m = &insn->mem;
    unsigned rm = insn->modrm & 7;
    unsigned dsize = insn->mod == 1 ? 1 : insn->mod == 2 ? 4 : 0;
    unsigned rex = insn->rex;
    int ret;

    m->scale = 1;
    m->index = -1;
    if (rm == 4) {
        int64_t sib;
        unsigned base, index;

        ret = reader_get(r, 1, false, &sib);
        if (ret < 0) {
            return ret;
        }
        insn->has_sib = true;
        insn->sib = sib;
        m->scale = 1 << (sib >> 6);
        index = ((sib >> 3) & 7) | ((rex & 2) << 2);
        base = (sib & 7) | ((rex & 1) << 3);
        /* index 100b without REX.X means "no index" (r12 is usable). */
        m->index = index == 4 ? -1 : (int)index;
        if ((sib & 7) == 5 && insn->mod == 0) {
            m->base = X86_BASE_NONE;
            dsize = 4;
        } else {
            m->base = base;
        }
    } else if (rm == 5 && insn->mod == 0) {
        dsize = 4;
        if (insn->mode == 64) {
            m->base = X86_BASE_RIP;
            m->rip_rel = true;
        } else {
            m->base = X86_BASE_NONE;
        }
    } else {
        m->base = rm | ((rex & 1) << 3);
    }
    m->disp_size = dsize;
    return dsize ? reader_get(r, dsize, true, &m->disp) : 0;
}

/* Effective segment of a ModRM/moffs memory operand (SDM Vol 1 §3.7.4). */
static unsigned mem_segment(const X86Insn *insn)
{
    int base = insn->mem.base;

    if (insn->seg_override >= 0) {
        /* In 64-bit mode only FS and GS overrides mean anything. */
        if (insn->mode != 64 || insn->seg_override >= R_FS) {
            return insn->seg_override;
        }
    }
    if (base == R_ESP || base == R_EBP) {
        return R_SS;
    }
    return R_DS;
}

static void set_gpr(X86Operand *op, const X86Insn *insn, unsigned reg, unsigned size)
{
    op->kind = X86_OPK_REG;
    op->size = size;
    op->rclass = X86_RC_GPR;
    op->reg = reg;
    /* Without REX, byte registers 4-7 are AH, CH, DH, BH (SDM Vol 2A §2.2.1.2). */
    if (size == 1 && reg >= 4 && reg < 8 && !(insn->prefixes & X86_P_REX)) {
        op->rclass = X86_RC_GPR8H;
        op->reg = reg - 4;
    }
}

static void set_reg(X86Operand *op, unsigned rclass, unsigned reg, unsigned size)
{
    op->kind = X86_OPK_REG;
    op->rclass = rclass;
    op->reg = reg;
    op->size = size;
}

/* Read the immediate of operand `op`; returns 0 or a negative decode code. */
static int decode_imm(Reader *r, X86Insn *insn, const X86OpDesc *od, X86Operand *op)
{
    unsigned n = insn->n_imm;
    unsigned bytes;
    bool sign = false;
    int ret;

    if (n >= 2) {
        return -X86_DECODE_UD;   /* table error; never for a valid entry */
    }
    switch (od->size) {
    case X86_SZ_B: bytes = 1; break;
    case X86_SZ_BS: bytes = 1; sign = true; break;
    case X86_SZ_W: bytes = 2; break;
    case X86_SZ_D: bytes = 4; break;
    case X86_SZ_V: bytes = insn->opsize / 8; break;
    case X86_SZ_Z:
        bytes = insn->opsize == 16 ? 2 : 4;
        /* imm32 with a 64-bit operand is sign-extended (Vol 2A §2.2.1.5). */
        sign = insn->opsize == 64;
        break;
    default:
        return -X86_DECODE_UD;
    }
    if (od->am == X86_AM_J) {
        sign = true;
    }
    ret = reader_get(r, bytes, sign, &insn->imm[n]);
    if (ret < 0) {
        return ret;
    }
    insn->imm_size[n] = bytes;
    insn->n_imm = n + 1;
    op->kind = od->am == X86_AM_J ? X86_OPK_REL : X86_OPK_IMM;
    op->index = n;
    op->size = od->size == X86_SZ_BS ? insn->opsize / 8 : bytes;
    return 0;
}

/* Valid control registers: CR0, CR2-CR4, CR8 (SDM Vol 2B MOV—Move to/from CR). */
static bool cr_valid(unsigned n)
{
    return n == 0 || n == 2 || n == 3 || n == 4 || n == 8;
}

static int decode_operands(Reader *r, X86Insn *insn)
{
    const X86InsnDesc *d = insn->desc;
    unsigned rex = insn->rex;
    unsigned modreg = insn->reg;            /* with REX.R */
    unsigned modrm_rm = insn->modrm & 7;
    int ret;

    for (int k = 0; k < 4 && d->ops[k].am != X86_AM_NONE; k++) {
        const X86OpDesc *od = &d->ops[k];
        X86Operand *op = &insn->ops[k];
        bool reg_form = insn->mod == 3;

        op->am = od->am;
        switch (od->am) {
        case X86_AM_E: case X86_AM_M: case X86_AM_W: case X86_AM_Q:
            if (reg_form && od->am != X86_AM_M) {
                unsigned bytes = operand_bytes(insn, od->size, false);
                if (od->am == X86_AM_E) {
                    set_gpr(op, insn, insn->rm, bytes);
                } else if (od->am == X86_AM_W) {
                    set_reg(op, X86_RC_XMM, insn->rm, 16);
                } else {
                    set_reg(op, X86_RC_MMX, modrm_rm, 8);
                }
            } else if (reg_form) {
                return -X86_DECODE_UD;
            } else {
                op->kind = X86_OPK_MEM;
                op->size = operand_bytes(insn, od->size, true);
            }
            break;
        case X86_AM_G:
            set_gpr(op, insn, modreg, operand_bytes(insn, od->size, false));
            break;
        case X86_AM_R:
            set_gpr(op, insn, (modrm_rm | ((rex & 1) << 3)),
                    operand_bytes(insn, od->size, false));
            break;
        case X86_AM_GR: case X86_AM_U: case X86_AM_N:
            if (!reg_form) {
                return -X86_DECODE_UD;
            }
            if (od->am == X86_AM_GR) {
                set_gpr(op, insn, insn->rm, operand_bytes(insn, od->size, false));
            } else if (od->am == X86_AM_U) {
                set_reg(op, X86_RC_XMM, insn->rm, 16);
            } else {
                set_reg(op, X86_RC_MMX, modrm_rm, 8);
            }
            break;
        case X86_AM_S: {
            unsigned sreg = (insn->modrm >> 3) & 7;
            /* Only six segment registers; MOV to CS is #UD (Vol 2B MOV). */
            if (sreg > R_GS || (k == 0 && sreg == R_CS)) {
                return -X86_DECODE_UD;
            }
            set_reg(op, X86_RC_SEG, sreg, 2);
            break;
        }
        case X86_AM_C:
            if (!cr_valid(modreg)) {
                return -X86_DECODE_UD;
            }
            set_reg(op, X86_RC_CR, modreg, insn->opsize / 8);
            break;
        case X86_AM_D:
            if (modreg > 7) {
                return -X86_DECODE_UD;
            }
            set_reg(op, X86_RC_DR, modreg, insn->opsize / 8);
            break;
        case X86_AM_V:
            set_reg(op, X86_RC_XMM, modreg, 16);
            break;
        case X86_AM_P:
            set_reg(op, X86_RC_MMX, (insn->modrm >> 3) & 7, 8);
            break;
        case X86_AM_STI:
            set_reg(op, X86_RC_ST, modrm_rm, 10);
            break;
        case X86_AM_ST0:
            set_reg(op, X86_RC_ST, 0, 10);
            break;
        case X86_AM_XMM0:
            set_reg(op, X86_RC_XMM, 0, 16);
            break;
        case X86_AM_Z:
            set_gpr(op, insn, (insn->opcode & 7) | ((rex & 1) << 3),
                    operand_bytes(insn, od->size, false));
            break;
        case X86_AM_REG:
            set_gpr(op, insn, od->reg, operand_bytes(insn, od->size, false));
            break;
        case X86_AM_SEG:
            set_reg(op, X86_RC_SEG, od->reg, 2);
            break;
        case X86_AM_ONE:
            op->kind = X86_OPK_IMM;
            op->size = 1;
            op->index = 0xff;   /* the constant 1, not an encoded immediate */
            break;
        case X86_AM_X: case X86_AM_Y:
            op->kind = X86_OPK_MEM;
            op->size = operand_bytes(insn, od->size, true);
            break;
        case X86_AM_O: {
            unsigned asz = insn->addrsize / 8;
            ret = reader_get(r, asz, false, &insn->mem.disp);
            if (ret < 0) {
                return ret;
            }
            insn->has_mem = true;
            insn->mem.base = X86_BASE_NONE;
            insn->mem.index = -1;
            insn->mem.scale = 1;
            insn->mem.disp_size = asz;
            insn->mem.seg = mem_segment(insn);
            op->kind = X86_OPK_MEM;
            op->size = operand_bytes(insn, od->size, true);
            break;
        }
        case X86_AM_A: {
            unsigned osz = insn->opsize == 16 ? 2 : 4;
            ret = reader_get(r, osz, false, &insn->imm[0]);
            if (ret == 0) {
                ret = reader_get(r, 2, false, &insn->imm[1]);
            }
            if (ret < 0) {
                return ret;
            }
            insn->imm_size[0] = osz;
            insn->imm_size[1] = 2;
            insn->n_imm = 2;
            op->kind = X86_OPK_FAR;
            op->size = osz + 2;
            break;
        }
        case X86_AM_I: case X86_AM_J:
            ret = decode_imm(r, insn, od, op);
            if (ret < 0) {
                return ret;
            }
            break;
        default:
            return -X86_DECODE_UD;
        }
        insn->n_ops = k + 1;
    }
    return 0;
}

static bool desc_has_am(const X86InsnDesc *d, unsigned am)
{
    for (int k = 0; k < 4; k++) {
        if (d->ops[k].am == am) {
            return true;
        }
    }
    return false;
}

int x86_decode(X86DecodeMode mode, const uint8_t *bytes, size_t avail, X86Insn *out)
{
    const DecodeIndex *ix = decode_index_get();
    Reader r = { .bytes = bytes, .avail = avail, .pos = 0 };
    X86Insn *insn = out;
    const X86InsnDesc *d;
    unsigned last_rep = 0, mp, key;
    int64_t b;
    int ret;

    memset(insn, 0, sizeof(*insn));
    insn->mode = mode;
    insn->seg_override = -1;
    if (mode != X86_MODE_16 && mode != X86_MODE_32 && mode != X86_MODE_64) {
        return -X86_DECODE_UD;
    }

    /* Prefixes (Vol 2A §2.1.1, §2.2.1). */
    for (;;) {
        unsigned rex = 0;

        ret = reader_get(&r, 1, false, &b);
        if (ret < 0) {
            return ret;
        }
        switch (b) {
        case 0xf0: insn->prefixes |= X86_P_LOCK; break;
        case 0xf2: insn->prefixes |= X86_P_REPNE; last_rep = 0xf2; break;
        case 0xf3: insn->prefixes |= X86_P_REP; last_rep = 0xf3; break;
        case 0x26: insn->seg_override = R_ES; break;
        case 0x2e: insn->seg_override = R_CS; break;
        case 0x36: insn->seg_override = R_SS; break;
        case 0x3e: insn->seg_override = R_DS; break;
        case 0x64: insn->seg_override = R_FS; break;
        case 0x65: insn->seg_override = R_GS; break;
        case 0x66: insn->prefixes |= X86_P_OPSIZE; break;
        case 0x67: insn->prefixes |= X86_P_ADDRSIZE; break;
        default:
            if (mode == X86_MODE_64 && (b & 0xf0) == 0x40) {
                rex = b;
                break;
            }
            goto opcode;
        }
        /* A REX prefix counts only when the opcode follows it directly. */
        insn->rex = rex;
    }

opcode:
    if (insn->rex) {
        insn->prefixes |= X86_P_REX;
    }
    insn->opc_off = r.pos - 1;
    insn->map = X86_MAP_1B;
    if (mode == X86_MODE_64) {
        insn->addrsize = (insn->prefixes & X86_P_ADDRSIZE) ? 32 : 64;
    } else if (mode == X86_MODE_32) {
        insn->addrsize = (insn->prefixes & X86_P_ADDRSIZE) ? 16 : 32;
    } else {
        insn->addrsize = (insn->prefixes & X86_P_ADDRSIZE) ? 32 : 16;
    }

    if (b == 0x0f) {
        ret = reader_get(&r, 1, false, &b);
        if (ret < 0) {
            return ret;
        }
        insn->map = X86_MAP_0F;
        if (b == 0x38 || b == 0x3a) {
            insn->map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            ret = reader_get(&r, 1, false, &b);
            if (ret < 0) {
                return ret;
            }
        }
    } else if (b == 0xc4 || b == 0xc5 || b == 0x62) {
        /*
         * VEX (C4/C5) and EVEX (62). Outside 64-bit mode these are LES/LDS/
         * BOUND unless the next byte has the top two bits set (a register
         * ModRM, invalid for those), Vol 2A §2.3.5 and §2.6.
         */
        bool vex = mode == X86_MODE_64 && b != 0x62;
        if (mode != X86_MODE_64) {
            ret = reader_need(&r, 1);
            if (ret < 0) {
                return ret;
            }
            vex = (r.bytes[r.pos] & 0xc0) == 0xc0;
        }
        if (vex) {
            return -X86_DECODE_UD;   /* AVX/AVX-512 not implemented */
        }
    }
    insn->opcode = b;
    key = insn->map * 256 + insn->opcode;
    if (ix->first[key] == ix->first[key + 1]) {
        return -X86_DECODE_UD;
    }

    if (ix->modrm[key]) {
        int64_t modrm;
        ret = reader_get(&r, 1, false, &modrm);
        if (ret < 0) {
            return ret;
        }
        insn->has_modrm = true;
        insn->modrm = modrm;
        insn->mod = modrm >> 6;
        insn->reg = ((modrm >> 3) & 7) | ((insn->rex & 4) << 1);
        insn->rm = (modrm & 7) | ((insn->rex & 1) << 3);
    }

    /* The mandatory prefix: the last of F2/F3, else 66 (Vol 2A §2.1.2). */
    mp = last_rep ? last_rep : (insn->prefixes & X86_P_OPSIZE) ? 0x66 : 0;
    d = select_entry(ix, key, insn, mp);
    if (!d) {
        return -X86_DECODE_UD;
    }
    insn->desc = d;
    insn->mnem = d->mnem;
    if (d->pfx == X86_PFX_66 || d->pfx == X86_PFX_F3 || d->pfx == X86_PFX_F2 ||
        d->pfx == X86_PFX_NP) {
        insn->mandatory = d->pfx == X86_PFX_NP ? 0 : mp;
    }
    insn->opsize = operand_size(insn, d);

    /* 90 is NOP unless REX.B makes it XCHG r8, rAX. */
    if (insn->map == X86_MAP_1B && insn->opcode == 0x90 && d->mnem == X86_M_XCHG &&
        !(insn->rex & 1)) {
        static const X86InsnDesc nop_desc = {
            .mnem = X86_M_NOP, .map = X86_MAP_1B, .opcode = 0x90, .pfx = X86_PFX_ANY,
            .reg = -1, .mod = X86_MOD_ANY, .rm = -1, .feature = X86_FEAT_NONE,
            .family = X86_FAM_MISC,
        };
        d = insn->desc = &nop_desc;
        insn->mnem = X86_M_NOP;
    }

    /* LOCK needs a lockable instruction with a memory destination (Vol 2A LOCK). */
    if ((insn->prefixes & X86_P_LOCK) &&
        (!(d->flags & X86_F_LOCK) || !insn->has_modrm || insn->mod == 3)) {
        return -X86_DECODE_UD;
    }

    /* Memory operand, unless this instruction ignores ModRM.mod (MOV CRn/DRn). */
    if (insn->has_modrm && insn->mod != 3 && !desc_has_am(d, X86_AM_R)) {
        ret = insn->addrsize == 16 ? decode_mem16(&r, insn) : decode_mem32(&r, insn);
        if (ret < 0) {
            return ret;
        }
        insn->has_mem = true;
        insn->mem.seg = mem_segment(insn);
    }

    ret = decode_operands(&r, insn);
    if (ret < 0) {
        return ret;
    }
    insn->len = r.pos;
    return r.pos;
}
