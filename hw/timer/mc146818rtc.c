/*
 * mc146818rtc.c: "mc146818rtc", the PC real-time clock and its 128 bytes of
 * CMOS RAM (Motorola MC146818A datasheet; the PC/AT wiring puts the index
 * register at 0x70 and the data register at 0x71, the interrupt on IRQ 8).
 *
 * Time keeping: the clock starts from the host's UTC time at realize and then
 * follows the machine's virtual clock, so it stands still while the machine is
 * paused and is deterministic under the device harness. While it runs, the
 * time registers are not stored but computed on every read from
 *     seconds = base_sec + floor((now - base_ns) / 1 s)
 * which makes the once-a-second update free. While SET is 1 or the divider is
 * held in reset the registers hold a latched copy the guest may rewrite; when
 * the clock restarts, base_sec is recomputed from them.
 *
 * Interrupt flags (register C) are sticky and are worked out lazily for the
 * interval since they were last looked at (rtc_catch_up): a timer runs only when
 * an interrupt that needs one is enabled, so an idle RTC costs nothing and does
 * not disturb the harness's "step to the next deadline".
 * docs/devices.md "mc146818rtc".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "hw/timer/mc146818rtc.h"
#include "system/machine.h"
#include <time.h>

#define NS_PER_SEC     1000000000LL
#define RTC_TICK_HZ    32768          /* the time base of the divider chain */
#define RTC_UIP_NS     244000         /* UIP is 1 for 244 us before an update */

/* Registers (datasheet "Address map"). */
#define REG_SEC        0x00
#define REG_SEC_ALARM  0x01
#define REG_MIN        0x02
#define REG_MIN_ALARM  0x03
#define REG_HOUR       0x04
#define REG_HOUR_ALARM 0x05
#define REG_WDAY       0x06
#define REG_MDAY       0x07
#define REG_MON        0x08
#define REG_YEAR       0x09
#define REG_A          0x0a
#define REG_B          0x0b
#define REG_C          0x0c
#define REG_D          0x0d

#define A_UIP          0x80
#define A_DV_SHIFT     4
#define A_DV_MASK      0x70
#define A_RS_MASK      0x0f

#define B_SET          0x80
#define B_PIE          0x40
#define B_AIE          0x20
#define B_UIE          0x10
#define B_SQWE         0x08
#define B_DM_BINARY    0x04
#define B_24H          0x02
#define B_DSE          0x01

#define C_IRQF         0x80
#define C_PF           0x40
#define C_AF           0x20
#define C_UF           0x10

#define D_VRT          0x80

#define HOUR_PM        0x80
#define ALARM_DONT_CARE 0xc0

typedef struct RTCState {
    Device parent;
    uint32_t iobase;
    uint32_t irq;

    IRQLine *irq_line;
    IoRegion *io;
    int irq_level;

    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    bool nmi_disabled;      /* bit 7 of the index write; the board may read it */

    /* RTC time while running: base_sec + floor_div(now - base_ns, 1 s).
     * base_ns is also the origin of the divider chain (periodic interrupts). */
    int64_t base_sec;
    int64_t base_ns;
    /* Virtual time up to which the register C flags have been worked out. */
    int64_t mark_ns;

    Timer update_timer;     /* at each second edge, while UIE or AIE is on */
    Timer periodic_timer;   /* at each periodic edge, while PIE is on */
} RTCState;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b) != 0 && ((a < 0) != (b < 0))) {
        q--;
    }
    return q;
}

static int64_t rtc_now(RTCState *s)
{
    return clock_ns(&s->parent.machine->timers.clock);
}

/* The divider chain runs (DV = 000, 001 or 010). 11x holds it in reset; the
 * 011-101 test modes are treated as stopped too. */
static bool rtc_divider_running(uint8_t reg_a)
{
    return ((reg_a & A_DV_MASK) >> A_DV_SHIFT) <= 2;
}

/* Time registers advance (updates happen). */
static bool rtc_clock_running(const uint8_t *cmos)
{
    return rtc_divider_running(cmos[REG_A]) && !(cmos[REG_B] & B_SET);
}

static int64_t rtc_seconds_at(RTCState *s, int64_t now)
{
    return s->base_sec + floor_div(now - s->base_ns, NS_PER_SEC);
}

/* ---- register encoding (BCD or binary, 12 or 24 hour) ---- */

static uint8_t rtc_to_reg(RTCState *s, int v)
{
    if (s->cmos[REG_B] & B_DM_BINARY) {
        return (uint8_t)v;
    }
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static int rtc_from_reg(RTCState *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_DM_BINARY) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t rtc_hour_to_reg(RTCState *s, int hour)
{
    if (s->cmos[REG_B] & B_24H) {
        return rtc_to_reg(s, hour);
    }
    int h12 = hour % 12;
    return rtc_to_reg(s, h12 ? h12 : 12) | (hour >= 12 ? HOUR_PM : 0);
}

static int rtc_hour_from_reg(RTCState *s, uint8_t v)
{
    if (s->cmos[REG_B] & B_24H) {
        return rtc_from_reg(s, v);
    }
    int h = rtc_from_reg(s, v & ~HOUR_PM) % 12;
    return (v & HOUR_PM) ? h + 12 : h;
}

/* Write the time t (seconds since the epoch, UTC) into the time registers. */
static void rtc_store_time(RTCState *s, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        return;
    }
    int year = tm.tm_year + 1900;
    s->cmos[REG_SEC] = rtc_to_reg(s, tm.tm_sec);
    s->cmos[REG_MIN] = rtc_to_reg(s, tm.tm_min);
    s->cmos[REG_HOUR] = rtc_hour_to_reg(s, tm.tm_hour);
    s->cmos[REG_WDAY] = rtc_to_reg(s, tm.tm_wday + 1);
    s->cmos[REG_MDAY] = rtc_to_reg(s, tm.tm_mday);
    s->cmos[REG_MON] = rtc_to_reg(s, tm.tm_mon + 1);
    s->cmos[REG_YEAR] = rtc_to_reg(s, year % 100);
    s->cmos[RTC_REG_CENTURY] = rtc_to_reg(s, (year / 100) % 100);
}

/* The time the registers hold. Guest-written nonsense (hour 0x99, month 0) is
 * normalised by timegm rather than rejected, as the chip would simply count on
 * from it; the day of week is derived from the date. */
static int64_t rtc_load_time(RTCState *s)
{
    struct tm tm = { 0 };
    tm.tm_sec = rtc_from_reg(s, s->cmos[REG_SEC]);
    tm.tm_min = rtc_from_reg(s, s->cmos[REG_MIN]);
    tm.tm_hour = rtc_hour_from_reg(s, s->cmos[REG_HOUR]);
    tm.tm_mday = rtc_from_reg(s, s->cmos[REG_MDAY]);
    tm.tm_mon = rtc_from_reg(s, s->cmos[REG_MON]) - 1;
    tm.tm_year = rtc_from_reg(s, s->cmos[RTC_REG_CENTURY]) * 100 +
                 rtc_from_reg(s, s->cmos[REG_YEAR]) - 1900;
    return (int64_t)timegm(&tm);
}

static bool rtc_is_time_reg(unsigned addr)
{
    return addr == REG_SEC || addr == REG_MIN || addr == REG_HOUR || addr == REG_WDAY ||
           addr == REG_MDAY || addr == REG_MON || addr == REG_YEAR ||
           addr == RTC_REG_CENTURY;
}

/* Bring the time registers up to date (no-op while they are latched). */
static void rtc_refresh_time(RTCState *s, int64_t now)
{
    if (rtc_clock_running(s->cmos)) {
        rtc_store_time(s, rtc_seconds_at(s, now));
    }
}

/* ---- interrupt flags ---- */

static bool rtc_alarm_field_matches(uint8_t alarm, uint8_t cur)
{
    return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == cur;
}

/* Does the alarm match at time t? Compared in register encoding, as the chip
 * does: an alarm written in another format than the time never matches. */
static bool rtc_alarm_matches(RTCState *s, int64_t t)
{
    int64_t tod = t % 86400;
    if (tod < 0) {
        tod += 86400;
    }
    return rtc_alarm_field_matches(s->cmos[REG_SEC_ALARM], rtc_to_reg(s, tod % 60)) &&
           rtc_alarm_field_matches(s->cmos[REG_MIN_ALARM],
                                   rtc_to_reg(s, (tod / 60) % 60)) &&
           rtc_alarm_field_matches(s->cmos[REG_HOUR_ALARM],
                                   rtc_hour_to_reg(s, (int)(tod / 3600)));
}

/* Period of the periodic interrupt in 32.768 kHz ticks, 0 when off
 * (datasheet table "Periodic interrupt rate": RS 1 and 2 repeat 8 and 9). */
static int64_t rtc_periodic_ticks(uint8_t reg_a)
{
    unsigned rs = reg_a & A_RS_MASK;
    if (rs == 0) {
        return 0;
    }
    if (rs <= 2) {
        rs += 7;
    }
    return 1LL << (rs - 1);
}

/* Divider ticks elapsed at virtual time now (split to avoid overflow). */
static int64_t rtc_ticks_at(RTCState *s, int64_t now)
{
    int64_t d = now - s->base_ns;
    int64_t sec = floor_div(d, NS_PER_SEC);
    int64_t rem = d - sec * NS_PER_SEC;
    return sec * RTC_TICK_HZ + rem * RTC_TICK_HZ / NS_PER_SEC;
}

/* Virtual time of divider tick number tick (the first ns at which it has passed). */
static int64_t rtc_tick_time(RTCState *s, int64_t tick)
{
    int64_t sec = floor_div(tick, RTC_TICK_HZ);
    int64_t rem = tick - sec * RTC_TICK_HZ;
    return s->base_ns + sec * NS_PER_SEC +
           (rem * NS_PER_SEC + RTC_TICK_HZ - 1) / RTC_TICK_HZ;
}

static void rtc_update_irq(RTCState *s)
{
    uint8_t c = s->cmos[REG_C] & (C_PF | C_AF | C_UF);
    uint8_t b = s->cmos[REG_B];
    bool irqf = ((c & C_PF) && (b & B_PIE)) || ((c & C_AF) && (b & B_AIE)) ||
                ((c & C_UF) && (b & B_UIE));
    s->cmos[REG_C] = c | (irqf ? C_IRQF : 0);
    if (irqf != s->irq_level) {
        s->irq_level = irqf;
        irq_set(s->irq_line, irqf);
    }
}

/* Set the flags of every event in (mark_ns, now]. The configuration has been
 * constant over that interval: every control change catches up first. */
static void rtc_catch_up(RTCState *s, int64_t now)
{
    int64_t from = s->mark_ns;
    if (now <= from) {
        return;
    }
    s->mark_ns = now;

    int64_t period = rtc_periodic_ticks(s->cmos[REG_A]);
    if (period && rtc_divider_running(s->cmos[REG_A]) &&
        floor_div(rtc_ticks_at(s, now), period) >
        floor_div(rtc_ticks_at(s, from), period)) {
        s->cmos[REG_C] |= C_PF;
    }

    if (rtc_clock_running(s->cmos)) {
        int64_t k_from = floor_div(from - s->base_ns, NS_PER_SEC);
        int64_t k_now = floor_div(now - s->base_ns, NS_PER_SEC);
        if (k_now > k_from) {
            s->cmos[REG_C] |= C_UF;
            /* One day of seconds covers every time of day the alarm can match. */
            int64_t last = MIN(k_now, k_from + 86400);
            if (!(s->cmos[REG_C] & C_AF)) {
                for (int64_t k = k_from + 1; k <= last; k++) {
                    if (rtc_alarm_matches(s, s->base_sec + k)) {
                        s->cmos[REG_C] |= C_AF;
                        break;
                    }
                }
            }
        }
    }
}

/* Arm the timers that interrupts need (and only those). */
static void rtc_schedule(RTCState *s, int64_t now)
{
    uint8_t a = s->cmos[REG_A], b = s->cmos[REG_B];
    if ((b & (B_UIE | B_AIE)) && rtc_clock_running(s->cmos)) {
        int64_t k = floor_div(now - s->base_ns, NS_PER_SEC);
        timer_mod(&s->update_timer, s->base_ns + (k + 1) * NS_PER_SEC);
    } else {
        timer_del(&s->update_timer);
    }
    int64_t period = rtc_periodic_ticks(a);
    if ((b & B_PIE) && period && rtc_divider_running(a)) {
        int64_t n = floor_div(rtc_ticks_at(s, now), period);
        timer_mod(&s->periodic_timer, rtc_tick_time(s, (n + 1) * period));
    } else {
        timer_del(&s->periodic_timer);
    }
}

static void rtc_timer_cb(void *opaque)
{
    RTCState *s = opaque;
    int64_t now = rtc_now(s);
    rtc_catch_up(s, now);
    rtc_update_irq(s);
    rtc_schedule(s, now);
}

/* ---- register access ---- */

/* Change A and/or B: latch the time when the clock stops, re-base it when the
 * clock starts again. */
static void rtc_set_control(RTCState *s, uint8_t new_a, uint8_t new_b, int64_t now)
{
    bool was_running = rtc_clock_running(s->cmos);
    bool divider_was_running = rtc_divider_running(s->cmos[REG_A]);

    rtc_catch_up(s, now);
    if (was_running && (!rtc_divider_running(new_a) || (new_b & B_SET))) {
        rtc_refresh_time(s, now);   /* latch, in the format of the old B */
    }
    s->cmos[REG_A] = new_a & ~A_UIP;
    s->cmos[REG_B] = new_b;
    if (!divider_was_running && rtc_divider_running(new_a)) {
        /* Leaving divider reset: the first update comes half a second later
         * (datasheet, "Divider chain control"). */
        s->base_ns = now - NS_PER_SEC / 2;
    }
    if (!was_running && rtc_clock_running(s->cmos)) {
        /* The divider kept counting while SET was 1: keep its phase. */
        s->base_ns += floor_div(now - s->base_ns, NS_PER_SEC) * NS_PER_SEC;
        s->base_sec = rtc_load_time(s);
    }
    rtc_update_irq(s);
    rtc_schedule(s, now);
}

static void rtc_write_reg(RTCState *s, unsigned addr, uint8_t val)
{
    int64_t now = rtc_now(s);

    if (rtc_is_time_reg(addr)) {
        if (rtc_clock_running(s->cmos)) {
            /* Set one field of the running clock: the others keep their value
             * and the second keeps its phase. */
            rtc_catch_up(s, now);
            rtc_refresh_time(s, now);
            s->cmos[addr] = val;
            s->base_ns += floor_div(now - s->base_ns, NS_PER_SEC) * NS_PER_SEC;
            s->base_sec = rtc_load_time(s);
            rtc_schedule(s, now);
        } else {
            s->cmos[addr] = val;
        }
        return;
    }
    switch (addr) {
    case REG_A:
        rtc_set_control(s, val, s->cmos[REG_B], now);
        break;
    case REG_B:
        /* Setting SET clears UIE (datasheet, register B bit 4). */
        rtc_set_control(s, s->cmos[REG_A], (val & B_SET) ? (val & ~B_UIE) : val, now);
        break;
    case REG_C:
    case REG_D:
        break;                      /* read-only */
    case REG_SEC_ALARM:
    case REG_MIN_ALARM:
    case REG_HOUR_ALARM:
        rtc_catch_up(s, now);       /* the old alarm applies up to now */
        s->cmos[addr] = val;
        break;
    default:
        if (addr < RTC_CMOS_SIZE) {
            s->cmos[addr] = val;
        }
        break;
    }
}

/* Read a register; clear_c says whether this is a guest read that clears
 * register C. */
static uint8_t rtc_read_reg(RTCState *s, unsigned addr, bool clear_c)
{
    int64_t now = rtc_now(s);

    if (addr >= RTC_CMOS_SIZE) {
        return 0xff;
    }
    if (rtc_is_time_reg(addr)) {
        rtc_refresh_time(s, now);
        return s->cmos[addr];
    }
    switch (addr) {
    case REG_A: {
        uint8_t a = s->cmos[REG_A];
        if (rtc_clock_running(s->cmos)) {
            int64_t into = now - s->base_ns - floor_div(now - s->base_ns, NS_PER_SEC) *
                           NS_PER_SEC;
            if (into >= NS_PER_SEC - RTC_UIP_NS) {
                a |= A_UIP;
            }
        }
        return a;
    }
    case REG_C: {
        rtc_catch_up(s, now);
        rtc_update_irq(s);
        uint8_t c = s->cmos[REG_C];
        if (clear_c) {
            s->cmos[REG_C] = 0;
            rtc_update_irq(s);
        }
        return c;
    }
    case REG_D:
        return D_VRT;               /* the battery is always good */
    default:
        return s->cmos[addr];
    }
}

static uint64_t rtc_io_read(void *opaque, uint64_t offset, unsigned size)
{
    RTCState *s = opaque;
    if (offset == 0) {
        return 0xff;                /* the index register is write-only */
    }
    return rtc_read_reg(s, s->index, true);
}

static void rtc_io_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    RTCState *s = opaque;
    if (offset == 0) {
        s->index = value & 0x7f;
        s->nmi_disabled = value & 0x80;
        return;
    }
    rtc_write_reg(s, s->index, (uint8_t)value);
}

static const MemoryOps rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- board API ---- */

static RTCState *rtc_from_dev(Device *dev)
{
    g_assert(dev && !strcmp(dev->cls->name, "mc146818rtc"));
    return (RTCState *)dev;
}

void rtc_set_cmos(Device *rtc, unsigned addr, uint8_t val)
{
    RTCState *s = rtc_from_dev(rtc);
    if (addr < RTC_CMOS_SIZE) {
        rtc_write_reg(s, addr, val);
    }
}

uint8_t rtc_get_cmos(Device *rtc, unsigned addr)
{
    return rtc_read_reg(rtc_from_dev(rtc), addr, false);
}

/* ---- lifecycle ---- */

static bool rtc_realize(Device *dev, Error **errp)
{
    RTCState *s = (RTCState *)dev;
    Machine *m = dev->machine;

    if (s->irq >= NUM_GSI) {
        error_setg(errp, "mc146818rtc: irq=%u: must be below %d", s->irq, NUM_GSI);
        return false;
    }
    if (s->iobase > 0xfffe) {
        error_setg(errp, "mc146818rtc: iobase=0x%x: outside the IO space", s->iobase);
        return false;
    }
    s->io = iomap_add(&m->io, "mc146818rtc", s->iobase, 2, &rtc_io_ops, s, errp);
    if (!s->io) {
        return false;
    }
    s->irq_line = m->gsi[s->irq];
    timer_init(&s->update_timer, &m->timers, rtc_timer_cb, s);
    timer_init(&s->periodic_timer, &m->timers, rtc_timer_cb, s);

    /* Power-on state as a BIOS leaves it: 32.768 kHz divider, 1024 Hz periodic
     * rate, BCD, 24-hour mode. */
    memset(s->cmos, 0, sizeof(s->cmos));
    s->cmos[REG_A] = 0x26;
    s->cmos[REG_B] = B_24H;
    s->cmos[REG_D] = D_VRT;

    /* UTC from the host, with the second edges aligned to the host's. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = rtc_now(s);
    s->base_sec = ts.tv_sec;
    s->base_ns = now - ts.tv_nsec;
    s->mark_ns = now;
    rtc_refresh_time(s, now);
    return true;
}

/* The RESET pin (system reset) clears the interrupt enables and flags; time,
 * date and RAM are kept (datasheet, "RESET"). */
static void rtc_reset(Device *dev)
{
    RTCState *s = (RTCState *)dev;
    int64_t now = rtc_now(s);
    rtc_catch_up(s, now);
    s->cmos[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
    s->cmos[REG_C] = 0;
    rtc_update_irq(s);
    rtc_schedule(s, now);
}

static void rtc_unrealize(Device *dev)
{
    RTCState *s = (RTCState *)dev;
    timer_del(&s->update_timer);
    timer_del(&s->periodic_timer);
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static const Property rtc_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(RTCState, iobase),
      .def = 0x70, .desc = "index port (data port is iobase + 1)" },
    { .name = "irq", .type = PROP_U32, .offset = offsetof(RTCState, irq),
      .def = 8, .desc = "interrupt line (GSI)" },
    PROP_END,
};

static const DeviceClass rtc_class = {
    .name = "mc146818rtc",
    .desc = "MC146818 real-time clock and CMOS RAM",
    .bus = "isa",
    .instance_size = sizeof(RTCState),
    .user_creatable = false,
    .props = rtc_props,
    .realize = rtc_realize,
    .reset = rtc_reset,
    .unrealize = rtc_unrealize,
};

DEVICE_CLASS_REGISTER(rtc_class)
