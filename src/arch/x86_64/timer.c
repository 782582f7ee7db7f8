/*
 * Time: the TSC gives hal_time_ns, the LAPIC timer (one-shot mode) the
 * periodic tick and the scheduler's high-resolution deadlines: each
 * interrupt programs the earlier of the next tick and that deadline
 * (hal_timer_program). Both are calibrated once at boot against PIT
 * channel 2 (10 ms one-shot). Each CPU's next tick is in its x86_cpu. The
 * boot wall-clock time comes from the CMOS RTC (rtc.c). Calibration data is
 * written once at boot and read-only afterwards; boot_realtime_ns also
 * changes with clock_settime (one word, READ_ONCE/WRITE_ONCE).
 */
#include <ferrite/printk.h>
#include <ferrite/vdso.h>
#include <hal/hal_rtc.h>
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

#define NS_PER_TICK (1000000000ULL / HAL_TIMER_HZ)

void hal_timer_program(uint64_t deadline_ns)
{
	struct x86_cpu *xc = this_x86_cpu();
	uint64_t when = xc->next_tick_ns, now = hal_time_ns(), count;

	if (deadline_ns && deadline_ns < when)
		when = deadline_ns;
	count = when > now ? when - now : 0;
	if (count > NS_PER_TICK) /* never past the next tick */
		count = NS_PER_TICK;
	/* LAPIC counts for that many ns, rounded up; at least one. */
	count = (count * lapic_ticks_per_tick + NS_PER_TICK - 1) / NS_PER_TICK;
	if (!count)
		count = 1;
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)count);
}

void hal_timer_start(void)
{
	this_x86_cpu()->next_tick_ns = hal_time_ns() + NS_PER_TICK;
	lapic_write(LAPIC_TIMER_DIV, 0x3);
	lapic_write(LAPIC_TIMER_LVT, VEC_TIMER); /* one-shot */
	hal_timer_program(0);
}

void x86_timer_interrupt(void)
{
	struct x86_cpu *xc = this_x86_cpu();
	uint64_t now = hal_time_ns();

	/* An interrupt may be the one-shot deadline's, before the tick. The
	 * LAPIC and the TSC were calibrated apart: 50 us early counts. */
	if (now + 50000 >= xc->next_tick_ns) {
		xc->next_tick_ns += NS_PER_TICK;
		if (xc->next_tick_ns <= now) /* missed ticks: do not catch up */
			xc->next_tick_ns = now + NS_PER_TICK;
		timer_tick();
	}
	timer_hr_interrupt(); /* reprograms the timer */
}

/* Wall-clock time at the RTC's reading, 0 without a usable RTC. */
static uint64_t rtc_read_ns(void)
{
	struct rtc_time tm;

	if (hal_rtc_read(&tm))
		return 0;
	return (uint64_t)rtc_tm_to_time64(&tm) * 1000000000ULL;
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
