/*
 * Time on riscv64: the `time` CSR counts at the FDT's timebase-frequency;
 * the timer is programmed through SBI TIME, one-shot, for the earlier of
 * the next periodic tick and the scheduler's high-resolution deadline
 * (hal_timer_program). The goldfish RTC gives the wall
 * clock at boot.
 * When the timebase divides 10^9 (QEMU virt: 10 MHz), ns = t * ns_per_count
 * exactly, one multiply for the kernel and for the vDSO.
 * Locking: each hart's next deadline is in its rv_cpu (only it touches it);
 * ns_per_count is set once (always to the same value) and read with
 * READ_ONCE; boot_realtime_ns changes with clock_settime (one word,
 * READ_ONCE/WRITE_ONCE).
 */
#include <ferrite/vdso.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "riscv.h"

static uint64_t boot_realtime_ns;
static uint64_t ns_per_count; /* 10^9 / timebase when exact, else 0 */

static inline uint64_t rdtime(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static uint64_t timebase(void)
{
	return rv_devices.timebase_hz ? rv_devices.timebase_hz : 10000000;
}

/* Choose the multiply when it is exact; idempotent (called at each timer
 * start and by hal_vdso_clock). */
static void ns_per_count_init(void)
{
	uint64_t hz = timebase();

	if (1000000000ULL % hz == 0)
		WRITE_ONCE(ns_per_count, 1000000000ULL / hz);
}

uint64_t hal_time_ns(void)
{
	uint64_t t = rdtime(), mult = READ_ONCE(ns_per_count), hz;

	if (mult) /* the formula below, exactly, when hz divides 10^9 */
		return t * mult;
	hz = timebase();
	return t / hz * 1000000000ULL + t % hz * 1000000000ULL / hz;
}

/* The first time counter value at or after ns (monotonic). */
static uint64_t ns_to_count_ceil(uint64_t ns)
{
	uint64_t mult = READ_ONCE(ns_per_count), hz = timebase();

	if (ns > UINT64_MAX / 2) /* "never" (a huge timeout): no wrap-around */
		return UINT64_MAX;
	if (mult)
		return (ns + mult - 1) / mult;
	return ns / 1000000000ULL * hz + (ns % 1000000000ULL * hz + 999999999ULL) / 1000000000ULL;
}

void hal_timer_program(uint64_t deadline_ns)
{
	struct rv_cpu *rc = rv_cpu_this();
	uint64_t when = rc->next_deadline;

	if (deadline_ns) {
		uint64_t c = ns_to_count_ceil(deadline_ns);
		if (c < when)
			when = c;
	}
	sbi_set_timer(when);
}

void hal_timer_start(void)
{
	ns_per_count_init();
	struct rv_cpu *rc = rv_cpu_this();

	csr_set(scounteren, 1UL << 1); /* TM: user rdtime (the vDSO) on this hart */
	rc->next_deadline = rdtime() + timebase() / HAL_TIMER_HZ;
	sbi_set_timer(rc->next_deadline);
	csr_set(sie, SIE_STIE);
}

void timer_interrupt(void)
{
	uint64_t period = timebase() / HAL_TIMER_HZ, now = rdtime();
	struct rv_cpu *rc = rv_cpu_this();

	/* An interrupt may be the one-shot deadline's, before the tick. */
	if (now >= rc->next_deadline) {
		rc->next_deadline += period;
		if (rc->next_deadline <= now) /* missed ticks: do not try to catch up */
			rc->next_deadline = now + period;
		timer_tick();
	}
	timer_hr_interrupt(); /* reprograms the timer */
}

/* Goldfish RTC: reading TIME_LOW latches TIME_HIGH; nanoseconds since 1970. */
void rv_rtc_init(void)
{
	if (!rv_devices.rtc_base)
		return;
	volatile uint32_t *rtc = phys_to_virt(rv_devices.rtc_base);
	uint64_t lo = rtc[0];
	uint64_t hi = rtc[1];
	uint64_t now = hi << 32 | lo;
	boot_realtime_ns = now - hal_time_ns();
}

uint64_t hal_boot_realtime_ns(void)
{
	return READ_ONCE(boot_realtime_ns);
}

void hal_set_boot_realtime_ns(uint64_t ns)
{
	WRITE_ONCE(boot_realtime_ns, ns);
}

/* vDSO clock parameters (include/ferrite/vdso.h): the same formula as
 * hal_time_ns(), from user-mode rdtime (allowed by the firmware's counter
 * enable; the kernel sets scounteren.TM). */
void hal_vdso_clock(struct vdso_data *d)
{
	csr_set(scounteren, 1UL << 1); /* TM: user rdtime (this hart) */
	ns_per_count_init();
	d->base = 0;
	d->hz = timebase();
	d->mult = READ_ONCE(ns_per_count);
	d->kind = d->mult ? VDSO_CLOCK_TIMEBASE_MUL : VDSO_CLOCK_TIMEBASE;
}
