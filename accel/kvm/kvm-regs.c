/*
 * kvm-regs.c: moving a vCPU's architectural state between bt86's CPUX86State
 * (target-x86/cpu.h) and the kernel (KVM_SET/GET_REGS, _SREGS, _MSRS, _FPU,
 * _LAPIC, _MP_STATE, _VCPU_EVENTS, _XCRS).
 *
 * The segment attribute layout of SegmentCache.flags is that of a descriptor's
 * high dword (SDM Vol 3 §3.4.5), so the conversion to struct kvm_segment is a
 * matter of extracting bit fields. State is pushed when the machine changed env
 * (reset, loader: cpu->state_dirty) and fetched back for diagnostics.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "accel/kvm/kvm-internal.h"
#include "target-x86/fpu-helper.h"

#include <sys/ioctl.h>

static int vcpu_ioctl(KVMCPU *kc, unsigned long req, void *arg)
{
    int ret;
    do {
        ret = ioctl(kc->fd, req, arg);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

/* ---- segments ---- */

static void seg_to_kvm(struct kvm_segment *k, const SegmentCache *sc)
{
    uint32_t f = sc->flags;

    memset(k, 0, sizeof(*k));
    k->base = sc->base;
    k->limit = sc->limit;
    k->selector = sc->selector;
    k->type = extract64(f, DESC_TYPE_SHIFT, 4);
    k->s = extract64(f, 12, 1);
    k->dpl = extract64(f, DESC_DPL_SHIFT, 2);
    k->present = extract64(f, 15, 1);
    k->avl = extract64(f, 20, 1);
    k->l = extract64(f, 21, 1);
    k->db = extract64(f, 22, 1);
    k->g = extract64(f, 23, 1);
    k->unusable = !k->present;
}

static void seg_from_kvm(SegmentCache *sc, const struct kvm_segment *k)
{
    sc->base = k->base;
    sc->limit = k->limit;
    sc->selector = k->selector;
    if (k->unusable) {
        /* Intel leaves the other attribute bits of an unusable segment undefined;
         * a null (not present) descriptor is what it stands for. */
        sc->flags = 0;
        return;
    }
    sc->flags = ((uint32_t)k->type << DESC_TYPE_SHIFT) | ((uint32_t)k->s << 12) |
                ((uint32_t)k->dpl << DESC_DPL_SHIFT) | ((uint32_t)k->present << 15) |
                ((uint32_t)k->avl << 20) | ((uint32_t)k->l << 21) |
                ((uint32_t)k->db << 22) | ((uint32_t)k->g << 23);
}

/* Real mode ignores most attributes but VM entry checks them, so give every
 * segment register the accessed read/write (or code) attributes the processor
 * itself has after reset (SDM Vol 3 Table 9-1). */
static void seg_fix_real_mode(struct kvm_segment *k, bool code)
{
    k->present = 1;
    k->unusable = 0;
    k->s = 1;
    k->dpl = 0;
    k->type = code ? 0xb : 0x3;
}

/* ---- MSRs ---- */

typedef struct MsrField {
    uint32_t index;
    size_t offset;          /* of the uint64_t in CPUX86State */
    bool reset_only;        /* pushed at reset only (writing TSC resyncs time) */
} MsrField;

#define MSR_FIELD(idx, field, ro) { idx, offsetof(CPUX86State, field), ro }

static const MsrField msr_fields[] = {
    MSR_FIELD(MSR_IA32_SYSENTER_CS, sysenter_cs, false),
    MSR_FIELD(MSR_IA32_SYSENTER_ESP, sysenter_esp, false),
    MSR_FIELD(MSR_IA32_SYSENTER_EIP, sysenter_eip, false),
    MSR_FIELD(MSR_STAR, star, false),
    MSR_FIELD(MSR_LSTAR, lstar, false),
    MSR_FIELD(MSR_CSTAR, cstar, false),
    MSR_FIELD(MSR_FMASK, fmask, false),
    MSR_FIELD(MSR_KERNELGSBASE, kernel_gs_base, false),
    MSR_FIELD(MSR_TSC_AUX, tsc_aux, false),
    MSR_FIELD(MSR_IA32_CR_PAT, pat, false),
    MSR_FIELD(MSR_IA32_MISC_ENABLE, misc_enable, false),
    MSR_FIELD(MSR_IA32_TSC, tsc, true),
};

static uint64_t *msr_slot(CPUX86State *env, const MsrField *f)
{
    return (uint64_t *)((char *)env + f->offset);
}

/* Fill msrs with the MSRs the kernel knows (others are skipped, not sent: a
 * kernel may reject an MSR its index list does not report). */
static struct kvm_msrs *msrs_build(KVMCPU *kc, bool reset, bool with_values)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_msrs *msrs = g_malloc0(sizeof(*msrs) +
                                      ARRAY_SIZE(msr_fields) * sizeof(msrs->entries[0]));
    unsigned n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(msr_fields); i++) {
        const MsrField *f = &msr_fields[i];
        if ((f->reset_only && !reset) || !kvm_has_msr(kc->s, f->index)) {
            continue;
        }
        msrs->entries[n].index = f->index;
        if (with_values) {
            uint64_t v = *msr_slot(env, f);
            if (f->index == MSR_IA32_CR_PAT && v == 0) {
                v = 0x0007040600070406ULL;  /* power-on PAT (SDM Vol 3 §11.12.4) */
            }
            if (f->index == MSR_IA32_MISC_ENABLE && v == 0) {
                /* Not modelled by the machine: keep the kernel's default. */
                continue;
            }
            msrs->entries[n].data = v;
        }
        n++;
    }
    msrs->nmsrs = n;
    return msrs;
}

static void msrs_put(KVMCPU *kc, bool reset)
{
    struct kvm_msrs *msrs = msrs_build(kc, reset, true);
    int ret = vcpu_ioctl(kc, KVM_SET_MSRS, msrs);
    /* KVM_SET_MSRS returns how many it took; it stops at the first refusal. */
    if (ret >= 0 && (unsigned)ret < msrs->nmsrs) {
        log_mask(LOG_UNIMP, "kvm: vCPU %d: MSR 0x%x = 0x%" PRIx64 " refused\n",
                 kc->cpu->index, msrs->entries[ret].index,
                 (uint64_t)msrs->entries[ret].data);
        /* Put the rest after the refused one. */
        for (unsigned i = ret + 1; i < msrs->nmsrs; i++) {
            struct {
                struct kvm_msrs h;
                struct kvm_msr_entry e;
            } one = { .h.nmsrs = 1, .e = msrs->entries[i] };
            if (vcpu_ioctl(kc, KVM_SET_MSRS, &one) != 1) {
                log_mask(LOG_UNIMP, "kvm: vCPU %d: MSR 0x%x refused\n", kc->cpu->index,
                         msrs->entries[i].index);
            }
        }
    }
    g_free(msrs);
}

static void msrs_get(KVMCPU *kc)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_msrs *msrs = msrs_build(kc, true, false);
    int ret = vcpu_ioctl(kc, KVM_GET_MSRS, msrs);

    for (int i = 0; i < ret && i < (int)msrs->nmsrs; i++) {
        for (size_t j = 0; j < ARRAY_SIZE(msr_fields); j++) {
            if (msr_fields[j].index == msrs->entries[i].index) {
                *msr_slot(env, &msr_fields[j]) = msrs->entries[i].data;
            }
        }
    }
    g_free(msrs);
}

/* ---- x87 / SSE ---- */

/* The legacy region of the XSAVE area is the FXSAVE image (SDM Vol 1 §10.5.1,
 * Table 10-2), followed by the XSAVE header whose XSTATE_BV says which
 * components hold data rather than their initial values (§13.4.2). A 64-bit
 * host kernel keeps it in the REX.W layout (64-bit FIP/FDP, no selectors).
 * The image code is the translator's (target-x86/fpu-helper.c), so x87
 * registers, tags and pointers move between the accelerators unchanged. */
#define FXS_MXCSR_MASK 28
#define FXS_IMAGE      416
#define XSAVE_HDR_BV   512
#define XSTATE_X87_SSE 3ULL

/* env as an FXSAVE64 image; an env never initialised for the FPU (all zero)
 * gets the FNINIT state. */
static void fpu_image_from_env(const CPUX86State *env, uint8_t *img)
{
    CPUX86State *e = g_memdup2(env, sizeof(*env));

    if (e->fpuc == 0 && e->fpus == 0 && e->fptag == 0) {
        e->fpuc = 0x37f;
        e->fptag = 0xffff;
    }
    if (!e->mxcsr) {
        e->mxcsr = 0x1f80;
    }
    x86_fxsave_to_image(e, img, true, 16);
    g_free(e);
}

/* Some kernels drop MXCSR in KVM_SET_FPU/KVM_GET_FPU once the vCPU's FPU state
 * is kept as XSAVE; going through the XSAVE image itself works everywhere
 * KVM_CAP_XSAVE exists. */
static bool fpu_put_xsave(KVMCPU *kc, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
    uint8_t *r = (uint8_t *)xs->region;
    uint32_t mask;
    bool ok = false;

    if (vcpu_ioctl(kc, KVM_GET_XSAVE, xs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_XSAVE", kc->cpu->index);
        goto out;
    }
    mask = ldl_le(r + FXS_MXCSR_MASK);          /* the host CPU's, kept */
    fpu_image_from_env(env, r);
    stl_le(r + FXS_MXCSR_MASK, mask);
    stq_le(r + XSAVE_HDR_BV, ldq_le(r + XSAVE_HDR_BV) | XSTATE_X87_SSE);
    if (vcpu_ioctl(kc, KVM_SET_XSAVE, xs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_SET_XSAVE", kc->cpu->index);
        goto out;
    }
    ok = true;
out:
    g_free(xs);
    return ok;
}

static bool fpu_get_xsave(KVMCPU *kc, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_xsave *xs = g_new0(struct kvm_xsave, 1);
    const uint8_t *r = (const uint8_t *)xs->region;

    if (vcpu_ioctl(kc, KVM_GET_XSAVE, xs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_XSAVE", kc->cpu->index);
        g_free(xs);
        return false;
    }
    uint64_t bv = ldq_le(r + XSAVE_HDR_BV);
    if (bv & 1) {
        x86_fxrstor_x87(env, r, true);
    } else {
        /* x87 in its initial configuration (SDM Vol 1 §13.6). */
        x86_fpu_init(env);
        memset(env->fpregs, 0, sizeof(env->fpregs));
    }
    /* MXCSR is saved whenever SSE or AVX state is (§13.7); otherwise it is
     * the initial value, as are the XMM registers without SSE state. */
    env->mxcsr = (bv & 6) ? ldl_le(r + 24) : 0x1f80;
    for (int i = 0; i < 16; i++) {
        if (bv & 2) {
            memcpy(env->xmm[i].b, r + 160 + 16 * i, 16);
        } else {
            memset(env->xmm[i].b, 0, 16);
        }
    }
    g_free(xs);
    return true;
}

static bool fpu_put(KVMCPU *kc, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_fpu fpu;
    uint8_t img[FXS_IMAGE];

    if (kc->s->cap_xsave) {
        return fpu_put_xsave(kc, errp);
    }
    fpu_image_from_env(env, img);
    memset(&fpu, 0, sizeof(fpu));
    fpu.fcw = ldw_le(img + 0);
    fpu.fsw = ldw_le(img + 2);
    fpu.ftwx = img[4];
    fpu.last_opcode = ldw_le(img + 6);
    fpu.last_ip = ldq_le(img + 8);
    fpu.last_dp = ldq_le(img + 16);
    fpu.mxcsr = ldl_le(img + 24);
    memcpy(fpu.fpr, img + 32, sizeof(fpu.fpr));
    memcpy(fpu.xmm, img + 160, sizeof(fpu.xmm));
    if (vcpu_ioctl(kc, KVM_SET_FPU, &fpu) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_SET_FPU", kc->cpu->index);
        return false;
    }
    return true;
}

static bool fpu_get(KVMCPU *kc, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    struct kvm_fpu fpu;
    uint8_t img[FXS_IMAGE];

    if (kc->s->cap_xsave) {
        return fpu_get_xsave(kc, errp);
    }
    if (vcpu_ioctl(kc, KVM_GET_FPU, &fpu) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_FPU", kc->cpu->index);
        return false;
    }
    memset(img, 0, sizeof(img));
    stw_le(img + 0, fpu.fcw);
    stw_le(img + 2, fpu.fsw);
    img[4] = fpu.ftwx;
    stw_le(img + 6, fpu.last_opcode);
    stq_le(img + 8, fpu.last_ip);
    stq_le(img + 16, fpu.last_dp);
    stl_le(img + 24, fpu.mxcsr);
    memcpy(img + 32, fpu.fpr, sizeof(fpu.fpr));
    memcpy(img + 160, fpu.xmm, sizeof(fpu.xmm));
    x86_fxrstor_x87(env, img, true);
    x86_fxrstor_sse(env, img, 16);
    return true;
}

/* ---- reset-only state: LAPIC, MP state, pending events, XCR0 ---- */

/* Local APIC register offsets (SDM Vol 3 §10.4.1, Table 10-1). */
#define APIC_REG_SVR  0xf0
#define APIC_REG_LVT0 0x350
#define APIC_REG_LVT1 0x360

/* What PC firmware leaves in the boot processor's local APIC before it hands
 * over: "virtual wire" mode (MultiProcessor Specification 1.4 §3.6.2.2), so the
 * 8259's INTR reaches the CPU through LINT0 as ExtINT and NMI through LINT1.
 * bt86 boots kernels directly, with no firmware, so the accelerator sets it. */
static void lapic_set_virtual_wire(struct kvm_lapic_state *lapic)
{
    stl_le(&lapic->regs[APIC_REG_SVR], 0x1ff);      /* enabled, spurious vector 0xff */
    stl_le(&lapic->regs[APIC_REG_LVT0], 0x700);     /* ExtINT, unmasked */
    stl_le(&lapic->regs[APIC_REG_LVT1], 0x400);     /* NMI */
}

static void put_reset_extras(KVMCPU *kc)
{
    KVMState *s = kc->s;
    CPUState *cpu = kc->cpu;

    if (cpu->index == 0) {
        kvm_irqchip_reset(s);
    }
    if (s->irqchip && kc->lapic_init_saved) {
        struct kvm_lapic_state lapic = kc->lapic_init;
        if (cpu->index == 0) {
            lapic_set_virtual_wire(&lapic);
        }
        if (vcpu_ioctl(kc, KVM_SET_LAPIC, &lapic) < 0) {
            log_mask(LOG_RESET, "kvm: vCPU %d: KVM_SET_LAPIC: %s\n", cpu->index,
                     strerror(errno));
        }
    }
    /* Drop whatever exception, interrupt or NMI was in flight. */
    struct kvm_vcpu_events ev;
    memset(&ev, 0, sizeof(ev));
    if (vcpu_ioctl(kc, KVM_SET_VCPU_EVENTS, &ev) < 0) {
        log_mask(LOG_RESET, "kvm: vCPU %d: KVM_SET_VCPU_EVENTS: %s\n", cpu->index,
                 strerror(errno));
    }
    struct kvm_xcrs xcrs;
    memset(&xcrs, 0, sizeof(xcrs));
    xcrs.nr_xcrs = 1;
    xcrs.xcrs[0].xcr = 0;
    xcrs.xcrs[0].value = cpu->env.xcr0 ? cpu->env.xcr0 : 1;   /* x87 always on */
    if (vcpu_ioctl(kc, KVM_SET_XCRS, &xcrs) < 0 && errno != EINVAL) {
        log_mask(LOG_RESET, "kvm: vCPU %d: KVM_SET_XCRS: %s\n", cpu->index,
                 strerror(errno));
    }
    /* With the in-kernel LAPIC, application processors wait for INIT-SIPI-SIPI
     * (SDM Vol 3 §9.4); the boot processor runs. */
    if (s->irqchip) {
        struct kvm_mp_state mp = {
            .mp_state = cpu->index == 0 ? KVM_MP_STATE_RUNNABLE
                                        : KVM_MP_STATE_INIT_RECEIVED,
        };
        if (vcpu_ioctl(kc, KVM_SET_MP_STATE, &mp) < 0) {
            log_mask(LOG_RESET, "kvm: vCPU %d: KVM_SET_MP_STATE: %s\n", cpu->index,
                     strerror(errno));
        }
    }
}

/* ---- whole state ---- */

bool kvm_put_state(KVMCPU *kc, bool reset, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    int idx = kc->cpu->index;
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (reset) {
        put_reset_extras(kc);
    }

    memset(&regs, 0, sizeof(regs));
    regs.rax = env->regs[R_EAX];
    regs.rbx = env->regs[R_EBX];
    regs.rcx = env->regs[R_ECX];
    regs.rdx = env->regs[R_EDX];
    regs.rsi = env->regs[R_ESI];
    regs.rdi = env->regs[R_EDI];
    regs.rsp = env->regs[R_ESP];
    regs.rbp = env->regs[R_EBP];
    regs.r8 = env->regs[R_R8];
    regs.r9 = env->regs[R_R9];
    regs.r10 = env->regs[R_R10];
    regs.r11 = env->regs[R_R11];
    regs.r12 = env->regs[R_R12];
    regs.r13 = env->regs[R_R13];
    regs.r14 = env->regs[R_R14];
    regs.r15 = env->regs[R_R15];
    regs.rip = env->rip;
    regs.rflags = env->rflags | 2;      /* bit 1 is reserved as one */

    /* Read first so fields we do not model (interrupt bitmap) stay coherent. */
    if (vcpu_ioctl(kc, KVM_GET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_SREGS", idx);
        return false;
    }
    bool pe = env->cr[0] & CR0_PE;
    struct kvm_segment *segs[6] = { &sregs.es, &sregs.cs, &sregs.ss,
                                    &sregs.ds, &sregs.fs, &sregs.gs };
    for (int i = 0; i < 6; i++) {
        seg_to_kvm(segs[i], &env->segs[i]);
        if (!pe) {
            seg_fix_real_mode(segs[i], i == R_CS);
        }
    }
    seg_to_kvm(&sregs.ldt, &env->ldt);
    if (sregs.ldt.present) {
        sregs.ldt.type = DESC_TYPE_LDT;
    }
    seg_to_kvm(&sregs.tr, &env->tr);
    /* VM entry wants a present busy TSS in TR even before the OS loads one;
     * the processor's own reset value is such a TR (SDM Vol 3 Table 9-1). */
    if (sregs.tr.type != DESC_TYPE_TSS_BUSY && sregs.tr.type != DESC_TYPE_TSS16_BUSY) {
        sregs.tr.type = DESC_TYPE_TSS_BUSY;
    }
    sregs.tr.present = 1;
    sregs.tr.unusable = 0;
    sregs.tr.s = 0;
    if (sregs.tr.limit == 0) {
        sregs.tr.limit = 0xffff;
    }
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = env->idt.limit;
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.cr8 = env->cr8;
    sregs.efer = env->efer;
    if (env->apic_base) {
        sregs.apic_base = env->apic_base;
    }
    if (reset) {
        memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
    }
    if (vcpu_ioctl(kc, KVM_SET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_SET_SREGS (CR0 0x%" PRIx64
                         " CR4 0x%" PRIx64 " EFER 0x%" PRIx64 ")", idx, env->cr[0],
                         env->cr[4], env->efer);
        return false;
    }
    if (vcpu_ioctl(kc, KVM_SET_REGS, &regs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_SET_REGS", idx);
        return false;
    }
    if (!fpu_put(kc, errp)) {
        return false;
    }
    msrs_put(kc, reset);
    return true;
}

bool kvm_get_state(KVMCPU *kc, Error **errp)
{
    CPUX86State *env = &kc->cpu->env;
    int idx = kc->cpu->index;
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (vcpu_ioctl(kc, KVM_GET_REGS, &regs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_REGS", idx);
        return false;
    }
    if (vcpu_ioctl(kc, KVM_GET_SREGS, &sregs) < 0) {
        error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_GET_SREGS", idx);
        return false;
    }
    env->regs[R_EAX] = regs.rax;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[R_R8] = regs.r8;
    env->regs[R_R9] = regs.r9;
    env->regs[R_R10] = regs.r10;
    env->regs[R_R11] = regs.r11;
    env->regs[R_R12] = regs.r12;
    env->regs[R_R13] = regs.r13;
    env->regs[R_R14] = regs.r14;
    env->regs[R_R15] = regs.r15;
    env->rip = regs.rip;
    env->rflags = regs.rflags;

    const struct kvm_segment *segs[6] = { &sregs.es, &sregs.cs, &sregs.ss,
                                          &sregs.ds, &sregs.fs, &sregs.gs };
    for (int i = 0; i < 6; i++) {
        seg_from_kvm(&env->segs[i], segs[i]);
    }
    seg_from_kvm(&env->ldt, &sregs.ldt);
    seg_from_kvm(&env->tr, &sregs.tr);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->cr8 = sregs.cr8;
    env->efer = sregs.efer;
    env->apic_base = sregs.apic_base;
    msrs_get(kc);
    return fpu_get(kc, errp);
}
