/*
 * tcg-accel.c: the -accel tcg execution loop. One host thread per vCPU runs
 * translated blocks (target-x86/translate.c -> tcg/ IR -> native code or the
 * interpreter). docs/tcg-exec.md describes the design:
 *  - blocks keyed by (linear pc, cs_base, mode flags) in a hash table plus a
 *    per-vCPU direct-mapped jump cache; goto_tb chaining inside one page;
 *  - a softmmu TLB (TCGTLBDesc) refilled by the x86 page walk; MMIO, ROM and
 *    holes go through memmap_load/store under the machine lock; stores to
 *    pages holding translated code (NOTDIRTY entries) and writes seen by the
 *    memory map's write listener flush all translations;
 *  - exceptions leave generated code by longjmp to the loop, which restores
 *    the guest pc from the host return address (tcg_search_insn).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/accel.h"
#include "target-x86/x86-tcg.h"
#include "target-x86/seg-helper.h"
#include "hw/intc/lapic.h"
#include <setjmp.h>

#define CODE_BUF_SIZE (32 * 1024 * 1024)
#define JC_BITS 12
#define X86_VTLB_SIZE 8
/* Host time a vCPU may keep the execution token while another one waits. */
#define SLICE_US 200

/*
 * SMP: vCPUs take turns. Each vCPU keeps its thread, TLB, jump cache and block
 * cache, but only the holder of the machine's execution token runs guest code,
 * so guest memory is only ever touched by one vCPU at a time (LOCK is atomic
 * for free, and a store is seen by the next vCPU through the token's mutex).
 * The token is a ticket lock: a vCPU that gives it up queues behind those
 * waiting (round robin). A waiter that waits more than a slice kicks the
 * holder, which gives the token up at its next block boundary. Halted vCPUs
 * and vCPUs waiting for a start-up IPI hold no ticket, so they cost nothing
 * and the machine idles when all of them are halted.
 */
typedef struct TCGSched {
    GMutex lock;
    GCond cond;
    uint64_t next_ticket;
    uint64_t serving;
    CPUState *holder;
    struct TCGCPU *cpus[MAX_CPUS];  /* every vCPU, for cross-vCPU invalidation */
    int ncpus;
} TCGSched;

typedef struct TB {
    uint64_t pc, cs_base;
    uint32_t flags;
    const void *code;
    size_t code_size;
    TCGInsnRecord *insns;
    int nb_insns;
    uint32_t jmp_insn_offset[2];
    bool has_jmp[2];
    uint64_t phys[2];           /* physical pages of the code (phys[1] = -1: one) */
    bool dead;                  /* invalidated, waiting for the next full flush */
    uint32_t phys_gen;          /* TLB epoch in which phys[] was last confirmed */
} TB;

/* A physical page holding translated code: which bytes, and by which blocks. */
typedef struct CodePage {
    uint32_t lo, hi;            /* byte range [lo, hi) covered by blocks */
    GPtrArray *tbs;             /* TB * (owned by the hash table) */
} CodePage;

typedef struct TCGCPU TCGCPU;
struct TCGCPU {
    CPUState *cpu;
    TCGContext *s;
    sigjmp_buf jb;
    TB *current;
    GHashTable *tbs;            /* key TB* -> TB* */
    TB *jc[1 << JC_BITS];
    GHashTable *code_pages;     /* physical page number -> CodePage */
    GArray *inval_pages;        /* physical page numbers to invalidate at exit */
    GPtrArray *dead_tbs;        /* invalidated blocks, freed at the next full flush */
    GPtrArray *tb_by_code;      /* every block since the last flush, by host address */
    TCGTLBEntry tlb[X86_MMU_MODES][X86_TLB_SIZE];
    uint64_t tlb_phys[X86_MMU_MODES][X86_TLB_SIZE];
    /* Victim TLB: entries evicted from the direct-mapped table, searched
     * before a page walk (code and data pages that share an index). */
    TCGTLBEntry vtlb[X86_MMU_MODES][X86_VTLB_SIZE];
    uint64_t vtlb_phys[X86_MMU_MODES][X86_VTLB_SIZE];
    unsigned vtlb_next[X86_MMU_MODES];
    uint32_t tlb_gen;           /* TLB flush epoch (starts at 1; TBs start at 0) */
    int flush_pending;          /* atomic: drop all translations at the next exit */
    int delivering;             /* nested exception depth (double/triple fault) */
    int first_vec;              /* the exception being delivered when another came */
    bool flushed;               /* translations dropped since the last check */
    TB *spare;                  /* a TB whose translation faulted, for reuse */
    GCond halt_cond;
    TCGSched *sched;            /* the machine's execution token */
    bool has_token;
};

_Static_assert(X86_MMU_MODES <= 3, "CPUX86State.tcg_tlb_* hold 3 MMU modes");

static inline TCGCPU *tcpu(CPUX86State *env)
{
    return env_cpu(env)->accel;
}

TCGContext *x86_tcg_ctx(CPUX86State *env)
{
    return tcpu(env)->s;
}

static guint tb_hash(gconstpointer p)
{
    const TB *t = p;
    return (guint)(t->pc * 0x9e3779b97f4a7c15ull >> 32) ^ (guint)t->cs_base ^ t->flags;
}

static gboolean tb_equal(gconstpointer a, gconstpointer b)
{
    const TB *x = a, *y = b;
    return x->pc == y->pc && x->cs_base == y->cs_base && x->flags == y->flags;
}

static void code_page_free(gpointer p)
{
    CodePage *cp = p;
    g_ptr_array_free(cp->tbs, true);
    g_free(cp);
}

static void tb_free(gpointer p)
{
    TB *t = p;
    g_free(t->insns);
    g_free(t);
}

/* ---- execution token ---- */

static void token_acquire(TCGCPU *tc)
{
    TCGSched *sc = tc->sched;
    g_mutex_lock(&sc->lock);
    uint64_t me = sc->next_ticket++;
    while (sc->serving != me) {
        gint64 until = g_get_monotonic_time() + SLICE_US;
        if (!g_cond_wait_until(&sc->cond, &sc->lock, until) && sc->holder &&
            sc->serving != me) {
            /* The holder had its slice: ask it to give the token up. */
            __atomic_store_n(&sc->holder->exit_request, 1, __ATOMIC_RELEASE);
        }
    }
    sc->holder = tc->cpu;
    g_mutex_unlock(&sc->lock);
    tc->has_token = true;
}

static void token_release(TCGCPU *tc)
{
    TCGSched *sc = tc->sched;
    if (!tc->has_token) {
        return;
    }
    tc->has_token = false;
    g_mutex_lock(&sc->lock);
    sc->holder = NULL;
    sc->serving++;
    g_cond_broadcast(&sc->cond);
    g_mutex_unlock(&sc->lock);
}

/* ---- TLB ---- */

static void tlb_clear(TCGCPU *tc)
{
    memset(tc->tlb, 0xff, sizeof(tc->tlb));
    memset(tc->vtlb, 0xff, sizeof(tc->vtlb));
    tc->tlb_gen++;          /* blocks re-check where their code maps */
}

void x86_tlb_flush(CPUX86State *env)
{
    tlb_clear(tcpu(env));
}

/* Point env at the TLB tables; again after a reset rewrote the whole state. */
static void tlb_attach(TCGCPU *tc)
{
    CPUX86State *env = &tc->cpu->env;
    tlb_clear(tc);
    for (int i = 0; i < X86_MMU_MODES; i++) {
        env->tcg_tlb_table[i] = tc->tlb[i];
        env->tcg_tlb_mask[i] = (uintptr_t)(X86_TLB_SIZE - 1) << TCG_TLB_ENTRY_BITS;
    }
}

static void tb_flush_all(TCGCPU *tc)
{
    g_hash_table_remove_all(tc->tbs);
    g_ptr_array_set_size(tc->tb_by_code, 0);
    g_ptr_array_set_size(tc->dead_tbs, 0);
    g_array_set_size(tc->inval_pages, 0);
    memset(tc->jc, 0, sizeof(tc->jc));
    g_hash_table_remove_all(tc->code_pages);
    tcg_code_flush(tc->s);
    tc->flushed = true;
    /* NOTDIRTY marks are stale now. */
    tlb_clear(tc);
}

static void write_listener(void *opaque, uint64_t addr, uint64_t len)
{
    TCGCPU *tc = opaque;
    (void)addr;
    (void)len;
    /* Another thread (DMA, loader) wrote RAM: the vCPU flushes at its next exit. */
    __atomic_store_n(&tc->flush_pending, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&tc->cpu->exit_request, 1, __ATOMIC_RELEASE);
}

/*
 * The block whose code holds host address ra. Code is allocated upward from
 * the start of the buffer between full flushes, so tb_by_code is sorted by
 * address and a binary search finds it; dropped blocks stay in it (and in
 * memory) until the flush.
 */
static TB *tb_by_host_pc(TCGCPU *tc, uintptr_t ra)
{
    guint lo = 0, hi = tc->tb_by_code->len;
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        TB *tb = g_ptr_array_index(tc->tb_by_code, mid);
        if ((uintptr_t)tb->code <= ra) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    TB *tb = g_ptr_array_index(tc->tb_by_code, lo - 1);
    return ra < (uintptr_t)tb->code + tb->code_size ? tb : NULL;
}

__attribute__((noreturn)) void x86_raise(CPUX86State *env, int vec, uint32_t err,
                                         uintptr_t ra)
{
    TCGCPU *tc = tcpu(env);
    /* With chaining and lookups the block may not be the one the loop
     * started: find it by host address. */
    TB *tb = tc->current ? tb_by_host_pc(tc, ra) : NULL;
    if (ra && tb) {
        int i = tcg_search_insn(tb->insns, tb->nb_insns, tb->code, ra);
        if (i >= 0) {
            env->rip = tb->insns[i].data[0];
            /* The lazy-flags kind the translator had not stored yet. */
            if (tb->insns[i].data[1]) {
                env->cc_op = (int)tb->insns[i].data[1] - 1;
            }
        } else {
            log_mask(LOG_GUEST_ERROR, "tcg: fault pc %#" PRIxPTR " outside its block\n",
                     ra);
        }
    }
    env->tcg_exception = vec;
    env->tcg_error_code = err;
    env->tcg_has_error = x86_exception_has_error(vec);
    siglongjmp(tc->jb, 1);
}

bool x86_tcg_multi_vcpu(CPUX86State *env)
{
    return tcpu(env)->sched->ncpus > 1;
}

void x86_tcg_pause(CPUX86State *env)
{
    TCGSched *sc = tcpu(env)->sched;
    /* A ticket beyond the one being served: someone waits (read without
     * the lock: a stale answer only delays or hastens one hand-over). */
    if (__atomic_load_n(&sc->next_ticket, __ATOMIC_RELAXED) >
        __atomic_load_n(&sc->serving, __ATOMIC_RELAXED) + 1) {
        __atomic_store_n(&env_cpu(env)->exit_request, 1, __ATOMIC_RELEASE);
    }
}

__attribute__((noreturn)) void x86_halt(CPUX86State *env)
{
    env_cpu(env)->halted = true;
    x86_raise(env, EXCP_HLT, 0, 0);
}

/* Does TLB entry e allow an access of kind acc to vpage? */
static bool tlb_entry_hit(const TCGTLBEntry *e, uint64_t vpage, int acc)
{
    switch (acc) {
    case X86_ACC_READ:
        return (e->addr_read & ~(uint64_t)TCG_TLB_FLAG_MMIO) == vpage;
    case X86_ACC_WRITE:
        return (e->addr_write &
                ~(uint64_t)(TCG_TLB_FLAG_MMIO | TCG_TLB_FLAG_NOTDIRTY)) == vpage;
    default:
        return (e->addr_code & ~(uint64_t)TCG_TLB_FLAG_MMIO) == vpage;
    }
}

/* Does any vCPU hold translations of physical page ppage? Stores to it must
 * then take the slow path (NOTDIRTY), whoever makes them. */
static bool page_has_code(TCGCPU *tc, uint64_t ppage)
{
    TCGSched *sc = tc->sched;
    for (int i = 0; i < sc->ncpus; i++) {
        if (g_hash_table_contains(sc->cpus[i]->code_pages,
                                  GSIZE_TO_POINTER(ppage >> 12))) {
            return true;
        }
    }
    return false;
}

/*
 * Refill the TLB entry for addr: from the victim TLB (swapping the two
 * entries), else by a page walk, evicting the old entry into the victim TLB.
 * Returns NULL with *err set when the walk faults.
 */
static TCGTLBEntry *tlb_fill_nofault(CPUX86State *env, uint64_t addr, int acc, int mmu,
                                     uint32_t *err)
{
    TCGCPU *tc = tcpu(env);
    MemMap *mem = &env_cpu(env)->machine->mem;
    uint64_t vpage = addr & ~0xfffull, paddr;
    unsigned idx = (addr >> 12) & (X86_TLB_SIZE - 1);
    TCGTLBEntry *e = &tc->tlb[mmu][idx];
    bool writable, executable;

    /* A non-canonical address in IA-32e mode never translates (#GP(0), raised
     * by tlb_fill). The fast path compares all 64 bits of the tag, so such
     * an address always comes here. */
    if ((env->efer & EFER_LMA) && !x86_canonical(env, addr)) {
        *err = 0;
        return NULL;
    }
    for (int i = 0; i < X86_VTLB_SIZE; i++) {
        TCGTLBEntry *v = &tc->vtlb[mmu][i];
        if (tlb_entry_hit(v, vpage, acc)) {
            TCGTLBEntry te = *e;
            uint64_t tp = tc->tlb_phys[mmu][idx];
            *e = *v;
            tc->tlb_phys[mmu][idx] = tc->vtlb_phys[mmu][i];
            *v = te;
            tc->vtlb_phys[mmu][i] = tp;
            return e;
        }
    }
    int wacc = acc | (mmu == X86_MMU_SUP_SMAP && acc != X86_ACC_FETCH ? X86_ACC_SMAP : 0);
    if (!x86_mmu_translate_ex(env, mem, addr, wacc, mmu == X86_MMU_USER, &paddr, &writable,
                              &executable, err)) {
        return NULL;
    }
    if (e->addr_read != ~0ull || e->addr_write != ~0ull || e->addr_code != ~0ull) {
        unsigned n = tc->vtlb_next[mmu]++ % X86_VTLB_SIZE;
        tc->vtlb[mmu][n] = *e;
        tc->vtlb_phys[mmu][n] = tc->tlb_phys[mmu][idx];
    }
    uint64_t ppage = paddr & ~0xfffull;
    uint8_t *host = memmap_host_ptr(mem, ppage, 4096, false);
    const MemSection *sec = memmap_find(mem, ppage);
    bool ram = host && sec && sec->mr->kind == MR_RAM;

    tc->tlb_phys[mmu][idx] = ppage;
    if (host) {
        e->addr_read = vpage;
        e->addr_code = vpage;
        e->addend = (uintptr_t)host - (uintptr_t)vpage;
    } else {
        e->addr_read = vpage | TCG_TLB_FLAG_MMIO;
        e->addr_code = vpage | TCG_TLB_FLAG_MMIO;
        e->addend = 0;
    }
    if (!executable) {
        e->addr_code = vpage | TCG_TLB_FLAG_INVALID;   /* fetches walk and fault */
    }
    if (!writable) {
        e->addr_write = vpage | TCG_TLB_FLAG_INVALID;
    } else if (!ram) {
        e->addr_write = vpage | TCG_TLB_FLAG_MMIO;
    } else if (page_has_code(tc, ppage)) {
        e->addr_write = vpage | TCG_TLB_FLAG_NOTDIRTY;
    } else {
        e->addr_write = vpage;
    }
    return e;
}

/* Refill the TLB entry for addr; raises #PF. */
static TCGTLBEntry *tlb_fill(CPUX86State *env, uint64_t addr, int acc, int mmu,
                             uintptr_t ra)
{
    uint32_t err;
    TCGTLBEntry *e;

    /* SDM Vol 3 §3.3.7.1 (the stack's #SS(0) is not told apart). */
    if ((env->efer & EFER_LMA) && !x86_canonical(env, addr)) {
        x86_raise(env, 13, 0, ra);
    }
    e = tlb_fill_nofault(env, addr, acc, mmu, &err);
    if (!e) {
        env->cr[2] = addr;
        x86_raise(env, 14, err, ra);
    }
    return e;
}

/* Guest RAM access of 1, 2, 4 or 8 bytes (little-endian host), inlined. */
static inline uint64_t host_load(const void *p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void host_store(void *p, uint64_t v, int size)
{
    switch (size) {
    case 1: *(uint8_t *)p = v; break;
    case 2: { uint16_t x = v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

static uint64_t load_page(CPUX86State *env, uint64_t addr, int size, int mmu,
                          uintptr_t ra)
{
    TCGCPU *tc = tcpu(env);
    unsigned idx = (addr >> 12) & (X86_TLB_SIZE - 1);
    TCGTLBEntry *e = &tc->tlb[mmu][idx];
    uint64_t v = 0;

    if ((e->addr_read & ~(uint64_t)TCG_TLB_FLAG_MMIO) != (addr & ~0xfffull)) {
        e = tlb_fill(env, addr, X86_ACC_READ, mmu, ra);
    }
    if (e->addr_read & TCG_TLB_FLAG_MMIO) {
        CPUState *cpu = env_cpu(env);
        Machine *m = cpu->machine;
        uint64_t pa = tc->tlb_phys[mmu][idx] | (addr & 0xfff);
        machine_lock(m);
        /* The local APIC page is this vCPU's own (SDM Vol 3 §10.4.1). */
        if (!cpu->apic || !lapic_mmio_access(cpu->apic, pa, false, &v, size)) {
            v = memmap_load(&m->mem, pa, size);
        }
        machine_unlock(m);
        return v;
    }
    v = host_load((const void *)(uintptr_t)(addr + e->addend), size);
    return v;
}

static void store_page(CPUX86State *env, uint64_t addr, uint64_t v, int size, int mmu,
                       uintptr_t ra)
{
    TCGCPU *tc = tcpu(env);
    unsigned idx = (addr >> 12) & (X86_TLB_SIZE - 1);
    TCGTLBEntry *e = &tc->tlb[mmu][idx];
    uint64_t flags_ok = TCG_TLB_FLAG_MMIO | TCG_TLB_FLAG_NOTDIRTY;

    if ((e->addr_write & ~flags_ok) != (addr & ~0xfffull)) {
        e = tlb_fill(env, addr, X86_ACC_WRITE, mmu, ra);
        if (e->addr_write & TCG_TLB_FLAG_INVALID) {
            /* Paging allows the write now (D just set): refill saw it. */
            e = tlb_fill(env, addr, X86_ACC_WRITE, mmu, ra);
        }
    }
    if (e->addr_write & TCG_TLB_FLAG_MMIO) {
        CPUState *cpu = env_cpu(env);
        Machine *m = cpu->machine;
        uint64_t pa = tc->tlb_phys[mmu][idx] | (addr & 0xfff);
        machine_lock(m);
        if (!cpu->apic || !lapic_mmio_access(cpu->apic, pa, true, &v, size)) {
            memmap_store(&m->mem, pa, v, size);
        }
        machine_unlock(m);
        return;
    }
    host_store((void *)(uintptr_t)(addr + e->addend), v, size);
    if (e->addr_write & TCG_TLB_FLAG_NOTDIRTY) {
        uint64_t ppage = tc->tlb_phys[mmu][idx];
        uint32_t off = addr & 0xfff;
        TCGSched *sc = tc->sched;
        /* Only a store into translated bytes matters; the page's blocks are
         * dropped at the next block boundary (the running block and its record
         * stay valid until then). Other vCPUs drop theirs before they run
         * again: they wait for the token this one holds. */
        for (int i = 0; i < sc->ncpus; i++) {
            TCGCPU *t = sc->cpus[i];
            CodePage *cp = g_hash_table_lookup(t->code_pages,
                                               GSIZE_TO_POINTER(ppage >> 12));
            if (cp && off < cp->hi && off + size > cp->lo) {
                g_array_append_val(t->inval_pages, ppage);
                if (t == tc) {
                    env_cpu(env)->exit_request = 1;
                }
            }
        }
    }
}

static uint64_t mem_load(CPUX86State *env, uint64_t addr, int size, int mmu,
                         uintptr_t ra)
{
    if ((addr & 0xfff) + size > 4096) {
        uint64_t v = 0;
        for (int i = 0; i < size; i++) {
            v |= load_page(env, addr + i, 1, mmu, ra) << (8 * i);
        }
        return v;
    }
    return load_page(env, addr, size, mmu, ra);
}

static void mem_store(CPUX86State *env, uint64_t addr, uint64_t v, int size, int mmu,
                      uintptr_t ra)
{
    if ((addr & 0xfff) + size > 4096) {
        /* Probe both pages first so a fault leaves memory untouched. */
        load_page(env, addr + size - 1, 1, mmu, ra);
        for (int i = 0; i < size; i++) {
            store_page(env, addr + i, (v >> (8 * i)) & 0xff, 1, mmu, ra);
        }
        return;
    }
    store_page(env, addr, v, size, mmu, ra);
}

static uint64_t tlb_load_helper(void *envp, uint64_t addr, MemOpIdx oi, uintptr_t ra)
{
    MemOp op = get_memop(oi);
    int size = 1 << (op & MO_SIZE);
    uint64_t v = mem_load(envp, addr, size, get_mmuidx(oi), ra);
    if (op & MO_SIGN) {
        int sh = 64 - 8 * size;
        v = (uint64_t)((int64_t)(v << sh) >> sh);
    }
    return v;
}

static void tlb_store_helper(void *envp, uint64_t addr, uint64_t val, MemOpIdx oi,
                             uintptr_t ra)
{
    int size = 1 << (get_memop(oi) & MO_SIZE);
    if (size < 8) {
        val &= (1ull << (8 * size)) - 1;
    }
    mem_store(envp, addr, val, size, get_mmuidx(oi), ra);
}

static int cur_mmu(CPUX86State *env)
{
    return x86_mmu_index(env);
}

uint64_t x86_ld(CPUX86State *env, uint64_t addr, int size, uintptr_t ra)
{
    return mem_load(env, addr, size, cur_mmu(env), ra);
}

void x86_st(CPUX86State *env, uint64_t addr, uint64_t val, int size, uintptr_t ra)
{
    mem_store(env, addr, val, size, cur_mmu(env), ra);
}

/*
 * Host address of guest linear address addr for an access of kind acc (read
 * or write) at the current privilege level, when the page is plain RAM the
 * access may touch directly: not MMIO or ROM, and for writes not a page with
 * translated code (those stores must go through store_page). NULL otherwise.
 * Refills the TLB and raises #PF like any access. For bulk string moves.
 */
void *x86_host_ptr(CPUX86State *env, uint64_t addr, int acc, uintptr_t ra)
{
    TCGCPU *tc = tcpu(env);
    int mmu = cur_mmu(env);
    unsigned idx = (addr >> 12) & (X86_TLB_SIZE - 1);
    uint64_t vpage = addr & ~0xfffull;
    TCGTLBEntry *e = &tc->tlb[mmu][idx];

    if (!tlb_entry_hit(e, vpage, acc)) {
        e = tlb_fill(env, addr, acc, mmu, ra);
    }
    if (acc == X86_ACC_WRITE && (e->addr_write & TCG_TLB_FLAG_INVALID)) {
        e = tlb_fill(env, addr, acc, mmu, ra);      /* D bit just set */
    }
    if ((acc == X86_ACC_WRITE ? e->addr_write : e->addr_read) != vpage) {
        return NULL;
    }
    return (void *)(uintptr_t)(addr + e->addend);
}

uint64_t x86_ld_mmu(CPUX86State *env, uint64_t addr, int size, int mmu, uintptr_t ra)
{
    return mem_load(env, addr, size, mmu, ra);
}

void x86_st_mmu(CPUX86State *env, uint64_t addr, uint64_t val, int size, int mmu,
                uintptr_t ra)
{
    mem_store(env, addr, val, size, mmu, ra);
}

size_t x86_fetch_code(CPUX86State *env, uint64_t addr, uint8_t *buf, size_t len,
                      bool must_first)
{
    MemMap *mem = &env_cpu(env)->machine->mem;
    size_t done = 0;

    while (done < len) {
        uint64_t a = addr + done, paddr;
        uint32_t err;
        bool writable;
        size_t chunk = MIN(len - done, 4096 - (a & 0xfff));
        if ((env->efer & EFER_LMA) && !x86_canonical(env, a)) {
            if (done == 0 && must_first) {
                x86_raise(env, 13, 0, 0);
            }
            break;
        }
        if (!x86_mmu_translate(env, mem, a, X86_ACC_FETCH, x86_cpl(env) == 3, &paddr,
                               &writable, &err)) {
            if (done == 0 && must_first) {
                env->cr[2] = a;
                x86_raise(env, 14, err, 0);
            }
            break;
        }
        uint8_t *host = memmap_host_ptr(mem, paddr, chunk, false);
        if (!host) {
            if (done == 0 && must_first) {
                /* Executing from MMIO or a hole is not supported: #UD-like stop. */
                break;
            }
            break;
        }
        memcpy(buf + done, host, chunk);
        done += chunk;
    }
    return done;
}

/* ---- blocks ---- */

/* Drop the TLB entries that map physical page ppage (their NOTDIRTY mark changes). */
static void tlb_flush_phys(TCGCPU *tc, uint64_t ppage)
{
    for (int m = 0; m < X86_MMU_MODES; m++) {
        for (int i = 0; i < X86_TLB_SIZE; i++) {
            if (tc->tlb_phys[m][i] == ppage) {
                memset(&tc->tlb[m][i], 0xff, sizeof(TCGTLBEntry));
            }
        }
        for (int i = 0; i < X86_VTLB_SIZE; i++) {
            if (tc->vtlb_phys[m][i] == ppage) {
                memset(&tc->vtlb[m][i], 0xff, sizeof(TCGTLBEntry));
            }
        }
    }
}

/* Record the code bytes [pc, pc + size) of tb by physical page. */
static void tb_register_pages(TCGCPU *tc, TB *tb, uint64_t pc, uint64_t size)
{
    CPUX86State *env = &tc->cpu->env;
    MemMap *mem = &tc->cpu->machine->mem;
    uint64_t end = pc + (size ? size : 1);

    tb->phys[0] = tb->phys[1] = (uint64_t)-1;
    for (int n = 0; n < 2; n++) {
        uint64_t start = n == 0 ? pc : (pc & ~0xfffull) + 4096;
        uint64_t paddr;
        uint32_t err;
        bool w;
        if (start >= end) {
            break;
        }
        /* At the block's own privilege: with SMEP a supervisor walk of a
         * user page fails, and the block would never validate. */
        if (!x86_mmu_translate(env, mem, start, X86_ACC_FETCH, x86_cpl(env) == 3, &paddr,
                               &w, &err)) {
            continue;
        }
        uint64_t ppage = paddr & ~0xfffull;
        uint32_t lo = start & 0xfff;
        uint32_t hi = MIN(end - (start & ~0xfffull), 4096);
        CodePage *cp = g_hash_table_lookup(tc->code_pages, GSIZE_TO_POINTER(ppage >> 12));
        if (!cp) {
            cp = g_new0(CodePage, 1);
            cp->lo = lo;
            cp->hi = hi;
            cp->tbs = g_ptr_array_new();
            g_hash_table_insert(tc->code_pages, GSIZE_TO_POINTER(ppage >> 12), cp);
            /* Write entries for this page must now go slow (NOTDIRTY), in
             * every vCPU's TLB (the others are not running: token). */
            for (int i = 0; i < tc->sched->ncpus; i++) {
                tlb_flush_phys(tc->sched->cpus[i], ppage);
            }
        }
        cp->lo = MIN(cp->lo, lo);
        cp->hi = MAX(cp->hi, hi);
        g_ptr_array_add(cp->tbs, tb);
        tb->phys[n] = ppage;
    }
}

/* Unlink a block; its memory is reclaimed at the next full flush. */
static void tb_drop(TCGCPU *tc, TB *tb)
{
    tb->dead = true;
    g_hash_table_steal(tc->tbs, tb);
    g_ptr_array_add(tc->dead_tbs, tb);
    memset(tc->jc, 0, sizeof(tc->jc));
}

/*
 * Drop every block with code in physical page ppage. Chains only link blocks
 * that start in the same page and never involve a two-page block, so no live
 * block jumps into a dropped one. Their code stays in the buffer until the
 * next full flush.
 */
static void tb_invalidate_page(TCGCPU *tc, uint64_t ppage)
{
    CodePage *cp = g_hash_table_lookup(tc->code_pages, GSIZE_TO_POINTER(ppage >> 12));
    if (!cp) {
        return;
    }
    for (guint i = 0; i < cp->tbs->len; i++) {
        TB *tb = g_ptr_array_index(cp->tbs, i);
        if (!tb->dead) {
            tb_drop(tc, tb);
        }
    }
    g_hash_table_remove(tc->code_pages, GSIZE_TO_POINTER(ppage >> 12));
    memset(tc->jc, 0, sizeof(tc->jc));
    tlb_flush_phys(tc, ppage);
}

static TB *tb_gen(TCGCPU *tc, uint64_t pc, uint64_t cs_base, uint32_t flags)
{
    CPUX86State *env = &tc->cpu->env;
    TCGContext *s = tc->s;
    /* A fault fetching the first instruction long-jumps out of the translator:
     * keep the record for the next block instead of leaking it. */
    TB *tb = tc->spare ? tc->spare : g_new0(TB, 1);
    X86TranslateOut out;

    memset(tb, 0, sizeof(*tb));
    tc->spare = tb;

    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = flags;
    /* Pages this block reads become write-protected for the TLB. */
    x86_translate_block(s, env, pc, cs_base, flags, (uintptr_t)tb, &out);
    int size = tcg_gen_code(s);
    if (size < 0) {
        tb_flush_all(tc);
        x86_translate_block(s, env, pc, cs_base, flags, (uintptr_t)tb, &out);
        size = tcg_gen_code(s);
        if (size < 0) {
            error_report("tcg: cannot generate code for the block at %#" PRIx64, pc);
            abort();
        }
    }
    tc->spare = NULL;
    tb->code = s->gen_code_ptr;
    tb->code_size = size;
    tb->nb_insns = s->nb_insns;
    tb->insns = g_memdup2(s->insns, sizeof(TCGInsnRecord) * s->nb_insns);
    for (int n = 0; n < 2; n++) {
        tb->has_jmp[n] = s->goto_tb_used[n];
        tb->jmp_insn_offset[n] = s->jmp_insn_offset[n];
    }
    tb_register_pages(tc, tb, pc, out.size);
    g_hash_table_add(tc->tbs, tb);
    g_ptr_array_add(tc->tb_by_code, tb);
    return tb;
}

/* The physical page linear address pc maps to now (fetch access), or -1. */
static uint64_t code_phys_page(TCGCPU *tc, uint64_t pc)
{
    CPUX86State *env = &tc->cpu->env;
    int mmu = cur_mmu(env);
    unsigned idx = (pc >> 12) & (X86_TLB_SIZE - 1);
    TCGTLBEntry *e = &tc->tlb[mmu][idx];
    uint32_t err;

    if (tlb_entry_hit(e, pc & ~0xfffull, X86_ACC_FETCH)) {
        return tc->tlb_phys[mmu][idx];
    }
    /* Keep the answer in the TLB: this runs on every lookup of the block. */
    if (tlb_fill_nofault(env, pc, X86_ACC_FETCH, mmu, &err)) {
        return tc->tlb_phys[mmu][idx];
    }
    return (uint64_t)-1;
}

/*
 * Blocks are found by linear address; after a page-table change the same
 * address may hold other code. Check the block's pages still map where they
 * did when it was translated.
 */
static bool tb_phys_ok(TCGCPU *tc, TB *tb)
{
    if (!(tc->cpu->env.cr[0] & CR0_PG)) {
        return true;        /* linear == physical; stores are tracked */
    }
    /* A mapping change only becomes visible through a TLB flush (CR3, INVLPG,
     * CR0/CR4/EFER writes, SDM Vol 3 §4.10.4): once checked in this flush
     * epoch, a block stays valid until the next one. */
    if (tb->phys_gen == tc->tlb_gen) {
        return true;
    }
    if (code_phys_page(tc, tb->pc) != tb->phys[0]) {
        return false;
    }
    if (tb->phys[1] != (uint64_t)-1 &&
        code_phys_page(tc, (tb->pc & ~0xfffull) + 4096) != tb->phys[1]) {
        return false;
    }
    tb->phys_gen = tc->tlb_gen;
    return true;
}

static TB *tb_find(TCGCPU *tc)
{
    CPUX86State *env = &tc->cpu->env;
    uint64_t cs_base = env->segs[R_CS].base;
    uint32_t flags = x86_tb_flags(env);
    uint64_t pc = env->rip + cs_base;
    if (!(flags & TBF_CODE64)) {
        pc &= 0xffffffffull;
    }
    unsigned h = (unsigned)(pc ^ (pc >> JC_BITS)) & ((1 << JC_BITS) - 1);
    TB *tb = tc->jc[h];
    if (tb && tb->pc == pc && tb->cs_base == cs_base && tb->flags == flags &&
        tb_phys_ok(tc, tb)) {
        return tb;
    }
    TB key = { .pc = pc, .cs_base = cs_base, .flags = flags };
    tb = g_hash_table_lookup(tc->tbs, &key);
    if (tb && !tb_phys_ok(tc, tb)) {
        tb_drop(tc, tb);
        tc->flushed = true;     /* `last` may be the dropped block */
        tb = NULL;
    }
    if (!tb) {
        tb = tb_gen(tc, pc, cs_base, flags);
    }
    tc->jc[h] = tb;
    return tb;
}

/*
 * Indirect jumps, returns and cross-page direct jumps end with this lookup
 * and a goto_ptr: the next block runs without a trip through the loop when
 * it is already translated (jump cache or hash table) and still valid.
 * Requests (kicks, interrupts, invalidation) are still seen, by the exit
 * check every block starts with. A miss returns the epilogue (exit 0).
 */
uint64_t helper_lookup_tb_ptr(CPUX86State *env, uint64_t flags_hint)
{
    TCGCPU *tc = tcpu(env);
    uint64_t cs_base = env->segs[R_CS].base;
    uint32_t flags = flags_hint != (uint32_t)~0u ? (uint32_t)flags_hint : x86_tb_flags(env);
    uint64_t pc = env->rip + cs_base;
    if (!(flags & TBF_CODE64)) {
        pc &= 0xffffffffull;
    }
    unsigned h = (unsigned)(pc ^ (pc >> JC_BITS)) & ((1 << JC_BITS) - 1);
    TB *tb = tc->jc[h];
    if (!tb || tb->pc != pc || tb->cs_base != cs_base || tb->flags != flags) {
        TB key = { .pc = pc, .cs_base = cs_base, .flags = flags };
        tb = g_hash_table_lookup(tc->tbs, &key);
        if (!tb) {
            return (uintptr_t)tc->s->code_gen_epilogue;
        }
        tc->jc[h] = tb;
    }
    if (tb->dead || !tb_phys_ok(tc, tb)) {
        return (uintptr_t)tc->s->code_gen_epilogue;
    }
    return (uintptr_t)tb->code;
}

/* Deliver a pending exception; nested faults escalate to #DF, then a reset. */
static void deliver(TCGCPU *tc)
{
    CPUX86State *env = &tc->cpu->env;
    int vec = env->tcg_exception;

    if (vec == EXCP_EXIT) {
        tc->delivering = 0;
        return;
    }
    /* A fault while delivering: Table 6-5 (x86_nested_exception) says whether
     * it becomes #DF or is delivered on its own; a fault while delivering #DF
     * shuts down (SDM Vol 3 §6.15, interrupt 8). */
    if (tc->delivering && tc->first_vec != 8 &&
        x86_nested_exception(tc->first_vec, vec) != 8) {
        tc->delivering = 0;
    }
    if (tc->delivering >= 2 || (tc->delivering == 1 && tc->first_vec == 8)) {
        log_mask(LOG_RESET, "tcg: vCPU %d: triple fault\n", tc->cpu->index);
        Machine *m = tc->cpu->machine;
        machine_lock(m);
        machine_request_guest_reset(m);
        machine_unlock(m);
        tc->delivering = 0;
        tc->cpu->halted = true;
        return;
    }
    if (tc->delivering == 1) {
        vec = 8;
        env->tcg_error_code = 0;
        env->tcg_has_error = true;
    }
    tc->delivering++;
    tc->first_vec = vec;
    log_mask(LOG_INT, "tcg: vCPU %d: exception %d error %#x at %04x:%#" PRIx64 "\n",
             tc->cpu->index, vec, env->tcg_error_code, env->segs[R_CS].selector,
             env->rip);
    x86_do_interrupt(env, vec, false, env->tcg_has_error, env->tcg_error_code, 0);
    tc->delivering = 0;
}

/* INTR is asserted and EFLAGS.IF lets it in. Checked between blocks; the
 * translator ends a block only after the instruction that follows STI, which
 * gives STI its one-instruction shadow. */
static bool intr_deliverable(CPUX86State *env)
{
    return (env->nmi_pending && !env_cpu(env)->nmi_blocked) ||
           (env->intr_pending && (env->rflags & IF_MASK) && env->intack);
}

/* Take an external interrupt: the INTA cycle under the machine lock, then the
 * same delivery path as exceptions (the loop's sigsetjmp handler calls deliver).
 * Returns only if the request went away before it was acknowledged. */
static void take_interrupt(TCGCPU *tc)
{
    CPUX86State *env = &tc->cpu->env;
    Machine *m = tc->cpu->machine;
    int vec = -1;
    machine_lock(m);
    if (env->nmi_pending && !tc->cpu->nmi_blocked) {
        /* NMI: not maskable by IF; it blocks further NMIs until the next IRET
         * (SDM Vol 3 §6.7.1). */
        env->nmi_pending = false;
        tc->cpu->nmi_blocked = true;
        vec = 2;
    } else if (env->intr_pending && (env->rflags & IF_MASK) && env->intack) {
        vec = env->intack(env->intack_opaque);
    }
    machine_unlock(m);
    if (vec < 0 || vec > 255) {
        return;
    }
    log_mask(LOG_INT, "tcg: vCPU %d: external interrupt vector %d\n", tc->cpu->index, vec);
    env->tcg_exception = vec;
    env->tcg_error_code = 0;
    env->tcg_has_error = false;     /* external interrupts never push an error code */
    siglongjmp(tc->jb, 1);
}

static void wait_halted(TCGCPU *tc)
{
    CPUState *cpu = tc->cpu;
    Machine *m = cpu->machine;
    machine_lock(m);
    /* A halted vCPU sleeps until an interrupt it can take, or a kick (pause,
     * shutdown, reset). */
    while (cpu->halted && !cpu->exit_request && !m->shutdown_requested &&
           !cpu->state_dirty && !intr_deliverable(&cpu->env)) {
        g_cond_wait(&tc->halt_cond, &m->lock);
    }
    machine_unlock(m);
}

/* INIT and start-up IPIs from the APIC bus (SDM Vol 3 §9.4, §10.6.1). INIT puts
 * the CPU in its INIT state (Table 9-1) waiting for a SIPI, or for the BSP
 * restarts it at the reset vector; a SIPI with vector V starts a waiting CPU in
 * real mode at CS = V << 8, IP = 0. Returns true if the state changed. */
static bool handle_init_sipi(TCGCPU *tc)
{
    CPUState *cpu = tc->cpu;
    CPUX86State *env = &cpu->env;
    Machine *m = cpu->machine;
    bool changed = false;

    machine_lock(m);
    if (cpu->init_pending) {
        int (*intack)(void *) = env->intack;
        void *intack_opaque = env->intack_opaque;
        int intr = env->intr_pending;
        uint64_t tsc = env->tsc, pat = env->pat, mtrr_def = env->mtrr_deftype;
        uint64_t mtrr_fixed[11], mtrr_var[16];
        bool bsp = cpu->apic && (lapic_get_base(cpu->apic) & MSR_APICBASE_BSP);

        memcpy(mtrr_fixed, env->mtrr_fixed, sizeof(mtrr_fixed));
        memcpy(mtrr_var, env->mtrr_var, sizeof(mtrr_var));
        cpu->init_pending = false;
        x86_cpu_reset_state(env, bsp);
        /* The INTR wiring and the TSC are not part of the INIT state, nor are
         * PAT and the MTRRs (SDM Vol 3 Table 9-1: unchanged by INIT). */
        env->intack = intack;
        env->intack_opaque = intack_opaque;
        env->intr_pending = intr;
        env->tsc = tsc;
        env->pat = pat;
        env->mtrr_deftype = mtrr_def;
        memcpy(env->mtrr_fixed, mtrr_fixed, sizeof(mtrr_fixed));
        memcpy(env->mtrr_var, mtrr_var, sizeof(mtrr_var));
        if (cpu->apic) {
            env->apic_base = lapic_get_base(cpu->apic);
        }
        cpu->halted = false;
        cpu->wait_sipi = !bsp;
        cpu->nmi_blocked = false;
        changed = true;
    }
    if (cpu->sipi_pending) {
        cpu->sipi_pending = false;
        if (cpu->wait_sipi) {
            cpu->wait_sipi = false;
            x86_seg_set_real(&env->segs[R_CS], (uint16_t)(cpu->sipi_vector << 8), true);
            env->rip = 0;
            changed = true;
        }
    }
    machine_unlock(m);
    if (changed) {
        /* The INIT state cleared env's TLB pointers too. */
        tlb_attach(tc);
        tc->delivering = 0;
        log_mask(LOG_INT, "tcg: vCPU %d: %s\n", cpu->index,
                 cpu->wait_sipi ? "INIT, waiting for SIPI" : "started");
    }
    return changed;
}

/* Wait-for-SIPI: asleep until INIT, SIPI or a kick. */
static void wait_sipi(TCGCPU *tc)
{
    CPUState *cpu = tc->cpu;
    Machine *m = cpu->machine;
    machine_lock(m);
    while (cpu->wait_sipi && !cpu->sipi_pending && !cpu->init_pending &&
           !cpu->exit_request && !m->shutdown_requested && !cpu->state_dirty) {
        g_cond_wait(&tc->halt_cond, &m->lock);
    }
    machine_unlock(m);
}

static gpointer tcg_vcpu_thread(gpointer opaque)
{
    CPUState *cpu = opaque;
    TCGCPU *tc = cpu->accel;
    CPUX86State *env = &cpu->env;
    volatile uintptr_t last = 0;

    for (;;) {
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
            /* A kick is also the end of a slice: let the next vCPU run. */
            token_release(tc);
            if (!cpu_handle_requests(cpu)) {
                break;
            }
            last = 0;
        }
        /* Everything below touches this vCPU's translation state, which other
         * vCPUs also reach (cross-vCPU code invalidation): only with the token. */
        if (!tc->has_token) {
            token_acquire(tc);
            last = 0;
        }
        if (cpu->state_dirty) {
            machine_lock(cpu->machine);
            cpu->state_dirty = false;
            cpu->halted = false;
            cpu->nmi_blocked = false;
            /* After a reset the APs wait for INIT/SIPI (SDM Vol 3 §9.4). */
            cpu->wait_sipi = cpu->index != 0;
            machine_unlock(cpu->machine);
            tlb_attach(tc);
            tb_flush_all(tc);
            tc->delivering = 0;
            last = 0;
        }
        if (__atomic_exchange_n(&tc->flush_pending, 0, __ATOMIC_ACQ_REL)) {
            tb_flush_all(tc);
            last = 0;
        }
        if (tc->inval_pages->len) {
            for (guint i = 0; i < tc->inval_pages->len; i++) {
                tb_invalidate_page(tc, g_array_index(tc->inval_pages, uint64_t, i));
            }
            g_array_set_size(tc->inval_pages, 0);
            last = 0;
        }
        if (cpu->init_pending || cpu->sipi_pending) {
            if (handle_init_sipi(tc)) {
                last = 0;
            }
        }
        if (cpu->wait_sipi) {
            token_release(tc);
            wait_sipi(tc);
            continue;
        }
        if (cpu->halted) {
            if (!intr_deliverable(env)) {
                token_release(tc);
                wait_halted(tc);
                continue;
            }
            cpu->halted = false;    /* HLT ends with the interrupt (rip is past it) */
        }
        if (sigsetjmp(tc->jb, 0)) {
            tc->current = NULL;
            last = 0;
            if (env->tcg_exception == EXCP_HLT) {
                continue;
            }
            /* A fault while delivering comes back here; deliver() escalates
             * (#DF, then shutdown), so this ends. */
            while (env->tcg_exception != EXCP_HLT && env->tcg_exception != EXCP_EXIT) {
                if (sigsetjmp(tc->jb, 0) == 0) {
                    deliver(tc);
                    break;
                }
            }
            continue;
        }
        if (intr_deliverable(env)) {
            take_interrupt(tc);
        }
        tc->flushed = false;
        TB *tb = tb_find(tc);
        if (tc->flushed) {
            last = 0;
        }
        if (last && !__atomic_load_n(&tc->flush_pending, __ATOMIC_ACQUIRE)) {
            TB *prev = (TB *)(last & ~(uintptr_t)3);
            int n = last & 3;
            /* Chain only inside one guest page: other pages may be remapped or
             * rewritten without this block knowing. */
            if (n < 2 && prev->has_jmp[n] && !prev->dead &&
                prev->phys[1] == (uint64_t)-1 && tb->phys[1] == (uint64_t)-1 &&
                (prev->pc & ~0xfffull) == (tb->pc & ~0xfffull)) {
                tcg_set_jmp_target(tc->s, prev->code, prev->jmp_insn_offset[n], tb->code);
            }
        }
        tc->current = tb;
        log_mask(LOG_EXEC, "tcg: vCPU %d: block %#" PRIx64 " cs_base %#" PRIx64
                 " flags %#x\n", cpu->index, tb->pc, tb->cs_base, tb->flags);
        last = tcg_exec_code(tc->s, env, tb->code);
        tc->current = NULL;
        /* The block that exited may be a chained successor of tb. */
    }
    token_release(tc);
    return NULL;
}

/* ---- AccelOps ---- */

static bool tcg_init(Machine *m, Error **errp)
{
    const char *b = m->cfg.tcg_backend;
    if (b && !strcmp(b, "native") && !tcg_native_available()) {
        error_setg(errp, "tcg: the native backend needs POPCNT, LZCNT and BMI1 "
                   "(use -accel tcg,backend=interp)");
        return false;
    }
    TCGSched *sc = g_new0(TCGSched, 1);
    g_mutex_init(&sc->lock);
    g_cond_init(&sc->cond);
    m->accel_state = sc;
    return true;
}

static bool tcg_cpu_init(CPUState *cpu, Error **errp)
{
    Machine *m = cpu->machine;
    const char *b = m->cfg.tcg_backend;
    TCGBackendKind kind = (b && !strcmp(b, "interp")) || !tcg_native_available()
                          ? TCG_BACKEND_INTERP : TCG_BACKEND_NATIVE;
    TCGCPU *tc = g_new0(TCGCPU, 1);

    tc->cpu = cpu;
    tc->sched = m->accel_state;
    tc->s = tcg_context_new(kind, CODE_BUF_SIZE, errp);
    if (!tc->s) {
        g_free(tc);
        return false;
    }
    tc->s->optimize = true;
    {
        FILE *lf = bt86_log_file ? bt86_log_file : stderr;
        tc->s->log_op = log_enabled(LOG_OP) ? lf : NULL;
        tc->s->log_op_opt = log_enabled(LOG_OP_OPT) ? lf : NULL;
        tc->s->log_out_asm = log_enabled(LOG_OUT_ASM) ? lf : NULL;
    }
    x86_tcg_init_globals(tc->s);
    tc->tbs = g_hash_table_new_full(tb_hash, tb_equal, NULL, tb_free);
    tc->code_pages = g_hash_table_new_full(NULL, NULL, NULL, code_page_free);
    tc->inval_pages = g_array_new(false, false, sizeof(uint64_t));
    tc->dead_tbs = g_ptr_array_new_with_free_func(tb_free);
    tc->tb_by_code = g_ptr_array_new();
    g_cond_init(&tc->halt_cond);
    tlb_attach(tc);
    tc->s->tlb = (TCGTLBDesc){
        .fast_path = true,
        .page_bits = 12,
        .nb_mmu_modes = X86_MMU_MODES,
        .fixed_mask = (X86_TLB_SIZE - 1) << TCG_TLB_ENTRY_BITS,
        .mask_ofs = { offsetof(CPUX86State, tcg_tlb_mask[0]),
                      offsetof(CPUX86State, tcg_tlb_mask[1]),
                      offsetof(CPUX86State, tcg_tlb_mask[2]) },
        .table_ofs = { offsetof(CPUX86State, tcg_tlb_table[0]),
                       offsetof(CPUX86State, tcg_tlb_table[1]),
                       offsetof(CPUX86State, tcg_tlb_table[2]) },
        .load = tlb_load_helper,
        .store = tlb_store_helper,
    };
    cpu->accel = tc;
    if (tc->sched->ncpus < MAX_CPUS) {
        tc->sched->cpus[tc->sched->ncpus++] = tc;
    }
    memmap_add_write_listener(&m->mem, write_listener, tc);
    return true;
}

static void tcg_cpu_start(CPUState *cpu)
{
    char name[32];
    snprintf(name, sizeof(name), "vcpu %d", cpu->index);
    cpu->thread = g_thread_new(name, tcg_vcpu_thread, cpu);
}

/* Called with the machine lock held. */
static void tcg_cpu_kick(CPUState *cpu)
{
    TCGCPU *tc = cpu->accel;
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_RELEASE);
    if (tc) {
        g_cond_broadcast(&tc->halt_cond);
    }
}

static void tcg_cpu_destroy(CPUState *cpu)
{
    TCGCPU *tc = cpu->accel;
    if (cpu->thread) {
        machine_lock(cpu->machine);
        tcg_cpu_kick(cpu);
        machine_unlock(cpu->machine);
        g_thread_join(cpu->thread);
        cpu->thread = NULL;
    }
    if (!tc) {
        return;
    }
    /* Other vCPUs reach this one's code pages while they hold the token. */
    TCGSched *sc = tc->sched;
    token_acquire(tc);
    for (int i = 0; i < sc->ncpus; i++) {
        if (sc->cpus[i] == tc) {
            sc->cpus[i] = sc->cpus[--sc->ncpus];
            break;
        }
    }
    token_release(tc);
    g_hash_table_destroy(tc->tbs);
    g_free(tc->spare);
    g_hash_table_destroy(tc->code_pages);
    g_array_free(tc->inval_pages, true);
    g_ptr_array_free(tc->dead_tbs, true);
    g_ptr_array_free(tc->tb_by_code, true);
    tcg_context_free(tc->s);
    g_cond_clear(&tc->halt_cond);
    g_free(tc);
    cpu->accel = NULL;
}

static void tcg_destroy(Machine *m)
{
    TCGSched *sc = m->accel_state;
    if (sc) {
        g_mutex_clear(&sc->lock);
        g_cond_clear(&sc->cond);
        g_free(sc);
        m->accel_state = NULL;
    }
}

const AccelOps tcg_accel_ops = {
    .name = "tcg",
    .init = tcg_init,
    .cpu_init = tcg_cpu_init,
    .cpu_start = tcg_cpu_start,
    .cpu_kick = tcg_cpu_kick,
    .cpu_destroy = tcg_cpu_destroy,
    .destroy = tcg_destroy,
};
