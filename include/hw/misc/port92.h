/*
 * port92.h: board hooks of "port92" (System Control Port A, hw/misc/port92.c).
 * The device owns its A20 gate bit; the board combines it with the 8042's
 * output-port A20 bit (a PC enables A20 when either asks) and applies the
 * result to the memory path.
 */
#ifndef HW_MISC_PORT92_H
#define HW_MISC_PORT92_H

#include "hw/device.h"
#include "hw/irq.h"

/* Line driven with the A20 bit (level 1 = A20 enabled) on every change and at
 * reset. NULL unhooks. */
void port92_set_a20_line(Device *dev, IRQLine *line);
bool port92_get_a20(Device *dev);

#endif
