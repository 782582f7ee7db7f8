/*
 * Leaving: thread exit, exit_group, death by signal. The last thread out
 * turns the process into a zombie: it drops the address space, files and
 * cwd, hands its children to init and wakes the parent's wait4.
 * Lock: proc_tree_lock for the parent/child links and p->zombie;
 * p->lock for the thread list and the exit status.
 * The parent gets its exit signal (SIGCHLD) through signal_notify_parent.
 * Not yet: SA_NOCLDWAIT auto-reaping.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/futex.h>
#include <ferrite/ipc.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include <ferrite/user_return.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>
#include "proc_internal.h"

void vfork_complete(struct process *p)
{
	struct vfork_done *v;
	unsigned long flags = spin_lock_irqsave(&p->lock);

	v = p->vfork_done;
	p->vfork_done = NULL;
	spin_unlock_irqrestore(&p->lock, flags);
	if (!v)
		return;
	/* v lives on the parent's stack: set done and wake under the lock so
	 * the parent cannot return before we let go of it. */
	flags = spin_lock_irqsave(&v->wq.lock);
	v->done = true;
	wake_up_all_locked(&v->wq);
	spin_unlock_irqrestore(&v->wq.lock, flags);
}

struct mm_swap {
	struct process *p;
	struct mm *old, *new;
	bool last;  /* no other process uses old */
	bool found; /* p is listed (it always is once published) */
};

/* Runs under proc_tree_lock: the swap and the scan form one step, so of
 * two CLONE_VM processes leaving at once exactly one sees itself last. */
static int mm_swap_step(struct process *q, void *arg)
{
	struct mm_swap *s = arg;

	if (q == s->p) {
		q->mm = s->new;
		s->found = true;
	} else if (q->mm == s->old)
		s->last = false;
	return 0;
}

void process_replace_mm(struct process *p, struct mm *mm)
{
	/* Only p's last thread changes p->mm, so reading it here is safe. */
	struct mm_swap s = { p, p->mm, mm, true, false };

	process_for_each(mm_swap_step, &s);
	if (!s.found)
		p->mm = mm;
	if (!s.old)
		return;
	if (s.last)
		shm_exit(s.old);
	mm_put(s.old);
}

/* CLONE_CHILD_CLEARTID: tell a joiner that this thread is gone. */
static void clear_child_tid(struct task *self)
{
	uintptr_t addr = self->clear_child_tid;
	struct mm *mm = self->proc->mm;

	self->clear_child_tid = 0;
	if (!addr || !mm)
		return;
	if (!put_user(0, (int __user *)addr))
		futex_wake(mm, addr, 1, FUTEX_BITSET_MATCH_ANY);
}

/* Give p's children to init; wake init when one of them is a zombie. */
static void reparent_children_locked(struct process *p)
{
	struct process *init = init_process(), *c, *n;
	bool wake = false;

	assert_locked(&proc_tree_lock);
	list_for_each_entry_safe(c, n, &p->children, sibling) {
		list_del(&c->sibling);
		c->parent = init;
		WRITE_ONCE(c->ppid, init->pid);
		list_add_tail(&c->sibling, &init->children);
		wake |= c->zombie;
	}
	if (wake)
		wake_up_all(&init->child_wait);
}

/* The last thread has left p: release what only a live process needs. */
static void process_become_zombie(struct process *p)
{
	struct fd_table *files = p->files;
	struct fs_context *fs = p->fs;
	unsigned long flags;

	if (p == init_process())
		panic("init exited with status 0x%x", p->exit_status);
	vfork_complete(p);
	p->files = NULL;
	p->fs = NULL;
	if (files)
		fd_table_put(files);
	if (fs)
		fs_context_put(fs);
	/* Leave the address space before the last reference goes away. */
	hal_pt_activate(NULL);
	process_replace_mm(p, NULL);
	sem_exit(p);

	flags = spin_lock_irqsave(&proc_tree_lock);
	reparent_children_locked(p);
	WRITE_ONCE(p->zombie, true);
	if (p->parent)
		wake_up_all(&p->parent->child_wait);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	/* SIGCHLD (the clone exit signal) to the parent. */
	if (p->exit_status & 0x7f)
		signal_notify_parent(p, p->exit_signal, CLD_KILLED, p->exit_status & 0x7f);
	else
		signal_notify_parent(p, p->exit_signal, CLD_EXITED, (p->exit_status >> 8) & 0xff);
}

void task_exit(int status)
{
	struct task *self = current;
	struct process *p = self->proc;
	unsigned long flags;
	bool last;

	if (!self->is_kthread) {
		futex_exit_robust_list(self); /* before the joiner may run */
		clear_child_tid(self);
	}

	flags = spin_lock_irqsave(&p->lock);
	list_del(&self->thread_node);
	last = --p->nr_threads == 0;
	if (last && !p->exiting)
		p->exit_status = status;
	spin_unlock_irqrestore(&p->lock, flags);

	task_unhash(self);
	if (last && !self->is_kthread)
		process_become_zombie(p);

	/* The scheduler drops our last reference once we are off this stack. */
	hal_irq_disable();
	self->state = TASK_DEAD;
	schedule();
	panic("dead task %d scheduled again", self->tid);
}

/* Mark p as exiting with status and make every other thread leave. */
static void process_start_exit(struct process *p, int status, struct task *except)
{
	struct task *t;

	guard_irqsave(&p->lock);
	if (!p->exiting) {
		p->exiting = true;
		p->exit_status = status;
	}
	list_for_each_entry(t, &p->threads, thread_node) {
		task_set_work(t); /* after p->exiting */
		if (t != except)
			sched_wakeup_interruptible(t);
	}
}

void process_exit_group(int status)
{
	process_start_exit(current->proc, status, current);
	task_exit(status);
}

void process_kill_current(int signo)
{
	process_exit_group(signo & 0x7f);
}

/* Used by signal delivery to kill another process. */
void process_kill(struct process *p, int signo)
{
	process_start_exit(p, signo & 0x7f, NULL);
}

long sys_exit(int code)
{
	task_exit((code & 0xff) << 8);
}

long sys_exit_group(int code)
{
	process_exit_group((code & 0xff) << 8);
}
