/*
 * The portable per-CPU block, one per CPU, reached through hal_cpu_self()
 * (tp on riscv64, the GS base on x86_64). Fields marked "this CPU" are
 * touched only by their CPU (with interrupts off where an interrupt handler
 * also does); the others say their lock or their atomic protocol.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/spinlock.h>
#include <hal/hal_cpu.h>

struct task;
struct hal_pt;

#define MAX_CPUS 8

/* Run queue of one CPU: real-time tasks by priority, then round robin. */
struct runqueue {
	struct spinlock lock;
	struct list_head tasks; /* SCHED_OTHER/BATCH/IDLE, runnable, not running; Lock: lock */
	/* SCHED_FIFO/RR, highest priority first, FIFO within one; Lock: lock */
	struct list_head rt_tasks;
	unsigned nr_running;    /* both lists; Lock: lock (read without it as a hint) */
	unsigned rt_nr;         /* on rt_tasks; Lock: lock (a hint without it) */
};

/* Cross-CPU requests (cpu->ipi_pending bits, src/proc/smp.c). */
#define IPI_RESCHED 1u /* look at the run queue (a task was queued here) */
#define IPI_TLB 2u     /* flush the TLB, then acknowledge tlb_done */

struct cpu {
	unsigned id;
	struct task *current; /* running task on this CPU */
	struct task *idle;    /* this CPU's idle task */
	bool need_resched;    /* set by the tick or an IPI, checked on return to user */
	struct task *prev;    /* task switched away from; finished by the next */
	bool prev_migrates;   /* prev goes to another CPU's queue (affinity) */
	struct runqueue rq;
	uint64_t ticks;
	/* Ticks spent in user tasks, in kernel tasks or system calls, idle
	 * (/proc/stat). This CPU. */
	uint64_t user_ticks, sys_ticks, idle_ticks;
	/* Nanoseconds asleep in hal_cpu_idle (with the interrupt that ends
	 * each sleep), for /proc/ferrite/idle: the benchmarks subtract it,
	 * since QEMU's -icount sleep=off jumps the clock over idle time.
	 * This CPU. */
	uint64_t idle_ns;
	uint64_t last_tick_ns; /* time of this CPU's last tick. This CPU. */
	/* Priority of the running task: its rt_prio, -1 for the idle task.
	 * Written by this CPU at each switch, read by wakers (WRITE/READ_ONCE). */
	int curr_prio;
	/* Real-time throttling (sched.c): real-time run time within the
	 * current 1 s period; over 950 ms the normal tasks run first until the
	 * period ends. This CPU. */
	uint64_t rt_period_start_ns, rt_time_ns;
	bool rt_throttled;
	/* High-resolution timer (sched.c): the one-shot deadline armed on this
	 * CPU's timer, 0 when none. This CPU, interrupts off. */
	uint64_t hr_deadline_ns;
	bool online;                 /* set once by the CPU itself (release) */
	struct hal_pt *active_pt;    /* the user table this CPU runs (TLB shootdown) */
	unsigned ipi_pending;        /* atomic IPI_* bits */
	unsigned long tlb_req;       /* atomic: shootdown generation asked for */
	unsigned long tlb_done;      /* release: generation flushed */
};

extern struct cpu cpus[MAX_CPUS];
extern unsigned nr_cpus_online;          /* written during bring-up only */
extern unsigned long cpu_online_mask;    /* bit per online CPU, same */

static inline struct task *current_task(void) { return hal_cpu_self()->current; }
/* Field access for the scheduler: the macro below hides the name. */
static inline struct task *cpu_current(struct cpu *c) { return c->current; }
static inline void cpu_set_current(struct cpu *c, struct task *t) { WRITE_ONCE(c->current, t); }
/* Another CPU's running task: a snapshot (it may switch at once). */
static inline struct task *cpu_current_remote(struct cpu *c) { return READ_ONCE(c->current); }
#define current current_task()

/* src/proc/smp.c */
/* Start the other CPUs the HAL finds (boot CPU, after the scheduler). */
void smp_init(void);
/* Entered by a secondary CPU once its HAL state is set up (hal_cpu_set_self
 * done, traps on), on the stack the boot CPU gave it; becomes its idle task. */
void smp_secondary_main(struct cpu *c) __noreturn;
/* An IPI arrived on this CPU (the HAL's handler, interrupts off). */
void smp_ipi_interrupt(void);
/* Ask CPU c to look at its run queue (no-op for this CPU). */
void smp_send_resched(unsigned c);
/* Record that this CPU runs pt now (before the HAL activates it). */
void smp_set_active_pt(struct hal_pt *pt);
/* Flush every other CPU's TLB that runs pt, and wait until they did. */
void smp_tlb_shootdown(struct hal_pt *pt);
/* A full memory barrier on every other CPU running pt (NULL: every CPU),
 * done when this returns (membarrier(2)). */
void smp_membarrier(struct hal_pt *pt);
