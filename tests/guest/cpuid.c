/*
 * cpuid.c: the CPUID the virtual machine presents (SDM Vol 2A, "CPUID").
 * Under KVM bt86 filters what the kernel supports into a coherent model
 * (accel/kvm/kvm-cpuid.c); this checks the parts a guest OS relies on:
 *   leaf 1: hypervisor bit (ECX 31) set, the boot CPU's initial APIC ID
 *           (EBX 31:24) is 0, no VMX (ECX 5: no nested virtualization);
 *   leaf 0xA: architectural PMU version 0 (no PMU is offered);
 *   leaf 0xB (when present): x2APIC ID of the boot CPU is 0.
 * With "cpus=N" on the command line (Multiboot info, flags bit 2), also that
 * leaf 1 counts N logical processors in the package (EBX 23:16) and sets HTT
 * (EDX 28) when N > 1: bt86 puts all vCPUs in one package.
 * It prints the vendor and hypervisor signatures for the log.
 */
#include "guest.h"

struct regs {
    u32 a, b, c, d;
};

static struct regs cpuid(u32 leaf, u32 sub)
{
    struct regs r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
                     : "a"(leaf), "c"(sub));
    return r;
}

static void put_sig(u32 x, u32 y, u32 z)
{
    u32 w[3] = { x, y, z };
    for (int i = 0; i < 12; i++) {
        char ch = (char)(w[i / 4] >> (8 * (i % 4)));
        serial_putc(ch >= 0x20 && ch < 0x7f ? ch : '.');
    }
}

static int failures;

/* The N of "cpus=N" in the Multiboot command line, or 0. */
static u32 cmdline_cpus(u32 mbi)
{
    const u32 *info = (const u32 *)mbi;
    if (!mbi || !(info[0] & (1u << 2)) || !info[4]) {
        return 0;
    }
    for (const char *p = (const char *)info[4]; *p; p++) {
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

static void expect(const char *what, u32 got, u32 want)
{
    if (got != want) {
        serial_puts("FAIL: ");
        serial_puts(what);
        serial_puts(": got ");
        serial_put_hex(got);
        serial_puts(", want ");
        serial_put_hex(want);
        serial_puts("\n");
        failures++;
    }
}

int main(u32 magic, u32 mbi)
{
    u32 ncpus = magic == MULTIBOOT_BOOTLOADER_MAGIC ? cmdline_cpus(mbi) : 0;

    struct regs r0 = cpuid(0, 0);
    u32 max = r0.a;
    serial_puts("vendor ");
    put_sig(r0.b, r0.d, r0.c);
    serial_puts(", max basic leaf ");
    serial_put_hex(max);
    serial_puts("\n");

    struct regs r1 = cpuid(1, 0);
    expect("leaf 1 ECX.hypervisor", (r1.c >> 31) & 1, 1);
    expect("leaf 1 ECX.VMX", (r1.c >> 5) & 1, 0);
    expect("leaf 1 EBX initial APIC ID", r1.b >> 24, 0);
    if (ncpus) {
        expect("leaf 1 EBX logical processors", (r1.b >> 16) & 0xff, ncpus);
        expect("leaf 1 EDX.HTT", (r1.d >> 28) & 1, ncpus > 1);
    }

    if (max >= 0xa) {
        expect("leaf 0xA PMU version", cpuid(0xa, 0).a & 0xff, 0);
    }
    if (max >= 0xb && cpuid(0xb, 0).b != 0) {
        expect("leaf 0xB x2APIC ID", cpuid(0xb, 0).d, 0);
    }

    struct regs h = cpuid(0x40000000, 0);
    serial_puts("hypervisor signature ");
    put_sig(h.b, h.c, h.d);
    serial_puts("\n");

    if (failures) {
        return 1;
    }
    serial_puts("cpuid checks ok\n");
    return 0;
}
