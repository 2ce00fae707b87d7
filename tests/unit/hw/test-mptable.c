/*
 * test-mptable.c: the Intel MP spec 1.4 tables of hw/pc/mptable.c, read back
 * the way an OS does (MP spec §4.1-4.3): find "_MP_" in the last KiB of base
 * memory, check both checksums, walk the entries by type and size, and compare
 * what they declare with the board's routing.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/pc/mptable.h"

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s += p[i];
    }
    return s;
}

typedef struct Parsed {
    unsigned cpus, bsp_id, nbus, nioapic, extint_pin0, nlint;
    int irq_pin[16];            /* IOAPIC pin of ISA IRQ n, -1 if none */
    uint32_t lapic_addr, ioapic_addr;
    uint8_t ioapic_id;
} Parsed;

/* Parse a table at guest address addr held in buf (buf[0] is addr). */
static void parse(const uint8_t *buf, uint32_t addr, Parsed *out)
{
    const uint8_t *f = buf;
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < 16; i++) {
        out->irq_pin[i] = -1;
    }
    g_assert_cmpmem(f, 4, "_MP_", 4);
    g_assert_cmpuint(f[8], ==, 1);
    g_assert_cmpuint(f[9], ==, 4);
    g_assert_cmpuint(sum(f, 16), ==, 0);
    g_assert_cmpuint(f[11], ==, 0);             /* a table follows */
    uint32_t tp = ldl_le(f + 4);
    g_assert_cmpuint(tp, >=, addr);
    const uint8_t *t = buf + (tp - addr);
    g_assert_cmpmem(t, 4, "PCMP", 4);
    uint16_t len = ldw_le(t + 4);
    g_assert_cmpuint(sum(t, len), ==, 0);
    out->lapic_addr = ldl_le(t + 36);
    uint16_t count = ldw_le(t + 34);
    const uint8_t *p = t + 44;
    for (unsigned i = 0; i < count; i++) {
        g_assert_cmpuint(p - t, <, len);
        switch (p[0]) {
        case 0:
            out->cpus++;
            g_assert_true(p[3] & 1);
            if (p[3] & 2) {
                out->bsp_id = p[1];
            }
            p += 20;
            break;
        case 1:
            out->nbus++;
            g_assert_cmpmem(p + 2, 6, "ISA   ", 6);
            p += 8;
            break;
        case 2:
            out->nioapic++;
            out->ioapic_id = p[1];
            out->ioapic_addr = ldl_le(p + 4);
            p += 8;
            break;
        case 3:
            if (p[1] == 3) {
                out->extint_pin0 = p[7] == 0;
            } else if (p[1] == 0 && p[5] < 16) {
                g_assert_cmpuint(p[6], ==, out->ioapic_id);
                out->irq_pin[p[5]] = p[7];
            }
            p += 8;
            break;
        case 4:
            out->nlint++;
            p += 8;
            break;
        default:
            g_assert_not_reached();
        }
    }
    g_assert_cmpuint(p - t, ==, len);
}

static void test_build_four_cpus(void)
{
    MPTableConfig cfg = {
        .ncpus = 4, .lapic_version = 0x14, .ioapic_id = 4, .ioapic_version = 0x20,
        .ioapic_addr = 0xfec00000, .irq0_pin = 2,
    };
    uint8_t buf[1024];
    size_t n = mptable_build(&cfg, 0x9fc00, buf, sizeof(buf));
    g_assert_cmpuint(n, >, 0);
    Parsed p;
    parse(buf, 0x9fc00, &p);
    g_assert_cmpuint(p.cpus, ==, 4);
    g_assert_cmpuint(p.bsp_id, ==, 0);
    g_assert_cmpuint(p.nbus, ==, 1);
    g_assert_cmpuint(p.nioapic, ==, 1);
    g_assert_cmpuint(p.ioapic_id, ==, 4);
    g_assert_cmphex(p.ioapic_addr, ==, 0xfec00000);
    g_assert_cmphex(p.lapic_addr, ==, 0xfee00000);
    g_assert_true(p.extint_pin0);
    g_assert_cmpuint(p.nlint, ==, 2);
    g_assert_cmpint(p.irq_pin[0], ==, 2);       /* the PIT's override */
    g_assert_cmpint(p.irq_pin[2], ==, -1);      /* the cascade has no pin */
    for (int irq = 3; irq < 16; irq++) {
        g_assert_cmpint(p.irq_pin[irq], ==, irq);
    }
}

static void test_too_small(void)
{
    MPTableConfig cfg = { .ncpus = 64, .irq0_pin = 2 };
    uint8_t buf[1024];
    g_assert_cmpuint(mptable_build(&cfg, 0x9fc00, buf, sizeof(buf)), ==, 0);
    cfg.ncpus = 0;
    g_assert_cmpuint(mptable_build(&cfg, 0x9fc00, buf, sizeof(buf)), ==, 0);
}

/* Installed in guest RAM: 2 CPUs in the last KiB of base memory, the BDA's
 * EBDA pointer at it; 64 CPUs in the BIOS area instead. */
static void test_install(void)
{
    Machine *m = unit_machine_new(16 * MiB, 2);
    MPTableConfig cfg = {
        .ncpus = 2, .lapic_version = 0x14, .ioapic_id = 2, .ioapic_version = 0x20,
        .ioapic_addr = 0xfec00000, .irq0_pin = 2,
    };
    Error *err = NULL;
    uint8_t buf[0x10000];
    Parsed p;

    g_assert_true(mptable_install(m, &cfg, &err));
    g_assert_cmpint(memmap_read(&m->mem, 0x9fc00, buf, 0x400), ==, MEMTX_OK);
    parse(buf, 0x9fc00, &p);
    g_assert_cmpuint(p.cpus, ==, 2);
    g_assert_cmpint(memmap_read(&m->mem, 0x40e, buf, 2), ==, MEMTX_OK);
    g_assert_cmphex(ldw_le(buf), ==, 0x9fc0);

    cfg.ncpus = 64;
    g_assert_true(mptable_install(m, &cfg, &err));
    g_assert_cmpint(memmap_read(&m->mem, 0xf0000, buf, sizeof(buf)), ==, MEMTX_OK);
    parse(buf, 0xf0000, &p);
    g_assert_cmpuint(p.cpus, ==, 64);
    machine_free(m);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/mptable/build-4-cpus", test_build_four_cpus);
    g_test_add_func("/mptable/too-small", test_too_small);
    g_test_add_func("/mptable/install", test_install);
    return g_test_run();
}
