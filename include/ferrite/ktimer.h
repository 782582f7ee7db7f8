/*
 * Kernel timers (src/proc/ktimer.c): call a function once monotonic time
 * reaches a deadline. Arming one arms a one-shot interrupt of this CPU's
 * timer (hrtimer_arm_irqoff, src/proc/sched.c), so a timer fires at its
 * time; the tick (HAL_TIMER_HZ) runs expired timers too.
 *
 * The function runs from the timer interrupt with ktimer_lock held and
 * interrupts off: it may take only irq-safe spinlocks and wake wait
 * queues, and may re-arm its own timer (ktimer_arm_locked). Because the
 * lock is held, ktimer_cancel() returning means the function is not
 * running and will not run.
 */
#pragma once
#include <ferrite/list.h>
#include <ferrite/types.h>

struct ktimer {
	struct list_head node; /* on the armed list; Lock: ktimer_lock */
	uint64_t expires_ns;   /* monotonic; Lock: ktimer_lock */
	void (*fn)(struct ktimer *t, uint64_t now);
};

#define KTIMER_INIT(name, func) { LIST_HEAD_INIT((name).node), 0, (func) }

void ktimer_init(struct ktimer *t, void (*fn)(struct ktimer *t, uint64_t now));
/* (Re)arm t for expires_ns (monotonic). */
void ktimer_arm(struct ktimer *t, uint64_t expires_ns);
/* Disarm t; true when it was armed. */
bool ktimer_cancel(struct ktimer *t);
/* From t->fn only (ktimer_lock is held): arm again. */
void ktimer_arm_locked(struct ktimer *t, uint64_t expires_ns);
/* The tick or a one-shot interrupt: run every expired timer. Return the
 * earliest expiry still armed, 0 when none. */
uint64_t ktimer_tick(uint64_t now);
/* Make this CPU's timer interrupt at deadline_ns (monotonic) when that is
 * earlier than what it is armed for (interrupts off; src/proc/sched.c). */
void hrtimer_arm_irqoff(uint64_t deadline_ns);
