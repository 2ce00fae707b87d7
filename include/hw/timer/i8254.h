/*
 * i8254.h: "isa-pit", the 8254 programmable interval timer at 0x40-0x43 with
 * channel 0 on IRQ 0, and the PC/AT port 0x61 bits around channel 2
 * (hw/timer/i8254.c).
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "hw/device.h"

#define PIT_FREQ_HZ 1193182

/* OUT level of channel (0-2) now; -1 for a bad channel. */
int pit_get_out(Device *pit, int channel);

#endif
