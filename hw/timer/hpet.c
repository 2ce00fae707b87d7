/*
 * hpet.c: the High Precision Event Timer (IA-PC HPET Specification 1.0a):
 * a 64-bit up-counting main counter at 100 MHz and three comparators, in a
 * 1 KiB MMIO block at 0xfed00000.
 *
 *   0x000 GCAP_ID    revision 1, 3 timers, 64-bit counter, legacy route
 *                    capable, vendor 8086, period 10 ns (in fs, §2.3.4)
 *   0x010 GEN_CONF   ENABLE_CNF (counter runs, interrupts allowed), LEG_RT_CNF
 *   0x020 GINTR_STA  level-triggered interrupt status, write 1 to clear
 *   0x0f0 MAIN_CNT   writable while halted
 *   0x100 + 0x20 n   Tn_CONF_CAP, 0x108 + 0x20 n Tn_COMPARATOR (§2.3.8, 2.3.9)
 *
 * Timer n interrupts on the IOAPIC input its INT_ROUTE_CNF names (the
 * capability allows pins 20-23, which no ISA device uses), edge or level;
 * with LEG_RT_CNF timer 0 drives ISA IRQ 0 and timer 1 IRQ 8 (§2.3.7, legacy
 * replacement route). Timers 0 and 1 are periodic-capable, timer 2 one-shot
 * only. In 32-bit mode (Tn_32MODE_CNF) the comparator matches the counter's
 * low 32 bits. FSB (MSI) delivery is not offered. With legacy routing the
 * 8254 still drives IRQ 0 as well: an OS that uses the HPET stops the PIT.
 *
 * The counter is derived from the machine's virtual clock; comparator
 * matches are clock timers, so nothing runs while no timer is armed.
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "system/machine.h"
#include "util/log.h"

#define HPET_MMIO_SIZE      0x400
#define HPET_NUM_TIMERS     3
#define HPET_PERIOD_FS      10000000ULL     /* 10 ns: 100 MHz */
#define HPET_NS_PER_TICK    10
#define HPET_VENDOR         0x8086
#define HPET_ROUTE_CAP      0x00f00000u     /* IOAPIC pins 20-23 */

#define R_CAP               0x000
#define R_CONF              0x010
#define R_ISR               0x020
#define R_COUNTER           0x0f0
#define R_TIMER0            0x100
#define TIMER_STRIDE        0x20

#define CONF_ENABLE         (1ULL << 0)
#define CONF_LEGACY         (1ULL << 1)

#define TN_LEVEL            (1ULL << 1)
#define TN_ENABLE           (1ULL << 2)
#define TN_PERIODIC         (1ULL << 3)
#define TN_PERIODIC_CAP     (1ULL << 4)
#define TN_SIZE_CAP         (1ULL << 5)
#define TN_VAL_SET          (1ULL << 6)
#define TN_32BIT            (1ULL << 8)
#define TN_ROUTE_SHIFT      9
#define TN_ROUTE_MASK       (0x1fULL << TN_ROUTE_SHIFT)
/* Bits software may write in Tn_CONF_CAP. */
#define TN_WRITABLE         (TN_LEVEL | TN_ENABLE | TN_PERIODIC | TN_VAL_SET | TN_32BIT | \
                             TN_ROUTE_MASK)

typedef struct HPETState HPETState;

typedef struct HPETTimer {
    HPETState *s;
    unsigned n;
    uint64_t conf;
    uint64_t cmp;           /* comparator (next match) */
    uint64_t period;        /* periodic mode: added on each match */
    Timer timer;
    int line_level;         /* level mode: the level driven now */
} HPETTimer;

struct HPETState {
    Device dev;
    uint64_t base;          /* property */
    MemRegion *mmio;
    uint64_t conf;
    uint64_t isr;
    /* The counter was count_base at count_ns (virtual clock), running since
     * if ENABLE_CNF. */
    uint64_t count_base;
    int64_t count_ns;
    HPETTimer t[HPET_NUM_TIMERS];
};

static int64_t hpet_now(HPETState *s)
{
    return clock_ns(&s->dev.machine->timers.clock);
}

static bool hpet_enabled(HPETState *s)
{
    return s->conf & CONF_ENABLE;
}

static uint64_t counter_at(HPETState *s, int64_t now)
{
    if (!hpet_enabled(s) || now <= s->count_ns) {
        return s->count_base;
    }
    return s->count_base + (uint64_t)(now - s->count_ns) / HPET_NS_PER_TICK;
}

/* The line timer t drives: legacy IRQ 0/8, or the routed IOAPIC input. */
static IRQLine *timer_line(HPETTimer *t)
{
    Machine *m = t->s->dev.machine;
    unsigned gsi;
    if ((t->s->conf & CONF_LEGACY) && t->n < 2) {
        gsi = t->n == 0 ? 0 : 8;
    } else {
        gsi = (unsigned)((t->conf & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
    }
    return gsi < NUM_GSI ? m->gsi[gsi] : NULL;
}

static void timer_set_line(HPETTimer *t, int level)
{
    if (t->line_level != level) {
        t->line_level = level;
        irq_set(timer_line(t), level);
    }
}

/* Level mode: the line follows the status bit while the timer may interrupt. */
static void timer_update_level(HPETTimer *t)
{
    bool on = (t->conf & TN_LEVEL) && (t->conf & TN_ENABLE) && hpet_enabled(t->s) &&
              (t->s->isr & (1ULL << t->n));
    timer_set_line(t, on);
}

static void timer_interrupt(HPETTimer *t)
{
    if (t->conf & TN_LEVEL) {
        t->s->isr |= 1ULL << t->n;
        timer_update_level(t);
    } else if ((t->conf & TN_ENABLE) && hpet_enabled(t->s)) {
        IRQLine *l = timer_line(t);
        irq_pulse(l);
    }
}

/* The counter value of the next match at or after cur. */
static uint64_t next_match(HPETTimer *t, uint64_t cur)
{
    if (t->conf & TN_32BIT) {
        uint64_t c = (cur & ~0xffffffffULL) | (uint32_t)t->cmp;
        return c < cur ? c + (1ULL << 32) : c;
    }
    return t->cmp;
}

static void timer_arm(HPETTimer *t)
{
    HPETState *s = t->s;
    timer_del(&t->timer);
    if (!hpet_enabled(s)) {
        return;
    }
    int64_t now = hpet_now(s);
    uint64_t cur = counter_at(s, now);
    uint64_t match = next_match(t, cur);
    if (match < cur) {
        return;     /* 64-bit comparator behind the counter: a wrap away */
    }
    uint64_t ticks = match - cur;
    /* A comparator far in the future (years) need not be timed precisely. */
    if (ticks > (uint64_t)INT64_MAX / (2 * HPET_NS_PER_TICK)) {
        return;
    }
    timer_mod(&t->timer, now + (int64_t)ticks * HPET_NS_PER_TICK);
}

static void timer_cb(void *opaque)
{
    HPETTimer *t = opaque;
    HPETState *s = t->s;
    uint64_t cur = counter_at(s, hpet_now(s));

    if ((t->conf & TN_PERIODIC) && t->period) {
        /* Advance by whole periods past now: a late main loop coalesces
         * missed periods into this one interrupt. */
        uint64_t cmp = next_match(t, cur);
        if (cmp <= cur) {
            cmp += ((cur - cmp) / t->period + 1) * t->period;
        }
        t->cmp = (t->conf & TN_32BIT) ? (uint32_t)cmp : cmp;
        timer_arm(t);
    }
    /* One-shot: one match per comparator write (a 32-bit comparator would
     * match again after the low half wraps, 43 s later: not modelled). */
    timer_interrupt(t);
}

static uint64_t timer_read(HPETTimer *t, unsigned reg)
{
    switch (reg) {
    case 0x00: {
        uint64_t caps = TN_SIZE_CAP | ((uint64_t)HPET_ROUTE_CAP << 32);
        if (t->n < 2) {
            caps |= TN_PERIODIC_CAP;
        }
        return (t->conf & TN_WRITABLE & ~TN_VAL_SET) | caps;
    }
    case 0x08:
        return (t->conf & TN_32BIT) ? (uint32_t)t->cmp : t->cmp;
    default:
        return 0;   /* FSB route: not offered */
    }
}

static void timer_write(HPETTimer *t, unsigned reg, uint64_t val)
{
    switch (reg) {
    case 0x00: {
        uint64_t v = val & TN_WRITABLE;
        unsigned route = (unsigned)((v & TN_ROUTE_MASK) >> TN_ROUTE_SHIFT);
        if (!(HPET_ROUTE_CAP & (1u << route))) {
            /* A pin the capability does not offer: keep the old route. */
            v = (v & ~TN_ROUTE_MASK) | (t->conf & TN_ROUTE_MASK);
        }
        if (t->n >= 2) {
            v &= ~TN_PERIODIC;
        }
        /* The line moves with the route or trigger mode: drop it first. */
        timer_set_line(t, 0);
        t->conf = v;
        if (t->conf & TN_32BIT) {
            t->cmp = (uint32_t)t->cmp;
            t->period = (uint32_t)t->period;
        }
        timer_update_level(t);
        timer_arm(t);
        break;
    }
    case 0x08:
        if (t->conf & TN_32BIT) {
            val = (uint32_t)val;
        }
        if (t->conf & TN_PERIODIC) {
            /* §2.3.9.2.2: a write sets the period; with VAL_SET also the
             * comparator itself (then VAL_SET clears). */
            if (t->conf & TN_VAL_SET) {
                t->cmp = val;
            }
            t->period = val;
        } else {
            t->cmp = val;
        }
        t->conf &= ~TN_VAL_SET;
        timer_arm(t);
        break;
    default:
        break;
    }
}

static uint64_t reg_read64(HPETState *s, uint64_t off)
{
    switch (off) {
    case R_CAP:
        return (HPET_PERIOD_FS << 32) | ((uint64_t)HPET_VENDOR << 16) | (1u << 15) |
               (1u << 13) | ((HPET_NUM_TIMERS - 1) << 8) | 1;
    case R_CONF:
        return s->conf;
    case R_ISR:
        return s->isr;
    case R_COUNTER:
        return counter_at(s, hpet_now(s));
    default:
        if (off >= R_TIMER0 && off < R_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE) {
            unsigned n = (unsigned)((off - R_TIMER0) / TIMER_STRIDE);
            return timer_read(&s->t[n], (unsigned)((off - R_TIMER0) % TIMER_STRIDE));
        }
        return 0;
    }
}

static void reg_write64(HPETState *s, uint64_t off, uint64_t val)
{
    switch (off) {
    case R_CONF: {
        uint64_t old = s->conf;
        int64_t now = hpet_now(s);
        uint64_t cur = counter_at(s, now);
        for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
            timer_set_line(&s->t[n], 0);
        }
        s->conf = val & (CONF_ENABLE | CONF_LEGACY);
        if ((old ^ s->conf) & CONF_ENABLE) {
            /* Start or stop the counter where it is. */
            s->count_base = cur;
            s->count_ns = now;
        }
        for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
            timer_update_level(&s->t[n]);
            timer_arm(&s->t[n]);
        }
        break;
    }
    case R_ISR:
        s->isr &= ~val;
        for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
            timer_update_level(&s->t[n]);
        }
        break;
    case R_COUNTER:
        if (hpet_enabled(s)) {
            log_mask(LOG_GUEST_ERROR, "hpet: main counter written while running\n");
            return;     /* §2.3.5: only while halted */
        }
        s->count_base = val;
        s->count_ns = hpet_now(s);
        break;
    default:
        if (off >= R_TIMER0 && off < R_TIMER0 + HPET_NUM_TIMERS * TIMER_STRIDE) {
            unsigned n = (unsigned)((off - R_TIMER0) / TIMER_STRIDE);
            timer_write(&s->t[n], (unsigned)((off - R_TIMER0) % TIMER_STRIDE), val);
        }
        break;
    }
}

/* Registers are 64-bit; 32-bit (and smaller) accesses reach either half. */
static uint64_t hpet_read(void *opaque, uint64_t offset, unsigned size)
{
    HPETState *s = opaque;
    unsigned shift = (offset & 7) * 8;
    uint64_t v = reg_read64(s, offset & ~7ULL) >> shift;
    return size >= 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

static void hpet_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    HPETState *s = opaque;
    uint64_t off = offset & ~7ULL;
    unsigned shift = (offset & 7) * 8;
    if (size < 8) {
        uint64_t mask = ((1ULL << (size * 8)) - 1) << shift;
        value = (reg_read64(s, off) & ~mask) | ((value << shift) & mask);
        if (off == R_ISR) {
            value &= mask;      /* write-1-to-clear: untouched bytes clear nothing */
        }
    }
    reg_write64(s, off, value);
}

static const MemoryOps hpet_ops = {
    .read = hpet_read,
    .write = hpet_write,
    .min_access = 1,
    .max_access = 8,
};

static void hpet_reset(Device *dev)
{
    HPETState *s = (HPETState *)dev;
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        HPETTimer *t = &s->t[n];
        timer_del(&t->timer);
        timer_set_line(t, 0);
        t->conf = 0;
        t->cmp = ~0ULL;
        t->period = 0;
    }
    s->conf = 0;
    s->isr = 0;
    s->count_base = 0;
    s->count_ns = hpet_now(s);
}

static bool hpet_realize(Device *dev, Error **errp)
{
    HPETState *s = (HPETState *)dev;
    Machine *m = dev->machine;
    if (s->base & (HPET_MMIO_SIZE - 1)) {
        error_setg(errp, "hpet: base=0x%" PRIx64 ": must be 1 KiB aligned", s->base);
        return false;
    }
    s->mmio = memmap_add_mmio(&m->mem, "hpet", s->base, HPET_MMIO_SIZE, &hpet_ops, s, 1);
    if (!s->mmio) {
        error_setg(errp, "hpet: cannot map at 0x%" PRIx64, s->base);
        return false;
    }
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        s->t[n].s = s;
        s->t[n].n = n;
        timer_init(&s->t[n].timer, &m->timers, timer_cb, &s->t[n]);
    }
    hpet_reset(dev);
    return true;
}

static void hpet_unrealize(Device *dev)
{
    HPETState *s = (HPETState *)dev;
    for (unsigned n = 0; n < HPET_NUM_TIMERS; n++) {
        timer_del(&s->t[n].timer);
    }
    if (s->mmio) {
        memmap_del(&dev->machine->mem, s->mmio);
        s->mmio = NULL;
    }
}

static const Property hpet_props[] = {
    { .name = "base", .type = PROP_U64, .offset = offsetof(HPETState, base),
      .def = 0xfed00000, .desc = "MMIO base address" },
    PROP_END,
};

static const DeviceClass hpet_class = {
    .name = "hpet",
    .desc = "High Precision Event Timer (100 MHz, 3 timers)",
    .bus = "sys",
    .instance_size = sizeof(HPETState),
    .user_creatable = false,
    .props = hpet_props,
    .realize = hpet_realize,
    .reset = hpet_reset,
    .unrealize = hpet_unrealize,
};

DEVICE_CLASS_REGISTER(hpet_class)
