/*
 * Futex core: keys, the hash table of buckets, queueing and waking.
 *
 * Lock: each bucket's spinlock guards its waiter list and, for every
 * waiter on it, the waiter's node, key, bucket and woken fields.
 *
 * Ordering (why no wake-up is lost). A waiter
 *   1. takes the bucket lock, appends itself, sets TASK_INTERRUPTIBLE,
 *      drops the lock (a release), then issues a full fence, then
 *   2. reads the user word and sleeps only if it still holds val.
 * A waker (user space) first stores the new value to the word, then enters
 * the kernel and
 *   3. takes the bucket lock (an acquire) and wakes matching waiters.
 * If 3 takes the lock after 1 released it, the waker finds the waiter. If
 * 3 ran first, the waker's store preceded its lock, which preceded the
 * waiter's lock in 1, so 2 (after the fence) reads the new value and
 * returns -EAGAIN. A wake that lands between 1 and the sleep sets woken and
 * TASK_RUNNING, so schedule_timeout returns at once.
 *
 * A waiter's struct lives on its own stack: it may return only after
 * futex_unqueue or futex_waiter_lock saw it off every list, which needs the
 * bucket lock, so a waker holding that lock may touch it safely.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>
#include "futex_internal.h"

static struct futex_bucket buckets[FUTEX_BUCKETS];
static int buckets_state; /* atomic: 0 untouched, 1 initialising, 2 ready */

/* The table has no init call in kmain: the first user sets it up once. */
static void futex_buckets_init_once(void)
{
	int expect = 0;

	if (__atomic_load_n(&buckets_state, __ATOMIC_ACQUIRE) == 2)
		return;
	if (__atomic_compare_exchange_n(&buckets_state, &expect, 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < FUTEX_BUCKETS; i++) {
			spin_init(&buckets[i].lock, "futex_bucket");
			list_init(&buckets[i].waiters);
		}
		__atomic_store_n(&buckets_state, 2, __ATOMIC_RELEASE);
	}
	while (__atomic_load_n(&buckets_state, __ATOMIC_ACQUIRE) != 2)
		hal_cpu_relax();
}

struct futex_bucket *futex_bucket_of(const struct futex_key *key)
{
	uint64_t h = (uint64_t)key->base * 0x9e3779b97f4a7c15ULL;

	futex_buckets_init_once();
	h ^= (uint64_t)(key->offset >> 2) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return &buckets[h >> (64 - FUTEX_HASH_BITS)];
}

int futex_key_get(struct mm *mm, uintptr_t uaddr, bool shared, struct futex_key *key)
{
	struct vma vma;
	struct frame *f;

	if (!mm)
		return -EFAULT;
	/* Only a shared mapping's page is seen by another mm: anything else is
	 * keyed by address, whatever the op's flag says. */
	if (shared && mm_find_vma_copy(mm, uaddr, &vma) && (vma.flags & VM_SHARED)) {
		f = mm_get_user_frame(mm, uaddr, VM_READ);
		if (!f)
			return -EFAULT;
		*key = (struct futex_key){ (uintptr_t)f, uaddr & (PAGE_SIZE - 1), true };
		return 0;
	}
	if (shared && !mm_find_vma_copy(mm, uaddr, &vma))
		return -EFAULT;
	*key = (struct futex_key){ (uintptr_t)mm, uaddr, false };
	return 0;
}

void futex_key_ref(const struct futex_key *key)
{
	if (key->shared)
		frame_get((struct frame *)key->base);
}

void futex_key_put(struct futex_key *key)
{
	if (key->shared)
		frame_put((struct frame *)key->base);
	key->shared = false;
	key->base = 0;
}

unsigned long futex_lock_pair(struct futex_bucket *a, struct futex_bucket *b)
{
	unsigned long flags = hal_irq_save();

	if (a == b) {
		spin_lock(&a->lock);
	} else if (a < b) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
	return flags;
}

void futex_unlock_pair(struct futex_bucket *a, struct futex_bucket *b, unsigned long flags)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
	hal_irq_restore(flags);
}

void futex_queue(struct futex_waiter *w, const struct futex_key *key, uint32_t bitset)
{
	struct futex_bucket *b = futex_bucket_of(key);

	futex_key_ref(key);
	w->task = current;
	w->bitset = bitset;
	w->key = *key;
	w->woken = false;
	list_init(&w->node);
	guard_irqsave(&b->lock);
	w->bucket = b;
	list_add_tail(&w->node, &b->waiters);
	WRITE_ONCE(current->state, TASK_INTERRUPTIBLE);
}

struct futex_bucket *futex_waiter_lock(struct futex_waiter *w, unsigned long *flags)
{
	for (;;) {
		struct futex_bucket *b = READ_ONCE(w->bucket);

		*flags = spin_lock_irqsave(&b->lock);
		if (b == READ_ONCE(w->bucket))
			return b;
		spin_unlock_irqrestore(&b->lock, *flags); /* requeued meanwhile */
	}
}

bool futex_unqueue(struct futex_waiter *w)
{
	unsigned long flags;
	struct futex_bucket *b = futex_waiter_lock(w, &flags);
	bool woken = w->woken;
	struct futex_key key = w->key;

	if (!woken)
		list_del(&w->node);
	WRITE_ONCE(current->state, TASK_RUNNING);
	spin_unlock_irqrestore(&b->lock, flags);
	futex_key_put(&key); /* outside the lock: may free the frame */
	return woken;
}

void futex_wake_waiter_locked(struct futex_waiter *w)
{
	assert_locked(&w->bucket->lock);
	list_del(&w->node);
	w->woken = true;
	sched_wakeup(w->task);
}

int futex_wake_locked(struct futex_bucket *b, const struct futex_key *key, int nr,
		      uint32_t bitset)
{
	struct futex_waiter *w, *n;
	int woken = 0;

	assert_locked(&b->lock);
	list_for_each_entry_safe(w, n, &b->waiters, node) {
		if (!futex_key_equal(&w->key, key) || !(w->bitset & bitset))
			continue;
		futex_wake_waiter_locked(w);
		if (++woken >= nr)
			break;
	}
	return woken;
}
