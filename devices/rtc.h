/* rtc.h: the PC's CMOS real-time clock (a Motorola MC146818) at ports 0x70/0x71: the host's time of day, its status registers and 128 bytes of CMOS RAM. */
#ifndef PMVM_RTC_H
#define PMVM_RTC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "devices/bus.h"

#define RTC_PORT 0x70u

struct rtc {
    uint8_t index;     /* the register the index port selected */
    uint8_t cmos[128]; /* registers and RAM as last written */
    time_t (*now)(void); /* the clock it reads: time() unless a test's */
};

/* A clock that reads (now), in UTC, 24-hour and BCD. */
void rtc_init(struct rtc *r, time_t (*now)(void));
/* One access at (offset) 0 (index) or 1 (data). */
uint8_t rtc_read(struct rtc *r, unsigned offset);
void rtc_write(struct rtc *r, unsigned offset, uint8_t val);
/* Registers its two ports at RTC_PORT; false if taken. */
bool rtc_attach(struct rtc *r, struct bus *b);

#endif
