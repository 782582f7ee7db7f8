/*
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete, on CLOCK_REALTIME, CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME (the same clock here). Expiry sends the timer's signal
 * with an SI_TIMER siginfo (timer id, overrun, the caller's sigval), to the
 * process (SIGEV_SIGNAL) or to one of its threads (SIGEV_THREAD_ID, what
 * glibc's SIGEV_THREAD uses); SIGEV_NONE only counts. Timers are not
 * inherited by fork and go away at exec and exit.
 *
 * Each timer runs on a kernel timer (src/proc/ktimer.c); its expiry
 * function runs from the tick with ktimer_lock held and takes the timer's
 * own lock, then posts the signal (signal locks come after).
 *
 * Overruns: a period that passes before the tick sees it (a late tick)
 * counts as an overrun of the next signal, as Linux counts periods that
 * pass while the signal is still pending. Unlike Linux, a real-time timer
 * signal that is still queued does not absorb the next expiry: each
 * expiry queues its own signal (up to RLIMIT_SIGPENDING).
 *
 * Lock: p->timers_lock (a mutex) guards the process's table; each timer's
 * lock (irqsave: the tick takes it) its state.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/ktimer.h>
#include <ferrite/mutex.h>
#include <ferrite/signal.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>
#include <ferrite/timespec.h>
#include <uapi/time.h>

#define TIMERS_MAX 512
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define SI_TIMER (-2)
#define TIMER_ABSTIME 1

struct user_sigevent {
	uint64_t value; /* union sigval */
	int signo;
	int notify;
	int tid; /* SIGEV_THREAD_ID */
	int pad[11];
};
_Static_assert(sizeof(struct user_sigevent) == 64, "Linux's sigevent");

struct posix_timer {
	struct ktimer timer;
	struct spinlock lock;
	struct process *proc;  /* owner; the timer dies before it */
	int id;
	int clockid;           /* CLOCK_REALTIME or CLOCK_MONOTONIC */
	int notify, signo, tid;
	uint64_t value;        /* sigval */
	bool armed;            /* Lock: lock */
	uint64_t expires_ns;   /* monotonic; Lock: lock */
	uint64_t interval_ns;  /* Lock: lock */
	int overrun;           /* of the last signal sent; Lock: lock */
};

struct posix_timers {
	struct mutex mtx;
	struct posix_timer *slot[TIMERS_MAX]; /* Lock: mtx */
};

static size_t timers_live; /* atomic */

size_t posix_timers_count_live(void)
{
	return __atomic_load_n(&timers_live, __ATOMIC_RELAXED);
}

/* Post the timer's signal. Called from the tick, or with nothing held. */
static void timer_fire(struct posix_timer *pt, int overrun)
{
	struct user_siginfo si = { .si_signo = pt->signo, .si_code = SI_TIMER };
	struct task *t = NULL;

	si.rt.pid = pt->id;        /* si_timerid */
	si.rt.uid = (uid_t)overrun; /* si_overrun */
	si.rt.value = pt->value;
	if (pt->notify == SIGEV_THREAD_ID) {
		t = task_find(pt->tid);
		if (t && t->proc != pt->proc) {
			task_put(t);
			t = NULL; /* gone: the process takes it */
		}
	}
	send_signal_info(pt->proc, t, pt->signo, &si);
	if (t)
		task_put(t);
}

static void timer_expire(struct ktimer *kt, uint64_t now)
{
	struct posix_timer *pt = container_of(kt, struct posix_timer, timer);
	int overrun = 0;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &pt->lock, 0 })) {
		if (!pt->armed)
			return;
		if (pt->interval_ns) {
			uint64_t late = (now - pt->expires_ns) / pt->interval_ns;
			overrun = late > INT32_MAX ? INT32_MAX : (int)late;
			pt->expires_ns += (late + 1) * pt->interval_ns;
			ktimer_arm_locked(&pt->timer, pt->expires_ns);
		} else {
			pt->armed = false;
		}
		pt->overrun = overrun;
	}
	if (pt->notify != SIGEV_NONE)
		timer_fire(pt, overrun);
}

static struct posix_timers *timers_of(struct process *p, bool create)
{
	struct posix_timers *t = __atomic_load_n(&p->timers, __ATOMIC_ACQUIRE);

	if (t || !create)
		return t;
	t = kzalloc(sizeof(*t));
	if (!t)
		return NULL;
	mutex_init(&t->mtx);
	struct posix_timers *expected = NULL;
	if (!__atomic_compare_exchange_n(&p->timers, &expected, t, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(t); /* another thread made it first */
		t = expected;
	}
	return t;
}

long sys_timer_create(int clockid, const struct user_sigevent __user *uev, int __user *uid)
{
	struct user_sigevent ev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	struct process *p = current->proc;

	clockid = timer_clock(clockid, p->euid == 0);
	if (clockid < 0)
		return clockid;
	if (uev && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	switch (ev.notify) {
	case SIGEV_SIGNAL:
	case SIGEV_THREAD_ID:
		if (ev.signo < 1 || ev.signo > NSIG)
			return -EINVAL;
		if (ev.notify == SIGEV_THREAD_ID) {
			struct task *t = task_find(ev.tid);
			bool ours = t && t->proc == p;
			if (t)
				task_put(t);
			if (!ours)
				return -EINVAL;
		}
		break;
	case SIGEV_NONE:
		break;
	default:
		return -EINVAL;
	}
	struct posix_timers *tab = timers_of(p, true);
	if (!tab)
		return -EAGAIN;
	struct posix_timer *pt = kzalloc(sizeof(*pt));
	if (!pt)
		return -EAGAIN;
	ktimer_init(&pt->timer, timer_expire);
	spin_init(&pt->lock, "posix_timer");
	pt->proc = p;
	pt->clockid = clockid;
	pt->notify = ev.notify;
	pt->signo = ev.signo;
	pt->tid = ev.tid;
	guard(mutex)(&tab->mtx);
	int id = 0;
	while (id < TIMERS_MAX && tab->slot[id])
		id++;
	if (id == TIMERS_MAX) {
		kfree(pt);
		return -EAGAIN;
	}
	pt->id = id;
	pt->value = uev ? ev.value : (uint64_t)id; /* no sigevent: the id is the value */
	if (put_user(id, uid)) {
		kfree(pt);
		return -EFAULT;
	}
	tab->slot[id] = pt;
	__atomic_add_fetch(&timers_live, 1, __ATOMIC_RELAXED);
	return 0;
}

/* The caller's timer id, with the table's mutex held (unlock when done). */
static struct posix_timer *timer_lookup(int id, struct posix_timers **tabp)
{
	struct posix_timers *tab = timers_of(current->proc, false);

	if (!tab || id < 0 || id >= TIMERS_MAX)
		return NULL;
	mutex_lock(&tab->mtx);
	if (!tab->slot[id]) {
		mutex_unlock(&tab->mtx);
		return NULL;
	}
	*tabp = tab;
	return tab->slot[id];
}

/* Time left and interval. Caller holds pt->lock. */
static struct itimerspec timer_value_locked(struct posix_timer *pt)
{
	struct itimerspec v = { .it_interval = timespec_from_ns(pt->interval_ns) };
	uint64_t now = hal_time_ns();

	if (pt->armed)
		v.it_value = timespec_from_ns(pt->expires_ns > now ? pt->expires_ns - now : 1);
	return v;
}

long sys_timer_settime(int id, int flags, const struct itimerspec __user *unew,
		       struct itimerspec __user *uold)
{
	struct itimerspec nv, ov;
	struct posix_timers *tab;

	if (copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (!timespec_valid(&nv.it_value) || !timespec_valid(&nv.it_interval))
		return -EINVAL;
	struct posix_timer *pt = timer_lookup(id, &tab);
	if (!pt)
		return -EINVAL;
	uint64_t value = timespec_to_ns_clamped(&nv.it_value), now = hal_time_ns();
	uint64_t expires = value;
	if (!(flags & TIMER_ABSTIME))
		expires = now + value;
	else if (pt->clockid == CLOCK_REALTIME)
		expires = value > hal_boot_realtime_ns() ? value - hal_boot_realtime_ns() : 0;
	ktimer_cancel(&pt->timer);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &pt->lock, 0 })) {
		ov = timer_value_locked(pt);
		pt->armed = value != 0;
		pt->expires_ns = expires;
		pt->interval_ns = timespec_to_ns_clamped(&nv.it_interval);
		pt->overrun = 0;
	}
	if (value)
		ktimer_arm(&pt->timer, expires);
	mutex_unlock(&tab->mtx);
	if (uold && copy_to_user(uold, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

long sys_timer_gettime(int id, struct itimerspec __user *ucur)
{
	struct posix_timers *tab;
	struct itimerspec v;
	struct posix_timer *pt = timer_lookup(id, &tab);

	if (!pt)
		return -EINVAL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &pt->lock, 0 }))
		v = timer_value_locked(pt);
	mutex_unlock(&tab->mtx);
	return copy_to_user(ucur, &v, sizeof(v)) ? -EFAULT : 0;
}

long sys_timer_getoverrun(int id)
{
	struct posix_timers *tab;
	struct posix_timer *pt = timer_lookup(id, &tab);

	if (!pt)
		return -EINVAL;
	int overrun = READ_ONCE(pt->overrun);
	mutex_unlock(&tab->mtx);
	return overrun;
}

/* Stop and free a timer. Caller holds the table's mutex. */
static void timer_destroy(struct posix_timers *tab, struct posix_timer *pt)
{
	ktimer_cancel(&pt->timer); /* its function is not running after this */
	tab->slot[pt->id] = NULL;
	kfree(pt);
	__atomic_sub_fetch(&timers_live, 1, __ATOMIC_RELAXED);
}

long sys_timer_delete(int id)
{
	struct posix_timers *tab;
	struct posix_timer *pt = timer_lookup(id, &tab);

	if (!pt)
		return -EINVAL;
	timer_destroy(tab, pt);
	mutex_unlock(&tab->mtx);
	return 0;
}

void posix_timers_exit(struct process *p)
{
	struct posix_timers *tab = __atomic_exchange_n(&p->timers, NULL, __ATOMIC_ACQ_REL);

	if (!tab)
		return;
	scoped_guard(mutex, &tab->mtx) {
		for (int i = 0; i < TIMERS_MAX; i++)
			if (tab->slot[i])
				timer_destroy(tab, tab->slot[i]);
	}
	kfree(tab);
}
