/*
 * Kernel signal state (src/ipc/signal.c).
 *
 * A process owns a refcounted struct sighand (64 handlers, shared with
 * CLONE_SIGHAND) and a shared pending set; every thread owns its blocked mask
 * and its thread-directed pending set (struct task).
 * Lock: sighand->lock guards action[]; process->lock guards shared_pending
 * and every thread's pending/blocked sets of that process.
 *
 * Missing for now (a later issue): user handlers (frames, rt_sigreturn),
 * siginfo queues for real-time signals, stop/continue, SIGCHLD to parents.
 * A caught signal stays pending and does not interrupt sleeps.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/task.h>
#include <uapi/signal.h>

struct k_sigaction {
	uintptr_t handler; /* SIG_DFL, SIG_IGN or a user address */
	unsigned long flags;
	uintptr_t restorer;
	sigset_t mask;
};

struct sighand {
	struct ref ref;
	struct spinlock lock;
	struct k_sigaction action[NSIG]; /* Lock: lock; index signo - 1 */
};

static inline uint64_t sig_bit(int signo) { return 1ULL << (signo - 1); }
static inline bool sig_valid(int signo) { return signo >= 1 && signo <= NSIG; }
#define SIG_UNBLOCKABLE (sig_bit(SIGKILL) | sig_bit(SIGSTOP))

/* Return: new handler table, every action SIG_DFL, or NULL. */
struct sighand *sighand_create(void);
/* Return: a copy of sh (fork without CLONE_SIGHAND), or NULL. */
struct sighand *sighand_copy(struct sighand *sh);
void sighand_get(struct sighand *sh);
void sighand_put(struct sighand *sh);
/* execve: caught signals go back to SIG_DFL (ignored ones stay ignored).
 * Unshares first; may replace p->sighand. 0 or -ENOMEM. */
int sighand_exec_reset(struct process *p);

/* Send signo to a process / one thread from the kernel (si_code SI_KERNEL).
 * Signal 0 only checks. Return 0. */
int send_signal_process(struct process *p, int signo);
int send_signal_task(struct task *t, int signo);
/* Wake t if it sleeps interruptibly, so it notices a signal or a kill. */
void signal_wake_task(struct task *t);

/* On the way back to user mode: act on deliverable signals (default actions;
 * may not return). Interrupts may be enabled. */
void signal_deliver_current(struct trap_frame *tf);
/* Map -ERESTARTSYS and friends to what user space sees (-EINTR for now). */
long signal_fixup_syscall_return(long ret);
