/*
 * libguest.c: serial output and exit for the bare-metal guest test programs.
 * The UART is programmed as a PC BIOS would (16550 datasheet: DLAB in LCR bit 7
 * selects the divisor latch); transmit polls LSR bit 5 (THR empty).
 */
#include "guest.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20

void serial_init(void)
{
    outb(COM1_BASE + UART_IER, 0x00);       /* no interrupts: we poll */
    outb(COM1_BASE + UART_LCR, 0x80);       /* DLAB on */
    outb(COM1_BASE + UART_THR, 0x01);       /* divisor 1: 115200 baud */
    outb(COM1_BASE + UART_IER, 0x00);
    outb(COM1_BASE + UART_LCR, 0x03);       /* 8N1, DLAB off */
    outb(COM1_BASE + UART_FCR, 0x07);       /* FIFOs on and cleared */
    outb(COM1_BASE + UART_MCR, 0x03);       /* DTR, RTS */
}

void serial_putc(char c)
{
    /* Bounded: a missing or stuck UART must not hang the test forever; the
     * runner then reports the missing text instead. */
    for (int i = 0; i < 100000; i++) {
        if (inb(COM1_BASE + UART_LSR) & UART_LSR_THRE) {
            break;
        }
    }
    outb(COM1_BASE + UART_THR, (u8)c);
}

void serial_puts(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            serial_putc('\r');
        }
        serial_putc(*s++);
    }
}

void serial_put_hex(u32 v)
{
    static const char digits[] = "0123456789abcdef";
    serial_puts("0x");
    for (int shift = 28; shift >= 0; shift -= 4) {
        serial_putc(digits[(v >> shift) & 15]);
    }
}

void guest_exit(u32 code)
{
    outl(DEBUG_EXIT_PORT, code);
    /* Only reached without a debug-exit device: stop here. */
    for (;;) {
        __asm__ volatile("cli; hlt");
    }
}

/* ---- the IDT (SDM Vol 3 §6.11, Figure 6-2): 32-bit guests only ---- */
#ifndef __x86_64__

struct idt_gate {
    u16 off_lo, sel;
    u8 zero, type;
    u16 off_hi;
} __attribute__((packed));

/* In sections of their own that the linker scripts place last: linking
 * them shifts no other code or data (some tests' results depend on where
 * their code lies). */
#define IDT_TEXT __attribute__((section(".guest_idt_text")))
static struct idt_gate idt[256] __attribute__((aligned(8), section(".guest_idt_data")));

IDT_TEXT void guest_set_gate(unsigned vec, void (*fn)(void))
{
    u32 a = (u32)fn;
    idt[vec & 255] = (struct idt_gate){
        .off_lo = a & 0xffff, .sel = SEL_CODE32, .zero = 0,
        .type = 0x8e,                   /* present, DPL 0, 32-bit interrupt gate */
        .off_hi = a >> 16,
    };
}

IDT_TEXT void guest_load_idt(void)
{
    struct {
        u16 limit;
        u32 base;
    } __attribute__((packed)) idtr = { sizeof(idt) - 1, (u32)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}
#endif
