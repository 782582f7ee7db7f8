/*
 * Pipe system calls: pipe2, pipe (x86_64 only), and fcntl's
 * F_GETPIPE_SZ / F_SETPIPE_SZ (called from sys_fcntl in src/fs).
 *
 * Locking: the ring is resized with both copy mutexes held (no reader or
 * writer is copying to or from it) and under inner->lock; the new buffer
 * is allocated and the old one freed outside the spinlock.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "pipe_internal.h"

long sys_pipe2(int __user *ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2];
	int err = pipe_create(flags, &rd, &wr);

	if (err)
		return err;
	/* Numbers first, copied out before any file is visible: a fault or
	 * EMFILE then has nothing installed to take back (closing an fd
	 * after installing it could close what another thread put there). */
	fds[0] = fd_reserve();
	fds[1] = fds[0] < 0 ? fds[0] : fd_reserve();
	if (fds[1] < 0 || copy_to_user(ufds, fds, sizeof(fds))) {
		err = fds[1] < 0 ? fds[1] : -EFAULT;
		if (fds[0] >= 0)
			fd_unreserve(fds[0]);
		if (fds[1] >= 0)
			fd_unreserve(fds[1]);
		file_put(rd);
		file_put(wr);
		return err;
	}
	fd_install_reserved(fds[0], rd, flags & O_CLOEXEC);
	fd_install_reserved(fds[1], wr, flags & O_CLOEXEC);
	return 0;
}

long sys_pipe(int __user *ufds)
{
	return sys_pipe2(ufds, 0);
}

/* F_SETPIPE_SZ's rounding: a power-of-two number of pages, at least one. */
static size_t pipe_round_size(unsigned arg)
{
	size_t size = PAGE_SIZE;

	while (size < arg)
		size <<= 1;
	return size;
}

/* Move the content of p's ring to the start of fresh (cap bytes) and make
 * it the ring. Return the old buffer, or NULL (-EBUSY) when the content
 * does not fit. Caller holds rd_mutex and wr_mutex: nobody copies. */
static char *pipe_swap_ring(struct pipe_inner *p, char *fresh, size_t cap)
{
	guard(spinlock)(&p->lock);
	size_t first = MIN(p->len, p->cap - p->head);
	char *old = p->buf;

	if (p->len > cap)
		return NULL;
	memcpy(fresh, p->buf + p->head, first);
	memcpy(fresh + first, p->buf, p->len - first);
	p->buf = fresh;
	p->cap = cap;
	p->head = 0;
	return old;
}

static long pipe_set_size(struct pipe_inner *p, unsigned long arg)
{
	unsigned want = (unsigned)arg; /* Linux takes an unsigned int */
	size_t cap;
	char *old;

	if (want > (1u << 31))
		return -EINVAL;
	/* Linux lets CAP_SYS_RESOURCE go past pipe-max-size; Ferrite never. */
	if (want > PIPE_MAX_SIZE)
		return -EPERM;
	cap = pipe_round_size(want);
	__free(kfree) char *fresh = kmalloc(cap);
	if (!fresh)
		return -ENOMEM;
	mutex_lock(&p->rd_mutex);
	mutex_lock(&p->wr_mutex);
	old = pipe_swap_ring(p, fresh, cap);
	mutex_unlock(&p->wr_mutex);
	mutex_unlock(&p->rd_mutex);
	if (!old)
		return -EBUSY;
	fresh = NULL; /* now the ring */
	kfree(old);
	wake_up_all(&p->wr_wait); /* there may be more room now */
	return (long)cap;
}

long pipe_fcntl(struct file *f, int cmd, unsigned long arg)
{
	struct pipe_inner *p;

	if (!file_is_pipe(f) || !f->private)
		return -EBADF;
	p = f->private;
	switch (cmd) {
	case F_GETPIPE_SZ: {
		guard(spinlock)(&p->lock);
		return (long)p->cap;
	}
	case F_SETPIPE_SZ:
		return pipe_set_size(p, arg);
	default:
		return -EINVAL;
	}
}
