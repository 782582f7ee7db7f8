/*
 * Sleeping reader-writer lock, writer-preferring.
 *
 * Lock: l->lock guards readers, writers_waiting and writer. Sleepers queue
 * on readq (non-exclusive: a writer's release lets every reader in) or
 * writeq (exclusive: one writer at a time). Lock order: l->lock is never
 * held while taking a queue's lock.
 *
 * Invariant (no lost wake-up): a sleeper queues itself on its queue before
 * it tests the state under l->lock; a releaser changes the state under
 * l->lock and wakes the queue after. So either the sleeper sees the release
 * or it is queued when the wake-up comes.
 *
 * Writer preference: a reader may enter only when there is no writer and
 * no writer waiting. A writer release hands over to the next writer while
 * any waits, and lets all readers in when none does; the last reader out
 * wakes one waiting writer.
 */
#include <ferrite/lockdep.h>
#include <ferrite/cpu.h>
#include <ferrite/rwlock.h>
#include <ferrite/printk.h>
#include <ferrite/task.h>

void rwlock_init(struct rwlock *l)
{
	spin_init(&l->lock, "rwlock");
	l->readers = 0;
	l->writers_waiting = 0;
	l->writer = NULL;
	waitqueue_init(&l->readq);
	waitqueue_init(&l->writeq);
}

static bool read_try(struct rwlock *l)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&l->lock);

	if (!l->writer && !l->writers_waiting) {
		l->readers++;
		ok = true;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	return ok;
}

/* counted: this writer is already included in writers_waiting. */
static bool write_try(struct rwlock *l, bool counted)
{
	bool ok = false;
	unsigned long flags;

	BUG_ON(READ_ONCE(l->writer) == current); /* recursive write lock */
	flags = spin_lock_irqsave(&l->lock);
	if (!l->writer && !l->readers) {
		l->writer = current;
		if (counted)
			l->writers_waiting--;
		ok = true;
	} else if (!counted) {
		/* Not our turn: from now on we hold new readers back. */
		l->writers_waiting++;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	return ok;
}

void rwlock_read_lock(struct rwlock *l)
{
	struct wait_entry e = WAIT_ENTRY_INIT(e);

	lockdep_might_sleep("rwlock_read_lock");
	if (read_try(l))
		return;
	for (;;) {
		prepare_to_wait(&l->readq, &e, TASK_UNINTERRUPTIBLE);
		if (read_try(l))
			break;
		schedule();
	}
	finish_wait(&l->readq, &e);
}

bool rwlock_read_trylock(struct rwlock *l)
{
	return read_try(l);
}

void rwlock_read_unlock(struct rwlock *l)
{
	bool wake_writer;
	unsigned long flags;

	/* Checked before locking so that a failed check leaves no lock held. */
	BUG_ON(READ_ONCE(l->readers) == 0); /* unbalanced read unlock */
	flags = spin_lock_irqsave(&l->lock);
	l->readers--;
	wake_writer = l->readers == 0 && l->writers_waiting;
	spin_unlock_irqrestore(&l->lock, flags);
	if (wake_writer)
		wake_up_one(&l->writeq);
}

void rwlock_write_lock(struct rwlock *l)
{
	struct wait_entry e = WAIT_ENTRY_INIT(e);

	lockdep_might_sleep("rwlock_write_lock");
	if (write_try(l, false))
		return;
	/* Counted in writers_waiting from here until write_try succeeds. */
	for (;;) {
		prepare_to_wait_exclusive(&l->writeq, &e, TASK_UNINTERRUPTIBLE);
		if (write_try(l, true))
			break;
		schedule();
	}
	finish_wait(&l->writeq, &e);
}

bool rwlock_write_trylock(struct rwlock *l)
{
	bool ok = false;
	unsigned long flags = spin_lock_irqsave(&l->lock);

	if (!l->writer && !l->readers) {
		l->writer = current;
		ok = true;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	return ok;
}

void rwlock_write_unlock(struct rwlock *l)
{
	bool writers;
	unsigned long flags;

	BUG_ON(READ_ONCE(l->writer) != current); /* unlock by a non-owner */
	flags = spin_lock_irqsave(&l->lock);
	l->writer = NULL;
	writers = l->writers_waiting != 0;
	spin_unlock_irqrestore(&l->lock, flags);
	if (writers)
		wake_up_one(&l->writeq);
	else
		wake_up_all(&l->readq);
}

bool rwlock_write_owned_by_current(struct rwlock *l)
{
	return READ_ONCE(l->writer) == current;
}

unsigned rwlock_nr_readers(struct rwlock *l)
{
	return READ_ONCE(l->readers);
}

unsigned rwlock_nr_writers_waiting(struct rwlock *l)
{
	return READ_ONCE(l->writers_waiting);
}
