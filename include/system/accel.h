/*
 * accel.h: what an accelerator (KVM, the translator, the device harness)
 * provides. The machine and its devices never know which one runs.
 */
#ifndef SYSTEM_ACCEL_H
#define SYSTEM_ACCEL_H

#include "system/machine.h"

struct AccelOps {
    const char *name;
    /* VM-wide set-up after the board built memory and devices: map RAM, create
     * the interrupt controller and wire m->gsi[] to it. */
    bool (*init)(Machine *m, Error **errp);
    bool (*cpu_init)(CPUState *cpu, Error **errp);
    /* Start the vCPU thread; it runs until the machine shuts down. */
    void (*cpu_start)(CPUState *cpu);
    /* Make the vCPU leave guest code promptly and look at its requests. */
    void (*cpu_kick)(CPUState *cpu);
    /* Wait for the thread to end after shutdown, free per-vCPU state. */
    void (*cpu_destroy)(CPUState *cpu);
    void (*destroy)(Machine *m);
};

const AccelOps *accel_find(const char *name);
/* "kvm" can be asked whether it can run at all, for tests and messages. */
bool kvm_available(Error **errp);

extern const AccelOps kvm_accel_ops;
extern const AccelOps qtest_accel_ops;
extern const AccelOps tcg_accel_ops;

/* Called by a vCPU thread when it leaves guest code: parks if asked to.
 * Takes and drops the machine lock. Returns false once the machine is shutting
 * down and the thread should end. */
bool cpu_handle_requests(CPUState *cpu);

#endif
