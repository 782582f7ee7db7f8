/*
 * Processes (PCB) and threads (TCB). Owned by src/proc.
 *
 * A struct process owns what its threads share: address space, file table,
 * fs context (cwd), signal handlers, children. A struct task is one thread:
 * kernel stack, saved context, signal mask. Both are refcounted.
 * Lock order: proc_tree_lock -> process->lock -> task->lock.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>
#include <ferrite/ktimer.h>
#include <ferrite/sched.h>
#include <hal/hal_arch_types.h>
#include <uapi/resource.h>
#include <ferrite/cred.h>
#include <ferrite/lockdep.h>

struct mm;
struct fd_table;
struct file;
struct fs_context;
struct sighand;
struct kcov;

/* A parent thread sleeping in vfork until the new task execs or exits
 * (lives on the parent's kernel stack). */
struct vfork_done {
	struct waitqueue wq;
	bool done; /* Lock: wq.lock */
};

/* One interval timer (src/proc/itimer.c). ITIMER_REAL: value_ns is the
 * monotonic expiry time; VIRTUAL/PROF: the CPU time left. 0: disarmed. */
struct itimer {
	uint64_t value_ns;
	uint64_t interval_ns;
};
#define ITIMER_COUNT 3

#define TASK_COMM_LEN 16
#define KSTACK_ORDER 2 /* 16 KiB kernel stacks */
#define KSTACK_SIZE (PAGE_SIZE << KSTACK_ORDER)

typedef struct {
	uint64_t sig[1]; /* bit (n-1) is signal n, n = 1..64 */
} sigset_t;

struct process {
	struct ref ref;
	struct spinlock lock;
	pid_t pid; /* == tid of the first thread */
	pid_t pgid, sid;
	/* Credentials (ferrite/cred.h, src/proc/cred.c). Lock: lock */
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	struct group_info *groups; /* reference; NULL: none. Lock: lock */

	struct process *parent;      /* Lock: proc_tree_lock */
	/* parent->pid, for lock-free getppid: written with proc_tree_lock
	 * held wherever parent changes, read with READ_ONCE. */
	pid_t ppid;
	struct list_head children;   /* Lock: proc_tree_lock */
	struct list_head sibling;    /* Lock: proc_tree_lock */
	struct waitqueue child_wait; /* wait4 sleeps here */
	struct waitqueue signalfd_wait; /* signalfd readers: woken by every signal posted */
	struct waitqueue exit_wait;  /* pidfd pollers: woken when p becomes a zombie */

	struct list_head threads; /* Lock: lock */
	int nr_threads;           /* Lock: lock */

	struct mm *mm;              /* reference; replaced by execve */
	struct fd_table *files;     /* reference (shared with CLONE_FILES) */
	struct fs_context *fs;      /* reference (shared with CLONE_FS) */
	struct sighand *sighand;    /* reference (shared with CLONE_SIGHAND) */
	sigset_t shared_pending;    /* Lock: lock */
	/* Signal state owned by src/ipc/signal*.c (see ferrite/signal.h). */
	struct list_head sigqueue;  /* siginfo of shared_pending; Lock: lock */
	int nr_queued;              /* sigqueue entries of p and its threads; Lock: lock */
	bool stopped;               /* group stop in force; Lock: lock */
	int stop_signo;             /* signal that stopped it; Lock: lock */
	int wait_report;            /* CLD_STOPPED/CLD_CONTINUED not yet waited; Lock: lock */
	bool cont_notify;           /* SIGCHLD for CLD_CONTINUED still owed; Lock: lock */

	struct list_head hash_node; /* pid table; Lock: pid_lock */
	struct list_head all_node;  /* every process; Lock: proc_tree_lock */
	/* clone's low byte (SIGCHLD for fork); the caller's own with
	 * CLONE_PARENT; back to SIGCHLD when re-parented (nobody else asked
	 * for another signal). Lock: proc_tree_lock once published. */
	int exit_signal;
	/* prctl(PR_SET_CHILD_SUBREAPER): orphans of descendants come here
	 * instead of init. Lock: proc_tree_lock. */
	bool child_subreaper;
	struct itimer itimer[ITIMER_COUNT]; /* Lock: itimer_lock (itimer.c) */
	struct ktimer real_timer;           /* fires ITIMER_REAL (itimer.c) */
	struct rlimit64 rlim[RLIM_NLIMITS]; /* Lock: lock */
	struct posix_timers *timers; /* timer_create's table, made on first use (posix_timer.c) */
	unsigned personality; /* personality(2): PER_LINUX plus flags; inherited by fork */
	unsigned membarrier_registered; /* membarrier(2) registrations (atomic); fork keeps them */
	/* setpriority(2)'s nice value, -20..19, inherited by fork; read and
	 * written with READ_ONCE/WRITE_ONCE (sys_priority.c). The scheduler
	 * does not weigh it yet. */
	int nice;
	/* prctl(PR_SET_PDEATHSIG): sent to p when its parent exits; 0 = none;
	 * fork clears it. Lock: proc_tree_lock for the sender, READ_ONCE. */
	int pdeath_signal;

	bool exiting;    /* exit_group started: threads leave at user return */
	bool zombie;     /* all threads gone; waiting for wait4 */
	int exit_status; /* wait status as Linux encodes it */
	uint64_t utime_ns, stime_ns;   /* of the whole process, by the tick */
	uint64_t cutime_ns, cstime_ns; /* of reaped children */
	uint64_t start_ns;
	char comm[TASK_COMM_LEN];
	/* The program's absolute path, final symlinks followed (the
	 * interpreter for a #! script), for /proc/PID/exe; "" before exec.
	 * Lock: lock (exec writes it, procfs reads it). */
	char exe[256];
};

struct task {
	/* First, at the same offset in every build: riscv64's trap.S reads it
	 * (TASK_KSTACK, checked in trap.c). */
	void *kstack;         /* KSTACK_SIZE bytes above a guard page (task.c) */
	struct ref ref;
	struct spinlock lock;
#ifdef FERRITE_DEBUG
	struct lockdep_task ld; /* mutexes held (src/lib/lockdep.c); this task */
#endif
	pid_t tid;
	struct process *proc; /* reference */
	int state;            /* enum task_state */
	int on_cpu;           /* -1 when not running; Lock: run queue lock */
	int cpu;              /* run queue it belongs to; Lock: that queue's lock */
	bool on_rq;           /* Lock: run queue lock */
	/* The switch away from this task is finished (its registers are saved):
	 * another CPU may run it. Cleared by switch_locked, set (release) by
	 * the next task's sched_finish_switch. */
	bool switched_out;
	unsigned long cpus_allowed; /* sched_setaffinity mask; Lock: run queue lock */
	/* Scheduling class (src/proc/sys_sched.c, docs/scheduler.md): the
	 * SCHED_* policy, the real-time priority (1..99 for SCHED_FIFO and
	 * SCHED_RR, else 0) and SCHED_RESET_ON_FORK. Written under the run
	 * queue lock (sched_set_policy), read without it as a snapshot. */
	int policy;
	int rt_prio;
	bool reset_on_fork;
	bool rt_queued;     /* on its queue's rt_tasks list; Lock: run queue lock */
	/* The next requeue goes to the tail of its priority level (sched_yield,
	 * an SCHED_RR slice used up); else a preempted real-time task stays at
	 * the head, as Linux's. Only the task's own CPU. */
	bool rt_yield;
	int64_t rr_left_ns; /* SCHED_RR: left of its slice; only its own CPU */
	unsigned long nr_switches; /* times switched in; written by its CPU's scheduler */
	/* The hung-task detector's own (src/proc/hung_task.c): nr_switches at
	 * its last look and since when the task sleeps uninterruptibly. */
	unsigned long hung_switches;
	uint64_t hung_since_ns;
	bool hung_reported;
	bool kill_pending;    /* leave at the next user return (exec, exit_group) */
	bool is_kthread;      /* no user half */
	struct list_head hash_node;   /* tid table; Lock: pid_lock */
	struct hal_context ctx;
	struct trap_frame *tf; /* user frame at the top of kstack */
	struct list_head run_node;    /* run queue link; Lock: run queue lock */
	struct list_head thread_node; /* in proc->threads */
	uint64_t wake_deadline_ns;    /* schedule_timeout */
	struct list_head timer_node;

	sigset_t blocked;  /* signal mask */
	sigset_t pending;  /* thread-directed pending signals */
	/* Signal state owned by src/ipc/signal*.c. */
	struct list_head sigqueue; /* siginfo of pending; Lock: proc->lock */
	uintptr_t sas_sp;          /* sigaltstack; only the thread itself */
	size_t sas_size;
	int sas_flags;
	sigset_t saved_mask;       /* rt_sigsuspend: mask for the handler frame */
	/* rt_sigtimedwait's set while the thread waits in it (else empty):
	 * post_signal wakes it for these even though they are blocked.
	 * Lock: proc->lock. */
	sigset_t sigwait;
	bool restore_mask;         /* saved_mask is valid; only the thread itself */
	/* TASK_WORK_* (user_return.h): return-to-user work may be pending.
	 * Atomic: set by whoever makes work for the task, cleared and
	 * recomputed by the task itself in trap_exit_to_user. */
	unsigned long work;
	uintptr_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
	/* CLONE_VFORK: the caller waiting until this task execs or exits
	 * (Linux's vfork_done). Lock: lock (the waiter clears it when a kill
	 * ends its wait early). */
	struct vfork_done *vfork_done;
	uintptr_t robust_list;
	size_t robust_list_len;
	uint64_t utime_ns, stime_ns;
	/* access(2): the ids file checks act with instead of fsuid/fsgid
	 * while it runs (Linux's override_creds); only the task itself. */
	const struct cred *fs_cred;
	/* /proc/ferrite/selftest: a deliberate bad access is running
	 * (src/proc/protect.c); only the task itself. */
	bool protect_probe;
	/* /dev/kcov enabled on this task (coverage kernels only, src/lib/kcov.c);
	 * written only by the task itself. */
	struct kcov *kcov;
	/* /proc/PID/task/TID/fail-nth: the operation of a fault-injection
	 * site that fails, counted down (0: none). Atomic; changed only by
	 * src/mm/fault_inject.c. */
	unsigned fail_nth;
};

extern struct spinlock proc_tree_lock;
/* Owner of kernel threads and idle tasks (pid 0, never freed). */
extern struct process kernel_process;
/* Return: the init process (pid 1), borrowed; NULL before it exists. */
struct process *init_process(void);

/*
 * Set current's state, then a full barrier before the condition test that
 * follows (Linux's set_current_state): a waker that changes the condition
 * and then reads the state cannot miss both on another CPU.
 */
#define set_current_state(s)                                                   \
	do {                                                                   \
		WRITE_ONCE(current->state, (s));                               \
		__atomic_thread_fence(__ATOMIC_SEQ_CST);                       \
	} while (0)

/* Return: new reference to the task with that tid, or NULL. */
struct task *task_find(pid_t tid);
/* Return: new reference to the process with that pid, or NULL. */
struct process *process_find(pid_t pid);
/* The pid of the process pidfd fd names (src/ipc/pidfd.c), and whether
 * the pidfd is O_NONBLOCK; -EBADF when fd is no pidfd. */
long pidfd_to_pid(int fd, bool *nonblock);
/* Return: a new pidfd file for p (which it holds a reference to), or
 * ERR_PTR. flags: PIDFD_NONBLOCK. src/ipc/pidfd.c */
struct file *pidfd_file_create(struct process *p, unsigned flags);
/* Give the current (single-threaded) process its own copy of its
 * descriptor table (unshare, close_range): 0, -EINVAL, -ENOMEM. */
long process_unshare_files(void);
/* Task references (inline: the port and wake-up fast paths take and drop
 * one per hand-off). task_release frees the task on the last put. */
void task_release(struct ref *r);
static inline void task_get(struct task *t) { ref_get(&t->ref); }
static inline void task_put(struct task *t) { ref_put(&t->ref, task_release); }
void process_get(struct process *p);
void process_put(struct process *p);

/* Start the first user process running path with argv/envp. */
int proc_spawn_init(const char *path, char *const argv[], char *const envp[]);
/* Create a kernel thread running fn(arg). Return the task or ERR_PTR. */
struct task *kthread_create(const char *name, void (*fn)(void *), void *arg);
/* The hung-task detector (src/proc/hung_task.c): hung_task_timeout in
 * seconds (0: off), its thread, and the "hung-task" selftest. */
extern unsigned long hung_task_timeout;
void hung_task_start(void);
void hung_task_set_timeout(unsigned long seconds);
int hung_task_selftest(void);
/* End the current thread / whole process with a wait status. */
void task_exit(int status) __noreturn;
void process_exit_group(int status) __noreturn;
/* Kill the current process from a fatal signal (wait status = signo). */
void process_kill_current(int signo) __noreturn;

/* Call f on every live process with proc_tree_lock held (f must not sleep).
 * Stops when f returns nonzero and returns that value. */
int process_for_each(int (*f)(struct process *p, void *arg), void *arg);
/* Interval timers (itimer.c): one tick of running (the process of the
 * current non-idle task, or NULL) at monotonic time now; disarm all of p's
 * when it exits. */
void itimer_tick(struct process *running, uint64_t now);
void itimer_exit(struct process *p);
/* A new process's ITIMER_REAL kernel timer, disarmed. */
void itimer_init(struct process *p);
/* exec and exit: delete every timer_create timer of p. */
void posix_timers_exit(struct process *p);
size_t posix_timers_count_live(void);
/* Counts for leak checks and /proc. */
size_t proc_count_live(void);
size_t task_count_live(void);
/* Make every thread of p leave at its next return to user mode, with wait
 * status signo (killed by a signal). */
void process_kill(struct process *p, int signo);
