/*
 * Sleeping reader-writer lock (src/usync/rwlock.c).
 *
 * Many readers or one writer. Writer-preferring: once a writer waits, new
 * readers wait behind it, so a steady stream of readers cannot starve
 * writers. Process context only; may sleep. Not recursive: a reader that
 * takes the read lock again while a writer waits deadlocks.
 *
 *   guard(rwlock_read)(&l);  guard(rwlock_write)(&l);
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>

struct task;

struct rwlock {
	struct spinlock lock;
	unsigned readers;         /* holding the read lock; Lock: lock */
	unsigned writers_waiting; /* sleeping in rwlock_write_lock; Lock: lock */
	struct task *writer;      /* holder of the write lock or NULL; Lock: lock */
	struct waitqueue readq;   /* sleeping readers (woken all at once) */
	struct waitqueue writeq;  /* sleeping writers (woken one at a time) */
};

#define RWLOCK_INIT(name)                                                   \
	{ SPINLOCK_INIT(#name), 0, 0, NULL, WAITQUEUE_INIT((name).readq),  \
	  WAITQUEUE_INIT((name).writeq) }

void rwlock_init(struct rwlock *l);
void rwlock_read_lock(struct rwlock *l);
bool __must_check rwlock_read_trylock(struct rwlock *l);
void rwlock_read_unlock(struct rwlock *l);
void rwlock_write_lock(struct rwlock *l);
bool __must_check rwlock_write_trylock(struct rwlock *l);
/* BUG_ON when current does not hold the write lock. */
void rwlock_write_unlock(struct rwlock *l);
bool rwlock_write_owned_by_current(struct rwlock *l);
/* Tests and debugging: current readers / waiting writers (snapshot). */
unsigned rwlock_nr_readers(struct rwlock *l);
unsigned rwlock_nr_writers_waiting(struct rwlock *l);

DEFINE_GUARD(rwlock_read, struct rwlock *, rwlock_read_lock(_T), rwlock_read_unlock(_T))
DEFINE_GUARD(rwlock_write, struct rwlock *, rwlock_write_lock(_T), rwlock_write_unlock(_T))
