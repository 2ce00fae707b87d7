/*
 * ioport.c: the x86 port-IO space (64 Ki ports), a direct table from port to
 * device region. An access wider than the device decodes is split into
 * consecutive narrower accesses (the ISA bus does this for 8-bit devices); a
 * port nobody claims reads as all ones and ignores writes.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/memory.h"

void iomap_init(IoMap *io)
{
    memset(io->ports, 0, sizeof(io->ports));
    io->regions = g_ptr_array_new();
}

void iomap_destroy(IoMap *io)
{
    for (guint i = 0; i < io->regions->len; i++) {
        IoRegion *r = g_ptr_array_index(io->regions, i);
        g_free(r->name);
        g_free(r);
    }
    g_ptr_array_free(io->regions, true);
    io->regions = NULL;
}

IoRegion *iomap_add(IoMap *io, const char *name, uint16_t base, uint32_t len,
                    const MemoryOps *ops, void *opaque, Error **errp)
{
    if (len == 0 || base + len > 65536) {
        error_setg(errp, "%s: port range 0x%x+0x%x is outside the IO space", name, base, len);
        return NULL;
    }
    for (uint32_t p = base; p < base + len; p++) {
        if (io->ports[p]) {
            error_setg(errp, "%s: IO port 0x%x is already used by %s", name, p,
                       io->ports[p]->name);
            return NULL;
        }
    }
    IoRegion *r = g_new0(IoRegion, 1);
    r->name = g_strdup(name);
    r->base = base;
    r->len = len;
    r->ops = ops;
    r->opaque = opaque;
    for (uint32_t p = base; p < base + len; p++) {
        io->ports[p] = r;
    }
    g_ptr_array_add(io->regions, r);
    return r;
}

void iomap_del(IoMap *io, IoRegion *r)
{
    for (uint32_t p = r->base; p < r->base + r->len; p++) {
        if (io->ports[p] == r) {
            io->ports[p] = NULL;
        }
    }
    g_ptr_array_remove(io->regions, r);
    g_free(r->name);
    g_free(r);
}

static bool io_fits(IoRegion *r, uint16_t port, unsigned size)
{
    unsigned min = r->ops->min_access ? r->ops->min_access : 1;
    unsigned max = r->ops->max_access ? r->ops->max_access : 4;
    return size >= min && size <= max && (uint32_t)port + size <= (uint32_t)r->base + r->len;
}

uint32_t ioport_read(IoMap *io, uint16_t port, unsigned size)
{
    IoRegion *r = io->ports[port];
    if (r && io_fits(r, port, size)) {
        if (!r->ops->read) {
            return ~0u >> (32 - 8 * size);
        }
        return r->ops->read(r->opaque, port - r->base, size);
    }
    if (size > 1) {
        /* Split: low part from port, high part from the next ports. */
        unsigned half = size / 2;
        uint32_t lo = ioport_read(io, port, half);
        uint32_t hi = ioport_read(io, (uint16_t)(port + half), half);
        return lo | (hi << (8 * half));
    }
    if (r) {
        /* A byte read of a device that only takes wider accesses. */
        uint32_t v = (uint32_t)memory_ops_read(r->ops, r->opaque, port - r->base, 1);
        return v & 0xff;
    }
    log_mask(LOG_IOPORT, "unassigned IO read port 0x%04x\n", port);
    return 0xff;
}

void ioport_write(IoMap *io, uint16_t port, uint32_t value, unsigned size)
{
    IoRegion *r = io->ports[port];
    if (r && io_fits(r, port, size)) {
        if (r->ops->write) {
            r->ops->write(r->opaque, port - r->base, value, size);
        }
        return;
    }
    if (size > 1) {
        unsigned half = size / 2;
        ioport_write(io, port, value & (~0u >> (32 - 8 * half)), half);
        ioport_write(io, (uint16_t)(port + half), value >> (8 * half), half);
        return;
    }
    if (r) {
        memory_ops_write(r->ops, r->opaque, port - r->base, value & 0xff, 1);
        return;
    }
    log_mask(LOG_IOPORT, "unassigned IO write port 0x%04x value 0x%02x\n", port, value);
}
