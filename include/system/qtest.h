/*
 * qtest.h: the device harness (-accel qtest -qtest CHARDEV). The machine runs
 * with no CPU; a test drives it over a text protocol (docs/harness.md):
 * port and memory access, clock stepping, IRQ line observation.
 */
#ifndef SYSTEM_QTEST_H
#define SYSTEM_QTEST_H

#include "system/machine.h"

/* Attach the harness to the machine (after the board is built). */
bool qtest_init(Machine *m, const char *chardev_spec, Error **errp);
/* Machine events the harness reports to the test as asynchronous lines. */
void qtest_notify_reset(Machine *m);
void qtest_notify_shutdown(Machine *m, int status);

#endif
