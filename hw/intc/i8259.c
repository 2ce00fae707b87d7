/*
 * i8259.c: "isa-pic", the two cascaded 8259A programmable interrupt controllers
 * of the PC/AT (Intel 8259A datasheet, order 231468): master at 0x20-0x21 with
 * the slave's INT on its IR2, slave at 0xa0-0xa1, and the edge/level control
 * registers (ELCR) of the PIIX/ICH south bridges at 0x4d0/0x4d1.
 *
 * Implemented: ICW1-ICW4, OCW1 mask, OCW2 EOI (non-specific, specific, with
 * rotation, set priority, rotate in automatic EOI), OCW3 (IRR/ISR read, poll,
 * special mask mode), edge and level triggering (LTIM or ELCR), auto-EOI,
 * special fully nested mode, spurious IRQ 7/15. docs/devices.md "isa-pic".
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "hw/intc/i8259.h"
#include "system/machine.h"

#define ICW1_IC4    0x01
#define ICW1_SNGL   0x02
#define ICW1_LTIM   0x08
#define ICW1_INIT   0x10
#define OCW3_SEL    0x08
#define OCW3_RIS    0x01
#define OCW3_RR     0x02
#define OCW3_POLL   0x04
#define OCW3_SMM    0x20
#define OCW3_ESMM   0x40
#define ICW4_AEOI   0x02
#define ICW4_SFNM   0x10

typedef struct PICChip {
    uint8_t irr;
    uint8_t isr;
    uint8_t imr;
    uint8_t pins;           /* input levels, for edge detection and level mode */
    uint8_t edge_armed;     /* inputs that were seen low since the last latch */
    uint8_t elcr;
    uint8_t elcr_mask;      /* inputs that may be level triggered */
    uint8_t vector_base;
    uint8_t icw3;
    uint8_t lowest;         /* priority rotation: IR(lowest+1) has top priority */
    int init_state;         /* 0 ready, 1 want ICW2, 2 want ICW3, 3 want ICW4 */
    bool icw4_needed;
    bool single;
    bool ltim;
    bool auto_eoi;
    bool rotate_on_aeoi;
    bool sfnm;
    bool special_mask;
    bool read_isr;
    bool poll;
} PICChip;

typedef struct PICState {
    Device parent;
    PICChip chip[2];        /* 0 master, 1 slave */
    IRQLine *intr;
    IRQLine own_intr;       /* for pic_connect_intr */
    int intr_level;
    IoRegion *io[3];
} PICState;

static PICState *pic_from_dev(Device *dev)
{
    return (PICState *)dev;
}

/* Highest priority input in mask, as a priority level; 8 if none. */
static int chip_best_prio(const PICChip *c, uint8_t mask)
{
    for (int p = 0; p < 8; p++) {
        if (mask & (1u << ((p + c->lowest + 1) & 7))) {
            return p;
        }
    }
    return 8;
}

static int chip_irq_of_prio(const PICChip *c, int prio)
{
    return (prio + c->lowest + 1) & 7;
}

static bool chip_is_cascade(const PICChip *c, bool master, int irq)
{
    return master && !c->single && (c->icw3 & (1u << irq));
}

/* The input the chip would present at the next INTA, or -1. */
static int chip_pending(const PICChip *c, bool master)
{
    uint8_t req = c->irr & ~c->imr;
    if (c->special_mask) {
        /* Special mask mode: every unmasked level not in service may interrupt. */
        req &= ~c->isr;
        int p = chip_best_prio(c, req);
        return p < 8 ? chip_irq_of_prio(c, p) : -1;
    }
    int p = chip_best_prio(c, req);
    if (p == 8) {
        return -1;
    }
    int cur = chip_best_prio(c, c->isr);
    if (p < cur) {
        return chip_irq_of_prio(c, p);
    }
    /* Special fully nested: the slave may interrupt again while its cascade
     * input is in service (a higher priority slave input). */
    if (p == cur && c->sfnm && chip_is_cascade(c, master, chip_irq_of_prio(c, p))) {
        return chip_irq_of_prio(c, p);
    }
    return -1;
}

static bool chip_level_mode(const PICChip *c, int irq)
{
    return c->ltim || (c->elcr & (1u << irq));
}

static void chip_set_input(PICChip *c, int irq, int level)
{
    uint8_t bit = 1u << irq;
    if (level) {
        if (chip_level_mode(c, irq)) {
            c->irr |= bit;
        } else if (c->edge_armed & bit) {
            c->irr |= bit;
            c->edge_armed &= ~bit;
        }
        c->pins |= bit;
    } else {
        c->pins &= ~bit;
        c->edge_armed |= bit;
        if (chip_level_mode(c, irq)) {
            c->irr &= ~bit;
        }
    }
}

static void pic_update(PICState *s)
{
    chip_set_input(&s->chip[0], 2, chip_pending(&s->chip[1], false) >= 0);
    int level = chip_pending(&s->chip[0], true) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        irq_set(s->intr, level);
    }
}

/* One chip's part of INTA for input irq: IRR to ISR (or automatic EOI). */
static void chip_ack(PICChip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (!chip_level_mode(c, irq)) {
        c->irr &= ~bit;
    }
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->lowest = irq;
        }
    } else {
        c->isr |= bit;
    }
}

int pic_intack(Device *dev)
{
    PICState *s = pic_from_dev(dev);
    PICChip *m = &s->chip[0], *sl = &s->chip[1];
    int vector;
    int irq = chip_pending(m, true);
    if (irq < 0) {
        /* The request went away before INTA: IR7, nothing put in service. */
        vector = m->vector_base | 7;
    } else if (chip_is_cascade(m, true, irq)) {
        int sirq = chip_pending(sl, false);
        chip_ack(m, irq);
        if (sirq < 0) {
            vector = sl->vector_base | 7;   /* spurious IRQ 15 (master ISR2 set) */
        } else {
            chip_ack(sl, sirq);
            vector = sl->vector_base | sirq;
        }
    } else {
        chip_ack(m, irq);
        vector = m->vector_base | irq;
    }
    pic_update(s);
    return vector;
}

void pic_set_irq(Device *dev, int irq, int level)
{
    PICState *s = pic_from_dev(dev);
    if (irq < 0 || irq >= PIC_NUM_IRQS) {
        return;
    }
    chip_set_input(&s->chip[irq >> 3], irq & 7, level != 0);
    pic_update(s);
}

static void pic_gsi_handler(void *opaque, int n, int level)
{
    pic_set_irq(opaque, n, level);
}

void pic_connect_gsi(Device *dev)
{
    Machine *m = dev->machine;
    for (int i = 0; i < PIC_NUM_IRQS; i++) {
        if (m->gsi[i]) {
            m->gsi[i]->handler = pic_gsi_handler;
            m->gsi[i]->opaque = dev;
            m->gsi[i]->n = i;
            /* A line already high (set before the PIC existed) is seen now. */
            if (m->gsi[i]->level) {
                pic_set_irq(dev, i, 1);
            }
        }
    }
}

void pic_set_intr(Device *dev, IRQLine *intr)
{
    PICState *s = pic_from_dev(dev);
    s->intr = intr;
    irq_set(intr, s->intr_level);
}

void pic_connect_intr(Device *dev, IRQHandler handler, void *opaque)
{
    PICState *s = pic_from_dev(dev);
    s->own_intr.handler = handler;
    s->own_intr.opaque = opaque;
    s->own_intr.n = 0;
    pic_set_intr(dev, &s->own_intr);
}

bool pic_intr_level(Device *dev)
{
    return pic_from_dev(dev)->intr_level != 0;
}

/* ---- register interface ---- */

static void chip_eoi(PICChip *c, int irq, bool rotate)
{
    c->isr &= ~(1u << irq);
    if (rotate) {
        c->lowest = irq;
    }
}

static void chip_write_cmd(PICChip *c, uint8_t val)
{
    if (val & ICW1_INIT) {
        /* ICW1: mask cleared, IR7 lowest, special mask off, IRR selected, and
         * the edge detectors reset (an input must go low before it counts). */
        c->imr = 0;
        c->isr = 0;
        c->lowest = 7;
        c->special_mask = false;
        c->read_isr = false;
        c->poll = false;
        c->ltim = val & ICW1_LTIM;
        c->single = val & ICW1_SNGL;
        c->icw4_needed = val & ICW1_IC4;
        c->edge_armed = 0;
        c->irr = 0;
        for (int i = 0; i < 8; i++) {
            if ((c->pins & (1u << i)) && chip_level_mode(c, i)) {
                c->irr |= 1u << i;
            } else if (!(c->pins & (1u << i))) {
                c->edge_armed |= 1u << i;
            }
        }
        if (!c->icw4_needed) {
            c->auto_eoi = false;
            c->sfnm = false;
        }
        c->rotate_on_aeoi = false;
        c->init_state = 1;
        return;
    }
    if (val & OCW3_SEL) {
        if (val & OCW3_POLL) {
            c->poll = true;
        }
        if (val & OCW3_RR) {
            c->read_isr = val & OCW3_RIS;
        }
        if (val & OCW3_ESMM) {
            c->special_mask = val & OCW3_SMM;
        }
        return;
    }
    /* OCW2 */
    int level = val & 7;
    int top = chip_best_prio(c, c->isr);
    switch (val >> 5) {
    case 0: /* rotate in automatic EOI mode: clear */
        c->rotate_on_aeoi = false;
        break;
    case 4: /* rotate in automatic EOI mode: set */
        c->rotate_on_aeoi = true;
        break;
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI */
        if (top < 8) {
            chip_eoi(c, chip_irq_of_prio(c, top), (val >> 5) == 5);
        }
        break;
    case 3: /* specific EOI */
        chip_eoi(c, level, false);
        break;
    case 7: /* rotate on specific EOI */
        chip_eoi(c, level, true);
        break;
    case 6: /* set priority: level becomes the lowest */
        c->lowest = level;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void chip_write_data(PICChip *c, uint8_t val)
{
    switch (c->init_state) {
    case 1:
        c->vector_base = val & 0xf8;
        c->init_state = !c->single ? 2 : (c->icw4_needed ? 3 : 0);
        break;
    case 2:
        c->icw3 = val;
        c->init_state = c->icw4_needed ? 3 : 0;
        break;
    case 3:
        c->auto_eoi = val & ICW4_AEOI;
        c->sfnm = val & ICW4_SFNM;
        c->init_state = 0;
        break;
    default:
        c->imr = val;
        break;
    }
}

/* Poll command: the read is an interrupt acknowledge of this chip alone. */
static uint8_t chip_poll(PICChip *c, bool master)
{
    c->poll = false;
    int irq = chip_pending(c, master);
    if (irq < 0) {
        return 0;
    }
    chip_ack(c, irq);
    return 0x80 | irq;
}

static uint64_t pic_io_read(void *opaque, uint64_t offset, unsigned size, int idx)
{
    PICState *s = opaque;
    PICChip *c = &s->chip[idx];
    uint8_t v;
    if (c->poll) {
        v = chip_poll(c, idx == 0);
        pic_update(s);
        return v;
    }
    if (offset == 0) {
        return c->read_isr ? c->isr : c->irr;
    }
    return c->imr;
}

static void pic_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size,
                         int idx)
{
    PICState *s = opaque;
    PICChip *c = &s->chip[idx];
    if (offset == 0) {
        chip_write_cmd(c, (uint8_t)value);
    } else {
        chip_write_data(c, (uint8_t)value);
    }
    pic_update(s);
}

static uint64_t pic_master_read(void *o, uint64_t off, unsigned size)
{
    return pic_io_read(o, off, size, 0);
}

static uint64_t pic_slave_read(void *o, uint64_t off, unsigned size)
{
    return pic_io_read(o, off, size, 1);
}

static void pic_master_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    pic_io_write(o, off, v, size, 0);
}

static void pic_slave_write(void *o, uint64_t off, uint64_t v, unsigned size)
{
    pic_io_write(o, off, v, size, 1);
}

static uint64_t pic_elcr_read(void *opaque, uint64_t offset, unsigned size)
{
    PICState *s = opaque;
    return offset < 2 ? s->chip[offset].elcr : 0xff;
}

static void pic_elcr_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PICState *s = opaque;
    if (offset >= 2) {
        return;
    }
    PICChip *c = &s->chip[offset];
    c->elcr = (uint8_t)value & c->elcr_mask;
    /* A newly level input follows its pin from now on. */
    for (int i = 0; i < 8; i++) {
        if (chip_level_mode(c, i)) {
            if (c->pins & (1u << i)) {
                c->irr |= 1u << i;
            } else {
                c->irr &= ~(1u << i);
            }
        }
    }
    pic_update(s);
}

static const MemoryOps pic_master_ops = {
    .read = pic_master_read, .write = pic_master_write, .min_access = 1, .max_access = 1,
};
static const MemoryOps pic_slave_ops = {
    .read = pic_slave_read, .write = pic_slave_write, .min_access = 1, .max_access = 1,
};
static const MemoryOps pic_elcr_ops = {
    .read = pic_elcr_read, .write = pic_elcr_write, .min_access = 1, .max_access = 1,
};

/* ---- lifecycle ---- */

static void pic_reset(Device *dev)
{
    PICState *s = pic_from_dev(dev);
    for (int i = 0; i < 2; i++) {
        PICChip *c = &s->chip[i];
        uint8_t pins = c->pins;
        memset(c, 0, sizeof(*c));
        c->pins = pins;
        c->edge_armed = (uint8_t)~pins;
        c->lowest = 7;
        c->elcr_mask = i == 0 ? 0xf8 : 0xde;    /* IRQ 0, 1, 2, 8, 13: edge only */
    }
    /* Until the BIOS programs ICW3, the PC wiring: slave on IR2. */
    s->chip[0].icw3 = 0x04;
    s->chip[1].icw3 = 0x02;
    pic_update(s);
}

static void pic_unrealize(Device *dev)
{
    PICState *s = pic_from_dev(dev);
    Machine *m = dev->machine;
    for (int i = 0; i < 3; i++) {
        if (s->io[i]) {
            iomap_del(&m->io, s->io[i]);
            s->io[i] = NULL;
        }
    }
    for (int i = 0; i < PIC_NUM_IRQS; i++) {
        if (m->gsi[i] && m->gsi[i]->opaque == dev) {
            m->gsi[i]->handler = NULL;
            m->gsi[i]->opaque = NULL;
        }
    }
}

static bool pic_realize(Device *dev, Error **errp)
{
    PICState *s = pic_from_dev(dev);
    Machine *m = dev->machine;
    s->io[0] = iomap_add(&m->io, "pic-master", 0x20, 2, &pic_master_ops, s, errp);
    s->io[1] = s->io[0] ? iomap_add(&m->io, "pic-slave", 0xa0, 2, &pic_slave_ops, s, errp)
                        : NULL;
    s->io[2] = s->io[1] ? iomap_add(&m->io, "pic-elcr", 0x4d0, 2, &pic_elcr_ops, s, errp)
                        : NULL;
    if (!s->io[2]) {
        pic_unrealize(dev);
        return false;
    }
    for (int i = 0; i < 2; i++) {
        s->chip[i].pins = 0;
    }
    pic_reset(dev);
    return true;
}

static const DeviceClass pic_class = {
    .name = "isa-pic",
    .desc = "8259A interrupt controller pair (master 0x20, slave 0xa0, ELCR 0x4d0)",
    .bus = "isa",
    .instance_size = sizeof(PICState),
    .user_creatable = false,
    .realize = pic_realize,
    .reset = pic_reset,
    .unrealize = pic_unrealize,
};

DEVICE_CLASS_REGISTER(pic_class)
