/*
 * machine.c: creating a machine, its run state, reset and the main loop.
 *
 * The main loop is a GLib main context iterated by hand so that the machine
 * lock is dropped exactly while the thread sleeps in poll(), and so that the
 * poll timeout also covers the next device timer with nanosecond precision.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/machine.h"
#include "system/accel.h"
#include "system/qtest.h"
#include "hw/device.h"
#include "hw/pc/boot.h"
#include "chardev/char.h"
#include <poll.h>
#include <time.h>

/* The PC's RAM split (i440FX): with more than 3.5 GiB, RAM stops at 3 GiB so the
 * PCI hole fits below 4 GiB, and the rest is mapped at 4 GiB. */
#define PC_MAX_RAM_BELOW_4G 0xe0000000ULL
#define PC_RAM_SPLIT_4G     0xc0000000ULL
#define PC_MAX_RAM          (1ULL << 40)   /* 1 TiB: 40-bit physical addresses */

static void machine_timers_changed(void *opaque)
{
    Machine *m = opaque;
    g_main_context_wakeup(m->ctx);
}

Machine *machine_new(const MachineConfig *cfg, Error **errp)
{
    if (cfg->ram_size < 1 * MiB) {
        error_setg(errp, "-m %" PRIu64 "K: a PC needs at least 1 MiB of RAM",
                   cfg->ram_size / KiB);
        return NULL;
    }
    if (cfg->ram_size > PC_MAX_RAM) {
        error_setg(errp, "-m %" PRIu64 "G: more than the 1 TiB this machine can address",
                   cfg->ram_size / GiB);
        return NULL;
    }
    Machine *m = g_new0(Machine, 1);
    m->cfg = *cfg;
    m->cfg.kernel = g_strdup(cfg->kernel);
    m->cfg.initrd = g_strdup(cfg->initrd);
    m->cfg.append = g_strdup(cfg->append);
    m->cfg.bios = g_strdup(cfg->bios);
    m->cfg.accel = g_strdup(cfg->accel ? cfg->accel : "qtest");
    m->cfg.tcg_backend = g_strdup(cfg->tcg_backend);
    m->cfg.cpu_model = g_strdup(cfg->cpu_model);
    m->cfg.qtest = g_strdup(cfg->qtest);
    for (int i = 0; i < MAX_SERIAL; i++) {
        m->cfg.serial[i] = g_strdup(cfg->serial[i]);
    }
    if (m->cfg.smp < 1) {
        m->cfg.smp = 1;
    }

    g_mutex_init(&m->lock);
    g_cond_init(&m->cpu_cond);
    m->ctx = g_main_context_new();
    timerlist_init(&m->timers, !strcmp(m->cfg.accel, "qtest"));
    m->timers.deadline_changed = machine_timers_changed;
    m->timers.notify_opaque = m;
    memmap_init(&m->mem);
    iomap_init(&m->io);
    m->devices = g_ptr_array_new();
    m->chardevs = g_ptr_array_new();
    m->state = RUN_STATE_PRELAUNCH;
    for (int i = 0; i < NUM_GSI; i++) {
        m->gsi[i] = irq_new(NULL, NULL, i);
    }

    uint64_t ram = m->cfg.ram_size;
    m->below_4g_mem = ram >= PC_MAX_RAM_BELOW_4G ? PC_RAM_SPLIT_4G : ram;
    m->above_4g_mem = ram - m->below_4g_mem;
    m->ram = ram_block_new("pc.ram", ram, errp);
    if (!m->ram) {
        error_prepend(errp, "-m %" PRIu64 "M: ", ram / MiB);
        machine_free(m);
        return NULL;
    }
    memmap_add_ram(&m->mem, "ram-below-4g", 0, m->below_4g_mem, m->ram->host, 0);
    if (m->above_4g_mem) {
        memmap_add_ram(&m->mem, "ram-above-4g", 4 * GiB, m->above_4g_mem,
                       m->ram->host + m->below_4g_mem, 0);
    }
    return m;
}

void machine_free(Machine *m)
{
    if (!m) {
        return;
    }
    while (m->devices->len) {
        device_destroy(g_ptr_array_index(m->devices, m->devices->len - 1));
    }
    g_ptr_array_free(m->devices, true);
    for (guint i = 0; i < m->chardevs->len; i++) {
        chardev_free(g_ptr_array_index(m->chardevs, i));
    }
    g_ptr_array_free(m->chardevs, true);
    for (int i = 0; i < m->ncpus; i++) {
        g_free(m->cpus[i]);
    }
    for (int i = 0; i < NUM_GSI; i++) {
        irq_free(m->gsi[i]);
    }
    memmap_destroy(&m->mem);
    iomap_destroy(&m->io);
    ram_block_free(m->ram);
    ram_block_free(m->bios);
    timerlist_destroy(&m->timers);
    g_main_context_unref(m->ctx);
    g_mutex_clear(&m->lock);
    g_cond_clear(&m->cpu_cond);
    g_free(m->cfg.kernel);
    g_free(m->cfg.initrd);
    g_free(m->cfg.append);
    g_free(m->cfg.bios);
    g_free(m->cfg.accel);
    g_free(m->cfg.tcg_backend);
    g_free(m->cfg.cpu_model);
    g_free(m->cfg.qtest);
    for (int i = 0; i < MAX_SERIAL; i++) {
        g_free(m->cfg.serial[i]);
    }
    g_free(m);
}

void machine_lock(Machine *m)
{
    g_mutex_lock(&m->lock);
}

void machine_unlock(Machine *m)
{
    g_mutex_unlock(&m->lock);
}

static void machine_kick_cpus(Machine *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        CPUState *cpu = m->cpus[i];
        cpu->exit_request = 1;
        if (m->accel && m->accel->cpu_kick) {
            m->accel->cpu_kick(cpu);
        }
    }
}

void machine_request_shutdown(Machine *m, int exit_status)
{
    log_mask(LOG_RESET, "shutdown requested, exit status %d\n", exit_status);
    if (!m->shutdown_requested) {
        m->shutdown_requested = true;
        m->exit_status = exit_status;
        if (m->qtest) {
            qtest_notify_shutdown(m, exit_status);
        }
    }
    machine_kick_cpus(m);
    g_main_context_wakeup(m->ctx);
}

void machine_request_reset(Machine *m)
{
    log_mask(LOG_RESET, "system reset requested\n");
    m->reset_requested = true;
    machine_kick_cpus(m);
    g_main_context_wakeup(m->ctx);
}

void machine_request_guest_reset(Machine *m)
{
    if (m->cfg.no_reboot) {
        /* -no-reboot: a guest reset ends the run (or pauses with -no-shutdown). */
        if (m->cfg.no_shutdown) {
            m->state = RUN_STATE_PAUSED;
            for (int i = 0; i < m->ncpus; i++) {
                m->cpus[i]->stop = true;
            }
            machine_kick_cpus(m);
            return;
        }
        machine_request_shutdown(m, 0);
        return;
    }
    machine_request_reset(m);
}

Chardev *machine_find_chardev(Machine *m, const char *id)
{
    for (guint i = 0; i < m->chardevs->len; i++) {
        Chardev *c = g_ptr_array_index(m->chardevs, i);
        if (c->id && !strcmp(c->id, id)) {
            return c;
        }
    }
    return NULL;
}

bool machine_reset(Machine *m, Error **errp)
{
    for (guint i = 0; i < m->devices->len; i++) {
        device_reset(g_ptr_array_index(m->devices, i));
    }
    for (int i = 0; i < m->ncpus; i++) {
        CPUState *cpu = m->cpus[i];
        x86_cpu_reset_state(&cpu->env, i == 0);
        cpu->halted = false;
        cpu->state_dirty = true;
    }
    CPUX86State scratch;
    CPUX86State *bsp = m->ncpus ? &m->cpus[0]->env : &scratch;
    if (!m->ncpus) {
        x86_cpu_reset_state(&scratch, true);
    }
    if (!pc_boot_kernel(m, bsp, errp)) {
        return false;
    }
    if (m->qtest) {
        qtest_notify_reset(m);
    }
    return true;
}

/* ---- main loop ---- */

static void machine_poll(Machine *m, GPollFD *fds, guint nfds, int64_t timeout_ns)
{
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / 1000000000LL;
        ts.tv_nsec = timeout_ns % 1000000000LL;
        tsp = &ts;
    }
    machine_unlock(m);
    /* GPollFD has the layout of struct pollfd on Unix hosts. */
    ppoll((struct pollfd *)fds, nfds, tsp, NULL);
    machine_lock(m);
}

static void machine_handle_reset(Machine *m)
{
    Error *err = NULL;
    m->reset_requested = false;
    machine_pause_cpus(m);
    if (!machine_reset(m, &err)) {
        error_report_err(err);
        machine_request_shutdown(m, 1);
        return;
    }
    machine_resume_cpus(m);
}

int machine_main_loop(Machine *m)
{
    GMainContext *ctx = m->ctx;
    guint alloc = 16;
    GPollFD *fds = g_new(GPollFD, alloc);

    g_main_context_acquire(ctx);
    m->state = RUN_STATE_RUNNING;
    clock_start(&m->timers.clock);
    while (!m->shutdown_requested) {
        if (m->reset_requested) {
            machine_handle_reset(m);
            continue;
        }
        timerlist_run_expired(&m->timers);

        gint max_prio, timeout_ms, n;
        g_main_context_prepare(ctx, &max_prio);
        while ((n = g_main_context_query(ctx, max_prio, &timeout_ms, fds, alloc)) >
               (gint)alloc) {
            alloc = n;
            fds = g_renew(GPollFD, fds, alloc);
        }
        int64_t timeout_ns = timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000;
        if (!m->timers.clock.manual) {
            int64_t dl = timerlist_deadline_ns(&m->timers);
            if (dl >= 0 && (timeout_ns < 0 || dl < timeout_ns)) {
                timeout_ns = dl;
            }
        }
        if (m->shutdown_requested || m->reset_requested) {
            timeout_ns = 0;
        }
        machine_poll(m, fds, n, timeout_ns);
        if (g_main_context_check(ctx, max_prio, fds, n)) {
            g_main_context_dispatch(ctx);
        }
    }
    /* Give backends one last non-blocking round (e.g. a harness reply). */
    while (g_main_context_pending(ctx)) {
        g_main_context_dispatch(ctx);
        if (!g_main_context_iteration(ctx, false)) {
            break;
        }
    }
    clock_stop(&m->timers.clock);
    m->state = RUN_STATE_SHUTDOWN;
    g_main_context_release(ctx);
    g_free(fds);
    return m->exit_status;
}
