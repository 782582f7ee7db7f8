/*
 * Identity syscalls: pids and tids, process groups and sessions,
 * set_tid_address and the robust-list registration (user and group ids
 * are in cred.c). Lock: proc_tree_lock guards pgid/sid.
 */
#include <ferrite/errno.h>
#include <ferrite/uaccess.h>
#include "proc_internal.h"

long sys_getpid(void) { return current->proc->pid; }
long sys_gettid(void) { return current->tid; }

long sys_getppid(void)
{
	/* Lock-free: ppid is written under proc_tree_lock with parent; a pid
	 * read racing a reparent gives the old or the new one, as on Linux. */
	return READ_ONCE(current->proc->ppid);
}

long sys_set_tid_address(int __user *tidptr)
{
	current->clear_child_tid = (uintptr_t)tidptr;
	return current->tid;
}

long sys_set_robust_list(void __user *head, size_t len)
{
	if (len != 24) /* sizeof(struct robust_list_head) on LP64 */
		return -EINVAL;
	current->robust_list = (uintptr_t)head;
	current->robust_list_len = len;
	return 0;
}

long sys_get_robust_list(int pid, uintptr_t __user *head, size_t __user *len)
{
	struct task *t = pid ? task_find(pid) : current;
	uintptr_t h;
	size_t l;

	if (!t)
		return -ESRCH;
	h = t->robust_list;
	l = t->robust_list_len;
	if (pid)
		task_put(t);
	if (put_user(h, head) || put_user(l, len))
		return -EFAULT;
	return 0;
}

long sys_sched_yield(void)
{
	sched_yield();
	return 0;
}

/* --- process groups and sessions --- */

long sys_getpgid(pid_t pid)
{
	struct process *p;
	long ret;

	if (pid < 0)
		return -ESRCH;
	if (pid == 0)
		return current->proc->pgid;
	p = process_find(pid);
	if (!p)
		return -ESRCH;
	ret = p->pgid;
	process_put(p);
	return ret;
}

long sys_getpgrp(void)
{
	return current->proc->pgid;
}

long sys_getsid(pid_t pid)
{
	struct process *p;
	long ret;

	if (pid < 0)
		return -ESRCH;
	if (pid == 0)
		return current->proc->sid;
	p = process_find(pid);
	if (!p)
		return -ESRCH;
	ret = p->sid;
	process_put(p);
	return ret;
}

long sys_setpgid(pid_t pid, pid_t pgid)
{
	struct process *self = current->proc, *p;
	long ret = 0;

	if (pgid < 0)
		return -EINVAL;
	p = pid ? process_find(pid) : (process_get(self), self);
	if (!p)
		return -ESRCH;
	if (!pgid)
		pgid = p->pid;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 })) {
		if (p != self && p->parent != self)
			ret = -ESRCH;
		else if (p->sid == p->pid)
			ret = -EPERM; /* a session leader */
		else if (p->sid != self->sid)
			ret = -EPERM;
		else
			p->pgid = pgid;
	}
	process_put(p);
	return ret;
}

long sys_setsid(void)
{
	struct process *p = current->proc;

	guard_irqsave(&proc_tree_lock);
	if (p->pgid == p->pid)
		return -EPERM; /* already a group leader */
	p->sid = p->pgid = p->pid;
	return p->sid;
}
