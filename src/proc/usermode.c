/*
 * The last stop before user mode (trap_exit_to_user, called by the arch on
 * every return to user with interrupts disabled): reschedule when the tick
 * asked for it, leave when the process is being killed, act on signals.
 * Also the first return of a new task (task_return_to_user).
 */
#include <ferrite/signal.h>
#include <ferrite/user_return.h>
#include <hal/hal_context.h>
#include <hal/hal_signal.h>
#include <hal/hal_trap.h>
#include "proc_internal.h"

static bool must_exit(struct task *t)
{
	return READ_ONCE(t->kill_pending) || READ_ONCE(t->proc->exiting);
}

/*
 * The slow path: the work word said "maybe" (or a new task's first return).
 * Take the word first, then check each condition precisely; whatever is
 * left afterwards sets the word again for the next return. Signals are
 * acted on once per return (signal_deliver_current takes every deliverable
 * one), also after a reschedule: a thread preempted on every return would
 * otherwise never get its signals.
 */
static void exit_to_user_work(struct trap_frame *tf)
{
	struct task *self = current;
	bool signals_done = false;

	task_take_work(self);
	for (;;) {
		if (hal_cpu_self()->need_resched) {
			schedule();
			continue;
		}
		if (must_exit(self)) {
			hal_irq_enable();
			task_exit(READ_ONCE(self->proc->exit_status));
		}
		if (!signals_done && signal_work_pending(tf)) {
			signals_done = true;
			hal_irq_enable();
			signal_deliver_current(tf);
			hal_irq_disable();
			continue;
		}
		break;
	}
	task_work_recompute(self);
}

void trap_exit_to_user(struct trap_frame *tf)
{
	/* Fast path, the common case: no work word, no reschedule, no restart
	 * code (user_return.h). */
	if (likely(!user_return_work_pending(hal_cpu_self(), hal_syscall_get_return(tf))))
		return;
	exit_to_user_work(tf);
}

/* Entry of every new user task (fork/clone child, init). */
void task_return_to_user(void *unused)
{
	struct task *self;

	sched_finish_switch();
	self = current;
	hal_irq_disable();
	/* Signals posted to the process while the task was being created may
	 * have missed its work word: look at everything once. */
	exit_to_user_work(self->tf);
	hal_return_to_user(self->tf);
}
