/* The scheduler: one run queue per CPU, round robin, preemption on the tick. */
#pragma once
#include <ferrite/types.h>

struct task;

/* Task states (task->state). */
enum task_state {
	TASK_RUNNING = 0,
	TASK_INTERRUPTIBLE = 1,
	TASK_UNINTERRUPTIBLE = 2,
	TASK_STOPPED = 4,
	TASK_DEAD = 8, /* exited, waiting to be reaped */
	TASK_WAKEKILL = 16, /* a fatal signal (SIGKILL, exit_group, exec) wakes it */
	/* Deaf to signals, but not to a kill: Linux's TASK_KILLABLE. Every
	 * sleep that waits on user space (another process) uses this or
	 * TASK_INTERRUPTIBLE, so nothing a program does makes a task that
	 * SIGKILL cannot end. */
	TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE,
};

void sched_init(void);
struct cpu;
/* Make the running context of CPU c its idle task (secondary CPUs). */
void sched_init_cpu(struct cpu *c, struct task *idle);
/* Set t's allowed CPUs (sched_setaffinity; mask checked by the caller). */
void sched_set_affinity(struct task *t, unsigned long mask);
/* Give up the CPU. The caller sets current->state first to sleep. */
void schedule(void);
/* sched_yield(2): schedule(), a real-time caller going behind the tasks of
 * its own priority. */
void sched_yield(void);
/* Set t's SCHED_* policy, real-time priority (0 for the normal policies)
 * and SCHED_RESET_ON_FORK (already validated and permitted). */
void sched_set_policy(struct task *t, int policy, int rt_prio, bool reset_on_fork);
/* Make a sleeping task runnable (no-op when it already is). */
void sched_wakeup(struct task *t);
/* Put a new task on a run queue. */
void sched_add(struct task *t);
/* Sleep for ns nanoseconds of monotonic time; -EINTR on a signal. */
int sched_sleep_ns(uint64_t ns);
/* Sleep in the current state until woken or deadline (monotonic ns, 0 =
 * none) passes. Return the remaining ns (0 when timed out). */
uint64_t schedule_timeout(uint64_t deadline_ns);
/* The kernel itself is not preempted: a loop that may run long inside a
 * system call (sendfile's copy) calls this between steps, and gives the
 * CPU away when the tick asked for it. */
void cond_resched(void);
/* Enter the idle loop of this CPU for good (boot CPU after init). */
void sched_run_idle(void) __noreturn;
/* Wake t only when it sleeps in TASK_INTERRUPTIBLE (signals). */
void sched_wakeup_interruptible(struct task *t);
/* Wake t when it sleeps interruptibly, killably or stopped: it must die
 * (fatal signal, exit_group, exec of another thread). */
void sched_wakeup_kill(struct task *t);
/* Wake t only when it sleeps in TASK_STOPPED (SIGCONT, SIGKILL). */
void sched_wakeup_stopped(struct task *t);
/* Direct hand-off (ports' call/reply): wake t if it sleeps (a late
 * wake-up: t's condition was changed under the caller's lock, and t's
 * sleep loop tolerates a spurious one) and, when t is on this CPU, run it
 * now; the caller sleeps if it set a sleeping state first, else it goes to
 * the back of the queue. When t is elsewhere, a sleeping caller just
 * schedules and a running one returns at once. */
void sched_yield_to(struct task *t);
