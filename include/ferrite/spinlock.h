/*
 * Spinlocks. spin_lock_irqsave disables interrupts on this CPU for the time
 * the lock is held, so a lock shared with an interrupt handler cannot
 * deadlock. Held spinlocks never sleep.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>
#include <hal/hal_cpu.h>
#include <ferrite/printk.h>

struct spinlock {
	int locked;     /* atomic: 0 free, 1 held */
	int owner_cpu;  /* -1 when free; for assert_locked and debugging */
	const char *name;
};

#define SPINLOCK_INIT(n) { 0, -1, n }

static inline void spin_init(struct spinlock *l, const char *name)
{
	l->locked = 0;
	l->owner_cpu = -1;
	l->name = name;
}

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			hal_cpu_relax();
	l->owner_cpu = (int)hal_cpu_id();
}

static inline bool spin_trylock(struct spinlock *l)
{
	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		return false;
	l->owner_cpu = (int)hal_cpu_id();
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	l->owner_cpu = -1;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

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

static inline bool spin_is_locked_here(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) && l->owner_cpu == (int)hal_cpu_id();
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
