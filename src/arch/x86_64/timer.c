/*
 * Time: the TSC gives hal_time_ns, the LAPIC timer (one-shot mode) the
 * periodic tick and the scheduler's high-resolution deadlines: each
 * interrupt programs the earlier of the next tick and that deadline
 * (hal_timer_program). Both are calibrated once at boot against PIT
 * channel 2 (the median of five usable 10 ms windows, timer_calibrate). Each
 * CPU's next tick is in its x86_cpu. The boot wall-clock time comes from
 * the CMOS RTC (rtc.c). Calibration data is
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

/*
 * PIT channel 2 counts down from 0xffff (about 55 ms) in mode 0; OUT2
 * goes high when the count passes zero, which tells that a window ran
 * past the 16-bit range.
 */
static void pit_start(void)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate on, speaker off */
	outb(0x43, 0xb0);                       /* channel 2, lo/hi, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
}

static bool pit_wrapped(void)
{
	return inb(0x61) & 0x20;
}

static uint16_t pit_count(void)
{
	outb(0x43, 0x80); /* latch channel 2 */
	uint8_t lo = inb(0x42);
	return lo | (uint16_t)inb(0x42) << 8;
}

/*
 * One reading of the three clocks at (nearly) one instant: the PIT count
 * and the LAPIC timer bracketed by two TSC reads. The bracket's width is
 * the reading's uncertainty: a virtual CPU stopped by the host between
 * the reads makes it wide, and such a reading is not used.
 */
struct clock_sample {
	uint64_t tsc, width;
	uint32_t lapic;
	uint16_t pit;
};

static void clock_sample(struct clock_sample *s)
{
	uint64_t a = rdtsc();

	s->pit = pit_count();
	s->lapic = lapic_read(LAPIC_TIMER_CUR);
	uint64_t b = rdtsc();
	s->tsc = a + (b - a) / 2;
	s->width = b - a;
}

/*
 * TSC and LAPIC-timer rates over one window of about CALIBRATE_MS, as
 * counts per PIT_HZ. Under QEMU the host may stop the virtual CPU at any
 * moment while the PIT keeps counting host time. Waiting for the PIT to
 * reach zero (the old way) counted any stop after it did: on a loaded host
 * the TSC came out at 3.5-24.5 GHz and the guest clock ran 2-9 times
 * slow. Here the elapsed PIT count is read beside the TSC at both ends,
 * so a stop anywhere inside the window is measured on both clocks alike;
 * only a stop inside one reading's bracket disturbs it, and such a window
 * (both brackets together wider than 1/1000 of the window) is refused, as
 * is one that ran past the PIT's range. Returns false for a refused one.
 */
#define CALIBRATE_ROUNDS 5
#define CALIBRATE_TRIES 50

static bool calibrate_window(uint64_t *tsc_hz_out, uint64_t *lapic_hz_out)
{
	const uint16_t span = PIT_HZ * CALIBRATE_MS / 1000;
	struct clock_sample s0, s1;

	pit_start();
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	clock_sample(&s0);
	do
		clock_sample(&s1);
	while ((uint16_t)(s0.pit - s1.pit) < span && !pit_wrapped());
	lapic_write(LAPIC_TIMER_INIT, 0);
	if (pit_wrapped() || s1.tsc <= s0.tsc)
		return false;
	uint64_t ticks = (uint16_t)(s0.pit - s1.pit), dtsc = s1.tsc - s0.tsc;
	if ((s0.width + s1.width) * 1000 > dtsc)
		return false;
	*tsc_hz_out = dtsc * PIT_HZ / ticks;
	*lapic_hz_out = (uint64_t)(s0.lapic - s1.lapic) * PIT_HZ / ticks;
	return true;
}

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++) /* insertion sort: n is at most 5 */
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

void timer_calibrate(void)
{
	uint64_t tsc[CALIBRATE_ROUNDS], lapic[CALIBRATE_ROUNDS];
	int n = 0;

	lapic_init();
	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_TIMER_LVT, (1u << 16) | VEC_TIMER);
	tsc_at_boot = rdtsc();
	for (int i = 0; i < CALIBRATE_TRIES && n < CALIBRATE_ROUNDS; i++)
		n += calibrate_window(&tsc[n], &lapic[n]);
	if (n < CALIBRATE_ROUNDS)
		pr_warn("x86: clock calibration: %d of %d windows usable\n", n, CALIBRATE_ROUNDS);

	tsc_hz = n ? median(tsc, n) : 0;
	if (!tsc_hz)
		tsc_hz = 1000000000;
	ns_per_tsc_mult = (1000000000ULL << 32) / tsc_hz;
	lapic_ticks_per_tick = n ? median(lapic, n) / HAL_TIMER_HZ : 0;
	if (!lapic_ticks_per_tick)
		lapic_ticks_per_tick = 100000;
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
		x86_nmi_report();
		x86_mce_poll();
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
