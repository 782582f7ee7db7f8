/*
 * Process descriptors: pidfd_open(2), pidfd_send_signal(2), and a pidfd
 * that polls readable (POLLIN) once its process has exited. A pidfd holds
 * a reference to the process, so its pid cannot be reused while the
 * descriptor is open: signals reach that process or none (ESRCH).
 *
 * Waiting: pollers sleep on p->exit_wait, which the exit path wakes after
 * it marks p a zombie (src/proc/exit.c); waitid(P_PIDFD) asks
 * pidfd_to_pid which child to wait for.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/poll.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include "signal_internal.h"

#define PIDFD_NONBLOCK 00004000 /* O_NONBLOCK */
/* pidfd_send_signal's scope (Linux 6.9): one of them at most. */
#define PIDFD_SIGNAL_THREAD 1u
#define PIDFD_SIGNAL_THREAD_GROUP 2u
#define PIDFD_SIGNAL_PROCESS_GROUP 4u

static unsigned pidfd_poll(struct file *f, struct poll_table *pt)
{
	struct process *p = f->private;

	poll_wait(&p->exit_wait, pt);
	return READ_ONCE(p->zombie) ? POLLIN | POLLRDNORM : 0;
}

static void pidfd_release(struct file *f)
{
	process_put(f->private);
	f->private = NULL;
}

static const struct file_ops pidfd_fops = {
	.anon_name = "[pidfd]",
	.poll = pidfd_poll,
	.release = pidfd_release,
};

struct file *pidfd_file_create(struct process *p, unsigned flags)
{
	struct file *f = file_alloc(NULL, &pidfd_fops, O_RDWR | (flags & PIDFD_NONBLOCK));

	if (!IS_ERR(f)) {
		process_get(p);
		f->private = p;
	}
	return f;
}

long sys_pidfd_open(pid_t pid, unsigned flags)
{
	if (flags & ~PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	struct process *p = process_find(pid);
	if (!p)
		return -ESRCH;
	struct file *f = pidfd_file_create(p, flags);
	process_put(p);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, O_CLOEXEC); /* Linux: always close-on-exec */
}

long pidfd_to_pid(int fd, bool *nonblock)
{
	__free(file_put) struct file *f = fd_get(fd);
	if (!f || f->ops != &pidfd_fops)
		return -EBADF;
	*nonblock = READ_ONCE(f->flags) & PIDFD_NONBLOCK;
	return ((struct process *)f->private)->pid;
}

long sys_pidfd_send_signal(int pidfd, int signo, const struct user_siginfo __user *uinfo,
			   unsigned flags)
{
	struct user_siginfo si;

	if (flags & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP) ||
	    (flags & (flags - 1)))
		return -EINVAL;
	if (signo < 0 || signo > NSIG)
		return -EINVAL;
	__free(file_put) struct file *f = fd_get(pidfd);
	if (!f)
		return -EBADF;
	if (f->ops != &pidfd_fops)
		return -EBADF;
	struct process *p = f->private;
	if (uinfo) {
		if (copy_from_user(&si, uinfo, sizeof(si)))
			return -EFAULT;
		if (si.si_signo != signo)
			return -EINVAL;
		/* Only to yourself may you claim a kernel or tkill code. */
		if (p != current->proc && (si.si_code >= 0 || si.si_code == SI_TKILL))
			return -EPERM;
	}
	if (READ_ONCE(p->zombie))
		return -ESRCH;
	if (!signo)
		return 0;
	if (flags & PIDFD_SIGNAL_PROCESS_GROUP)
		return send_signal_pgrp(p->pgid, signo);
	/* A process's pidfd names its first thread (tid == pid). */
	struct task *t = NULL;
	if (flags & PIDFD_SIGNAL_THREAD) {
		t = task_find(p->pid);
		if (!t || t->proc != p) {
			if (t)
				task_put(t);
			return -ESRCH;
		}
	}
	long ret = uinfo ? send_signal_info(p, t, signo, &si)
			 : send_signal_from_user(p, t, signo, t ? SI_TKILL : SI_USER);
	if (t)
		task_put(t);
	return ret;
}
