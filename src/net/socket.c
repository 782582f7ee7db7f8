/*
 * Sockets as files: read/write/poll/ioctl/release of a socket file go to
 * its family's proto_ops; user buffers reach the family as an iov_iter.
 * A socket is owned by its file: the file's release releases the socket.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/poll.h>
#include <ferrite/signal.h>
#include <ferrite/net.h>
#include <ferrite/socket.h>
#include <ferrite/string.h>
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>

static size_t sockets_live; /* atomic */

size_t sockets_count_live(void)
{
	return __atomic_load_n(&sockets_live, __ATOMIC_RELAXED);
}

/* Walk the buffers overlapping [at, at + n) and copy each piece. */
static int iov_iter_copy(const struct iov_iter *it, size_t at, void *kbuf, size_t n, bool to_user)
{
	char *k = kbuf;

	if (at > it->total || n > it->total - at)
		return -EFAULT;
	for (unsigned i = 0; i < it->count && n; i++) {
		size_t len = it->iov[i].iov_len;
		if (at >= len) {
			at -= len;
			continue;
		}
		size_t chunk = MIN(len - at, n);
		char __user *u = (char __user *)it->iov[i].iov_base + at;
		int err = to_user ? copy_to_user(u, k, chunk) : copy_from_user(k, u, chunk);
		if (err)
			return err;
		k += chunk;
		n -= chunk;
		at = 0;
	}
	return 0;
}

int iov_iter_copy_to(const struct iov_iter *it, size_t at, const void *src, size_t n)
{
	return iov_iter_copy(it, at, (void *)src, n, true);
}

int iov_iter_copy_from(void *dst, const struct iov_iter *it, size_t at, size_t n)
{
	return iov_iter_copy(it, at, dst, n, false);
}

struct socket *sock_of(struct file *f);

bool sock_file_nonblock(struct file *f)
{
	guard(spinlock)(&f->lock);
	return f->flags & O_NONBLOCK;
}

/* read/write on a socket: one user buffer, no address, no control. */
static ssize_t sock_rw(struct file *f, const struct iobuf *buf, bool write)
{
	struct socket *s = f->private;

	if (!buf->user)
		return -EINVAL; /* kernel_read/write of a socket: not supported */
	struct user_iovec iov = { (void __user *)buf->ptr, buf->len };
	struct kmsg m = { .data = { &iov, 1, buf->len } };
	bool nonblock = sock_file_nonblock(f);
	ssize_t n = write ? s->ops->sendmsg(s, &m, 0, nonblock) : s->ops->recvmsg(s, &m, 0, nonblock);
	if (n == -EPIPE && write)
		send_signal_task(current, SIGPIPE);
	return n;
}

static ssize_t sock_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	return sock_rw(f, buf, false);
}

static ssize_t sock_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	return sock_rw(f, buf, true);
}

static unsigned sock_poll(struct file *f, struct poll_table *pt)
{
	struct socket *s = f->private;

	return s->ops->poll(s, pt);
}

static long sock_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct socket *s = f->private;

	long err = s->ops->ioctl ? s->ops->ioctl(s, cmd, arg) : -ENOTTY;
	/* The interface ioctls work on any socket, as on Linux. */
	return err == -ENOTTY ? netdev_ioctl(cmd, arg) : err;
}

static void sock_release(struct file *f)
{
	struct socket *s = f->private;

	f->private = NULL;
	s->ops->release(s);
	__atomic_sub_fetch(&sockets_live, 1, __ATOMIC_RELAXED);
}

static const struct file_ops socket_fops = {
	.read = sock_read,
	.write = sock_write,
	.poll = sock_poll,
	.ioctl = sock_ioctl,
	.release = sock_release,
};

struct socket *sock_of(struct file *f)
{
	return f->ops == &socket_fops ? f->private : NULL;
}

struct file *sock_alloc_file(struct socket *s, int flags)
{
	__atomic_add_fetch(&sockets_live, 1, __ATOMIC_RELAXED);
	/* A sockfs inode of its own: fstat shows S_IFSOCK, as on Linux. */
	__free(inode_put) struct inode *ino = sockfs_inode_new();
	struct file *f = ino ? file_alloc(ino, &socket_fops, O_RDWR | (flags & SOCK_NONBLOCK))
			     : ERR_PTR(-ENOMEM);
	if (IS_ERR(f)) {
		s->ops->release(s);
		__atomic_sub_fetch(&sockets_live, 1, __ATOMIC_RELAXED);
		return f;
	}
	f->private = s;
	s->file = f;
	return f;
}
