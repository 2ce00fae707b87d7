/*
 * kvm-internal.h: state shared by the files of the KVM accelerator (accel/kvm/).
 * Nothing outside accel/kvm includes this; the rest of bt86 sees only
 * kvm_accel_ops and kvm_available() from include/system/accel.h.
 *
 * Reference: the Linux KVM API (Documentation/virt/kvm/api.rst), and
 * <linux/kvm.h> for the structure layouts.
 */
#ifndef ACCEL_KVM_INTERNAL_H
#define ACCEL_KVM_INTERNAL_H

#include "util/osdep.h"
#include "system/machine.h"
#include <pthread.h>
#include <linux/kvm.h>

/* Fixed guest-physical pages KVM needs for real mode on Intel hosts without
 * "unrestricted guest": three pages of TSS and one of identity page table. Both
 * sit in the PCI hole just below the 256 KiB BIOS window, where no RAM is. */
#define KVM_TSS_ADDR          0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

/* One KVM memory slot, i.e. one page-aligned piece of a RAM or ROM section. */
typedef struct KVMSlot {
    bool used;
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
    uint32_t flags;         /* KVM_MEM_READONLY */
} KVMSlot;

typedef struct KVMState {
    Machine *machine;
    int sys_fd;             /* /dev/kvm */
    int vm_fd;
    int vcpu_mmap_size;

    /* Capabilities found at init. */
    bool cap_readonly_mem;
    bool cap_immediate_exit;
    bool cap_irqchip;
    bool cap_xsave;         /* KVM_GET/SET_XSAVE: x87/SSE state incl. MXCSR */
    bool irqchip;           /* in-kernel PIC/IOAPIC/LAPIC/PIT in use */
    int nr_slots;

    KVMSlot *slots;         /* nr_slots entries, index = KVM slot id */

    /* MSRs the kernel can save and restore (KVM_GET_MSR_INDEX_LIST). */
    uint32_t *msr_index;
    unsigned nr_msr_index;

    /* KVM_GET_SUPPORTED_CPUID, fetched once; each vCPU gets a filtered copy. */
    struct kvm_cpuid2 *supported_cpuid;

    /* In-kernel interrupt controller state right after creation, restored at
     * every system reset (KVM has no "reset irqchip" call). */
    struct kvm_irqchip irqchip_init[3];     /* PIC master, PIC slave, IOAPIC */
    struct kvm_pit_state2 pit_init;
    bool irqchip_init_saved;
} KVMState;

/* Per vCPU, hung off CPUState.accel. */
typedef struct KVMCPU {
    CPUState *cpu;
    KVMState *s;
    int fd;
    struct kvm_run *run;
    pthread_t tid;
    volatile int tid_valid;     /* tid may be signalled */
    struct kvm_lapic_state lapic_init;
    bool lapic_init_saved;
} KVMCPU;

/* kvm.c */
int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg);
bool kvm_has_msr(KVMState *s, uint32_t index);
/* Put the in-kernel PIC, IOAPIC and PIT back to their power-on state. */
void kvm_irqchip_reset(KVMState *s);

/* kvm-cpuid.c: the CPUID model a vCPU sees (KVM_SET_CPUID2). */
bool kvm_cpuid_fetch_supported(KVMState *s, Error **errp);
bool kvm_cpuid_setup_vcpu(KVMCPU *kc, Error **errp);

/* kvm-regs.c: CPUX86State <-> kernel register state. */
bool kvm_put_state(KVMCPU *kc, bool reset, Error **errp);
bool kvm_get_state(KVMCPU *kc, Error **errp);

/* kvm-cpu.c */
bool kvm_cpu_init(CPUState *cpu, Error **errp);
void kvm_cpu_start(CPUState *cpu);
void kvm_cpu_kick(CPUState *cpu);
void kvm_cpu_destroy(CPUState *cpu);

#endif
