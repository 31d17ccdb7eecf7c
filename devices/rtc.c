/* rtc.c: the CMOS real-time clock at 0x70/0x71: the time of day read from the host's clock in BCD or binary, 24- or 12-hour, and CMOS RAM. */
#include <string.h>

#include "devices/rtc.h"

/*
 * Registers from the Motorola MC146818A data sheet: 0-9 the time and
 * date (seconds, seconds alarm, minutes, minutes alarm, hours, hours
 * alarm, day of week, day of month, month, year), A to D the status
 * registers, the rest RAM; the PC keeps the century at 0x32. The index
 * port's bit 7 gates NMI on a PC and is not part of the index. Register
 * B's DM bit (2) selects binary over BCD and its 24/12 bit (1) the
 * 24-hour clock; register A's UIP (7) never reads set, as the time is
 * read whole from the host at each access; register D's VRT (7) says
 * the battery is good. Writes to the time registers are kept but the
 * clock goes on reading the host's time (as kvmtool's hw/rtc.c).
 */
enum { SEC = 0, MIN = 2, HOUR = 4, WDAY = 6, MDAY = 7, MON = 8, YEAR = 9,
       REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D,
       CENTURY = 0x32 };

#define B_24H 0x02
#define B_BINARY 0x04
#define A_DIVIDER_32K 0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define D_VRT 0x80
#define HOUR_PM 0x80

void rtc_init(struct rtc *r, time_t (*now)(void))
{
    memset(r, 0, sizeof *r);
    r->now = now;
    /* glibc's gmtime_r() reads the time zone once, opening
     * /etc/localtime: now, before the sandbox forbids open(). */
    tzset();
    r->cmos[REG_A] = A_DIVIDER_32K;
    r->cmos[REG_B] = B_24H;
    r->cmos[REG_D] = D_VRT;
}

static uint8_t encode(const struct rtc *r, unsigned v)
{
    return r->cmos[REG_B] & B_BINARY ? (uint8_t)v
                                     : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t hour(const struct rtc *r, unsigned h)
{
    if (r->cmos[REG_B] & B_24H)
        return encode(r, h);
    /* 12-hour: 12, 1 .. 11 with bit 7 for PM */
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(encode(r, h12) | (h >= 12 ? HOUR_PM : 0));
}

static uint8_t clock_register(const struct rtc *r, unsigned reg)
{
    time_t t = r->now();
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        memset(&tm, 0, sizeof tm);
    switch (reg) {
    case SEC: return encode(r, (unsigned)tm.tm_sec % 60);
    case MIN: return encode(r, (unsigned)tm.tm_min);
    case HOUR: return hour(r, (unsigned)tm.tm_hour);
    case WDAY: return encode(r, (unsigned)tm.tm_wday + 1);
    case MDAY: return encode(r, (unsigned)tm.tm_mday);
    case MON: return encode(r, (unsigned)tm.tm_mon + 1);
    case YEAR: return encode(r, (unsigned)(tm.tm_year + 1900) % 100);
    default: return encode(r, (unsigned)(tm.tm_year + 1900) / 100);
    }
}

uint8_t rtc_read(struct rtc *r, unsigned offset)
{
    if (offset == 0)
        return 0xFF; /* the index port is write-only */
    unsigned reg = r->index;
    switch (reg) {
    case SEC: case MIN: case HOUR: case WDAY: case MDAY: case MON:
    case YEAR: case CENTURY:
        return clock_register(r, reg);
    case REG_C: {
        uint8_t v = r->cmos[REG_C]; /* interrupt flags: read clears */
        r->cmos[REG_C] = 0;
        return v;
    }
    default:
        return r->cmos[reg];
    }
}

void rtc_write(struct rtc *r, unsigned offset, uint8_t val)
{
    if (offset == 0) {
        r->index = val & 0x7F;
        return;
    }
    switch (r->index) {
    case REG_A: /* UIP is read-only */
        r->cmos[REG_A] = val & 0x7F;
        break;
    case REG_C: case REG_D: /* read-only */
        break;
    default:
        r->cmos[r->index] = val;
    }
}

static int rtc_io(void *dev, uint16_t offset, unsigned size, bool in,
                  uint32_t *value)
{
    (void)size;
    if (in)
        *value = rtc_read(dev, offset);
    else
        rtc_write(dev, offset, *value & 0xFF);
    return BUS_CONTINUE;
}

bool rtc_attach(struct rtc *r, struct bus *b)
{
    return bus_register(b, RTC_PORT, 2, rtc_io, r);
}
