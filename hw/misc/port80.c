/*
 * port80.c: "port80", the ISA POST-code / IO-delay port 0x80.
 *
 * On a PC, BIOSes write progress codes to port 0x80 (read by a plug-in POST
 * card) and operating systems write to it as a ~1 us bus delay (Linux's
 * default io_delay). No chipset of the PIIX era decodes reads of it: the read
 * floats on the ISA bus and returns 0xff. We claim the port so writes are cheap
 * and silent, remember the last code (for debugging) and return 0xff on reads.
 * docs/devices.md "port80".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "system/machine.h"

typedef struct Port80State {
    Device parent;
    uint32_t iobase;
    uint8_t last_code;
    IoRegion *io;
} Port80State;

static uint64_t port80_read(void *opaque, uint64_t offset, unsigned size)
{
    return 0xff;
}

static void port80_write(void *opaque, uint64_t offset, uint64_t value, unsigned size)
{
    Port80State *s = opaque;
    s->last_code = (uint8_t)value;
    log_mask(LOG_IOPORT, "port80: POST code 0x%02x\n", s->last_code);
}

static const MemoryOps port80_ops = {
    .read = port80_read,
    .write = port80_write,
    .min_access = 1,
    .max_access = 1,
};

static bool port80_realize(Device *dev, Error **errp)
{
    Port80State *s = (Port80State *)dev;
    if (s->iobase > 0xffff) {
        error_setg(errp, "port80: iobase=0x%x: outside the IO space", s->iobase);
        return false;
    }
    s->io = iomap_add(&dev->machine->io, "port80", s->iobase, 1, &port80_ops, s, errp);
    return s->io != NULL;
}

static void port80_unrealize(Device *dev)
{
    Port80State *s = (Port80State *)dev;
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static void port80_reset(Device *dev)
{
    ((Port80State *)dev)->last_code = 0;
}

static const Property port80_props[] = {
    { .name = "iobase", .type = PROP_U32, .offset = offsetof(Port80State, iobase),
      .def = 0x80, .desc = "IO port" },
    PROP_END,
};

static const DeviceClass port80_class = {
    .name = "port80",
    .desc = "ISA POST code / IO delay port",
    .bus = "isa",
    .instance_size = sizeof(Port80State),
    .user_creatable = false,
    .props = port80_props,
    .realize = port80_realize,
    .reset = port80_reset,
    .unrealize = port80_unrealize,
};

DEVICE_CLASS_REGISTER(port80_class)
