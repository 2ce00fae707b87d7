/*
 * pc-testdev.c: "pc-testdev", a test device with no real-hardware counterpart,
 * giving guest test suites (kvm-unit-tests' x86 tests: emulator, realmode,
 * eventinj, ioapic) a few registers whose behaviour they can check:
 *
 *   port 0xe0-0xe3   a 32-bit scratch register, reachable with any access size at
 *                    any of its four ports (string IO tests read back what they
 *                    wrote, byte by byte or whole)
 *   port 0xe4-0xe7   "flush page": a dword write names a guest-physical address;
 *                    the page holding it is treated as freshly written (translated
 *                    code from it is dropped), like DMA into it would be
 *   port 0xe8-0xeb   a second 32-bit scratch register that only takes byte
 *                    accesses, so wider guest accesses exercise the port-IO
 *                    splitting of the bus
 *   port 0x2000+n    n < 24: writing V drives interrupt line n (ISA IRQ n, which
 *                    is also IOAPIC input n) to level V != 0; reads give the level
 *   MMIO 0xff000000  64 KiB of scratch memory behind MMIO callbacks, so the guest
 *                    can run instructions whose memory operand is a device
 *
 * docs/devices.md "pc-testdev"; the port layout is the one kvm-unit-tests
 * expects (see docs/kvm-unit-tests.md).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "system/machine.h"

#define TESTDEV_SCRATCH_PORT    0xe0
#define TESTDEV_FLUSH_PORT      0xe4
#define TESTDEV_BYTE_PORT       0xe8
#define TESTDEV_IRQ_PORT        0x2000
#define TESTDEV_IOMEM_BASE      0xff000000ULL
#define TESTDEV_IOMEM_SIZE      0x10000
#define TESTDEV_PAGE_SIZE       4096

typedef struct PcTestdevState {
    Device parent;
    uint32_t scratch;           /* 0xe0 */
    uint32_t byte_scratch;      /* 0xe8 */
    uint8_t irq_level[NUM_GSI];
    uint8_t iomem[TESTDEV_IOMEM_SIZE];
    IoRegion *scratch_io;
    IoRegion *flush_io;
    IoRegion *byte_io;
    IoRegion *irq_io;
    MemRegion *iomem_mr;
} PcTestdevState;

/* Read `size` little-endian bytes of a 4-byte register starting at byte `offset`.
 * The port map never hands us an access running past the region, but the
 * register is narrower than some regions' access limit, so clamp anyway. */
static uint64_t reg32_read(uint32_t reg, uint64_t offset, unsigned size)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < 4; i++) {
        v |= (uint64_t)((reg >> (8 * (offset + i))) & 0xff) << (8 * i);
    }
    return v;
}

static uint32_t reg32_write(uint32_t reg, uint64_t offset, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size && offset + i < 4; i++) {
        unsigned shift = 8 * (offset + i);
        reg = (reg & ~(0xffu << shift)) | (uint32_t)(((value >> (8 * i)) & 0xff) << shift);
    }
    return reg;
}

static uint64_t testdev_scratch_read(void *opaque, uint64_t offset, unsigned size)
{
    PcTestdevState *s = opaque;
    return reg32_read(s->scratch, offset, size);
}

static void testdev_scratch_write(void *opaque, uint64_t offset, uint64_t value,
                                  unsigned size)
{
    PcTestdevState *s = opaque;
    s->scratch = reg32_write(s->scratch, offset, value, size);
}

static const MemoryOps testdev_scratch_ops = {
    .read = testdev_scratch_read,
    .write = testdev_scratch_write,
    .min_access = 1,
    .max_access = 4,
};

static uint64_t testdev_byte_read(void *opaque, uint64_t offset, unsigned size)
{
    PcTestdevState *s = opaque;
    return reg32_read(s->byte_scratch, offset, size);
}

static void testdev_byte_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PcTestdevState *s = opaque;
    s->byte_scratch = reg32_write(s->byte_scratch, offset, value, size);
}

static const MemoryOps testdev_byte_ops = {
    .read = testdev_byte_read,
    .write = testdev_byte_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t testdev_flush_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

/*
 * The guest (eventinj) uses this to make the next touch of a page slow: under KVM
 * the host mapping would be dropped so the access exits. Under the translator a
 * RAM page's TLB entry already goes straight to host memory and stays correct, so
 * the one stale thing a page can have is translated code: announce the page as
 * written, which drops it. Only a whole dword names an address; anything that is
 * not RAM is ignored.
 */
static void testdev_flush_write(void *opaque, uint64_t offset, uint64_t value,
                                unsigned size)
{
    PcTestdevState *s = opaque;
    MemMap *mem = &s->parent.machine->mem;
    if (offset != 0 || size != 4) {
        log_mask(LOG_GUEST_ERROR, "pc-testdev: flush port write of size %u at +%u "
                 "ignored\n", size, (unsigned)offset);
        return;
    }
    uint64_t page = value & ~(uint64_t)(TESTDEV_PAGE_SIZE - 1);
    const MemSection *sec = memmap_find(mem, page);
    if (!sec || sec->mr->kind != MR_RAM ||
        page + TESTDEV_PAGE_SIZE > sec->start + sec->size) {
        log_mask(LOG_GUEST_ERROR, "pc-testdev: flush of 0x%" PRIx64 ": not RAM\n",
                 value);
        return;
    }
    memmap_notify_write(mem, page, TESTDEV_PAGE_SIZE);
}

static const MemoryOps testdev_flush_ops = {
    .read = testdev_flush_read,
    .write = testdev_flush_write,
    .min_access = 1,
    .max_access = 4,
};

static uint64_t testdev_irq_read(void *opaque, uint64_t offset, unsigned size)
{
    PcTestdevState *s = opaque;
    return offset < NUM_GSI ? s->irq_level[offset] : 0;
}

static void testdev_irq_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PcTestdevState *s = opaque;
    if (offset >= NUM_GSI) {
        return;
    }
    int level = (value & 0xff) != 0;
    s->irq_level[offset] = level;
    irq_set(s->parent.machine->gsi[offset], level);
}

/* One port per line: a wider access reaches the following lines byte by byte. */
static const MemoryOps testdev_irq_ops = {
    .read = testdev_irq_read,
    .write = testdev_irq_write,
    .min_access = 1,
    .max_access = 1,
};

static uint64_t testdev_iomem_read(void *opaque, uint64_t offset, unsigned size)
{
    PcTestdevState *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && offset + i < TESTDEV_IOMEM_SIZE; i++) {
        v |= (uint64_t)s->iomem[offset + i] << (8 * i);
    }
    return v;
}

static void testdev_iomem_write(void *opaque, uint64_t offset, uint64_t value,
                                unsigned size)
{
    PcTestdevState *s = opaque;
    for (unsigned i = 0; i < size && offset + i < TESTDEV_IOMEM_SIZE; i++) {
        s->iomem[offset + i] = (uint8_t)(value >> (8 * i));
    }
}

static const MemoryOps testdev_iomem_ops = {
    .read = testdev_iomem_read,
    .write = testdev_iomem_write,
    .min_access = 1,
    .max_access = 8,
};

static void pc_testdev_reset(Device *dev)
{
    PcTestdevState *s = (PcTestdevState *)dev;
    s->scratch = 0;
    s->byte_scratch = 0;
    memset(s->iomem, 0, sizeof(s->iomem));
    /* A reset device stops driving: lower every line the guest left high. */
    for (int n = 0; n < NUM_GSI; n++) {
        if (s->irq_level[n]) {
            s->irq_level[n] = 0;
            irq_set(dev->machine->gsi[n], 0);
        }
    }
}

static void pc_testdev_unrealize(Device *dev)
{
    PcTestdevState *s = (PcTestdevState *)dev;
    Machine *m = dev->machine;
    IoRegion **ios[] = { &s->scratch_io, &s->flush_io, &s->byte_io, &s->irq_io };
    for (size_t i = 0; i < G_N_ELEMENTS(ios); i++) {
        if (*ios[i]) {
            iomap_del(&m->io, *ios[i]);
            *ios[i] = NULL;
        }
    }
    if (s->iomem_mr) {
        memmap_del(&m->mem, s->iomem_mr);
        s->iomem_mr = NULL;
    }
}

static bool pc_testdev_realize(Device *dev, Error **errp)
{
    PcTestdevState *s = (PcTestdevState *)dev;
    Machine *m = dev->machine;

    s->scratch_io = iomap_add(&m->io, "pc-testdev", TESTDEV_SCRATCH_PORT, 4,
                              &testdev_scratch_ops, s, errp);
    if (s->scratch_io) {
        s->flush_io = iomap_add(&m->io, "pc-testdev-flush", TESTDEV_FLUSH_PORT, 4,
                                &testdev_flush_ops, s, errp);
    }
    if (s->flush_io) {
        s->byte_io = iomap_add(&m->io, "pc-testdev-byte", TESTDEV_BYTE_PORT, 4,
                               &testdev_byte_ops, s, errp);
    }
    if (s->byte_io) {
        s->irq_io = iomap_add(&m->io, "pc-testdev-irq", TESTDEV_IRQ_PORT, NUM_GSI,
                              &testdev_irq_ops, s, errp);
    }
    memset(s->irq_level, 0, sizeof(s->irq_level));
    if (!s->irq_io) {
        pc_testdev_unrealize(dev);
        return false;
    }
    s->iomem_mr = memmap_add_mmio(&m->mem, "pc-testdev-iomem", TESTDEV_IOMEM_BASE,
                                  TESTDEV_IOMEM_SIZE, &testdev_iomem_ops, s, 0);
    pc_testdev_reset(dev);
    return true;
}

static const DeviceClass pc_testdev_class = {
    .name = "pc-testdev",
    .desc = "test registers for guest test suites (ports 0xe0-0xeb, 0x2000+n IRQ "
            "lines, MMIO scratch at 0xff000000)",
    .bus = "isa",
    .instance_size = sizeof(PcTestdevState),
    .user_creatable = true,
    .realize = pc_testdev_realize,
    .reset = pc_testdev_reset,
    .unrealize = pc_testdev_unrealize,
};

DEVICE_CLASS_REGISTER(pc_testdev_class)
