/*
 * Scheduling-class system calls: sched_setscheduler, sched_getscheduler,
 * sched_setparam, sched_getparam, sched_get_priority_max|min,
 * sched_rr_get_interval, sched_setattr and sched_getattr, with Linux's
 * checks. The classes themselves are in sched.c (docs/scheduler.md).
 *
 * Policies are per thread (a tid names one); SCHED_BATCH and SCHED_IDLE
 * are accepted and scheduled as SCHED_OTHER; SCHED_DEADLINE is EINVAL.
 * Without root, a caller may change only tasks of its own user, may
 * raise a real-time priority only up to RLIMIT_RTPRIO (and choose a
 * real-time policy only with a non-zero one), and may not clear
 * SCHED_RESET_ON_FORK. nice in sched_setattr is the process's nice value
 * (one per process here, see sys_priority.c).
 * Lock: the class is changed under the task's run queue lock
 * (sched_set_policy); it is read here as a snapshot. rlim under p->lock.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>
#include <uapi/resource.h>
#include <uapi/sched.h>
#include <uapi/time.h>
#include "proc_internal.h"

#define RR_INTERVAL_NS (100 * 1000000ULL) /* sched.c's SCHED_RR slice */

long sys_setpriority(int which, int who, int nice); /* sys_priority.c */

static bool policy_valid(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static bool policy_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* The task pid names (0: the caller). Return: new reference or NULL. */
static struct task *sched_target(pid_t pid)
{
	if (pid == 0) {
		task_get(current);
		return current;
	}
	return task_find(pid);
}

static uint64_t rtprio_limit(struct process *p)
{
	guard_irqsave(&p->lock);
	return p->rlim[RLIMIT_RTPRIO].rlim_cur;
}

/* Linux's __sched_setscheduler checks for a caller without CAP_SYS_NICE. */
static long may_set(struct task *t, int policy, int prio, bool reset)
{
	struct process *self = current->proc, *p = t->proc;

	if (self->euid == 0)
		return 0;
	if (policy_rt(policy)) {
		uint64_t limit = rtprio_limit(p);

		if (policy != READ_ONCE(t->policy) && !limit)
			return -EPERM;
		if (prio > READ_ONCE(t->rt_prio) && (uint64_t)prio > limit)
			return -EPERM;
	}
	if (READ_ONCE(t->reset_on_fork) && !reset)
		return -EPERM;
	if (p->uid != self->euid && p->euid != self->euid)
		return -EPERM;
	return 0;
}

/* policy < 0 keeps the task's policy (sched_setparam). */
static long set_class(pid_t pid, int policy, int prio, int reset)
{
	struct task *t;
	long err;

	if (pid < 0)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	if (policy < 0)
		policy = READ_ONCE(t->policy);
	if (reset < 0)
		reset = READ_ONCE(t->reset_on_fork);
	err = -EINVAL;
	if (!policy_valid(policy) || prio < 0 || prio > SCHED_RT_PRIO_MAX ||
	    policy_rt(policy) != (prio != 0))
		goto out;
	err = may_set(t, policy, prio, reset);
	if (!err)
		sched_set_policy(t, policy, prio, reset);
out:
	task_put(t);
	return err;
}

long sys_sched_setscheduler(pid_t pid, int policy, const struct sched_param __user *param)
{
	struct sched_param sp;
	bool reset = policy >= 0 && (policy & SCHED_RESET_ON_FORK);

	if (pid < 0 || !param || policy < 0)
		return -EINVAL;
	if (copy_from_user(&sp, param, sizeof(sp)))
		return -EFAULT;
	return set_class(pid, policy & ~SCHED_RESET_ON_FORK, sp.sched_priority, reset);
}

long sys_sched_setparam(pid_t pid, const struct sched_param __user *param)
{
	struct sched_param sp;

	if (pid < 0 || !param)
		return -EINVAL;
	if (copy_from_user(&sp, param, sizeof(sp)))
		return -EFAULT;
	return set_class(pid, -1, sp.sched_priority, -1);
}

long sys_sched_getscheduler(pid_t pid)
{
	struct task *t;
	long ret;

	if (pid < 0)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	ret = READ_ONCE(t->policy) | (READ_ONCE(t->reset_on_fork) ? SCHED_RESET_ON_FORK : 0);
	task_put(t);
	return ret;
}

long sys_sched_getparam(pid_t pid, struct sched_param __user *param)
{
	struct sched_param sp = { 0 };
	struct task *t;

	if (pid < 0 || !param)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	sp.sched_priority = READ_ONCE(t->rt_prio);
	task_put(t);
	return copy_to_user(param, &sp, sizeof(sp)) ? -EFAULT : 0;
}

long sys_sched_get_priority_max(int policy)
{
	if (policy_rt(policy))
		return SCHED_RT_PRIO_MAX;
	return policy_valid(policy) || policy == SCHED_DEADLINE ? 0 : -EINVAL;
}

long sys_sched_get_priority_min(int policy)
{
	if (policy_rt(policy))
		return 1;
	return policy_valid(policy) || policy == SCHED_DEADLINE ? 0 : -EINVAL;
}

long sys_sched_rr_get_interval(pid_t pid, struct timespec __user *interval)
{
	struct timespec ts;
	struct task *t;
	uint64_t ns;

	if (pid < 0)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	switch (READ_ONCE(t->policy)) {
	case SCHED_FIFO: ns = 0; break;
	case SCHED_RR: ns = RR_INTERVAL_NS; break;
	default: ns = 1000000000ULL / HAL_TIMER_HZ; break; /* the tick's round robin */
	}
	task_put(t);
	ts.tv_sec = (long)(ns / 1000000000ULL);
	ts.tv_nsec = (long)(ns % 1000000000ULL);
	return copy_to_user(interval, &ts, sizeof(ts)) ? -EFAULT : 0;
}

/* Linux's sched_copy_attr: the size the caller gives (0: version 0);
 * bytes past what Ferrite knows must be zero, else E2BIG (and the size
 * Ferrite knows is written back). */
static long copy_attr(struct sched_attr __user *uattr, struct sched_attr *attr)
{
	uint32_t size;

	if (get_user(size, &uattr->size))
		return -EFAULT;
	if (!size)
		size = SCHED_ATTR_SIZE_VER0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > 4096)
		goto too_big;
	int err = copy_struct_from_user(attr, sizeof(*attr), uattr, size);
	if (err == -E2BIG)
		goto too_big;
	if (err)
		return err;
	attr->size = size;
	return 0;
too_big:
	if (put_user((uint32_t)sizeof(*attr), &uattr->size))
		return -EFAULT;
	return -E2BIG;
}

long sys_sched_setattr(pid_t pid, struct sched_attr __user *uattr, unsigned flags)
{
	struct sched_attr attr;
	int policy = -1, prio;
	long err;

	if (!uattr || pid < 0 || flags)
		return -EINVAL;
	err = copy_attr(uattr, &attr);
	if (err)
		return err;
	if (attr.sched_flags & ~(uint64_t)(SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY |
					   SCHED_FLAG_KEEP_PARAMS))
		return -EINVAL;
	if (!(attr.sched_flags & SCHED_FLAG_KEEP_POLICY))
		policy = (int)attr.sched_policy;
	if (policy >= 0 && !policy_valid(policy))
		return -EINVAL;
	prio = attr.sched_priority > SCHED_RT_PRIO_MAX ? -1 : (int)attr.sched_priority;
	if (attr.sched_flags & SCHED_FLAG_KEEP_PARAMS) {
		struct task *t = sched_target(pid);

		if (!t)
			return -ESRCH;
		prio = READ_ONCE(t->rt_prio);
		task_put(t);
	}
	if (prio < 0)
		return -EINVAL;
	err = set_class(pid, policy, prio, !!(attr.sched_flags & SCHED_FLAG_RESET_ON_FORK));
	if (err)
		return err;
	/* The normal policies carry a nice value: setpriority's rules. */
	if ((policy < 0 || !policy_rt(policy)) && !(attr.sched_flags & SCHED_FLAG_KEEP_PARAMS)) {
		struct task *t = sched_target(pid);
		int nice = attr.sched_nice < -20 ? -20 : attr.sched_nice > 19 ? 19 : attr.sched_nice;

		if (!t)
			return -ESRCH;
		err = sys_setpriority(0 /* PRIO_PROCESS */, t->proc->pid, nice);
		task_put(t);
		if (err == -EACCES)
			err = -EPERM;
	}
	return err;
}

long sys_sched_getattr(pid_t pid, struct sched_attr __user *uattr, unsigned size, unsigned flags)
{
	struct sched_attr attr = { 0 };
	struct task *t;

	if (!uattr || pid < 0 || flags || size < SCHED_ATTR_SIZE_VER0 || size > 4096)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	attr.size = (uint32_t)MIN(size, (unsigned)sizeof(attr));
	attr.sched_policy = (uint32_t)READ_ONCE(t->policy);
	attr.sched_flags = READ_ONCE(t->reset_on_fork) ? SCHED_FLAG_RESET_ON_FORK : 0;
	attr.sched_priority = (uint32_t)READ_ONCE(t->rt_prio);
	attr.sched_nice = READ_ONCE(t->proc->nice);
	task_put(t);
	return copy_to_user(uattr, &attr, attr.size) ? -EFAULT : 0;
}
