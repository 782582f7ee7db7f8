/* clock_gettime is monotonic, nanosleep sleeps at least as long as asked. */
#include "common.h"
#include <time.h>

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
	struct timespec a, b, req;

	CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime MONOTONIC");
	for (int i = 0; i < 10000; i++) {
		CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "clock_gettime");
		CHECK(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L, "tv_nsec %ld", b.tv_nsec);
		CHECK(ns(&b) >= ns(&a), "monotonic clock went back: %lld then %lld", ns(&a), ns(&b));
		a = b;
	}
	CHECK(clock_gettime(CLOCK_REALTIME, &b) == 0, "clock_gettime REALTIME");
	CHECK(clock_getres(CLOCK_MONOTONIC, &b) == 0, "clock_getres");
	CHECK_ERRNO(clock_gettime((clockid_t)12345, &b), EINVAL);

	static const long waits_ms[] = { 1, 20, 100 };
	for (unsigned i = 0; i < sizeof(waits_ms) / sizeof(waits_ms[0]); i++) {
		long long want = waits_ms[i] * 1000000LL;
		req.tv_sec = 0;
		req.tv_nsec = want;
		CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0, "clock_gettime");
		CHECK(nanosleep(&req, NULL) == 0, "nanosleep %ld ms", waits_ms[i]);
		CHECK(clock_gettime(CLOCK_MONOTONIC, &b) == 0, "clock_gettime");
		CHECK(ns(&b) - ns(&a) >= want, "nanosleep(%ld ms) slept only %lld ns", waits_ms[i], ns(&b) - ns(&a));
		CHECK(ns(&b) - ns(&a) < want + 5000000000LL, "nanosleep(%ld ms) slept %lld ns", waits_ms[i],
		      ns(&b) - ns(&a));
	}
	req.tv_sec = 0;
	req.tv_nsec = 1000000000L;
	CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
	req.tv_sec = -1;
	req.tv_nsec = 0;
	CHECK_ERRNO(nanosleep(&req, NULL), EINVAL);
	return 0;
}
