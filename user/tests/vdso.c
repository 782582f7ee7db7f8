/*
 * vDSO: AT_SYSINFO_EHDR names an ELF image, and the clocks glibc reads
 * through it (clock_gettime, gettimeofday, time) agree with the real system
 * calls: vDSO reading <= syscall reading <= later vDSO reading, and
 * CLOCK_MONOTONIC never goes backwards; clock_getres agrees with the
 * syscall for every clock.
 */
#include "common.h"
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void check_clock(clockid_t clk, const char *name)
{
	struct timespec a, b, c;

	for (int i = 0; i < 1000; i++) {
		CHECK(clock_gettime(clk, &a) == 0, "%s: clock_gettime", name);
		CHECK(syscall(SYS_clock_gettime, clk, &b) == 0, "%s: syscall", name);
		CHECK(clock_gettime(clk, &c) == 0, "%s: clock_gettime", name);
		CHECK(a.tv_nsec >= 0 && a.tv_nsec < 1000000000, "%s: tv_nsec %ld", name, a.tv_nsec);
		CHECK(ns_of(&a) <= ns_of(&b) && ns_of(&b) <= ns_of(&c),
		      "%s: vdso %lld syscall %lld vdso %lld out of order", name, ns_of(&a), ns_of(&b),
		      ns_of(&c));
	}
}

/* clock_getres (the vDSO's where it has one) equals the syscall's. */
static void check_getres(clockid_t clk, const char *name)
{
	struct timespec a, b;

	CHECK(clock_getres(clk, &a) == 0, "%s: clock_getres", name);
	CHECK(syscall(SYS_clock_getres, clk, &b) == 0, "%s: syscall getres", name);
	CHECK(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec, "%s: getres %ld.%09ld vs %ld.%09ld",
	      name, (long)a.tv_sec, a.tv_nsec, (long)b.tv_sec, b.tv_nsec);
	CHECK(clock_getres(clk, NULL) == 0, "%s: clock_getres(NULL)", name);
}

int main(void)
{
	const unsigned char *ehdr = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	struct timespec ts, prev = { 0, 0 };
	struct timeval tv;

	struct utsname u;

	/* Ferrite always maps one; Linux under qemu-user may not. */
	CHECK(uname(&u) == 0, "uname");
	CHECK(ehdr != NULL || !strstr(u.release, "ferrite"), "no AT_SYSINFO_EHDR");
	CHECK(!ehdr || !memcmp(ehdr, "\177ELF", 4), "AT_SYSINFO_EHDR is not an ELF image");

	check_clock(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_clock(CLOCK_REALTIME, "CLOCK_REALTIME");
	check_clock(CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
	check_clock(CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");
	check_clock(CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE");
	check_clock(CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE");

	check_getres(CLOCK_REALTIME, "CLOCK_REALTIME");
	check_getres(CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_getres(CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");
	check_getres(CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE");
	check_getres(CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE");
	check_getres(CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
	check_getres(CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID");
	CHECK(clock_getres(12345, &ts) == -1 && errno == EINVAL, "getres of a bad clock id");

	for (int i = 0; i < 10000; i++) {
		CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime");
		CHECK(ns_of(&ts) >= ns_of(&prev), "CLOCK_MONOTONIC went backwards");
		prev = ts;
	}

	/* gettimeofday and time: within a second of the realtime syscall. */
	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0, "syscall realtime");
	CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday");
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec %ld", (long)tv.tv_usec);
	CHECK(tv.tv_sec >= ts.tv_sec && tv.tv_sec <= ts.tv_sec + 1, "gettimeofday %ld vs %ld",
	      (long)tv.tv_sec, (long)ts.tv_sec);
	/* ... and ordered between two realtime syscalls, to the microsecond. */
	for (int i = 0; i < 100; i++) {
		struct timespec before, after;

		CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &before) == 0, "syscall realtime");
		CHECK(gettimeofday(&tv, NULL) == 0, "gettimeofday");
		CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &after) == 0, "syscall realtime");
		long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
		CHECK(ns_of(&before) / 1000 <= us && us <= ns_of(&after) / 1000,
		      "gettimeofday %lld us out of order", us);
	}
	/* time() may read a coarse clock (Linux: the last tick), a second behind. */
	time_t t = time(NULL);
	CHECK(t >= ts.tv_sec - 1 && t <= ts.tv_sec + 1, "time %ld vs %ld", (long)t, (long)ts.tv_sec);

	/* Clocks the vDSO does not compute still work (syscall fallback). */
	CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0, "CLOCK_PROCESS_CPUTIME_ID");
	CHECK(clock_gettime(12345, &ts) == -1 && errno == EINVAL, "bad clock id");
	CHECK(clock_getres(CLOCK_MONOTONIC, &ts) == 0, "clock_getres");
	return 0;
}
