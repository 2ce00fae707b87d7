/*
 * lapic.c: the local APIC of one vCPU (Intel SDM Vol. 3A chapter 10): xAPIC
 * registers in a 4 KiB MMIO page, the x2APIC MSR interface (0x800-0x8ff), the
 * APIC timer (one-shot, periodic, TSC-deadline), interrupt acceptance and
 * priority (IRR/ISR/TMR, TPR/PPR/APR), EOI, the ICR and the LINT pins.
 *
 * Register numbers below are the xAPIC offset divided by 16, which is also the
 * low byte of the x2APIC MSR (SDM 10.12.1.2), so one decoder serves both; the
 * differences (32-bit ID, read-only LDR, 64-bit ICR, SELF IPI, #GP instead of
 * ignoring) are checked where they apply.
 *
 * Messages are delivered at once, so the delivery-status bits read 0. The APIC
 * timer counts at bus-mhz (1000 MHz by default: one tick per ns before the
 * divider) on the machine's virtual clock; TSC-deadline compares against the
 * CPU's TSC, which must run at tsc-khz.
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "hw/intc/lapic.h"
#include "system/machine.h"

/* Register numbers (xAPIC offset >> 4 = x2APIC MSR - 0x800). */
#define R_ID        0x02
#define R_VERSION   0x03
#define R_TPR       0x08
#define R_APR       0x09
#define R_PPR       0x0a
#define R_EOI       0x0b
#define R_RRD       0x0c
#define R_LDR       0x0d
#define R_DFR       0x0e
#define R_SVR       0x0f
#define R_ISR       0x10
#define R_TMR       0x18
#define R_IRR       0x20
#define R_ESR       0x28
#define R_ICR_LO    0x30
#define R_ICR_HI    0x31
#define R_LVT       0x32    /* timer, thermal, perf, LINT0, LINT1, error */
#define R_INITCNT   0x38
#define R_CURCNT    0x39
#define R_DIVIDE    0x3e
#define R_SELF_IPI  0x3f

enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_NUM };

#define LVT_MASKED        (1u << 16)
#define LVT_LEVEL_TRIG    (1u << 15)
#define LVT_REMOTE_IRR    (1u << 14)
#define LVT_TIMER_SHIFT   17
#define TIMER_ONESHOT     0
#define TIMER_PERIODIC    1
#define TIMER_DEADLINE    2

#define SVR_ENABLE        (1u << 8)

#define ESR_SEND_ILLEGAL  (1u << 5)
#define ESR_RECV_ILLEGAL  (1u << 6)
#define ESR_ILLEGAL_REG   (1u << 7)

/* Bits the guest may write in each LVT entry (SDM Figure 10-8). */
static const uint32_t lvt_writable[LVT_NUM] = {
    [LVT_TIMER] = 0x700ff,
    [LVT_THERMAL] = 0x107ff,
    [LVT_PERF] = 0x107ff,
    [LVT_LINT0] = 0x1a7ff,
    [LVT_LINT1] = 0x1a7ff,
    [LVT_ERROR] = 0x100ff,
};

typedef struct LAPICState {
    Device dev;
    /* properties */
    uint32_t prop_id;
    bool bsp;
    bool map_mmio;
    bool virtual_wire;
    uint32_t bus_mhz;
    uint32_t tsc_khz;

    MemRegion *mmio;
    IRQLine *lint_lines[2];
    LAPICHooks hooks;
    Timer timer;

    uint64_t base;          /* IA32_APIC_BASE */
    uint32_t id;            /* xAPIC: 8 bits; x2APIC: the initial ID */
    uint8_t tpr;
    uint32_t ldr;
    uint32_t dfr;
    uint32_t svr;
    uint32_t isr[8], tmr[8], irr[8];
    uint32_t esr;           /* as last latched by a write to ESR */
    uint32_t esr_pending;   /* errors seen since */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_NUM];
    uint32_t initial_count;
    uint32_t divide_conf;
    /* Timer: the count was anchor_count at anchor_ns and counts down since. */
    bool timer_running;
    int64_t anchor_ns;
    uint32_t anchor_count;
    uint64_t tsc_deadline;

    int lint_level[2];
    bool extint_pending;    /* an ExtINT message from the IOAPIC */
    bool intr_level;        /* last level driven on hooks.intr */
} LAPICState;

static LAPICState *lapic_from_dev(Device *dev)
{
    g_assert(dev && !strcmp(dev->cls->name, "lapic"));
    return (LAPICState *)dev;
}

static int64_t lapic_now(LAPICState *s)
{
    return clock_ns(&s->dev.machine->timers.clock);
}

static bool hw_enabled(LAPICState *s)
{
    return s->base & MSR_APICBASE_ENABLE;
}

static bool x2apic_mode(LAPICState *s)
{
    return (s->base & (MSR_APICBASE_ENABLE | MSR_APICBASE_EXTD)) ==
           (MSR_APICBASE_ENABLE | MSR_APICBASE_EXTD);
}

static bool sw_enabled(LAPICState *s)
{
    return s->svr & SVR_ENABLE;
}

/* ---- 256-bit vector sets ---- */

static int vec_highest(const uint32_t *v)
{
    for (int i = 7; i >= 0; i--) {
        if (v[i]) {
            return i * 32 + 31 - __builtin_clz(v[i]);
        }
    }
    return -1;
}

static bool vec_test(const uint32_t *v, unsigned n)
{
    return v[n / 32] & (1u << (n % 32));
}

static void vec_set(uint32_t *v, unsigned n)
{
    v[n / 32] |= 1u << (n % 32);
}

static void vec_clear(uint32_t *v, unsigned n)
{
    v[n / 32] &= ~(1u << (n % 32));
}

/* ---- priority (SDM 10.8.3.1) ---- */

static uint8_t lapic_ppr(LAPICState *s)
{
    int isrv = vec_highest(s->isr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    return (s->tpr & 0xf0) >= isr_class ? s->tpr : isr_class;
}

static uint8_t lapic_apr(LAPICState *s)
{
    int isrv = vec_highest(s->isr);
    int irrv = vec_highest(s->irr);
    uint8_t isr_class = isrv < 0 ? 0 : (uint8_t)(isrv & 0xf0);
    uint8_t irr_class = irrv < 0 ? 0 : (uint8_t)(irrv & 0xf0);
    if ((s->tpr & 0xf0) >= irr_class && (s->tpr & 0xf0) > isr_class) {
        return s->tpr;
    }
    return MAX(MAX(s->tpr & 0xf0, isr_class), irr_class);
}

/* An unmasked LINT pin in ExtINT mode that is asserted (virtual wire). */
static bool extint_wire(LAPICState *s)
{
    for (unsigned pin = 0; pin < 2; pin++) {
        uint32_t lvt = s->lvt[LVT_LINT0 + pin];
        if (s->lint_level[pin] && !(lvt & LVT_MASKED) &&
            ((lvt >> 8) & 7) == APIC_DM_EXTINT) {
            return true;
        }
    }
    return false;
}

static bool has_interrupt(LAPICState *s)
{
    int irrv;
    if (!hw_enabled(s)) {
        /* A globally disabled APIC passes LINT0 straight to INTR. */
        return s->lint_level[0];
    }
    if (s->extint_pending || extint_wire(s)) {
        return true;
    }
    if (!sw_enabled(s)) {
        return false;
    }
    irrv = vec_highest(s->irr);
    return irrv >= 0 && (irrv & 0xf0) > (lapic_ppr(s) & 0xf0);
}

static void update_intr(LAPICState *s)
{
    bool level = has_interrupt(s);
    if (level != s->intr_level) {
        s->intr_level = level;
        irq_set(s->hooks.intr, level);
    }
}

/* ---- acceptance ---- */

static void accept_vector(LAPICState *s, uint8_t vector, bool level_trig);

static void signal_error(LAPICState *s, uint32_t bits)
{
    uint32_t lvt = s->lvt[LVT_ERROR];
    s->esr_pending |= bits;
    if (!(lvt & LVT_MASKED) && (lvt & 0xff) >= 16) {
        accept_vector(s, lvt & 0xff, false);
    }
}

/* A fixed interrupt enters IRR; TMR records its trigger mode for the EOI. */
static void accept_vector(LAPICState *s, uint8_t vector, bool level_trig)
{
    if (vector < 16) {
        signal_error(s, ESR_RECV_ILLEGAL);
        return;
    }
    vec_set(s->irr, vector);
    if (level_trig) {
        vec_set(s->tmr, vector);
    } else {
        vec_clear(s->tmr, vector);
    }
    update_intr(s);
}

static void lapic_soft_reset(LAPICState *s);

static void deliver(LAPICState *s, uint8_t mode, uint8_t vector, bool level_trig)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        accept_vector(s, vector, level_trig);
        break;
    case APIC_DM_SMI:
        if (s->hooks.smi) {
            s->hooks.smi(s->hooks.cpu);
        }
        break;
    case APIC_DM_NMI:
        if (s->hooks.nmi) {
            s->hooks.nmi(s->hooks.cpu);
        }
        break;
    case APIC_DM_INIT:
        /* INIT resets the APIC except its ID and base (SDM 10.4.7.3), then
         * the processor. */
        lapic_soft_reset(s);
        if (s->hooks.init) {
            s->hooks.init(s->hooks.cpu);
        }
        break;
    case APIC_DM_SIPI:
        if (s->hooks.sipi) {
            s->hooks.sipi(s->hooks.cpu, vector);
        }
        break;
    case APIC_DM_EXTINT:
        s->extint_pending = true;
        update_intr(s);
        break;
    default:
        break;              /* mode 3 is reserved */
    }
}

void lapic_deliver(Device *dev, uint8_t mode, uint8_t vector, bool level_trig)
{
    LAPICState *s = lapic_from_dev(dev);
    if (!hw_enabled(s)) {
        return;             /* a disabled APIC takes no bus messages */
    }
    deliver(s, mode, vector, level_trig);
}

/* ---- LINT pins ---- */

static void lint_service(LAPICState *s, unsigned pin, bool rising)
{
    uint32_t lvt = s->lvt[LVT_LINT0 + pin];
    uint8_t mode = (lvt >> 8) & 7;

    if (mode == APIC_DM_EXTINT) {
        update_intr(s);
        return;
    }
    if ((lvt & LVT_MASKED) || !s->lint_level[pin]) {
        return;
    }
    if (mode == APIC_DM_FIXED && (lvt & LVT_LEVEL_TRIG)) {
        /* Level: accepted once, then busy (remote IRR) until its EOI. */
        if (!(lvt & LVT_REMOTE_IRR)) {
            s->lvt[LVT_LINT0 + pin] |= LVT_REMOTE_IRR;
            accept_vector(s, lvt & 0xff, true);
        }
        return;
    }
    if (rising) {
        deliver(s, mode, lvt & 0xff, false);
    }
}

void lapic_set_lint(Device *dev, unsigned pin, int level)
{
    LAPICState *s = lapic_from_dev(dev);
    bool rising;
    if (pin > 1) {
        return;
    }
    rising = level && !s->lint_level[pin];
    s->lint_level[pin] = level ? 1 : 0;
    if (!hw_enabled(s)) {
        /* Hardware-disabled: LINT0 is INTR and LINT1 is NMI. */
        if (pin == 0) {
            update_intr(s);
        } else if (rising && s->hooks.nmi) {
            s->hooks.nmi(s->hooks.cpu);
        }
        return;
    }
    lint_service(s, pin, rising);
}

static void lint_handler(void *opaque, int n, int level)
{
    lapic_set_lint(opaque, (unsigned)n, level);
}

IRQLine *lapic_lint(Device *dev, unsigned pin)
{
    LAPICState *s = lapic_from_dev(dev);
    return pin < 2 ? s->lint_lines[pin] : NULL;
}

/* ---- CPU interface ---- */

bool lapic_has_interrupt(Device *dev)
{
    return has_interrupt(lapic_from_dev(dev));
}

int lapic_intack(Device *dev)
{
    LAPICState *s = lapic_from_dev(dev);
    int irrv;

    if (!hw_enabled(s)) {
        return s->lint_level[0] ? LAPIC_INTACK_EXTINT : LAPIC_INTACK_NONE;
    }
    if (s->extint_pending) {
        s->extint_pending = false;
        update_intr(s);
        return LAPIC_INTACK_EXTINT;
    }
    if (extint_wire(s)) {
        return LAPIC_INTACK_EXTINT;
    }
    if (!sw_enabled(s)) {
        return LAPIC_INTACK_NONE;
    }
    irrv = vec_highest(s->irr);
    if (irrv < 0) {
        return LAPIC_INTACK_NONE;
    }
    if ((irrv & 0xf0) <= (lapic_ppr(s) & 0xf0)) {
        /* The request was masked after INTR was raised (SDM 10.9). */
        return s->svr & 0xff;
    }
    vec_clear(s->irr, irrv);
    vec_set(s->isr, irrv);
    update_intr(s);
    return irrv;
}

static void lapic_eoi(LAPICState *s)
{
    int isrv = vec_highest(s->isr);
    if (isrv < 0) {
        return;
    }
    vec_clear(s->isr, isrv);
    if (vec_test(s->tmr, isrv)) {
        vec_clear(s->tmr, isrv);
        /* A level-triggered LINT entry waits for this EOI too. */
        for (unsigned pin = 0; pin < 2; pin++) {
            uint32_t *lvt = &s->lvt[LVT_LINT0 + pin];
            if ((*lvt & LVT_REMOTE_IRR) && (*lvt & 0xff) == (uint32_t)isrv) {
                *lvt &= ~LVT_REMOTE_IRR;
                lint_service(s, pin, false);
            }
        }
        if (s->hooks.eoi) {
            s->hooks.eoi(s->hooks.bus, (uint8_t)isrv);
        }
    }
    update_intr(s);
}

/* ---- destination matching (SDM 10.6.2, 10.12.9) ---- */

bool lapic_match_dest(Device *dev, uint32_t dest, bool logical)
{
    LAPICState *s = lapic_from_dev(dev);
    if (!hw_enabled(s)) {
        return false;
    }
    if (x2apic_mode(s)) {
        if (dest == 0xffffffff) {
            return true;
        }
        if (!logical) {
            return dest == s->id;
        }
        return (dest >> 16) == (s->ldr >> 16) && (dest & s->ldr & 0xffff);
    }
    dest &= 0xff;
    if (dest == 0xff) {
        return true;
    }
    if (!logical) {
        return dest == (s->id & 0xff);
    }
    if ((s->dfr >> 28) == 0xf) {
        return (s->ldr >> 24) & dest;                  /* flat model */
    }
    /* Cluster model: high nibble names the cluster, low nibble is a mask. */
    return (dest >> 4) == (s->ldr >> 28) && (dest & (s->ldr >> 24) & 0xf);
}

uint8_t lapic_get_apr(Device *dev)
{
    return lapic_apr(lapic_from_dev(dev));
}

uint32_t lapic_get_id(Device *dev)
{
    return lapic_from_dev(dev)->id;
}

uint8_t lapic_get_tpr(Device *dev)
{
    return lapic_from_dev(dev)->tpr;
}

void lapic_set_tpr(Device *dev, uint8_t tpr)
{
    LAPICState *s = lapic_from_dev(dev);
    s->tpr = tpr;
    update_intr(s);
}

/* ---- the APIC bus (SDM 10.6.2) ---- */

static bool bus_targets(Device *d, Device *src, const LAPICMessage *msg)
{
    if (!hw_enabled(lapic_from_dev(d))) {
        return false;       /* a disabled APIC is off the bus */
    }
    switch (msg->shorthand) {
    case APIC_SH_SELF:
        return d == src;
    case APIC_SH_ALL:
        return true;
    case APIC_SH_ALL_BUT_SELF:
        return d != src;
    default:
        return lapic_match_dest(d, msg->dest, msg->logical);
    }
}

unsigned apic_bus_deliver(Device *const *lapics, unsigned n, Device *src,
                          const LAPICMessage *msg)
{
    unsigned taken = 0;

    if (msg->mode == APIC_DM_LOWEST && msg->shorthand == APIC_SH_NONE) {
        /* Lowest priority: the matching APIC with the lowest APR. */
        Device *best = NULL;
        uint8_t best_apr = 0;
        for (unsigned i = 0; i < n; i++) {
            Device *d = lapics[i];
            if (d && bus_targets(d, src, msg)) {
                uint8_t apr = lapic_get_apr(d);
                if (!best || apr < best_apr) {
                    best = d;
                    best_apr = apr;
                }
            }
        }
        if (best) {
            lapic_deliver(best, msg->mode, msg->vector, msg->level_trig);
            taken = 1;
        }
        return taken;
    }
    for (unsigned i = 0; i < n; i++) {
        Device *d = lapics[i];
        if (d && bus_targets(d, src, msg)) {
            lapic_deliver(d, msg->mode, msg->vector, msg->level_trig);
            taken++;
        }
    }
    return taken;
}

/* ---- ICR ---- */

static void send_icr(LAPICState *s)
{
    LAPICMessage msg = {
        .dest = x2apic_mode(s) ? s->icr_hi : s->icr_hi >> 24,
        .logical = s->icr_lo & (1u << 11),
        .mode = (s->icr_lo >> 8) & 7,
        .vector = s->icr_lo & 0xff,
        .shorthand = (s->icr_lo >> 18) & 3,
        .level = s->icr_lo & (1u << 14),
        .level_trig = s->icr_lo & (1u << 15),
    };

    if (msg.mode == APIC_DM_INIT && !msg.level && msg.level_trig) {
        return;     /* INIT level de-assert: no effect since the Pentium 4 */
    }
    if ((msg.mode == APIC_DM_FIXED || msg.mode == APIC_DM_LOWEST) && msg.vector < 16) {
        signal_error(s, ESR_SEND_ILLEGAL);
        return;
    }
    if (msg.shorthand == APIC_SH_SELF) {
        deliver(s, msg.mode, msg.vector, msg.level_trig);
        return;
    }
    /* Everything else (including "all including self") is the board's to
     * route, so all targets see the message in one place. */
    if (s->hooks.send) {
        s->hooks.send(s->hooks.bus, &s->dev, &msg);
    }
}

/* ---- timer (SDM 10.5.4) ---- */

static unsigned timer_divide(LAPICState *s)
{
    unsigned v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
    return v == 7 ? 1 : 2u << v;
}

static unsigned timer_mode(LAPICState *s)
{
    return (s->lvt[LVT_TIMER] >> LVT_TIMER_SHIFT) & 3;
}

/* Virtual ns for ticks of the divided clock, rounded up so the count has
 * really reached zero at the deadline. */
static int64_t ticks_to_ns(LAPICState *s, uint64_t ticks)
{
    unsigned __int128 n = (unsigned __int128)ticks * timer_divide(s) * 1000;
    return (int64_t)((n + s->bus_mhz - 1) / s->bus_mhz);
}

static uint64_t ns_to_ticks(LAPICState *s, int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    unsigned __int128 n = (unsigned __int128)ns * s->bus_mhz;
    return (uint64_t)(n / (1000ULL * timer_divide(s)));
}

static uint32_t timer_current(LAPICState *s, int64_t now)
{
    uint64_t e;
    if (!s->timer_running || timer_mode(s) == TIMER_DEADLINE) {
        return 0;
    }
    e = ns_to_ticks(s, now - s->anchor_ns);
    if (e < s->anchor_count) {
        return s->anchor_count - (uint32_t)e;
    }
    if (timer_mode(s) != TIMER_PERIODIC || !s->initial_count) {
        return 0;
    }
    return s->initial_count - (uint32_t)((e - s->anchor_count) % s->initial_count);
}

static void timer_arm(LAPICState *s)
{
    timer_mod(&s->timer, s->anchor_ns + ticks_to_ns(s, s->anchor_count));
}

static void timer_stop(LAPICState *s)
{
    s->timer_running = false;
    timer_del(&s->timer);
}

static void timer_fire(LAPICState *s)
{
    uint32_t lvt = s->lvt[LVT_TIMER];
    if (!(lvt & LVT_MASKED)) {
        accept_vector(s, lvt & 0xff, false);
    }
}

static void timer_cb(void *opaque)
{
    LAPICState *s = opaque;
    int64_t expired = s->timer.expire_ns;

    if (timer_mode(s) == TIMER_DEADLINE) {
        s->tsc_deadline = 0;
        timer_fire(s);
        return;
    }
    if (!s->timer_running) {
        return;
    }
    if (timer_mode(s) == TIMER_PERIODIC && s->initial_count) {
        /* Reload from the exact expiry so periods do not drift. If the main
         * loop ran late, periods already over coalesce into this one
         * interrupt (IRR holds one bit anyway), so a tiny guest period cannot
         * keep this callback looping. */
        uint64_t e = ns_to_ticks(s, lapic_now(s) - expired);
        uint64_t skip = e / s->initial_count * s->initial_count;
        s->anchor_ns = expired + (skip ? ticks_to_ns(s, skip) : 0);
        s->anchor_count = s->initial_count;
        timer_arm(s);
    } else {
        s->timer_running = false;
    }
    timer_fire(s);
}

static void timer_set_initial(LAPICState *s, uint32_t count)
{
    if (timer_mode(s) == TIMER_DEADLINE) {
        return;     /* ignored in TSC-deadline mode */
    }
    s->initial_count = count;
    if (!count) {
        timer_stop(s);
        return;
    }
    s->anchor_ns = lapic_now(s);
    s->anchor_count = count;
    s->timer_running = true;
    timer_arm(s);
}

static void timer_set_divide(LAPICState *s, uint32_t val)
{
    int64_t now = lapic_now(s);
    if (s->timer_running && timer_mode(s) != TIMER_DEADLINE) {
        /* Keep the count, continue at the new rate. */
        uint32_t cur = timer_current(s, now);
        s->divide_conf = val & 0xb;
        if (cur) {
            s->anchor_ns = now;
            s->anchor_count = cur;
            timer_arm(s);
        }
        return;
    }
    s->divide_conf = val & 0xb;
}

static uint64_t tsc_now(LAPICState *s)
{
    if (s->hooks.read_tsc) {
        return s->hooks.read_tsc(s->hooks.cpu);
    }
    return (uint64_t)((unsigned __int128)lapic_now(s) * s->tsc_khz / 1000000);
}

static void deadline_write(LAPICState *s, uint64_t value)
{
    uint64_t tsc;
    if (timer_mode(s) != TIMER_DEADLINE) {
        return;     /* writes are ignored in the other modes (SDM 10.5.4.1) */
    }
    s->tsc_deadline = value;
    timer_del(&s->timer);
    if (!value) {
        return;     /* disarm */
    }
    tsc = tsc_now(s);
    if (value <= tsc) {
        s->tsc_deadline = 0;
        timer_fire(s);
        return;
    }
    unsigned __int128 n = (unsigned __int128)(value - tsc) * 1000000;
    int64_t delta = (int64_t)((n + s->tsc_khz - 1) / s->tsc_khz);
    timer_mod(&s->timer, lapic_now(s) + delta);
}

static void lvt_write(LAPICState *s, unsigned n, uint32_t val)
{
    uint32_t old = s->lvt[n];
    uint32_t v = val & lvt_writable[n];

    if (!sw_enabled(s)) {
        v |= LVT_MASKED;    /* masks cannot be cleared while disabled */
    }
    if (n == LVT_TIMER && ((v >> LVT_TIMER_SHIFT) & 3) == 3) {
        v &= ~(3u << LVT_TIMER_SHIFT);   /* reserved mode: one-shot */
    }
    s->lvt[n] = v | (old & LVT_REMOTE_IRR & ~lvt_writable[n]);
    if (n == LVT_TIMER) {
        bool was_dl = ((old >> LVT_TIMER_SHIFT) & 3) == TIMER_DEADLINE;
        bool is_dl = timer_mode(s) == TIMER_DEADLINE;
        if (was_dl != is_dl) {
            /* Switching to or from TSC-deadline disarms the timer. */
            timer_stop(s);
            s->tsc_deadline = 0;
            s->initial_count = 0;
        }
    } else if (n == LVT_LINT0 || n == LVT_LINT1) {
        lint_service(s, n - LVT_LINT0, false);
    }
}

/* ---- register file ---- */

/* Read register r; false if it does not exist (x2APIC: #GP). */
static bool reg_read(LAPICState *s, unsigned r, uint64_t *val)
{
    bool x2 = x2apic_mode(s);
    switch (r) {
    case R_ID:
        *val = x2 ? s->id : s->id << 24;
        return true;
    case R_VERSION:
        *val = LAPIC_VERSION;
        return true;
    case R_TPR:
        *val = s->tpr;
        return true;
    case R_APR:
        *val = lapic_apr(s);
        return !x2;
    case R_PPR:
        *val = lapic_ppr(s);
        return true;
    case R_EOI:
    case R_RRD:
        *val = 0;
        return !x2;
    case R_LDR:
        *val = s->ldr;
        return true;
    case R_DFR:
        *val = s->dfr;
        return !x2;
    case R_SVR:
        *val = s->svr;
        return true;
    case R_ESR:
        *val = s->esr;
        return true;
    case R_ICR_LO:
        *val = x2 ? ((uint64_t)s->icr_hi << 32) | s->icr_lo : s->icr_lo;
        return true;
    case R_ICR_HI:
        *val = s->icr_hi;
        return !x2;
    case R_INITCNT:
        *val = s->initial_count;
        return true;
    case R_CURCNT:
        *val = timer_current(s, lapic_now(s));
        return true;
    case R_DIVIDE:
        *val = s->divide_conf;
        return true;
    default:
        break;
    }
    if (r >= R_ISR && r < R_ISR + 8) {
        *val = s->isr[r - R_ISR];
        return true;
    }
    if (r >= R_TMR && r < R_TMR + 8) {
        *val = s->tmr[r - R_TMR];
        return true;
    }
    if (r >= R_IRR && r < R_IRR + 8) {
        *val = s->irr[r - R_IRR];
        return true;
    }
    if (r >= R_LVT && r < R_LVT + LVT_NUM) {
        *val = s->lvt[r - R_LVT];
        return true;
    }
    *val = 0;
    return false;
}

static void svr_write(LAPICState *s, uint32_t val)
{
    /* Vector, APIC enable, focus check; EOI-broadcast suppression is not
     * offered (version bit 24 clear). */
    s->svr = val & 0x3ff;
    if (!sw_enabled(s)) {
        for (unsigned n = 0; n < LVT_NUM; n++) {
            s->lvt[n] |= LVT_MASKED;
        }
    }
    update_intr(s);
}

/* Write register r; false if that is not allowed (x2APIC: #GP). */
static bool reg_write(LAPICState *s, unsigned r, uint64_t val64)
{
    bool x2 = x2apic_mode(s);
    uint32_t val = (uint32_t)val64;

    if (x2 && r != R_ICR_LO && (val64 >> 32)) {
        return false;       /* reserved upper half */
    }
    switch (r) {
    case R_ID:
        if (x2) {
            return false;
        }
        s->id = val >> 24;
        return true;
    case R_TPR:
        s->tpr = val & 0xff;
        update_intr(s);
        return true;
    case R_EOI:
        if (x2 && val) {
            return false;
        }
        lapic_eoi(s);
        return true;
    case R_LDR:
        if (x2) {
            return false;
        }
        s->ldr = val & 0xff000000;
        return true;
    case R_DFR:
        if (x2) {
            return false;
        }
        s->dfr = val | 0x0fffffff;
        return true;
    case R_SVR:
        svr_write(s, val);
        return true;
    case R_ESR:
        if (x2 && val) {
            return false;
        }
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        return true;
    case R_ICR_LO:
        if (x2) {
            s->icr_hi = (uint32_t)(val64 >> 32);
        }
        s->icr_lo = val & 0xcdfff;   /* delivery status reads 0 */
        send_icr(s);
        return true;
    case R_ICR_HI:
        if (x2) {
            return false;
        }
        s->icr_hi = val & 0xff000000;
        return true;
    case R_INITCNT:
        timer_set_initial(s, val);
        return true;
    case R_DIVIDE:
        timer_set_divide(s, val);
        return true;
    case R_SELF_IPI:
        if (!x2) {
            break;
        }
        deliver(s, APIC_DM_FIXED, val & 0xff, false);
        return true;
    case R_VERSION:
    case R_APR:
    case R_PPR:
    case R_RRD:
    case R_CURCNT:
        return !x2;         /* read-only: xAPIC ignores the write */
    default:
        break;
    }
    if (r >= R_LVT && r < R_LVT + LVT_NUM) {
        lvt_write(s, r - R_LVT, val);
        return true;
    }
    if (r >= R_ISR && r < R_IRR + 8) {
        return !x2;         /* ISR, TMR, IRR are read-only */
    }
    return false;
}

uint64_t lapic_mmio_read(Device *dev, uint64_t offset, unsigned size)
{
    LAPICState *s = lapic_from_dev(dev);
    uint64_t val = 0;
    unsigned shift;

    if (!hw_enabled(s) || x2apic_mode(s) || offset >= LAPIC_MMIO_SIZE || !size ||
        size > 4) {
        return 0;
    }
    /* Registers sit on 16-byte boundaries; the other 12 bytes are reserved. */
    shift = (offset & 3) * 8;
    if ((offset & 0xf) < 4) {
        if (!reg_read(s, offset >> 4, &val)) {
            signal_error(s, ESR_ILLEGAL_REG);
            return 0;
        }
    }
    val >>= shift;
    return size == 4 ? (uint32_t)val : val & ((1ULL << (size * 8)) - 1);
}

void lapic_mmio_write(Device *dev, uint64_t offset, uint64_t value, unsigned size)
{
    LAPICState *s = lapic_from_dev(dev);
    if (!hw_enabled(s) || x2apic_mode(s) || offset >= LAPIC_MMIO_SIZE) {
        return;
    }
    /* Only aligned dword writes are defined (SDM 10.4.1); others are dropped. */
    if (size != 4 || (offset & 0xf)) {
        return;
    }
    if (!reg_write(s, offset >> 4, (uint32_t)value)) {
        signal_error(s, ESR_ILLEGAL_REG);
    }
}

bool lapic_mmio_access(Device *dev, uint64_t paddr, bool write, uint64_t *value,
                       unsigned size)
{
    LAPICState *s = lapic_from_dev(dev);
    uint64_t page = s->base & ~0xfffULL & ((1ULL << 52) - 1);

    /* The page exists only while the APIC is enabled in xAPIC mode (SDM
     * 10.4.3: disabled, or x2APIC, it is plain memory space again). */
    if (!hw_enabled(s) || x2apic_mode(s) || paddr < page ||
        paddr - page >= LAPIC_MMIO_SIZE) {
        return false;
    }
    if (write) {
        lapic_mmio_write(dev, paddr - page, *value, size);
    } else {
        *value = lapic_mmio_read(dev, paddr - page, size);
    }
    return true;
}

static uint64_t mmio_read_cb(void *opaque, uint64_t offset, unsigned size)
{
    return lapic_mmio_read(opaque, offset, size);
}

static void mmio_write_cb(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    lapic_mmio_write(opaque, offset, value, size);
}

static const MemoryOps lapic_mmio_ops = {
    .read = mmio_read_cb,
    .write = mmio_write_cb,
    .min_access = 4,
    .max_access = 4,
};

bool lapic_msr_read(Device *dev, uint32_t msr, uint64_t *value)
{
    LAPICState *s = lapic_from_dev(dev);
    if (msr == MSR_IA32_APICBASE) {
        *value = s->base;
        return true;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        *value = timer_mode(s) == TIMER_DEADLINE ? s->tsc_deadline : 0;
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic_mode(s)) {
        return false;
    }
    return reg_read(s, msr - MSR_X2APIC_FIRST, value);
}

bool lapic_msr_write(Device *dev, uint32_t msr, uint64_t value)
{
    LAPICState *s = lapic_from_dev(dev);
    if (msr == MSR_IA32_APICBASE) {
        return lapic_set_base(dev, value);
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        deadline_write(s, value);
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic_mode(s)) {
        return false;
    }
    return reg_write(s, msr - MSR_X2APIC_FIRST, value);
}

/* ---- APIC base (SDM 10.4.4, 10.12.5) ---- */

uint64_t lapic_get_base(Device *dev)
{
    return lapic_from_dev(dev)->base;
}

static void update_mmio_map(LAPICState *s)
{
    if (!s->mmio) {
        return;
    }
    uint64_t addr = s->base & ~0xfffULL & ((1ULL << 52) - 1);
    if (s->mmio->base != addr) {
        memmap_move(&s->dev.machine->mem, s->mmio, addr);
    }
    memmap_set_enabled(&s->dev.machine->mem, s->mmio, hw_enabled(s) && !x2apic_mode(s));
}

bool lapic_set_base(Device *dev, uint64_t value)
{
    LAPICState *s = lapic_from_dev(dev);
    const uint64_t reserved = 0xffULL | (1ULL << 9) | ~((1ULL << 52) - 1);
    bool en = value & MSR_APICBASE_ENABLE, extd = value & MSR_APICBASE_EXTD;
    bool was_en = hw_enabled(s), was_x2 = x2apic_mode(s);

    if (value & reserved) {
        return false;
    }
    if (extd && !en) {
        return false;                       /* invalid state */
    }
    if (was_x2 && en && !extd) {
        return false;                       /* x2APIC -> xAPIC must go via disabled */
    }
    if (!was_en && extd) {
        return false;                       /* disabled -> x2APIC likewise */
    }
    /* BSP is set by hardware at reset; software cannot change it. */
    value = (value & ~MSR_APICBASE_BSP) | (s->base & MSR_APICBASE_BSP);
    s->base = value;
    if (was_en && !en) {
        /* Disabling returns the APIC to its power-up state (SDM 10.4.3). */
        uint64_t keep = s->base;
        lapic_soft_reset(s);
        s->base = keep;
    }
    if (!was_x2 && x2apic_mode(s)) {
        /* x2APIC: the 32-bit initial ID and a logical ID derived from it. */
        s->id = s->prop_id;
        s->ldr = ((s->id >> 4) << 16) | (1u << (s->id & 0xf));
    }
    update_mmio_map(s);
    update_intr(s);
    return true;
}

/* ---- lifecycle ---- */

/* Power-up state of the registers (SDM 10.4.7.1); ID and base survive. */
static void lapic_soft_reset(LAPICState *s)
{
    timer_del(&s->timer);
    s->timer_running = false;
    s->tpr = 0;
    s->ldr = 0;
    s->dfr = 0xffffffff;
    s->svr = 0xff;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    s->esr = s->esr_pending = 0;
    s->icr_lo = s->icr_hi = 0;
    for (unsigned n = 0; n < LVT_NUM; n++) {
        s->lvt[n] = LVT_MASKED;
    }
    s->initial_count = 0;
    s->divide_conf = 0;
    s->tsc_deadline = 0;
    s->extint_pending = false;
    if (x2apic_mode(s)) {
        s->ldr = ((s->id >> 4) << 16) | (1u << (s->id & 0xf));
    }
    update_intr(s);
}

static void lapic_reset(Device *dev)
{
    LAPICState *s = (LAPICState *)dev;
    s->base = APIC_DEFAULT_BASE | MSR_APICBASE_ENABLE | (s->bsp ? MSR_APICBASE_BSP : 0);
    s->id = s->prop_id;
    lapic_soft_reset(s);
    if (s->virtual_wire) {
        /* What a PC firmware leaves on the BSP (MP spec 3.6.2.2, virtual wire
         * mode): APIC on, the 8259 through LINT0, NMI on LINT1. */
        s->svr = SVR_ENABLE | 0xff;
        s->lvt[LVT_LINT0] = APIC_DM_EXTINT << 8;
        s->lvt[LVT_LINT1] = APIC_DM_NMI << 8;
    }
    update_mmio_map(s);
    update_intr(s);
}

void lapic_connect(Device *dev, const LAPICHooks *hooks)
{
    LAPICState *s = lapic_from_dev(dev);
    s->hooks = *hooks;
    s->intr_level = false;
    irq_lower(s->hooks.intr);
    update_intr(s);
}

static bool lapic_realize(Device *dev, Error **errp)
{
    LAPICState *s = (LAPICState *)dev;
    Machine *m = dev->machine;

    if (!s->bus_mhz || !s->tsc_khz) {
        error_setg(errp, "lapic: bus-mhz and tsc-khz must be non-zero");
        return false;
    }
    if (s->prop_id > 0xfe) {
        /* 0xff is the xAPIC broadcast ID. */
        error_setg(errp, "lapic: apic-id=%u: must be below 255", s->prop_id);
        return false;
    }
    timer_init(&s->timer, &m->timers, timer_cb, s);
    if (s->map_mmio) {
        s->mmio = memmap_add_mmio(&m->mem, "lapic", APIC_DEFAULT_BASE, LAPIC_MMIO_SIZE,
                                  &lapic_mmio_ops, s, 2);
        if (!s->mmio) {
            error_setg(errp, "lapic: cannot map the APIC page");
            return false;
        }
    }
    for (unsigned pin = 0; pin < 2; pin++) {
        s->lint_lines[pin] = irq_new(lint_handler, s, (int)pin);
    }
    lapic_reset(dev);
    return true;
}

static void lapic_unrealize(Device *dev)
{
    LAPICState *s = (LAPICState *)dev;
    timer_del(&s->timer);
    if (s->mmio) {
        memmap_del(&dev->machine->mem, s->mmio);
        s->mmio = NULL;
    }
    for (unsigned pin = 0; pin < 2; pin++) {
        irq_free(s->lint_lines[pin]);
        s->lint_lines[pin] = NULL;
    }
}

static const Property lapic_props[] = {
    { .name = "apic-id", .type = PROP_U32, .offset = offsetof(LAPICState, prop_id),
      .def = 0, .desc = "initial APIC ID" },
    { .name = "bsp", .type = PROP_BOOL, .offset = offsetof(LAPICState, bsp),
      .def = false, .desc = "bootstrap processor (APIC base bit 8)" },
    { .name = "map-mmio", .type = PROP_BOOL, .offset = offsetof(LAPICState, map_mmio),
      .def = false, .desc = "map the xAPIC page itself (one-CPU machines, tests)" },
    { .name = "virtual-wire", .type = PROP_BOOL,
      .offset = offsetof(LAPICState, virtual_wire), .def = false,
      .desc = "reset to firmware's virtual wire mode (LINT0 ExtINT, LINT1 NMI)" },
    { .name = "bus-mhz", .type = PROP_U32, .offset = offsetof(LAPICState, bus_mhz),
      .def = 1000, .desc = "APIC timer input clock before the divider, MHz" },
    { .name = "tsc-khz", .type = PROP_U32, .offset = offsetof(LAPICState, tsc_khz),
      .def = 1000000, .desc = "TSC rate for the TSC-deadline timer, kHz" },
    PROP_END,
};

static const DeviceClass lapic_class = {
    .name = "lapic",
    .desc = "local APIC (xAPIC and x2APIC, version 0x14)",
    .bus = "sys",
    .instance_size = sizeof(LAPICState),
    .user_creatable = false,
    .props = lapic_props,
    .realize = lapic_realize,
    .reset = lapic_reset,
    .unrealize = lapic_unrealize,
};

DEVICE_CLASS_REGISTER(lapic_class)
