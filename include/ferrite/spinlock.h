/*
 * Spinlocks. Two implementations of one interface, chosen at build time:
 *
 * SPINLOCK_TICKET 1: ticket locks, fair under contention (CPUs get the
 * lock in the order they asked for it). Fine on real CPUs, but under QEMU
 * with more virtual CPUs than host cores a waiter whose turn has come may
 * not be running, and every CPU behind it waits for the host to schedule
 * it: pthread_barrier at -smp 4 on riscv64 took over 120 s (3.8 s with the
 * lock below), pthread_cond over 120 s (3.1 s). docs/smp.md.
 *
 * SPINLOCK_TICKET 0 (the default): test-and-test-and-set, the running
 * waiter that sees the lock free takes it. Not fair; robust when virtual
 * CPUs are preempted. The same two words, so nothing else changes. On
 * the contention benchmark (page faults, fork+exit at -smp 4 under
 * -icount) the two measured the same within 1 % (docs/smp.md).
 *
 * spin_lock_irqsave disables interrupts on this
 * CPU for the time the lock is held, so a lock shared with an interrupt
 * handler cannot deadlock. Held spinlocks never sleep.
 *
 * A waiter spins with interrupts possibly off; while it spins it answers
 * this CPU's cross-CPU requests (TLB shootdowns, smp_poll_requests in
 * src/proc/smp.c), so a CPU that holds a lock and waits for every CPU
 * running an address space to flush its TLB never waits on a CPU that
 * spins on that lock.
 * Debug builds (FERRITE_DEBUG, meson -Ddebug_checks=true) also record the
 * owner CPU and tell the lock-order validator (src/lib/lockdep.c,
 * docs/locking.md) about every acquisition and release; release builds
 * keep only the lock word, the ticket and the name.
 *
 * Memory order: taking the lock is an acquire (ticket: the load that sees
 * `serving` reach the ticket; else the exchange), releasing it a release
 * store (only the holder writes).
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>
#include <hal/hal_cpu.h>
#include <ferrite/printk.h>

struct spinlock {
	uint32_t next;    /* atomic: the next ticket (test-and-set: the lock word) */
	uint32_t serving; /* the ticket that holds the lock; written by the holder */
	const char *name; /* also the lock's class for the validator */
#ifdef FERRITE_DEBUG
	int owner_cpu;    /* -1 when free; for assert_locked and debugging */
	unsigned ld_class; /* validator class + 1, 0 until first taken */
#endif
};

#ifdef FERRITE_DEBUG
#define SPINLOCK_INIT(n) { 0, 0, n, -1, 0 }
/* The validator (src/lib/lockdep.c): called before spinning (trylock:
 * after success) and before the release. */
void lockdep_acquire(struct spinlock *l, bool trylock);
void lockdep_release(struct spinlock *l);
#define spin_debug_init(l) ((l)->owner_cpu = -1, (l)->ld_class = 0)
#define spin_debug_acquire(l, try) lockdep_acquire(l, try)
#define spin_debug_owner(l) ((l)->owner_cpu = (int)hal_cpu_id())
#define spin_debug_release(l) (lockdep_release(l), (l)->owner_cpu = -1)
#else
#define SPINLOCK_INIT(n) { 0, 0, n }
#define spin_debug_init(l) ((void)0)
#define spin_debug_acquire(l, try) ((void)0)
#define spin_debug_owner(l) ((void)0)
#define spin_debug_release(l) ((void)0)
#endif

#ifndef SPINLOCK_TICKET
#define SPINLOCK_TICKET 0
#endif

#if defined(FERRITE_HOST)
static inline void smp_poll_requests(void) {}
#else
/* Answer this CPU's pending cross-CPU requests (src/proc/smp.c). */
void smp_poll_requests(void);
#endif

static inline void spin_init(struct spinlock *l, const char *name)
{
	l->next = 0;
	l->serving = 0;
	l->name = name;
	spin_debug_init(l);
}

#if SPINLOCK_TICKET
static inline void spin_lock(struct spinlock *l)
{
	spin_debug_acquire(l, false);
	uint32_t ticket = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != ticket) {
		smp_poll_requests();
		hal_cpu_relax();
	}
	spin_debug_owner(l);
}

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t serving = __atomic_load_n(&l->serving, __ATOMIC_RELAXED);
	uint32_t expect = serving;

	/* Free when no ticket is out past the one being served. */
	if (!__atomic_compare_exchange_n(&l->next, &expect, serving + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	spin_debug_acquire(l, true);
	spin_debug_owner(l);
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	spin_debug_release(l);
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->serving, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->next, __ATOMIC_RELAXED);
}
#else
/* next is the lock word: 0 free, 1 held (serving stays 0). */
static inline bool spin_trylock_raw(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->next, 1, __ATOMIC_ACQUIRE);
}

static inline bool spin_trylock(struct spinlock *l)
{
	if (!spin_trylock_raw(l))
		return false;
	spin_debug_acquire(l, true);
	spin_debug_owner(l);
	return true;
}

static inline void spin_lock(struct spinlock *l)
{
	spin_debug_acquire(l, false);
	while (!spin_trylock_raw(l)) {
		while (__atomic_load_n(&l->next, __ATOMIC_RELAXED)) {
			smp_poll_requests();
			hal_cpu_relax();
		}
	}
	spin_debug_owner(l);
}

static inline void spin_unlock(struct spinlock *l)
{
	spin_debug_release(l);
	__atomic_store_n(&l->next, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(const struct spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) != 0;
}
#endif

static inline unsigned long spin_lock_irqsave(struct spinlock *l)
{
	unsigned long flags = hal_irq_save();
	spin_lock(l);
	return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, unsigned long flags)
{
	spin_unlock(l);
	hal_irq_restore(flags);
}

/* Release builds do not record the owner: only "held by some CPU". */
static inline bool spin_is_locked_here(const struct spinlock *l)
{
#ifdef FERRITE_DEBUG
	return spin_is_locked(l) && READ_ONCE(l->owner_cpu) == (int)hal_cpu_id();
#else
	return spin_is_locked(l);
#endif
}
#define assert_locked(l) BUG_ON(!spin_is_locked_here(l))

DEFINE_GUARD(spinlock, struct spinlock *, spin_lock(_T), spin_unlock(_T))

struct spinlock_irqsave_state {
	struct spinlock *lock;
	unsigned long flags;
};
DEFINE_GUARD(spinlock_irqsave, struct spinlock_irqsave_state,
	     _T.flags = spin_lock_irqsave(_T.lock), spin_unlock_irqrestore(_T.lock, _T.flags))
/* guard_irqsave(&lock); — lock with interrupts off until the end of scope. */
#define guard_irqsave(l) guard(spinlock_irqsave)((struct spinlock_irqsave_state){ (l), 0 })
