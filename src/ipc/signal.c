/*
 * Signals: handler tables, sending (pending sets and siginfo queues), the
 * side effects of sending SIGCONT/stop signals/fatal signals, and dequeue.
 * Delivery on the way to user mode is signal_deliver.c; syscalls are
 * signal_sys.c.
 *
 * Lock: sighand->lock guards action[]; p->lock guards p->shared_pending,
 * p->sigqueue, p->nr_queued, the group-stop fields and the pending/blocked
 * sets and queues of p's threads. Order: proc_tree_lock -> p->lock ->
 * sighand->lock -> rq lock. Every lock the senders take is irqsave, so the
 * kernel-originated senders (send_signal_*; no allocation) work from
 * interrupts; they read handlers without sighand->lock (sig_handler_of),
 * which is therefore a plain spinlock taken from process context only,
 * holding no other lock (signal.h).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/user_return.h>
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
	guard(spinlock)(&sh->lock);
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
	sighand_clear_handlers(sh);
	return 0;
}

void sighand_clear_handlers(struct sighand *sh)
{
	guard(spinlock)(&sh->lock);
	for (int i = 0; i < NSIG; i++) {
		struct k_sigaction *ka = &sh->action[i];
		if (ka->handler != SIG_IGN)
			ka->handler = SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask.sig[0] = 0;
	}
}

struct k_sigaction sig_action_of(struct process *p, int signo)
{
	struct sighand *sh = p->sighand;
	struct k_sigaction ka = { 0 };

	if (!sh)
		return ka;
	guard(spinlock)(&sh->lock);
	return sh->action[signo - 1];
}

bool sig_take_action(struct process *p, int signo, struct k_sigaction *ka)
{
	struct sighand *sh = p->sighand;
	struct k_sigaction *cur;

	if (!sh) {
		*ka = (struct k_sigaction){ 0 };
		return false;
	}
	cur = &sh->action[signo - 1];
	guard(spinlock)(&sh->lock);
	*ka = *cur;
	if (signo == SIGKILL || signo == SIGSTOP)
		ka->handler = SIG_DFL;
	if (ka->handler == SIG_DFL || ka->handler == SIG_IGN)
		return false;
	if (ka->flags & SA_RESETHAND) {
		cur->handler = SIG_DFL;
		cur->flags &= ~SA_SIGINFO;
	}
	return true;
}

uintptr_t sig_handler_of(struct process *p, int signo)
{
	struct sighand *sh = READ_ONCE(p->sighand);

	return sh ? READ_ONCE(sh->action[signo - 1].handler) : SIG_DFL;
}

static bool sig_fatal(uintptr_t handler, int signo)
{
	return signo == SIGKILL || (handler == SIG_DFL && sig_default_action(signo) == SIGDFL_TERM);
}

/* --- queues --- */

/*
 * Queue entries live from a send to its delivery, usually briefly, so one
 * freed entry is kept for the next send: a signal that is sent and taken
 * over and over costs no allocator round trip (Linux kept a per-task
 * cache for the same reason). The slot is shared by every CPU and taken
 * and filled with atomic exchanges (senders run in interrupts too); one
 * slot, not one per CPU, so the leak counters see at most one cached
 * entry whichever CPUs ran. Cached entries are ordinary kmalloc blocks.
 */
static struct sigqueue *sigqueue_cache;

struct sigqueue *sigqueue_alloc(void)
{
	struct sigqueue *q = __atomic_exchange_n(&sigqueue_cache, NULL, __ATOMIC_ACQUIRE);

	return q ? q : kmalloc(sizeof(*q));
}

void sigqueue_free(struct sigqueue *q)
{
	struct sigqueue *empty = NULL;

	if (!__atomic_compare_exchange_n(&sigqueue_cache, &empty, q, false, __ATOMIC_RELEASE,
					 __ATOMIC_RELAXED))
		kfree(q);
}

void signal_flush_queue(struct list_head *q)
{
	struct sigqueue *e, *n;

	if (!q->next) /* never initialised (static tasks) */
		return;
	list_for_each_entry_safe(e, n, q, node) {
		list_del(&e->node);
		sigqueue_free(e);
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

void signal_discard(struct process *p, uint64_t mask)
{
	LIST_HEAD(freed);

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 }))
		discard_locked(p, mask, &freed);
	signal_flush_queue(&freed);
}

/* --- sending --- */

void signal_wake_task(struct task *t)
{
	/* Only an interruptible sleeper needs the scheduler (a running target,
	 * often the sender itself, sees the signal on its way to user mode).
	 * The fence orders the caller's pending-set store before the state
	 * load; the sleeper stores its state before checking for signals. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(t->state) & TASK_INTERRUPTIBLE)
		sched_wakeup_interruptible(t);
}

void signal_wake_stopped_locked(struct process *p)
{
	struct task *t;

	list_for_each_entry(t, &p->threads, thread_node)
		sched_wakeup_stopped(t);
}

void signal_set_work_locked(struct process *p)
{
	struct task *t;

	list_for_each_entry(t, &p->threads, thread_node)
		task_set_work(t);
}

void signal_mask_changed(struct task *self)
{
	if (signal_deliverable_mask(self))
		task_set_work(self);
}

#define STOP_MASK (sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU))

/* Is signo blocked by t, or (t == NULL) by every thread of p? SIGKILL never
 * is. Caller holds p->lock. */
static bool blocked_locked(struct process *p, struct task *t, int signo)
{
	struct task *it;

	if (signo == SIGKILL)
		return false;
	if (t)
		return t->blocked.sig[0] & sig_bit(signo);
	list_for_each_entry(it, &p->threads, thread_node)
		if (!(it->blocked.sig[0] & sig_bit(signo)))
			return false;
	return !list_empty(&p->threads);
}

/*
 * Post signo to p (t == NULL: process-directed). q: the siginfo entry to
 * queue (taken over), or NULL: none, so the delivery reports SI_KERNEL.
 * with_info: a siginfo was meant to go with the signal, so a real-time
 * signal that cannot be queued fails with -EAGAIN. Without info nothing is
 * allocated (interrupt-safe). Caller holds nothing.
 */
static int post_signal(struct process *p, struct task *t, int signo, struct sigqueue *q,
		       bool with_info)
{
	LIST_HEAD(freed);
	bool fatal, ignored;
	uintptr_t handler;
	struct task *it;
	int ret = 0;

	if (signo == 0 || p == &kernel_process || READ_ONCE(p->zombie)) {
		if (q)
			sigqueue_free(q);
		return 0;
	}
	/* A racy snapshot, as the lock would be dropped before the use anyway. */
	handler = sig_handler_of(p, signo);
	fatal = sig_fatal(handler, signo);
	ignored = sig_ignored(handler, signo);
	/* Init gets no signal it has no handler for, SIGKILL included (Linux's
	 * SIGNAL_UNKILLABLE): its death would take the machine down. A blocked
	 * one waits, and delivery drops it (signal_deliver.c). Faults do not
	 * come here (trap_user_signal). */
	if (unlikely(handler == SIG_DFL) && p == init_process()) {
		fatal = false;
		ignored = true;
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
					/* Whichever thread runs first tells. */
					signal_set_work_locked(p);
				}
				signal_wake_stopped_locked(p);
			}
		} else if (sig_is_stop(signo)) {
			discard_locked(p, sig_bit(SIGCONT), &freed);
		}

		/* Only an ignored or a fatal signal cares whether it is blocked. */
		blocked = (ignored || fatal) && blocked_locked(p, t, signo);
		if (ignored && !blocked)
			break;

		if (sig_is_rt(signo)) {
			/* Every instance queues, with its siginfo. */
			if (q && p->nr_queued < (int)p->rlim[RLIMIT_SIGPENDING].rlim_cur) {
				list_add_tail(&q->node, queue);
				p->nr_queued++;
				q = NULL;
			} else if (with_info) {
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
		/* The work words follow the pending bit and p->exiting: every
		 * thread that may take the signal looks on its next return to
		 * user (all of them for a process-directed one: a thread that
		 * blocks signo finds nothing and clears its word again). */
		list_for_each_entry(it, &p->threads, thread_node) {
			if (fatal || !t || it == t)
				task_set_work(it);
			if (fatal) {
				sched_wakeup_kill(it);
			} else if (it == t ||
				   (!t && (!(it->blocked.sig[0] & sig_bit(signo)) ||
					   (it->sigwait.sig[0] & sig_bit(signo))))) {
				/* A thread in rt_sigtimedwait for signo takes it
				 * although it blocks it. */
				signal_wake_task(it);
			}
		}
	}
	if (q)
		sigqueue_free(q);
	signal_flush_queue(&freed);
	if (waitqueue_active(&p->signalfd_wait))
		wake_up_all(&p->signalfd_wait);
	return ret;
}

int send_signal_process(struct process *p, int signo)
{
	return post_signal(p, NULL, signo, NULL, false);
}

int send_signal_task(struct task *t, int signo)
{
	return post_signal(t->proc, t, signo, NULL, false);
}

int send_signal_info(struct process *p, struct task *t, int signo,
		     const struct user_siginfo *info)
{
	struct sigqueue *q = signo ? sigqueue_alloc() : NULL;

	if (q && info) {
		q->info = *info;
	} else if (q) {
		sig_info_init(&q->info, signo, SI_KERNEL);
	}
	return post_signal(p, t, signo, q, true);
}

int send_signal_from_user(struct process *p, struct task *t, int signo, int code)
{
	struct process *self = current->proc;
	/* The siginfo is built in its queue entry: no copy. */
	struct sigqueue *q = signo ? sigqueue_alloc() : NULL;

	if (q) {
		sig_info_init(&q->info, signo, code);
		q->info.kill.pid = self->pid;
		q->info.kill.uid = self->uid;
	}
	return post_signal(p, t, signo, q, true);
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
	post_signal(p, NULL, q->signo, NULL, false);
	return 0;
}

int send_signal_pgrp(pid_t pgid, int signo)
{
	struct pgrp_query q = { .pgid = pgid, .signo = signo };

	process_for_each(pgrp_one, &q);
	return q.found ? 0 : -ESRCH;
}


/* Send sig (CLD_* code, status) about child to parent and wake its wait4. */
static void notify_parent(struct process *parent, struct process *child, int sig, int code,
			  int status)
{
	struct user_siginfo si;

	if (sig && sig_valid(sig)) {
		struct k_sigaction ka = sig_action_of(parent, sig);
		bool nocldstop = (code == CLD_STOPPED || code == CLD_CONTINUED) &&
				 (ka.flags & SA_NOCLDSTOP);
		/* Ignored by default is not discarded yet: a parent that blocks
		 * SIGCHLD takes it with sigwait or a signalfd (post_signal drops
		 * it when unblocked). Only an explicit SIG_IGN goes here. */
		if (!nocldstop && ka.handler != SIG_IGN) {
			memset(&si, 0, sizeof(si));
			si.si_signo = sig;
			si.si_code = code;
			si.chld.pid = child->pid;
			si.chld.uid = child->uid;
			si.chld.status = status;
			send_signal_info(parent, NULL, sig, &si);
		}
	}
	wake_up_all(&parent->child_wait);
}

void signal_notify_parent(struct process *child, int sig, int code, int status)
{
	struct process *parent;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 })) {
		parent = child->parent;
		if (parent)
			process_get(parent);
	}
	if (!parent)
		return;
	notify_parent(parent, child, sig, code, status);
	process_put(parent);
}

void signal_notify_exit(struct process *parent, struct process *child, int sig)
{
	int st = child->exit_status;

	if (st & 0x7f)
		notify_parent(parent, child, sig, CLD_KILLED, st & 0x7f);
	else
		notify_parent(parent, child, sig, CLD_EXITED, (st >> 8) & 0xff);
}

bool signal_parent_autoreaps(struct process *parent, int exit_signal)
{
	struct sighand *sh = READ_ONCE(parent->sighand);
	const struct k_sigaction *ka;

	if (exit_signal != SIGCHLD || !sh)
		return false;
	ka = &sh->action[SIGCHLD - 1];
	return READ_ONCE(ka->handler) == SIG_IGN || (READ_ONCE(ka->flags) & SA_NOCLDWAIT);
}

/* --- dequeue --- */

uint64_t signal_deliverable_mask(struct task *self)
{
	struct process *p = self->proc;
	return (READ_ONCE(self->pending.sig[0]) | READ_ONCE(p->shared_pending.sig[0])) &
	       ~(READ_ONCE(self->blocked.sig[0]) & ~SIG_UNBLOCKABLE);
}

/* Take signo's first queued siginfo entry from queue into *taken (NULL when
 * none is queued); clear the pending bit when no instance is left. Caller
 * holds p->lock. */
static void take_locked(struct process *p, sigset_t *pending, struct list_head *queue, int signo,
			struct sigqueue **taken)
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
		list_del(&found->node);
		p->nr_queued--;
	}
	*taken = found;
	if (!more)
		pending->sig[0] &= ~sig_bit(signo);
}

/*
 * The lowest signal in bits (not 0). rv64imac has no ctz instruction and
 * libgcc is not linked, so a de Bruijn sequence finds the bit's index: the
 * isolated lowest bit times the sequence has a distinct top 6 bits for each
 * bit position, which the table maps back to the position.
 */
static int lowest_signal(uint64_t bits)
{
	static const uint8_t index_of[64] = {
		0, 1, 2, 53, 3, 7, 54, 27, 4, 38, 41, 8, 34, 55, 48, 28,
		62, 5, 39, 46, 44, 42, 22, 9, 24, 35, 59, 56, 49, 18, 29, 11,
		63, 52, 6, 26, 37, 40, 33, 47, 61, 45, 43, 21, 23, 58, 17, 10,
		51, 25, 36, 32, 60, 20, 57, 16, 50, 31, 19, 15, 30, 14, 13, 12,
	};
	const uint64_t de_bruijn = 0x022fdd63cc95386dULL;

	return index_of[((bits & -bits) * de_bruijn) >> 58] + 1;
}

int signal_dequeue_entry(struct task *self, uint64_t allowed, struct sigqueue **entry)
{
	struct process *p = self->proc;
	int signo = 0;

	*entry = NULL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		uint64_t bits = self->pending.sig[0] & allowed;
		if (bits) {
			signo = lowest_signal(bits);
			take_locked(p, &self->pending, &self->sigqueue, signo, entry);
			break;
		}
		bits = p->shared_pending.sig[0] & allowed;
		if (bits) {
			signo = lowest_signal(bits);
			take_locked(p, &p->shared_pending, &p->sigqueue, signo, entry);
		}
	}
	return signo;
}

void sig_kernel_info(struct user_siginfo *info, int signo)
{
	sig_info_init(info, signo, SI_KERNEL);
}

int signal_dequeue(struct task *self, uint64_t allowed, struct user_siginfo *info)
{
	struct sigqueue *entry;
	int signo = signal_dequeue_entry(self, allowed, &entry);

	if (entry) {
		*info = entry->info;
		sigqueue_free(entry);
	} else if (signo) {
		sig_kernel_info(info, signo);
	}
	return signo;
}
