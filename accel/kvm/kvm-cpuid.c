/*
 * kvm-cpuid.c: the CPUID a vCPU sees under KVM. We start from what the kernel
 * can virtualize (KVM_GET_SUPPORTED_CPUID) and make it a coherent machine:
 * per-vCPU APIC IDs and topology, the hypervisor bit, and no features that need
 * userspace support bt86 does not have (PMU, nested VMX/SVM, Intel PT).
 *
 * References: SDM Vol 2A "CPUID" (leaves 1, 4, 7, 0xA, 0xB, 0x1F);
 * Linux Documentation/virt/kvm/x86/cpuid.rst for leaves 0x40000000-1;
 * api.rst for KVM_GET_SUPPORTED_CPUID and KVM_SET_CPUID2.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "accel/kvm/kvm-internal.h"

#include <sys/ioctl.h>

#define CPUID_1_ECX_VMX        (1u << 5)
#define CPUID_1_ECX_PDCM       (1u << 15)
#define CPUID_1_ECX_X2APIC     (1u << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_OSXSAVE    (1u << 27)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT        (1u << 28)
#define CPUID_7_EBX_INTEL_PT   (1u << 25)
#define CPUID_80000001_ECX_SVM (1u << 2)

/* KVM paravirtual features we let through: clocks and the IO-delay hint all
 * live in the kernel; the others (async page faults, steal time, PV EOI...)
 * need userspace cooperation on migration or MSR save/restore bt86 lacks. */
#define KVM_PV_FEATURES_KEPT \
    ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 24))

#define MAX_CPUID_ENTRIES 4096

bool kvm_cpuid_fetch_supported(KVMState *s, Error **errp)
{
    /* The kernel answers E2BIG while the buffer is too small: grow and retry. */
    for (unsigned n = 64; n <= MAX_CPUID_ENTRIES; n *= 2) {
        struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + n * sizeof(c->entries[0]));
        c->nent = n;
        if (ioctl(s->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
            s->supported_cpuid = c;
            return true;
        }
        int err = errno;
        g_free(c);
        if (err != E2BIG) {
            error_setg_errno(errp, err, "kvm: KVM_GET_SUPPORTED_CPUID");
            return false;
        }
    }
    error_setg(errp, "kvm: KVM_GET_SUPPORTED_CPUID: more than %d entries",
               MAX_CPUID_ENTRIES);
    return false;
}

/* Bits needed to number n items (at least 1 item). */
static unsigned bits_for(unsigned n)
{
    unsigned b = 0;
    while ((1u << b) < n) {
        b++;
    }
    return b;
}

/* Leaves 0xB and 0x1F: every vCPU is one core of one package (no SMT). */
static void cpuid_fill_topology(struct kvm_cpuid_entry2 *e, unsigned apic_id,
                                unsigned ncpus)
{
    e->edx = apic_id;
    switch (e->index) {
    case 0:     /* SMT level: one logical processor per core */
        e->eax = 0;
        e->ebx = 1;
        e->ecx = (1u << 8) | 0;
        break;
    case 1:     /* core level: ncpus cores in the package */
        e->eax = bits_for(ncpus);
        e->ebx = ncpus;
        e->ecx = (2u << 8) | 1;
        break;
    default:    /* invalid level ends the enumeration */
        e->eax = 0;
        e->ebx = 0;
        e->ecx = e->index;
        break;
    }
}

static void cpuid_filter_entry(KVMState *s, struct kvm_cpuid_entry2 *e, unsigned apic_id,
                               unsigned ncpus)
{
    switch (e->function) {
    case 1:
        e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) |
                 ((ncpus > 1 ? ncpus : 1) << 16);
        if (ncpus > 1) {
            e->edx |= CPUID_1_EDX_HTT;
        } else {
            e->edx &= ~CPUID_1_EDX_HTT;
        }
        e->ecx |= CPUID_1_ECX_HYPERVISOR;
        /* OSXSAVE mirrors CR4 and KVM computes it; no nested virtualization;
         * no PERF_CAPABILITIES MSR without a PMU. */
        e->ecx &= ~(CPUID_1_ECX_OSXSAVE | CPUID_1_ECX_VMX | CPUID_1_ECX_PDCM);
        if (!s->irqchip) {
            /* x2APIC and the TSC-deadline timer live in the in-kernel LAPIC. */
            e->ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE);
        }
        break;
    case 4:
        /* Deterministic cache parameters: cores per package in EAX[31:26],
         * logical processors sharing the cache in EAX[25:14] (one: no SMT). */
        if (e->eax & 0x1f) {
            e->eax = (e->eax & 0x3fff) | ((ncpus - 1) << 26);
        }
        break;
    case 7:
        if (e->index == 0) {
            e->ebx &= ~CPUID_7_EBX_INTEL_PT;
        }
        break;
    case 0xa:
        /* No PMU: architectural performance monitoring version 0. */
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    case 0xb:
    case 0x1f:
        cpuid_fill_topology(e, apic_id, ncpus);
        break;
    case 0x14:
        e->eax = e->ebx = e->ecx = e->edx = 0;
        break;
    case 0x40000001:
        e->eax &= KVM_PV_FEATURES_KEPT;
        e->edx = 0;
        break;
    case 0x80000001:
        e->ecx &= ~CPUID_80000001_ECX_SVM;
        break;
    case 0x80000008:
        /* AMD: cores per package - 1 (NC, ECX 7:0) and the APIC ID bits that
         * number them (ApicIdCoreIdSize, ECX 15:12). */
        e->ecx = (e->ecx & ~0xf0ffu) | (bits_for(ncpus) << 12) | (ncpus - 1);
        break;
    default:
        break;
    }
}

bool kvm_cpuid_setup_vcpu(KVMCPU *kc, Error **errp)
{
    KVMState *s = kc->s;
    const struct kvm_cpuid2 *sup = s->supported_cpuid;
    unsigned ncpus = s->machine->cfg.smp > 0 ? s->machine->cfg.smp : 1;
    size_t bytes = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
    struct kvm_cpuid2 *c = g_malloc(bytes);

    memcpy(c, sup, bytes);
    for (unsigned i = 0; i < c->nent; i++) {
        cpuid_filter_entry(s, &c->entries[i], kc->cpu->index, ncpus);
    }
    int ret = ioctl(kc->fd, KVM_SET_CPUID2, c);
    int err = errno;
    g_free(c);
    if (ret < 0) {
        error_setg_errno(errp, err, "kvm: vCPU %d: KVM_SET_CPUID2", kc->cpu->index);
        return false;
    }
    return true;
}
