/*
 * Counting semaphore on a wait queue.
 *
 * Lock: s->wait.lock guards s->count (and, as always, the waiter list).
 *
 * Invariant (no lost wake-up): a sleeper queues itself with
 * prepare_to_wait_exclusive() before it tests the count under s->wait.lock;
 * up() raises the count under the same lock and then wakes the first
 * sleeper. So either the sleeper sees the new unit or it is on the queue
 * when up() wakes it. A sleeper that leaves without a unit (signal,
 * timeout) after having been woken passes the wake-up on, so a unit never
 * sits unused while someone sleeps.
 */
#include <ferrite/lockdep.h>
#include <ferrite/cpu.h>
#include <ferrite/semaphore.h>
#include <ferrite/printk.h>
#include <ferrite/task.h>

void sema_init(struct semaphore *s, long count)
{
	BUG_ON(count < 0);
	s->count = count;
	waitqueue_init(&s->wait);
}

static bool sema_take(struct semaphore *s)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&s->wait.lock);

	if (s->count > 0) {
		s->count--;
		ok = true;
	}
	spin_unlock_irqrestore(&s->wait.lock, flags);
	return ok;
}

/*
 * Sleep in state until a unit is ours (0), a signal is pending
 * (-EINTR, interruptible only) or deadline_ns passes (-ETIMEDOUT).
 */
static int down_common(struct semaphore *s, int state, uint64_t deadline_ns)
{
	struct wait_entry e = WAIT_ENTRY_INIT(e);
	int ret = 0;

	for (;;) {
		prepare_to_wait_exclusive(&s->wait, &e, state);
		if (sema_take(s))
			break;
		if (state == TASK_INTERRUPTIBLE && signal_pending_current()) {
			ret = -EINTR;
			break;
		}
		if (!schedule_timeout(deadline_ns) && deadline_ns) {
			ret = sema_take(s) ? 0 : -ETIMEDOUT;
			break;
		}
	}
	finish_wait(&s->wait, &e);
	/* Leaving empty-handed, we may have swallowed the wake-up meant for a
	 * unit: pass it on (a spare wake-up only costs a recheck). */
	if (ret && READ_ONCE(s->count) > 0)
		wake_up_one(&s->wait);
	return ret;
}

void down(struct semaphore *s)
{
	lockdep_might_sleep("down");
	if (!sema_take(s))
		(void)down_common(s, TASK_UNINTERRUPTIBLE, 0);
}

int down_interruptible(struct semaphore *s)
{
	lockdep_might_sleep("down_interruptible");
	if (sema_take(s))
		return 0;
	return down_common(s, TASK_INTERRUPTIBLE, 0);
}

int down_trylock(struct semaphore *s)
{
	return sema_take(s) ? 0 : -EAGAIN;
}

int down_timeout(struct semaphore *s, uint64_t deadline_ns)
{
	lockdep_might_sleep("down_timeout");
	if (sema_take(s))
		return 0;
	return down_common(s, TASK_UNINTERRUPTIBLE, deadline_ns);
}

void up(struct semaphore *s)
{
	unsigned long flags = spin_lock_irqsave(&s->wait.lock);

	s->count++;
	spin_unlock_irqrestore(&s->wait.lock, flags);
	wake_up_one(&s->wait);
}

long sema_count(struct semaphore *s)
{
	return READ_ONCE(s->count);
}

unsigned sema_nr_waiters(struct semaphore *s)
{
	struct wait_entry *e;
	unsigned n = 0;
	unsigned long flags = spin_lock_irqsave(&s->wait.lock);

	list_for_each_entry(e, &s->wait.waiters, node)
		n++;
	spin_unlock_irqrestore(&s->wait.lock, flags);
	return n;
}
