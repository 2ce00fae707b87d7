/*
 * pic-pit.c: external interrupts in 32-bit protected mode through the 8259A
 * pair (datasheet 231468: ICW1-4, OCW1 masks, OCW2 EOI) from two sources: the
 * 8254 PIT channel 0 in mode 2 at ~1000 Hz on IRQ 0, and the MC146818 RTC's
 * 64 Hz periodic interrupt on IRQ 8, which reaches the CPU through the slave
 * and the master's IR2. Checks: both tick at the rates their programming
 * implies (the PIT ticks ~250 times while the RTC ticks 16 times), HLT wakes
 * on an interrupt, an interrupt reaches a busy loop (hot, chained code) as
 * soon as IF=1, IF=0 holds a request back until STI and the instruction after
 * it, and a masked IRQ is never delivered.
 */
#include "guest.h"

volatile u32 pit_ticks, rtc_ticks, spurious, other;

void irq0_entry(void);
void irq8_entry(void);
void spurious_entry(void);
void other_entry(void);
void irq8_handler(void);

__asm__(".text\n"
        "irq0_entry:\n"
        "    pushl %eax\n"
        "    incl pit_ticks\n"
        "    movb $0x20, %al\n"
        "    outb %al, $0x20\n"             /* non-specific EOI, master */
        "    popl %eax\n"
        "    iret\n"
        "irq8_entry:\n"
        "    pushal\n"
        "    cld\n"
        "    call irq8_handler\n"
        "    popal\n"
        "    iret\n"
        "spurious_entry:\n"
        "    incl spurious\n"
        "    iret\n"
        "other_entry:\n"
        "    incl other\n"
        "    iret\n");

static u8 cmos_read(u8 reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static void cmos_write(u8 reg, u8 v)
{
    outb(0x70, reg);
    outb(0x71, v);
}

void irq8_handler(void)
{
    rtc_ticks++;
    (void)cmos_read(0x0c);              /* acknowledge at the RTC: IRQ 8 drops */
    outb(0xa0, 0x20);                   /* EOI slave, then master (cascade) */
    outb(0x20, 0x20);
}

static void wait_rtc_ticks(u32 n)
{
    u32 target = rtc_ticks + n;
    for (u32 halts = 0; rtc_ticks < target && halts < 100000; halts++) {
        __asm__ volatile("sti\n\thlt\n\tcli" : : : "memory");
    }
}

/* Channel 0's count through the counter latch command. */
static u16 pit_count(void)
{
    outb(0x43, 0x00);
    u8 lo = inb(0x40);
    return lo | (inb(0x40) << 8);
}

static int fail(const char *what, u32 v)
{
    serial_puts("FAIL: ");
    serial_puts(what);
    serial_puts(" ");
    serial_put_hex(v);
    serial_puts("\n");
    return 1;
}

int main(u32 magic, u32 mbi)
{
    (void)magic;
    (void)mbi;
    for (int i = 0; i < 64; i++) {
        guest_set_gate(i, other_entry);
    }
    guest_set_gate(0x20, irq0_entry);
    guest_set_gate(0x28, irq8_entry);
    guest_set_gate(0x27, spurious_entry);
    guest_set_gate(0x2f, spurious_entry);
    guest_load_idt();

    /* 8259A pair: edge, cascade, vectors 0x20/0x28, slave on IR2, 8086 mode. */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xfa);                   /* IRQ 0 and the cascade */
    outb(0xa1, 0xfe);                   /* IRQ 8 */
    /* PIT channel 0: LSB then MSB, mode 2, 1193 clocks (~1000.15 Hz). */
    outb(0x43, 0x34);
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);
    /* RTC: 64 Hz periodic interrupt. */
    cmos_write(0x0a, 0x2a);
    cmos_write(0x0b, cmos_read(0x0b) | 0x40);
    (void)cmos_read(0x0c);

    wait_rtc_ticks(1);                  /* start on an RTC edge */
    u32 p0 = pit_ticks;
    wait_rtc_ticks(16);                 /* 250 ms */
    u32 pit = pit_ticks - p0;
    if (rtc_ticks < 17) {
        return fail("RTC interrupts (IRQ 8 via the slave)", rtc_ticks);
    }
    /* A tick raised while the previous one is still unacknowledged merges
     * with it (8259A IRR semantics), so a host too busy to run the vCPU for
     * a few ms loses some: the lower bound leaves room for that; a wrong
     * divisor or rate is off by far more. */
    if (pit < 150 || pit > 300) {
        return fail("PIT interrupts in 16 RTC periods (want ~250)", pit);
    }

    /* A busy loop with IF=1 sees interrupts without any HLT. */
    u32 start = pit_ticks;
    u32 spins = 0;
    __asm__ volatile("sti" : : : "memory");
    while (pit_ticks - start < 10 && spins < 400000000u) {
        spins++;
    }
    __asm__ volatile("cli" : : : "memory");
    if (pit_ticks - start < 10) {
        return fail("PIT interrupts in a busy loop", pit_ticks - start);
    }

    /* IF = 0: IRQ 0 waits in IRR however many periods go by; STI lets it in
     * once, right after the instruction that follows STI. */
    u32 held = pit_ticks;
    u16 prev = pit_count();
    for (u32 wraps = 0, reads = 0; wraps < 3 && reads < 100000000u; reads++) {
        u16 c = pit_count();
        wraps += c > prev;              /* mode 2 reloads: the count jumps up */
        prev = c;
    }
    if (pit_ticks != held) {
        return fail("IRQ 0 delivered with IF=0", pit_ticks - held);
    }
    /* The request is latched (OCW3 read IRR). Mode 0 with a long count then
     * holds OUT low, so no new edge can slip in around the STI below. */
    for (u32 i = 0; i < 100000000u; i++) {
        outb(0x20, 0x0a);
        if (inb(0x20) & 1) {
            break;
        }
    }
    outb(0x43, 0x30);
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    __asm__ volatile("sti\n\tnop\n\tcli" : : : "memory");
    if (pit_ticks != held + 1) {
        return fail("IRQ 0 after sti; nop; cli (want exactly 1)", pit_ticks - held);
    }
    outb(0x43, 0x34);                   /* back to the rate generator */
    outb(0x40, 1193 & 0xff);
    outb(0x40, 1193 >> 8);

    /* Masked at the PIC: IRQ 0 never arrives while the RTC keeps ticking. */
    outb(0x21, 0xfb);
    u32 before = pit_ticks;
    wait_rtc_ticks(8);
    if (pit_ticks != before) {
        return fail("masked IRQ 0 delivered", pit_ticks - before);
    }
    if (other) {
        return fail("unexpected vectors", other);
    }
    serial_puts("pic-pit interrupts ok\n");
    return 0;
}
