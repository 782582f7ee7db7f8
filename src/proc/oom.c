/*
 * The out-of-memory killer. A user page fault that cannot get a frame
 * (anonymous memory, copy-on-write, a page of a file or shm object) comes
 * here instead of ending in SIGSEGV: as Linux's pagefault_out_of_memory,
 * the process with the largest resident set (never pid 1 nor a kernel
 * thread) gets SIGKILL, the console names it, and the faulting task
 * retries once the victim has let its memory go. Allocations inside
 * system calls never come here: they return ENOMEM or EAGAIN.
 *
 * Lock: oom_lock guards the victim in progress, so two faulting tasks do
 * not kill two processes for one shortage. The choice walks the process
 * list under proc_tree_lock (p->mm is stable under it) and each mm's
 * page table under its mm->lock, in the documented order.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/oom.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/signal.h>
#include <ferrite/vm.h>
#include "proc_internal.h"

static struct spinlock oom_lock = SPINLOCK_INIT("oom");
static pid_t oom_victim; /* Lock: oom_lock; 0: none dying */

struct oom_choice {
	pid_t pid;
	size_t rss;
};

static int oom_consider(struct process *p, void *arg)
{
	struct oom_choice *c = arg;

	if (p->pid <= 1 || !p->mm || READ_ONCE(p->exiting))
		return 0;
	size_t rss = mm_resident_pages(p->mm);
	if (rss > c->rss || (rss == c->rss && p->pid > c->pid)) /* ties: the younger */
		*c = (struct oom_choice){ p->pid, rss };
	return 0;
}

/* Is the last victim still holding its memory? */
static bool victim_alive(pid_t pid)
{
	struct process *p = pid ? process_find(pid) : NULL;
	bool alive;

	if (!p)
		return false;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 }))
		alive = p->mm != NULL;
	process_put(p);
	return alive;
}

/* Free frames below which a failed frame allocation is a real shortage
 * (above it, fault injection made it fail). */
#define OOM_FREE_FRAMES 16

int oom_fault(void)
{
	struct process *self = current->proc;
	struct oom_choice c = { 0, 0 };
	struct process *v;

	if (frames_free_count() > OOM_FREE_FRAMES)
		return -ENOMEM;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &oom_lock, 0 })) {
		if (oom_victim && victim_alive(oom_victim))
			c.pid = -1; /* one is dying already: wait for its memory */
	}
	if (c.pid == -1) {
		cond_resched();
		schedule(); /* let the victim run to its exit */
		return 0;
	}
	process_for_each(oom_consider, &c);
	if (!c.pid) {
		if (self->pid <= 1)
			return -ENOMEM; /* nobody else to kill: init gets its SIGSEGV */
		c.pid = self->pid;
	}
	v = process_find(c.pid);
	if (!v)
		return 0; /* gone meanwhile: its memory too; retry */
	char comm[TASK_COMM_LEN];
	uid_t uid;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &v->lock, 0 })) {
		memcpy(comm, v->comm, sizeof(comm));
		uid = v->uid;
	}
	comm[TASK_COMM_LEN - 1] = '\0';
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &oom_lock, 0 })) {
		oom_victim = c.pid;
	}
	pr_warn("Out of memory: Killed process %d (%s) anon-rss:%zukB, UID:%u (fault in %d)\n",
		c.pid, comm, c.rss * (PAGE_SIZE / 1024), uid, self->pid);
	send_signal_process(v, SIGKILL);
	process_put(v);
	if (v != self)
		schedule();
	return 0;
}
