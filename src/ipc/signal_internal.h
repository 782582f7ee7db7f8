/*
 * Private to src/ipc/signal*.c: default actions, handler lookup, dequeue.
 * Lock rules as in <ferrite/signal.h>.
 */
#pragma once
#include <ferrite/signal.h>

enum sig_default { SIGDFL_TERM, SIGDFL_IGNORE, SIGDFL_STOP };

enum sig_default sig_default_action(int signo);
/* Snapshot of p's action for signo (takes sighand->lock). */
struct k_sigaction sig_action_of(struct process *p, int signo);
/* Delivery: snapshot p's action for signo into *ka (SIG_DFL for SIGKILL and
 * SIGSTOP) and, when a handler is to run, apply SA_RESETHAND in the same
 * critical section. Return true when a handler runs. Takes sighand->lock. */
bool sig_take_action(struct process *p, int signo, struct k_sigaction *ka);
/* p's handler for signo without the lock: a racy snapshot for checks whose
 * outcome the caller re-validates or may lose to a concurrent sigaction. */
uintptr_t sig_handler_of(struct process *p, int signo);
static inline bool sig_is_stop(int signo)
{
	return sig_default_action(signo) == SIGDFL_STOP;
}
/* True when a signal with this handler is thrown away on arrival. */
static inline bool sig_ignored(uintptr_t handler, int signo)
{
	if (handler == SIG_IGN)
		return signo != SIGKILL && signo != SIGSTOP;
	return handler == SIG_DFL && sig_default_action(signo) == SIGDFL_IGNORE;
}
static inline bool sig_is_rt(int signo) { return signo >= SIGRTMIN; }

/* Queue entries: from a per-CPU cache, else kmalloc (NULL when out of
 * memory); free with sigqueue_free (kfree also works). Interrupt-safe. */
struct sigqueue *sigqueue_alloc(void);
void sigqueue_free(struct sigqueue *q);
/* Drop every pending instance (with its siginfo) of the signals in mask,
 * process- and thread-directed. Takes p->lock. */
void signal_discard(struct process *p, uint64_t mask);
/* kill/tgkill: send signo with the siginfo of a user sender (code SI_USER
 * or SI_TKILL, the caller's pid and uid). As send_signal_info. */
int send_signal_from_user(struct process *p, struct task *t, int signo, int code);

/* Take the lowest pending signal in allowed (thread queue first, then the
 * process's). Return signo, or 0 when none. *entry: its queued siginfo,
 * now the caller's to sigqueue_free, or NULL when none was queued (the
 * signal then reports SI_KERNEL: sig_kernel_info). Takes p->lock. */
int signal_dequeue_entry(struct task *self, uint64_t allowed, struct sigqueue **entry);
/* The same with the siginfo copied to *info. */
int signal_dequeue(struct task *self, uint64_t allowed, struct user_siginfo *info);
/* The siginfo of a signal without a queued one: SI_KERNEL. */
void sig_kernel_info(struct user_siginfo *info, int signo);
/* Set *si to signo and code, every other byte zero. Sixteen plain stores:
 * GCC turns an initialiser or a loop of this size into a memset call, which
 * costs several times as much on riscv64. */
static inline void sig_info_init(struct user_siginfo *si, int signo, int code)
{
	volatile uint64_t *w = (volatile uint64_t *)si;

	_Static_assert(sizeof(*si) == 16 * sizeof(*w), "siginfo words");
#pragma GCC unroll 16
	for (int i = 0; i < 16; i++)
		w[i] = 0;
	si->si_signo = signo;
	si->si_code = code;
}
/* Unblocked pending signals of self (racy snapshot). */
uint64_t signal_deliverable_mask(struct task *self);
/* Wake every thread of p that sleeps in TASK_STOPPED. Caller holds p->lock. */
void signal_wake_stopped_locked(struct process *p);
/* Set the return-to-user work word of every thread of p (after a change
 * of p's signal state they must all look at). Caller holds p->lock. */
void signal_set_work_locked(struct process *p);
