/*
 * pc.h: the PC board. Which device sits at which port and IRQ is decided in
 * hw/pc/pc.c, in one place.
 */
#ifndef HW_PC_PC_H
#define HW_PC_PC_H

#include "system/machine.h"

/* Map firmware, create the on-board devices and the -serial ports. */
bool pc_machine_init(Machine *m, Error **errp);

#endif
