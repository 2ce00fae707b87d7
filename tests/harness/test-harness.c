/*
 * test-harness.c: the harness protocol itself (system/qtest.c,
 * docs/harness.md): memory and port commands, the manual clock, IRQ
 * observation, reset and shutdown events, and the ERR replies to bad input.
 */
#include "libharness.h"

#include <glib.h>
#include <string.h>

static void expect_reply(Harness *h, const char *cmd, const char *want)
{
    char *r = harness_cmd(h, "%s", cmd);
    if (strncmp(r, want, strlen(want))) {
        g_error("'%s': wanted a reply starting '%s', got '%s'", cmd, want, r);
    }
    g_free(r);
}

static void test_memory(void)
{
    Harness *h = harness_start("-m 16");
    harness_writel(h, 0x1000, 0xdeadbeef);
    g_assert_cmphex(harness_readl(h, 0x1000), ==, 0xdeadbeef);
    g_assert_cmphex(harness_readb(h, 0x1000), ==, 0xef);
    g_assert_cmphex(harness_readw(h, 0x1002), ==, 0xdead);
    harness_writeq(h, 0x2000, 0x0123456789abcdefULL);
    g_assert_cmphex(harness_readq(h, 0x2000), ==, 0x0123456789abcdefULL);
    harness_writeb(h, 0x2000, 0x11);
    harness_writew(h, 0x2006, 0x2233);
    g_assert_cmphex(harness_readq(h, 0x2000), ==, 0x2233456789abcd11ULL);

    uint8_t out[300], in[300];
    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = i * 7 + 1;
    }
    harness_memwrite(h, 0x10000 - 100, out, sizeof(out));   /* across a page */
    memset(in, 0, sizeof(in));
    harness_memread(h, 0x10000 - 100, in, sizeof(in));
    g_assert_cmpmem(in, sizeof(in), out, sizeof(out));
    g_assert_cmphex(harness_readb(h, 0x10000 - 100 + 299), ==, out[299]);

    /* Beyond RAM (16 MiB) and in the PC hole: reads as all ones. */
    g_assert_cmphex(harness_readl(h, 0x40000000), ==, 0xffffffff);
    harness_writel(h, 0x40000000, 0x12345678);
    g_assert_cmphex(harness_readl(h, 0x40000000), ==, 0xffffffff);
    expect_reply(h, "read 0x1000 0", "OK");
    harness_quit(h);
}

static void test_clock(void)
{
    Harness *h = harness_start("");
    g_assert_cmpint(harness_clock_get(h), ==, 0);
    g_assert_cmpint(harness_clock_step(h, 1000), ==, 1000);
    g_assert_cmpint(harness_clock_step(h, 5), ==, 1005);
    g_assert_cmpint(harness_clock_set(h, 1000000), ==, 1000000);
    g_assert_cmpint(harness_clock_get(h), ==, 1000000);
    /* Time never moves by itself. */
    g_usleep(20000);
    g_assert_cmpint(harness_clock_get(h), ==, 1000000);
    expect_reply(h, "clock_set 10", "ERR clock_set: time can only move forward");
    g_assert_cmpint(harness_clock_get(h), ==, 1000000);
    harness_quit(h);
}

static void test_clock_next_deadline(void)
{
    /* Arm a timer whose deadline we know: COM1's character timeout, 4
     * character times (4 x 86805 ns at 115200 baud 8N1) after a byte enters
     * its FIFO (loopback). Stepping "to the next deadline" (maybe through
     * other devices' timers first) must land exactly on it, never past it. */
    Harness *h = harness_start("-serial null");
    harness_outb(h, 0x3fb, 0x83);
    harness_outb(h, 0x3f8, 0x01);
    harness_outb(h, 0x3f9, 0x00);
    harness_outb(h, 0x3fb, 0x03);
    harness_outb(h, 0x3fc, 0x10);
    harness_outb(h, 0x3fa, 0x41);                   /* FIFO, trigger level 4 */
    harness_outb(h, 0x3f9, 0x01);
    int64_t t0 = harness_clock_get(h);
    int64_t deadline = t0 + 4 * 86805;
    harness_outb(h, 0x3f8, 'k');
    int64_t now = t0;
    for (int i = 0; i < 1000 && now < deadline; i++) {
        int64_t next = harness_clock_step(h, -1);
        g_assert_cmpint(next, >=, now);
        now = next;
        if (now < deadline) {
            g_assert_cmphex(harness_inb(h, 0x3fa), ==, 0xc1);
        }
    }
    g_assert_cmpint(now, ==, deadline);
    g_assert_cmphex(harness_inb(h, 0x3fa), ==, 0xcc);
    harness_quit(h);
}

static void test_errors(void)
{
    Harness *h = harness_start("");
    expect_reply(h, "frobnicate", "ERR unknown command 'frobnicate'");
    expect_reply(h, "inb", "ERR inb: wrong number of arguments");
    expect_reply(h, "outb 0x80", "ERR outb: wrong number of arguments");
    expect_reply(h, "inb 0x10000", "ERR inb: port out of range");
    expect_reply(h, "inb 0xzz", "ERR inb: bad number '0xzz'");
    expect_reply(h, "inb -1", "ERR inb: bad number '-1'");
    expect_reply(h, "outb 0x80 0x100", "ERR outb: value too wide");
    expect_reply(h, "outw 0x80 0x10000", "ERR outw: value too wide");
    expect_reply(h, "writel 0x1000 0x100000000", "ERR writel: value too wide");
    expect_reply(h, "read 0 0x10000000", "ERR read: length too large");
    expect_reply(h, "write 0 2 0a", "ERR write: data length does not match LEN");
    expect_reply(h, "write 0 1 zz", "ERR write: bad hex data");
    expect_reply(h, "irq_get 24", "ERR irq_get: no such interrupt line");
    expect_reply(h, "clock_step 1 2", "ERR clock_step: wrong number of arguments");
    /* Decimal and hex both work; a leading zero is not octal. */
    harness_writeb(h, 0x500, 0);
    expect_reply(h, "writeb 0x500 010", "OK");
    g_assert_cmphex(harness_readb(h, 0x500), ==, 10);
    /* Blanks around words do not matter. */
    expect_reply(h, "  readb\t0x500  ", "OK 0xa");
    harness_quit(h);
}

static void test_irq_and_reset(void)
{
    Harness *h = harness_start("-serial null");
    /* Without intercept, irq_get still reads the line. */
    g_assert_cmpint(harness_irq_get(h, 4), ==, 0);
    harness_irq_intercept(h);
    /* COM1 drives IRQ 4: THRE interrupt with OUT2. */
    harness_outb(h, 0x3fc, 0x08);
    harness_outb(h, 0x3f9, 0x02);
    g_assert_cmpint(harness_irq_level(h, 4), ==, 1);
    g_assert_cmpint(harness_irq_get(h, 4), ==, 1);

    /* Intercepting again reports the lines that are already high. */
    harness_irq_intercept(h);
    g_assert_cmpint(harness_irq_level(h, 4), ==, 1);

    /* A reset lowers it (device reset) and is announced. */
    harness_reset(h);
    g_assert_true(harness_wait_reset(h, 1, 5000));
    g_assert_cmpint(harness_reset_count(h), ==, 1);
    g_assert_cmpint(harness_irq_level(h, 4), ==, 0);
    g_assert_cmphex(harness_inb(h, 0x3f9), ==, 0);
    harness_reset(h);
    g_assert_true(harness_wait_reset(h, 2, 5000));
    harness_quit(h);
}

static void test_quit_on_close(void)
{
    /* Closing the channel shuts bt86 down cleanly (exit status 0). */
    Harness *h = harness_start("");
    harness_clock_step(h, 1);
    g_assert_cmpint(harness_quit(h), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/harness/memory", test_memory);
    g_test_add_func("/harness/clock", test_clock);
    g_test_add_func("/harness/clock-next-deadline", test_clock_next_deadline);
    g_test_add_func("/harness/errors", test_errors);
    g_test_add_func("/harness/irq-and-reset", test_irq_and_reset);
    g_test_add_func("/harness/quit-on-close", test_quit_on_close);
    return g_test_run();
}
