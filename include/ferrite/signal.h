/*
 * Kernel signal state and delivery (src/ipc/signal*.c).
 *
 * A process owns a refcounted struct sighand (64 handlers, shared with
 * CLONE_SIGHAND), a shared pending set and its siginfo queue; every thread
 * owns its blocked mask, its thread-directed pending set and queue, and its
 * sigaltstack (struct task). Standard signals coalesce (one queued siginfo
 * at most); real-time signals (32..64) queue every instance.
 * Lock: sighand->lock guards action[]; process->lock guards shared_pending,
 * the queues, the group-stop fields and every thread's pending/blocked sets
 * of that process. Order: proc_tree_lock -> p->lock -> sighand->lock ->
 * rq lock. All but sighand->lock are irqsave: tty_isig_hook sends from
 * interrupts. sighand->lock is a plain spinlock because senders never take
 * it (they read the handler with one racy load, sig_handler_of); only
 * process context does, and holding no other lock: with interrupts on, a
 * holder may be interrupted by a sender taking p->lock, so a CPU waiting
 * for sighand->lock while holding p->lock could deadlock.
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
/* Every caught signal back to SIG_DFL (ignored ones stay ignored), flags
 * and masks cleared: exec and clone3's CLONE_CLEAR_SIGHAND. */
void sighand_clear_handlers(struct sighand *sh);

/* One queued siginfo. */
struct sigqueue {
	struct list_head node;
	struct user_siginfo info;
};

/* Send signo to a process / one thread from the kernel (si_code SI_KERNEL).
 * Signal 0 only checks. Return 0. Callable from interrupt context. */
int send_signal_process(struct process *p, int signo);
int send_signal_task(struct task *t, int signo);
/* Send with a siginfo (copied; NULL = SI_KERNEL). t == NULL: to the
 * process. Return 0, or -EAGAIN when a real-time signal cannot be queued
 * (RLIMIT_SIGPENDING or no memory). May allocate: not from interrupts. */
int send_signal_info(struct process *p, struct task *t, int signo,
		     const struct user_siginfo *info);
/* Send signo to every process of group pgid (SI_KERNEL). Interrupt-safe.
 * Return 0 or -ESRCH. */
int send_signal_pgrp(pid_t pgid, int signo);
/* A child stopped, continued or exited: signal sig (SIGCHLD; 0 = none) to
 * its parent (not for stop/continue under SA_NOCLDSTOP) and wake the
 * parent's wait4. code is CLD_*; status the signal or exit code. Caller
 * holds no locks. */
void signal_notify_parent(struct process *child, int sig, int code, int status);
/* child (a zombie now) exited: send sig (its exit signal; 0 or an invalid
 * one: none) with CLD_EXITED/CLD_KILLED to parent, unless parent ignores
 * SIGCHLD, and wake parent's wait4. Caller holds no locks, and a reference
 * on parent. */
void signal_notify_exit(struct process *parent, struct process *child, int sig);
/* True when parent does not wait for a child with this exit signal: it is
 * SIGCHLD and parent set SIGCHLD to SIG_IGN or SA_NOCLDWAIT (Linux's
 * autoreap). A lock-free snapshot: callable under proc_tree_lock. */
bool signal_parent_autoreaps(struct process *parent, int exit_signal);
/* Free every entry of a sigqueue list (task/process release). */
void signal_flush_queue(struct list_head *q);
/* exec: map the sigreturn trampoline page (riscv64) into the new mm at
 * mm->stack_top. Return 0 or -errno. */
struct mm;
int signal_exec_map_trampoline(struct mm *mm);
/* Wake t if it sleeps interruptibly, so it notices a signal or a kill. */
void signal_wake_task(struct task *t);
/* The current task changed its own blocked mask (outside signal*.c:
 * ppoll/pselect putting the old mask back): when that unblocks a pending
 * signal, its next return to user delivers it (user_return.h). */
void signal_mask_changed(struct task *self);

/*
 * ppoll/pselect6/epoll_pwait: install the caller's temporary mask (umask
 * NULL: none). Return 1 when installed, 0 for none, or -errno. Then
 * sigmask_end_temporary(the call's result) once the wait is over (only
 * after a 1).
 */
long sigmask_begin_temporary(const sigset_t __user *umask, size_t size);
void sigmask_end_temporary(long ret);

/* trap_exit_to_user: true when signal_deliver_current has work (a signal
 * to act on, a group stop, or a syscall restart code to resolve). */
bool signal_work_pending(struct trap_frame *tf);
/* On the way back to user mode: stop for a group stop, run default
 * actions (may not return), build handler frames, resolve -ERESTART*
 * codes of the interrupted syscall. Interrupts enabled. */
void signal_deliver_current(struct trap_frame *tf);
