/*
 * test-pc-testdev.c (harness): the pc-testdev registers kvm-unit-tests relies on:
 * the 0xe0 scratch dword at every access size and offset, the byte-only 0xe8
 * scratch, interrupt lines driven through 0x2000+n, the MMIO scratch window at
 * 0xff000000, the flush-page port ignoring what is not RAM, and reset.
 */
#include <glib.h>
#include "libharness.h"

#define IOMEM 0xff000000ULL

static void test_absent(void)
{
    /* Only -device pc-testdev creates it: the ports and window are holes. */
    Harness *h = harness_start("");
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0xffffffff);
    g_assert_cmphex(harness_inb(h, 0x2000), ==, 0xff);
    g_assert_cmphex(harness_readl(h, IOMEM), ==, 0xffffffff);
    harness_quit(h);
}

static void test_scratch(void)
{
    Harness *h = harness_start("-device pc-testdev");
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0);
    harness_outl(h, 0xe0, 0x12345678);
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0x12345678);
    g_assert_cmphex(harness_inb(h, 0xe0), ==, 0x78);
    g_assert_cmphex(harness_inb(h, 0xe2), ==, 0x34);
    g_assert_cmphex(harness_inw(h, 0xe2), ==, 0x1234);
    /* A narrower write replaces only its own bytes, at any offset. */
    harness_outw(h, 0xe1, 0xabcd);
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0x12abcd78);
    harness_outb(h, 0xe3, 0x9a);
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0x9aabcd78);
    /* The realmode test's sequence: outb/inb, outw/inw, outl/inl at 0xe0. */
    harness_outb(h, 0xe0, 0xff);
    g_assert_cmphex(harness_inb(h, 0xe0), ==, 0xff);
    harness_outw(h, 0xe0, 0xffff);
    g_assert_cmphex(harness_inw(h, 0xe0), ==, 0xffff);
    harness_outl(h, 0xe0, 0xffffffff);
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0xffffffff);
    harness_quit(h);
}

static void test_byte_scratch(void)
{
    Harness *h = harness_start("-device pc-testdev");
    harness_outl(h, 0xe0, 0x11111111);
    /* A dword reaches the byte-only register as four byte accesses. */
    harness_outl(h, 0xe8, 0xdeadbeef);
    g_assert_cmphex(harness_inl(h, 0xe8), ==, 0xdeadbeef);
    g_assert_cmphex(harness_inb(h, 0xeb), ==, 0xde);
    g_assert_cmphex(harness_inw(h, 0xe9), ==, 0xadbe);
    harness_outb(h, 0xe9, 0x00);
    g_assert_cmphex(harness_inl(h, 0xe8), ==, 0xdead00ef);
    /* It is a register of its own. */
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0x11111111);
    harness_quit(h);
}

static void test_irq_lines(void)
{
    Harness *h = harness_start("-device pc-testdev");
    harness_irq_intercept(h);
    g_assert_cmpint(harness_irq_level(h, 14), ==, 0);
    harness_outb(h, 0x2000 + 14, 1);
    g_assert_cmpint(harness_irq_level(h, 14), ==, 1);
    g_assert_cmphex(harness_inb(h, 0x2000 + 14), ==, 1);
    /* Any non-zero value is "high"; the lines next door are untouched. */
    harness_outb(h, 0x2000 + 14, 0);
    g_assert_cmpint(harness_irq_level(h, 14), ==, 0);
    harness_outb(h, 0x2000 + 23, 0x80);
    g_assert_cmpint(harness_irq_level(h, 23), ==, 1);
    g_assert_cmpint(harness_irq_level(h, 22), ==, 0);
    harness_outb(h, 0x2000 + 23, 0);
    g_assert_cmpint(harness_irq_level(h, 23), ==, 0);
    /* A word write drives two consecutive lines, one byte each. */
    harness_outw(h, 0x2000 + 3, 0x0100);
    g_assert_cmpint(harness_irq_level(h, 3), ==, 0);
    g_assert_cmpint(harness_irq_level(h, 4), ==, 1);
    g_assert_cmpint(harness_irq_raise_count(h, 4), ==, 1);
    /* Past the 24 lines there is nothing. */
    g_assert_cmphex(harness_inb(h, 0x2000 + 24), ==, 0xff);
    harness_quit(h);
}

static void test_iomem(void)
{
    Harness *h = harness_start("-device pc-testdev");
    g_assert_cmphex(harness_readq(h, IOMEM), ==, 0);
    harness_writeq(h, IOMEM + 8, 0x0123456789abcdefULL);
    g_assert_cmphex(harness_readq(h, IOMEM + 8), ==, 0x0123456789abcdefULL);
    g_assert_cmphex(harness_readb(h, IOMEM + 15), ==, 0x01);
    g_assert_cmphex(harness_readw(h, IOMEM + 9), ==, 0xabcd);
    g_assert_cmphex(harness_readl(h, IOMEM + 11), ==, 0x23456789);
    harness_writeb(h, IOMEM + 10, 0x55);
    g_assert_cmphex(harness_readq(h, IOMEM + 8), ==, 0x012345678955cdefULL);
    /* The last dword of the 64 KiB window, and the bytes after it are a hole. */
    harness_writel(h, IOMEM + 0xfffc, 0xcafef00d);
    g_assert_cmphex(harness_readl(h, IOMEM + 0xfffc), ==, 0xcafef00d);
    g_assert_cmphex(harness_readl(h, IOMEM + 0x10000), ==, 0xffffffff);
    /* Bulk access through the memory map sees the same bytes. */
    uint8_t buf[4];
    harness_memread(h, IOMEM + 0xfffc, buf, sizeof(buf));
    g_assert_cmphex(buf[0], ==, 0x0d);
    g_assert_cmphex(buf[3], ==, 0xca);
    harness_quit(h);
}

static void test_flush_page(void)
{
    Harness *h = harness_start("-device pc-testdev -m 64");
    harness_writel(h, 0x200000, 0x5a5aa5a5);
    /* A RAM page: the data stays (only translations are dropped). */
    harness_outl(h, 0xe4, 0x200004);
    g_assert_cmphex(harness_readl(h, 0x200000), ==, 0x5a5aa5a5);
    /* Not RAM (beyond it, the device's own window, the top), or not a whole
     * dword: ignored, and the device keeps working. */
    harness_outl(h, 0xe4, 64u << 20);
    harness_outl(h, 0xe4, (uint32_t)IOMEM);
    harness_outl(h, 0xe4, 0xffffffff);
    harness_outb(h, 0xe4, 0x12);
    harness_outw(h, 0xe6, 0x3456);
    g_assert_cmphex(harness_inl(h, 0xe4), ==, 0);
    harness_outl(h, 0xe0, 0x600d);
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0x600d);
    g_assert_cmphex(harness_readl(h, 0x200000), ==, 0x5a5aa5a5);
    harness_quit(h);
}

static void test_reset(void)
{
    Harness *h = harness_start("-device pc-testdev");
    harness_irq_intercept(h);
    harness_outl(h, 0xe0, 0xfeedface);
    harness_outl(h, 0xe8, 0x01020304);
    harness_writel(h, IOMEM + 0x100, 0x77777777);
    harness_outb(h, 0x2000 + 9, 1);
    g_assert_cmpint(harness_irq_level(h, 9), ==, 1);
    harness_reset(h);
    g_assert_true(harness_wait_reset(h, 1, 5000));
    g_assert_cmphex(harness_inl(h, 0xe0), ==, 0);
    g_assert_cmphex(harness_inl(h, 0xe8), ==, 0);
    g_assert_cmphex(harness_readl(h, IOMEM + 0x100), ==, 0);
    /* The device stopped driving the line it had raised. */
    g_assert_cmpint(harness_irq_level(h, 9), ==, 0);
    g_assert_cmphex(harness_inb(h, 0x2000 + 9), ==, 0);
    harness_quit(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/hw/pc-testdev/absent", test_absent);
    g_test_add_func("/harness/hw/pc-testdev/scratch", test_scratch);
    g_test_add_func("/harness/hw/pc-testdev/byte-scratch", test_byte_scratch);
    g_test_add_func("/harness/hw/pc-testdev/irq-lines", test_irq_lines);
    g_test_add_func("/harness/hw/pc-testdev/iomem", test_iomem);
    g_test_add_func("/harness/hw/pc-testdev/flush-page", test_flush_page);
    g_test_add_func("/harness/hw/pc-testdev/reset", test_reset);
    return g_test_run();
}
