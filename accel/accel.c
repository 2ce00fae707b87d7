/*
 * accel.c: choosing an accelerator by name.
 */
#include "util/osdep.h"
#include "system/accel.h"

const AccelOps *accel_find(const char *name)
{
    if (!strcmp(name, "kvm")) {
        return &kvm_accel_ops;
    }
    if (!strcmp(name, "tcg")) {
        return &tcg_accel_ops;
    }
    if (!strcmp(name, "qtest")) {
        return &qtest_accel_ops;
    }
    return NULL;
}
