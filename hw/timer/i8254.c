/*
 * i8254.c: "isa-pit", the Intel 8254 programmable interval timer (datasheet
 * order 231164): three 16-bit down counters clocked at 1.193182 MHz at
 * 0x40-0x42, the control word register at 0x43, channel 0's OUT on IRQ 0; and
 * port 0x61 (PC/AT "system control port B"): channel 2 gate, speaker data
 * enable, refresh toggle and channel 2 OUT.
 *
 * No counter is stored while it runs: the count and OUT are computed from the
 * machine's virtual clock as d = ticks since the count was loaded. A timer is
 * armed only for channel 0's next OUT edge, because that drives IRQ 0.
 * Implemented: modes 0-5, binary and BCD, LSB/MSB/LSB-then-MSB access, counter
 * latch and read-back commands, gate on channel 2. docs/devices.md "isa-pit".
 */
#include "util/osdep.h"
#include "hw/device.h"
#include "hw/timer/i8254.h"
#include "system/machine.h"

#define NS_PER_SEC   1000000000LL
#define RW_LATCH     0
#define RW_LSB       1
#define RW_MSB       2
#define RW_LOHI      3
#define REFRESH_NS   15085      /* port 0x61 bit 4 toggles every 15.085 us */

typedef struct PITChannel {
    uint32_t count;         /* reload value: 1..65536 (binary) or 1..10000 (BCD) */
    uint8_t mode;
    uint8_t rw;
    bool bcd;
    bool counting;          /* a count is loaded (and, modes 1/5, triggered) */
    bool armed;             /* modes 1/5: count loaded, waiting for a gate edge */
    bool null_count;
    bool gate;
    bool paused;            /* gate low in modes 0, 2, 3, 4: count frozen */
    int64_t paused_d;
    int64_t load_ns;        /* virtual time of tick 0 */
    bool out_idle;          /* OUT while not counting */
    /* register access state */
    bool write_msb_next;
    uint8_t write_lsb;
    bool read_msb_next;
    bool count_latched;
    uint16_t latch;
    int latch_bytes;        /* bytes of the latched count still to read */
    bool latch_msb_next;
    bool status_latched;
    uint8_t status;
} PITChannel;

typedef struct PITState {
    Device parent;
    uint32_t iobase;
    uint32_t irq;
    PITChannel ch[3];
    IRQLine *irq_line;
    int irq_level;
    Timer timer;            /* channel 0's next OUT edge */
    bool edge_falling;      /* that edge is OUT going low */
    bool speaker_data;      /* port 0x61 bit 1 */
    IoRegion *io;
    IoRegion *io61;
} PITState;

static int64_t pit_now(PITState *s)
{
    return clock_ns(&s->parent.machine->timers.clock);
}

static int64_t ns_to_ticks(int64_t ns)
{
    return (int64_t)(((__int128)ns * PIT_FREQ_HZ) / NS_PER_SEC);
}

/* First virtual time at which tick d has happened. */
static int64_t ticks_to_ns(int64_t d)
{
    return (int64_t)(((__int128)d * NS_PER_SEC + PIT_FREQ_HZ - 1) / PIT_FREQ_HZ);
}

static int64_t chan_ticks(PITChannel *c, int64_t now)
{
    if (c->paused) {
        return c->paused_d;
    }
    int64_t d = now - c->load_ns;
    return d < 0 ? 0 : ns_to_ticks(d);
}

static uint32_t chan_modulus(PITChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

static bool out_at(PITChannel *c, int64_t d)
{
    int64_t n = c->count;
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2:
        return n < 2 || (d % n) != n - 1;
    case 3:
        return (d % n) < (n + 1) / 2;
    default: /* 4, 5: a one-clock low pulse when the count reaches 0 */
        return d != n;
    }
}

static bool chan_out(PITChannel *c, int64_t now)
{
    if (!c->counting) {
        return c->out_idle;
    }
    if (c->paused && (c->mode == 2 || c->mode == 3)) {
        return true;        /* gate low forces OUT high in modes 2 and 3 */
    }
    return out_at(c, chan_ticks(c, now));
}

/* The count the counting element holds at tick d. */
static uint32_t count_at(PITChannel *c, int64_t d)
{
    int64_t n = c->count;
    int64_t mod = chan_modulus(c);
    switch (c->mode) {
    case 2:
        return (uint32_t)(n - d % n);
    case 3: {
        /* Decrements by two; odd counts load count - 1 (datasheet, mode 3). */
        int64_t r = d % n;
        int64_t h = (n + 1) / 2;
        int64_t phase = r < h ? r : r - h;
        return (uint32_t)(((n & ~1LL) - 2 * phase) % mod);
    }
    default:
        return (uint32_t)(((n - d) % mod + mod) % mod);
    }
}

static uint16_t to_bcd(uint32_t v)
{
    v %= 10000;
    return (uint16_t)(((v / 1000) << 12) | (((v / 100) % 10) << 8) |
                      (((v / 10) % 10) << 4) | (v % 10));
}

static uint32_t from_bcd(uint16_t v)
{
    return ((v >> 12) & 0xf) * 1000 + ((v >> 8) & 0xf) * 100 + ((v >> 4) & 0xf) * 10 +
           (v & 0xf);
}

static uint16_t chan_read_count(PITChannel *c, int64_t now)
{
    uint32_t v = c->counting ? count_at(c, chan_ticks(c, now)) : c->count;
    if (c->bcd) {
        return to_bcd(v);
    }
    return (uint16_t)v;
}

/* ---- channel 0 -> IRQ 0 ---- */

/* Tick of the next OUT change after d, or -1 if OUT stays as it is. */
static int64_t next_edge(PITChannel *c, int64_t d)
{
    int64_t n = c->count;
    int64_t base, r;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : -1;
    case 2:
        if (n < 2) {
            return -1;
        }
        r = d % n;
        base = d - r;
        return r < n - 1 ? base + n - 1 : base + n;
    case 3:
        if (n < 2) {
            return -1;
        }
        r = d % n;
        base = d - r;
        return r < (n + 1) / 2 ? base + (n + 1) / 2 : base + n;
    default:
        return d < n ? n : (d == n ? n + 1 : -1);
    }
}

static void pit_set_irq(PITState *s, int level)
{
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq_line, level);
    }
}

static void pit_update_irq(PITState *s)
{
    PITChannel *c = &s->ch[0];
    int64_t now = pit_now(s);
    pit_set_irq(s, chan_out(c, now));
    timer_del(&s->timer);
    if (c->counting && !c->paused) {
        int64_t e = next_edge(c, chan_ticks(c, now));
        if (e >= 0) {
            s->edge_falling = !out_at(c, e);
            timer_mod(&s->timer, c->load_ns + ticks_to_ns(e));
        }
    }
}

static void pit_timer_cb(void *opaque)
{
    PITState *s = opaque;
    /* The main loop may run this late, after a short low pulse (one clock in
     * modes 2 and 4) is already over: the interrupt controller still gets the
     * low level and then the rising edge. */
    if (s->edge_falling) {
        pit_set_irq(s, 0);
    }
    pit_update_irq(s);
}

/* ---- programming ---- */

static void chan_load(PITState *s, int idx, uint32_t raw)
{
    PITChannel *c = &s->ch[idx];
    uint32_t n = c->bcd ? from_bcd((uint16_t)raw) : raw;
    if (n == 0) {
        n = chan_modulus(c);
    }
    c->count = n;
    c->null_count = false;
    c->paused = false;
    if (c->mode == 1 || c->mode == 5) {
        /* Counting starts on the next gate rising edge. */
        c->armed = true;
        if (!c->counting) {
            c->out_idle = true;
        }
    } else {
        c->counting = true;
        c->load_ns = pit_now(s);
        if (!c->gate && c->mode != 1 && c->mode != 5) {
            c->paused = true;
            c->paused_d = 0;
        }
    }
    if (idx == 0) {
        pit_update_irq(s);
    }
}

static void chan_set_gate(PITState *s, int idx, bool gate)
{
    PITChannel *c = &s->ch[idx];
    int64_t now = pit_now(s);
    if (gate == c->gate) {
        return;
    }
    c->gate = gate;
    switch (c->mode) {
    case 0:
    case 4:
        /* Gate low suspends counting; high resumes it where it was. */
        if (!c->counting) {
            break;
        }
        if (!gate) {
            c->paused_d = chan_ticks(c, now);
            c->paused = true;
        } else if (c->paused) {
            c->paused = false;
            c->load_ns = now - ticks_to_ns(c->paused_d);
        }
        break;
    case 2:
    case 3:
        /* Gate low stops and forces OUT high; the rising edge reloads. */
        if (!c->counting) {
            break;
        }
        if (!gate) {
            c->paused = true;
            c->paused_d = 0;
        } else {
            c->paused = false;
            c->load_ns = now;
        }
        break;
    default:
        /* Modes 1 and 5: the rising edge (re)triggers the count. */
        if (gate && (c->armed || c->counting)) {
            c->counting = true;
            c->load_ns = now;
        }
        break;
    }
    if (idx == 0) {
        pit_update_irq(s);
    }
}

static void chan_latch_count(PITState *s, PITChannel *c)
{
    if (c->count_latched) {
        return;         /* a second latch before the read is ignored */
    }
    c->latch = chan_read_count(c, pit_now(s));
    c->count_latched = true;
    c->latch_bytes = c->rw == RW_LOHI ? 2 : 1;
    c->latch_msb_next = c->rw == RW_MSB;
}

static uint8_t chan_status(PITState *s, PITChannel *c)
{
    return (chan_out(c, pit_now(s)) ? 0x80 : 0) | (c->null_count ? 0x40 : 0) |
           (c->rw << 4) | (c->mode << 1) | (c->bcd ? 1 : 0);
}

static void pit_write_control(PITState *s, uint8_t val)
{
    int sel = val >> 6;
    if (sel == 3) {
        /* Read-back: bit 5 clear latches counts, bit 4 clear latches status. */
        for (int i = 0; i < 3; i++) {
            if (!(val & (2u << i))) {
                continue;
            }
            PITChannel *c = &s->ch[i];
            if (!(val & 0x20)) {
                chan_latch_count(s, c);
            }
            if (!(val & 0x10) && !c->status_latched) {
                c->status = chan_status(s, c);
                c->status_latched = true;
            }
        }
        return;
    }
    PITChannel *c = &s->ch[sel];
    int rw = (val >> 4) & 3;
    if (rw == RW_LATCH) {
        chan_latch_count(s, c);
        return;
    }
    int mode = (val >> 1) & 7;
    if (mode > 5) {
        mode -= 4;      /* 110 and 111 are modes 2 and 3 */
    }
    c->rw = rw;
    c->mode = mode;
    c->bcd = val & 1;
    c->counting = false;
    c->armed = false;
    c->paused = false;
    c->null_count = true;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
    c->out_idle = mode != 0;   /* mode 0: OUT low after the control word */
    if (sel == 0) {
        pit_update_irq(s);
    }
}

static void pit_write_count(PITState *s, int idx, uint8_t val)
{
    PITChannel *c = &s->ch[idx];
    switch (c->rw) {
    case RW_LSB:
        chan_load(s, idx, val);
        break;
    case RW_MSB:
        chan_load(s, idx, (uint32_t)val << 8);
        break;
    case RW_LOHI:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            if (c->mode == 0 && c->counting) {
                /* Mode 0: writing the first byte stops the count (datasheet). */
                c->paused_d = chan_ticks(c, pit_now(s));
                c->paused = true;
                c->out_idle = false;
                c->counting = false;
                if (idx == 0) {
                    pit_update_irq(s);
                }
            }
        } else {
            c->write_msb_next = false;
            chan_load(s, idx, c->write_lsb | ((uint32_t)val << 8));
        }
        break;
    default:
        break;          /* never programmed: writes ignored */
    }
}

static uint8_t pit_read_count(PITState *s, int idx)
{
    PITChannel *c = &s->ch[idx];
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    if (c->count_latched) {
        uint8_t v = c->latch_msb_next ? c->latch >> 8 : c->latch & 0xff;
        c->latch_msb_next = !c->latch_msb_next;
        if (--c->latch_bytes <= 0) {
            c->count_latched = false;
        }
        return v;
    }
    uint16_t v = chan_read_count(c, pit_now(s));
    switch (c->rw) {
    case RW_LSB:
        return v & 0xff;
    case RW_MSB:
        return v >> 8;
    case RW_LOHI:
        c->read_msb_next = !c->read_msb_next;
        return c->read_msb_next ? (v & 0xff) : (v >> 8);
    default:
        return 0;
    }
}

static uint64_t pit_io_read(void *opaque, uint64_t offset, unsigned size)
{
    PITState *s = opaque;
    if (offset >= 3) {
        return 0xff;    /* the control word register cannot be read */
    }
    return pit_read_count(s, (int)offset);
}

static void pit_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PITState *s = opaque;
    if (offset == 3) {
        pit_write_control(s, (uint8_t)value);
    } else if (offset < 3) {
        pit_write_count(s, (int)offset, (uint8_t)value);
    }
}

static uint64_t port61_read(void *opaque, uint64_t offset, unsigned size)
{
    PITState *s = opaque;
    int64_t now = pit_now(s);
    bool refresh = (now / REFRESH_NS) & 1;
    return (s->ch[2].gate ? 0x01 : 0) | (s->speaker_data ? 0x02 : 0) |
           (refresh ? 0x10 : 0) | (chan_out(&s->ch[2], now) ? 0x20 : 0);
}

static void port61_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    PITState *s = opaque;
    s->speaker_data = value & 0x02;
    chan_set_gate(s, 2, value & 0x01);
}

static const MemoryOps pit_io_ops = {
    .read = pit_io_read, .write = pit_io_write, .min_access = 1, .max_access = 1,
};
static const MemoryOps port61_ops = {
    .read = port61_read, .write = port61_write, .min_access = 1, .max_access = 1,
};

int pit_get_out(Device *dev, int channel)
{
    PITState *s = (PITState *)dev;
    if (channel < 0 || channel > 2) {
        return -1;
    }
    return chan_out(&s->ch[channel], pit_now(s));
}

/* ---- lifecycle ---- */

static void pit_reset(Device *dev)
{
    PITState *s = (PITState *)dev;
    for (int i = 0; i < 3; i++) {
        PITChannel *c = &s->ch[i];
        memset(c, 0, sizeof(*c));
        c->count = 65536;
        c->gate = i != 2;   /* channels 0 and 1 have their gates tied high */
    }
    s->speaker_data = false;
    timer_del(&s->timer);
    pit_set_irq(s, 0);
}

static void pit_unrealize(Device *dev)
{
    PITState *s = (PITState *)dev;
    timer_del(&s->timer);
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
    if (s->io61) {
        iomap_del(&dev->machine->io, s->io61);
        s->io61 = NULL;
    }
}

static bool pit_realize(Device *dev, Error **errp)
{
    PITState *s = (PITState *)dev;
    Machine *m = dev->machine;
    if (s->irq >= NUM_GSI) {
        error_setg(errp, "isa-pit: irq=%u: must be below %d", s->irq, NUM_GSI);
        return false;
    }
    if (s->iobase > 0xfffc) {
        error_setg(errp, "isa-pit: iobase=0x%x: outside the IO space", s->iobase);
        return false;
    }
    s->io = iomap_add(&m->io, "i8254", s->iobase, 4, &pit_io_ops, s, errp);
    if (!s->io) {
        return false;
    }
    s->io61 = iomap_add(&m->io, "port61", 0x61, 1, &port61_ops, s, errp);
    if (!s->io61) {
        pit_unrealize(dev);
        return false;
    }
    s->irq_line = m->gsi[s->irq];
    timer_init(&s->timer, &m->timers, pit_timer_cb, s);
    pit_reset(dev);
    return true;
}

static const Property pit_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(PITState, iobase),
      .def = 0x40, .desc = "first of the four ports" },
    { .name = "irq", .type = PROP_U32, .offset = offsetof(PITState, irq),
      .def = 0, .desc = "interrupt line (GSI) of channel 0" },
    PROP_END,
};

static const DeviceClass pit_class = {
    .name = "isa-pit",
    .desc = "8254 interval timer (0x40-0x43, IRQ 0) and port 0x61",
    .bus = "isa",
    .instance_size = sizeof(PITState),
    .user_creatable = false,
    .props = pit_props,
    .realize = pit_realize,
    .reset = pit_reset,
    .unrealize = pit_unrealize,
};

DEVICE_CLASS_REGISTER(pit_class)
