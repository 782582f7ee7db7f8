/*
 * The CMOS RTC (MC146818 as QEMU's q35/pc emulate it) behind hal_rtc.h:
 * registers 0x00..0x09 hold the time in BCD or binary and 12- or 24-hour
 * form as register B says, 0x32 the century. A read waits for no update
 * in progress and repeats until two reads agree; a write holds the SET bit
 * of register B so the clock does not tick half-way.
 * Lock: cmos_lock (irqsave) serialises the index/data port pair.
 */
#include <ferrite/errno.h>
#include <ferrite/spinlock.h>
#include <hal/hal_rtc.h>
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define REG_A_UIP 0x80
#define REG_B_SET 0x80
#define REG_B_24H 0x02
#define REG_B_BINARY 0x04
#define REG_CENTURY 0x32

static struct spinlock cmos_lock = SPINLOCK_INIT("cmos");

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, reg);
	outb(CMOS_DATA, v);
}

static unsigned from_bcd(uint8_t v, bool bcd)
{
	return bcd ? (v & 0x0f) + (v >> 4) * 10 : v;
}

static uint8_t to_bcd(unsigned v, bool bcd)
{
	return (uint8_t)(bcd ? (v / 10) << 4 | v % 10 : v);
}

struct cmos_regs {
	uint8_t sec, min, hour, mday, mon, year, century;
};

/* Caller holds cmos_lock. */
static struct cmos_regs cmos_snapshot(void)
{
	struct cmos_regs r;

	while (cmos_read(0x0a) & REG_A_UIP)
		;
	r.sec = cmos_read(0x00);
	r.min = cmos_read(0x02);
	r.hour = cmos_read(0x04);
	r.mday = cmos_read(0x07);
	r.mon = cmos_read(0x08);
	r.year = cmos_read(0x09);
	r.century = cmos_read(REG_CENTURY);
	return r;
}

int hal_rtc_read(struct rtc_time *tm)
{
	struct cmos_regs r, again;
	uint8_t regb;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &cmos_lock, 0 })) {
		do {
			r = cmos_snapshot();
			again = cmos_snapshot();
		} while (r.sec != again.sec || r.min != again.min || r.hour != again.hour ||
			 r.mday != again.mday || r.mon != again.mon || r.year != again.year);
		regb = cmos_read(0x0b);
	}
	bool bcd = !(regb & REG_B_BINARY);
	unsigned hour = from_bcd(r.hour & 0x7f, bcd);
	if (!(regb & REG_B_24H)) { /* 12-hour clock: bit 7 is PM */
		hour %= 12;
		if (r.hour & 0x80)
			hour += 12;
	}
	unsigned century = from_bcd(r.century, bcd);
	if (century < 19 || century > 99)
		century = 20;
	int64_t secs;
	struct rtc_time t = {
		.tm_sec = (int)from_bcd(r.sec, bcd),
		.tm_min = (int)from_bcd(r.min, bcd),
		.tm_hour = (int)hour,
		.tm_mday = (int)from_bcd(r.mday, bcd),
		.tm_mon = (int)from_bcd(r.mon, bcd) - 1,
		.tm_year = (int)(century * 100 + from_bcd(r.year, bcd)) - 1900,
	};
	if (rtc_valid_tm(&t))
		return -EIO; /* the clock holds garbage (a dead battery) */
	secs = rtc_tm_to_time64(&t);
	rtc_time64_to_tm(secs, tm); /* fills wday and yday */
	return 0;
}

int hal_rtc_set(const struct rtc_time *tm)
{
	unsigned year = (unsigned)tm->tm_year + 1900;

	if (year < 1900 || year > 9999)
		return -EINVAL;
	guard_irqsave(&cmos_lock);
	uint8_t regb = cmos_read(0x0b);
	bool bcd = !(regb & REG_B_BINARY);
	uint8_t hour = to_bcd((unsigned)tm->tm_hour, bcd);
	if (!(regb & REG_B_24H)) {
		unsigned h12 = (unsigned)tm->tm_hour % 12;
		hour = to_bcd(h12 ? h12 : 12, bcd) | (tm->tm_hour >= 12 ? 0x80 : 0);
	}
	cmos_write(0x0b, regb | REG_B_SET);
	cmos_write(0x00, to_bcd((unsigned)tm->tm_sec, bcd));
	cmos_write(0x02, to_bcd((unsigned)tm->tm_min, bcd));
	cmos_write(0x04, hour);
	cmos_write(0x07, to_bcd((unsigned)tm->tm_mday, bcd));
	cmos_write(0x08, to_bcd((unsigned)tm->tm_mon + 1, bcd));
	cmos_write(0x09, to_bcd(year % 100, bcd));
	cmos_write(REG_CENTURY, to_bcd(year / 100, bcd));
	cmos_write(0x0b, regb & ~REG_B_SET);
	return 0;
}
