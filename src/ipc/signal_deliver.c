/*
 * Signal delivery on the way back to user mode (trap_exit_to_user):
 * group stops, default actions, handler frames (through hal_signal.h),
 * and the fate of an interrupted syscall's -ERESTARTSYS/-ERESTARTNOHAND,
 * which stays raw in the trap frame until this file decides:
 *   handler runs:  ERESTARTSYS -> restart if SA_RESTART else -EINTR;
 *                  ERESTARTNOHAND -> -EINTR;
 *   no handler:    both restart (the signal was ignored, or a stop ended).
 * Lock: p->lock for pending sets, masks and stop state (signal.c rules);
 * sighand->lock for SA_RESETHAND. Runs on the current task only.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>
#include <ferrite/uaccess.h>
#include <hal/hal_signal.h>
#include <hal/hal_trap.h>
#include "signal_internal.h"

static bool restart_code(long r)
{
	return r == -ERESTARTSYS || r == -ERESTARTNOHAND;
}

bool signal_pending_current(void)
{
	struct task *self = current;
	struct process *p = self->proc;
	uint64_t mask;

	if (self->is_kthread)
		return false;
	if (READ_ONCE(p->exiting) || READ_ONCE(self->kill_pending) || READ_ONCE(p->stopped))
		return true;
	mask = signal_deliverable_mask(self);
	/* Signals that would be thrown away do not interrupt a sleep. */
	for (int signo = 1; mask && signo <= NSIG; signo++, mask >>= 1)
		if ((mask & 1) && !sig_ignored(sig_handler_of(p, signo), signo))
			return true;
	return false;
}

bool fatal_signal_pending(void)
{
	struct task *self = current;

	if (self->is_kthread)
		return false;
	/* Orders the sleeper's state store before these loads (the killer
	 * stores first, then looks at the state: sched_wakeup_kill). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return READ_ONCE(self->proc->exiting) || READ_ONCE(self->kill_pending);
}

bool signal_work_pending(struct trap_frame *tf)
{
	struct task *self = current;

	if (READ_ONCE(self->proc->stopped) || READ_ONCE(self->proc->cont_notify) ||
	    self->restore_mask || signal_deliverable_mask(self))
		return true;
	return hal_frame_in_syscall(tf) && restart_code(hal_syscall_get_return(tf));
}

/* Sleep in TASK_STOPPED while p's group stop lasts. */
static void group_stop_wait(struct task *self)
{
	struct process *p = self->proc;

	for (;;) {
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
			if (!p->stopped || p->exiting || self->kill_pending) {
				WRITE_ONCE(self->state, TASK_RUNNING);
				return;
			}
			WRITE_ONCE(self->state, TASK_STOPPED);
		}
		schedule();
	}
}

/* A stop signal with the default action: stop every thread of p. */
static void group_stop_begin(struct task *self, int signo)
{
	struct process *p = self->proc;
	struct task *t;
	bool report = false;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		if (p->exiting || p->stopped)
			break;
		p->stopped = true;
		p->stop_signo = signo;
		p->wait_report = CLD_STOPPED;
		report = true;
		signal_set_work_locked(p); /* every thread stops */
		list_for_each_entry(t, &p->threads, thread_node)
			if (t != self)
				signal_wake_task(t);
	}
	if (report)
		signal_notify_parent(p, SIGCHLD, CLD_STOPPED, signo);
}

static bool on_altstack(struct task *self, uintptr_t sp)
{
	return self->sas_size && sp > self->sas_sp && sp - self->sas_sp <= self->sas_size;
}

/* Run the handler of ka for signo: build the frame, then update the mask.
 * Return 0, or -EFAULT when the frame could not be built. */
static int handle_signal(struct task *self, struct trap_frame *tf, int signo,
			 const struct k_sigaction *ka, const struct user_siginfo *info)
{
	struct process *p = self->proc;
	bool on_alt = self->sas_size && on_altstack(self, hal_frame_sp(tf));
	struct hal_sigframe_args a;

	/* Field by field: an initialiser of this size becomes a memset call. */
	a.signo = signo;
	a.siginfo = info;
	a.handler = ka->handler;
	a.restorer = ka->restorer;
	a.trampoline = p->mm ? p->mm->stack_top : 0;
	a.sa_flags = ka->flags;
	a.ss_sp = self->sas_sp;
	a.ss_size = self->sas_size;
	a.ss_flags = self->sas_size ? (on_alt ? SS_ONSTACK : 0) : SS_DISABLE;
	a.altstack_top = 0;
	if (hal_frame_in_syscall(tf)) {
		long r = hal_syscall_get_return(tf);
		if (r == -ERESTARTNOHAND || (r == -ERESTARTSYS && !(ka->flags & SA_RESTART)))
			hal_syscall_set_return(tf, -EINTR);
		else if (r == -ERESTARTSYS)
			hal_syscall_restart(tf);
		hal_frame_clear_syscall(tf);
	}
	if (self->sas_flags & SS_AUTODISARM)
		a.ss_flags |= SS_AUTODISARM;
	a.saved_mask = self->restore_mask ? self->saved_mask.sig[0] : self->blocked.sig[0];
	if ((ka->flags & SA_ONSTACK) && self->sas_size && !on_alt)
		a.altstack_top = self->sas_sp + self->sas_size;

	if (hal_signal_setup_frame(tf, &a))
		return -EFAULT;
	if (a.altstack_top && (self->sas_flags & SS_AUTODISARM)) {
		self->sas_sp = 0;
		self->sas_size = 0;
		self->sas_flags = SS_DISABLE;
	}
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		if (self->restore_mask) {
			self->blocked = self->saved_mask;
			self->restore_mask = false;
		}
		self->blocked.sig[0] |= ka->mask.sig[0];
		if (!(ka->flags & SA_NODEFER))
			self->blocked.sig[0] |= sig_bit(signo);
		self->blocked.sig[0] &= ~SIG_UNBLOCKABLE;
	}
	return 0;
}

/* A handler runs for signo. Its siginfo is entry's (freed here) or, when
 * none was queued, SI_KERNEL's. */
static void run_handler(struct task *self, struct trap_frame *tf, int signo,
			const struct k_sigaction *ka, struct sigqueue *entry)
{
	struct user_siginfo kernel_info;
	int err;

	if (entry) {
		err = handle_signal(self, tf, signo, ka, &entry->info);
		sigqueue_free(entry);
	} else {
		sig_kernel_info(&kernel_info, signo);
		err = handle_signal(self, tf, signo, ka, &kernel_info);
	}
	if (err) {
		/* No room for the frame (a blown stack): die of SIGSEGV. */
		pr_info("pid %d (%s): cannot build a frame for signal %d: SIGSEGV\n", self->tid,
			self->proc->comm, signo);
		process_kill_current(SIGSEGV);
	}
}

void signal_deliver_current(struct trap_frame *tf)
{
	struct task *self = current;
	struct process *p = self->proc;

	for (;;) {
		struct sigqueue *entry;
		struct k_sigaction ka;
		int signo;

		if (READ_ONCE(p->stopped))
			group_stop_wait(self);
		if (READ_ONCE(p->cont_notify)) {
			bool notify;
			scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
				notify = p->cont_notify;
				p->cont_notify = false;
			}
			if (notify)
				signal_notify_parent(p, SIGCHLD, CLD_CONTINUED, SIGCONT);
		}
		if (READ_ONCE(p->exiting) || READ_ONCE(self->kill_pending))
			return; /* trap_exit_to_user leaves */
		signo = signal_dequeue_entry(self, ~(self->blocked.sig[0] & ~SIG_UNBLOCKABLE), &entry);
		if (!signo)
			break;
		if (sig_take_action(p, signo, &ka)) {
			run_handler(self, tf, signo, &ka, entry);
			continue;
		}
		if (entry) /* no handler: the siginfo is not needed */
			sigqueue_free(entry);
		if (ka.handler == SIG_IGN)
			continue;
		/* Init takes no default action (it was blocked when sent). */
		if (unlikely(p == init_process()))
			continue;
		switch (sig_default_action(signo)) {
		case SIGDFL_IGNORE:
			continue;
		case SIGDFL_STOP:
			group_stop_begin(self, signo);
			continue;
		default:
			process_kill_current(signo);
		}
	}
	/* No handler ran for the interrupted syscall: run it again. */
	if (hal_frame_in_syscall(tf)) {
		if (restart_code(hal_syscall_get_return(tf)))
			hal_syscall_restart(tf);
		hal_frame_clear_syscall(tf);
	}
	if (self->restore_mask) {
		guard_irqsave(&p->lock);
		self->blocked = self->saved_mask;
		self->restore_mask = false;
	}
}

void trap_user_signal(struct trap_frame *tf, int signo, int code, uintptr_t addr)
{
	struct task *self = current;
	struct process *p = self->proc;
	struct k_sigaction ka = sig_action_of(p, signo);
	struct user_siginfo si;
	bool blocked;

	(void)tf;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		blocked = self->blocked.sig[0] & sig_bit(signo);
	/* A fault that cannot reach a handler (blocked, ignored, default, or a
	 * second fault of the same kind inside its handler) kills, as Linux's
	 * force_sig does. */
	if (blocked || ka.handler == SIG_IGN || ka.handler == SIG_DFL) {
		pr_info("pid %d (%s): signal %d (code %d) at pc %lx, address %lx\n", self->tid,
			p->comm, signo, code, (unsigned long)hal_frame_pc(tf), (unsigned long)addr);
		process_kill_current(signo);
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = signo;
	si.si_code = code;
	si.fault.addr = addr;
	if (send_signal_info(p, self, signo, &si))
		process_kill_current(signo);
}

int signal_exec_map_trampoline(struct mm *mm)
{
	const void *code;
	size_t n = hal_signal_trampoline(&code);
	long r;

	if (!n)
		return 0;
	r = mm_mmap(mm, mm->stack_top, PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (r < 0)
		return (int)r;
	if (mm_copy_out(mm, mm->stack_top, code, n))
		return -EFAULT;
	return mm_mprotect(mm, mm->stack_top, PAGE_SIZE, PROT_READ | PROT_EXEC);
}
