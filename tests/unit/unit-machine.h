/*
 * unit-machine.h: the CPU-less machine a unit test drives devices on: RAM,
 * memory and port-IO maps, and the manual (harness) clock.
 */
#ifndef TESTS_UNIT_MACHINE_H
#define TESTS_UNIT_MACHINE_H

#include "system/machine.h"

static inline Machine *unit_machine_new(uint64_t ram_size, int smp)
{
    MachineConfig cfg = { .ram_size = ram_size, .accel = (char *)"qtest", .smp = smp };
    Error *err = NULL;
    Machine *m = machine_new(&cfg, &err);
    if (!m) {
        g_error("machine_new: %s", err->msg);
    }
    return m;
}

#endif
