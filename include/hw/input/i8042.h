/*
 * i8042.h: board and UI hooks of the "i8042" keyboard controller
 * (hw/input/i8042.c) and the PS/2 keyboard and mouse behind it.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "hw/device.h"
#include "hw/irq.h"

/* A byte from the keyboard, in the keyboard's current scan code set (set 2
 * unless the guest changed it), e.g. 0x1c for 'A' down, 0xf0 0x1c for 'A' up.
 * Dropped while the keyboard is disabled (F5) or its buffer is full. The
 * controller translates to set 1 when the command byte asks for it. */
void i8042_put_keycode(Device *dev, uint8_t scancode);

/* Mouse motion and buttons (bit 0 left, bit 1 right, bit 2 middle); dy > 0 is
 * up, as PS/2 counts it. Sent as a stream-mode packet when reporting is on. */
void i8042_put_mouse_event(Device *dev, int dx, int dy, unsigned buttons);

/* Output-port A20 bit (level 1 = A20 enabled), driven on change and at reset.
 * The board ORs it with port 0x92's bit. NULL unhooks. */
void i8042_set_a20_line(Device *dev, IRQLine *line);
bool i8042_get_a20(Device *dev);

#endif
