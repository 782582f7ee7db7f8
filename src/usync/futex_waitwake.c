/*
 * FUTEX_WAIT / WAKE (and their BITSET forms) and FUTEX_WAKE_OP on resolved
 * keys. The ordering argument is at the top of futex_core.c.
 * Lock: bucket locks only (futex_lock_pair for the two of WAKE_OP).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/waitqueue.h>
#include "futex_internal.h"

long futex_wait(const struct futex_key *key, uintptr_t uaddr, uint32_t val,
		uint64_t deadline_ns, uint32_t bitset)
{
	struct futex_waiter w;
	unsigned long flags;
	uint32_t cur;
	long ret = 0;

	if (!bitset)
		return -EINVAL;
	futex_queue(&w, key, bitset);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (get_user(cur, (const uint32_t __user *)uaddr))
		ret = -EFAULT;
	else if (cur != val)
		ret = -EAGAIN;

	while (!ret) {
		if (READ_ONCE(w.woken))
			break;
		if (signal_pending_current()) {
			/* Without a deadline the call restarts as it was; with
			 * one, only when no handler ran (the deadline is kept
			 * for absolute timeouts, restarted for relative ones). */
			ret = deadline_ns ? -ERESTARTNOHAND : -ERESTARTSYS;
			break;
		}
		if (!schedule_timeout(deadline_ns) && deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		struct futex_bucket *b = futex_waiter_lock(&w, &flags);
		if (!w.woken)
			WRITE_ONCE(current->state, TASK_INTERRUPTIBLE);
		spin_unlock_irqrestore(&b->lock, flags);
	}
	if (futex_unqueue(&w))
		ret = 0; /* a wake that raced with the timeout or signal counts */
	return ret;
}

int futex_wake_key(const struct futex_key *key, int nr, uint32_t bitset)
{
	struct futex_bucket *b = futex_bucket_of(key);

	if (!bitset)
		return -EINVAL;
	guard_irqsave(&b->lock);
	return futex_wake_locked(b, key, nr, bitset);
}

int futex_wake(struct mm *mm, uintptr_t uaddr, int nr, uint32_t bitset)
{
	struct futex_key key;
	int ret;

	if (uaddr & 3)
		return -EINVAL;
	ret = futex_key_get(mm, uaddr, true, &key);
	if (ret)
		return ret;
	ret = futex_wake_key(&key, nr, bitset);
	futex_key_put(&key);
	return ret;
}

/*
 * The op on uaddr2's word and both wakes happen under both bucket locks, so
 * a waiter on key2 that read the word before the op is already queued and
 * one that reads it after sees the op's result.
 */
long futex_wake_op(const struct futex_key *key1, const struct futex_key *key2, uint32_t *word,
		   int nr_wake, int nr_wake2, uint32_t encoded_op)
{
	struct futex_bucket *b1 = futex_bucket_of(key1), *b2 = futex_bucket_of(key2);
	unsigned long flags;
	long woken;
	int cond;

	if (futex_op_valid(encoded_op))
		return -ENOSYS;
	flags = futex_lock_pair(b1, b2);
	cond = futex_op_apply(encoded_op, word);
	woken = futex_wake_locked(b1, key1, nr_wake, FUTEX_BITSET_MATCH_ANY);
	if (cond)
		woken += futex_wake_locked(b2, key2, nr_wake2, FUTEX_BITSET_MATCH_ANY);
	futex_unlock_pair(b1, b2, flags);
	return woken;
}
