/*
 * test-device.c: device classes, properties and the machine's device list.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "system/machine.h"

typedef struct TestDev {
    Device parent;
    uint32_t iobase;
    uint8_t width;
    bool flag;
    char *label;
    uint64_t size;
    int resets;
    uint8_t reg;
} TestDev;

static uint64_t testdev_read(void *opaque, uint64_t off, unsigned size)
{
    TestDev *d = opaque;
    return d->reg + off;
}

static void testdev_write(void *opaque, uint64_t off, uint64_t val, unsigned size)
{
    TestDev *d = opaque;
    d->reg = val;
}

static const MemoryOps testdev_ops = { testdev_read, testdev_write, 1, 1 };

static bool testdev_realize(Device *dev, Error **errp)
{
    TestDev *d = (TestDev *)dev;
    return iomap_add(&dev->machine->io, "testdev", d->iobase, 4, &testdev_ops, d, errp);
}

static void testdev_reset(Device *dev)
{
    TestDev *d = (TestDev *)dev;
    d->resets++;
    d->reg = 0;
}

static const Property testdev_props[] = {
    { "iobase", PROP_U32, offsetof(TestDev, iobase), 0x500, NULL, "base port" },
    { "width", PROP_U8, offsetof(TestDev, width), 8, NULL, NULL },
    { "flag", PROP_BOOL, offsetof(TestDev, flag), true, NULL, NULL },
    { "label", PROP_STR, offsetof(TestDev, label), 0, "none", NULL },
    { "size", PROP_SIZE, offsetof(TestDev, size), 4096, NULL, NULL },
    PROP_END,
};

static const DeviceClass testdev_class = {
    .name = "test-dev",
    .desc = "a device for the unit tests",
    .bus = "isa",
    .instance_size = sizeof(TestDev),
    .user_creatable = true,
    .props = testdev_props,
    .realize = testdev_realize,
    .reset = testdev_reset,
};
DEVICE_CLASS_REGISTER(testdev_class)

static Machine *new_machine(void)
{
    Error *err = NULL;
    Machine *m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    return m;
}

static void test_defaults_and_props(void)
{
    Machine *m = new_machine();
    Error *err = NULL;
    Opts *o = opts_parse("test-dev,iobase=0x600,width=16,flag=off,label=hi,size=2M,id=t0",
                         "driver", &err);
    TestDev *d = (TestDev *)device_create(m, "test-dev", o, &err);
    g_assert_null(err);
    g_assert_nonnull(d);
    g_assert_cmphex(d->iobase, ==, 0x600);
    g_assert_cmpuint(d->width, ==, 16);
    g_assert_false(d->flag);
    g_assert_cmpstr(d->label, ==, "hi");
    g_assert_cmpuint(d->size, ==, 2 * MiB);
    g_assert_cmpstr(d->parent.id, ==, "t0");
    ioport_write(&m->io, 0x601, 0x42, 1);
    g_assert_cmphex(ioport_read(&m->io, 0x602, 1), ==, 0x44);
    opts_free(o);

    TestDev *e = (TestDev *)device_create(m, "test-dev", NULL, &err);
    g_assert_null(err);
    g_assert_cmphex(e->iobase, ==, 0x500);
    g_assert_cmpuint(e->width, ==, 8);
    g_assert_true(e->flag);
    g_assert_cmpstr(e->label, ==, "none");
    g_assert_cmpuint(m->devices->len, ==, 2);
    machine_free(m);
}

static void test_prop_errors(void)
{
    Machine *m = new_machine();
    const char *bad[] = {
        "test-dev,width=256", "test-dev,flag=2", "test-dev,nosuch=1",
        "test-dev,iobase=zz", "test-dev,size=12Q",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        Error *err = NULL;
        Opts *o = opts_parse(bad[i], "driver", &err);
        g_assert_nonnull(o);
        g_assert_null(device_create(m, "test-dev", o, &err));
        g_assert_nonnull(err);
        g_assert_nonnull(strstr(err->msg, "test-dev"));
        error_free(err);
        opts_free(o);
    }
    Error *err = NULL;
    g_assert_null(device_create(m, "no-such-device", NULL, &err));
    g_assert_nonnull(strstr(err->msg, "no such device"));
    error_free(err);
    g_assert_cmpuint(m->devices->len, ==, 0);
    machine_free(m);
}

static void test_port_conflict(void)
{
    Machine *m = new_machine();
    Error *err = NULL;
    g_assert_nonnull(device_create(m, "test-dev", NULL, &err));
    g_assert_null(device_create(m, "test-dev", NULL, &err));
    g_assert_nonnull(strstr(err->msg, "already used"));
    error_free(err);
    g_assert_cmpuint(m->devices->len, ==, 1);
    machine_free(m);
}

static void test_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    device_list_help(f);
    device_class_help(device_class_find("test-dev"), f);
    fclose(f);
    g_assert_nonnull(strstr(buf, "name \"test-dev\", bus isa"));
    g_assert_nonnull(strstr(buf, "iobase"));
    g_assert_nonnull(strstr(buf, "(default: 0x500)"));
    free(buf);
}

static void test_machine_layout(void)
{
    Error *err = NULL;
    Machine *m = unit_machine_new(4 * GiB, 1);
    g_assert_null(err);
    g_assert_cmphex(m->below_4g_mem, ==, 0xc0000000);
    g_assert_cmphex(m->above_4g_mem, ==, 1 * GiB);
    memmap_store(&m->mem, 4 * GiB + 8, 0x1234, 4);
    g_assert_cmphex(ldl_le(m->ram->host + 0xc0000008), ==, 0x1234);
    g_assert_null(memmap_find(&m->mem, 0xd0000000));   /* the PCI hole */
    machine_free(m);

    MachineConfig cfg = { .ram_size = 512 * KiB, .accel = (char *)"qtest", .smp = 1 };
    g_assert_null(machine_new(&cfg, &err));
    g_assert_nonnull(err);
    error_free(err);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/device/defaults-and-props", test_defaults_and_props);
    g_test_add_func("/device/prop-errors", test_prop_errors);
    g_test_add_func("/device/port-conflict", test_port_conflict);
    g_test_add_func("/device/help", test_help);
    g_test_add_func("/machine/layout", test_machine_layout);
    return g_test_run();
}
