/*
 * Condition variable paired with a mutex (src/usync/condvar.c).
 *
 * The caller holds the mutex, tests its predicate, and calls condvar_wait
 * while it is false; condvar_wait releases the mutex and sleeps as one step
 * (no signal sent after the release can be missed) and holds the mutex
 * again when it returns. Wake-ups may be spurious: always wait in a loop
 *
 *   guard(mutex)(&m);
 *   while (!ready)
 *           condvar_wait(&cv, &m);
 *
 * Change the predicate with the mutex held; signal or broadcast after
 * that, with or without the mutex.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/waitqueue.h>

struct mutex;

struct condvar {
	struct waitqueue wait; /* sleepers, all exclusive, oldest first */
};

#define CONDVAR_INIT(name) { WAITQUEUE_INIT((name).wait) }

void condvar_init(struct condvar *cv);
/* m must be held by current; it is held again on return. */
void condvar_wait(struct condvar *cv, struct mutex *m);
/* Also -EINTR when a signal is pending and no wake-up came (m held again). */
int __must_check condvar_wait_interruptible(struct condvar *cv, struct mutex *m);
/* Also -ETIMEDOUT once monotonic time passes deadline_ns (absolute,
 * 0 = none) with no wake-up; interruptible (-EINTR). m held again. */
int __must_check condvar_wait_timeout(struct condvar *cv, struct mutex *m, uint64_t deadline_ns);
/* Wake the oldest waiter / every waiter. Never sleeps. */
void condvar_signal(struct condvar *cv);
void condvar_broadcast(struct condvar *cv);
/* Tests and debugging: sleepers queued on cv. */
unsigned condvar_nr_waiters(struct condvar *cv);
