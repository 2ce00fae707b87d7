/*
 * kvm.c: the KVM accelerator, VM-wide part: opening /dev/kvm, creating the VM,
 * mirroring the memory map into KVM memory slots (and following later layout
 * changes), the in-kernel interrupt controller and the interrupt lines into it.
 *
 * Reference: Linux Documentation/virt/kvm/api.rst (KVM_CREATE_VM,
 * KVM_SET_USER_MEMORY_REGION, KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2, KVM_IRQ_LINE,
 * KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/accel.h"
#include "accel/kvm/kvm-internal.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>

#define KVM_DEVICE "/dev/kvm"
#define KVM_PAGE_SIZE 4096ULL
#define KVM_MAX_SLOTS_USED 256

int kvm_vm_ioctl(KVMState *s, unsigned long req, void *arg)
{
    int ret;
    do {
        ret = ioctl(s->vm_fd, req, arg);
    } while (ret < 0 && errno == EINTR);
    return ret;
}

static int kvm_check_extension(int fd, long cap)
{
    int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);
    return ret < 0 ? 0 : ret;
}

/* Open /dev/kvm and check the API version. Returns the fd or -1 with *errp. */
static int kvm_open_dev(Error **errp)
{
    int fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "%s", KVM_DEVICE);
        return -1;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version < 0) {
        error_setg_errno(errp, errno, "%s: KVM_GET_API_VERSION", KVM_DEVICE);
        close(fd);
        return -1;
    }
    if (version != KVM_API_VERSION) {
        error_setg(errp, "%s: KVM API version %d, bt86 needs %d", KVM_DEVICE, version,
                   KVM_API_VERSION);
        close(fd);
        return -1;
    }
    return fd;
}

static int kvm_create_vm_fd(int sys_fd, Error **errp)
{
    int fd;
    do {
        fd = ioctl(sys_fd, KVM_CREATE_VM, 0);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        error_setg_errno(errp, errno, "%s: KVM_CREATE_VM failed", KVM_DEVICE);
    }
    return fd;
}

bool kvm_available(Error **errp)
{
    int sys_fd = kvm_open_dev(errp);
    if (sys_fd < 0) {
        return false;
    }
    int vm_fd = kvm_create_vm_fd(sys_fd, errp);
    close(sys_fd);
    if (vm_fd < 0) {
        return false;
    }
    close(vm_fd);
    return true;
}

bool kvm_has_msr(KVMState *s, uint32_t index)
{
    for (unsigned i = 0; i < s->nr_msr_index; i++) {
        if (s->msr_index[i] == index) {
            return true;
        }
    }
    return false;
}

static bool kvm_fetch_msr_index(KVMState *s, Error **errp)
{
    struct kvm_msr_list probe = { .nmsrs = 0 };
    /* The first call fails with E2BIG and tells the count. */
    if (ioctl(s->sys_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
        error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST");
        return false;
    }
    struct kvm_msr_list *list = g_malloc0(sizeof(*list) +
                                          probe.nmsrs * sizeof(list->indices[0]));
    list->nmsrs = probe.nmsrs;
    if (ioctl(s->sys_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
        error_setg_errno(errp, errno, "KVM_GET_MSR_INDEX_LIST");
        g_free(list);
        return false;
    }
    s->nr_msr_index = list->nmsrs;
    s->msr_index = g_memdup2(list->indices, list->nmsrs * sizeof(uint32_t));
    g_free(list);
    return true;
}

/* ---- memory slots ---- */

static bool kvm_set_slot(KVMState *s, int id, const KVMSlot *sl, bool del)
{
    struct kvm_userspace_memory_region r = {
        .slot = id,
        .flags = sl->flags,
        .guest_phys_addr = sl->gpa,
        .memory_size = del ? 0 : sl->size,
        .userspace_addr = (uintptr_t)sl->host,
    };
    if (kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        error_report("kvm: %s memory slot %d at 0x%" PRIx64 " (+0x%" PRIx64 "): %s",
                     del ? "deleting" : "adding", id, sl->gpa, sl->size,
                     strerror(errno));
        return false;
    }
    return true;
}

/* The slots the current flattened memory map asks for: the page-aligned part of
 * every RAM and ROM section. Unaligned edges (none on a PC board) stay out and
 * reach the memory map through MMIO exits, which is slow but correct. */
static GArray *kvm_wanted_slots(KVMState *s)
{
    MemMap *mm = &s->machine->mem;
    GArray *want = g_array_new(false, true, sizeof(KVMSlot));

    for (unsigned i = 0; i < mm->nr_sections; i++) {
        const MemSection *sec = &mm->sections[i];
        MemRegion *mr = sec->mr;
        if (mr->kind == MR_MMIO || !mr->host || sec->size == 0) {
            continue;
        }
        uint64_t start = (sec->start + KVM_PAGE_SIZE - 1) & ~(KVM_PAGE_SIZE - 1);
        if (start < sec->start) {
            continue;
        }
        uint64_t end = sec->start + sec->size;
        if (end == 0 || end < sec->start) {
            end = UINT64_MAX & ~(KVM_PAGE_SIZE - 1);   /* section reaching 2^64 */
        }
        end &= ~(KVM_PAGE_SIZE - 1);
        if (end <= start) {
            continue;
        }
        uint8_t *host = mr->host + sec->offset + (start - sec->start);
        if ((uintptr_t)host & (KVM_PAGE_SIZE - 1)) {
            log_mask(LOG_UNIMP, "kvm: %s at 0x%" PRIx64 " has an unaligned host "
                     "address, left to MMIO exits\n", mr->name, sec->start);
            continue;
        }
        KVMSlot sl = {
            .used = true,
            .gpa = start,
            .size = end - start,
            .host = host,
            .flags = 0,
        };
        if (mr->kind == MR_ROM) {
            if (s->cap_readonly_mem) {
                sl.flags = KVM_MEM_READONLY;
            } else {
                /* Without read-only slots a ROM must still be executable from;
                 * guest writes then stick (old kernels only). */
                log_mask(LOG_UNIMP, "kvm: no KVM_CAP_READONLY_MEM, %s is writable\n",
                         mr->name);
            }
        }
        g_array_append_val(want, sl);
    }
    return want;
}

static bool kvm_slot_equal(const KVMSlot *a, const KVMSlot *b)
{
    return a->gpa == b->gpa && a->size == b->size && a->host == b->host &&
           a->flags == b->flags;
}

/* Bring KVM's slots in line with the memory map: delete the slots that changed
 * or vanished first (KVM refuses overlapping slots), then add the new ones. A
 * vCPU touching a range in between exits as MMIO and is served by the memory
 * map, so the change is safe while vCPUs run. */
static bool kvm_sync_slots(KVMState *s)
{
    GArray *want = kvm_wanted_slots(s);
    bool *kept = g_new0(bool, want->len);
    bool ok = true;

    for (int id = 0; id < s->nr_slots; id++) {
        KVMSlot *cur = &s->slots[id];
        if (!cur->used) {
            continue;
        }
        bool found = false;
        for (guint j = 0; j < want->len; j++) {
            if (!kept[j] && kvm_slot_equal(cur, &g_array_index(want, KVMSlot, j))) {
                kept[j] = true;
                found = true;
                break;
            }
        }
        if (!found) {
            ok &= kvm_set_slot(s, id, cur, true);
            cur->used = false;
        }
    }
    for (guint j = 0; j < want->len; j++) {
        if (kept[j]) {
            continue;
        }
        int id = 0;
        while (id < s->nr_slots && s->slots[id].used) {
            id++;
        }
        const KVMSlot *sl = &g_array_index(want, KVMSlot, j);
        if (id == s->nr_slots) {
            error_report("kvm: out of memory slots (%d) for 0x%" PRIx64, s->nr_slots,
                         sl->gpa);
            ok = false;
            break;
        }
        if (kvm_set_slot(s, id, sl, false)) {
            s->slots[id] = *sl;
        } else {
            ok = false;
        }
    }
    g_free(kept);
    g_array_free(want, true);
    return ok;
}

static void kvm_layout_changed(void *opaque)
{
    KVMState *s = opaque;
    if (!kvm_sync_slots(s)) {
        /* Guest memory no longer matches what the guest sees: stop rather than
         * run on with a wrong view. */
        machine_request_shutdown(s->machine, 1);
    }
}

/* ---- interrupt controller ---- */

static void kvm_gsi_handler(void *opaque, int n, int level)
{
    KVMState *s = opaque;
    struct kvm_irq_level irq = { .irq = n, .level = level ? 1 : 0 };
    if (kvm_vm_ioctl(s, KVM_IRQ_LINE, &irq) < 0) {
        log_mask(LOG_GUEST_ERROR, "kvm: KVM_IRQ_LINE gsi %d level %d: %s\n", n, level,
                 strerror(errno));
    }
}

static bool kvm_irqchip_create(KVMState *s, Error **errp)
{
    Machine *m = s->machine;

    if (!s->cap_irqchip) {
        error_setg(errp, "kvm: the kernel has no in-kernel irqchip (KVM_CAP_IRQCHIP)");
        return false;
    }
    if (kvm_vm_ioctl(s, KVM_CREATE_IRQCHIP, NULL) < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_CREATE_IRQCHIP");
        return false;
    }
    struct kvm_pit_config pit = { .flags = 0 };
    if (kvm_vm_ioctl(s, KVM_CREATE_PIT2, &pit) < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_CREATE_PIT2");
        return false;
    }
    s->irqchip = true;

    /* Keep the power-on state of the chips for system resets. */
    bool saved = true;
    for (int i = 0; i < 3; i++) {
        s->irqchip_init[i].chip_id = i;
        if (kvm_vm_ioctl(s, KVM_GET_IRQCHIP, &s->irqchip_init[i]) < 0) {
            saved = false;
        }
    }
    if (kvm_vm_ioctl(s, KVM_GET_PIT2, &s->pit_init) < 0) {
        saved = false;
    }
    s->irqchip_init_saved = saved;

    /* KVM's default routing: GSI 0-15 go to both PICs and the IOAPIC, 16-23 to
     * the IOAPIC only, which is exactly the PC wiring m->gsi[] stands for. */
    for (int i = 0; i < NUM_GSI; i++) {
        if (m->gsi[i]) {
            m->gsi[i]->handler = kvm_gsi_handler;
            m->gsi[i]->opaque = s;
            m->gsi[i]->n = i;
        }
    }
    return true;
}

void kvm_irqchip_reset(KVMState *s)
{
    if (!s->irqchip || !s->irqchip_init_saved) {
        return;
    }
    for (int i = 0; i < 3; i++) {
        struct kvm_irqchip chip = s->irqchip_init[i];
        if (kvm_vm_ioctl(s, KVM_SET_IRQCHIP, &chip) < 0) {
            log_mask(LOG_RESET, "kvm: resetting irqchip %d: %s\n", i, strerror(errno));
        }
    }
    struct kvm_pit_state2 pit = s->pit_init;
    if (kvm_vm_ioctl(s, KVM_SET_PIT2, &pit) < 0) {
        log_mask(LOG_RESET, "kvm: resetting the PIT: %s\n", strerror(errno));
    }
}

/* ---- VM set-up and teardown ---- */

static void kvm_destroy(Machine *m)
{
    KVMState *s = m->accel_state;
    if (!s) {
        return;
    }
    if (m->mem.layout_opaque == s) {
        m->mem.layout_changed = NULL;
        m->mem.layout_opaque = NULL;
    }
    for (int i = 0; i < NUM_GSI; i++) {
        if (m->gsi[i] && m->gsi[i]->opaque == s) {
            m->gsi[i]->handler = NULL;
            m->gsi[i]->opaque = NULL;
        }
    }
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    if (s->sys_fd >= 0) {
        close(s->sys_fd);
    }
    g_free(s->slots);
    g_free(s->msr_index);
    g_free(s->supported_cpuid);
    g_free(s);
    m->accel_state = NULL;
}

static bool kvm_init(Machine *m, Error **errp)
{
    KVMState *s = g_new0(KVMState, 1);
    s->machine = m;
    s->sys_fd = -1;
    s->vm_fd = -1;
    m->accel_state = s;

    s->sys_fd = kvm_open_dev(errp);
    if (s->sys_fd < 0) {
        goto fail;
    }
    s->vm_fd = kvm_create_vm_fd(s->sys_fd, errp);
    if (s->vm_fd < 0) {
        goto fail;
    }
    s->vcpu_mmap_size = ioctl(s->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg_errno(errp, errno, "kvm: KVM_GET_VCPU_MMAP_SIZE");
        goto fail;
    }
    if (!kvm_check_extension(s->sys_fd, KVM_CAP_USER_MEMORY)) {
        error_setg(errp, "kvm: the kernel lacks KVM_CAP_USER_MEMORY");
        goto fail;
    }
    s->cap_readonly_mem = kvm_check_extension(s->vm_fd, KVM_CAP_READONLY_MEM);
    s->cap_immediate_exit = kvm_check_extension(s->sys_fd, KVM_CAP_IMMEDIATE_EXIT);
    s->cap_irqchip = kvm_check_extension(s->sys_fd, KVM_CAP_IRQCHIP);
    s->cap_xsave = kvm_check_extension(s->sys_fd, KVM_CAP_XSAVE);
    s->nr_slots = kvm_check_extension(s->vm_fd, KVM_CAP_NR_MEMSLOTS);
    if (s->nr_slots <= 0) {
        s->nr_slots = 32;   /* the API's documented minimum */
    }
    /* Modern kernels offer tens of thousands; a PC needs a handful (RAM pieces,
     * ROMs, later PCI BARs), and every layout change walks the table. */
    if (s->nr_slots > KVM_MAX_SLOTS_USED) {
        s->nr_slots = KVM_MAX_SLOTS_USED;
    }
    s->slots = g_new0(KVMSlot, s->nr_slots);

    if (m->cfg.smp > 1) {
        int max = kvm_check_extension(s->vm_fd, KVM_CAP_MAX_VCPUS);
        if (max <= 0) {
            max = kvm_check_extension(s->vm_fd, KVM_CAP_NR_VCPUS);
        }
        if (max > 0 && m->cfg.smp > max) {
            error_setg(errp, "kvm: -smp %d is more than the %d vCPUs KVM allows",
                       m->cfg.smp, max);
            goto fail;
        }
    }
    if (!kvm_fetch_msr_index(s, errp) || !kvm_cpuid_fetch_supported(s, errp)) {
        goto fail;
    }

    /* Must precede vCPU creation (api.rst); harmless on AMD and on Intel hosts
     * with unrestricted guest. */
    if (kvm_check_extension(s->sys_fd, KVM_CAP_SET_TSS_ADDR) &&
        kvm_vm_ioctl(s, KVM_SET_TSS_ADDR, (void *)(uintptr_t)KVM_TSS_ADDR) < 0) {
        error_setg_errno(errp, errno, "kvm: KVM_SET_TSS_ADDR");
        goto fail;
    }
    if (kvm_check_extension(s->sys_fd, KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        uint64_t addr = KVM_IDENTITY_MAP_ADDR;
        if (kvm_vm_ioctl(s, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
            error_setg_errno(errp, errno, "kvm: KVM_SET_IDENTITY_MAP_ADDR");
            goto fail;
        }
    }

    /* kernel-irqchip=off: the board's userspace 8259A, IOAPIC, local APICs
     * and PIT (hw/pc/pc.c) already own the GSI lines. */
    if (m->cfg.kernel_irqchip && !kvm_irqchip_create(s, errp)) {
        goto fail;
    }
    if (!kvm_sync_slots(s)) {
        error_setg(errp, "kvm: could not map guest memory (see the message above)");
        goto fail;
    }
    m->mem.layout_changed = kvm_layout_changed;
    m->mem.layout_opaque = s;
    return true;

fail:
    kvm_destroy(m);
    return false;
}

const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .init = kvm_init,
    .cpu_init = kvm_cpu_init,
    .cpu_start = kvm_cpu_start,
    .cpu_kick = kvm_cpu_kick,
    .cpu_destroy = kvm_cpu_destroy,
    .destroy = kvm_destroy,
};
