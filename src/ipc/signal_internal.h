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
/* True when a signal with this handler is thrown away on arrival. */
bool sig_ignored(uintptr_t handler, int signo);
static inline bool sig_is_stop(int signo)
{
	return sig_default_action(signo) == SIGDFL_STOP;
}
static inline bool sig_is_rt(int signo) { return signo >= SIGRTMIN; }

/* Take the lowest pending signal in allowed (thread queue first, then the
 * process's) with its siginfo. Return signo, or 0 when none. Takes p->lock. */
int signal_dequeue(struct task *self, uint64_t allowed, struct user_siginfo *info);
/* Unblocked pending signals of self (racy snapshot). */
uint64_t signal_deliverable_mask(struct task *self);
/* Wake every thread of p that sleeps in TASK_STOPPED. Caller holds p->lock. */
void signal_wake_stopped_locked(struct process *p);
