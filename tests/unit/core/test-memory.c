/*
 * test-memory.c: the physical memory map (overlays, flattening, splitting,
 * ROM, MMIO access sizes, write listeners) and the port-IO space.
 */
#include "util/osdep.h"
#include "system/memory.h"

typedef struct Recorder {
    uint64_t last_off;
    uint64_t last_val;
    unsigned last_size;
    int reads, writes;
    uint8_t regs[64];
} Recorder;

static uint64_t rec_read(void *opaque, uint64_t off, unsigned size)
{
    Recorder *r = opaque;
    r->reads++;
    r->last_off = off;
    r->last_size = size;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)r->regs[(off + i) % 64] << (8 * i);
    }
    return v;
}

static void rec_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    Recorder *r = opaque;
    r->writes++;
    r->last_off = off;
    r->last_val = val;
    r->last_size = size;
    for (unsigned i = 0; i < size; i++) {
        r->regs[(off + i) % 64] = val >> (8 * i);
    }
}

static const MemoryOps ops_any = { rec_read, rec_write, 1, 8 };
static const MemoryOps ops_dword = { rec_read, rec_write, 4, 4 };
static const MemoryOps ops_byte = { rec_read, rec_write, 1, 1 };

static void test_overlay_priority(void)
{
    MemMap m;
    memmap_init(&m);
    uint8_t *ram = g_malloc0(1 * MiB);
    Recorder rec = { 0 };
    memmap_add_ram(&m, "ram", 0, 1 * MiB, ram, 0);
    memmap_add_mmio(&m, "hole", 0xa0000, 0x20000, &ops_any, &rec, 1);
    /* RAM, hole, RAM: three sections. */
    g_assert_cmpuint(m.nr_sections, ==, 3);
    const MemSection *s = memmap_find(&m, 0xb0000);
    g_assert_nonnull(s);
    g_assert_cmpstr(s->mr->name, ==, "hole");
    s = memmap_find(&m, 0xc0000);
    g_assert_cmpstr(s->mr->name, ==, "ram");
    g_assert_cmphex(s->offset, ==, 0xc0000);
    g_assert_null(memmap_find(&m, 1 * MiB));

    memmap_store(&m, 0x1000, 0x1122334455667788ULL, 8);
    g_assert_cmphex(ldq_le(ram + 0x1000), ==, 0x1122334455667788ULL);
    g_assert_cmphex(memmap_load(&m, 0x1002, 2), ==, 0x5566);
    memmap_store(&m, 0xa0010, 0xabcd, 2);
    g_assert_cmpint(rec.writes, ==, 1);
    g_assert_cmphex(rec.last_off, ==, 0x10);
    g_assert_cmphex(ram[0xa0010], ==, 0);   /* the RAM underneath is untouched */

    /* Disabling the overlay shows RAM again. */
    MemRegion *hole = m.sections[1].mr;
    memmap_set_enabled(&m, hole, false);
    g_assert_cmpuint(m.nr_sections, ==, 1);
    memmap_set_enabled(&m, hole, true);
    g_assert_cmpuint(m.nr_sections, ==, 3);
    memmap_destroy(&m);
    g_free(ram);
}

static void test_bulk_split_and_holes(void)
{
    MemMap m;
    memmap_init(&m);
    uint8_t *ram = g_malloc0(0x2000);
    uint8_t *rom = g_malloc(0x1000);
    memset(rom, 0x5a, 0x1000);
    memmap_add_ram(&m, "ram", 0, 0x2000, ram, 0);
    memmap_add_rom(&m, "rom", 0x3000, 0x1000, rom, 0);

    uint8_t buf[0x3000];
    memset(buf, 0x11, sizeof(buf));
    /* Across RAM end, a hole (0x2000-0x3000) and into ROM. */
    g_assert_cmpint(memmap_write(&m, 0x1ff0, buf, 0x1020), ==, MEMTX_UNASSIGNED);
    g_assert_cmphex(ram[0x1fff], ==, 0x11);
    g_assert_cmphex(rom[0x0], ==, 0x5a);      /* ROM ignores writes */
    g_assert_cmpint(memmap_read(&m, 0x1ffe, buf, 0x1004), ==, MEMTX_UNASSIGNED);
    g_assert_cmphex(buf[0], ==, 0x11);
    g_assert_cmphex(buf[2], ==, 0xff);        /* hole reads as ones */
    g_assert_cmphex(buf[0x1002], ==, 0x5a);
    /* A load straddling RAM and the hole. */
    g_assert_cmphex(memmap_load(&m, 0x1ffe, 4), ==, 0xffff1111);

    g_assert_nonnull(memmap_host_ptr(&m, 0x100, 0x100, true));
    g_assert_null(memmap_host_ptr(&m, 0x1f00, 0x200, false));  /* crosses the end */
    g_assert_null(memmap_host_ptr(&m, 0x3000, 0x10, true));    /* ROM, write */
    g_assert_nonnull(memmap_host_ptr(&m, 0x3000, 0x10, false));
    memmap_destroy(&m);
    g_free(ram);
    g_free(rom);
}

static void test_mmio_access_sizes(void)
{
    MemMap m;
    memmap_init(&m);
    Recorder rec = { 0 };
    memmap_add_mmio(&m, "dw", 0x1000, 0x40, &ops_dword, &rec, 0);
    for (int i = 0; i < 64; i++) {
        rec.regs[i] = i;
    }
    /* A byte read of a dword-only device reads the aligned dword and extracts. */
    g_assert_cmphex(memmap_load(&m, 0x1006, 1), ==, 6);
    g_assert_cmpuint(rec.last_size, ==, 4);
    g_assert_cmphex(rec.last_off, ==, 4);
    /* A qword read becomes two dword reads. */
    rec.reads = 0;
    g_assert_cmphex(memmap_load(&m, 0x1008, 8), ==, 0x0f0e0d0c0b0a0908ULL);
    g_assert_cmpint(rec.reads, ==, 2);
    /* A byte write is a read-modify-write of the dword. */
    memmap_store(&m, 0x1001, 0xee, 1);
    g_assert_cmphex(rec.last_val, ==, 0x0302ee00);
    /* Bulk reads use naturally aligned chunks. */
    uint8_t buf[7];
    memmap_read(&m, 0x1001, buf, 7);
    g_assert_cmphex(buf[0], ==, 0xee);
    g_assert_cmphex(buf[6], ==, 7);
    memmap_destroy(&m);
}

static int notified;
static uint64_t notified_addr, notified_len;

static void on_write(void *opaque, uint64_t addr, uint64_t len)
{
    notified++;
    notified_addr = addr;
    notified_len = len;
}

static void test_write_listener(void)
{
    MemMap m;
    memmap_init(&m);
    uint8_t *ram = g_malloc0(0x10000);
    memmap_add_ram(&m, "ram", 0x10000, 0x10000, ram, 0);
    memmap_add_write_listener(&m, on_write, NULL);
    uint8_t data[100] = { 1 };
    memmap_write(&m, 0x12345, data, sizeof(data));
    g_assert_cmpint(notified, ==, 1);
    g_assert_cmphex(notified_addr, ==, 0x12345);
    g_assert_cmpuint(notified_len, ==, 100);
    memmap_store(&m, 0x10000, 1, 4);
    g_assert_cmpint(notified, ==, 2);
    memmap_destroy(&m);
    g_free(ram);
}

static void test_top_of_address_space(void)
{
    MemMap m;
    memmap_init(&m);
    uint8_t *rom = g_malloc0(0x1000);
    rom[0xff0] = 0xea;
    /* A region that ends exactly at 2^64 must still be found. */
    memmap_add_rom(&m, "top", 0xfffffffffffff000ULL, 0x1000, rom, 0);
    g_assert_cmphex(memmap_load(&m, 0xfffffffffffffff0ULL, 1), ==, 0xea);
    memmap_destroy(&m);
    g_free(rom);
}

static void test_ioport(void)
{
    IoMap *io = g_new(IoMap, 1);
    iomap_init(io);
    Recorder a = { 0 }, b = { 0 };
    Error *err = NULL;
    g_assert_nonnull(iomap_add(io, "a", 0x3f8, 8, &ops_byte, &a, &err));
    g_assert_nonnull(iomap_add(io, "b", 0xcf8, 4, &ops_dword, &b, &err));
    g_assert_null(iomap_add(io, "c", 0x3fc, 2, &ops_byte, &a, &err));
    g_assert_nonnull(strstr(err->msg, "already used by a"));
    error_free(err);
    err = NULL;
    g_assert_null(iomap_add(io, "d", 0xfffe, 4, &ops_byte, &a, &err));
    error_free(err);

    /* A word write to a byte device becomes two byte writes on successive ports. */
    ioport_write(io, 0x3f8, 0xbeef, 2);
    g_assert_cmphex(a.regs[0], ==, 0xef);
    g_assert_cmphex(a.regs[1], ==, 0xbe);
    g_assert_cmpint(a.writes, ==, 2);
    g_assert_cmphex(ioport_read(io, 0x3f8, 2), ==, 0xbeef);
    /* Dword access to a dword device goes straight through. */
    ioport_write(io, 0xcf8, 0x80001234, 4);
    g_assert_cmpint(b.writes, ==, 1);
    g_assert_cmphex(ioport_read(io, 0xcf8, 4), ==, 0x80001234);
    /* Unassigned ports read as ones. */
    g_assert_cmphex(ioport_read(io, 0x1234, 1), ==, 0xff);
    g_assert_cmphex(ioport_read(io, 0x1234, 4), ==, 0xffffffff);
    /* A dword read that runs off the end of a byte device: partly ones. */
    g_assert_cmphex(ioport_read(io, 0x3fe, 4) >> 16, ==, 0xffff);
    iomap_destroy(io);
    g_free(io);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/memory/overlay-priority", test_overlay_priority);
    g_test_add_func("/memory/bulk-split-and-holes", test_bulk_split_and_holes);
    g_test_add_func("/memory/mmio-access-sizes", test_mmio_access_sizes);
    g_test_add_func("/memory/write-listener", test_write_listener);
    g_test_add_func("/memory/top-of-address-space", test_top_of_address_space);
    g_test_add_func("/ioport/dispatch", test_ioport);
    return g_test_run();
}
