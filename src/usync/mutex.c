/*
 * Sleeping mutex with an owner and FIFO hand-off.
 *
 * Lock: m->wait.lock guards the waiter list and the hand-off. m->owner is
 * the owning task, with bit 0 (MUTEX_WAITERS) set when a locker may be
 * asleep on m->wait. Two lock-free fast paths: lock is a compare-and-swap
 * NULL -> current, unlock a compare-and-swap current -> NULL, which fails
 * when MUTEX_WAITERS is set.
 *
 * Invariant: while a task sleeps on m->wait, m->owner is not NULL and has
 * MUTEX_WAITERS. A locker queues itself with prepare_to_wait_exclusive()
 * *before* it looks at owner, then either takes a free mutex, finds it
 * was handed the mutex, or sets MUTEX_WAITERS with a compare-and-swap on
 * the owner it saw before it sleeps. So an unlock either fails its
 * fast-path CAS (the bit is set) and goes the slow way, under m->wait.lock:
 * hand the mutex to the first waiter (owner = that task, with the bit if
 * others are queued; entry unlinked; task woken) or, with nobody queued,
 * set owner to NULL; or its CAS came first, and the locker's CAS fails and
 * it looks again. No wake-up is lost, and a newcomer can take a free
 * mutex only when nobody is waiting for it.
 */
#include <ferrite/cpu.h>
#include <ferrite/lockdep.h>
#include <ferrite/mutex.h>
#include <ferrite/printk.h>
#include <ferrite/task.h>

void mutex_init(struct mutex *m)
{
	m->owner = NULL;
	waitqueue_init(&m->wait);
#ifdef FERRITE_DEBUG
	m->ld_key = __builtin_return_address(0); /* the class: this init site */
	m->ld_class = 0;
#endif
}

#define MUTEX_WAITERS 1UL

static inline struct task *owner_of(const struct mutex *m)
{
	uintptr_t o = (uintptr_t)__atomic_load_n(&m->owner, __ATOMIC_ACQUIRE);

	return (struct task *)(o & ~MUTEX_WAITERS);
}

/* Take a free mutex, or notice that unlock handed it to us; otherwise mark
 * the owner MUTEX_WAITERS so its unlock goes the slow way. Caller is
 * queued on m->wait. */
static bool mutex_acquire(struct mutex *m, struct task *self)
{
	struct task *seen = __atomic_load_n(&m->owner, __ATOMIC_ACQUIRE);

	for (;;) {
		uintptr_t o = (uintptr_t)seen;
		if ((struct task *)(o & ~MUTEX_WAITERS) == self)
			return true;
		struct task *want = o ? (struct task *)(o | MUTEX_WAITERS) : self;
		if (want == seen)
			return false; /* marked already */
		if (__atomic_compare_exchange_n(&m->owner, &seen, want, false, __ATOMIC_ACQUIRE,
						__ATOMIC_ACQUIRE))
			return !o;
	}
}

static int mutex_lock_slow(struct mutex *m, struct task *self, int state)
{
	struct wait_entry e = WAIT_ENTRY_INIT(e);
	int ret = 0;

	for (;;) {
		prepare_to_wait_exclusive(&m->wait, &e, state);
		if (mutex_acquire(m, self))
			break;
		if (state == TASK_INTERRUPTIBLE && signal_pending_current()) {
			ret = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&m->wait, &e);
	/* Once off the queue no hand-off can reach us: if one came between the
	 * signal check and finish_wait, the mutex is ours after all. */
	if (ret && owner_of(m) == self)
		ret = 0;
	return ret;
}

static int mutex_lock_common(struct mutex *m, int state)
{
	struct task *self = current;
	struct task *expected = NULL;

	BUG_ON(owner_of(m) == self); /* recursive locking */
	lockdep_might_sleep("mutex_lock");
	/* Fast path. It cannot overtake a sleeper: the mutex is never free
	 * while one sleeps (see the invariant above). */
	if (__atomic_compare_exchange_n(&m->owner, &expected, self, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	return mutex_lock_slow(m, self, state);
}

void mutex_lock(struct mutex *m)
{
	lockdep_mutex_acquire(m, false, (uintptr_t)__builtin_return_address(0));
	(void)mutex_lock_common(m, TASK_UNINTERRUPTIBLE);
}

int mutex_lock_interruptible(struct mutex *m)
{
	lockdep_mutex_acquire(m, false, (uintptr_t)__builtin_return_address(0));
	int ret = mutex_lock_common(m, TASK_INTERRUPTIBLE);
	if (ret)
		lockdep_mutex_release(m);
	return ret;
}

bool mutex_trylock(struct mutex *m)
{
	struct task *expected = NULL;

	if (!__atomic_compare_exchange_n(&m->owner, &expected, current, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	lockdep_mutex_acquire(m, true, (uintptr_t)__builtin_return_address(0));
	return true;
}

void mutex_unlock(struct mutex *m)
{
	struct task *self = current;
	struct task *next = NULL;
	uintptr_t waiters = 0;
	unsigned long flags;

	struct task *expected = self;
	lockdep_mutex_release(m);
	if (__atomic_compare_exchange_n(&m->owner, &expected, NULL, false, __ATOMIC_RELEASE,
					__ATOMIC_RELAXED))
		return; /* nobody waits */
	BUG_ON(owner_of(m) != self); /* unlock by a non-owner, or of a free mutex */
	flags = spin_lock_irqsave(&m->wait.lock);
	if (!list_empty(&m->wait.waiters)) {
		struct wait_entry *e = list_first_entry(&m->wait.waiters, struct wait_entry, node);
		list_del(&e->node);
		next = e->task;
		waiters = list_empty(&m->wait.waiters) ? 0 : MUTEX_WAITERS;
	}
	__atomic_store_n(&m->owner, (struct task *)((uintptr_t)next | waiters), __ATOMIC_RELEASE);
	if (next)
		sched_wakeup(next);
	spin_unlock_irqrestore(&m->wait.lock, flags);
}

bool mutex_is_locked(const struct mutex *m)
{
	return owner_of(m) != NULL;
}

bool mutex_owned_by_current(const struct mutex *m)
{
	return owner_of(m) == current;
}

unsigned mutex_nr_waiters(struct mutex *m)
{
	struct wait_entry *e;
	unsigned n = 0;
	unsigned long flags = spin_lock_irqsave(&m->wait.lock);

	list_for_each_entry(e, &m->wait.waiters, node)
		n++;
	spin_unlock_irqrestore(&m->wait.lock, flags);
	return n;
}
