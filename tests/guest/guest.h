/*
 * guest.h: the tiny freestanding runtime of the bare-metal guest test programs
 * (tests/guest/). Output goes to COM1 (a 16550 at port 0x3f8), the result leaves
 * through the debug-exit device at port 0xf4: writing V makes bt86 exit with
 * status (V << 1) | 1, so 0 means pass (status 1) and 1 means fail (status 3),
 * the kvm-unit-tests convention.
 */
#ifndef TESTS_GUEST_GUEST_H
#define TESTS_GUEST_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define COM1_BASE       0x3f8
#define DEBUG_EXIT_PORT 0xf4
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2badb002u

/* Selectors of the GDT that crt0.S loads (see the table there). */
#define SEL_CODE32 0x08
#define SEL_DATA32 0x10
#define SEL_CODE16 0x18
#define SEL_DATA16 0x20
#define SEL_CODE64 0x28

static inline void outb(u16 port, u8 v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(u16 port, u32 v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
    u8 v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void serial_init(void);
void serial_putc(char c);
void serial_puts(const char *s);
void serial_put_hex(u32 v);
/* Write code to the debug-exit port; never returns. */
void guest_exit(u32 code) __attribute__((noreturn));

/* A 256-gate protected-mode IDT shared by the tests: guest_set_gate makes
 * vector vec a present DPL 0 32-bit interrupt gate to fn (code segment
 * SEL_CODE32); guest_load_idt loads it (LIDT), also on other CPUs. */
#ifndef __x86_64__
void guest_set_gate(unsigned vec, void (*fn)(void));
void guest_load_idt(void);
#endif

/* Defined by each program; its return value goes to guest_exit(). */
int main(u32 magic, u32 mbi);

#endif
