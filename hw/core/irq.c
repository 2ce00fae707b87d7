/*
 * irq.c: interrupt line objects (include/hw/irq.h).
 */
#include "util/osdep.h"
#include "hw/irq.h"

IRQLine *irq_new(IRQHandler handler, void *opaque, int n)
{
    IRQLine *irq = g_new0(IRQLine, 1);
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

void irq_free(IRQLine *irq)
{
    g_free(irq);
}
