/*
 * timerfd: one-shot and periodic timers, relative and absolute, expiration
 * counts, timerfd_gettime and the old value, O_NONBLOCK, epoll, the
 * errors Linux gives; inside Ferrite only (never on the host running
 * linux-check), an absolute CLOCK_REALTIME timer with
 * TFD_TIMER_CANCEL_ON_SET sees a clock step as ECANCELED.
 */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <time.h>

static long long now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t rd(int fd)
{
	uint64_t v = 0;
	CHECK(read(fd, &v, sizeof(v)) == sizeof(v), "read");
	return v;
}

static void one_shot_and_periodic(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	CHECK(fd >= 0, "timerfd_create");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "TFD_CLOEXEC");
	struct itimerspec its = { .it_value = { 0, 30000000 } }, cur;
	long long t0 = now_ns(CLOCK_MONOTONIC);
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0, "settime one-shot");
	CHECK(timerfd_gettime(fd, &cur) == 0 && cur.it_value.tv_sec == 0 &&
		      cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 30000000,
	      "gettime while armed");
	CHECK(rd(fd) == 1, "one expiration");
	long long waited = now_ns(CLOCK_MONOTONIC) - t0;
	CHECK(waited >= 30000000, "fired after %lld ns", waited);
	CHECK(timerfd_gettime(fd, &cur) == 0 && !cur.it_value.tv_sec && !cur.it_value.tv_nsec,
	      "disarmed after a one-shot");

	/* Periodic at 10 ms: after ~55 ms, about five expirations at once. */
	its.it_value.tv_nsec = 10000000;
	its.it_interval.tv_nsec = 10000000;
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0, "settime periodic");
	usleep(55000);
	uint64_t n = rd(fd);
	CHECK(n >= 4 && n <= 7, "periodic count %llu", (unsigned long long)n);
	/* Re-arming returns the old value; disarming stops it. */
	struct itimerspec off = { 0 }, old;
	CHECK(timerfd_settime(fd, 0, &off, &old) == 0 && old.it_interval.tv_nsec == 10000000,
	      "old interval");
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	CHECK_ERRNO(read(fd, &v, 4), EINVAL);

	/* Absolute on CLOCK_MONOTONIC. */
	long long at = now_ns(CLOCK_MONOTONIC) + 20000000;
	its = (struct itimerspec){ .it_value = { at / 1000000000, at % 1000000000 } };
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0, "absolute");
	CHECK(fcntl(fd, F_SETFL, 0) == 0, "blocking again");
	CHECK(rd(fd) == 1 && now_ns(CLOCK_MONOTONIC) >= at, "absolute expiry");
	/* An absolute time in the past fires at once. */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1;
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) == 0 && rd(fd) == 1, "past");
	close(fd);
}

static void with_epoll(void)
{
	int fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	CHECK(fd >= 0, "CLOCK_BOOTTIME");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	struct itimerspec its = { .it_value = { 0, 20000000 } };
	CHECK(timerfd_settime(fd, 0, &its, NULL) == 0, "settime");
	CHECK(epoll_wait(ep, &ev, 1, 0) == 0, "not yet");
	CHECK(epoll_wait(ep, &ev, 1, 2000) == 1 && ev.data.u32 == 5, "epoll saw the expiry");
	CHECK(rd(fd) == 1, "count");
	CHECK(epoll_wait(ep, &ev, 1, 0) == 0, "read clears it");
	close(ep), close(fd);
}

static void errors(void)
{
	struct itimerspec its = { .it_value = { 0, 1000000000 } }, cur;
	CHECK_ERRNO(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x1), EINVAL);
	int fd = timerfd_create(CLOCK_REALTIME, 0);
	CHECK(fd >= 0, "CLOCK_REALTIME");
	CHECK_ERRNO(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 0;
	CHECK_ERRNO(timerfd_settime(fd, 0x10, &its, NULL), EINVAL);
	CHECK_ERRNO(timerfd_settime(fd, 0, launder_ptr(8), NULL), EFAULT);
	CHECK_ERRNO(timerfd_settime(999, 0, &its, NULL), EBADF);
	CHECK_ERRNO(timerfd_settime(0, 0, &its, NULL), EINVAL);
	CHECK_ERRNO(timerfd_gettime(fd, launder_ptr(8)), EFAULT);
	CHECK_ERRNO(timerfd_gettime(1, &cur), EINVAL);
	close(fd);
}

static void cancel_on_set(void)
{
	struct utsname u;
	CHECK(uname(&u) == 0, "uname");
	if (!strstr(u.release, "ferrite") || geteuid() != 0)
		return; /* never step the clock of the machine running the tests */
	int fd = timerfd_create(CLOCK_REALTIME, 0);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	struct itimerspec its = { .it_value = { rt.tv_sec + 3600, 0 } };
	CHECK(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL) == 0,
	      "cancel-on-set timer");
	/* Step the clock forward past the expiry and back. */
	struct timespec later = { rt.tv_sec + 7200, rt.tv_nsec };
	CHECK(clock_settime(CLOCK_REALTIME, &later) == 0, "step forward");
	uint64_t v;
	CHECK_ERRNO(read(fd, &v, sizeof(v)), ECANCELED);
	clock_gettime(CLOCK_REALTIME, &rt);
	rt.tv_sec -= 7200;
	CHECK(clock_settime(CLOCK_REALTIME, &rt) == 0, "step back");
	close(fd);
}

int main(void)
{
	one_shot_and_periodic();
	with_epoll();
	errors();
	cancel_on_set();
	printf("timerfd: ok\n");
	return 0;
}
