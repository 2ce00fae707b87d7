/*
 * memory.c: the guest physical memory map (see include/system/memory.h).
 *
 * Regions may overlap; flattening picks, for every byte, the enabled region of
 * highest priority (later-added wins a tie), and merges neighbours that map the
 * same region contiguously. Layout changes are rare (boot, PCI BAR moves, PAM
 * writes), lookups are frequent, so the flat view is rebuilt eagerly.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "system/memory.h"

void memmap_init(MemMap *m)
{
    memset(m, 0, sizeof(*m));
    m->regions = g_ptr_array_new();
    m->listeners = g_array_new(false, true, sizeof(MemWriteListener));
}

static void region_free(MemRegion *mr)
{
    g_free(mr->name);
    g_free(mr);
}

void memmap_destroy(MemMap *m)
{
    for (guint i = 0; i < m->regions->len; i++) {
        region_free(g_ptr_array_index(m->regions, i));
    }
    g_ptr_array_free(m->regions, true);
    g_array_free(m->listeners, true);
    g_free(m->sections);
    memset(m, 0, sizeof(*m));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The winning region for the address range starting at addr, or NULL. */
static MemRegion *memmap_winner(MemMap *m, uint64_t addr)
{
    MemRegion *best = NULL;
    for (guint i = 0; i < m->regions->len; i++) {
        MemRegion *mr = g_ptr_array_index(m->regions, i);
        if (!mr->enabled || addr < mr->base || addr - mr->base >= mr->size) {
            continue;
        }
        if (!best || mr->priority >= best->priority) {
            best = mr;
        }
    }
    return best;
}

static void memmap_flatten(MemMap *m)
{
    guint n = m->regions->len;
    uint64_t *points = g_new(uint64_t, 2 * n + 1);
    guint np = 0;

    for (guint i = 0; i < n; i++) {
        MemRegion *mr = g_ptr_array_index(m->regions, i);
        if (!mr->enabled) {
            continue;
        }
        points[np++] = mr->base;
        /* base + size may be exactly 2^64 (wraps to 0): then there is no end point. */
        if (mr->base + mr->size != 0) {
            points[np++] = mr->base + mr->size;
        }
    }
    qsort(points, np, sizeof(uint64_t), cmp_u64);

    GArray *secs = g_array_new(false, true, sizeof(MemSection));
    for (guint i = 0; i < np; i++) {
        if (i > 0 && points[i] == points[i - 1]) {
            continue;
        }
        uint64_t start = points[i];
        uint64_t end = 0;   /* 0 = up to 2^64 */
        for (guint j = i + 1; j < np; j++) {
            if (points[j] != start) {
                end = points[j];
                break;
            }
        }
        MemRegion *mr = memmap_winner(m, start);
        if (!mr) {
            continue;
        }
        uint64_t size = end - start;   /* wraps correctly when end == 0 */
        uint64_t offset = start - mr->base;
        if (secs->len) {
            MemSection *prev = &g_array_index(secs, MemSection, secs->len - 1);
            if (prev->mr == mr && prev->start + prev->size == start &&
                prev->offset + prev->size == offset) {
                prev->size += size;
                continue;
            }
        }
        MemSection s = { .start = start, .size = size, .mr = mr, .offset = offset };
        g_array_append_val(secs, s);
    }
    g_free(points);
    g_free(m->sections);
    m->nr_sections = secs->len;
    m->sections = (MemSection *)g_array_free(secs, false);
    m->generation++;
    if (m->layout_changed) {
        m->layout_changed(m->layout_opaque);
    }
}

static MemRegion *memmap_add(MemMap *m, const char *name, MemRegionKind kind,
                             uint64_t base, uint64_t size, int priority)
{
    MemRegion *mr = g_new0(MemRegion, 1);
    mr->name = g_strdup(name);
    mr->kind = kind;
    mr->base = base;
    mr->size = size;
    mr->priority = priority;
    mr->enabled = true;
    g_ptr_array_add(m->regions, mr);
    return mr;
}

MemRegion *memmap_add_ram(MemMap *m, const char *name, uint64_t base, uint64_t size,
                          uint8_t *host, int priority)
{
    MemRegion *mr = memmap_add(m, name, MR_RAM, base, size, priority);
    mr->host = host;
    memmap_flatten(m);
    return mr;
}

MemRegion *memmap_add_rom(MemMap *m, const char *name, uint64_t base, uint64_t size,
                          uint8_t *host, int priority)
{
    MemRegion *mr = memmap_add(m, name, MR_ROM, base, size, priority);
    mr->host = host;
    memmap_flatten(m);
    return mr;
}

MemRegion *memmap_add_mmio(MemMap *m, const char *name, uint64_t base, uint64_t size,
                           const MemoryOps *ops, void *opaque, int priority)
{
    MemRegion *mr = memmap_add(m, name, MR_MMIO, base, size, priority);
    mr->ops = ops;
    mr->opaque = opaque;
    memmap_flatten(m);
    return mr;
}

void memmap_del(MemMap *m, MemRegion *mr)
{
    if (g_ptr_array_remove(m->regions, mr)) {
        region_free(mr);
        memmap_flatten(m);
    }
}

void memmap_set_enabled(MemMap *m, MemRegion *mr, bool enabled)
{
    if (mr->enabled != enabled) {
        mr->enabled = enabled;
        memmap_flatten(m);
    }
}

void memmap_move(MemMap *m, MemRegion *mr, uint64_t new_base)
{
    if (mr->base != new_base) {
        mr->base = new_base;
        memmap_flatten(m);
    }
}

void memmap_add_write_listener(MemMap *m, void (*notify)(void *, uint64_t, uint64_t),
                               void *opaque)
{
    MemWriteListener l = { .notify = notify, .opaque = opaque };
    g_array_append_val(m->listeners, l);
}

void memmap_notify_write(MemMap *m, uint64_t addr, uint64_t len)
{
    for (guint i = 0; i < m->listeners->len; i++) {
        MemWriteListener *l = &g_array_index(m->listeners, MemWriteListener, i);
        l->notify(l->opaque, addr, len);
    }
}

const MemSection *memmap_find(const MemMap *m, uint64_t addr)
{
    unsigned lo = 0, hi = m->nr_sections;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const MemSection *s = &m->sections[mid];
        if (addr < s->start) {
            hi = mid;
        } else if (addr - s->start >= s->size && s->size != 0) {
            lo = mid + 1;
        } else {
            return s;
        }
    }
    return NULL;
}

uint8_t *memmap_host_ptr(MemMap *m, uint64_t addr, uint64_t len, bool write)
{
    const MemSection *s = memmap_find(m, addr);
    if (!s || !s->mr->host) {
        return NULL;
    }
    if (write && s->mr->kind != MR_RAM) {
        return NULL;
    }
    uint64_t off = addr - s->start;
    if (len > s->size - off) {
        return NULL;
    }
    return s->mr->host + s->offset + off;
}

/* ---- single accesses into device callbacks ---- */

static unsigned ops_min(const MemoryOps *ops)
{
    return ops->min_access ? ops->min_access : 1;
}

static unsigned ops_max(const MemoryOps *ops)
{
    return ops->max_access ? ops->max_access : 4;
}

uint64_t memory_ops_read(const MemoryOps *ops, void *opaque, uint64_t off, unsigned size)
{
    unsigned min = ops_min(ops), max = ops_max(ops);
    if (!ops->read) {
        return ~0ULL >> (64 - 8 * size);
    }
    if (size >= min && size <= max) {
        return ops->read(opaque, off, size);
    }
    if (size > max) {
        /* Wider than the device: little-endian pieces of the widest size it takes. */
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i += max) {
            v |= ops->read(opaque, off + i, max) << (8 * i);
        }
        return v;
    }
    /* Narrower than the device takes: read the aligned unit and extract. */
    uint64_t base = off & ~(uint64_t)(min - 1);
    uint64_t v = ops->read(opaque, base, min);
    unsigned shift = 8 * (off - base);
    return (v >> shift) & (~0ULL >> (64 - 8 * size));
}

void memory_ops_write(const MemoryOps *ops, void *opaque, uint64_t off, uint64_t val,
                      unsigned size)
{
    unsigned min = ops_min(ops), max = ops_max(ops);
    if (!ops->write) {
        return;
    }
    if (size >= min && size <= max) {
        ops->write(opaque, off, val, size);
        return;
    }
    if (size > max) {
        for (unsigned i = 0; i < size; i += max) {
            ops->write(opaque, off + i, (val >> (8 * i)) & (~0ULL >> (64 - 8 * max)), max);
        }
        return;
    }
    /* Narrower than the device takes: read-modify-write of the aligned unit. */
    uint64_t base = off & ~(uint64_t)(min - 1);
    uint64_t cur = ops->read ? ops->read(opaque, base, min) : 0;
    unsigned shift = 8 * (off - base);
    uint64_t mask = (~0ULL >> (64 - 8 * size)) << shift;
    ops->write(opaque, base, (cur & ~mask) | ((val << shift) & mask), min);
}

uint64_t memmap_load(MemMap *m, uint64_t addr, unsigned size)
{
    const MemSection *s = memmap_find(m, addr);
    if (s && addr + size - 1 - s->start < s->size) {
        uint64_t off = addr - s->start + s->offset;
        if (s->mr->host) {
            const uint8_t *p = s->mr->host + off;
            switch (size) {
            case 1: return *p;
            case 2: return ldw_le(p);
            case 4: return ldl_le(p);
            default: return ldq_le(p);
            }
        }
        return memory_ops_read(s->mr->ops, s->mr->opaque, off, size);
    }
    /* Straddles sections or hits a hole: bytewise. */
    uint8_t buf[8];
    memmap_read(m, addr, buf, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)buf[i] << (8 * i);
    }
    return v;
}

void memmap_store(MemMap *m, uint64_t addr, uint64_t value, unsigned size)
{
    const MemSection *s = memmap_find(m, addr);
    if (s && addr + size - 1 - s->start < s->size) {
        uint64_t off = addr - s->start + s->offset;
        if (s->mr->kind == MR_RAM) {
            uint8_t *p = s->mr->host + off;
            switch (size) {
            case 1: *p = value; break;
            case 2: stw_le(p, value); break;
            case 4: stl_le(p, value); break;
            default: stq_le(p, value); break;
            }
            memmap_notify_write(m, addr, size);
        } else if (s->mr->kind == MR_MMIO) {
            memory_ops_write(s->mr->ops, s->mr->opaque, off, value, size);
        }
        return;
    }
    uint8_t buf[8];
    for (unsigned i = 0; i < size; i++) {
        buf[i] = value >> (8 * i);
    }
    memmap_write(m, addr, buf, size);
}

/* ---- bulk access ---- */

static unsigned mmio_chunk(uint64_t addr, uint64_t len)
{
    /* Largest naturally aligned power of two (<= 8) that fits. */
    unsigned size = 8;
    while (size > 1 && ((addr & (size - 1)) || len < size)) {
        size >>= 1;
    }
    return size;
}

MemTxResult memmap_read(MemMap *m, uint64_t addr, void *buf, uint64_t len)
{
    uint8_t *out = buf;
    MemTxResult res = MEMTX_OK;

    while (len) {
        const MemSection *s = memmap_find(m, addr);
        if (!s) {
            *out++ = 0xff;
            addr++;
            len--;
            res = MEMTX_UNASSIGNED;
            continue;
        }
        uint64_t avail = s->size - (addr - s->start);
        uint64_t n = (avail == 0 || len < avail) ? len : avail;  /* avail 0: 2^64 */
        uint64_t off = addr - s->start + s->offset;
        if (s->mr->host) {
            memcpy(out, s->mr->host + off, n);
        } else {
            for (uint64_t done = 0; done < n;) {
                unsigned c = mmio_chunk(addr + done, n - done);
                uint64_t v = memory_ops_read(s->mr->ops, s->mr->opaque, off + done, c);
                for (unsigned i = 0; i < c; i++) {
                    out[done + i] = v >> (8 * i);
                }
                done += c;
            }
        }
        out += n;
        addr += n;
        len -= n;
    }
    return res;
}

MemTxResult memmap_write(MemMap *m, uint64_t addr, const void *buf, uint64_t len)
{
    const uint8_t *in = buf;
    MemTxResult res = MEMTX_OK;

    while (len) {
        const MemSection *s = memmap_find(m, addr);
        if (!s) {
            in++;
            addr++;
            len--;
            res = MEMTX_UNASSIGNED;
            continue;
        }
        uint64_t avail = s->size - (addr - s->start);
        uint64_t n = (avail == 0 || len < avail) ? len : avail;
        uint64_t off = addr - s->start + s->offset;
        if (s->mr->kind == MR_RAM) {
            memcpy(s->mr->host + off, in, n);
            memmap_notify_write(m, addr, n);
        } else if (s->mr->kind == MR_MMIO) {
            for (uint64_t done = 0; done < n;) {
                unsigned c = mmio_chunk(addr + done, n - done);
                uint64_t v = 0;
                for (unsigned i = 0; i < c; i++) {
                    v |= (uint64_t)in[done + i] << (8 * i);
                }
                memory_ops_write(s->mr->ops, s->mr->opaque, off + done, v, c);
                done += c;
            }
        }
        /* ROM: writes are ignored, as on the real bus. */
        in += n;
        addr += n;
        len -= n;
    }
    return res;
}
