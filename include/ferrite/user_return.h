/*
 * The return-to-user work word and its fast test. Every task has a word,
 * task->work, that is non-zero whenever trap_exit_to_user() may have
 * something to do for it besides rescheduling (as Linux's TIF flags): a
 * deliverable signal, a mask to restore, a group stop or continue, a kill
 * or an exit. The fast test reads that word, this CPU's need_resched and
 * the syscall return value (a restart code needs resolving): two loads, no
 * calls, no branches.
 *
 * Producers: whoever makes one of those conditions true for a task sets its
 * word with task_set_work() *after* the condition's own store (a signal
 * posted to it or to its process, a mask change that unblocks a pending
 * signal, sigsuspend's restore_mask, p->stopped / p->cont_notify,
 * kill_pending, p->exiting). The task clears the word with
 * task_take_work() *before* it looks at the conditions (the slow path of
 * trap_exit_to_user), and sets it again when, after the slow path, work is
 * left (task_work_recompute). Both are sequentially consistent atomics, so
 * either the producer's set comes after the clear and stays, or the task
 * sees the producer's condition: no work is lost. New tasks take the slow
 * path once on their first return (task_return_to_user).
 *
 * Lock: none (atomics). Producers on other CPUs set the word and then
 * interrupt or wake the task's CPU; a stale read here is caught by the next
 * return to user.
 */
#pragma once
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/task.h>

/* task->work bits. One today: "look at the signal and exit state". */
#define TASK_WORK_SIGNAL 1UL

/* Tell t its next return to user must look at its signal/exit state. Call
 * after the store that made the work. */
static inline void task_set_work(struct task *t)
{
	__atomic_fetch_or(&t->work, TASK_WORK_SIGNAL, __ATOMIC_SEQ_CST);
}

/* The current task takes its work word (clears it) before it examines the
 * conditions. Return the bits it had. */
static inline unsigned long task_take_work(struct task *self)
{
	return __atomic_exchange_n(&self->work, 0, __ATOMIC_SEQ_CST);
}

/*
 * Is work left for self (the precise conditions the word stands for)?
 * Every condition of signal_work_pending() in src/ipc/signal_deliver.c and
 * of must_exit() in src/proc/usermode.c except the restart code, which the
 * fast test reads from the frame. A new condition there must be added here
 * and get its producers to call task_set_work().
 */
static inline bool task_work_left(const struct task *self)
{
	const struct process *p = self->proc;
	uint64_t pending = READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0]);
	uint64_t blocked = READ_ONCE(self->blocked.sig[0]) & ~SIG_UNBLOCKABLE;
	unsigned flags = READ_ONCE(self->kill_pending) | READ_ONCE(self->restore_mask) |
			 READ_ONCE(p->exiting) | READ_ONCE(p->stopped) | READ_ONCE(p->cont_notify);

	return (flags | ((pending & ~blocked) != 0)) != 0;
}

/* After the slow path: keep the word set while work is left (a signal that
 * came in meanwhile, a second deliverable one). */
static inline void task_work_recompute(struct task *self)
{
	if (task_work_left(self))
		task_set_work(self);
}

/* -ERESTARTSYS (-512) .. -ERESTARTNOHAND (-514): one unsigned compare. The
 * one code in between (-513) is not used and only costs a slow-path check. */
static inline bool user_return_restart_code(long ret)
{
	return (unsigned long)(ret + ERESTARTNOHAND) <= ERESTARTNOHAND - ERESTARTSYS;
}

/*
 * May trap_exit_to_user() have work for the task running on cpu (this CPU,
 * interrupts off)? ret is the value in the frame's syscall-return register
 * (a restart code there needs resolving when the frame is a syscall's; for
 * other frames the slow path finds nothing).
 */
static inline bool user_return_work_pending(struct cpu *cpu, long ret)
{
	const struct task *self = cpu_current(cpu);

	if (__atomic_load_n(&self->work, __ATOMIC_RELAXED) | READ_ONCE(cpu->need_resched))
		return true;
	return user_return_restart_code(ret);
}
