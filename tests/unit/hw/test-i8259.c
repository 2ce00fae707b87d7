/*
 * test-i8259.c: unit tests of "isa-pic" (hw/intc/i8259.c), the cascaded 8259A
 * pair, driven through its ports and the m->gsi lines on a machine with no CPU.
 * The INTR output is observed through an IRQLine of the test's own.
 */
#include "util/osdep.h"
#include "tests/unit/unit-machine.h"
#include "hw/device.h"
#include "hw/intc/i8259.h"
#include "system/machine.h"

typedef struct Fixture {
    Machine *m;
    Device *pic;
    IRQLine *intr;
    int intr_level;
} Fixture;

static void intr_observer(void *opaque, int n, int level)
{
    Fixture *f = opaque;
    f->intr_level = level;
}

static void outb(Fixture *f, uint16_t port, uint8_t v)
{
    ioport_write(&f->m->io, port, v, 1);
}

static uint8_t inb(Fixture *f, uint16_t port)
{
    return ioport_read(&f->m->io, port, 1);
}

/* The BIOS/Linux initialisation: master vectors 0x20, slave 0x28, 8086 mode. */
static void pic_init(Fixture *f, uint8_t icw4)
{
    outb(f, 0x20, 0x11);
    outb(f, 0x21, 0x20);
    outb(f, 0x21, 0x04);
    outb(f, 0x21, icw4);
    outb(f, 0xa0, 0x11);
    outb(f, 0xa1, 0x28);
    outb(f, 0xa1, 0x02);
    outb(f, 0xa1, icw4);
    outb(f, 0x21, 0x00);
    outb(f, 0xa1, 0x00);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    Error *err = NULL;
    memset(f, 0, sizeof(*f));
    f->m = unit_machine_new(16 * MiB, 1);
    g_assert_null(err);
    f->pic = device_create(f->m, "isa-pic", NULL, &err);
    g_assert_null(err);
    g_assert_nonnull(f->pic);
    pic_connect_gsi(f->pic);
    f->intr = irq_new(intr_observer, f, 0);
    pic_set_intr(f->pic, f->intr);
    pic_init(f, 0x01);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    machine_free(f->m);
    irq_free(f->intr);
}

static uint8_t read_irr(Fixture *f, uint16_t base)
{
    outb(f, base, 0x0a);
    return inb(f, base);
}

static uint8_t read_isr(Fixture *f, uint16_t base)
{
    outb(f, base, 0x0b);
    return inb(f, base);
}

static void test_edge_priority_eoi(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(f->intr_level, ==, 0);
    irq_raise(f->m->gsi[4]);
    irq_raise(f->m->gsi[1]);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(read_irr(f, 0x20), ==, 0x12);
    /* IRQ1 has the higher priority. */
    g_assert_cmphex(pic_intack(f->pic), ==, 0x21);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x02);
    g_assert_cmphex(read_irr(f, 0x20), ==, 0x10);
    /* IRQ4 is blocked by IRQ1 in service. */
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, 0x20, 0x20);                /* non-specific EOI */
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x24);
    outb(f, 0x20, 0x64);                /* specific EOI for IRQ4 */
    g_assert_cmphex(read_isr(f, 0x20), ==, 0);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* Edge: the line still high does not request again; a new edge does. */
    irq_raise(f->m->gsi[4]);
    g_assert_cmpint(f->intr_level, ==, 0);
    irq_lower(f->m->gsi[4]);
    irq_raise(f->m->gsi[4]);
    g_assert_cmpint(f->intr_level, ==, 1);
    /* A higher priority request interrupts a lower one in service. */
    g_assert_cmphex(pic_intack(f->pic), ==, 0x24);
    irq_lower(f->m->gsi[0]);
    irq_raise(f->m->gsi[0]);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x20);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x11);
    outb(f, 0x20, 0x20);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x10);
    outb(f, 0x20, 0x20);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x00);
}

static void test_mask_and_cascade(Fixture *f, gconstpointer data)
{
    outb(f, 0xa1, 0x01);                /* mask IRQ8 */
    g_assert_cmphex(inb(f, 0xa1), ==, 0x01);
    irq_raise(f->m->gsi[8]);
    g_assert_cmpint(f->intr_level, ==, 0);
    g_assert_cmphex(read_irr(f, 0xa0), ==, 0x01);
    irq_raise(f->m->gsi[12]);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(read_irr(f, 0x20), ==, 0x04);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x2c);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x04);
    g_assert_cmphex(read_isr(f, 0xa0), ==, 0x10);
    outb(f, 0xa1, 0x00);                /* unmask IRQ8: higher than 12 on the slave */
    /* Not fully nested: master IR2 in service blocks the slave's IRQ8. */
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, 0xa0, 0x20);
    outb(f, 0x20, 0x20);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x28);
    outb(f, 0xa1, 0xff);
    outb(f, 0x21, 0xff);
    g_assert_cmphex(inb(f, 0x21), ==, 0xff);
}

static void test_special_fully_nested(Fixture *f, gconstpointer data)
{
    pic_init(f, 0x11);                  /* SFNM on both */
    irq_raise(f->m->gsi[12]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x2c);
    irq_raise(f->m->gsi[8]);
    /* The slave's higher priority request gets through IR2 in service. */
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x28);
    g_assert_cmphex(read_isr(f, 0xa0), ==, 0x11);
    /* ... but a lower master input does not. */
    irq_raise(f->m->gsi[5]);
    g_assert_cmpint(f->intr_level, ==, 0);
}

static void test_level_elcr(Fixture *f, gconstpointer data)
{
    outb(f, 0x4d1, 0xff);
    g_assert_cmphex(inb(f, 0x4d1), ==, 0xde);   /* IRQ8 and IRQ13 stay edge */
    outb(f, 0x4d0, 0xff);
    g_assert_cmphex(inb(f, 0x4d0), ==, 0xf8);
    irq_raise(f->m->gsi[11]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x2b);
    /* Level: still requested after INTA, interrupts again after the EOIs. */
    g_assert_cmphex(read_irr(f, 0xa0), ==, 0x08);
    outb(f, 0xa0, 0x20);
    outb(f, 0x20, 0x20);
    g_assert_cmpint(f->intr_level, ==, 1);
    irq_lower(f->m->gsi[11]);
    g_assert_cmphex(read_irr(f, 0xa0), ==, 0x00);
    /* The master's IR2 is edge triggered: its latched request becomes a
     * spurious IRQ15 that the handler must EOI at the master only. */
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x2f);
    outb(f, 0x20, 0x20);
    g_assert_cmpint(f->intr_level, ==, 0);
    /* An edge input (IRQ1 cannot be level) that goes away stays latched. */
    irq_raise(f->m->gsi[1]);
    irq_lower(f->m->gsi[1]);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x21);
}

static void test_spurious(Fixture *f, gconstpointer data)
{
    /* Level request withdrawn before INTA: the master answers IR7 and sets no ISR. */
    outb(f, 0x4d0, 0x20);
    irq_raise(f->m->gsi[5]);
    g_assert_cmpint(f->intr_level, ==, 1);
    irq_lower(f->m->gsi[5]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x27);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x00);
    /* Same on the slave: IRQ15's vector, the master's IR2 in service. */
    outb(f, 0x4d1, 0x08);
    irq_raise(f->m->gsi[11]);
    g_assert_cmpint(f->intr_level, ==, 1);
    /* The slave INT drops; the master's IR2 edge stays latched. */
    irq_lower(f->m->gsi[11]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x2f);
    g_assert_cmphex(read_isr(f, 0xa0), ==, 0x00);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x04);
}

static void test_auto_eoi_rotate(Fixture *f, gconstpointer data)
{
    pic_init(f, 0x03);                  /* AEOI */
    irq_raise(f->m->gsi[3]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x23);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x00);
    pic_init(f, 0x01);
    /* Set priority: IRQ4 lowest, so IRQ5 is the highest; IRQ5 beats IRQ1. */
    outb(f, 0x20, 0xc4);
    irq_raise(f->m->gsi[1]);
    irq_raise(f->m->gsi[5]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x25);
    /* Rotate on non-specific EOI: IRQ5 becomes the lowest; IRQ6 tops. */
    outb(f, 0x20, 0xa0);
    irq_raise(f->m->gsi[6]);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x26);
    outb(f, 0x20, 0xe6);                /* rotate on specific EOI 6: IRQ7 tops */
    g_assert_cmphex(pic_intack(f->pic), ==, 0x21);
}

static void test_poll_and_special_mask(Fixture *f, gconstpointer data)
{
    irq_raise(f->m->gsi[6]);
    outb(f, 0x20, 0x0c);                /* poll */
    g_assert_cmphex(inb(f, 0x20), ==, 0x86);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x40);
    outb(f, 0x20, 0x0c);
    g_assert_cmphex(inb(f, 0x21), ==, 0x00);    /* nothing pending */
    /* Special mask mode: with IRQ6 masked, its service no longer blocks IRQ7. */
    irq_raise(f->m->gsi[7]);
    g_assert_cmpint(f->intr_level, ==, 0);
    outb(f, 0x21, 0x40);
    outb(f, 0x20, 0x68);
    g_assert_cmpint(f->intr_level, ==, 1);
    g_assert_cmphex(pic_intack(f->pic), ==, 0x27);
    outb(f, 0x20, 0x48);                /* leave special mask mode */
    outb(f, 0x20, 0x67);
    outb(f, 0x20, 0x66);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x00);
}

static void test_reinit_resets(Fixture *f, gconstpointer data)
{
    outb(f, 0x21, 0x5a);
    irq_raise(f->m->gsi[3]);
    pic_intack(f->pic);
    pic_init(f, 0x01);
    g_assert_cmphex(read_isr(f, 0x20), ==, 0x00);
    g_assert_cmphex(inb(f, 0x21), ==, 0x00);
    /* Edge input high across ICW1: needs a new rising edge. */
    g_assert_cmpint(f->intr_level, ==, 0);
    device_reset(f->pic);
    g_assert_cmpint(f->intr_level, ==, 0);
    g_assert_cmphex(inb(f, 0x4d0), ==, 0x00);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define T(name, fn) \
    g_test_add("/i8259/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    T("edge-priority-eoi", test_edge_priority_eoi);
    T("mask-cascade", test_mask_and_cascade);
    T("special-fully-nested", test_special_fully_nested);
    T("level-elcr", test_level_elcr);
    T("spurious", test_spurious);
    T("auto-eoi-rotate", test_auto_eoi_rotate);
    T("poll-special-mask", test_poll_and_special_mask);
    T("reinit", test_reinit_resets);
    return g_test_run();
}
