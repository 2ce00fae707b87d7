/*
 * debug-exit.c: "isa-debug-exit", a test device with no real-hardware
 * counterpart. Any write to its ports ends the emulator with exit status
 * (value << 1) | 1, so a guest test can report pass/fail to the host: status 1
 * can never mean "the emulator exited normally" (0), and kvm-unit-tests' and
 * our own tests/guest programs rely on exactly this encoding.
 * docs/devices.md "isa-debug-exit".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "system/machine.h"

typedef struct DebugExitState {
    Device parent;
    uint32_t iobase;
    uint32_t iosize;
    IoRegion *io;
} DebugExitState;

static uint64_t debug_exit_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    DebugExitState *s = opaque;
    /* Only the bits of the access size count: an outb of 0x80 means 0x80. */
    uint32_t v = (uint32_t)value;
    if (size < 4) {
        v &= (1u << (8 * size)) - 1;
    }
    log_mask(LOG_RESET, "isa-debug-exit: guest wrote 0x%x, exit status %d\n", v,
             (int)((v << 1) | 1));
    machine_request_shutdown(s->parent.machine, (int)((v << 1) | 1));
}

static const MemoryOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .min_access = 1,
    .max_access = 4,
};

static bool debug_exit_realize(Device *dev, Error **errp)
{
    DebugExitState *s = (DebugExitState *)dev;
    if (s->iosize < 1 || s->iosize > 4) {
        error_setg(errp, "-device isa-debug-exit: iosize=%u: must be 1 to 4", s->iosize);
        return false;
    }
    if (s->iobase > 0xffff || s->iobase + s->iosize > 0x10000) {
        error_setg(errp, "-device isa-debug-exit: iobase=0x%x: outside the IO space",
                   s->iobase);
        return false;
    }
    s->io = iomap_add(&dev->machine->io, "isa-debug-exit", s->iobase, s->iosize,
                      &debug_exit_ops, s, errp);
    return s->io != NULL;
}

static void debug_exit_unrealize(Device *dev)
{
    DebugExitState *s = (DebugExitState *)dev;
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static const Property debug_exit_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(DebugExitState, iobase),
      .def = 0x501, .desc = "first IO port" },
    { .name = "iosize", .type = PROP_U32, .offset = offsetof(DebugExitState, iosize),
      .def = 2, .desc = "number of IO ports (1-4)" },
    PROP_END,
};

static const DeviceClass debug_exit_class = {
    .name = "isa-debug-exit",
    .desc = "exit the emulator with status (value << 1) | 1 on a port write",
    .bus = "isa",
    .instance_size = sizeof(DebugExitState),
    .user_creatable = true,
    .props = debug_exit_props,
    .realize = debug_exit_realize,
    .unrealize = debug_exit_unrealize,
};

DEVICE_CLASS_REGISTER(debug_exit_class)
