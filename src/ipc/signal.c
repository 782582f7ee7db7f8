/*
 * Signals, minimal: handler tables, masks, pending sets, kill/tkill/tgkill,
 * and default actions taken on the way back to user mode.
 *
 * Lock: sighand->lock guards action[]; p->lock guards p->shared_pending and
 * the pending/blocked sets of p's threads. Order: proc_tree_lock ->
 * p->lock -> sighand->lock -> rq lock.
 *
 * Not yet (a later issue): user handlers (signal frames, rt_sigreturn,
 * SA_* flags beyond storage), sigaltstack, rt_sigtimedwait/sigsuspend,
 * queued siginfo for real-time signals, stop/continue, SIGCHLD. A signal
 * with a user handler stays pending and does not interrupt sleeps; a
 * signal whose default action terminates kills the whole process at once.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_trap.h>

enum sig_default { SIGDFL_TERM, SIGDFL_IGNORE, SIGDFL_STOP };

static enum sig_default sig_default_action(int signo)
{
	switch (signo) {
	case SIGCHLD:
	case SIGCONT:
	case SIGURG:
	case SIGWINCH:
		return SIGDFL_IGNORE;
	case SIGSTOP:
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
		return SIGDFL_STOP;
	default:
		return SIGDFL_TERM; /* core-dumping ones too: no core files */
	}
}

/* --- handler tables --- */

struct sighand *sighand_create(void)
{
	struct sighand *sh = kzalloc(sizeof(*sh));
	if (!sh)
		return NULL;
	ref_init(&sh->ref);
	spin_init(&sh->lock, "sighand");
	return sh;
}

struct sighand *sighand_copy(struct sighand *sh)
{
	struct sighand *n = sighand_create();
	if (!n)
		return NULL;
	guard_irqsave(&sh->lock);
	memcpy(n->action, sh->action, sizeof(n->action));
	return n;
}

void sighand_get(struct sighand *sh)
{
	ref_get(&sh->ref);
}

static void sighand_release(struct ref *r)
{
	kfree(container_of(r, struct sighand, ref));
}

void sighand_put(struct sighand *sh)
{
	ref_put(&sh->ref, sighand_release);
}

int sighand_exec_reset(struct process *p)
{
	struct sighand *sh = p->sighand;

	if (!sh)
		return 0;
	if (ref_read(&sh->ref) > 1) {
		struct sighand *n = sighand_copy(sh);
		if (!n)
			return -ENOMEM;
		p->sighand = n;
		sighand_put(sh);
		sh = n;
	}
	guard_irqsave(&sh->lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &sh->action[i];
		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask.sig[0] = 0;
	}
	return 0;
}

static uintptr_t handler_of(struct process *p, int signo)
{
	struct sighand *sh = p->sighand;
	if (!sh)
		return SIG_DFL;
	guard_irqsave(&sh->lock);
	return sh->action[signo - 1].handler;
}

static bool sig_ignored(uintptr_t handler, int signo)
{
	if (signo == SIGKILL || signo == SIGSTOP)
		return false;
	return handler == SIG_IGN ||
	       (handler == SIG_DFL && sig_default_action(signo) != SIGDFL_TERM);
}

static bool sig_fatal(uintptr_t handler, int signo)
{
	return signo == SIGKILL || (handler == SIG_DFL && sig_default_action(signo) == SIGDFL_TERM);
}

/* --- sending --- */

void signal_wake_task(struct task *t)
{
	sched_wakeup_interruptible(t);
}

/* Post signo to p (t == NULL: process-directed). Caller holds nothing. */
static int post_signal(struct process *p, struct task *t, int signo)
{
	uintptr_t handler;
	struct task *it;
	bool fatal;

	if (signo == 0)
		return 0;
	if (p == &kernel_process || READ_ONCE(p->zombie))
		return 0;
	handler = handler_of(p, signo);
	fatal = sig_fatal(handler, signo);

	guard_irqsave(&p->lock);
	if (t) {
		if (sig_ignored(handler, signo) && !(t->blocked.sig[0] & sig_bit(signo)))
			return 0;
		t->pending.sig[0] |= sig_bit(signo);
		fatal = fatal && !(t->blocked.sig[0] & sig_bit(signo) & ~SIG_UNBLOCKABLE);
	} else {
		bool all_block = !list_empty(&p->threads);
		list_for_each_entry(it, &p->threads, thread_node)
			if (!(it->blocked.sig[0] & sig_bit(signo)))
				all_block = false;
		if (sig_ignored(handler, signo) && !all_block)
			return 0;
		p->shared_pending.sig[0] |= sig_bit(signo);
		fatal = fatal && (!all_block || signo == SIGKILL);
	}
	/* A fatal signal ends the whole process now, like Linux's group exit. */
	if (fatal && !p->exiting) {
		p->exiting = true;
		p->exit_status = signo;
	}
	list_for_each_entry(it, &p->threads, thread_node)
		if (fatal || it == t || (!t && !(it->blocked.sig[0] & sig_bit(signo))))
			signal_wake_task(it);
	return 0;
}

int send_signal_process(struct process *p, int signo)
{
	return post_signal(p, NULL, signo);
}

int send_signal_task(struct task *t, int signo)
{
	return post_signal(t->proc, t, signo);
}

/* --- receiving --- */

/* Unblocked pending signals of the current thread. */
static uint64_t deliverable_mask(struct task *self)
{
	struct process *p = self->proc;
	return (READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0])) &
	       ~(READ_ONCE(self->blocked.sig[0]) & ~SIG_UNBLOCKABLE);
}

bool signal_pending_current(void)
{
	struct task *self = current;
	struct process *p = self->proc;
	uint64_t mask;

	if (self->is_kthread)
		return false;
	if (READ_ONCE(p->exiting) || READ_ONCE(self->kill_pending))
		return true;
	mask = deliverable_mask(self);
	/* Only signals whose action can run now interrupt a sleep. */
	for (int signo = 1; mask && signo <= NSIG; signo++, mask >>= 1)
		if ((mask & 1) && sig_fatal(handler_of(p, signo), signo))
			return true;
	return false;
}

void signal_deliver_current(struct trap_frame *tf)
{
	struct task *self = current;
	struct process *p = self->proc;
	uint64_t mask = deliverable_mask(self);

	(void)tf;
	for (int signo = 1; mask && signo <= NSIG; signo++) {
		uint64_t bit = sig_bit(signo);
		uintptr_t handler;

		if (!(mask & bit))
			continue;
		mask &= ~bit;
		handler = handler_of(p, signo);
		if (!sig_fatal(handler, signo) && !sig_ignored(handler, signo))
			continue; /* user handler: needs signal frames (later) */
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
			self->pending.sig[0] &= ~bit;
			p->shared_pending.sig[0] &= ~bit;
		}
		if (sig_fatal(handler, signo))
			process_kill_current(signo);
	}
}

long signal_fixup_syscall_return(long ret)
{
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND)
		return -EINTR;
	return ret;
}

void trap_user_signal(struct trap_frame *tf, int signo, int code, uintptr_t addr)
{
	struct task *self = current;

	pr_info("pid %d (%s): signal %d (code %d) at pc %lx, address %lx\n", self->tid,
		self->proc->comm, signo, code, (unsigned long)hal_frame_pc(tf), (unsigned long)addr);
	/* No handler frames yet: a synchronous fault is always fatal. */
	process_kill_current(signo);
}

/* --- syscalls --- */

long sys_rt_sigaction(int signo, const struct user_sigaction __user *act,
		      struct user_sigaction __user *oact, size_t sigsetsize)
{
	struct process *p = current->proc;
	struct sighand *sh = p->sighand;
	struct user_sigaction ua, old;
	struct k_sigaction *ka;
	struct task *t;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (!sig_valid(signo) || (act && (signo == SIGKILL || signo == SIGSTOP)))
		return -EINVAL;
	if (act && copy_from_user(&ua, act, sizeof(ua)))
		return -EFAULT;
	memset(&old, 0, sizeof(old));
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &sh->lock, 0 })) {
		ka = &sh->action[signo - 1];
		old.handler = ka->handler;
		old.flags = ka->flags;
#if defined(__x86_64__)
		old.restorer = ka->restorer;
#endif
		old.mask = ka->mask.sig[0];
		if (act) {
			ka->handler = ua.handler;
			ka->flags = ua.flags;
#if defined(__x86_64__)
			ka->restorer = ua.restorer;
#endif
			ka->mask.sig[0] = ua.mask & ~SIG_UNBLOCKABLE;
		}
	}
	/* POSIX: setting a signal to be ignored discards it when pending. */
	if (act && sig_ignored(ua.handler, signo)) {
		guard_irqsave(&p->lock);
		p->shared_pending.sig[0] &= ~sig_bit(signo);
		list_for_each_entry(t, &p->threads, thread_node)
			t->pending.sig[0] &= ~sig_bit(signo);
	}
	if (oact && copy_to_user(oact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(int how, const sigset_t __user *set, sigset_t __user *oset,
			size_t sigsetsize)
{
	struct task *self = current;
	sigset_t new, old;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (set && copy_from_user(&new, set, sizeof(new)))
		return -EFAULT;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->proc->lock, 0 })) {
		old = self->blocked;
		if (set) {
			switch (how) {
			case SIG_BLOCK:
				self->blocked.sig[0] |= new.sig[0];
				break;
			case SIG_UNBLOCK:
				self->blocked.sig[0] &= ~new.sig[0];
				break;
			case SIG_SETMASK:
				self->blocked.sig[0] = new.sig[0];
				break;
			default:
				return -EINVAL;
			}
			self->blocked.sig[0] &= ~SIG_UNBLOCKABLE;
		}
	}
	if (oset && copy_to_user(oset, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(sigset_t __user *set, size_t sigsetsize)
{
	struct task *self = current;
	sigset_t s;

	if (sigsetsize > sizeof(sigset_t))
		return -EINVAL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->proc->lock, 0 }))
		s.sig[0] = (self->pending.sig[0] | self->proc->shared_pending.sig[0]) &
			   self->blocked.sig[0];
	return copy_to_user(set, &s, sigsetsize) ? -EFAULT : 0;
}

struct kill_query {
	pid_t pgid; /* 0: every process */
	struct process *except;
	int signo;
	int found;
};

static int kill_one(struct process *p, void *arg)
{
	struct kill_query *q = arg;

	if (p == q->except || (p->pid == 1 && !q->pgid))
		return 0;
	if (q->pgid && p->pgid != q->pgid)
		return 0;
	q->found++;
	post_signal(p, NULL, q->signo);
	return 0;
}

long sys_kill(pid_t pid, int signo)
{
	struct process *self = current->proc;
	struct kill_query q = { .signo = signo };

	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	if (pid > 0) {
		struct process *p = process_find(pid);
		if (!p)
			return -ESRCH;
		post_signal(p, NULL, signo);
		process_put(p);
		return 0;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid == -1)
		q.except = self;
	else
		q.pgid = pid == 0 ? self->pgid : -pid;
	process_for_each(kill_one, &q);
	return q.found ? 0 : -ESRCH;
}

long sys_tgkill(pid_t tgid, pid_t tid, int signo)
{
	struct task *t;

	if (signo < 0 || signo > NSIG || tid <= 0 || (tgid <= 0 && tgid != -1))
		return -EINVAL;
	t = task_find(tid);
	if (!t)
		return -ESRCH;
	if (tgid != -1 && t->proc->pid != tgid) {
		task_put(t);
		return -ESRCH;
	}
	post_signal(t->proc, t, signo);
	task_put(t);
	return 0;
}

long sys_tkill(pid_t tid, int signo)
{
	return sys_tgkill(-1, tid, signo);
}
