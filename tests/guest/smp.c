/*
 * smp.c: bring up the application processors through the local APIC and check
 * that each one runs and sees its own APIC ID. Run with -smp N -append cpus=N.
 *
 * The boot CPU sends INIT then two start-up IPIs to each AP through the ICR
 * (SDM Vol 3 §10.6.1, Figure 10-12; the "universal start-up algorithm" of
 * §9.4.4.1); under KVM this exercises the in-kernel LAPIC, the APs' wait-for-SIPI
 * state that bt86 gives them at reset, per-vCPU CPUID and one thread per vCPU.
 *
 * With "reboot" on the command line it does it twice: once, then a triple fault
 * (a full machine reset), then again after the reset, which only works if the
 * reset put the APs back into wait-for-SIPI.
 */
#include "guest.h"

#define LAPIC_BASE      0xfee00000u
#define LAPIC_ID        0x20
#define LAPIC_SVR       0xf0
#define LAPIC_ICR_LO    0x300
#define LAPIC_ICR_HI    0x310
#define ICR_INIT        0x00000500u
#define ICR_STARTUP     0x00000600u
#define ICR_ASSERT      0x00004000u
#define ICR_PENDING     0x00001000u

#define SMP_TRAMP_ADDR  0x8000u     /* must match smp-tramp.S */
#define SMP_MAILBOX     0x8100u
#define SMP_COUNT       0x80fcu
#define SMP_MAGIC       0x5a000000u
#define MAX_CPUS        16
#define WAIT_LOOPS      50000000u

extern const u8 smp_tramp_start[], smp_tramp_end[];

static volatile u32 *lapic(u32 reg)
{
    return (volatile u32 *)(LAPIC_BASE + reg);
}

static void send_ipi(u32 apic_id, u32 cmd)
{
    *lapic(LAPIC_ICR_HI) = apic_id << 24;
    *lapic(LAPIC_ICR_LO) = cmd;
    for (u32 i = 0; i < 1000000 && (*lapic(LAPIC_ICR_LO) & ICR_PENDING); i++) {
        __asm__ volatile("pause");
    }
}

#define REBOOT_MARKER_ADDR  0x300000u   /* RAM past the image, kept by a reset */
#define REBOOT_MARKER_MAGIC 0x534d5052u  /* "RPMS" */

/* The Multiboot command line (flags bit 2), or "". */
static const char *cmdline(u32 magic, u32 mbi)
{
    const u32 *info = (const u32 *)mbi;
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC || !mbi || !(info[0] & (1u << 2)) ||
        !info[4]) {
        return "";
    }
    return (const char *)info[4];
}

static int has_word(const char *line, const char *word)
{
    for (const char *p = line; *p; p++) {
        const char *a = p, *b = word;
        while (*b && *a == *b) {
            a++;
            b++;
        }
        if (!*b && (*a == ' ' || *a == '\0') && (p == line || p[-1] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* The N of "cpus=N" in the command line, or 0. */
static u32 cmdline_cpus(const char *line)
{
    for (const char *p = line; *p; p++) {
        if (p[0] == 'c' && p[1] == 'p' && p[2] == 'u' && p[3] == 's' && p[4] == '=') {
            u32 n = 0;
            for (p += 5; *p >= '0' && *p <= '9'; p++) {
                n = n * 10 + (u32)(*p - '0');
            }
            return n;
        }
    }
    return 0;
}

static void triple_fault(void)
{
    static const struct {
        u16 limit;
        u32 base;
    } __attribute__((packed)) empty_idt = { 0, 0 };
    __asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
}

int main(u32 magic, u32 mbi)
{
    const char *line = cmdline(magic, mbi);
    u32 ncpus = cmdline_cpus(line);
    volatile u32 *marker = (volatile u32 *)REBOOT_MARKER_ADDR;
    int after_reset = *marker == REBOOT_MARKER_MAGIC;
    if (ncpus < 2 || ncpus > MAX_CPUS) {
        serial_puts("FAIL: run with -smp N -append cpus=N, 2 <= N <= 16\n");
        return 1;
    }

    u8 *dst = (u8 *)SMP_TRAMP_ADDR;
    for (const u8 *p = smp_tramp_start; p < smp_tramp_end; p++) {
        *dst++ = *p;
    }
    volatile u32 *count = (volatile u32 *)SMP_COUNT;
    volatile u32 *mailbox = (volatile u32 *)SMP_MAILBOX;
    *count = 0;
    for (u32 i = 0; i < MAX_CPUS; i++) {
        mailbox[i] = 0;
    }

    u32 bsp_id = *lapic(LAPIC_ID) >> 24;
    if (bsp_id != 0) {
        serial_puts("FAIL: boot CPU APIC ID ");
        serial_put_hex(bsp_id);
        serial_puts("\n");
        return 1;
    }
    *lapic(LAPIC_SVR) |= 0x100;     /* APIC software enable */

    for (u32 id = 1; id < ncpus; id++) {
        send_ipi(id, ICR_INIT | ICR_ASSERT);
        for (int n = 0; n < 2; n++) {
            send_ipi(id, ICR_STARTUP | ICR_ASSERT | (SMP_TRAMP_ADDR >> 12));
        }
    }
    for (u32 i = 0; i < WAIT_LOOPS && *count < ncpus - 1; i++) {
        __asm__ volatile("pause");
    }

    int failures = 0;
    if (*count != ncpus - 1) {
        serial_puts("FAIL: APs that started: ");
        serial_put_hex(*count);
        serial_puts("\n");
        failures++;
    }
    for (u32 id = 1; id < ncpus; id++) {
        if (mailbox[id] != (SMP_MAGIC | id)) {
            serial_puts("FAIL: mailbox of APIC ID ");
            serial_put_hex(id);
            serial_puts(" holds ");
            serial_put_hex(mailbox[id]);
            serial_puts("\n");
            failures++;
        }
    }
    if (failures) {
        return 1;
    }
    if (after_reset) {
        serial_puts("after reset: ");
    }
    serial_puts("all ");
    serial_put_hex(ncpus);
    serial_puts(" CPUs up with their own APIC IDs\n");
    if (has_word(line, "reboot")) {
        if (!after_reset) {
            *marker = REBOOT_MARKER_MAGIC;
            serial_puts("resetting the machine\n");
            triple_fault();
            serial_puts("FAIL: still running after the triple fault\n");
            return 1;
        }
        *marker = 0;
    }
    return 0;
}
