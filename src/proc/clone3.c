/*
 * clone3(2): the extensible clone. User space passes struct clone_args
 * and its size; sizes 64, 80 and 88 are Linux's versions 0..2, a larger
 * struct is accepted when its unknown tail is zero (else E2BIG). The
 * arguments are checked as Linux's copy_clone_args_from_user and
 * clone3_args_valid do, in their order, then decoded into a
 * struct clone_request for do_clone (fork.c), which legacy clone shares.
 *
 * Without cgroups, CLONE_INTO_CGROUP can name no cgroup2 directory: every
 * descriptor is EBADF, as Linux answers for one outside cgroup2. set_tid
 * has one level (no pid namespaces); it needs euid 0 (Linux:
 * CAP_CHECKPOINT_RESTORE) and a free id (else EEXIST).
 */
#include <ferrite/errno.h>
#include <ferrite/cred.h>
#include <ferrite/file.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include <hal/hal_mmu.h>
#include "clone.h"
#include "proc_internal.h"

/* Linux UAPI <linux/sched.h>. */
struct clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;      /* VER1: array of set_tid_size pids */
	uint64_t set_tid_size;
	uint64_t cgroup;       /* VER2: CLONE_INTO_CGROUP's descriptor */
};

#define CLONE_ARGS_SIZE_VER0 64
#define CLONE_ARGS_SIZE_VER1 80
#define CLONE_ARGS_SIZE_VER2 88
#define MAX_PID_NS_LEVEL 32
_Static_assert(sizeof(struct clone_args) == CLONE_ARGS_SIZE_VER2, "clone_args is VER2");

/* Linux's copy_clone_args_from_user. 0 or -errno. */
static int clone_args_copy(struct clone_args *a, const struct clone_args __user *uargs,
			   size_t usize)
{
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if (usize < CLONE_ARGS_SIZE_VER0)
		return -EINVAL;
	int err = copy_struct_from_user(a, sizeof(*a), uargs, usize);
	if (err)
		return err;
	if (a->set_tid_size > MAX_PID_NS_LEVEL)
		return -EINVAL;
	if (!a->set_tid != !a->set_tid_size)
		return -EINVAL;
	if (a->exit_signal > NSIG) /* CSIGNAL's bits and a valid signal */
		return -EINVAL;
	if ((a->flags & CLONE_INTO_CGROUP) &&
	    (a->cgroup > INT32_MAX || usize < CLONE_ARGS_SIZE_VER2))
		return -EINVAL;
	return 0;
}

/* Linux's clone3_stack_valid: a stack is an address and a size, both or
 * neither, inside the user half. */
static bool clone_args_stack_valid(const struct clone_args *a)
{
	if (!a->stack)
		return !a->stack_size;
	return a->stack_size && a->stack <= hal_user_max && a->stack_size <= hal_user_max - a->stack;
}

/* Linux's clone3_args_valid. */
static bool clone_args_valid(const struct clone_args *a)
{
	if (a->flags & ~(0xffffffffULL | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return false;
	/* Kept free for clone3 to reuse: the exit signal has its own field. */
	if (a->flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)))
		return false;
	if ((a->flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) ==
	    (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND))
		return false;
	if ((a->flags & (CLONE_THREAD | CLONE_PARENT)) && a->exit_signal)
		return false;
	return clone_args_stack_valid(a);
}

/* set_tid: the one id asked for (a single level), or 0. */
static long clone_args_set_tid(const struct clone_args *a)
{
	pid_t tid;

	if (!a->set_tid_size)
		return 0;
	if (a->set_tid_size > 1) /* more levels than the one pid namespace */
		return -EINVAL;
	if (copy_from_user(&tid, (const pid_t __user *)(uintptr_t)a->set_tid, sizeof(tid)))
		return -EFAULT;
	if (tid < 1 || tid >= PID_MAX)
		return -EINVAL;
	if (!cred_euid_root())
		return -EPERM;
	return tid;
}

long sys_clone3(struct clone_args __user *uargs, size_t size)
{
	struct clone_args a;

	int err = clone_args_copy(&a, uargs, size);
	if (err)
		return err;
	if (!clone_args_valid(&a))
		return -EINVAL;
	long tid = clone_args_set_tid(&a);
	if (tid < 0)
		return tid;
	if (a.flags & CLONE_INTO_CGROUP)
		return -EBADF; /* no descriptor names a cgroup2 directory */

	struct clone_request req = {
		.flags = a.flags,
		.exit_signal = (int)a.exit_signal,
		.stack = a.stack ? (uintptr_t)(a.stack + a.stack_size) : 0,
		.tls = (uintptr_t)a.tls,
		.pidfd = (int __user *)(uintptr_t)a.pidfd,
		.parent_tid = (int __user *)(uintptr_t)a.parent_tid,
		.child_tid = (int __user *)(uintptr_t)a.child_tid,
		.set_tid = (pid_t)tid,
	};
	return do_clone(&req);
}
