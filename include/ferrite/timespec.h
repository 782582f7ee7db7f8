/*
 * Conversions between struct timespec (user time values) and kernel
 * nanoseconds, shared by the timer system calls (timerfd, POSIX timers).
 */
#pragma once
#include <ferrite/errno.h>
#include <ferrite/types.h>
#include <uapi/time.h>

#define TIMESPEC_NS_PER_S 1000000000ULL
/* A time no timer reaches: larger values are clamped to it. */
#define TIMESPEC_NS_MAX (UINT64_MAX / 4)

/* Linux's timespec64_valid: non-negative, nanoseconds below a second. */
static inline bool timespec_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)TIMESPEC_NS_PER_S;
}

/* A valid timespec in nanoseconds, clamped to TIMESPEC_NS_MAX. */
static inline uint64_t timespec_to_ns_clamped(const struct timespec *ts)
{
	if ((uint64_t)ts->tv_sec >= TIMESPEC_NS_MAX / TIMESPEC_NS_PER_S)
		return TIMESPEC_NS_MAX;
	return (uint64_t)ts->tv_sec * TIMESPEC_NS_PER_S + (uint64_t)ts->tv_nsec;
}

static inline struct timespec timespec_from_ns(uint64_t ns)
{
	return (struct timespec){ (long)(ns / TIMESPEC_NS_PER_S), (long)(ns % TIMESPEC_NS_PER_S) };
}

/* struct itimerspec of timerfd_settime and timer_settime. */
struct itimerspec {
	struct timespec it_interval;
	struct timespec it_value;
};

#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9

/*
 * The clock a timer (timerfd, timer_create) runs on: CLOCK_REALTIME or
 * CLOCK_MONOTONIC (CLOCK_BOOTTIME is the same clock here: Ferrite does not
 * suspend; the _ALARM variants need CAP_WAKE_ALARM, i.e. root). CPU-time
 * clocks are not supported. Return the clock or -EPERM / -EINVAL.
 */
static inline int timer_clock(int clockid, bool privileged)
{
	switch (clockid) {
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		if (!privileged)
			return -EPERM;
		return clockid == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	case CLOCK_BOOTTIME:
	case CLOCK_MONOTONIC:
		return CLOCK_MONOTONIC;
	case CLOCK_REALTIME:
		return CLOCK_REALTIME;
	}
	return -EINVAL;
}
