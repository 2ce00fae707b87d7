/*
 * reset-control.c: "pc-reset-control", the Reset Control Register at 0xcf9
 * (Intel 82371SB PIIX3 datasheet, "Reset Control Register", IO 0CF9h):
 *   bit 1  SYS_RST: 1 = hard reset (whole system), 0 = soft reset (CPU INIT)
 *   bit 2  RST_CPU: a 0 -> 1 transition starts the reset chosen by bit 1
 *   bit 3  FULL_RST: also drop power for a few seconds (PIIX4 and later)
 * We restart the machine the same way for every kind; the guest-reset policy
 * (-no-reboot) applies. Bits 1 and 3 are read/write; bit 2 is self-clearing and
 * reads as 0. The register only decodes byte accesses: 0xcf8 as a dword is the
 * PCI configuration address and belongs to the host bridge, so we claim 0xcf9
 * alone. docs/devices.md "pc-reset-control".
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/device.h"
#include "system/machine.h"

#define RCR_SYS_RST   0x02
#define RCR_RST_CPU   0x04
#define RCR_FULL_RST  0x08

typedef struct ResetControlState {
    Device parent;
    uint8_t value;
    IoRegion *io;
} ResetControlState;

static uint64_t reset_control_read(void *opaque, uint64_t offset, unsigned size)
{
    ResetControlState *s = opaque;
    return s->value;
}

static void reset_control_write(void *opaque, uint64_t offset, uint64_t value,
                                unsigned size)
{
    ResetControlState *s = opaque;
    s->value = value & (RCR_SYS_RST | RCR_FULL_RST);
    if (value & RCR_RST_CPU) {
        log_mask(LOG_RESET, "pc-reset-control: %s reset (0x%02x)\n",
                 value & RCR_SYS_RST ? "hard" : "soft", (unsigned)value & 0xff);
        machine_request_guest_reset(s->parent.machine);
    }
}

static const MemoryOps reset_control_ops = {
    .read = reset_control_read,
    .write = reset_control_write,
    .min_access = 1,
    .max_access = 1,
};

static bool reset_control_realize(Device *dev, Error **errp)
{
    ResetControlState *s = (ResetControlState *)dev;
    s->io = iomap_add(&dev->machine->io, "pc-reset-control", 0xcf9, 1, &reset_control_ops,
                      s, errp);
    return s->io != NULL;
}

static void reset_control_unrealize(Device *dev)
{
    ResetControlState *s = (ResetControlState *)dev;
    if (s->io) {
        iomap_del(&dev->machine->io, s->io);
        s->io = NULL;
    }
}

static void reset_control_reset(Device *dev)
{
    ((ResetControlState *)dev)->value = 0;
}

static const DeviceClass reset_control_class = {
    .name = "pc-reset-control",
    .desc = "PIIX Reset Control Register (port 0xcf9)",
    .bus = "isa",
    .instance_size = sizeof(ResetControlState),
    .user_creatable = false,
    .realize = reset_control_realize,
    .reset = reset_control_reset,
    .unrealize = reset_control_unrealize,
};

DEVICE_CLASS_REGISTER(reset_control_class)
