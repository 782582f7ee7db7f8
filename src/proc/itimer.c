/*
 * Interval timers: alarm(2), setitimer(2), getitimer(2). Each process has
 * one ITIMER_REAL (monotonic time, SIGALRM), one ITIMER_VIRTUAL (SIGVTALRM)
 * and one ITIMER_PROF (SIGPROF), the last two counting the CPU time of its
 * threads by the tick. Ferrite charges every tick a thread runs as user
 * time (as utime_ns), so VIRTUAL and PROF count alike.
 *
 * ITIMER_REAL runs on the process's kernel timer (real_timer, ktimer.h),
 * a one-shot high-resolution interrupt: it fires at its microsecond, not
 * at the next tick. Its function sends SIGALRM (SI_KERNEL, as Linux's
 * SEND_SIG_PRIV) and re-arms a periodic timer one interval on, skipping
 * the periods it missed (Linux's hrtimer_forward); never sooner than
 * REAL_MIN_REARM_NS from now, so a 1 us interval cannot keep a CPU in
 * its timer interrupt. As on Linux, a child of fork starts with no timer
 * (the process is zeroed), execve keeps them, and the process's exit
 * disarms them.
 *
 * Lock: itimer_lock (irqsave; the tick takes it) guards every process's
 * itimer[]. Order: ktimer_lock -> itimer_lock -> p->lock -> rq lock (the
 * timer function and the tick send signals under it). Never taken under
 * p->lock. real_mtx serialises the setters of ITIMER_REAL, which arm the
 * kernel timer after dropping itimer_lock (arming takes ktimer_lock); the
 * timer function reads the value itself, so an arm that races with it
 * cannot fire a stale value.
 */
#include <ferrite/errno.h>
#include <ferrite/mutex.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>
#include "proc_internal.h"

#define ITIMER_REAL 0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF 2

#define NS_PER_TICK (1000000000ULL / HAL_TIMER_HZ)
#define NS_PER_USEC 1000ULL
#define NS_MAX (UINT64_MAX / 4) /* far enough: never reached */
#define REAL_MIN_REARM_NS 50000ULL

struct itimerval {
	struct timeval it_interval;
	struct timeval it_value;
};

static struct spinlock itimer_lock = SPINLOCK_INIT("itimer");
static DEFINE_MUTEX(real_mtx); /* setters of ITIMER_REAL */

static const int itimer_signal[ITIMER_COUNT] = { SIGALRM, SIGVTALRM, SIGPROF };

static bool timeval_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static uint64_t timeval_to_ns(const struct timeval *tv)
{
	if ((uint64_t)tv->tv_sec >= NS_MAX / NSEC_PER_SEC)
		return NS_MAX;
	return (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * NS_PER_USEC;
}

/* Round up to whole microseconds: a timer still armed never reads as 0. */
static struct timeval ns_to_timeval(uint64_t ns)
{
	uint64_t us = (ns + NS_PER_USEC - 1) / NS_PER_USEC;

	return (struct timeval){ (long)(us / 1000000), (long)(us % 1000000) };
}

/* What is left of p's timer which (armed: at least 1 us, as Linux). */
static uint64_t remaining_locked(struct process *p, int which, uint64_t now)
{
	const struct itimer *it = &p->itimer[which];

	assert_locked(&itimer_lock);
	if (!it->value_ns)
		return 0;
	if (which != ITIMER_REAL)
		return it->value_ns;
	return it->value_ns > now ? it->value_ns - now : NS_PER_USEC;
}

/* Read (old) and replace (new, may be NULL) p's timer which. Return the
 * new ITIMER_REAL expiry to arm (0: none). */
static uint64_t itimer_exchange_locked(struct process *p, int which, const struct itimerval *new,
				       struct itimerval *old)
{
	uint64_t now = hal_time_ns();
	struct itimer *it = &p->itimer[which];

	assert_locked(&itimer_lock);
	if (old) {
		old->it_value = ns_to_timeval(remaining_locked(p, which, now));
		old->it_interval = ns_to_timeval(it->interval_ns);
	}
	if (!new)
		return 0;
	uint64_t value = timeval_to_ns(&new->it_value);
	it->interval_ns = value ? timeval_to_ns(&new->it_interval) : 0;
	if (which == ITIMER_REAL) {
		it->value_ns = value ? now + value : 0;
		return it->value_ns;
	}
	/* Plus a tick, as Linux: the tick that arms counts only in part, so
	 * the signal never comes early. */
	it->value_ns = value ? value + NS_PER_TICK : 0;
	return 0;
}

static void itimer_exchange(struct process *p, int which, const struct itimerval *new,
			    struct itimerval *old)
{
	uint64_t expires;

	if (which != ITIMER_REAL || !new) {
		guard_irqsave(&itimer_lock);
		itimer_exchange_locked(p, which, new, old);
		return;
	}
	guard(mutex)(&real_mtx);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &itimer_lock, 0 }))
		expires = itimer_exchange_locked(p, which, new, old);
	if (expires)
		ktimer_arm(&p->real_timer, expires);
	else
		ktimer_cancel(&p->real_timer);
}

/* ITIMER_REAL's kernel timer (ktimer_lock held, interrupts off). */
static void itimer_real_expire(struct ktimer *t, uint64_t now)
{
	struct process *p = container_of(t, struct process, real_timer);
	struct itimer *it = &p->itimer[ITIMER_REAL];

	guard_irqsave(&itimer_lock);
	if (!it->value_ns)
		return; /* disarmed since */
	if (it->value_ns > now) {
		ktimer_arm_locked(t, it->value_ns); /* re-set since: not yet */
		return;
	}
	if (it->interval_ns) {
		uint64_t next = it->value_ns + it->interval_ns;
		if (next <= now) /* missed periods are not made up */
			next += ((now - next) / it->interval_ns + 1) * it->interval_ns;
		it->value_ns = next;
		ktimer_arm_locked(t, MAX(next, now + REAL_MIN_REARM_NS));
	} else {
		it->value_ns = 0;
	}
	send_signal_process(p, SIGALRM);
}

void itimer_init(struct process *p)
{
	ktimer_init(&p->real_timer, itimer_real_expire);
}

void itimer_exit(struct process *p)
{
	ktimer_cancel(&p->real_timer); /* its function is not running after this */
	guard_irqsave(&itimer_lock);
	for (int i = 0; i < ITIMER_COUNT; i++)
		p->itimer[i] = (struct itimer){ 0, 0 };
}

/* One tick of CPU time for p's timer which. Caller holds itimer_lock. */
static void cpu_timer_tick_locked(struct process *p, int which)
{
	struct itimer *it = &p->itimer[which];

	if (!it->value_ns)
		return;
	if (it->value_ns > NS_PER_TICK) {
		it->value_ns -= NS_PER_TICK;
		return;
	}
	it->value_ns = it->interval_ns;
	send_signal_process(p, itimer_signal[which]);
}

void itimer_tick(struct process *running, uint64_t now)
{
	/* Racy peek: nothing armed is the usual case. */
	if (!running || !(READ_ONCE(running->itimer[ITIMER_VIRTUAL].value_ns) |
			  READ_ONCE(running->itimer[ITIMER_PROF].value_ns)))
		return;
	guard_irqsave(&itimer_lock);
	cpu_timer_tick_locked(running, ITIMER_VIRTUAL);
	cpu_timer_tick_locked(running, ITIMER_PROF);
}

long sys_getitimer(int which, struct itimerval __user *uval)
{
	struct itimerval old;

	if (which < 0 || which >= ITIMER_COUNT)
		return -EINVAL;
	itimer_exchange(current->proc, which, NULL, &old);
	return copy_to_user(uval, &old, sizeof(old)) ? -EFAULT : 0;
}

long sys_setitimer(int which, const struct itimerval __user *unew, struct itimerval __user *uold)
{
	struct itimerval new = { 0 }, old;

	if (which < 0 || which >= ITIMER_COUNT)
		return -EINVAL;
	/* A NULL new value disarms (Linux, with a warning). */
	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	if (!timeval_valid(&new.it_value) || !timeval_valid(&new.it_interval))
		return -EINVAL;
	itimer_exchange(current->proc, which, &new, uold ? &old : NULL);
	if (uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_alarm(unsigned int seconds)
{
	struct itimerval new = { .it_value = { seconds > INT32_MAX ? INT32_MAX : seconds, 0 } };
	struct itimerval old;

	itimer_exchange(current->proc, ITIMER_REAL, &new, &old);
	/* Whole seconds left, rounded to nearest, and never 0 while armed. */
	if ((!old.it_value.tv_sec && old.it_value.tv_usec) || old.it_value.tv_usec >= 500000)
		old.it_value.tv_sec++;
	return old.it_value.tv_sec;
}
