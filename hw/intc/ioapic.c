/*
 * ioapic.c: the Intel 82093AA I/O APIC (datasheet 290566, "82093AA I/O Advanced
 * Programmable Interrupt Controller"), version 0x20 (the one with the EOI
 * register, as in ICH chipsets).
 *
 * Registers are reached indirectly: IOREGSEL (offset 0x00) selects, IOWIN
 * (offset 0x10) reads/writes the selected 32-bit register; offset 0x40 is the
 * directed EOI register. Register 0 is the ID, 1 the version, 2 the arbitration
 * ID, 0x10 + 2n / 0x11 + 2n the low/high halves of redirection entry n.
 *
 * Pins carry logical levels: 1 means asserted whatever the polarity bit says
 * (devices raise their IRQLine to assert), so the polarity bit is stored and
 * read back but does not invert. Edge entries deliver on a rising edge while
 * unmasked (an edge while masked is lost, like the chip). Level entries deliver
 * while the pin is asserted and remote IRR is clear, then set remote IRR until
 * the EOI for their vector; unmasking an asserted level entry delivers it.
 * Delivery is immediate, so the delivery-status bit always reads 0.
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "hw/intc/ioapic.h"
#include "system/machine.h"

#define IOAPIC_MMIO_SIZE   0x1000

#define REG_ID     0x00
#define REG_VER    0x01
#define REG_ARB    0x02
#define REG_REDTBL 0x10

/* Redirection entry bits. */
#define RTE_VECTOR      0xffULL
#define RTE_MODE_SHIFT  8
#define RTE_DESTMODE    (1ULL << 11)
#define RTE_DELIVS      (1ULL << 12)
#define RTE_POLARITY    (1ULL << 13)
#define RTE_REMOTE_IRR  (1ULL << 14)
#define RTE_TRIGGER     (1ULL << 15)
#define RTE_MASK        (1ULL << 16)
#define RTE_DEST_SHIFT  56
/* What the guest may write: everything but delivery status and remote IRR, and
 * the reserved bits 17-55. */
#define RTE_WRITABLE    (0xff00000000000000ULL | RTE_MASK | RTE_TRIGGER | \
                         RTE_POLARITY | RTE_DESTMODE | (7ULL << 8) | RTE_VECTOR)

typedef struct IOAPICState {
    Device dev;
    /* properties */
    uint64_t base;
    uint8_t prop_id;

    MemRegion *mmio;
    IRQLine *pins[IOAPIC_NUM_PINS];
    IOAPICDeliverFn deliver;
    void *deliver_opaque;

    uint32_t regsel;
    uint8_t id;                      /* 4 bits */
    uint64_t rte[IOAPIC_NUM_PINS];
    uint32_t level;                  /* pin levels, bit per pin */
} IOAPICState;

static IOAPICState *ioapic_from_dev(Device *dev)
{
    g_assert(dev && !strcmp(dev->cls->name, "ioapic"));
    return (IOAPICState *)dev;
}

/* Send entry n's message if its state calls for it now. */
static void ioapic_service(IOAPICState *s, unsigned n)
{
    uint64_t e = s->rte[n];
    uint8_t mode = (e >> RTE_MODE_SHIFT) & 7;
    bool level_trig = e & RTE_TRIGGER;

    if (e & RTE_MASK) {
        return;
    }
    if (level_trig) {
        if (!(s->level & (1u << n)) || (e & RTE_REMOTE_IRR)) {
            return;
        }
        /* Remote IRR only means something for fixed and lowest-priority
         * messages: the others are never EOI'd (datasheet, bit 14). */
        if (mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) {
            s->rte[n] |= RTE_REMOTE_IRR;
        }
    }
    if (s->deliver) {
        s->deliver(s->deliver_opaque, (uint8_t)(e >> RTE_DEST_SHIFT),
                   (e & RTE_DESTMODE) != 0, mode, (uint8_t)(e & RTE_VECTOR),
                   level_trig);
    }
}

void ioapic_set_irq(Device *dev, unsigned n, int level)
{
    IOAPICState *s = ioapic_from_dev(dev);
    uint32_t bit;
    bool was;

    if (n >= IOAPIC_NUM_PINS) {
        return;
    }
    bit = 1u << n;
    was = s->level & bit;
    if (level) {
        s->level |= bit;
    } else {
        s->level &= ~bit;
    }
    if (!level) {
        return;
    }
    if (s->rte[n] & RTE_TRIGGER) {
        ioapic_service(s, n);
    } else if (!was) {
        ioapic_service(s, n);
    }
}

static void ioapic_pin_handler(void *opaque, int n, int level)
{
    ioapic_set_irq(opaque, (unsigned)n, level);
}

IRQLine *ioapic_input(Device *dev, unsigned n)
{
    IOAPICState *s = ioapic_from_dev(dev);
    return n < IOAPIC_NUM_PINS ? s->pins[n] : NULL;
}

void ioapic_set_deliver(Device *dev, IOAPICDeliverFn fn, void *opaque)
{
    IOAPICState *s = ioapic_from_dev(dev);
    s->deliver = fn;
    s->deliver_opaque = opaque;
}

void ioapic_eoi(Device *dev, uint8_t vector)
{
    IOAPICState *s = ioapic_from_dev(dev);
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        uint64_t e = s->rte[n];
        if ((e & RTE_TRIGGER) && (e & RTE_REMOTE_IRR) && (e & RTE_VECTOR) == vector) {
            s->rte[n] &= ~RTE_REMOTE_IRR;
            /* Still asserted: the device wants service again. */
            ioapic_service(s, n);
        }
    }
}

uint64_t ioapic_get_redirection(Device *dev, unsigned n)
{
    IOAPICState *s = ioapic_from_dev(dev);
    return n < IOAPIC_NUM_PINS ? s->rte[n] : 0;
}

/* ---- register access ---- */

static uint32_t ioapic_read_reg(IOAPICState *s, uint32_t index)
{
    switch (index) {
    case REG_ID:
    case REG_ARB:
        /* The arbitration ID is loaded from the ID (datasheet, IOAPICARB). */
        return (uint32_t)s->id << 24;
    case REG_VER:
        return ((IOAPIC_NUM_PINS - 1) << 16) | IOAPIC_VERSION;
    default:
        if (index >= REG_REDTBL && index < REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
            unsigned n = (index - REG_REDTBL) / 2;
            return (index & 1) ? (uint32_t)(s->rte[n] >> 32) : (uint32_t)s->rte[n];
        }
        return 0;
    }
}

static void ioapic_write_reg(IOAPICState *s, uint32_t index, uint32_t val)
{
    if (index == REG_ID) {
        s->id = (val >> 24) & 0xf;
        return;
    }
    if (index >= REG_REDTBL && index < REG_REDTBL + 2 * IOAPIC_NUM_PINS) {
        unsigned n = (index - REG_REDTBL) / 2;
        uint64_t old = s->rte[n];
        uint64_t v;
        if (index & 1) {
            v = ((uint64_t)val << 32) | (old & 0xffffffffULL);
        } else {
            v = (old & 0xffffffff00000000ULL) | val;
        }
        s->rte[n] = (v & RTE_WRITABLE) | (old & RTE_REMOTE_IRR);
        /* An edge entry has no remote IRR. */
        if (!(s->rte[n] & RTE_TRIGGER)) {
            s->rte[n] &= ~RTE_REMOTE_IRR;
        }
        /* Unmasking an asserted level entry (or making an asserted pin's entry
         * level-triggered) delivers it now. */
        if ((s->rte[n] & RTE_TRIGGER) && !(s->rte[n] & RTE_MASK) &&
            ((old & RTE_MASK) || !(old & RTE_TRIGGER))) {
            ioapic_service(s, n);
        }
    }
    /* Version and arbitration ID are read-only; others are reserved. */
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t offset, unsigned size)
{
    IOAPICState *s = opaque;
    switch (offset) {
    case 0x00:
        return s->regsel;
    case 0x10:
        return ioapic_read_reg(s, s->regsel);
    default:
        return 0;          /* EOI is write-only; the rest is reserved */
    }
}

static void ioapic_mmio_write(void *opaque, uint64_t offset, uint64_t value,
                              unsigned size)
{
    IOAPICState *s = opaque;
    switch (offset) {
    case 0x00:
        s->regsel = (uint32_t)value & 0xff;
        break;
    case 0x10:
        ioapic_write_reg(s, s->regsel, (uint32_t)value);
        break;
    case 0x40:
        ioapic_eoi(&s->dev, (uint8_t)value);
        break;
    default:
        break;
    }
}

/* The registers are 32 bits wide and only dword accesses are defined; the
 * memory core splits or combines other sizes. */
static const MemoryOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .min_access = 4,
    .max_access = 4,
};

/* ---- lifecycle ---- */

static void ioapic_reset(Device *dev);

static bool ioapic_realize(Device *dev, Error **errp)
{
    IOAPICState *s = (IOAPICState *)dev;
    Machine *m = dev->machine;

    if (s->base & (IOAPIC_MMIO_SIZE - 1)) {
        error_setg(errp, "ioapic: base=0x%" PRIx64 ": must be 4 KiB aligned", s->base);
        return false;
    }
    if (s->prop_id > 15) {
        error_setg(errp, "ioapic: id=%u: must be below 16", s->prop_id);
        return false;
    }
    s->mmio = memmap_add_mmio(&m->mem, "ioapic", s->base, IOAPIC_MMIO_SIZE,
                              &ioapic_mmio_ops, s, 1);
    if (!s->mmio) {
        error_setg(errp, "ioapic: cannot map at 0x%" PRIx64, s->base);
        return false;
    }
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        s->pins[n] = irq_new(ioapic_pin_handler, s, (int)n);
    }
    ioapic_reset(dev);
    return true;
}

/* Power-on: every entry masked, edge, fixed, vector 0 (datasheet, IOREDTBL
 * "default"); the pin levels are the devices' and survive reset. */
static void ioapic_reset(Device *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    s->regsel = 0;
    s->id = s->prop_id;
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        s->rte[n] = RTE_MASK;
    }
}

static void ioapic_unrealize(Device *dev)
{
    IOAPICState *s = (IOAPICState *)dev;
    if (s->mmio) {
        memmap_del(&dev->machine->mem, s->mmio);
        s->mmio = NULL;
    }
    for (unsigned n = 0; n < IOAPIC_NUM_PINS; n++) {
        irq_free(s->pins[n]);
        s->pins[n] = NULL;
    }
}

static const Property ioapic_props[] = {
    { .name = "base", .type = PROP_U64, .offset = offsetof(IOAPICState, base),
      .def = IOAPIC_DEFAULT_BASE, .desc = "MMIO base address" },
    { .name = "id", .type = PROP_U8, .offset = offsetof(IOAPICState, prop_id),
      .def = 0, .desc = "IOAPIC ID after reset (0-15)" },
    PROP_END,
};

static const DeviceClass ioapic_class = {
    .name = "ioapic",
    .desc = "Intel 82093AA I/O APIC (24 pins, version 0x20)",
    .bus = "sys",
    .instance_size = sizeof(IOAPICState),
    .user_creatable = false,
    .props = ioapic_props,
    .realize = ioapic_realize,
    .reset = ioapic_reset,
    .unrealize = ioapic_unrealize,
};

DEVICE_CLASS_REGISTER(ioapic_class)
