/*
 * Sockets as files: read/write/poll/ioctl/release of a socket file go to
 * its family's proto_ops; user buffers reach the family as an iov_iter.
 * A socket is owned by its file: the file's release releases the socket.
 * The socket-level options common to every family (timeouts, type) are
 * handled here before the family sees the rest.
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
	if (it->count == 1) { /* read/write and most sends: one buffer */
		char __user *u = (char __user *)it->iov[0].iov_base + at;
		return to_user ? copy_to_user(u, k, n) : copy_from_user(k, u, n);
	}
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
	return READ_ONCE(f->flags) & O_NONBLOCK; /* one word: no lock needed */
}

/* read/write on a socket: one user buffer, no address, no control. */
static ssize_t sock_rw(struct file *f, const struct iobuf *buf, bool write)
{
	struct socket *s = f->private;

	if (!buf->user)
		return -EINVAL; /* kernel_read/write of a socket: not supported */
	struct user_iovec iov = { (void __user *)buf->ptr, buf->len };
	struct kmsg m; /* not zeroed whole: name[] is neither read nor written here */
	m.namelen = 0;
	m.data = (struct iov_iter){ &iov, 1, buf->len };
	m.control = NULL;
	m.controllen = 0;
	m.flags = 0;
	m.cmsg_cloexec = false;
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

/* ---- options common to every family ---- */

struct user_timeval {
	long tv_sec, tv_usec;
};

long sock_sleep_error(long err, uint64_t timeo_ns)
{
	if (err == -ETIMEDOUT)
		return -EAGAIN;
	if (err == -ERESTARTSYS && timeo_ns)
		return -EINTR;
	return err;
}

int sock_setsockopt(struct socket *s, int level, int name, const void *val, int len)
{
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		struct user_timeval tv;
		if (len < (int)sizeof(tv))
			return -EINVAL;
		memcpy(&tv, val, sizeof(tv));
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EDOM;
		/* {0, 0}: wait forever (0 here); negative: time out at once. */
		uint64_t ns = tv.tv_sec < 0 ? 1
					    : (uint64_t)tv.tv_sec * 1000000000ULL +
						      (uint64_t)tv.tv_usec * 1000ULL;
		WRITE_ONCE(*(name == SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns), ns);
		return 0;
	}
	return s->ops->setsockopt(s, level, name, val, len);
}

int sock_getsockopt(struct socket *s, int level, int name, void *val, int *len)
{
	int v;

	if (level != SOL_SOCKET)
		return s->ops->getsockopt(s, level, name, val, len);
	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		uint64_t ns = READ_ONCE(*(name == SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns));
		struct user_timeval tv = { (long)(ns / 1000000000ULL), (long)(ns % 1000000000ULL) / 1000 };
		*len = MIN(*len, (int)sizeof(tv));
		memcpy(val, &tv, (size_t)*len);
		return 0;
	}
	case SO_TYPE: v = s->type; break;
	case SO_DOMAIN: v = s->family; break;
	default:
		return s->ops->getsockopt(s, level, name, val, len);
	}
	*len = MIN(*len, (int)sizeof(v));
	memcpy(val, &v, (size_t)*len);
	return 0;
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
