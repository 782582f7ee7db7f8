/* HAL: time keeping and the periodic scheduler tick. */
#pragma once
#include <ferrite/types.h>

#define HAL_TIMER_HZ 100

/* Monotonic nanoseconds since boot. */
uint64_t hal_time_ns(void);
/* Nanoseconds of wall-clock time at boot (from the RTC, or as last set by
 * clock_settime), 0 when unknown: CLOCK_REALTIME - CLOCK_MONOTONIC. */
uint64_t hal_boot_realtime_ns(void);
/* Set it (clock_settime; callers serialise). */
void hal_set_boot_realtime_ns(uint64_t ns);
/* Start the periodic tick at HAL_TIMER_HZ on this CPU. */
void hal_timer_start(void);

/*
 * Program this CPU's timer to interrupt at the earlier of its next tick and
 * deadline_ns (monotonic; 0: the tick only), one-shot. Interrupts off.
 */
void hal_timer_program(uint64_t deadline_ns);

/* Portable (src/proc/sched.c), called by the arch from the timer
 * interrupt: timer_tick() when the periodic tick is due, then always
 * timer_hr_interrupt(), which runs what expired and reprograms the timer
 * (hal_timer_program). */
void timer_tick(void);
void timer_hr_interrupt(void);
