/*
 * Kernel timers: one list of armed timers, scanned by the tick. Few
 * timers are armed at once (timerfds), so a list is enough; a timer wheel
 * or a heap can replace it without changing the interface.
 *
 * Lock: ktimer_lock (irqsave: the tick takes it) guards the list and every
 * armed timer's node and expiry. Expired timers run under it (see
 * include/ferrite/ktimer.h); order: ktimer_lock -> whatever the timer
 * functions take (wait queue locks, then the run queue).
 */
#include <ferrite/ktimer.h>
#include <ferrite/spinlock.h>

static struct spinlock ktimer_lock = SPINLOCK_INIT("ktimer");
static LIST_HEAD(armed); /* Lock: ktimer_lock */

void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t, uint64_t now))
{
	list_init(&t->node);
	t->expires_ns = 0;
	t->fn = fn;
}

void ktimer_arm_locked(struct ktimer *t, uint64_t expires_ns)
{
	assert_locked(&ktimer_lock);
	t->expires_ns = expires_ns;
	if (list_empty(&t->node))
		list_add_tail(&t->node, &armed);
}

void ktimer_arm(struct ktimer *t, uint64_t expires_ns)
{
	unsigned long flags = spin_lock_irqsave(&ktimer_lock);

	ktimer_arm_locked(t, expires_ns);
	spin_unlock(&ktimer_lock);
	/* A one-shot interrupt on this CPU (sched.c); a re-arm from t->fn
	 * is covered by the interrupt's own next deadline. */
	hrtimer_arm_irqoff(expires_ns);
	hal_irq_restore(flags);
}

bool ktimer_cancel(struct ktimer *t)
{
	guard_irqsave(&ktimer_lock);
	bool was = !list_empty(&t->node);
	if (was)
		list_del(&t->node);
	return was;
}

uint64_t ktimer_tick(uint64_t now)
{
	struct ktimer *t, *n;
	uint64_t next = 0;
	LIST_HEAD(due);

	guard_irqsave(&ktimer_lock);
	list_for_each_entry_safe(t, n, &armed, node)
		if (t->expires_ns <= now)
			list_move_tail(&t->node, &due);
	/* Each leaves the due list before its function runs, which may arm
	 * it again on the armed list. */
	while (!list_empty(&due)) {
		t = list_first_entry(&due, struct ktimer, node);
		list_del(&t->node);
		t->fn(t, now);
	}
	list_for_each_entry(t, &armed, node)
		if (!next || t->expires_ns < next)
			next = t->expires_ns;
	return next;
}
