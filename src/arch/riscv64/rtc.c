/*
 * The goldfish RTC (its base from the FDT) behind hal_rtc.h: a 64-bit
 * count of nanoseconds since 1970. Reading TIME_LOW latches TIME_HIGH;
 * a write of TIME_HIGH then TIME_LOW sets it (as Linux's driver does).
 * Lock: goldfish_lock serialises the register pairs.
 */
#include <ferrite/errno.h>
#include <ferrite/spinlock.h>
#include <hal/hal_mmu.h>
#include <hal/hal_rtc.h>
#include "riscv.h"

#define TIME_LOW 0x00
#define TIME_HIGH 0x04

static struct spinlock goldfish_lock = SPINLOCK_INIT("goldfish_rtc");

static volatile uint32_t *goldfish_regs(void)
{
	return rv_devices.rtc_base ? phys_to_virt(rv_devices.rtc_base) : NULL;
}

int hal_rtc_read(struct rtc_time *tm)
{
	volatile uint32_t *rtc = goldfish_regs();
	uint64_t ns;

	if (!rtc)
		return -ENODEV;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &goldfish_lock, 0 })) {
		uint64_t lo = rtc[TIME_LOW / 4];
		uint64_t hi = rtc[TIME_HIGH / 4];
		ns = hi << 32 | lo;
	}
	rtc_time64_to_tm((int64_t)(ns / 1000000000ULL), tm);
	return 0;
}

int hal_rtc_set(const struct rtc_time *tm)
{
	volatile uint32_t *rtc = goldfish_regs();
	int64_t secs = rtc_tm_to_time64(tm);

	if (!rtc)
		return -ENODEV;
	if (secs < 0 || (uint64_t)secs > UINT64_MAX / 1000000000ULL)
		return -EINVAL;
	uint64_t ns = (uint64_t)secs * 1000000000ULL;
	guard_irqsave(&goldfish_lock);
	rtc[TIME_HIGH / 4] = (uint32_t)(ns >> 32);
	rtc[TIME_LOW / 4] = (uint32_t)ns;
	return 0;
}
