/*
 * mc146818rtc.h: board access to the RTC's CMOS RAM (hw/timer/mc146818rtc.c).
 * The board stores BIOS configuration there (memory sizes at 0x15-0x18,
 * 0x30-0x31, 0x34-0x35, 0x5b-0x5d; equipment; boot order) before the guest runs.
 */
#ifndef HW_TIMER_MC146818RTC_H
#define HW_TIMER_MC146818RTC_H

#include "hw/device.h"

#define RTC_CMOS_SIZE      128
#define RTC_REG_CENTURY    0x32

/* addr < 128 (others are ignored). Addresses 0-13 (time and control registers)
 * behave as a guest write; 14-127 are plain NVRAM. */
void rtc_set_cmos(Device *rtc, unsigned addr, uint8_t val);
/* Current value without side effects (reading register C here does not clear
 * its flags); 0xff for addr >= 128. */
uint8_t rtc_get_cmos(Device *rtc, unsigned addr);

#endif
