/*
 * Signal syscalls: sigaction/procmask/pending, kill family and sigqueue,
 * rt_sigreturn, sigaltstack, rt_sigsuspend, rt_sigtimedwait, pause.
 * Lock: as signal.c (sighand->lock for actions, p->lock for masks and
 * pending sets); the sigaltstack fields belong to the calling thread.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/user_return.h>
#include <hal/hal_signal.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include <uapi/time.h>
#include "signal_internal.h"

/* Under sh->lock: *old (when asked) gets signo's action, then ua (when
 * given) replaces it. */
static __always_inline void exchange_action(struct sighand *sh, int signo,
					    const struct user_sigaction *ua,
					    struct user_sigaction *old)
{
	struct k_sigaction *ka = &sh->action[(unsigned)signo - 1];

	guard(spinlock)(&sh->lock);
	if (old) {
		*old = (struct user_sigaction){
			.handler = ka->handler,
			.flags = ka->flags,
#if defined(__x86_64__)
			.restorer = ka->restorer,
#endif
			.mask = ka->mask.sig[0],
		};
	}
	if (ua) {
		ka->handler = ua->handler;
		ka->flags = ua->flags;
#if defined(__x86_64__)
		ka->restorer = ua->restorer;
#endif
		ka->mask.sig[0] = ua->mask & ~SIG_UNBLOCKABLE;
	}
}

/* POSIX: setting a signal to be ignored discards it when pending. Out of
 * line: handlers (addresses above SIG_DFL and SIG_IGN) never get here. */
static __attribute__((noinline)) void discard_if_ignored(int signo, uintptr_t handler)
{
	if (sig_ignored(handler, signo))
		signal_discard(current->proc, sig_bit(signo));
}

/* Every other combination: query, exchange, errors. Out of line, so the
 * common install keeps a short path. */
static __attribute__((noinline)) long sigaction_general(int signo,
						       const struct user_sigaction __user *act,
						       struct user_sigaction __user *oact,
						       size_t sigsetsize)
{
	struct process *p = current->proc;
	struct user_sigaction ua, old;

	if (sigsetsize != sizeof(sigset_t) || !sig_valid(signo))
		return -EINVAL;
	if (act) {
		if (signo == SIGKILL || signo == SIGSTOP)
			return -EINVAL;
		if (copy_from_user(&ua, act, sizeof(ua)))
			return -EFAULT;
	} else if (!oact) {
		return 0;
	}
	exchange_action(p->sighand, signo, act ? &ua : NULL, oact ? &old : NULL);
	if (act && sig_ignored(ua.handler, signo))
		signal_discard(p, sig_bit(signo));
	if (oact && copy_to_user(oact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* [uaddr, uaddr + n) lies in p's user half (p has an address space): the
 * checks of uaccess_small_range_ok, with the process already at hand. */
static __always_inline bool user_range_ok(const struct process *p, const void __user *uaddr,
					  size_t n)
{
	return p->mm && (uintptr_t)uaddr >= HAL_USER_MIN && (uintptr_t)uaddr <= hal_user_max - n;
}

/* *act into *ua, field by field with inline user loads (the fields stay in
 * registers). The range is checked. 0 or -EFAULT. */
static __always_inline int get_user_action(struct user_sigaction *ua,
					   const struct user_sigaction __user *act)
{
	int err = hal_user_get_word(&ua->handler, &act->handler, 0);

	err = hal_user_get_word(&ua->flags, &act->flags, err);
#if defined(__x86_64__)
	err = hal_user_get_word(&ua->restorer, &act->restorer, err);
#endif
	return hal_user_get_word(&ua->mask, &act->mask, err);
}

/* *ua to *oact the same way. 0 or -EFAULT. */
static __always_inline int put_user_action(struct user_sigaction __user *oact,
					   const struct user_sigaction *ua)
{
	int err = hal_user_put_word(&oact->handler, ua->handler, 0);

	err = hal_user_put_word(&oact->flags, ua->flags, err);
#if defined(__x86_64__)
	err = hal_user_put_word(&oact->restorer, ua->restorer, err);
#endif
	return hal_user_put_word(&oact->mask, ua->mask, err);
}

/*
 * The fast path: a new action for a catchable signal, with or without the
 * old one returned (sigaction(2); glibc's signal(3) asks for the old one).
 * Guards, each falling back to sigaction_general: a new action and the
 * right set size -> a catchable signal -> act, and oact when given, in the
 * user half (checked together before anything changes, so the copies need
 * no further checks; a bad oact gets the general path's Linux order:
 * install, then -EFAULT).
 */
long sys_rt_sigaction(int signo, const struct user_sigaction __user *act,
		      struct user_sigaction __user *oact, size_t sigsetsize)
{
	struct process *p = current->proc;
	struct user_sigaction ua, old;

	if (unlikely(!act) || unlikely(sigsetsize != sizeof(sigset_t)))
		return sigaction_general(signo, act, oact, sigsetsize);
	if (unlikely(!sig_valid(signo)) || unlikely(sig_bit(signo) & SIG_UNBLOCKABLE))
		return sigaction_general(signo, act, oact, sigsetsize);
	if (unlikely(!user_range_ok(p, act, sizeof(ua))) ||
	    (oact && unlikely(!user_range_ok(p, oact, sizeof(old)))))
		return sigaction_general(signo, act, oact, sigsetsize);
	if (get_user_action(&ua, act))
		return -EFAULT;
	if (!oact) {
		exchange_action(p->sighand, signo, &ua, NULL);
		if (ua.handler <= SIG_IGN)
			discard_if_ignored(signo, ua.handler);
		return 0;
	}
	exchange_action(p->sighand, signo, &ua, &old);
	if (ua.handler <= SIG_IGN)
		discard_if_ignored(signo, ua.handler);
	return put_user_action(oact, &old);
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
			signal_mask_changed(self);
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

/* --- kill family --- */

/* Linux's check_kill_permission: the sender's real or effective uid is
 * the target's real or saved one, or the sender has CAP_KILL (euid 0), or
 * it is SIGCONT within one session. Signal 0 is checked the same way. */
static bool may_signal(struct process *self, struct process *p, int signo)
{
	uid_t uid, euid, tuid, tsuid;

	if (p == self)
		return true;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->lock, 0 })) {
		uid = self->uid, euid = self->euid;
	}
	if (euid == 0)
		return true;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		tuid = p->uid, tsuid = p->suid;
	}
	if (euid == tuid || euid == tsuid || uid == tuid || uid == tsuid)
		return true;
	return signo == SIGCONT && READ_ONCE(p->sid) == READ_ONCE(self->sid);
}

struct kill_query {
	pid_t pgid; /* 0: every process */
	struct process *self;
	int signo;
	int found;
	int allowed;
};

static int kill_one(struct process *p, void *arg)
{
	struct kill_query *q = arg;

	if ((!q->pgid && p == q->self) || (p->pid == 1 && !q->pgid))
		return 0;
	if (q->pgid && p->pgid != q->pgid)
		return 0;
	q->found++;
	if (!may_signal(q->self, p, q->signo))
		return 0;
	q->allowed++;
	/* process_for_each holds a spinlock: no allocation (SI_KERNEL info). */
	send_signal_process(p, q->signo);
	return 0;
}

long sys_kill(pid_t pid, int signo)
{
	struct process *self = current->proc;
	struct kill_query q = { .signo = signo };

	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	if (pid > 0) {
		/* raise(3)-like kill(getpid()): the caller's process is alive
		 * while it runs, so no lookup and no reference. */
		struct process *p = pid == self->pid ? self : process_find(pid);
		long ret = 0;
		if (!p)
			return -ESRCH;
		if (may_signal(self, p, signo))
			send_signal_from_user(p, NULL, signo, SI_USER);
		else
			ret = -EPERM;
		if (p != self)
			process_put(p);
		return ret;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	q.self = self;
	if (pid != -1)
		q.pgid = pid == 0 ? self->pgid : -pid;
	process_for_each(kill_one, &q);
	if (!q.found)
		return -ESRCH;
	/* A group where nobody may be signalled is EPERM; kill(-1) is 0
	 * once it found anyone (Linux). */
	return q.allowed || pid == -1 ? 0 : -EPERM;
}

/* Send to thread tid (of tgid unless -1) with info si; NULL: tgkill's
 * (SI_TKILL from the caller). */
static long send_to_thread(pid_t tgid, pid_t tid, int signo, const struct user_siginfo *si)
{
	struct task *t;
	long ret;

	if (signo < 0 || signo > NSIG || tid <= 0 || (tgid <= 0 && tgid != -1))
		return -EINVAL;
	/* raise(3) signals the calling thread: it is alive, no lookup. */
	t = tid == current->tid ? current : task_find(tid);
	if (!t)
		return -ESRCH;
	if (tgid != -1 && t->proc->pid != tgid)
		ret = -ESRCH;
	else if (!may_signal(current->proc, t->proc, signo))
		ret = -EPERM;
	else if (!si)
		ret = send_signal_from_user(t->proc, t, signo, SI_TKILL);
	else
		ret = send_signal_info(t->proc, t, signo, si);
	if (t != current)
		task_put(t);
	return ret;
}

long sys_tgkill(pid_t tgid, pid_t tid, int signo)
{
	return send_to_thread(tgid, tid, signo, NULL);
}

long sys_tkill(pid_t tid, int signo)
{
	return sys_tgkill(-1, tid, signo);
}

/* Read a user siginfo for sigqueue; Linux refuses si_code >= 0 (kernel
 * codes) and SI_TKILL when the target is another process. */
static long read_queue_info(pid_t target, int signo, const struct user_siginfo __user *uinfo,
			    struct user_siginfo *si)
{
	if (copy_from_user(si, uinfo, sizeof(*si)))
		return -EFAULT;
	if ((si->si_code >= 0 || si->si_code == SI_TKILL) && target != current->proc->pid)
		return -EPERM;
	si->si_signo = signo;
	return 0;
}

long sys_rt_sigqueueinfo(pid_t pid, int signo, const struct user_siginfo __user *uinfo)
{
	struct user_siginfo si;
	struct process *p;
	long ret;

	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	ret = read_queue_info(pid, signo, uinfo, &si);
	if (ret)
		return ret;
	p = pid > 0 ? process_find(pid) : NULL;
	if (!p)
		return -ESRCH;
	ret = may_signal(current->proc, p, signo) ? send_signal_info(p, NULL, signo, &si) : -EPERM;
	process_put(p);
	return ret;
}

long sys_rt_tgsigqueueinfo(pid_t tgid, pid_t tid, int signo,
			   const struct user_siginfo __user *uinfo)
{
	struct user_siginfo si;
	long ret;

	if (signo < 0 || signo > NSIG || tgid <= 0)
		return -EINVAL;
	ret = read_queue_info(tgid, signo, uinfo, &si);
	if (ret)
		return ret;
	return send_to_thread(tgid, tid, signo, &si);
}

/* --- frames and stacks --- */

static void restore_altstack(struct task *self, const struct hal_sigstack *ss)
{
	/* As Linux's restore_altstack: an invalid uc_stack is ignored. */
	if (ss->ss_flags & SS_DISABLE) {
		self->sas_sp = 0;
		self->sas_size = 0;
		self->sas_flags = SS_DISABLE;
	} else if (ss->ss_size >= MINSIGSTKSZ) {
		self->sas_sp = ss->ss_sp;
		self->sas_size = ss->ss_size;
		self->sas_flags = ss->ss_flags & SS_AUTODISARM;
	}
}

long sys_rt_sigreturn(void)
{
	struct task *self = current;
	struct trap_frame *tf = self->tf;
	struct hal_sigstack ss;
	uint64_t mask;

	if (hal_signal_restore_frame(tf, &mask, &ss))
		process_kill_current(SIGSEGV);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->proc->lock, 0 })) {
		self->blocked.sig[0] = mask & ~SIG_UNBLOCKABLE;
		signal_mask_changed(self);
	}
	restore_altstack(self, &ss);
	/* dispatch stores this into the return register: keep the restored one. */
	return hal_syscall_get_return(tf);
}

long sys_sigaltstack(const struct user_stack_t __user *uss, struct user_stack_t __user *uoss)
{
	struct task *self = current;
	uintptr_t sp = hal_frame_sp(self->tf);
	bool on = self->sas_size && sp > self->sas_sp && sp - self->sas_sp <= self->sas_size;
	struct user_stack_t old = {
		.ss_sp = self->sas_sp,
		.ss_size = self->sas_size,
		.ss_flags = on ? SS_ONSTACK : (self->sas_size ? (int)(self->sas_flags & SS_AUTODISARM)
							       : SS_DISABLE),
	}, n;

	if (uss) {
		if (copy_from_user(&n, uss, sizeof(n)))
			return -EFAULT;
		if (on)
			return -EPERM;
		int mode = n.ss_flags & ~(int)SS_AUTODISARM;
		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			self->sas_sp = 0;
			self->sas_size = 0;
			self->sas_flags = SS_DISABLE;
		} else {
			if (n.ss_size < MINSIGSTKSZ)
				return -ENOMEM;
			self->sas_sp = n.ss_sp;
			self->sas_size = n.ss_size;
			self->sas_flags = n.ss_flags & SS_AUTODISARM;
		}
	}
	if (uoss && copy_to_user(uoss, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* --- waiting for signals --- */

long sys_rt_sigsuspend(const sigset_t __user *umask, size_t sigsetsize)
{
	struct task *self = current;
	sigset_t m;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&m, umask, sizeof(m)))
		return -EFAULT;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &self->proc->lock, 0 })) {
		self->saved_mask = self->blocked;
		self->restore_mask = true;
		self->blocked.sig[0] = m.sig[0] & ~SIG_UNBLOCKABLE;
		task_set_work(self); /* restore_mask */
	}
	while (!signal_pending_current())
		sched_sleep_ns(UINT64_MAX / 4);
	/* The handler frame saves saved_mask; the old mask returns with it. */
	return -ERESTARTNOHAND;
}

long sys_pause(void)
{
	while (!signal_pending_current())
		sched_sleep_ns(UINT64_MAX / 4);
	return -ERESTARTNOHAND;
}

long sys_rt_sigtimedwait(const sigset_t __user *uset, struct user_siginfo __user *uinfo,
			 const struct timespec __user *uts, size_t sigsetsize)
{
	struct task *self = current;
	struct process *p = self->proc;
	struct user_siginfo si;
	uint64_t deadline = UINT64_MAX / 4;
	struct timespec ts;
	sigset_t set;
	int signo;

	if (sigsetsize != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, uset, sizeof(set)))
		return -EFAULT;
	set.sig[0] &= ~SIG_UNBLOCKABLE;
	if (uts) {
		if (copy_from_user(&ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline = hal_time_ns() + (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
	/* Announce the set first: from here on post_signal wakes this thread
	 * for a process-directed signal of the set, blocked as it is (at
	 * -smp 2 a sigqueue from another CPU otherwise waited for the 10 ms
	 * slice below: the signal_pingpong row of docs/benchmarks.md). */
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		self->sigwait = set;
	for (;;) {
		signo = signal_dequeue(self, set.sig[0], &si);
		if (signo)
			break;
		/* Waited-for signals are blocked, so only others interrupt. */
		if (signal_pending_current()) {
			signo = -EINTR;
			break;
		}
		uint64_t now = hal_time_ns();
		if (now >= deadline) {
			signo = -EAGAIN;
			break;
		}
		/* The state before the look at the pending sets, as the sender
		 * stores the pending bit before it looks at the state
		 * (signal_wake_task), so a signal sent meanwhile is never
		 * missed. The slice is a second guard only. */
		set_current_state(TASK_INTERRUPTIBLE);
		if (!signal_pending_current() &&
		    !((READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0])) &
		      set.sig[0]))
			schedule_timeout(MIN(deadline, now + 10000000ULL));
		WRITE_ONCE(self->state, TASK_RUNNING);
	}
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		self->sigwait.sig[0] = 0;
	if (signo < 0)
		return signo;
	if (uinfo && copy_to_user(uinfo, &si, sizeof(si)))
		return -EFAULT;
	return signo;
}
