/*
 * libharness.h: the C client of the device harness (system/qtest.c,
 * protocol in docs/harness.md). A test starts bt86 with no CPU
 * (`-accel qtest`), then reads and writes ports and memory, steps the manual
 * clock and watches interrupt lines, all through one Unix socket.
 *
 * Every call fails the running test (g_assert / g_error) if bt86 does not
 * answer, answers ERR, or dies, so tests need no error plumbing. harness_cmd()
 * is the exception: it returns the raw reply for tests of the protocol itself.
 */
#ifndef TESTS_LIBHARNESS_H
#define TESTS_LIBHARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

typedef struct Harness Harness;

/* Spawn `$BT86 -accel qtest -qtest unix:SOCK -display none EXTRA...` (EXTRA is
 * split like a shell would) and wait until it connects. */
Harness *harness_start(const char *extra_args);
/* Close the channel (bt86 then shuts down), reap the process, free h.
 * Returns bt86's exit status (-1 if it had to be killed). */
int harness_quit(Harness *h);
/* Wait for bt86 to exit on its own (e.g. through the debug-exit port); returns
 * its exit status, or 128 + signal number. h must still be freed with
 * harness_quit(). Fails the test after a timeout. */
int harness_wait_exit(Harness *h);
/* The process id, for tests that need to signal it. */
int harness_pid(Harness *h);

/* Send one command line (printf-style), return the reply line ("OK ..." or
 * "ERR ...") without its newline; the caller frees it. Async lines are
 * recorded on the way. */
char *harness_cmd(Harness *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void harness_outb(Harness *h, uint16_t port, uint8_t val);
void harness_outw(Harness *h, uint16_t port, uint16_t val);
void harness_outl(Harness *h, uint16_t port, uint32_t val);
uint8_t harness_inb(Harness *h, uint16_t port);
uint16_t harness_inw(Harness *h, uint16_t port);
uint32_t harness_inl(Harness *h, uint16_t port);

uint8_t harness_readb(Harness *h, uint64_t addr);
uint16_t harness_readw(Harness *h, uint64_t addr);
uint32_t harness_readl(Harness *h, uint64_t addr);
uint64_t harness_readq(Harness *h, uint64_t addr);
void harness_writeb(Harness *h, uint64_t addr, uint8_t val);
void harness_writew(Harness *h, uint64_t addr, uint16_t val);
void harness_writel(Harness *h, uint64_t addr, uint32_t val);
void harness_writeq(Harness *h, uint64_t addr, uint64_t val);
/* Bulk guest-physical access (the "read"/"write" commands). */
void harness_memread(Harness *h, uint64_t addr, void *buf, size_t len);
void harness_memwrite(Harness *h, uint64_t addr, const void *buf, size_t len);

/* Advance the manual clock by ns (ns < 0: to the next timer deadline); returns
 * the new virtual time in ns. */
int64_t harness_clock_step(Harness *h, int64_t ns);
int64_t harness_clock_set(Harness *h, int64_t ns);
int64_t harness_clock_get(Harness *h);

/* Start observing the 24 interrupt lines; lines already high are reported. */
void harness_irq_intercept(Harness *h);
/* The level of line n as last reported by an "IRQ" line (after reading any
 * lines already waiting on the socket). Needs harness_irq_intercept(). */
int harness_irq_level(Harness *h, int n);
/* Ask bt86 for the current level of line n (works without intercept). */
int harness_irq_get(Harness *h, int n);
/* Wait up to timeout_ms for line n to reach level (for events caused from
 * outside, e.g. bytes arriving on a socket backend). Returns whether it did. */
bool harness_wait_irq(Harness *h, int n, int level, int timeout_ms);
/* How many "IRQ raise n" lines have arrived so far. */
int harness_irq_raise_count(Harness *h, int n);

/* Ask for a system reset; returns once acknowledged (the RESET line follows
 * when the main loop has reset the machine: see harness_wait_reset). */
void harness_reset(Harness *h);
/* Wait up to timeout_ms until `count` RESET lines have been seen in total. */
bool harness_wait_reset(Harness *h, int count, int timeout_ms);
int harness_reset_count(Harness *h);
/* Whether a "SHUTDOWN STATUS" line arrived, and its status. */
bool harness_got_shutdown(Harness *h, int *status);

#endif
