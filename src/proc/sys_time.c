/*
 * Time syscalls: clock_gettime/getres/nanosleep/settime, nanosleep,
 * gettimeofday/settimeofday, times. REALTIME is boot wall time + monotonic
 * time; setting it moves the boot wall time (the kernel's and the vDSO's
 * copy). CPU-time clocks come from the tick accounting (10 ms granularity).
 * Locking: readers take none (the boot wall time is one word); setters
 * serialise on realtime_set_lock (then the vDSO's vdso_lock, a leaf), so
 * the "not before boot" check and the store are one step.
 */
#include <ferrite/eventpoll.h>
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/spinlock.h>
#include <ferrite/uaccess.h>
#include <ferrite/vdso.h>
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

/* The largest time in ns the clocks hold (they are int64_t in clock_now_ns). */
#define NS_MAX (~0ULL >> 1)

/* A timespec in ns, saturated at NS_MAX (a sleep that long never ends);
 * -EINVAL when negative or not normalised. */
static int timespec_to_ns(const struct timespec *ts, uint64_t *ns)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)ts->tv_sec > (NS_MAX - (uint64_t)ts->tv_nsec) / NSEC_PER_SEC)
		*ns = NS_MAX;
	else
		*ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
	return 0;
}

static int read_timespec(const struct timespec __user *u, uint64_t *ns)
{
	struct timespec ts;

	if (copy_from_user(&ts, u, sizeof(ts)))
		return -EFAULT;
	return timespec_to_ns(&ts, ns);
}

static struct spinlock realtime_set_lock = SPINLOCK_INIT("realtime_set");

/* Make CLOCK_REALTIME read realtime_ns now: the kernel's boot wall time and
 * the vDSO's offset move together. -EINVAL for a time before boot or out
 * of range (as Linux), -EPERM unless root. */
static long set_realtime_ns(uint64_t realtime_ns)
{
	uint64_t offset;

	if (realtime_ns >= NS_MAX)
		return -EINVAL;
	if (current->proc->euid != 0)
		return -EPERM;
	spin_lock(&realtime_set_lock);
	uint64_t now = hal_time_ns();
	if (realtime_ns < now) {
		spin_unlock(&realtime_set_lock);
		return -EINVAL;
	}
	offset = realtime_ns - now;
	hal_set_boot_realtime_ns(offset);
	vdso_sync_realtime_offset();
	spin_unlock(&realtime_set_lock);
	timerfd_clock_was_set();
	return 0;
}

long sys_clock_settime(int clk, const struct timespec __user *uts)
{
	struct timespec ts;
	uint64_t ns;
	int err;

	/* Only CLOCK_REALTIME is set; as in Linux, the CPU-time clocks read
	 * the argument and refuse (EPERM), the others are EINVAL at once. */
	if (clk != CLOCK_REALTIME && clk != CLOCK_PROCESS_CPUTIME_ID &&
	    clk != CLOCK_THREAD_CPUTIME_ID)
		return -EINVAL;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (clk != CLOCK_REALTIME)
		return -EPERM;
	err = timespec_to_ns(&ts, &ns);
	if (err)
		return err;
	return set_realtime_ns(ns);
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

/* Linux's order of checks. The timezone is checked and ignored (there is
 * no kernel timezone: gettimeofday reports UTC). */
long sys_settimeofday(const struct timeval __user *utv, const struct timezone __user *utz)
{
	struct timeval tv;
	struct timezone tz;
	uint64_t ns = 0;

	if (utv) {
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_usec < 0 || tv.tv_usec > 1000000)
			return -EINVAL;
	}
	if (utz && copy_from_user(&tz, utz, sizeof(tz)))
		return -EFAULT;
	if (utv) {
		struct timespec ts = { tv.tv_sec, tv.tv_usec * 1000 };
		int err = timespec_to_ns(&ts, &ns); /* tv_usec 1000000: EINVAL */
		if (err)
			return err;
	}
	if (current->proc->euid != 0)
		return -EPERM;
	if (utz && (tz.tz_minuteswest > 15 * 60 || tz.tz_minuteswest < -15 * 60))
		return -EINVAL;
	return utv ? set_realtime_ns(ns) : 0;
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
