/*
 * Nice values: getpriority(2) and setpriority(2) over a process, a process
 * group or a user, with Linux's checks (the caller's euid must be the
 * target's uid or euid unless it is root; lowering a nice value needs root
 * or RLIMIT_NICE). A process has one nice value (Linux keeps one per
 * thread); fork copies it. The scheduler does not weigh it yet.
 * Lock: the walk holds proc_tree_lock (process_for_each); p->nice is read
 * and written with READ_ONCE/WRITE_ONCE, p->rlim under p->lock.
 */
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include <uapi/resource.h>
#include "proc_internal.h"

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define NICE_MIN (-20)
#define NICE_MAX 19

struct prio_walk {
	int which;
	long who;   /* pid, pgid or uid; 0 already replaced by the caller's */
	bool set;
	int nice;   /* setpriority: the clamped value */
	uid_t euid; /* the caller's */
	long result; /* getpriority: highest 20 - nice; setpriority: errno */
	bool found;
};

static bool prio_matches(const struct process *p, const struct prio_walk *w)
{
	if (p->zombie || p->pid <= 0)
		return false;
	switch (w->which) {
	case PRIO_PROCESS: return p->pid == w->who;
	case PRIO_PGRP: return p->pgid == w->who;
	default: return p->uid == (uid_t)w->who;
	}
}

/* May the caller give p a nice value of nice? Linux's can_nice. */
static bool prio_can_lower(struct process *p, int nice, uid_t euid)
{
	uint64_t limit;

	if (euid == 0)
		return true;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		limit = p->rlim[RLIMIT_NICE].rlim_cur;
	return (uint64_t)(20 - nice) <= limit;
}

static int prio_one(struct process *p, void *arg)
{
	struct prio_walk *w = arg;

	if (!prio_matches(p, w))
		return 0;
	if (!w->set) {
		long prio = 20 - READ_ONCE(p->nice);
		w->result = w->found ? MAX(w->result, prio) : prio;
		w->found = true;
		return 0;
	}
	w->found = true;
	/* Linux's set_one_prio: a refusal is remembered, a later success
	 * does not clear it. */
	if (w->euid != 0 && p->uid != w->euid && p->euid != w->euid) {
		w->result = -EPERM;
		return 0;
	}
	if (w->nice < READ_ONCE(p->nice) && !prio_can_lower(p, w->nice, w->euid)) {
		w->result = -EACCES;
		return 0;
	}
	WRITE_ONCE(p->nice, w->nice);
	return 0;
}

static long prio_walk_init(struct prio_walk *w, int which, long who)
{
	struct process *self = current->proc;

	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	w->which = which;
	w->who = who;
	w->euid = self->euid;
	if (who == 0)
		w->who = which == PRIO_PROCESS ? self->pid :
			 which == PRIO_PGRP ? READ_ONCE(self->pgid) : (long)self->uid;
	return 0;
}

long sys_getpriority(int which, int who)
{
	struct prio_walk w = { 0 };
	long err = prio_walk_init(&w, which, who);

	if (err)
		return err;
	process_for_each(prio_one, &w);
	return w.found ? w.result : -ESRCH;
}

long sys_setpriority(int which, int who, int nice)
{
	struct prio_walk w = { .set = true };
	long err = prio_walk_init(&w, which, who);

	if (err)
		return err;
	w.nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
	process_for_each(prio_one, &w);
	return w.found ? w.result : -ESRCH;
}
