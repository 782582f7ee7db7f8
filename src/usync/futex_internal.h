/*
 * Futex internals shared by src/usync/futex_*.c (and test/test_futex.c).
 *
 * A futex key names the 32-bit word a waiter sleeps on:
 *   private: (mm, user address)  - FUTEX_PRIVATE_FLAG, or any futex in a
 *            private mapping (its page is not shared with another mm);
 *   shared:  (frame, offset in page) - a futex in a MAP_SHARED mapping or
 *            a System V shm segment, so every mapper finds the same key.
 * A shared key holds a reference on its frame (futex_key_ref/put), so the
 * frame cannot be reused for another page while anyone still uses the key.
 *
 * Waiters live in a hash table of buckets; each bucket has a spinlock that
 * guards its list, and every waiter's node, key, bucket and woken fields.
 * Lock order: bucket locks in address order (futex_lock_pair); a bucket
 * lock is innermost except for sched_wakeup and frame reference counts.
 */
#pragma once
#include <ferrite/futex.h>
#include <ferrite/list.h>
#include <ferrite/spinlock.h>

struct frame;
struct mm;
struct task;

struct futex_key {
	uintptr_t base;   /* struct mm * (private) or struct frame * (shared) */
	uintptr_t offset; /* user address (private) or byte offset in the page */
	bool shared;
};

struct futex_bucket {
	struct spinlock lock;
	struct list_head waiters; /* Lock: lock; FIFO of struct futex_waiter */
};

struct futex_waiter {
	struct task *task;
	uint32_t bitset;
	struct futex_key key;           /* Lock: bucket->lock (requeue moves it) */
	struct futex_bucket *bucket;    /* Lock: bucket->lock; read with READ_ONCE */
	bool woken;                     /* Lock: bucket->lock */
	struct list_head node;          /* Lock: bucket->lock */
};

/* Linux futex(2) ABI (identical on riscv64 and x86_64). */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

/* FUTEX_WAKE_OP's val3: op:4 cmp:4 oparg:12 cmparg:12 (signed). */
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8 /* oparg is a shift count: use 1 << oparg */
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5

#define FUTEX_HASH_BITS 8
#define FUTEX_BUCKETS (1u << FUTEX_HASH_BITS)

/* --- futex_core.c: keys, buckets, queueing --- */

/* Resolve uaddr (4-byte aligned, checked by the caller) in mm. shared:
 * the op lacks FUTEX_PRIVATE_FLAG. Return 0 (key filled, holding a frame
 * reference when key->shared) or -EFAULT. */
int futex_key_get(struct mm *mm, uintptr_t uaddr, bool shared, struct futex_key *key);
void futex_key_ref(const struct futex_key *key);
void futex_key_put(struct futex_key *key);
static inline bool futex_key_equal(const struct futex_key *a, const struct futex_key *b)
{
	return a->base == b->base && a->offset == b->offset && a->shared == b->shared;
}
struct futex_bucket *futex_bucket_of(const struct futex_key *key);

/* Lock two buckets (maybe the same one) in address order, interrupts off;
 * return the saved interrupt state for futex_unlock_pair. */
unsigned long futex_lock_pair(struct futex_bucket *a, struct futex_bucket *b);
void futex_unlock_pair(struct futex_bucket *a, struct futex_bucket *b, unsigned long flags);

/* Initialise w for current on key (borrowed: the waiter takes its own key
 * reference) and append it to its bucket's FIFO. */
void futex_queue(struct futex_waiter *w, const struct futex_key *key, uint32_t bitset);
/* Take w off its queue if no waker did. Return true when w was woken
 * (and so already off the queue). Drops the waiter's key reference. */
bool futex_unqueue(struct futex_waiter *w);
/* Lock the bucket w is queued on now (requeue may move it); interrupts
 * off. Return the bucket; *flags receives the interrupt state. */
struct futex_bucket *futex_waiter_lock(struct futex_waiter *w, unsigned long *flags);
/* With w's bucket locked: unlink w, mark it woken and make it runnable. */
void futex_wake_waiter_locked(struct futex_waiter *w);
/* With b locked: wake waiters on key whose bitset intersects bitset, at
 * least one and at most max(nr, 1), as Linux does. Return the number. */
int futex_wake_locked(struct futex_bucket *b, const struct futex_key *key, int nr,
		      uint32_t bitset);

/* --- futex_atomic.c: atomic operations on a user word --- */

/* Atomically compare-and-exchange the u32 at uaddr in mm (through the
 * kernel's direct map of its frame; breaks copy-on-write first). *cur
 * receives the value found. 0 or -EFAULT. May sleep: no spinlocks held. */
int futex_cmpxchg_user(struct mm *mm, uintptr_t uaddr, uint32_t old, uint32_t new,
		       uint32_t *cur);
/* Pin the word at uaddr for writing: return a new frame reference (or
 * NULL) and set *word to its kernel address. */
struct frame *futex_pin_word(struct mm *mm, uintptr_t uaddr, unsigned access, uint32_t **word);
/* FUTEX_WAKE_OP: check the encoding (-ENOSYS for an unknown op or cmp). */
int futex_op_valid(uint32_t encoded_op);
/* Apply encoded_op to *word atomically and return its comparison result
 * (0 or 1) against the old value. */
int futex_op_apply(uint32_t encoded_op, uint32_t *word);

/* --- futex_waitwake.c / futex_requeue.c: the operations --- */

/* Sleep on key while *uaddr == val. deadline_ns: monotonic, 0 = none.
 * Return 0 (woken), -EAGAIN, -EFAULT, -ETIMEDOUT, -ERESTARTSYS (no
 * deadline) or -ERESTARTNOHAND (with a deadline) on a signal. */
long futex_wait(const struct futex_key *key, uintptr_t uaddr, uint32_t val,
		uint64_t deadline_ns, uint32_t bitset);
int futex_wake_key(const struct futex_key *key, int nr, uint32_t bitset);
/* FUTEX_WAKE_OP on resolved keys; word: pinned kernel address of uaddr2. */
long futex_wake_op(const struct futex_key *key1, const struct futex_key *key2, uint32_t *word,
		   int nr_wake, int nr_wake2, uint32_t encoded_op);
/* Wake nr_wake waiters of key1 and move up to nr_requeue others to key2.
 * cmpword: when non-NULL (CMP_REQUEUE), the pinned word of key1 that must
 * still equal cmpval (else -EAGAIN). Return woken + requeued. */
long futex_requeue(const struct futex_key *key1, const struct futex_key *key2, int nr_wake,
		   int nr_requeue, const uint32_t *cmpword, uint32_t cmpval);
