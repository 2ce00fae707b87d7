/*
 * test-kvm-slots.c: the KVM accelerator's mirror of the memory map into KVM
 * memory slots (accel/kvm/kvm.c), checked against a real /dev/kvm: the slots
 * after init, after MMIO is laid over RAM (split), after it goes away (merge),
 * for ROM (read-only), for a region that moves, and for a host buffer KVM cannot
 * take (not page aligned: left to MMIO exits). The kernel refuses overlapping
 * or misaligned slots, so a wrong update also shows as a shutdown request.
 *
 * Needs /dev/kvm; every case is skipped, saying why, without it.
 */
#include "util/osdep.h"
#include "system/accel.h"
#include "accel/kvm/kvm-internal.h"

#include <sys/mman.h>

#define TEST_RAM (16 * MiB)

static const MemoryOps dummy_ops = { .min_access = 1, .max_access = 8 };

static bool skip_without_kvm(void)
{
    Error *err = NULL;
    if (!kvm_available(&err)) {
        g_autofree char *msg = g_strdup_printf("KVM is not usable here: %s", err->msg);
        error_free(err);
        g_test_skip(msg);
        return true;
    }
    return false;
}

static Machine *kvm_machine_new(void)
{
    MachineConfig cfg = {
        .ram_size = TEST_RAM,
        .smp = 1,
        .accel = (char *)"kvm",
        .kernel_irqchip = true,
    };
    Error *err = NULL;
    Machine *m = machine_new(&cfg, &err);
    g_assert_null(err);
    g_assert_nonnull(m);
    g_assert_true(kvm_accel_ops.init(m, &err));
    g_assert_null(err);
    return m;
}

static void kvm_machine_free(Machine *m)
{
    g_assert_false(m->shutdown_requested);      /* no slot update failed */
    kvm_accel_ops.destroy(m);
    g_assert_null(m->accel_state);
    machine_free(m);
}

static int count_slots(KVMState *s)
{
    int n = 0;
    for (int i = 0; i < s->nr_slots; i++) {
        n += s->slots[i].used;
    }
    return n;
}

static const KVMSlot *find_slot(KVMState *s, uint64_t gpa)
{
    for (int i = 0; i < s->nr_slots; i++) {
        if (s->slots[i].used && s->slots[i].gpa == gpa) {
            return &s->slots[i];
        }
    }
    return NULL;
}

static void *page_alloc(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    g_assert_true(p != MAP_FAILED);
    return p;
}

static void test_initial(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Machine *m = kvm_machine_new();
    KVMState *s = m->accel_state;

    g_assert_cmpint(count_slots(s), ==, 1);
    const KVMSlot *sl = find_slot(s, 0);
    g_assert_nonnull(sl);
    g_assert_cmphex(sl->size, ==, TEST_RAM);
    g_assert_true(sl->host == m->ram->host);
    g_assert_cmpuint(sl->flags, ==, 0);
    /* The GSI lines now reach the in-kernel irqchip. */
    g_assert_nonnull(m->gsi[0]->handler);
    g_assert_true(m->gsi[0]->opaque == s);
    irq_raise(m->gsi[4]);
    irq_lower(m->gsi[4]);
    kvm_machine_free(m);
}

static void test_mmio_split_and_merge(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Machine *m = kvm_machine_new();
    KVMState *s = m->accel_state;

    MemRegion *mmio = memmap_add_mmio(&m->mem, "vga-window", 0xa0000, 0x20000,
                                      &dummy_ops, NULL, 1);
    g_assert_cmpint(count_slots(s), ==, 2);
    const KVMSlot *lo = find_slot(s, 0);
    const KVMSlot *hi = find_slot(s, 0xc0000);
    g_assert_nonnull(lo);
    g_assert_nonnull(hi);
    g_assert_cmphex(lo->size, ==, 0xa0000);
    g_assert_cmphex(hi->size, ==, TEST_RAM - 0xc0000);
    g_assert_true(hi->host == m->ram->host + 0xc0000);

    memmap_del(&m->mem, mmio);
    g_assert_cmpint(count_slots(s), ==, 1);
    g_assert_cmphex(find_slot(s, 0)->size, ==, TEST_RAM);
    kvm_machine_free(m);
}

static void test_rom_readonly(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Machine *m = kvm_machine_new();
    KVMState *s = m->accel_state;
    size_t len = 128 * KiB;
    uint8_t *rom = page_alloc(len);

    memmap_add_rom(&m->mem, "test.rom", 4 * GiB - len, len, rom, 10);
    const KVMSlot *sl = find_slot(s, 4 * GiB - len);
    g_assert_nonnull(sl);
    g_assert_cmphex(sl->size, ==, len);
    g_assert_cmpuint(sl->flags, ==, s->cap_readonly_mem ? KVM_MEM_READONLY : 0);
    kvm_machine_free(m);
    munmap(rom, len);
}

static void test_unaligned_host(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Machine *m = kvm_machine_new();
    KVMState *s = m->accel_state;
    size_t len = 64 * KiB;
    uint8_t *buf = page_alloc(len + 4096);

    /* A host buffer off a page boundary cannot back a slot: MMIO exits serve it. */
    memmap_add_rom(&m->mem, "odd.rom", 0xd0000000, len, buf + 16, 10);
    g_assert_null(find_slot(s, 0xd0000000));
    g_assert_cmpint(count_slots(s), ==, 1);
    kvm_machine_free(m);
    munmap(buf, len + 4096);
}

static void test_move_and_disable(void)
{
    if (skip_without_kvm()) {
        return;
    }
    Machine *m = kvm_machine_new();
    KVMState *s = m->accel_state;
    size_t len = 1 * MiB;
    uint8_t *ram = page_alloc(len);

    MemRegion *mr = memmap_add_ram(&m->mem, "bar", 0x40000000, len, ram, 5);
    g_assert_nonnull(find_slot(s, 0x40000000));
    memmap_move(&m->mem, mr, 0x50000000);
    g_assert_null(find_slot(s, 0x40000000));
    const KVMSlot *sl = find_slot(s, 0x50000000);
    g_assert_nonnull(sl);
    g_assert_true(sl->host == ram);
    g_assert_cmphex(sl->size, ==, len);
    memmap_set_enabled(&m->mem, mr, false);
    g_assert_null(find_slot(s, 0x50000000));
    g_assert_cmpint(count_slots(s), ==, 1);
    memmap_set_enabled(&m->mem, mr, true);
    g_assert_nonnull(find_slot(s, 0x50000000));
    kvm_machine_free(m);
    munmap(ram, len);
}

static void test_irqchip_off(void)
{
    if (skip_without_kvm()) {
        return;
    }
    MachineConfig cfg = {
        .ram_size = TEST_RAM,
        .smp = 1,
        .accel = (char *)"kvm",
        .kernel_irqchip = false,
    };
    Error *err = NULL;
    Machine *m = machine_new(&cfg, &err);
    g_assert_nonnull(m);
    /* kernel-irqchip=off: no in-kernel irqchip, and the GSI lines stay with
     * whoever set them (the board's userspace models). */
    g_assert_true(kvm_accel_ops.init(m, &err));
    g_assert_null(err);
    KVMState *s = m->accel_state;
    g_assert_false(s->irqchip);
    g_assert_null(m->gsi[0]->handler);
    kvm_machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/kvm/slots/initial", test_initial);
    g_test_add_func("/kvm/slots/mmio-split-and-merge", test_mmio_split_and_merge);
    g_test_add_func("/kvm/slots/rom-readonly", test_rom_readonly);
    g_test_add_func("/kvm/slots/unaligned-host", test_unaligned_host);
    g_test_add_func("/kvm/slots/move-and-disable", test_move_and_disable);
    g_test_add_func("/kvm/init/irqchip-off", test_irqchip_off);
    return g_test_run();
}
