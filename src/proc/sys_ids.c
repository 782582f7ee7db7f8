/*
 * Identity syscalls: pids and tids, user and group ids (everything runs as
 * root unless a program drops privileges), process groups and sessions,
 * set_tid_address and the robust-list registration.
 * Lock: p->lock guards the credentials; proc_tree_lock guards pgid/sid.
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
	schedule();
	return 0;
}

long sys_getuid(void) { return current->proc->uid; }
long sys_geteuid(void) { return current->proc->euid; }
long sys_getgid(void) { return current->proc->gid; }
long sys_getegid(void) { return current->proc->egid; }

static long put_three(unsigned a, unsigned b, unsigned c, unsigned __user *pa,
		      unsigned __user *pb, unsigned __user *pc)
{
	if (put_user(a, pa) || put_user(b, pb) || put_user(c, pc))
		return -EFAULT;
	return 0;
}

long sys_getresuid(uid_t __user *r, uid_t __user *e, uid_t __user *s)
{
	struct process *p = current->proc;
	return put_three(p->uid, p->euid, p->suid, r, e, s);
}

long sys_getresgid(gid_t __user *r, gid_t __user *e, gid_t __user *s)
{
	struct process *p = current->proc;
	return put_three(p->gid, p->egid, p->sgid, r, e, s);
}

/* Set real/effective/saved ids; -1 leaves one unchanged. Root may set any;
 * others only to one of their current ids. */
static long set_ids(unsigned *real, unsigned *eff, unsigned *saved, unsigned r, unsigned e,
		    unsigned s, bool privileged)
{
	unsigned vals[3] = { r, e, s };

	for (int i = 0; i < 3; i++)
		if (!privileged && vals[i] != (unsigned)-1 && vals[i] != *real &&
		    vals[i] != *eff && vals[i] != *saved)
			return -EPERM;
	if (r != (unsigned)-1)
		*real = r;
	if (e != (unsigned)-1)
		*eff = e;
	if (s != (unsigned)-1)
		*saved = s;
	return 0;
}

long sys_setresuid(uid_t r, uid_t e, uid_t s)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_ids(&p->uid, &p->euid, &p->suid, r, e, s, p->euid == 0);
}

long sys_setresgid(gid_t r, gid_t e, gid_t s)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	return set_ids(&p->gid, &p->egid, &p->sgid, r, e, s, p->euid == 0);
}

long sys_setuid(uid_t uid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	if (p->euid == 0)
		return set_ids(&p->uid, &p->euid, &p->suid, uid, uid, uid, true);
	return set_ids(&p->uid, &p->euid, &p->suid, -1, uid, -1, false);
}

long sys_setgid(gid_t gid)
{
	struct process *p = current->proc;
	guard_irqsave(&p->lock);
	if (p->euid == 0)
		return set_ids(&p->gid, &p->egid, &p->sgid, gid, gid, gid, true);
	return set_ids(&p->gid, &p->egid, &p->sgid, -1, gid, -1, false);
}

long sys_setreuid(uid_t r, uid_t e)
{
	return sys_setresuid(r, e, -1);
}

long sys_setregid(gid_t r, gid_t e)
{
	return sys_setresgid(r, e, -1);
}

long sys_getgroups(int size, gid_t __user *list)
{
	(void)list;
	return size < 0 ? -EINVAL : 0; /* no supplementary groups */
}

long sys_setgroups(size_t size, const gid_t __user *list)
{
	(void)list;
	if (current->proc->euid != 0)
		return -EPERM;
	return size > 65536 ? -EINVAL : 0;
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
