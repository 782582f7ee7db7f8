/*
 * Kernel timers (src/proc/ktimer.c): call a function once monotonic time
 * reaches a deadline. The tick (HAL_TIMER_HZ) runs expired timers, so a
 * timer fires at most one tick late.
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
/* The tick: run every expired timer. */
void ktimer_tick(uint64_t now);
