/*
 * machine.h: one emulated PC and everything that hangs off it.
 *
 * There are no global singletons: memory map, port IO, clock, devices, vCPUs
 * and backends all live here, so unit tests can build several machines and
 * both accelerators see the same state.
 *
 * Locking: one machine lock (the "big lock") serialises device models. The main
 * loop holds it except while it sleeps in poll(); a vCPU thread takes it around
 * every port-IO/MMIO dispatch and every state change it requests.
 */
#ifndef SYSTEM_MACHINE_H
#define SYSTEM_MACHINE_H

#include "util/osdep.h"
#include "util/error.h"
#include "system/memory.h"
#include "system/clock.h"
#include "hw/irq.h"
#include "target-x86/cpu.h"

typedef struct Machine Machine;
typedef struct AccelOps AccelOps;
typedef struct Chardev Chardev;
typedef struct Device Device;

#define MAX_CPUS   64
#define NUM_GSI    24
#define MAX_SERIAL 4

typedef enum RunState {
    RUN_STATE_PRELAUNCH,
    RUN_STATE_RUNNING,
    RUN_STATE_PAUSED,
    RUN_STATE_SHUTDOWN,
} RunState;

/* What the command line asked for; filled by system/main.c, read by the board. */
typedef struct MachineConfig {
    uint64_t ram_size;
    int smp;
    char *kernel;
    char *initrd;
    char *append;
    char *bios;
    char *accel;            /* "kvm", "tcg", "qtest" */
    char *tcg_backend;      /* "native" or "interp" */
    char *cpu_model;
    bool kernel_irqchip;
    bool no_reboot;
    bool no_shutdown;
    char *serial[MAX_SERIAL];   /* -serial specs, NULL = none */
    int nr_serial;
    char *qtest;            /* -qtest chardev spec */
} MachineConfig;

/* One virtual CPU. The accelerator owns the thread and its private state. */
typedef struct CPUState {
    Machine *machine;
    int index;
    CPUX86State env;
    GThread *thread;
    void *accel;            /* accelerator-private (e.g. KVM vcpu fd, kvm_run) */
    /* Requests from other threads, under the machine lock. */
    bool stop;              /* park: the main loop is pausing the machine */
    bool stopped;           /* parked (acknowledged) */
    bool halted;
    bool state_dirty;       /* env was changed outside the accelerator: push it */
    volatile int exit_request;  /* leave guest code soon (checked without lock) */
    /* Userspace local APIC (hw/intc/lapic.c) wired by the board, or NULL when
     * the accelerator models it (KVM's in-kernel irqchip). Survives resets. */
    Device *apic;
    /* Messages from the APIC bus for accelerators that model the CPU side
     * (SDM Vol 3 §9.4, §10.6.1), set under the machine lock by the board and
     * consumed by the vCPU's own thread: INIT resets the CPU into
     * wait-for-SIPI; a start-up IPI then starts it at vector << 12. */
    bool init_pending;
    bool sipi_pending;
    uint8_t sipi_vector;
    bool wait_sipi;
    /* An NMI handler runs: further NMIs wait for the next IRET (SDM Vol 3
     * §6.7.1). Set and cleared by the accelerator's thread. */
    bool nmi_blocked;
} CPUState;

struct Machine {
    MachineConfig cfg;

    MemMap mem;
    IoMap io;
    RamBlock *ram;
    RamBlock *bios;         /* -bios image (ROM), or NULL */
    uint64_t below_4g_mem;  /* RAM mapped at 0 (the PC hole starts here) */
    uint64_t above_4g_mem;  /* RAM mapped at 4 GiB */

    GMainContext *ctx;
    GMutex lock;            /* the machine ("big") lock */
    GCond cpu_cond;         /* vCPUs parked / resumed */
    TimerList timers;

    RunState state;
    bool shutdown_requested;
    bool reset_requested;
    int exit_status;

    /* Interrupt inputs of the platform: ISA IRQ 0-15 then IOAPIC inputs. Whoever
     * provides the interrupt controller (in-kernel irqchip, userspace models, the
     * harness) sets their handlers; devices just hold the lines. */
    IRQLine *gsi[NUM_GSI];

    GPtrArray *devices;     /* Device *, in creation (= reset) order */
    GPtrArray *chardevs;    /* Chardev *, owned */
    Chardev *serial_chr[MAX_SERIAL];

    const AccelOps *accel;
    void *accel_state;
    CPUState *cpus[MAX_CPUS];
    int ncpus;

    /* Device harness (-accel qtest) state, owned by system/qtest.c. */
    void *qtest;
};

/* Create the machine skeleton (RAM, maps, clock, main context); no devices. */
Machine *machine_new(const MachineConfig *cfg, Error **errp);
void machine_free(Machine *m);

void machine_lock(Machine *m);
void machine_unlock(Machine *m);

/* From any thread holding the machine lock; the main loop acts on them. */
void machine_request_shutdown(Machine *m, int exit_status);
void machine_request_reset(Machine *m);
/* Guest triple fault / reset: reset, or shut down with -no-reboot. */
void machine_request_guest_reset(Machine *m);

/* Main loop: returns the process exit status when the machine shuts down. */
int machine_main_loop(Machine *m);

/* Full system reset: devices, RAM contents from the loader, CPU state.
 * Called with the machine lock held and vCPUs parked. */
bool machine_reset(Machine *m, Error **errp);

/* Park every vCPU (kick them out of guest code and wait) / let them run. */
void machine_pause_cpus(Machine *m);
void machine_resume_cpus(Machine *m);

/* Find a -chardev backend by id. */
Chardev *machine_find_chardev(Machine *m, const char *id);

#endif
