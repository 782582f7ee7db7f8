/*
 * Sleeping mutex with an owner (src/usync/mutex.c).
 *
 * For long critical sections in process context that may sleep (copying
 * from user memory, allocating, waiting for I/O). Never take one from an
 * interrupt handler or with a spinlock held. Not recursive: locking a mutex
 * you own, or unlocking one you do not own, is a bug caught by BUG_ON.
 *
 * Fairness: unlock hands the mutex straight to the longest waiter (FIFO),
 * so a stream of new lockers cannot starve a sleeper.
 *
 *   guard(mutex)(&m);      held to the end of the scope
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>
#include <ferrite/waitqueue.h>

struct task;

struct mutex {
	struct task *owner;    /* NULL when free; bit 0: sleepers may wait; atomic,
				  changed under wait.lock except the lock-free
				  NULL <-> current fast paths (src/usync/mutex.c) */
	struct waitqueue wait; /* sleepers, all exclusive, oldest first */
#ifdef FERRITE_DEBUG
	const void *ld_key; /* validator class: mutex_init's caller (NULL: static) */
	unsigned ld_class;  /* validator class + 1, 0 until first taken */
#endif
};

#ifdef FERRITE_DEBUG
#define MUTEX_INIT(name) { NULL, WAITQUEUE_INIT((name).wait), NULL, 0 }
#else
#define MUTEX_INIT(name) { NULL, WAITQUEUE_INIT((name).wait) }
#endif
#define DEFINE_MUTEX(name) struct mutex name = MUTEX_INIT(name)

void mutex_init(struct mutex *m);
/* Sleep (uninterruptibly) until the mutex is ours. */
void mutex_lock(struct mutex *m);
/* Same, but return -EINTR (mutex not held) when a signal is pending. */
int __must_check mutex_lock_interruptible(struct mutex *m);
/* Take the mutex if it is free; never sleeps. False also when we own it. */
bool __must_check mutex_trylock(struct mutex *m);
/* Release; BUG_ON when current does not own m. Wakes the oldest waiter. */
void mutex_unlock(struct mutex *m);
bool mutex_is_locked(const struct mutex *m);
bool mutex_owned_by_current(const struct mutex *m);
/* Tests and debugging: sleepers queued on m. */
unsigned mutex_nr_waiters(struct mutex *m);
#define assert_mutex_held(m) BUG_ON(!mutex_owned_by_current(m))

DEFINE_GUARD(mutex, struct mutex *, mutex_lock(_T), mutex_unlock(_T))
