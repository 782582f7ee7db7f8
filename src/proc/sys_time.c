/*
 * Time syscalls: clock_gettime/getres/nanosleep, nanosleep, gettimeofday,
 * times. REALTIME is boot wall time + monotonic time; CPU-time clocks come
 * from the tick accounting (10 ms granularity). No locking: reads only.
 */
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include <hal/hal_boot.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>
#include "proc_internal.h"

static struct timespec ns_to_timespec(uint64_t ns)
{
	return (struct timespec){ (long)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC) };
}

/* Return the clock's value in ns, or -EINVAL for an unknown clock. */
static int64_t clock_now_ns(int clk)
{
	struct task *self = current;

	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
		return (int64_t)(hal_boot_realtime_ns() + hal_time_ns());
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		return (int64_t)hal_time_ns();
	case CLOCK_PROCESS_CPUTIME_ID:
		return (int64_t)(READ_ONCE(self->proc->utime_ns) + READ_ONCE(self->proc->stime_ns));
	case CLOCK_THREAD_CPUTIME_ID:
		return (int64_t)(READ_ONCE(self->utime_ns) + READ_ONCE(self->stime_ns));
	default:
		return -EINVAL;
	}
}

long sys_clock_gettime(int clk, struct timespec __user *uts)
{
	int64_t ns = clock_now_ns(clk);
	struct timespec ts;

	if (ns < 0)
		return ns;
	ts = ns_to_timespec((uint64_t)ns);
	return copy_to_user(uts, &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(int clk, struct timespec __user *uts)
{
	struct timespec ts = { 0, 1 };

	if (clock_now_ns(clk) < 0)
		return -EINVAL;
	if (clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE ||
	    clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID)
		ts.tv_nsec = (long)(NSEC_PER_SEC / HAL_TIMER_HZ);
	if (uts && copy_to_user(uts, &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

static int read_timespec(const struct timespec __user *u, uint64_t *ns)
{
	struct timespec ts;

	if (copy_from_user(&ts, u, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

/* Sleep until monotonic deadline; on a signal write the rest to rem. */
static long sleep_until(uint64_t deadline, struct timespec __user *rem)
{
	uint64_t now = hal_time_ns();
	int err;

	if (deadline <= now)
		return 0;
	err = sched_sleep_ns(deadline - now);
	if (err == -EINTR && rem) {
		now = hal_time_ns();
		struct timespec r = ns_to_timespec(deadline > now ? deadline - now : 0);
		if (copy_to_user(rem, &r, sizeof(r)))
			return -EFAULT;
	}
	return err;
}

long sys_nanosleep(const struct timespec __user *req, struct timespec __user *rem)
{
	uint64_t ns;
	int err = read_timespec(req, &ns);

	if (err)
		return err;
	return sleep_until(hal_time_ns() + ns, rem);
}

long sys_clock_nanosleep(int clk, int flags, const struct timespec __user *req,
			 struct timespec __user *rem)
{
	uint64_t ns;
	int err;

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_PROCESS_CPUTIME_ID)
		return -EINVAL;
	err = read_timespec(req, &ns);
	if (err)
		return err;
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(hal_time_ns() + ns, rem);
	if (clk == CLOCK_REALTIME) {
		uint64_t boot = hal_boot_realtime_ns();
		ns = ns > boot ? ns - boot : 0;
	}
	return sleep_until(ns, NULL); /* rem is not written for TIMER_ABSTIME */
}

long sys_gettimeofday(struct timeval __user *tv, struct timezone __user *tz)
{
	uint64_t ns = hal_boot_realtime_ns() + hal_time_ns();

	if (tv) {
		struct timeval v = { (long)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC / 1000) };
		if (copy_to_user(tv, &v, sizeof(v)))
			return -EFAULT;
	}
	if (tz) {
		struct timezone z = { 0, 0 };
		if (copy_to_user(tz, &z, sizeof(z)))
			return -EFAULT;
	}
	return 0;
}

static long ns_to_ticks(uint64_t ns)
{
	return (long)(ns / (NSEC_PER_SEC / USER_HZ));
}

long sys_times(struct tms __user *ubuf)
{
	struct process *p = current->proc;

	if (ubuf) {
		struct tms t = {
			ns_to_ticks(p->utime_ns), ns_to_ticks(p->stime_ns),
			ns_to_ticks(p->cutime_ns), ns_to_ticks(p->cstime_ns),
		};
		if (copy_to_user(ubuf, &t, sizeof(t)))
			return -EFAULT;
	}
	return ns_to_ticks(hal_time_ns());
}

/* time(2) (x86_64 only): seconds of wall-clock time, also stored at *t. */
long sys_time(long __user *t)
{
	long secs = (long)((hal_boot_realtime_ns() + hal_time_ns()) / NSEC_PER_SEC);

	if (t && copy_to_user(t, &secs, sizeof(secs)))
		return -EFAULT;
	return secs;
}
