/*
 * memory.h: the guest physical memory map and the port-IO space.
 *
 * A MemMap holds regions (RAM, ROM, MMIO) that may overlap; the one with the
 * highest priority wins (the PC's legacy holes and ROM shadows are overlays on
 * low RAM). After each change the map is flattened into sorted, non-overlapping
 * sections so a lookup is a binary search.
 *
 * Device models reach guest memory only through memmap_read/memmap_write (DMA),
 * which check bounds, split accesses at region edges and tell write listeners
 * (translated-code invalidation, dirty logging) about every byte stored to RAM.
 *
 * Port IO: a 64 Ki entry table maps each port to its IoRegion. Accesses of a
 * size the device does not take are split into smaller ones on successive ports
 * (how the ISA bus behaves); unassigned ports read as all ones.
 */
#ifndef SYSTEM_MEMORY_H
#define SYSTEM_MEMORY_H

#include "util/osdep.h"
#include "util/error.h"

/* Callbacks of an MMIO or port-IO region. offset is relative to the region. */
typedef struct MemoryOps {
    uint64_t (*read)(void *opaque, uint64_t offset, unsigned size);
    void (*write)(void *opaque, uint64_t offset, uint64_t value, unsigned size);
    /* Access sizes the device implements (1, 2, 4, 8); 0 means 1 and 4. */
    unsigned min_access;
    unsigned max_access;
} MemoryOps;

typedef enum MemRegionKind {
    MR_RAM,     /* host memory, read and write */
    MR_ROM,     /* host memory, writes ignored */
    MR_MMIO,    /* device callbacks */
} MemRegionKind;

typedef struct MemRegion {
    char *name;
    MemRegionKind kind;
    uint64_t base;
    uint64_t size;
    int priority;
    bool enabled;
    uint8_t *host;           /* RAM/ROM backing, size bytes */
    const MemoryOps *ops;    /* MMIO */
    void *opaque;
} MemRegion;

/* One piece of the flattened view: [start, start+size) maps to region at offset. */
typedef struct MemSection {
    uint64_t start;
    uint64_t size;
    MemRegion *mr;
    uint64_t offset;         /* of start within mr */
} MemSection;

/* Told about every store into RAM that did not come through translated code's
 * own dirty tracking: DMA, loaders, the harness. */
typedef struct MemWriteListener {
    void (*notify)(void *opaque, uint64_t addr, uint64_t len);
    void *opaque;
} MemWriteListener;

typedef struct MemMap {
    GPtrArray *regions;      /* MemRegion *, owned */
    MemSection *sections;    /* flattened, sorted by start */
    unsigned nr_sections;
    GArray *listeners;       /* MemWriteListener */
    unsigned generation;     /* bumped on every layout change (TLB flush hint) */
    void (*layout_changed)(void *opaque);
    void *layout_opaque;
} MemMap;

typedef enum MemTxResult {
    MEMTX_OK = 0,
    MEMTX_UNASSIGNED = 1,    /* some bytes hit no region: reads gave 0xff */
} MemTxResult;

void memmap_init(MemMap *m);
void memmap_destroy(MemMap *m);

MemRegion *memmap_add_ram(MemMap *m, const char *name, uint64_t base, uint64_t size,
                          uint8_t *host, int priority);
MemRegion *memmap_add_rom(MemMap *m, const char *name, uint64_t base, uint64_t size,
                          uint8_t *host, int priority);
MemRegion *memmap_add_mmio(MemMap *m, const char *name, uint64_t base, uint64_t size,
                           const MemoryOps *ops, void *opaque, int priority);
void memmap_del(MemMap *m, MemRegion *mr);
/* Enable/disable or move a region (PCI BARs, PAM, SMRAM); re-flattens. */
void memmap_set_enabled(MemMap *m, MemRegion *mr, bool enabled);
void memmap_move(MemMap *m, MemRegion *mr, uint64_t new_base);

void memmap_add_write_listener(MemMap *m, void (*notify)(void *, uint64_t, uint64_t),
                               void *opaque);

/* The section containing addr, or NULL (a hole). */
const MemSection *memmap_find(const MemMap *m, uint64_t addr);

/* Host pointer for [addr, addr+len) if all of it is RAM (or ROM when !write) in
 * one region; NULL otherwise. Writers through this pointer must call
 * memmap_notify_write() themselves. */
uint8_t *memmap_host_ptr(MemMap *m, uint64_t addr, uint64_t len, bool write);
void memmap_notify_write(MemMap *m, uint64_t addr, uint64_t len);

/* Bulk access (DMA, loaders): split at section edges, MMIO in naturally aligned
 * pieces, holes read as 0xff and drop writes. */
MemTxResult memmap_read(MemMap *m, uint64_t addr, void *buf, uint64_t len);
MemTxResult memmap_write(MemMap *m, uint64_t addr, const void *buf, uint64_t len);

/* One CPU-style access of 1, 2, 4 or 8 bytes, little-endian. */
uint64_t memmap_load(MemMap *m, uint64_t addr, unsigned size);
void memmap_store(MemMap *m, uint64_t addr, uint64_t value, unsigned size);

/* Call a region's ops for one access, splitting/combining to sizes it takes. */
uint64_t memory_ops_read(const MemoryOps *ops, void *opaque, uint64_t off, unsigned size);
void memory_ops_write(const MemoryOps *ops, void *opaque, uint64_t off, uint64_t val,
                      unsigned size);

/* ---- port IO ---- */

typedef struct IoRegion {
    char *name;
    uint16_t base;
    uint32_t len;
    const MemoryOps *ops;
    void *opaque;
} IoRegion;

typedef struct IoMap {
    IoRegion *ports[65536];
    GPtrArray *regions;      /* owned */
} IoMap;

void iomap_init(IoMap *io);
void iomap_destroy(IoMap *io);
/* Fails (and says which device holds it) if any port is already taken. */
IoRegion *iomap_add(IoMap *io, const char *name, uint16_t base, uint32_t len,
                    const MemoryOps *ops, void *opaque, Error **errp);
void iomap_del(IoMap *io, IoRegion *r);
uint32_t ioport_read(IoMap *io, uint16_t port, unsigned size);
void ioport_write(IoMap *io, uint16_t port, uint32_t value, unsigned size);

/* ---- guest RAM blocks ---- */

/* RAM backed by a memfd so it can later be shared (vhost-user, migration). */
typedef struct RamBlock {
    char *name;
    uint64_t size;
    uint8_t *host;
    int fd;
} RamBlock;

RamBlock *ram_block_new(const char *name, uint64_t size, Error **errp);
void ram_block_free(RamBlock *rb);

#endif
