/* Raw futex(2) error cases and timeouts: EAGAIN on a value mismatch,
 * ETIMEDOUT for relative FUTEX_WAIT and absolute WAIT_BITSET timeouts on
 * both clocks, EINVAL (unaligned, bad timespec, empty bitset), EFAULT,
 * ENOSYS for an unknown op and for FUTEX_CLOCK_REALTIME on a wake. */
#include "futex_common.h"

static uint32_t word[4];

int main(void)
{
	struct timespec rel = { 0, 30 * 1000 * 1000 }, bad = { 0, 1000000000 }, neg = { -1, 0 };
	struct timespec abs;
	uint32_t *u = &word[0];
	uint64_t t0, t1;

	*u = 5;
	CHECK_ERRNO(futex(u, FUTEX_WAIT_PRIVATE, 6, NULL, NULL, 0), EAGAIN);
	CHECK_ERRNO(futex(u, FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN);

	t0 = now_ns(CLOCK_MONOTONIC);
	CHECK_ERRNO(futex(u, FUTEX_WAIT_PRIVATE, 5, &rel, NULL, 0), ETIMEDOUT);
	t1 = now_ns(CLOCK_MONOTONIC);
	CHECK(t1 - t0 >= 25 * 1000 * 1000, "relative wait too short: %llu ns",
	      (unsigned long long)(t1 - t0));
	CHECK(t1 - t0 < 2000ull * 1000 * 1000, "relative wait too long");

	/* WAIT_BITSET: absolute on CLOCK_MONOTONIC ... */
	t0 = now_ns(CLOCK_MONOTONIC) + 30 * 1000 * 1000;
	abs.tv_sec = (time_t)(t0 / 1000000000ull);
	abs.tv_nsec = (long)(t0 % 1000000000ull);
	CHECK_ERRNO(futex(u, FUTEX_WAIT_BITSET_PRIVATE, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	CHECK(now_ns(CLOCK_MONOTONIC) >= t0 - 1000000, "monotonic deadline not reached");
	/* ... and on CLOCK_REALTIME. */
	t0 = now_ns(CLOCK_REALTIME) + 30 * 1000 * 1000;
	abs.tv_sec = (time_t)(t0 / 1000000000ull);
	abs.tv_nsec = (long)(t0 % 1000000000ull);
	CHECK_ERRNO(futex(u, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &abs, NULL,
			  FUTEX_BITSET_MATCH_ANY),
		    ETIMEDOUT);
	CHECK(now_ns(CLOCK_REALTIME) >= t0 - 1000000, "realtime deadline not reached");
	/* A deadline in the past times out at once. */
	abs.tv_sec = 1;
	abs.tv_nsec = 0;
	CHECK_ERRNO(futex(u, FUTEX_WAIT_BITSET, 5, &abs, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT);

	CHECK_ERRNO(futex((uint32_t *)((char *)u + 2), FUTEX_WAIT, 5, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex((uint32_t *)((char *)u + 1), FUTEX_WAKE, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(u, FUTEX_WAIT, 5, &bad, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(u, FUTEX_WAIT, 5, &neg, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(u, FUTEX_WAIT_BITSET, 5, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(u, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0), EINVAL);
	CHECK_ERRNO(futex(launder_ptr(8), FUTEX_WAIT, 5, NULL, NULL, 0), EFAULT);
	CHECK_ERRNO(futex(u, FUTEX_WAIT, 5, launder_ptr(8), NULL, 0), EFAULT);
	CHECK_ERRNO(futex(u, 99, 0, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex(u, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
	CHECK_ERRNO(futex(u, FUTEX_WAKE_OP, 1, NULL, u + 1, FUTEX_OP(7, 0, 0, 0)), ENOSYS);
	CHECK_ERRNO(futex(u, FUTEX_CMP_REQUEUE, 1, (void *)1, u + 1, 4), EAGAIN);
	CHECK_ERRNO(futex(u, FUTEX_CMP_REQUEUE, (uint32_t)-1, (void *)1, u + 1, 5), EINVAL);
	CHECK(futex(u, FUTEX_WAKE, 1, NULL, NULL, 0) == 0, "wake with nobody waiting");
	return 0;
}
