/*
 * clock_settime and settimeofday: the error cases everywhere (nothing is
 * set), and inside Ferrite (never on the host running linux-check) a real
 * step of CLOCK_REALTIME by +1000 s and back: the vDSO and the syscall
 * agree at once, also in a process forked before the step, and
 * CLOCK_MONOTONIC does not move. Non-root callers get EPERM.
 */
#include "common.h"
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define STEP_S 1000

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static long long sys_realtime_ns(void)
{
	struct timespec ts;

	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0, "syscall realtime");
	return ns_of(&ts);
}

/* Errors that come before any permission check, on Linux as here. The
 * times are the current one, so that even a wrongly accepted call would
 * not move a host's clock. */
static void check_errors(void)
{
	struct timespec ts;
	struct timeval tv;

	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0, "syscall realtime");
	tv.tv_sec = ts.tv_sec;
	tv.tv_usec = -1;

	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_settime, 12345, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, launder_ptr(8)), EFAULT);
	ts.tv_nsec = 1000000000;
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), EINVAL);
	ts.tv_nsec = -1;
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_settimeofday, &tv, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_settimeofday, launder_ptr(8), NULL), EFAULT);
}

/* Both readings of CLOCK_REALTIME are within [lo, lo + 100 s). */
static void check_realtime_near(long long lo, const char *what)
{
	struct timespec a, b;
	struct timeval tv;

	CHECK(clock_gettime(CLOCK_REALTIME, &a) == 0, "%s: clock_gettime", what);
	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &b) == 0, "%s: syscall", what);
	CHECK(gettimeofday(&tv, NULL) == 0, "%s: gettimeofday", what);
	CHECK(ns_of(&a) >= lo && ns_of(&a) <= ns_of(&b) && ns_of(&b) < lo + 100000000000LL,
	      "%s: vdso %lld syscall %lld, want from %lld", what, ns_of(&a), ns_of(&b), lo);
	CHECK(tv.tv_sec >= lo / 1000000000LL && tv.tv_sec <= ns_of(&b) / 1000000000LL,
	      "%s: gettimeofday %ld", what, (long)tv.tv_sec);
}

static void set_as_user(void *arg)
{
	struct timespec ts;

	(void)arg;
	CHECK(setuid(1000) == 0, "setuid");
	CHECK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts) == 0, "syscall realtime");
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), EPERM);
	CHECK_ERRNO(syscall(SYS_settimeofday, NULL, NULL), EPERM);
}

/* Step the clock forward and back; a child forked before sees the step. */
static void check_step(void)
{
	struct timespec mono0, mono1, ts;
	int go[2], status;
	pid_t pid;

	ts.tv_sec = 0;
	ts.tv_nsec = 0;
	CHECK_ERRNO(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts), EINVAL); /* before boot */

	CHECK(pipe(go) == 0, "pipe");
	long long before = sys_realtime_ns();
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char c;
		close(go[1]);
		CHECK(read(go[0], &c, 1) == 1, "child: read");
		check_realtime_near(before + STEP_S * 1000000000LL, "child after the step");
		_exit(0);
	}
	close(go[0]);

	CHECK(clock_gettime(CLOCK_MONOTONIC, &mono0) == 0, "monotonic");
	long long now = sys_realtime_ns() + STEP_S * 1000000000LL;
	ts.tv_sec = now / 1000000000LL;
	ts.tv_nsec = now % 1000000000LL;
	CHECK(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts) == 0, "clock_settime +%d s", STEP_S);
	check_realtime_near(now, "after the step");
	CHECK(clock_gettime(CLOCK_MONOTONIC, &mono1) == 0, "monotonic");
	CHECK(ns_of(&mono1) >= ns_of(&mono0) && ns_of(&mono1) - ns_of(&mono0) < 100000000000LL,
	      "CLOCK_MONOTONIC moved with the step");
	CHECK(write(go[1], "x", 1) == 1, "write");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child saw no step (status 0x%x)", status);

	/* Back with settimeofday (microseconds). */
	long long back = sys_realtime_ns() - STEP_S * 1000000000LL;
	struct timeval tv = { back / 1000000000LL, back % 1000000000LL / 1000 };
	CHECK(syscall(SYS_settimeofday, &tv, NULL) == 0, "settimeofday -%d s", STEP_S);
	check_realtime_near(back - 1000, "after stepping back");
	CHECK(syscall(SYS_settimeofday, NULL, NULL) == 0, "settimeofday(NULL, NULL)");
	struct timezone bad_tz = { 10000, 0 };
	CHECK_ERRNO(syscall(SYS_settimeofday, NULL, &bad_tz), EINVAL);

	status = run_in_child(set_as_user, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "non-root settime: status 0x%x", status);
}

int main(void)
{
	struct utsname u;

	check_errors();
	CHECK(uname(&u) == 0, "uname");
	/* Stepping the clock is for Ferrite only: never the host's clock. */
	if (strstr(u.release, "ferrite") && geteuid() == 0)
		check_step();
	return 0;
}
