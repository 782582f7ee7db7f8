/*
 * Condition variables on a wait queue, paired with a sleeping mutex.
 *
 * Lock: cv->wait.lock guards the waiter list; the caller's mutex guards
 * the predicate. Lock order: the mutex, then cv->wait.lock (never the
 * other way: the mutex is released before sleeping).
 *
 * Invariant (no lost wake-up): condvar_wait queues the waiter with
 * prepare_to_wait_exclusive() while it still holds the mutex, and only
 * then unlocks it. A signaller changes the predicate under the mutex, so it
 * can only signal after the waiter is queued, and the wake-up finds it
 * (the waiter's state is then TASK_RUNNING and schedule() returns at once).
 *
 * A waiter was signalled exactly when a waker unlinked its entry; such a
 * waiter reports success even if a signal or the deadline also came, so a
 * condvar_signal is never swallowed by a waiter that gives up.
 */
#include <ferrite/condvar.h>
#include <ferrite/cpu.h>
#include <ferrite/mutex.h>
#include <ferrite/printk.h>
#include <ferrite/task.h>

void condvar_init(struct condvar *cv)
{
	waitqueue_init(&cv->wait);
}

/* Remove e; return true when a waker had already unlinked it. */
static bool finish_and_check_woken(struct condvar *cv, struct wait_entry *e)
{
	bool woken;
	unsigned long flags = spin_lock_irqsave(&cv->wait.lock);

	woken = list_empty(&e->node);
	spin_unlock_irqrestore(&cv->wait.lock, flags);
	finish_wait(&cv->wait, e);
	return woken;
}

static int condvar_wait_common(struct condvar *cv, struct mutex *m, int state,
			       uint64_t deadline_ns)
{
	struct wait_entry e = WAIT_ENTRY_INIT(e);
	int ret = 0;

	assert_mutex_held(m);
	prepare_to_wait_exclusive(&cv->wait, &e, state);
	mutex_unlock(m);
	if (state == TASK_INTERRUPTIBLE && signal_pending_current())
		ret = -EINTR;
	else if (!schedule_timeout(deadline_ns) && deadline_ns)
		ret = -ETIMEDOUT;
	else if (state == TASK_INTERRUPTIBLE && signal_pending_current())
		ret = -EINTR;
	if (finish_and_check_woken(cv, &e))
		ret = 0;
	mutex_lock(m);
	return ret;
}

void condvar_wait(struct condvar *cv, struct mutex *m)
{
	(void)condvar_wait_common(cv, m, TASK_UNINTERRUPTIBLE, 0);
}

int condvar_wait_interruptible(struct condvar *cv, struct mutex *m)
{
	return condvar_wait_common(cv, m, TASK_INTERRUPTIBLE, 0);
}

int condvar_wait_timeout(struct condvar *cv, struct mutex *m, uint64_t deadline_ns)
{
	return condvar_wait_common(cv, m, TASK_INTERRUPTIBLE, deadline_ns);
}

void condvar_signal(struct condvar *cv)
{
	wake_up_one(&cv->wait);
}

void condvar_broadcast(struct condvar *cv)
{
	wake_up_all(&cv->wait);
}

unsigned condvar_nr_waiters(struct condvar *cv)
{
	struct wait_entry *e;
	unsigned n = 0;
	unsigned long flags = spin_lock_irqsave(&cv->wait.lock);

	list_for_each_entry(e, &cv->wait.waiters, node)
		n++;
	spin_unlock_irqrestore(&cv->wait.lock, flags);
	return n;
}
