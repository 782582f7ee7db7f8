/*
 * Signals: handler tables, sending (pending sets and siginfo queues), the
 * side effects of sending SIGCONT/stop signals/fatal signals, and dequeue.
 * Delivery on the way to user mode is signal_deliver.c; syscalls are
 * signal_sys.c.
 *
 * Lock: sighand->lock guards action[]; p->lock guards p->shared_pending,
 * p->sigqueue, p->nr_queued, the group-stop fields and the pending/blocked
 * sets and queues of p's threads. Order: proc_tree_lock -> p->lock ->
 * sighand->lock -> rq lock. Every lock is taken irqsave, so the kernel-
 * originated senders (send_signal_*; no allocation) work from interrupts.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/vfs.h>
#include "signal_internal.h"

enum sig_default sig_default_action(int signo)
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

/* The console's ^C/^Z/^\ in ISIG mode (interrupt context). */
static void tty_isig(pid_t pgrp, int sig)
{
	send_signal_pgrp(pgrp, sig);
}

struct sighand *sighand_create(void)
{
	struct sighand *sh = kzalloc(sizeof(*sh));
	if (!sh)
		return NULL;
	ref_init(&sh->ref);
	spin_init(&sh->lock, "sighand");
	/* Installed with the first user process's table (no init hook here). */
	if (!READ_ONCE(tty_isig_hook))
		WRITE_ONCE(tty_isig_hook, tty_isig);
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

	/* The alternate stack lived in the old address space. */
	current->sas_sp = 0;
	current->sas_size = 0;
	current->sas_flags = SS_DISABLE;
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

struct k_sigaction sig_action_of(struct process *p, int signo)
{
	struct sighand *sh = p->sighand;
	struct k_sigaction ka = { 0 };

	if (!sh)
		return ka;
	guard_irqsave(&sh->lock);
	return sh->action[signo - 1];
}

static uintptr_t handler_of(struct process *p, int signo)
{
	return sig_action_of(p, signo).handler;
}

bool sig_ignored(uintptr_t handler, int signo)
{
	if (signo == SIGKILL || signo == SIGSTOP)
		return false;
	return handler == SIG_IGN ||
	       (handler == SIG_DFL && sig_default_action(signo) == SIGDFL_IGNORE);
}

static bool sig_fatal(uintptr_t handler, int signo)
{
	return signo == SIGKILL || (handler == SIG_DFL && sig_default_action(signo) == SIGDFL_TERM);
}

/* --- queues --- */

void signal_flush_queue(struct list_head *q)
{
	struct sigqueue *e, *n;

	if (!q->next) /* never initialised (static tasks) */
		return;
	list_for_each_entry_safe(e, n, q, node) {
		list_del(&e->node);
		kfree(e);
	}
}

/* Drop every pending instance of the signals in mask from p. Caller holds
 * p->lock. Freed entries go to *freed (freed after unlock). */
static void discard_locked(struct process *p, uint64_t mask, struct list_head *freed)
{
	struct sigqueue *e, *n;
	struct task *t;

	p->shared_pending.sig[0] &= ~mask;
	list_for_each_entry_safe(e, n, &p->sigqueue, node)
		if (mask & sig_bit(e->info.si_signo)) {
			list_move_tail(&e->node, freed);
			p->nr_queued--;
		}
	list_for_each_entry(t, &p->threads, thread_node) {
		t->pending.sig[0] &= ~mask;
		list_for_each_entry_safe(e, n, &t->sigqueue, node)
			if (mask & sig_bit(e->info.si_signo)) {
				list_move_tail(&e->node, freed);
				p->nr_queued--;
			}
	}
}

/* --- sending --- */

void signal_wake_task(struct task *t)
{
	sched_wakeup_interruptible(t);
}

void signal_wake_stopped_locked(struct process *p)
{
	struct task *t;

	list_for_each_entry(t, &p->threads, thread_node)
		sched_wakeup_stopped(t);
}

#define STOP_MASK (sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU))

/*
 * Post signo to p (t == NULL: process-directed). info NULL: SI_KERNEL, and
 * no allocation (interrupt-safe). Caller holds nothing.
 */
static int post_signal(struct process *p, struct task *t, int signo,
		       const struct user_siginfo *info)
{
	struct sigqueue *q = NULL;
	LIST_HEAD(freed);
	bool fatal;
	uintptr_t handler;
	struct task *it;
	int ret = 0;

	if (signo == 0)
		return 0;
	if (p == &kernel_process || READ_ONCE(p->zombie))
		return 0;
	handler = handler_of(p, signo);
	fatal = sig_fatal(handler, signo);
	if (info) {
		q = kmalloc(sizeof(*q));
		if (q)
			q->info = *info;
	}

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		sigset_t *pending = t ? &t->pending : &p->shared_pending;
		struct list_head *queue = t ? &t->sigqueue : &p->sigqueue;
		bool blocked;

		/* SIGCONT (and SIGKILL) end a stop; a stop signal cancels SIGCONT. */
		if (signo == SIGCONT || signo == SIGKILL) {
			discard_locked(p, STOP_MASK, &freed);
			if (p->stopped) {
				p->stopped = false;
				if (signo == SIGCONT) {
					/* The parent is told by a thread of p once it
					 * runs (signal_deliver.c): senders may hold
					 * proc_tree_lock (kill of a group). */
					p->wait_report = CLD_CONTINUED;
					p->cont_notify = true;
				}
				signal_wake_stopped_locked(p);
			}
		} else if (sig_is_stop(signo)) {
			discard_locked(p, sig_bit(SIGCONT), &freed);
		}

		if (t) {
			blocked = t->blocked.sig[0] & sig_bit(signo);
		} else {
			blocked = !list_empty(&p->threads);
			list_for_each_entry(it, &p->threads, thread_node)
				if (!(it->blocked.sig[0] & sig_bit(signo)))
					blocked = false;
		}
		if (signo == SIGKILL)
			blocked = false;
		if (sig_ignored(handler, signo) && !blocked)
			break;

		if (sig_is_rt(signo)) {
			/* Every instance queues, with its siginfo. */
			if (q && p->nr_queued < (int)p->rlim[RLIMIT_SIGPENDING].rlim_cur) {
				list_add_tail(&q->node, queue);
				p->nr_queued++;
				q = NULL;
			} else if (info) {
				ret = -EAGAIN;
				break;
			}
		} else if (!(pending->sig[0] & sig_bit(signo)) && q) {
			list_add_tail(&q->node, queue);
			p->nr_queued++;
			q = NULL;
		}
		pending->sig[0] |= sig_bit(signo);

		fatal = fatal && !blocked;
		/* A fatal signal ends the whole process now, like Linux's group exit. */
		if (fatal && !p->exiting) {
			p->exiting = true;
			p->exit_status = signo;
		}
		list_for_each_entry(it, &p->threads, thread_node) {
			if (fatal) {
				sched_wakeup_stopped(it);
				signal_wake_task(it);
			} else if (it == t || (!t && !(it->blocked.sig[0] & sig_bit(signo)))) {
				signal_wake_task(it);
			}
		}
	}
	if (q)
		kfree(q);
	signal_flush_queue(&freed);
	return ret;
}

int send_signal_process(struct process *p, int signo)
{
	return post_signal(p, NULL, signo, NULL);
}

int send_signal_task(struct task *t, int signo)
{
	return post_signal(t->proc, t, signo, NULL);
}

int send_signal_info(struct process *p, struct task *t, int signo,
		     const struct user_siginfo *info)
{
	struct user_siginfo ki;

	if (!info) {
		memset(&ki, 0, sizeof(ki));
		ki.si_signo = signo;
		ki.si_code = SI_KERNEL;
		info = &ki;
	}
	return post_signal(p, t, signo, info);
}

struct pgrp_query {
	pid_t pgid;
	int signo;
	int found;
};

static int pgrp_one(struct process *p, void *arg)
{
	struct pgrp_query *q = arg;

	if (p->pgid != q->pgid)
		return 0;
	q->found++;
	post_signal(p, NULL, q->signo, NULL);
	return 0;
}

int send_signal_pgrp(pid_t pgid, int signo)
{
	struct pgrp_query q = { .pgid = pgid, .signo = signo };

	process_for_each(pgrp_one, &q);
	return q.found ? 0 : -ESRCH;
}


void signal_notify_parent(struct process *child, int sig, int code, int status)
{
	struct process *parent;
	struct user_siginfo si;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 })) {
		parent = child->parent;
		if (parent)
			process_get(parent);
	}
	if (!parent)
		return;
	if (sig && sig_valid(sig)) {
		struct k_sigaction ka = sig_action_of(parent, sig);
		bool nocldstop = (code == CLD_STOPPED || code == CLD_CONTINUED) &&
				 (ka.flags & SA_NOCLDSTOP);
		if (!nocldstop) {
			memset(&si, 0, sizeof(si));
			si.si_signo = sig;
			si.si_code = code;
			si.chld.pid = child->pid;
			si.chld.uid = child->uid;
			si.chld.status = status;
			post_signal(parent, NULL, sig, &si);
		}
	}
	wake_up_all(&parent->child_wait);
	process_put(parent);
}

/* --- dequeue --- */

uint64_t signal_deliverable_mask(struct task *self)
{
	struct process *p = self->proc;
	return (READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0])) &
	       ~(READ_ONCE(self->blocked.sig[0]) & ~SIG_UNBLOCKABLE);
}

/* Take signo's first queued siginfo from queue; clear the pending bit when
 * no instance is left. Caller holds p->lock. */
static void take_locked(struct process *p, sigset_t *pending, struct list_head *queue, int signo,
			struct user_siginfo *info, struct sigqueue **freed)
{
	struct sigqueue *e, *found = NULL;
	bool more = false;

	list_for_each_entry(e, queue, node) {
		if (e->info.si_signo != signo)
			continue;
		if (found) {
			more = true;
			break;
		}
		found = e;
	}
	if (found) {
		*info = found->info;
		list_del(&found->node);
		p->nr_queued--;
		*freed = found;
	} else {
		memset(info, 0, sizeof(*info));
		info->si_signo = signo;
		info->si_code = SI_KERNEL;
	}
	if (!more)
		pending->sig[0] &= ~sig_bit(signo);
}

/* No ctz instruction on rv64imac (libgcc is not linked): scan. */
static int lowest_signal(uint64_t bits)
{
	int signo = 1;

	while (!(bits & 1)) {
		bits >>= 1;
		signo++;
	}
	return signo;
}

int signal_dequeue(struct task *self, uint64_t allowed, struct user_siginfo *info)
{
	struct process *p = self->proc;
	struct sigqueue *freed = NULL;
	int signo = 0;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		uint64_t bits = self->pending.sig[0] & allowed;
		if (bits) {
			signo = lowest_signal(bits);
			take_locked(p, &self->pending, &self->sigqueue, signo, info, &freed);
			break;
		}
		bits = p->shared_pending.sig[0] & allowed;
		if (bits) {
			signo = lowest_signal(bits);
			take_locked(p, &p->shared_pending, &p->sigqueue, signo, info, &freed);
		}
	}
	if (freed)
		kfree(freed);
	return signo;
}
