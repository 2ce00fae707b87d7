/*
 * i8259.h: board and accelerator access to "isa-pic", the PC/AT pair of
 * cascaded 8259A interrupt controllers (hw/intc/i8259.c).
 *
 * The board points m->gsi[0..15] at the PIC inputs (pic_connect_gsi), gives it
 * an INTR output line (pic_set_intr) and, when the CPU takes the interrupt,
 * calls pic_intack, which performs the two INTA cycles.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "hw/device.h"
#include "hw/irq.h"

#define PIC_NUM_IRQS 16

/* Drive ISA input irq (0-15) to level; other irq numbers are ignored. */
void pic_set_irq(Device *pic, int irq, int level);
/* Retarget m->gsi[0..15] at the PIC inputs. */
void pic_connect_gsi(Device *pic);
/* The INTR output (to the CPU); NULL disconnects. Set at once to the current level. */
void pic_set_intr(Device *pic, IRQLine *intr);
/* Same, with a line the PIC owns that calls handler(opaque, 0, level). */
void pic_connect_intr(Device *pic, IRQHandler handler, void *opaque);
/* Level of INTR now. */
bool pic_intr_level(Device *pic);
/* INTA cycle: the vector the PIC puts on the bus (spurious IRQ 7/15 vector if the
 * request went away), with IRR/ISR updated as the 8259A does. */
int pic_intack(Device *pic);

#endif
