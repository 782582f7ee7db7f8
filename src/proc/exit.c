/*
 * Leaving: thread exit, exit_group, death by signal. The last thread out
 * turns the process into a zombie: it drops the address space, files and
 * cwd, hands its children to init and wakes the parent's wait4.
 * Lock: proc_tree_lock for the parent/child links and p->zombie;
 * p->lock for the thread list and the exit status.
 * The parent gets its exit signal (SIGCHLD) through signal_notify_exit;
 * a parent that ignores SIGCHLD or set SA_NOCLDWAIT never sees the zombie
 * (reaped here, as Linux's autoreap). Orphans go to the nearest child
 * subreaper or init, with SIGCHLD as their exit signal from then on.
 */
#include <ferrite/kcov.h>
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

void vfork_complete(struct task *t)
{
	/* Under t->lock: a waiter that gives up (killed) clears t->vfork_done
	 * under the same lock, so v (on its stack) is never touched after it
	 * returned. */
	guard_irqsave(&t->lock);
	struct vfork_done *v = t->vfork_done;

	if (!v)
		return;
	t->vfork_done = NULL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &v->wq.lock, 0 })) {
		v->done = true;
		wake_up_all_locked(&v->wq);
	}
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

/* The new parent of p's children: the nearest living ancestor that is a
 * child subreaper (prctl), else init, as Linux's find_new_reaper. */
static struct process *find_new_reaper_locked(struct process *p)
{
	struct process *init = init_process(), *r;

	assert_locked(&proc_tree_lock);
	for (r = p->parent; r && r != init; r = r->parent)
		if (r->child_subreaper && !READ_ONCE(r->exiting) && !r->zombie)
			return r;
	return init;
}

/* What re-parenting left to do once proc_tree_lock is dropped. */
struct orphans {
	struct process *reaper;  /* new reference */
	struct process *zombie;  /* one zombie child it must hear of (new reference) */
	struct list_head reaped; /* zombies the reaper does not wait for */
};

/*
 * Give p's children to their new reaper, sending each its parent-death
 * signal when it asked for one. Each one's exit signal becomes
 * SIGCHLD: the reaper never asked for another (a SIGPROF exit signal must
 * not kill init). A child that is already a zombie is announced to the
 * reaper, or reaped at once when the reaper does not wait for children.
 */
static void reparent_children_locked(struct process *p, struct orphans *o)
{
	struct process *reaper = find_new_reaper_locked(p), *c, *n;

	assert_locked(&proc_tree_lock);
	if (list_empty(&p->children))
		return;
	process_get(reaper);
	o->reaper = reaper;
	list_for_each_entry_safe(c, n, &p->children, sibling) {
		list_del(&c->sibling);
		c->exit_signal = SIGCHLD;
		WRITE_ONCE(c->ppid, reaper->pid);
		/* prctl(PR_SET_PDEATHSIG): the child hears of its parent's
		 * death (send_signal_process takes c->lock, below ours). */
		if (READ_ONCE(c->pdeath_signal) && !c->zombie)
			send_signal_process(c, READ_ONCE(c->pdeath_signal));
		if (c->zombie && signal_parent_autoreaps(reaper, c->exit_signal)) {
			c->parent = NULL;
			list_add_tail(&c->sibling, &o->reaped);
			continue;
		}
		c->parent = reaper;
		list_add_tail(&c->sibling, &reaper->children);
		if (c->zombie && !o->zombie) {
			process_get(c);
			o->zombie = c;
		}
	}
}

/* The rest of re-parenting, without locks: tell the reaper, reap. */
static void orphans_finish(struct orphans *o)
{
	struct process *c, *n;

	if (!o->reaper)
		return;
	if (o->zombie) {
		signal_notify_exit(o->reaper, o->zombie, SIGCHLD);
		process_put(o->zombie);
	}
	wake_up_all(&o->reaper->child_wait);
	process_put(o->reaper);
	list_for_each_entry_safe(c, n, &o->reaped, sibling) {
		list_del(&c->sibling);
		process_unhash(c);
		process_put(c); /* the parent's reference */
	}
}

/* The last thread has left p: release what only a live process needs. */
static void process_become_zombie(struct process *p)
{
	struct fd_table *files = p->files;
	struct fs_context *fs = p->fs;
	struct orphans o = { .reaped = LIST_HEAD_INIT(o.reaped) };
	struct process *parent;
	bool autoreap = false;
	unsigned long flags;
	int sig;

	if (p == init_process())
		panic("init exited with status 0x%x", p->exit_status);
	/* Under p->lock: /proc/PID/fd takes a reference under it. */
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
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
	itimer_exit(p);
	posix_timers_exit(p);

	flags = spin_lock_irqsave(&proc_tree_lock);
	reparent_children_locked(p, &o);
	parent = p->parent;
	sig = p->exit_signal;
	if (parent) {
		process_get(parent);
		/* SIGCHLD ignored or SA_NOCLDWAIT: nobody will wait for p, so
		 * it leaves the children list before anyone sees it a zombie. */
		autoreap = signal_parent_autoreaps(parent, p->exit_signal);
		if (autoreap) {
			list_del(&p->sibling);
			p->parent = NULL;
		}
	}
	WRITE_ONCE(p->zombie, true);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	wake_up_all(&p->exit_wait); /* pidfds */

	orphans_finish(&o);
	if (parent) {
		signal_notify_exit(parent, p, sig); /* the exit signal, wait4's wake-up */
		process_put(parent);
	}
	if (autoreap) {
		process_unhash(p);
		process_put(p); /* the parent's reference; our task holds another */
	}
}

void task_exit(int status)
{
	struct task *self = current;
	struct process *p = self->proc;
	unsigned long flags;
	bool last;

	kcov_task_exit(self);
	if (!self->is_kthread) {
		futex_exit_robust_list(self); /* before the joiner may run */
		clear_child_tid(self);
		vfork_complete(self); /* Linux's mm_release: every thread */
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
			sched_wakeup_kill(t); /* killable and stopped sleepers too */
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
