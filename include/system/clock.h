/*
 * clock.h: the machine's virtual clock and device timers.
 *
 * Virtual time (ns) follows the host monotonic clock while the machine runs and
 * stands still while it is paused. In the device harness the clock is manual:
 * it moves only when the test steps it, so device tests are deterministic.
 *
 * Timers are callbacks at a virtual-time deadline. They run in the main loop
 * thread with the machine lock held (like every device callback). timer_mod()
 * may be called from any thread holding the machine lock.
 */
#ifndef SYSTEM_CLOCK_H
#define SYSTEM_CLOCK_H

#include "util/osdep.h"

typedef struct Clock {
    bool manual;            /* harness: advanced only by clock_step() */
    bool running;
    int64_t manual_ns;
    int64_t offset_ns;      /* virtual = host monotonic + offset (when running) */
    int64_t stopped_ns;     /* virtual time at which it stopped */
} Clock;

typedef void (*TimerCb)(void *opaque);

typedef struct TimerList TimerList;

typedef struct Timer {
    TimerList *list;
    int64_t expire_ns;      /* virtual time; valid when pending */
    bool pending;
    TimerCb cb;
    void *opaque;
} Timer;

struct TimerList {
    Clock clock;
    GPtrArray *active;      /* Timer *, sorted by expire_ns */
    void (*deadline_changed)(void *opaque);  /* wake the main loop */
    void *notify_opaque;
};

void clock_init(Clock *c, bool manual);
int64_t clock_ns(const Clock *c);
void clock_start(Clock *c);
void clock_stop(Clock *c);
/* Host monotonic time in ns (for things that must not follow the guest clock). */
int64_t host_clock_ns(void);

void timerlist_init(TimerList *tl, bool manual_clock);
void timerlist_destroy(TimerList *tl);
/* ns until the earliest timer (0 if overdue), or -1 if none. */
int64_t timerlist_deadline_ns(TimerList *tl);
/* Run every timer whose deadline has passed; true if any ran. */
bool timerlist_run_expired(TimerList *tl);
/* Harness: advance a manual clock by ns (or to the next deadline if ns < 0),
 * running timers in order as their deadlines pass. Returns the new time. */
int64_t timerlist_step(TimerList *tl, int64_t ns);

void timer_init(Timer *t, TimerList *tl, TimerCb cb, void *opaque);
void timer_mod(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
static inline bool timer_pending(const Timer *t) { return t->pending; }

#endif
