/* The portable per-CPU block. Reached through hal_cpu_self(). */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_cpu.h>

struct task;

#define MAX_CPUS 8

struct cpu {
	unsigned id;
	struct task *current; /* running task on this CPU */
	struct task *idle;    /* this CPU's idle task */
	bool need_resched;    /* set by the tick, checked on return to user */
};

extern struct cpu cpus[MAX_CPUS];

static inline struct task *current_task(void) { return hal_cpu_self()->current; }
#define current current_task()
