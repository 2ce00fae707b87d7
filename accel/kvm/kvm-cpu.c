/*
 * kvm-cpu.c: the KVM accelerator, per-vCPU part: creating the vCPU, its thread
 * running the KVM_RUN loop, turning exits into port-IO and memory-map accesses
 * (the same dispatch the translator uses, so devices stay accelerator-blind),
 * and kicking a vCPU out of guest mode.
 *
 * Reference: Linux Documentation/virt/kvm/api.rst, "KVM_RUN" and "The kvm_run
 * structure" (exit reasons, immediate_exit), KVM_CREATE_VCPU, KVM_SET_SIGNAL_MASK.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/accel.h"
#include "accel/kvm/kvm-internal.h"
#include "hw/intc/lapic.h"

#include <signal.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* The signal that knocks a vCPU thread out of KVM_RUN. Its handler does
 * nothing: the interrupted ioctl returning EINTR is the whole point. */
#define SIG_KICK SIGUSR1

static void kvm_kick_handler(int sig)
{
    (void)sig;
}

/* Installing a handler is process-wide by nature; doing it again is harmless.
 * No SA_RESTART, so KVM_RUN is not restarted behind our back. */
static void kvm_install_kick_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kvm_kick_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIG_KICK, &sa, NULL);
}

bool kvm_cpu_init(CPUState *cpu, Error **errp)
{
    KVMState *s = cpu->machine->accel_state;
    KVMCPU *kc = g_new0(KVMCPU, 1);

    kc->cpu = cpu;
    kc->s = s;
    kc->fd = -1;
    cpu->accel = kc;

    kc->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)cpu->index);
    if (kc->fd < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_CREATE_VCPU %d", cpu->index);
        goto fail;
    }
    kc->run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, kc->fd,
                   0);
    if (kc->run == MAP_FAILED) {
        kc->run = NULL;
        error_setg_errno(errp, errno, "kvm: vCPU %d: mmap of kvm_run", cpu->index);
        goto fail;
    }
    if (!kvm_cpuid_setup_vcpu(kc, errp)) {
        goto fail;
    }
    if (s->irqchip && ioctl(kc->fd, KVM_GET_LAPIC, &kc->lapic_init) == 0) {
        kc->lapic_init_saved = true;
    }
    if (!s->cap_immediate_exit) {
        /* Old kernels: keep SIG_KICK blocked in the thread except inside KVM_RUN,
         * so a kick between the exit_request check and KVM_RUN is not lost: it
         * stays pending and KVM_RUN returns EINTR at once. */
        /* The kernel's sigset (8 bytes on x86-64) follows len directly, with
         * no padding: build the argument as bytes. */
        uint8_t buf[sizeof(struct kvm_signal_mask) + 8];
        struct kvm_signal_mask *mask = (struct kvm_signal_mask *)buf;
        sigset_t cur;
        pthread_sigmask(SIG_BLOCK, NULL, &cur);
        sigdelset(&cur, SIG_KICK);
        mask->len = 8;
        memcpy(mask->sigset, &cur, 8);     /* glibc keeps signal 1 in bit 0 */
        if (ioctl(kc->fd, KVM_SET_SIGNAL_MASK, mask) < 0) {
            error_setg_errno(errp, errno, "kvm: vCPU %d: KVM_SET_SIGNAL_MASK",
                             cpu->index);
            goto fail;
        }
    }
    kvm_install_kick_handler();
    return true;

fail:
    kvm_cpu_destroy(cpu);
    return false;
}

/* ---- exits ---- */

static void kvm_handle_io(CPUState *cpu, struct kvm_run *run)
{
    Machine *m = cpu->machine;
    unsigned size = run->io.size;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;

    if (size != 1 && size != 2 && size != 4) {
        log_mask(LOG_GUEST_ERROR, "kvm: port IO of size %u ignored\n", size);
        return;
    }
    /* The kernel keeps the data inside the shared page; check rather than trust. */
    KVMCPU *kc = cpu->accel;
    uint64_t end = (uint64_t)run->io.data_offset + (uint64_t)run->io.count * size;
    if (end > (uint64_t)kc->s->vcpu_mmap_size) {
        log_mask(LOG_GUEST_ERROR, "kvm: port IO data out of the kvm_run area\n");
        return;
    }
    machine_lock(m);
    for (uint32_t i = 0; i < run->io.count; i++, data += size) {
        if (run->io.direction == KVM_EXIT_IO_OUT) {
            uint32_t v = size == 1 ? data[0] : size == 2 ? ldw_le(data) : ldl_le(data);
            ioport_write(&m->io, run->io.port, v, size);
        } else {
            uint32_t v = ioport_read(&m->io, run->io.port, size);
            if (size == 1) {
                data[0] = v;
            } else if (size == 2) {
                stw_le(data, v);
            } else {
                stl_le(data, v);
            }
        }
    }
    machine_unlock(m);
}

static void kvm_handle_mmio(CPUState *cpu, struct kvm_run *run)
{
    Machine *m = cpu->machine;
    uint64_t addr = run->mmio.phys_addr;
    uint32_t len = run->mmio.len;
    uint8_t *data = run->mmio.data;

    if (len == 0 || len > sizeof(run->mmio.data)) {
        log_mask(LOG_GUEST_ERROR, "kvm: MMIO of length %u at 0x%" PRIx64 " ignored\n",
                 len, addr);
        return;
    }
    machine_lock(m);
    if (cpu->apic && len <= 4) {
        /* kernel-irqchip=off: the local APIC page is this vCPU's own. */
        uint64_t v = run->mmio.is_write ? ldl_le(data) & (~0ULL >> (64 - 8 * len)) : 0;
        if (lapic_mmio_access(cpu->apic, addr, run->mmio.is_write, &v, len)) {
            if (!run->mmio.is_write) {
                uint8_t tmp[8];
                stq_le(tmp, v);
                memcpy(data, tmp, len);
            }
            machine_unlock(m);
            return;
        }
    }
    if (len == 1 || len == 2 || len == 4 || len == 8) {
        if (run->mmio.is_write) {
            memmap_store(&m->mem, addr, ldq_le(data) & (~0ULL >> (64 - 8 * len)), len);
        } else {
            uint64_t v = memmap_load(&m->mem, addr, len);
            uint8_t tmp[8];
            stq_le(tmp, v);
            memcpy(data, tmp, len);
        }
    } else {
        /* Odd sizes (instruction emulation of unusual operands): byte by byte. */
        for (uint32_t i = 0; i < len; i++) {
            if (run->mmio.is_write) {
                memmap_store(&m->mem, addr + i, data[i], 1);
            } else {
                data[i] = memmap_load(&m->mem, addr + i, 1);
            }
        }
    }
    machine_unlock(m);
}

static const char *kvm_internal_error_name(uint32_t suberror)
{
    switch (suberror) {
    case KVM_INTERNAL_ERROR_EMULATION:   return "instruction emulation failed";
    case KVM_INTERNAL_ERROR_SIMUL_EX:    return "exception while delivering another";
    case KVM_INTERNAL_ERROR_DELIVERY_EV: return "event delivery failed";
    default:                             return "unexpected hardware exit";
    }
}

/* A state KVM cannot run: one line naming the vCPU, what happened and where,
 * then stop the machine with status 1. */
static void kvm_fatal_exit(KVMCPU *kc)
{
    CPUState *cpu = kc->cpu;
    struct kvm_run *run = kc->run;
    Error *err = NULL;
    char what[128];
    char where[128] = "RIP unknown";

    switch (run->exit_reason) {
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(what, sizeof(what), "KVM_EXIT_FAIL_ENTRY (VM entry failed, hardware "
                 "reason 0x%" PRIx64 ")",
                 (uint64_t)run->fail_entry.hardware_entry_failure_reason);
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(what, sizeof(what), "KVM_EXIT_INTERNAL_ERROR (suberror %u: %s)",
                 run->internal.suberror, kvm_internal_error_name(run->internal.suberror));
        break;
    default:
        snprintf(what, sizeof(what), "unexpected exit reason %u", run->exit_reason);
        break;
    }
    if (kvm_get_state(kc, &err)) {
        snprintf(where, sizeof(where), "RIP 0x%" PRIx64 " (CS 0x%04x base 0x%" PRIx64
                 ", CR0 0x%" PRIx64 ", EFER 0x%" PRIx64 ")", cpu->env.rip,
                 cpu->env.segs[R_CS].selector, cpu->env.segs[R_CS].base, cpu->env.cr[0],
                 cpu->env.efer);
    } else {
        error_free(err);
    }
    error_report("kvm: vCPU %d: %s at %s", cpu->index, what, where);
    machine_lock(cpu->machine);
    machine_request_shutdown(cpu->machine, 1);
    machine_unlock(cpu->machine);
}

/* Leaving guest code to serve requests. When the machine is pausing, copy the
 * registers back into env first, so whoever looks at a paused machine (monitor,
 * debugger, a later snapshot) sees the guest's state, not the boot state. */
static bool kvm_serve_requests(KVMCPU *kc)
{
    CPUState *cpu = kc->cpu;

    __atomic_store_n(&kc->run->immediate_exit, 0, __ATOMIC_RELEASE);
    if (!kc->s->cap_immediate_exit) {
        /* The kick signal is blocked outside KVM_RUN, so one that made KVM_RUN
         * return is still pending and would end every later KVM_RUN at once:
         * consume it. Requests are read below, under the lock, anyway. */
        sigset_t set;
        struct timespec zero = { 0, 0 };
        sigemptyset(&set);
        sigaddset(&set, SIG_KICK);
        while (sigtimedwait(&set, NULL, &zero) == SIG_KICK) {
            /* drained one */
        }
    }
    if (cpu->stop && !cpu->state_dirty) {
        Error *err = NULL;
        if (!kvm_get_state(kc, &err)) {
            log_mask(LOG_RESET, "kvm: vCPU %d: %s\n", cpu->index, err->msg);
            error_free(err);
        }
    }
    return cpu_handle_requests(cpu);
}

/* After a triple fault the vCPU cannot go on: wait until the main loop has
 * reset the machine (new state to push) or is shutting it down. */
static bool kvm_wait_for_reset(CPUState *cpu)
{
    while (!cpu->state_dirty) {
        if (!cpu_handle_requests(cpu)) {
            return false;
        }
        g_usleep(1000);
    }
    return true;
}

/* Handle one exit. Returns false when the thread must end. */
static bool kvm_handle_exit(KVMCPU *kc)
{
    CPUState *cpu = kc->cpu;
    Machine *m = cpu->machine;
    struct kvm_run *run = kc->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(cpu, run);
        return true;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(cpu, run);
        return true;
    case KVM_EXIT_INTR:
        return kvm_serve_requests(kc);
    case KVM_EXIT_HLT:
        /* Only without the in-kernel LAPIC (kernel-irqchip=off): the vCPU
         * sleeps in userspace until its APIC raises INTR or an NMI comes. */
        cpu->halted = true;
        return cpu_handle_requests(cpu);
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        return true;            /* injected before the next KVM_RUN */
    case KVM_EXIT_SHUTDOWN:
        log_mask(LOG_RESET, "kvm: vCPU %d: triple fault\n", cpu->index);
        machine_lock(m);
        machine_request_guest_reset(m);
        machine_unlock(m);
        return kvm_wait_for_reset(cpu);
    case KVM_EXIT_SYSTEM_EVENT:
        machine_lock(m);
        if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
            machine_request_guest_reset(m);
        } else {
            machine_request_shutdown(m, 0);
        }
        machine_unlock(m);
        return kvm_wait_for_reset(cpu);
    case KVM_EXIT_DEBUG:
        return true;
    default:
        /* FAIL_ENTRY, INTERNAL_ERROR and anything we do not know. */
        kvm_fatal_exit(kc);
        return cpu_handle_requests(cpu);
    }
}

/*
 * kernel-irqchip=off: the CPU side of the userspace local APIC, before each
 * KVM_RUN (SDM Vol 3 §9.4 and §10.6.1 for INIT/SIPI). KVM refuses MP states
 * other than runnable without its own LAPIC, so a vCPU in wait-for-SIPI or HLT
 * waits here, in userspace, on the machine's cpu_cond (kvm_cpu_kick wakes it).
 * Returns false when the thread must end.
 */
static bool kvm_userspace_apic(KVMCPU *kc)
{
    CPUState *cpu = kc->cpu;
    CPUX86State *env = &cpu->env;
    Machine *m = cpu->machine;
    struct kvm_run *run = kc->run;
    bool put = false, reset = false;

    machine_lock(m);
    if (cpu->init_pending) {
        int (*intack)(void *) = env->intack;
        void *intack_opaque = env->intack_opaque;
        int intr = env->intr_pending;
        bool bsp = lapic_get_base(cpu->apic) & MSR_APICBASE_BSP;
        cpu->init_pending = false;
        x86_cpu_reset_state(env, bsp);
        env->intack = intack;
        env->intack_opaque = intack_opaque;
        env->intr_pending = intr;
        cpu->halted = false;
        cpu->wait_sipi = !bsp;
        put = reset = true;
    }
    if (cpu->sipi_pending) {
        cpu->sipi_pending = false;
        if (cpu->wait_sipi) {
            cpu->wait_sipi = false;
            x86_seg_set_real(&env->segs[R_CS], (uint16_t)(cpu->sipi_vector << 8), true);
            env->rip = 0;
            put = true;
        }
    }
    /* Asleep: wait-for-SIPI, or HLT with nothing to take. */
    while ((cpu->wait_sipi ||
            (cpu->halted && !env->nmi_pending && !(env->intr_pending && env->intack))) &&
           !cpu->init_pending && !cpu->sipi_pending && !cpu->exit_request &&
           !m->shutdown_requested && !cpu->state_dirty) {
        g_cond_wait(&m->cpu_cond, &m->lock);
    }
    if (cpu->init_pending || cpu->sipi_pending || cpu->wait_sipi) {
        machine_unlock(m);
        if (put) {
            Error *err = NULL;
            if (!kvm_put_state(kc, reset, &err)) {
                error_report_err(err);
            }
        }
        return true;    /* back to the loop: serve requests, then again */
    }
    cpu->halted = cpu->halted && !env->nmi_pending && !(env->intr_pending && env->intack);
    int vec = -1;
    bool nmi = false;
    if (env->nmi_pending) {
        env->nmi_pending = false;
        nmi = true;
    } else if (env->intr_pending && env->intack && run->ready_for_interrupt_injection &&
               run->if_flag) {
        vec = env->intack(env->intack_opaque);
    }
    /* Ask KVM to exit as soon as the guest can take the interrupt still
     * waiting (IF=0 or an interrupt shadow now). */
    run->request_interrupt_window = env->intr_pending && env->intack && vec < 0;
    machine_unlock(m);

    if (put) {
        Error *err = NULL;
        if (!kvm_put_state(kc, reset, &err)) {
            error_report_err(err);
            return true;
        }
    }
    if (nmi && ioctl(kc->fd, KVM_NMI) < 0) {
        log_mask(LOG_INT, "kvm: vCPU %d: KVM_NMI: %s\n", cpu->index, strerror(errno));
    }
    if (vec >= 0 && vec < 256) {
        struct kvm_interrupt irq = { .irq = (uint32_t)vec };
        if (ioctl(kc->fd, KVM_INTERRUPT, &irq) < 0) {
            log_mask(LOG_INT, "kvm: vCPU %d: KVM_INTERRUPT %d: %s\n", cpu->index, vec,
                     strerror(errno));
        }
    }
    return true;
}

static bool kvm_push_dirty_state(KVMCPU *kc)
{
    CPUState *cpu = kc->cpu;
    Machine *m = cpu->machine;
    Error *err = NULL;
    bool ok;

    machine_lock(m);
    /* A push from the machine's side is a reset or a fresh boot in this version
     * (the loader); reset the kernel-side pieces too. */
    ok = kvm_put_state(kc, true, &err);
    cpu->state_dirty = false;
    cpu->halted = false;
    /* kernel-irqchip=off: the APs wait for INIT/SIPI in userspace. */
    cpu->wait_sipi = cpu->apic && cpu->index != 0;
    machine_unlock(m);
    if (!ok) {
        error_report_err(err);
        machine_lock(m);
        machine_request_shutdown(m, 1);
        machine_unlock(m);
    }
    return ok;
}

static gpointer kvm_vcpu_thread(gpointer opaque)
{
    CPUState *cpu = opaque;
    KVMCPU *kc = cpu->accel;

    kc->tid = pthread_self();
    if (kc->s->cap_immediate_exit) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIG_KICK);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    } else {
        /* See kvm_cpu_init: blocked outside KVM_RUN. */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIG_KICK);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    __atomic_store_n(&kc->tid_valid, 1, __ATOMIC_RELEASE);

    for (;;) {
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
            /* immediate_exit is cleared first: a kick arriving after that is
             * still seen by the next KVM_RUN. */
            if (!kvm_serve_requests(kc)) {
                break;
            }
        }
        if (cpu->state_dirty && !kvm_push_dirty_state(kc)) {
            if (!kvm_wait_for_reset(cpu)) {
                break;
            }
            continue;
        }
        if (cpu->apic) {
            kvm_userspace_apic(kc);
            if (cpu->wait_sipi || cpu->init_pending || cpu->sipi_pending ||
                cpu->state_dirty || __atomic_load_n(&cpu->exit_request, __ATOMIC_ACQUIRE)) {
                continue;
            }
        }
        int ret = ioctl(kc->fd, KVM_RUN, 0);
        if (ret < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                if (!kvm_serve_requests(kc)) {
                    break;
                }
                continue;
            }
            error_report("kvm: vCPU %d: KVM_RUN: %s", cpu->index, strerror(errno));
            machine_lock(cpu->machine);
            machine_request_shutdown(cpu->machine, 1);
            machine_unlock(cpu->machine);
            if (!kvm_wait_for_reset(cpu)) {
                break;
            }
            continue;
        }
        if (!kvm_handle_exit(kc)) {
            break;
        }
    }
    __atomic_store_n(&kc->tid_valid, 0, __ATOMIC_RELEASE);
    return NULL;
}

void kvm_cpu_start(CPUState *cpu)
{
    char name[32];
    snprintf(name, sizeof(name), "vcpu %d", cpu->index);
    cpu->thread = g_thread_new(name, kvm_vcpu_thread, cpu);
}

void kvm_cpu_kick(CPUState *cpu)
{
    KVMCPU *kc = cpu->accel;
    if (!kc || !kc->run) {
        return;
    }
    __atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_RELEASE);
    if (__atomic_load_n(&kc->tid_valid, __ATOMIC_ACQUIRE)) {
        pthread_kill(kc->tid, SIG_KICK);
    }
    if (cpu->apic) {
        /* A vCPU asleep in kvm_userspace_apic (kernel-irqchip=off). */
        g_cond_broadcast(&cpu->machine->cpu_cond);
    }
}

void kvm_cpu_destroy(CPUState *cpu)
{
    KVMCPU *kc = cpu->accel;
    if (cpu->thread) {
        /* The caller requested shutdown and kicked us; the loop ends there. */
        kvm_cpu_kick(cpu);
        g_thread_join(cpu->thread);
        cpu->thread = NULL;
    }
    if (!kc) {
        return;
    }
    if (kc->run) {
        munmap(kc->run, kc->s->vcpu_mmap_size);
    }
    if (kc->fd >= 0) {
        close(kc->fd);
    }
    g_free(kc);
    cpu->accel = NULL;
}
