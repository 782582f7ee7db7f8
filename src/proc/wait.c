/*
 * wait4 and waitid: find a zombie child that matches, report it, reap it.
 * Lock: proc_tree_lock while scanning the children and unlinking the one
 * reaped, so two threads never reap the same child. Sleeps on the caller's
 * p->child_wait, woken by an exiting child (exit.c).
 * Stopped/continued children (WUNTRACED/WCONTINUED, WSTOPPED): the child's
 * p->wait_report (under its p->lock, set by src/ipc/signal*.c) is reported
 * once, and the child is not reaped.
 * Children a parent does not wait for (SIGCHLD ignored, SA_NOCLDWAIT) are
 * reaped by exit.c and never show up here; with only those left, wait
 * sleeps until the last is gone and then fails with -ECHILD.
 */
#include <ferrite/errno.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <uapi/resource.h>
#include "proc_internal.h"

#define WNOHANG 0x00000001
#define WUNTRACED 0x00000002
#define WEXITED 0x00000004
#define WCONTINUED 0x00000008
#define WNOWAIT 0x01000000
#define __WNOTHREAD 0x20000000
#define __WALL 0x40000000
#define __WCLONE 0x80000000

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define P_PIDFD 3

struct wait_query {
	int idtype; /* P_ALL, P_PID, P_PGID */
	pid_t id;
	bool nowait;
	int options;           /* WUNTRACED, WCONTINUED */
	int report;            /* 0: found is a zombie; else CLD_STOPPED/CONTINUED */
	int report_status;     /* wait status of a stop/continue report */
	struct process *found; /* new reference */
	bool had_child;
	bool exited;           /* report zombies (wait4 always; waitid: WEXITED) */
};

static bool child_matches(const struct wait_query *q, const struct process *c)
{
	/* Linux: a child whose exit signal is not SIGCHLD (a "clone child")
	 * is waited for only with __WCLONE, the others only without; __WALL
	 * takes both. */
	if (!(q->options & __WALL) && ((c->exit_signal != SIGCHLD) != !!(q->options & __WCLONE)))
		return false;
	switch (q->idtype) {
	case P_PID:
		return c->pid == q->id;
	case P_PGID:
		return c->pgid == q->id;
	default:
		return true;
	}
}

/* Return 1 when a zombie was taken, -ECHILD when no child matches, 0 to
 * keep waiting. */
static int wait_scan(struct process *self, struct wait_query *q)
{
	struct process *c;

	guard_irqsave(&proc_tree_lock);
	q->had_child = false;
	list_for_each_entry(c, &self->children, sibling) {
		if (!child_matches(q, c))
			continue;
		q->had_child = true;
		if (!READ_ONCE(c->zombie) || !q->exited) {
			if (READ_ONCE(c->zombie))
				continue;
			int rep = 0;
			scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &c->lock, 0 })) {
				if ((c->wait_report == CLD_STOPPED && (q->options & WUNTRACED)) ||
				    (c->wait_report == CLD_CONTINUED && (q->options & WCONTINUED))) {
					rep = c->wait_report;
					q->report_status = rep == CLD_STOPPED ? (c->stop_signo << 8) | 0x7f
									      : 0xffff;
					if (!q->nowait)
						c->wait_report = 0;
				}
			}
			if (!rep)
				continue;
			process_get(c);
			q->report = rep;
			q->found = c;
			return 1;
		}
		process_get(c);
		if (!q->nowait) {
			/* The parent's reference moves to q->found below. */
			list_del(&c->sibling);
			c->parent = NULL;
			self->cutime_ns += c->utime_ns + c->cutime_ns;
			self->cstime_ns += c->stime_ns + c->cstime_ns;
		}
		q->found = c;
		return 1;
	}
	return q->had_child ? 0 : -ECHILD;
}

/* Return 0 with q->found set, -ECHILD, -EINTR, or 1 for WNOHANG-nothing. */
static long wait_common(struct wait_query *q, bool nohang)
{
	struct process *self = current->proc;
	long ret;
	int r = 0;

	r = wait_scan(self, q);
	if (r < 0)
		return r;
	if (r == 0 && nohang)
		return 1;
	if (r == 0) {
		ret = wait_event_interruptible(&self->child_wait, (r = wait_scan(self, q)) != 0);
		if (ret)
			return ret; /* -ERESTARTSYS: SA_RESTART decides at delivery */
		if (r < 0)
			return r;
	}
	return 0;
}

/* Drop the found child (and, when reaped, the parent's reference). */
static void wait_release(struct wait_query *q)
{
	struct process *c = q->found;

	if (!q->nowait && !q->report) {
		process_unhash(c);
		process_put(c); /* the parent's reference */
	}
	process_put(c);
}

long sys_wait4(pid_t pid, int __user *wstatus, int options, struct rusage __user *ru)
{
	struct wait_query q = { .exited = true };
	struct process *self = current->proc;
	struct rusage r;
	long ret;
	pid_t found_pid;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		q.idtype = P_PID;
		q.id = pid;
	} else if (pid == 0) {
		q.idtype = P_PGID;
		q.id = self->pgid;
	} else if (pid < -1) {
		q.idtype = P_PGID;
		q.id = -pid;
	} else {
		q.idtype = P_ALL;
	}
	q.options = options;
	ret = wait_common(&q, options & WNOHANG);
	if (ret)
		return ret == 1 ? 0 : ret;
	found_pid = q.found->pid;
	ret = found_pid;
	if (wstatus && put_user(q.report ? q.report_status : q.found->exit_status, wstatus))
		ret = -EFAULT;
	if (ru) {
		rusage_fill(&r, q.found->utime_ns, q.found->stime_ns);
		if (copy_to_user(ru, &r, sizeof(r)))
			ret = -EFAULT;
	}
	wait_release(&q);
	return ret;
}

long sys_waitid(int idtype, pid_t id, struct user_siginfo __user *infop, int options,
		struct rusage __user *ru)
{
	struct wait_query q = { .idtype = idtype, .id = id };
	struct user_siginfo si;
	struct rusage r;
	long ret;
	int st;

	bool nonblock = false;
	if (idtype == P_PIDFD) {
		/* the child a pidfd names; O_NONBLOCK on it means WNOHANG,
		 * with EAGAIN instead of si_pid 0 (Linux 5.10) */
		long pid = id < 0 ? -EBADF : pidfd_to_pid(id, &nonblock);
		if (pid < 0)
			return pid;
		q.idtype = idtype = P_PID;
		q.id = id = (pid_t)pid;
	}
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | __WNOTHREAD |
			__WALL | __WCLONE))
		return -EINVAL;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return -EINVAL;
	if (idtype == P_PGID && id == 0)
		q.id = current->proc->pgid;
	if (idtype != P_ALL && q.id <= 0)
		return -EINVAL;
	q.nowait = options & WNOWAIT;
	memset(&si, 0, sizeof(si));
	q.options = options;
	q.exited = options & WEXITED;
	ret = wait_common(&q, (options & WNOHANG) || nonblock);
	if (ret < 0)
		return ret;
	if (ret == 1 && nonblock && !(options & WNOHANG))
		return -EAGAIN;
	if (ret == 1) { /* WNOHANG and nothing: si_pid = 0 */
		if (infop && copy_to_user(infop, &si, sizeof(si)))
			return -EFAULT;
		return 0;
	}
	st = q.found->exit_status;
	si.si_signo = SIGCHLD;
	si.chld.pid = q.found->pid;
	si.chld.uid = q.found->uid;
	if (q.report) {
		si.si_code = q.report;
		si.chld.status = q.report == CLD_STOPPED ? (q.report_status >> 8) & 0xff : SIGCONT;
	} else if ((st & 0x7f) == 0) {
		si.si_code = CLD_EXITED;
		si.chld.status = (st >> 8) & 0xff;
	} else {
		si.si_code = (st & 0x80) ? CLD_DUMPED : CLD_KILLED;
		si.chld.status = st & 0x7f;
	}
	si.chld.utime = (long)(q.found->utime_ns / (1000000000ULL / USER_HZ));
	si.chld.stime = (long)(q.found->stime_ns / (1000000000ULL / USER_HZ));
	ret = 0;
	if (infop && copy_to_user(infop, &si, sizeof(si)))
		ret = -EFAULT;
	if (ru) {
		rusage_fill(&r, q.found->utime_ns, q.found->stime_ns);
		if (copy_to_user(ru, &r, sizeof(r)))
			ret = -EFAULT;
	}
	wait_release(&q);
	return ret;
}
