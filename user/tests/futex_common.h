/* Raw futex(2) helpers for the futex guest tests. */
#ifndef FERRITE_USER_TESTS_FUTEX_COMMON_H
#define FERRITE_USER_TESTS_FUTEX_COMMON_H
#include "common.h"
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static inline long futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
			 uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

/* Number of waiters now asleep on uaddr: requeue them onto themselves
 * (Linux allows this for non-PI futexes; it moves nobody elsewhere). */
static inline long futex_sleepers(uint32_t *uaddr, int private_flag)
{
	return futex(uaddr, FUTEX_REQUEUE | private_flag, 0, (void *)(long)0x7fffffff, uaddr, 0);
}

/* Wait (bounded, ~5 s) until n waiters sleep on uaddr. */
static inline void wait_for_sleepers(uint32_t *uaddr, int private_flag, long n)
{
	for (int i = 0; i < 5000; i++) {
		long s = futex_sleepers(uaddr, private_flag);
		CHECK(s >= 0, "FUTEX_REQUEUE count");
		if (s == n)
			return;
		usleep(1000);
	}
	FAIL("never saw %ld sleepers", n);
}

static inline uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
#endif
