/* The portable per-CPU block. Reached through hal_cpu_self(). */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/spinlock.h>
#include <hal/hal_cpu.h>

struct task;

#define MAX_CPUS 8

/* Round-robin run queue of one CPU. */
struct runqueue {
	struct spinlock lock;
	struct list_head tasks; /* runnable, not running; Lock: lock */
	unsigned nr_running;    /* Lock: lock */
};

struct cpu {
	unsigned id;
	struct task *current; /* running task on this CPU */
	struct task *idle;    /* this CPU's idle task */
	bool need_resched;    /* set by the tick, checked on return to user */
	struct task *prev;    /* task switched away from; finished by the next */
	struct runqueue rq;
	uint64_t ticks;
};

extern struct cpu cpus[MAX_CPUS];

static inline struct task *current_task(void) { return hal_cpu_self()->current; }
/* Field access for the scheduler: the macro below hides the name. */
static inline struct task *cpu_current(struct cpu *c) { return c->current; }
static inline void cpu_set_current(struct cpu *c, struct task *t) { c->current = t; }
#define current current_task()
