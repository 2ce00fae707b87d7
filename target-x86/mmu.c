/*
 * mmu.c: the x86 page walk for the translator's TLB refill: no paging,
 * 32-bit 2-level (with 4 MiB pages under CR4.PSE), PAE 3-level and IA-32e
 * 4-level (SDM Vol 3 §4.3, §4.4, §4.5). Sets accessed/dirty bits as the
 * hardware does and builds the #PF error code (§4.7).
 */
#include "util/osdep.h"
#include "target-x86/x86-tcg.h"

#define PG_P   (1ull << 0)
#define PG_RW  (1ull << 1)
#define PG_US  (1ull << 2)
#define PG_A   (1ull << 5)
#define PG_D   (1ull << 6)
#define PG_PS  (1ull << 7)
#define PG_NX  (1ull << 63)
#define PHYS_MASK 0x000ffffffffff000ull
#define PG_RSVD_HI 0x000fff0000000000ull    /* bits 51:40, above MAXPHYADDR */

static uint64_t pte_load(MemMap *mem, uint64_t addr, int size)
{
    return memmap_load(mem, addr, size);
}

static void pte_set(MemMap *mem, uint64_t addr, uint64_t pte, uint64_t bits, int size)
{
    if ((pte & bits) != bits) {
        memmap_store(mem, addr, pte | bits, size);
    }
}

bool x86_mmu_translate(CPUX86State *env, MemMap *mem, uint64_t vaddr, int acc,
                       bool user, uint64_t *paddr, bool *writable, uint32_t *err)
{
    bool exec;
    return x86_mmu_translate_ex(env, mem, vaddr, acc, user, paddr, writable, &exec, err);
}

bool x86_mmu_translate_ex(CPUX86State *env, MemMap *mem, uint64_t vaddr, int acc,
                          bool user, uint64_t *paddr, bool *writable, bool *executable,
                          uint32_t *err)
{
    bool smap = acc & X86_ACC_SMAP;
    acc &= ~X86_ACC_SMAP;
    bool is_write = acc == X86_ACC_WRITE, is_fetch = acc == X86_ACC_FETCH;
    bool wp = env->cr[0] & CR0_WP, nxe = env->efer & EFER_NXE;
    bool smep = env->cr[4] & CR4_SMEP;
    bool rw = true, us = true, nx = false;
    uint64_t entry_addr[5], entries[5];
    int n = 0, esize;
    uint64_t pte, page_size;

    if (!(env->cr[0] & CR0_PG)) {
        *paddr = vaddr & 0xffffffffull;
        if (env->efer & EFER_LMA) {
            *paddr = vaddr;
        }
        *writable = true;
        *executable = true;
        return true;
    }

    if (env->cr[4] & CR4_PAE) {
        int levels = (env->efer & EFER_LMA) ? 4 : 3;
        uint64_t table;
        esize = 8;
        if (levels == 4) {
            /* Non-canonical addresses are #GP, not #PF; the caller checks. */
            table = env->cr[3] & PHYS_MASK;
        } else {
            uint64_t pdpte_addr = (env->cr[3] & 0xffffffe0ull) + ((vaddr >> 30) & 3) * 8;
            uint64_t pdpte = pte_load(mem, pdpte_addr, 8);
            if (!(pdpte & PG_P)) {
                goto fault_np;
            }
            table = pdpte & PHYS_MASK;
            levels = 2;
        }
        for (int lvl = levels; lvl >= 1; lvl--) {
            int shift = 12 + 9 * (lvl - 1);
            uint64_t ea = table + ((vaddr >> shift) & 511) * 8;
            pte = pte_load(mem, ea, 8);
            if (!(pte & PG_P)) {
                goto fault_np;
            }
            rw &= !!(pte & PG_RW);
            us &= !!(pte & PG_US);
            /* Address bits at or above MAXPHYADDR (40, CPUID 0x80000008) are
             * reserved in every entry (§4.5). */
            if (pte & PG_RSVD_HI) {
                goto fault_rsvd;
            }
            if (pte & PG_NX) {
                if (!nxe) {
                    goto fault_rsvd;    /* bit 63 is reserved without NXE (§4.5) */
                }
                nx = true;
            }
            entry_addr[n] = ea;
            entries[n++] = pte;
            if (lvl == 1 || ((pte & PG_PS) && lvl <= 3)) {
                if (lvl == 4 && (pte & PG_PS)) {
                    goto fault_rsvd;
                }
                page_size = 1ull << shift;
                /* A large page's address bits below its size, except PAT
                 * (bit 12), are reserved: 20:13 for 2 MiB, 29:13 for 1 GiB. */
                if (lvl > 1 && (pte & (page_size - 1) & ~0x1fffull)) {
                    goto fault_rsvd;
                }
                *paddr = (pte & PHYS_MASK & ~(page_size - 1)) | (vaddr & (page_size - 1));
                goto found;
            }
            table = pte & PHYS_MASK;
        }
        g_assert_not_reached();
    } else {
        uint64_t ea = (env->cr[3] & 0xfffff000ull) + ((vaddr >> 22) & 1023) * 4;
        esize = 4;
        pte = pte_load(mem, ea, 4);
        if (!(pte & PG_P)) {
            goto fault_np;
        }
        rw &= !!(pte & PG_RW);
        us &= !!(pte & PG_US);
        entry_addr[n] = ea;
        entries[n++] = pte;
        if ((pte & PG_PS) && (env->cr[4] & CR4_PSE)) {
            *paddr = (pte & 0xffc00000ull) | ((pte & 0x1fe000ull) << 19) |
                     (vaddr & 0x3fffff);
            goto found;
        }
        ea = (pte & 0xfffff000ull) + ((vaddr >> 12) & 1023) * 4;
        pte = pte_load(mem, ea, 4);
        if (!(pte & PG_P)) {
            goto fault_np;
        }
        rw &= !!(pte & PG_RW);
        us &= !!(pte & PG_US);
        entry_addr[n] = ea;
        entries[n++] = pte;
        *paddr = (pte & 0xfffff000ull) | (vaddr & 0xfff);
    }
found:
    if (user && !us) {
        goto fault_prot;
    }
    if (is_write && !rw && (user || wp)) {
        goto fault_prot;
    }
    if (is_fetch && nx) {
        goto fault_prot;
    }
    /* SMAP: supervisor data accesses to user pages, where enforced (CR4.SMAP
     * and EFLAGS.AC clear, or implicit accesses), fault (SDM Vol 3 §4.6.1). */
    if (smap && !user && us && !is_fetch) {
        goto fault_prot;
    }
    /* SMEP: supervisor code may not run from user pages (SDM Vol 3 §4.6.1). */
    if (is_fetch && smep && !user && us) {
        goto fault_prot;
    }
    for (int i = 0; i < n; i++) {
        uint64_t bits = PG_A;
        if (i == n - 1 && is_write) {
            bits |= PG_D;
        }
        pte_set(mem, entry_addr[i], entries[i], bits, esize);
    }
    /* Writable in the TLB only once D is set, so the first write walks again. */
    *writable = (rw || (!user && !wp)) && (is_write || (entries[n - 1] & PG_D));
    *executable = !nx && !(smep && !user && us);
    return true;

fault_np:
    *err = 0;
    goto fault;
fault_rsvd:
    *err = 1 | 8;
    goto fault;
fault_prot:
    *err = 1;
fault:
    if (is_write) {
        *err |= 2;
    }
    if (user) {
        *err |= 4;
    }
    if (is_fetch && (nxe || smep)) {
        *err |= 16;                 /* I/D: reported with NX or SMEP enabled */
    }
    return false;
}
