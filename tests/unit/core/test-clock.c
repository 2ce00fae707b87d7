/*
 * test-clock.c: timers on a manual clock fire in deadline order, each seeing
 * its own deadline as "now"; re-arming from a callback works.
 */
#include "util/osdep.h"
#include "system/clock.h"

typedef struct Tick {
    Timer t;
    TimerList *tl;
    GArray *log;
    int64_t period;
    int id;
} Tick;

static void tick_cb(void *opaque)
{
    Tick *k = opaque;
    int64_t now = clock_ns(&k->tl->clock);
    int64_t rec[2] = { k->id, now };
    g_array_append_vals(k->log, rec, 2);
    if (k->period) {
        timer_mod(&k->t, now + k->period);
    }
}

static void test_order_and_rearm(void)
{
    TimerList tl;
    timerlist_init(&tl, true);
    GArray *log = g_array_new(false, false, sizeof(int64_t));
    Tick a = { .tl = &tl, .log = log, .period = 300, .id = 1 };
    Tick b = { .tl = &tl, .log = log, .period = 0, .id = 2 };
    timer_init(&a.t, &tl, tick_cb, &a);
    timer_init(&b.t, &tl, tick_cb, &b);
    timer_mod(&a.t, 300);
    timer_mod(&b.t, 500);
    g_assert_cmpint(timerlist_deadline_ns(&tl), ==, 300);
    g_assert_cmpint(timerlist_step(&tl, 1000), ==, 1000);
    /* a@300, b@500, a@600, a@900 */
    int64_t want[] = { 1, 300, 2, 500, 1, 600, 1, 900 };
    g_assert_cmpuint(log->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < log->len; i++) {
        g_assert_cmpint(g_array_index(log, int64_t, i), ==, want[i]);
    }
    g_assert_true(timer_pending(&a.t));
    g_assert_false(timer_pending(&b.t));
    /* Step to the next deadline only. */
    g_assert_cmpint(timerlist_step(&tl, -1), ==, 1200);
    timer_del(&a.t);
    g_assert_cmpint(timerlist_deadline_ns(&tl), ==, -1);
    g_array_free(log, true);
    timerlist_destroy(&tl);
}

static void test_host_clock_stops(void)
{
    Clock c;
    clock_init(&c, false);
    g_assert_cmpint(clock_ns(&c), ==, 0);
    clock_start(&c);
    g_usleep(2000);
    clock_stop(&c);
    int64_t t = clock_ns(&c);
    g_assert_cmpint(t, >=, 2000000);
    g_usleep(2000);
    g_assert_cmpint(clock_ns(&c), ==, t);   /* paused time does not count */
    clock_start(&c);
    g_assert_cmpint(clock_ns(&c), >=, t);
    g_assert_cmpint(clock_ns(&c), <, t + 1000000000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/clock/order-and-rearm", test_order_and_rearm);
    g_test_add_func("/clock/host-clock-stops", test_host_clock_stops);
    return g_test_run();
}
