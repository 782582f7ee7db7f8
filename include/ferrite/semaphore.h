/*
 * Counting semaphore (src/usync/semaphore.c).
 *
 * count units are available; down takes one (sleeping while there are
 * none), up gives one back and wakes one sleeper. No owner: any task may up.
 * Use it to bound a resource (N slots) or as a completion (init 0, the
 * producer ups, the consumer downs). For mutual exclusion prefer a mutex.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>
#include <ferrite/waitqueue.h>

struct semaphore {
	long count;            /* Lock: wait.lock; never negative */
	struct waitqueue wait; /* sleepers, all exclusive */
};

#define SEMAPHORE_INIT(name, n) { (n), WAITQUEUE_INIT((name).wait) }

void sema_init(struct semaphore *s, long count);
/* Take a unit, sleeping uninterruptibly until one is available. */
void down(struct semaphore *s);
/* Same; -EINTR (nothing taken) when a signal is pending. */
int __must_check down_interruptible(struct semaphore *s);
/* Take a unit if one is available: 0, or -EAGAIN (never sleeps). */
int __must_check down_trylock(struct semaphore *s);
/* Sleep uninterruptibly until a unit is available or monotonic time passes
 * deadline_ns (absolute, hal_time_ns(); 0 = no deadline): 0 or -ETIMEDOUT. */
int __must_check down_timeout(struct semaphore *s, uint64_t deadline_ns);
/* Give a unit back and wake one sleeper. Any task, no sleeping. */
void up(struct semaphore *s);
/* Tests and debugging (racy snapshot). */
long sema_count(struct semaphore *s);
unsigned sema_nr_waiters(struct semaphore *s);

DEFINE_GUARD(semaphore, struct semaphore *, down(_T), up(_T))
