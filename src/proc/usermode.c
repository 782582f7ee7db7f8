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

void trap_exit_to_user(struct trap_frame *tf)
{
	struct cpu *cpu = hal_cpu_self();
	struct task *self = cpu_current(cpu);

	/* Fast path, the common case: none of the words that can make work
	 * is set (user_return.h). Anything else takes the loop below, which
	 * checks each condition precisely, from its start. */
	if (likely(!user_return_work_pending(cpu, hal_syscall_get_return(tf))))
		return;
	for (int round = 0;; round++) {
		if (hal_cpu_self()->need_resched) {
			schedule();
			continue;
		}
		if (must_exit(self)) {
			hal_irq_enable();
			task_exit(READ_ONCE(self->proc->exit_status));
		}
		if (round == 0 && signal_work_pending(tf)) {
			hal_irq_enable();
			signal_deliver_current(tf);
			hal_irq_disable();
			continue;
		}
		break;
	}
}

/* Entry of every new user task (fork/clone child, init). */
void task_return_to_user(void *unused)
{
	struct task *self;

	sched_finish_switch();
	self = current;
	hal_irq_disable();
	trap_exit_to_user(self->tf);
	hal_return_to_user(self->tf);
}
