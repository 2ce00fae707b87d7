/*
 * port92.c: "port92", System Control Port A at 0x92 (the "fast A20 and reset"
 * port introduced with the PS/2 and kept by every PC chipset since).
 *   bit 0  fast reset: a 0 -> 1 transition resets the CPU
 *   bit 1  A20 gate: 1 = address line 20 enabled
 *   bit 3  CMOS/password lock (stored only)
 *   bits 6-7  disk activity LEDs (stored only)
 * Reads return the last value written. The A20 bit drives an output line the
 * board hooks (include/hw/misc/port92.h). docs/devices.md "port92".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "hw/misc/port92.h"
#include "system/machine.h"

#define PORT92_RESET  0x01
#define PORT92_A20    0x02

typedef struct Port92State {
    Device parent;
    uint32_t iobase;
    uint8_t value;
    IRQLine *a20_out;
    IoRegion *io;
} Port92State;

static Port92State *port92_from_dev(Device *dev)
{
    g_assert(dev && !strcmp(dev->cls->name, "port92"));
    return (Port92State *)dev;
}

static uint64_t port92_read(void *opaque, uint64_t offset, unsigned size)
{
    Port92State *s = opaque;
    return s->value;
}

static void port92_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Port92State *s = opaque;
    uint8_t old = s->value;
    s->value = (uint8_t)value;
    if ((old ^ s->value) & PORT92_A20) {
        log_mask(LOG_RESET, "port92: A20 %s\n", s->value & PORT92_A20 ? "on" : "off");
        irq_set(s->a20_out, !!(s->value & PORT92_A20));
    }
    /* Only the rising edge resets: writing 1 again while it is 1 does nothing. */
    if (!(old & PORT92_RESET) && (s->value & PORT92_RESET)) {
        log_mask(LOG_RESET, "port92: fast reset\n");
        machine_request_guest_reset(s->parent.machine);
    }
}

static const MemoryOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .min_access = 1,
    .max_access = 1,
};

void port92_set_a20_line(Device *dev, IRQLine *line)
{
    Port92State *s = port92_from_dev(dev);
    s->a20_out = line;
    irq_set(s->a20_out, !!(s->value & PORT92_A20));
}

bool port92_get_a20(Device *dev)
{
    return port92_from_dev(dev)->value & PORT92_A20;
}

static bool port92_realize(Device *dev, Error **errp)
{
    Port92State *s = (Port92State *)dev;
    if (s->iobase > 0xffff) {
        error_setg(errp, "port92: iobase=0x%x: outside the IO space", s->iobase);
        return false;
    }
    s->io = iomap_add(&dev->machine->io, "port92", s->iobase, 1, &port92_ops, s, errp);
    return s->io != NULL;
}

static void port92_unrealize(Device *dev)
{
    Port92State *s = (Port92State *)dev;
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static void port92_reset(Device *dev)
{
    Port92State *s = (Port92State *)dev;
    s->value = 0;
    irq_set(s->a20_out, 0);
}

static const Property port92_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(Port92State, iobase),
      .def = 0x92, .desc = "IO port" },
    PROP_END,
};

static const DeviceClass port92_class = {
    .name = "port92",
    .desc = "System Control Port A (fast reset, A20 gate)",
    .bus = "isa",
    .instance_size = sizeof(Port92State),
    .user_creatable = false,
    .props = port92_props,
    .realize = port92_realize,
    .reset = port92_reset,
    .unrealize = port92_unrealize,
};

DEVICE_CLASS_REGISTER(port92_class)
