/*
 * The return-to-user fast test: one inline read of every word that can give
 * trap_exit_to_user() work, with no calls and no branches, so the common
 * case (nothing to do) costs a dozen loads. When it says "maybe", the arch
 * code calls trap_exit_to_user(), which re-checks each condition precisely
 * (need_resched, must_exit, signal_work_pending).
 *
 * Invariant: user_return_work_pending() is true whenever trap_exit_to_user()
 * would do anything, i.e. it covers every condition of signal_work_pending()
 * in src/ipc/signal_deliver.c and of must_exit() in src/proc/usermode.c.
 * A new condition there must be added here too.
 *
 * Lock: none. Producers on other CPUs set these words under their locks and
 * then interrupt or wake this CPU; a stale read here is caught by the next
 * return to user, exactly as with the slow path's READ_ONCEs.
 */
#pragma once
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/task.h>

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
 * other frames the slow path finds nothing). Bitwise ORs on purpose: every
 * word is read, no branch is taken.
 */
static inline bool user_return_work_pending(struct cpu *cpu, long ret)
{
	const struct task *self = cpu_current(cpu);
	const struct process *p = self->proc;
	uint64_t pending = READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0]);
	uint64_t blocked = READ_ONCE(self->blocked.sig[0]) & ~SIG_UNBLOCKABLE;
	unsigned flags = READ_ONCE(cpu->need_resched) | READ_ONCE(self->kill_pending) |
			 READ_ONCE(self->restore_mask) | READ_ONCE(p->exiting) |
			 READ_ONCE(p->stopped) | READ_ONCE(p->cont_notify);

	return (flags | ((pending & ~blocked) != 0) | user_return_restart_code(ret)) != 0;
}
