/*
 * clone, fork, vfork, and the creation of init (pid 1).
 *
 * A thread (CLONE_THREAD) is a new task in the caller's process; anything
 * else is a new process whose resources are shared or copied flag by flag.
 * The child's trap frame is a copy of the caller's with return value 0; it
 * starts in task_return_to_user(). Lock: proc_tree_lock links a new
 * process to its parent; p->lock guards the thread list.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/ipc.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/vm.h>
#include <ferrite/vfs.h>
#include <hal/hal_context.h>
#include <hal/hal_timer.h>
#include <hal/hal_trap.h>
#include "clone.h"
#include "proc_internal.h"

/* What this clone supports; namespaces are not here. CLONE_DETACHED is
 * ignored, as Linux's legacy clone does. */
#define CLONE_SUPPORTED                                                                   \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD | CLONE_PTRACE |   \
	 CLONE_VFORK | CLONE_PARENT | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |          \
	 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_UNTRACED |      \
	 CLONE_CHILD_SETTID | CLONE_IO | CLONE_CLEAR_SIGHAND)

#ifndef O_RDWR
#define O_RDWR 2
#endif

static struct process *the_init; /* set once by proc_spawn_init */

struct process *init_process(void)
{
	return the_init;
}

/* Resources of a new process, shared or copied. 0 or -ENOMEM. */
static int copy_resources(struct process *q, struct process *p, uint64_t flags)
{
	if (flags & CLONE_VM) {
		mm_get(p->mm);
		q->mm = p->mm;
	} else if (!(q->mm = mm_fork(p->mm))) {
		return -ENOMEM;
	} else {
		int err = shm_fork_attachments(p->mm, q->mm);
		if (err)
			return err;
	}
	if (flags & CLONE_FILES) {
		fd_table_get(p->files);
		q->files = p->files;
	} else if (!(q->files = fd_table_clone(p->files))) {
		return -ENOMEM;
	}
	if (flags & CLONE_FS) {
		fs_context_get(p->fs);
		q->fs = p->fs;
	} else if (!(q->fs = fs_context_clone(p->fs))) {
		return -ENOMEM;
	}
	if (flags & CLONE_SIGHAND) {
		sighand_get(p->sighand);
		q->sighand = p->sighand;
	} else if (!(q->sighand = sighand_copy(p->sighand))) {
		return -ENOMEM;
	} else if (flags & CLONE_CLEAR_SIGHAND) {
		sighand_clear_handlers(q->sighand);
	}
	return 0;
}

struct nproc_count {
	uid_t uid;
	unsigned long tasks;
};

static int count_user_tasks(struct process *q, void *arg)
{
	struct nproc_count *c = arg;

	/* A zombie counts until it is reaped, as on Linux. */
	if (READ_ONCE(q->uid) == c->uid)
		c->tasks += MAX(READ_ONCE(q->nr_threads), 1);
	return 0;
}

/* RLIMIT_NPROC: the tasks (threads included) of the caller's real user
 * may not exceed it; root (real uid 0, or CAP_SYS_ADMIN as euid 0) is
 * exempt. 0 or -EAGAIN. */
static int nproc_check(struct process *p)
{
	struct nproc_count c;
	uint64_t limit;

	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		c.uid = p->uid;
		limit = p->rlim[RLIMIT_NPROC].rlim_cur;
		if (p->uid == 0 || p->euid == 0)
			return 0;
	}
	if (limit == RLIM_INFINITY)
		return 0;
	c.tasks = 0;
	process_for_each(count_user_tasks, &c);
	return c.tasks + 1 > limit ? -EAGAIN : 0;
}

/* The new task's id: the one set_tid asks for, or the next free one. */
static pid_t clone_pid(pid_t want)
{
	return want ? pid_alloc_exact(want) : pid_alloc();
}

/* Return: a new process (not yet visible) copied from p, or ERR_PTR. */
static struct process *process_clone(struct process *p, const struct clone_request *req)
{
	uint64_t flags = req->flags;
	struct process *q = process_alloc();
	int err;

	if (!q)
		return ERR_PTR(-ENOMEM);
	q->pid = clone_pid(req->set_tid);
	if (q->pid < 0) {
		err = q->pid;
		q->pid = 0;
		process_put(q);
		return ERR_PTR(err);
	}
	err = copy_resources(q, p, flags);
	if (err) {
		/* The attachments shm_fork_attachments made count on the
		 * segments; process_put only drops the mm. */
		if (q->mm && !(flags & CLONE_VM))
			shm_exit(q->mm);
		process_put(q); /* releases what was copied and the pid */
		return ERR_PTR(err);
	}
	q->pgid = p->pgid;
	q->sid = p->sid;
	cred_copy(q, p);
	/* A CLONE_PARENT child is its parent's sibling: it tells that parent
	 * with the caller's own exit signal (Linux). */
	q->exit_signal = (flags & CLONE_PARENT) ? p->exit_signal : req->exit_signal;
	q->start_ns = hal_time_ns();
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		memcpy(q->rlim, p->rlim, sizeof(q->rlim));
		memcpy(q->exe, p->exe, sizeof(q->exe));
	}
	memcpy(q->comm, p->comm, sizeof(q->comm));
	q->personality = READ_ONCE(p->personality);
	q->nice = READ_ONCE(p->nice);
	/* SCHED_RESET_ON_FORK: a negative nice value is not inherited. */
	if (READ_ONCE(current->reset_on_fork) && q->nice < 0)
		q->nice = 0;
	q->membarrier_registered = __atomic_load_n(&p->membarrier_registered, __ATOMIC_RELAXED);
	return q;
}

/* Link q under its parent (the parent's reference) and make it findable. */
static void process_link(struct process *q, struct process *parent)
{
	process_get(q);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 })) {
		q->parent = parent;
		WRITE_ONCE(q->ppid, parent->pid);
		list_add_tail(&q->sibling, &parent->children);
	}
	process_publish(q);
}

/*
 * Sleep until child (reference consumed) execs or exits. Killable, as
 * Linux's wait_for_vfork_done: a caller told to die stops waiting, and
 * withdraws v (on this stack) under child->lock so the child never
 * touches it afterwards (vfork_complete).
 */
static void wait_for_vfork_done(struct task *child, struct vfork_done *v)
{
	if (wait_event_killable(&v->wq, READ_ONCE(v->done))) {
		guard_irqsave(&child->lock);
		child->vfork_done = NULL;
	}
	task_put(child);
}

/* The combinations Linux's kernel_clone and copy_process refuse, in their
 * order. 0 or -EINVAL. */
static int clone_flags_check(const struct clone_request *req, struct process *p)
{
	uint64_t flags = req->flags;

	if ((flags & CLONE_PIDFD) && (flags & CLONE_PARENT_SETTID) &&
	    req->pidfd == req->parent_tid)
		return -EINVAL;
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && p == init_process())
		return -EINVAL;
	if ((flags & CLONE_THREAD) && (flags & (CLONE_NEWUSER | CLONE_NEWPID)))
		return -EINVAL;
	/* A pidfd names a process here, as on Linux before 6.9's
	 * PIDFD_THREAD: not a thread. */
	if ((flags & CLONE_PIDFD) && (flags & (CLONE_DETACHED | CLONE_THREAD)))
		return -EINVAL;
	if (flags & ~(uint64_t)CLONE_SUPPORTED)
		return -EINVAL;
	return 0;
}

/* Undo a clone whose task never ran: its id, the attachments
 * shm_fork_attachments made, the process (or the caller's reference). */
static void clone_undo(struct process *q, pid_t tid, uint64_t flags)
{
	if (flags & CLONE_THREAD)
		pid_free(tid);
	else if (!(flags & CLONE_VM))
		shm_exit(q->mm);
	process_put(q);
}

/*
 * CLONE_PIDFD: the descriptor number is reserved and written to
 * req->pidfd before anything is created, so a bad address fails the call
 * (EFAULT, as Linux); the file is made once the process exists and
 * installed when the child is started. *fd: the number, -1 without
 * CLONE_PIDFD. Return: 0 or -errno.
 */
static int clone_pidfd_reserve(const struct clone_request *req, int *fd)
{
	*fd = -1;
	if (!(req->flags & CLONE_PIDFD))
		return 0;
	int n = fd_reserve();
	if (n < 0)
		return n;
	if (put_user(n, req->pidfd)) {
		fd_unreserve(n);
		return -EFAULT;
	}
	*fd = n;
	return 0;
}

long do_clone(const struct clone_request *req)
{
	struct task *self = current, *t;
	struct process *p = self->proc, *q;
	struct vfork_done vfork = { WAITQUEUE_INIT(vfork.wq), false };
	uint64_t flags = req->flags;
	struct file *pidfile = NULL;
	pid_t tid;

	int err = clone_flags_check(req, p);
	if (err)
		return err;
	err = nproc_check(p);
	if (err)
		return err;
	int pidfd;
	err = clone_pidfd_reserve(req, &pidfd);
	if (err)
		return err;

	if (flags & CLONE_THREAD) {
		q = p;
		process_get(q);
		tid = clone_pid(req->set_tid);
		if (tid < 0) {
			process_put(q);
			err = tid;
			goto out_pidfd;
		}
	} else {
		q = process_clone(p, req);
		if (IS_ERR(q)) {
			err = PTR_ERR(q);
			goto out_pidfd;
		}
		tid = q->pid;
	}
	if (pidfd >= 0) {
		pidfile = pidfd_file_create(q, 0);
		if (IS_ERR(pidfile)) {
			clone_undo(q, tid, flags);
			err = PTR_ERR(pidfile);
			goto out_pidfd;
		}
	}

	t = task_alloc(q);
	if (!t) {
		if (pidfile)
			file_put(pidfile);
		clone_undo(q, tid, flags);
		err = -ENOMEM;
		goto out_pidfd;
	}
	t->tid = tid;
	t->blocked = self->blocked;
	memcpy(t->tf, self->tf, sizeof(*t->tf));
	hal_syscall_set_return(t->tf, 0);
	if (req->stack)
		hal_frame_set_sp(t->tf, req->stack);
	hal_context_init(&t->ctx, (uintptr_t)t->tf, task_return_to_user, NULL);
#if defined(__x86_64__)
	/* x86_64 keeps user FPU state in the context (riscv64: in the frame). */
	hal_context_copy_fpu(&t->ctx, &self->ctx);
#endif
	hal_set_tls(&t->ctx, t->tf,
		    (flags & CLONE_SETTLS) ? req->tls : hal_get_tls(&self->ctx, self->tf), false);
	if (flags & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = (uintptr_t)req->child_tid;
	if (flags & CLONE_CHILD_SETTID)
		mm_copy_out(q->mm, (uintptr_t)req->child_tid, &tid, sizeof(tid));
	if (flags & CLONE_PARENT_SETTID)
		(void)put_user(tid, req->parent_tid);
	if (pidfile)
		fd_install_reserved(pidfd, pidfile, O_CLOEXEC); /* Linux: always */

	if (!(flags & CLONE_THREAD)) {
		struct process *parent = p;
		if (flags & CLONE_PARENT) {
			guard_irqsave(&proc_tree_lock);
			parent = p->parent ? p->parent : init_process();
		}
		process_link(q, parent);
		process_put(q); /* the task and the parent hold it now */
	} else {
		process_put(q);
	}
	if (flags & CLONE_VFORK) {
		/* The new task (thread or process) releases us when it execs
		 * or exits; we keep it to withdraw &vfork if killed first. */
		t->vfork_done = &vfork;
		task_get(t);
	}
	task_hash(t);
	process_add_thread(t->proc, t);
	sched_add(t);

	if (flags & CLONE_VFORK)
		wait_for_vfork_done(t, &vfork);
	return tid;

out_pidfd:
	if (pidfd >= 0)
		fd_unreserve(pidfd);
	return err;
}

/* Legacy clone: the low 32 bits only; the low byte is the exit signal
 * (Linux's clone ignores the upper half of flags). CLONE_PIDFD's
 * descriptor goes where parent_tid points. */
static long clone_legacy(unsigned long flags, uintptr_t newsp, int __user *parent_tid,
			 int __user *child_tid, uintptr_t tls)
{
	struct clone_request req = {
		.flags = (uint32_t)flags & ~CSIGNAL,
		.exit_signal = (int)(flags & CSIGNAL),
		.stack = newsp,
		.tls = tls,
		.pidfd = parent_tid,
		.parent_tid = parent_tid,
		.child_tid = child_tid,
	};

	return do_clone(&req);
}

#if defined(__x86_64__)
long sys_clone(unsigned long flags, uintptr_t newsp, int __user *parent_tid,
	       int __user *child_tid, uintptr_t tls)
{
	return clone_legacy(flags, newsp, parent_tid, child_tid, tls);
}

long sys_fork(void)
{
	return clone_legacy(SIGCHLD, 0, NULL, NULL, 0);
}

long sys_vfork(void)
{
	return clone_legacy(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0);
}
#else
long sys_clone(unsigned long flags, uintptr_t newsp, int __user *parent_tid, uintptr_t tls,
	       int __user *child_tid)
{
	return clone_legacy(flags, newsp, parent_tid, child_tid, tls);
}
#endif

/* The first code of pid 1, in its own context: console fds, then exec. */
static void init_entry(void *raw)
{
	struct exec_args *args = raw;
	struct task *self;
	char path[256];
	int err;

	sched_finish_switch();
	self = current;
	strlcpy(path, exec_args_path(args), sizeof(path));
	vfs_root_mount(path, sizeof(path)); /* root= (src/fs/root_mount.c) */
	for (int fd = 0; fd < 3; fd++) {
		struct file *f = vfs_open("/dev/console", O_RDWR, 0);
		if (IS_ERR(f)) {
			pr_warn("init: cannot open /dev/console (%ld)\n", PTR_ERR(f));
			break;
		}
		fd_install(f, 0); /* consumes f, also when it fails */
	}
	err = exec_current(path, args);
	if (err)
		panic("cannot execute init (error %d)", err);
	hal_irq_disable();
	trap_exit_to_user(self->tf);
	hal_return_to_user(self->tf);
}

int proc_spawn_init(const char *path, char *const argv[], char *const envp[])
{
	struct exec_args *args = exec_args_from_kernel(path, argv, envp);
	struct process *p;
	struct task *t;

	if (IS_ERR(args))
		return (int)PTR_ERR(args);
	p = process_alloc();
	if (!p) {
		exec_args_free(args);
		return -ENOMEM;
	}
	p->pid = pid_alloc();
	BUG_ON(p->pid != 1);
	p->pgid = p->sid = 1;
	p->files = fd_table_create();
	p->fs = fs_context_create();
	p->sighand = sighand_create();
	p->mm = mm_create(); /* replaced by exec; keeps mm never NULL */
	t = p->files && p->fs && p->sighand && p->mm ? task_alloc(p) : NULL;
	if (!t) {
		exec_args_free(args);
		process_put(p);
		return -ENOMEM;
	}
	t->tid = 1;
	strlcpy(p->comm, "init", sizeof(p->comm));
	p->start_ns = hal_time_ns();
	the_init = p;
	process_publish(p); /* p's creation reference stays forever */
	task_hash(t);
	process_add_thread(p, t);
	task_start(t, init_entry, args);
	return 0;
}
