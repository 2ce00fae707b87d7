/*
 * irq.h: interrupt lines. A device is handed IRQLine pointers by the board and
 * raises or lowers them; it never names the PIC, IOAPIC or accelerator behind.
 * The handler at the other end may be retargeted (the device harness does this
 * to observe lines) without the device knowing.
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

#include "util/osdep.h"

typedef void (*IRQHandler)(void *opaque, int n, int level);

typedef struct IRQLine {
    IRQHandler handler;
    void *opaque;
    int n;
    int level;          /* last level set, for observers and snapshots */
} IRQLine;

IRQLine *irq_new(IRQHandler handler, void *opaque, int n);
void irq_free(IRQLine *irq);

/* NULL-safe: a device whose line is not wired simply has no effect. */
static inline void irq_set(IRQLine *irq, int level)
{
    if (irq) {
        irq->level = level;
        if (irq->handler) {
            irq->handler(irq->opaque, irq->n, level);
        }
    }
}

static inline void irq_raise(IRQLine *irq) { irq_set(irq, 1); }
static inline void irq_lower(IRQLine *irq) { irq_set(irq, 0); }
static inline void irq_pulse(IRQLine *irq)
{
    irq_set(irq, 1);
    irq_set(irq, 0);
}

#endif
