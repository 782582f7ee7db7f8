/*
 * signalfd(2): read pending signals of a set as struct signalfd_siginfo
 * records instead of running handlers. The signals are the reader's own
 * (its thread's and its process's pending sets, as Linux: a signalfd
 * passed to another process reads that process's signals); they must be
 * blocked, or they are delivered the usual way first.
 *
 * Waiting: readers and pollers sleep on their process's signalfd_wait,
 * which post_signal (signal.c) wakes after every signal it posts. The
 * mask is the file's, guarded by the file lock.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/poll.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include "signal_internal.h"

#define SFD_CLOEXEC 02000000
#define SFD_NONBLOCK 00004000

struct signalfd_siginfo {
	uint32_t ssi_signo;
	int32_t ssi_errno;
	int32_t ssi_code;
	uint32_t ssi_pid;
	uint32_t ssi_uid;
	int32_t ssi_fd;
	uint32_t ssi_tid;
	uint32_t ssi_band;
	uint32_t ssi_overrun;
	uint32_t ssi_trapno;
	int32_t ssi_status;
	int32_t ssi_int;
	uint64_t ssi_ptr;
	uint64_t ssi_utime;
	uint64_t ssi_stime;
	uint64_t ssi_addr;
	uint16_t ssi_addr_lsb;
	uint16_t __pad2;
	int32_t ssi_syscall;
	uint64_t ssi_call_addr;
	uint32_t ssi_arch;
	uint8_t __pad[28];
};
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "Linux's layout");

struct signalfd_ctx {
	uint64_t mask; /* Lock: the file's lock */
};

static uint64_t sfd_mask(struct file *f)
{
	guard(spinlock)(&f->lock);
	return ((struct signalfd_ctx *)f->private)->mask;
}

static bool sfd_nonblock(struct file *f)
{
	guard(spinlock)(&f->lock);
	return f->flags & O_NONBLOCK;
}

/* Pending for the caller in mask (a racy look, for waits and poll). */
static bool sfd_pending(uint64_t mask)
{
	struct task *self = current;

	return (READ_ONCE(self->pending.sig[0]) | READ_ONCE(self->proc->shared_pending.sig[0])) &
	       mask;
}

static bool is_fault_signal(int signo)
{
	return signo == SIGSEGV || signo == SIGBUS || signo == SIGILL || signo == SIGFPE ||
	       signo == SIGTRAP;
}

/* Linux's signalfd_copyinfo: the fields of the siginfo's layout. */
static void sfd_fill(struct signalfd_siginfo *o, const struct user_siginfo *si)
{
	*o = (struct signalfd_siginfo){ .ssi_signo = (uint32_t)si->si_signo,
					.ssi_errno = si->si_errno,
					.ssi_code = si->si_code };
	if (si->si_signo == SIGCHLD && si->si_code > 0) {
		o->ssi_pid = (uint32_t)si->chld.pid;
		o->ssi_uid = si->chld.uid;
		o->ssi_status = si->chld.status;
		o->ssi_utime = (uint64_t)si->chld.utime;
		o->ssi_stime = (uint64_t)si->chld.stime;
	} else if (is_fault_signal(si->si_signo) && si->si_code > 0 && si->si_code != SI_KERNEL) {
		o->ssi_addr = si->fault.addr;
	} else {
		o->ssi_pid = (uint32_t)si->rt.pid;
		o->ssi_uid = si->rt.uid;
		if (si->si_code == SI_QUEUE || si->si_code < 0) {
			o->ssi_int = (int32_t)si->rt.value;
			o->ssi_ptr = si->rt.value;
		}
	}
}

static ssize_t signalfd_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	size_t max = buf->len / sizeof(struct signalfd_siginfo), n = 0;

	if (!max)
		return -EINVAL;
	for (;;) {
		uint64_t mask = sfd_mask(f);
		while (n < max) {
			struct user_siginfo si;
			int signo = signal_dequeue(current, mask, &si);
			if (!signo)
				break;
			struct signalfd_siginfo o;
			sfd_fill(&o, &si);
			if (iobuf_copy_to(buf, n * sizeof(o), &o, sizeof(o)))
				return n ? (ssize_t)(n * sizeof(o)) : -EFAULT; /* that one is lost, as Linux */
			n++;
		}
		if (n)
			return (ssize_t)(n * sizeof(struct signalfd_siginfo));
		if (sfd_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&current->proc->signalfd_wait,
						    sfd_pending(sfd_mask(f)));
		if (err)
			return err;
	}
}

static unsigned signalfd_poll(struct file *f, struct poll_table *pt)
{
	poll_wait(&current->proc->signalfd_wait, pt);
	return sfd_pending(sfd_mask(f)) ? POLLIN | POLLRDNORM : 0;
}

static void signalfd_release(struct file *f)
{
	kfree(f->private);
	f->private = NULL;
}

static const struct file_ops signalfd_fops = {
	.anon_name = "[signalfd]",
	.read = signalfd_read,
	.poll = signalfd_poll,
	.release = signalfd_release,
};

long sys_signalfd4(int fd, const sigset_t __user *umask, size_t size, int flags)
{
	sigset_t set;

	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	if (size != sizeof(sigset_t))
		return -EINVAL;
	if (copy_from_user(&set, umask, sizeof(set)))
		return -EFAULT;
	uint64_t mask = set.sig[0] & ~SIG_UNBLOCKABLE;
	if (fd != -1) {
		__free(file_put) struct file *f = fd_get(fd);
		if (!f)
			return -EBADF;
		if (f->ops != &signalfd_fops)
			return -EINVAL;
		scoped_guard(spinlock, &f->lock)
			((struct signalfd_ctx *)f->private)->mask = mask;
		wake_up_all(&current->proc->signalfd_wait); /* the new mask may match */
		return fd;
	}
	struct signalfd_ctx *ctx = kzalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->mask = mask;
	struct file *f = file_alloc(NULL, &signalfd_fops, O_RDWR | (flags & SFD_NONBLOCK));
	if (IS_ERR(f)) {
		kfree(ctx);
		return PTR_ERR(f);
	}
	f->private = ctx;
	return fd_install(f, flags & SFD_CLOEXEC);
}

long sys_signalfd(int fd, const sigset_t __user *umask, size_t size)
{
	return sys_signalfd4(fd, umask, size, 0);
}
