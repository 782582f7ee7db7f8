/*
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE: wake some waiters of key1 and move
 * others, still asleep, to key2 (pthread_cond_broadcast hands its waiters
 * to the mutex this way instead of waking a herd).
 * Lock: both buckets, taken in address order by futex_lock_pair. A moved
 * waiter's bucket pointer changes under both locks, which is why a waiter
 * finds its current bucket through futex_waiter_lock.
 */
#include <ferrite/errno.h>
#include "futex_internal.h"

long futex_requeue(const struct futex_key *key1, const struct futex_key *key2, int nr_wake,
		   int nr_requeue, const uint32_t *cmpword, uint32_t cmpval)
{
	struct futex_bucket *b1 = futex_bucket_of(key1), *b2 = futex_bucket_of(key2);
	struct futex_waiter *w, *n;
	unsigned long flags;
	long count = 0;
	int woken = 0, moved = 0;
	LIST_HEAD(moving);

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	flags = futex_lock_pair(b1, b2);
	/* Under the locks, as for WAIT: a waiter queued before this read is
	 * seen below, one queued after it reads the same word itself. */
	if (cmpword && __atomic_load_n(cmpword, __ATOMIC_SEQ_CST) != cmpval) {
		futex_unlock_pair(b1, b2, flags);
		return -EAGAIN;
	}
	list_for_each_entry_safe(w, n, &b1->waiters, node) {
		if (!futex_key_equal(&w->key, key1))
			continue;
		if (woken < nr_wake) {
			futex_wake_waiter_locked(w);
			woken++;
		} else if (moved < nr_requeue) {
			/* Collect first: b1 may be b2, and appending to the
			 * list being walked would meet the waiter again. */
			list_del(&w->node);
			list_add_tail(&w->node, &moving);
			moved++;
		} else {
			break;
		}
	}
	list_for_each_entry_safe(w, n, &moving, node) {
		list_del(&w->node);
		/* The caller holds key1, so this put is never the last one. */
		futex_key_ref(key2);
		futex_key_put(&w->key);
		w->key = *key2;
		WRITE_ONCE(w->bucket, b2);
		list_add_tail(&w->node, &b2->waiters);
	}
	count = woken + moved;
	futex_unlock_pair(b1, b2, flags);
	return count;
}
