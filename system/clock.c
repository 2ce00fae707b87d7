/*
 * clock.c: the virtual clock and timer lists (include/system/clock.h).
 */
#include "util/osdep.h"
#include "system/clock.h"
#include <time.h>

int64_t host_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void clock_init(Clock *c, bool manual)
{
    memset(c, 0, sizeof(*c));
    c->manual = manual;
    c->running = false;
    c->stopped_ns = 0;
}

int64_t clock_ns(const Clock *c)
{
    if (c->manual) {
        return c->manual_ns;
    }
    if (!c->running) {
        return c->stopped_ns;
    }
    return host_clock_ns() + c->offset_ns;
}

void clock_start(Clock *c)
{
    if (!c->manual && !c->running) {
        c->offset_ns = c->stopped_ns - host_clock_ns();
        c->running = true;
    }
}

void clock_stop(Clock *c)
{
    if (!c->manual && c->running) {
        c->stopped_ns = clock_ns(c);
        c->running = false;
    }
}

void timerlist_init(TimerList *tl, bool manual_clock)
{
    memset(tl, 0, sizeof(*tl));
    clock_init(&tl->clock, manual_clock);
    tl->active = g_ptr_array_new();
}

void timerlist_destroy(TimerList *tl)
{
    for (guint i = 0; i < tl->active->len; i++) {
        ((Timer *)g_ptr_array_index(tl->active, i))->pending = false;
    }
    g_ptr_array_free(tl->active, true);
    tl->active = NULL;
}

int64_t timerlist_deadline_ns(TimerList *tl)
{
    if (!tl->active->len) {
        return -1;
    }
    Timer *t = g_ptr_array_index(tl->active, 0);
    int64_t d = t->expire_ns - clock_ns(&tl->clock);
    return d < 0 ? 0 : d;
}

bool timerlist_run_expired(TimerList *tl)
{
    bool ran = false;
    int64_t now = clock_ns(&tl->clock);
    while (tl->active->len) {
        Timer *t = g_ptr_array_index(tl->active, 0);
        if (t->expire_ns > now) {
            break;
        }
        g_ptr_array_remove_index(tl->active, 0);
        t->pending = false;
        t->cb(t->opaque);   /* may re-arm itself */
        ran = true;
    }
    return ran;
}

int64_t timerlist_step(TimerList *tl, int64_t ns)
{
    Clock *c = &tl->clock;
    int64_t target;
    if (ns < 0) {
        if (!tl->active->len) {
            return clock_ns(c);
        }
        target = ((Timer *)g_ptr_array_index(tl->active, 0))->expire_ns;
        if (target < c->manual_ns) {
            target = c->manual_ns;
        }
    } else {
        target = c->manual_ns + ns;
    }
    /* Advance deadline by deadline so each timer sees its own expiry time. */
    while (tl->active->len) {
        Timer *t = g_ptr_array_index(tl->active, 0);
        if (t->expire_ns > target) {
            break;
        }
        if (t->expire_ns > c->manual_ns) {
            c->manual_ns = t->expire_ns;
        }
        timerlist_run_expired(tl);
    }
    c->manual_ns = target;
    return target;
}

void timer_init(Timer *t, TimerList *tl, TimerCb cb, void *opaque)
{
    memset(t, 0, sizeof(*t));
    t->list = tl;
    t->cb = cb;
    t->opaque = opaque;
}

void timer_del(Timer *t)
{
    if (t->pending) {
        g_ptr_array_remove(t->list->active, t);
        t->pending = false;
    }
}

void timer_mod(Timer *t, int64_t expire_ns)
{
    TimerList *tl = t->list;
    timer_del(t);
    guint i = 0;
    while (i < tl->active->len &&
           ((Timer *)g_ptr_array_index(tl->active, i))->expire_ns <= expire_ns) {
        i++;
    }
    g_ptr_array_insert(tl->active, i, t);
    t->expire_ns = expire_ns;
    t->pending = true;
    if (i == 0 && tl->deadline_changed) {
        tl->deadline_changed(tl->notify_opaque);
    }
}
