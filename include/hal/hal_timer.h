/* HAL: time keeping and the periodic scheduler tick. */
#pragma once
#include <ferrite/types.h>

#define HAL_TIMER_HZ 100

/* Monotonic nanoseconds since boot. */
uint64_t hal_time_ns(void);
/* Nanoseconds of wall-clock time at boot (from the RTC), 0 when unknown. */
uint64_t hal_boot_realtime_ns(void);
/* Start the periodic tick at HAL_TIMER_HZ on this CPU. */
void hal_timer_start(void);

/* Portable: called by the arch from the timer interrupt (src/proc/sched.c). */
void timer_tick(void);
