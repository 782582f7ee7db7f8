/*
 * Time: the TSC gives hal_time_ns, the LAPIC timer the periodic tick; both
 * are calibrated once at boot against PIT channel 2 (10 ms one-shot). The
 * boot wall-clock time comes from the CMOS RTC. Calibration data is
 * written once at boot and read-only afterwards; boot_realtime_ns also
 * changes with clock_settime (one word, READ_ONCE/WRITE_ONCE).
 */
#include <ferrite/printk.h>
#include <ferrite/vdso.h>
#include <hal/hal_timer.h>
#include "x86.h"

#define PIT_HZ 1193182
#define CALIBRATE_MS 10

static uint64_t tsc_at_boot;
static uint64_t tsc_hz;
static uint64_t ns_per_tsc_mult; /* ns = (tsc * mult) >> 32 */
static uint32_t lapic_ticks_per_tick;
static uint64_t boot_realtime_ns;

static uint64_t rtc_read_ns(void);

/* Spin for CALIBRATE_MS on PIT channel 2 (gate via port 0x61). */
static void pit_wait(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb0);                       /* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	while (!(inb(0x61) & 0x20))             /* OUT2 goes high at zero */
		__asm__ volatile("pause");
}

void timer_calibrate(void)
{
	lapic_init();
	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_TIMER_LVT, (1u << 16) | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	uint64_t t0 = rdtsc();
	pit_wait();
	uint64_t t1 = rdtsc();
	uint32_t elapsed = 0xffffffff - lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);

	tsc_hz = (t1 - t0) * (1000 / CALIBRATE_MS);
	if (!tsc_hz)
		tsc_hz = 1000000000;
	ns_per_tsc_mult = (1000000000ULL << 32) / tsc_hz;
	lapic_ticks_per_tick = (uint64_t)elapsed * (1000 / CALIBRATE_MS) / HAL_TIMER_HZ;
	if (!lapic_ticks_per_tick)
		lapic_ticks_per_tick = 100000;
	tsc_at_boot = t0;
	boot_realtime_ns = rtc_read_ns();
	pr_info("x86: TSC %lu kHz, LAPIC timer %u per tick\n", (unsigned long)(tsc_hz / 1000),
		lapic_ticks_per_tick);
}

uint64_t hal_time_ns(void)
{
	uint64_t d = rdtsc() - tsc_at_boot;

	if (!tsc_at_boot)
		return 0;
	return (uint64_t)(((unsigned __int128)d * ns_per_tsc_mult) >> 32);
}

uint64_t hal_boot_realtime_ns(void)
{
	return READ_ONCE(boot_realtime_ns);
}

void hal_set_boot_realtime_ns(uint64_t ns)
{
	WRITE_ONCE(boot_realtime_ns, ns);
}

void hal_timer_start(void)
{
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_TIMER_LVT, (1u << 17) | VEC_TIMER); /* periodic */
	lapic_write(LAPIC_TIMER_INIT, lapic_ticks_per_tick);
}

void x86_timer_interrupt(void)
{
	timer_tick();
}

/* CMOS RTC */

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static unsigned bcd(uint8_t v, bool is_bcd)
{
	return is_bcd ? (v & 0x0f) + (v >> 4) * 10 : v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	uint64_t era = y / 400;
	unsigned yoe = y - era * 400;
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static uint64_t rtc_read_ns(void)
{
	uint8_t sec, min, hour, day, mon, year, regb;

	while (cmos_read(0x0a) & 0x80) /* update in progress */
		;
	sec = cmos_read(0x00);
	min = cmos_read(0x02);
	hour = cmos_read(0x04);
	day = cmos_read(0x07);
	mon = cmos_read(0x08);
	year = cmos_read(0x09);
	regb = cmos_read(0x0b);

	bool is_bcd = !(regb & 0x04);
	bool pm = hour & 0x80;
	unsigned h = bcd(hour & 0x7f, is_bcd);
	if (!(regb & 0x02)) { /* 12-hour clock */
		h %= 12;
		if (pm)
			h += 12;
	}
	unsigned y = 2000 + bcd(year, is_bcd);
	uint64_t days = days_from_civil(y, bcd(mon, is_bcd), bcd(day, is_bcd));
	uint64_t secs = days * 86400 + h * 3600 + bcd(min, is_bcd) * 60 + bcd(sec, is_bcd);
	return secs * 1000000000ULL;
}

/* vDSO clock parameters (include/ferrite/vdso.h): the same formula as
 * hal_time_ns(), from user-mode rdtsc (CR4.TSD is clear). */
void hal_vdso_clock(struct vdso_data *d)
{
	if (!tsc_at_boot)
		return; /* not calibrated: kind stays NONE, the syscall path */
	d->kind = VDSO_CLOCK_TSC;
	d->base = tsc_at_boot;
	d->mult = ns_per_tsc_mult;
}
