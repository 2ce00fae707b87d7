/*
 * cpus.c: parking and resuming vCPU threads, the handshake every accelerator's
 * vCPU loop goes through when it leaves guest code.
 */
#include "util/osdep.h"
#include "system/machine.h"
#include "system/accel.h"

bool cpu_handle_requests(CPUState *cpu)
{
    Machine *m = cpu->machine;
    bool alive;

    machine_lock(m);
    cpu->exit_request = 0;
    while (cpu->stop && !m->shutdown_requested) {
        cpu->stopped = true;
        g_cond_broadcast(&m->cpu_cond);
        g_cond_wait(&m->cpu_cond, &m->lock);
    }
    alive = !m->shutdown_requested;
    /* An ending thread counts as parked for anyone waiting on it. */
    cpu->stopped = !alive;
    if (!alive) {
        g_cond_broadcast(&m->cpu_cond);
    }
    machine_unlock(m);
    return alive;
}

void machine_pause_cpus(Machine *m)
{
    for (int i = 0; i < m->ncpus; i++) {
        CPUState *cpu = m->cpus[i];
        if (!cpu->thread) {
            continue;
        }
        cpu->stop = true;
        cpu->exit_request = 1;
        if (m->accel->cpu_kick) {
            m->accel->cpu_kick(cpu);
        }
    }
    for (int i = 0; i < m->ncpus; i++) {
        CPUState *cpu = m->cpus[i];
        while (cpu->thread && !cpu->stopped && !m->shutdown_requested) {
            g_cond_wait(&m->cpu_cond, &m->lock);
        }
    }
    clock_stop(&m->timers.clock);
}

void machine_resume_cpus(Machine *m)
{
    clock_start(&m->timers.clock);
    for (int i = 0; i < m->ncpus; i++) {
        m->cpus[i]->stop = false;
    }
    g_cond_broadcast(&m->cpu_cond);
}
