/*
 * Pipes: the ring buffer shared by the two ends, and the read, write,
 * poll and release operations of both anonymous pipes and FIFOs.
 *
 * Locking: see pipe_internal.h. User memory is copied straight between the
 * user buffer and the ring (one copy each way, as in Linux), by the reader
 * holding rd_mutex or the writer holding wr_mutex, outside inner->lock; the
 * indices are read before and updated after the copy under inner->lock.
 * A waiter sleeps on rd_wait/wr_wait with wait_event_interruptible (or
 * poll_wait), which queues itself and then tests its condition under
 * inner->lock; every change that could make a condition true is made under
 * inner->lock, which also samples whether the queue has waiters, and is
 * followed by a wake-up when it has. A waiter queued before that critical
 * section is seen in it; one queued after it sees the change under the
 * lock, so no wake-up is lost.
 *
 * A write of at most PIPE_BUF bytes waits until it fits and goes into the
 * ring in one step (atomic); a larger one moves as room appears and may be
 * partial when interrupted or non-blocking. A read returns what is there.
 * A fault in the user buffer ends the transfer with a short count (or
 * -EFAULT when nothing moved): a reader consumes only the bytes it could
 * deliver, a writer publishes only the bytes it could fetch.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/poll.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/uaccess.h>
#include <uapi/termios.h>
#include "pipe_internal.h"

static size_t pipes_live; /* atomic */

size_t pipes_count_live(void)
{
	return __atomic_load_n(&pipes_live, __ATOMIC_RELAXED);
}

struct pipe_inner *pipe_inner_alloc(void)
{
	__free(kfree) struct pipe_inner *p = kzalloc(sizeof(*p));

	if (!p)
		return NULL;
	p->buf = kmalloc(PIPE_DEF_SIZE);
	if (!p->buf)
		return NULL;
	p->cap = PIPE_DEF_SIZE;
	ref_init(&p->ref);
	spin_init(&p->lock, "pipe");
	mutex_init(&p->rd_mutex);
	mutex_init(&p->wr_mutex);
	waitqueue_init(&p->rd_wait);
	waitqueue_init(&p->wr_wait);
	list_init(&p->fifo_node);
	__atomic_add_fetch(&pipes_live, 1, __ATOMIC_RELAXED);
	return take_ptr(p);
}

static void pipe_inner_release(struct ref *r)
{
	struct pipe_inner *p = container_of(r, struct pipe_inner, ref);

	fifo_forget(p);
	kfree(p->buf);
	kfree(p);
	__atomic_sub_fetch(&pipes_live, 1, __ATOMIC_RELAXED);
}

void pipe_inner_put(struct pipe_inner *p)
{
	ref_put(&p->ref, pipe_inner_release);
}

/* ---- read and write ---- */

static bool file_nonblock(struct file *f)
{
	guard(spinlock)(&f->lock);
	return f->flags & O_NONBLOCK;
}

/* Data to read, or no writer left (EOF). */
static bool pipe_readable(struct pipe_inner *p)
{
	guard(spinlock)(&p->lock);
	return p->len || !p->writers;
}

/* need bytes of room, or no reader left (EPIPE). */
static bool pipe_writable(struct pipe_inner *p, size_t need)
{
	guard(spinlock)(&p->lock);
	return p->cap - p->len >= need || !p->readers;
}

/*
 * Copy up to n held bytes, starting at ring index head, to buf (from its
 * start): the part up to the end of the ring, then the part from its
 * start. Return the bytes copied; fewer than n only after a fault.
 */
static size_t ring_copy_out(const char *ring, size_t cap, size_t head,
			    const struct iobuf *buf, size_t n)
{
	size_t first = MIN(n, cap - head);
	size_t got = iobuf_copy_to_upto(buf, 0, ring + head, first);

	if (got == first && n > first)
		got += iobuf_copy_to_upto(buf, first, ring, n - first);
	return got;
}

/* Copy n bytes at offset at of buf into the free space starting at ring
 * index tail, wrapping like ring_copy_out. Return the bytes copied. */
static size_t ring_copy_in(char *ring, size_t cap, size_t tail,
			   const struct iobuf *buf, size_t at, size_t n)
{
	size_t first = MIN(n, cap - tail);
	size_t put = iobuf_copy_from_upto(ring + tail, buf, at, first);

	if (put == first && n > first)
		put += iobuf_copy_from_upto(ring, buf, at + first, n - first);
	return put;
}

/*
 * One read pass: take rd_mutex, copy what the ring holds (up to buf->len)
 * to buf, and consume what was delivered. Return the bytes read, 0 when
 * the ring was empty (*eof: and no writer is left), or -EFAULT.
 */
static ssize_t pipe_read_some(struct pipe_inner *p, const struct iobuf *buf, bool *eof)
{
	size_t head, avail, cap, got;
	const char *ring;
	bool wake = false;

	guard(mutex)(&p->rd_mutex);
	scoped_guard(spinlock, &p->lock) {
		/* Stable while we hold rd_mutex: only we consume, and a writer
		 * only appends after head + len. */
		head = p->head;
		avail = MIN(p->len, buf->len);
		ring = p->buf;
		cap = p->cap;
		*eof = !p->writers;
	}
	if (!avail)
		return 0;
	got = ring_copy_out(ring, cap, head, buf, avail);
	if (!got)
		return -EFAULT;
	scoped_guard(spinlock, &p->lock) {
		p->head = (head + got) & (cap - 1);
		p->len -= got;
		wake = waitqueue_active(&p->wr_wait);
	}
	if (wake)
		wake_up_all(&p->wr_wait);
	return (ssize_t)got;
}

ssize_t pipe_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct pipe_inner *p = f->private;

	(void)pos;
	if (!buf->len)
		return 0;
	for (;;) {
		bool eof;
		ssize_t n = pipe_read_some(p, buf, &eof);

		if (n || eof)
			return n;
		if (file_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&p->rd_wait, pipe_readable(p));
		if (err)
			return err;
	}
}

/* The pipe has no reader: SIGPIPE to the writing thread, and EPIPE. */
static ssize_t pipe_broken(size_t done)
{
	send_signal_task(current, SIGPIPE);
	return done ? (ssize_t)done : -EPIPE;
}

/* Outcome of one write pass besides the bytes it moved. */
enum write_stop { WRITE_OK, WRITE_NO_ROOM, WRITE_BROKEN, WRITE_FAULT };

/*
 * One write pass: take wr_mutex and, when the ring has need bytes free,
 * fill as much of the free space as the rest of buf (from offset at) needs
 * and publish what was copied. Return the bytes written; *stop says why
 * none or fewer than wanted moved.
 */
static size_t pipe_write_some(struct pipe_inner *p, const struct iobuf *buf, size_t at,
			      size_t need, enum write_stop *stop)
{
	size_t tail, room, cap, n, put;
	char *ring;
	bool wake = false;

	guard(mutex)(&p->wr_mutex);
	scoped_guard(spinlock, &p->lock) {
		/* The free space stays ours while we hold wr_mutex: a reader
		 * only consumes bytes before head + len. */
		tail = (p->head + p->len) & (p->cap - 1);
		room = p->cap - p->len;
		ring = p->buf;
		cap = p->cap;
		*stop = !p->readers ? WRITE_BROKEN : room < need ? WRITE_NO_ROOM : WRITE_OK;
	}
	if (*stop != WRITE_OK)
		return 0;
	n = MIN(buf->len - at, room);
	put = ring_copy_in(ring, cap, tail, buf, at, n);
	if (put < n)
		*stop = WRITE_FAULT;
	if (!put)
		return 0;
	scoped_guard(spinlock, &p->lock) {
		p->len += put;
		wake = waitqueue_active(&p->rd_wait);
	}
	if (wake)
		wake_up_all(&p->rd_wait);
	return put;
}

ssize_t pipe_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct pipe_inner *p = f->private;
	/* An atomic write waits for room for all of it. */
	size_t need = buf->len <= PIPE_BUF ? buf->len : 1;
	size_t done = 0;

	(void)pos;
	while (done < buf->len) {
		enum write_stop stop;

		done += pipe_write_some(p, buf, done, need, &stop);
		if (stop == WRITE_OK)
			continue;
		if (stop == WRITE_BROKEN)
			return pipe_broken(done);
		if (stop == WRITE_FAULT)
			return done ? (ssize_t)done : -EFAULT;
		if (file_nonblock(f))
			return done ? (ssize_t)done : -EAGAIN;
		long err = wait_event_interruptible(&p->wr_wait, pipe_writable(p, need));
		if (err)
			return done ? (ssize_t)done : err;
	}
	return (ssize_t)done;
}

/* ---- poll and release ---- */

unsigned pipe_poll(struct file *f, struct poll_table *pt)
{
	struct pipe_inner *p = f->private;
	unsigned mask = 0;

	/* Register before testing, so a change in between still wakes us. */
	if (f->mode & FMODE_READ)
		poll_wait(&p->rd_wait, pt);
	if (f->mode & FMODE_WRITE)
		poll_wait(&p->wr_wait, pt);
	guard(spinlock)(&p->lock);
	if (f->mode & FMODE_READ) {
		if (p->len)
			mask |= POLLIN | POLLRDNORM;
		/* A FIFO nobody has opened for writing yet is not hung up. */
		if (!p->writers && p->w_counter)
			mask |= POLLHUP;
	}
	if (f->mode & FMODE_WRITE) {
		if (p->cap - p->len >= PIPE_BUF)
			mask |= POLLOUT | POLLWRNORM;
		if (!p->readers)
			mask |= POLLERR;
	}
	return mask;
}

/* FIONREAD: the bytes waiting in the ring, on either end (as Linux). */
long pipe_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct pipe_inner *p = f->private;
	int n;

	if (cmd != FIONREAD)
		return -ENOTTY;
	scoped_guard(spinlock, &p->lock) {
		n = (int)p->len;
	}
	return put_user(n, (int __user *)arg) ? -EFAULT : 0;
}

void pipe_release(struct file *f)
{
	struct pipe_inner *p = f->private;

	scoped_guard(spinlock, &p->lock) {
		if (f->mode & FMODE_READ)
			p->readers--;
		if (f->mode & FMODE_WRITE)
			p->writers--;
	}
	/* Readers may now see EOF, writers EPIPE. */
	wake_up_all(&p->rd_wait);
	wake_up_all(&p->wr_wait);
	f->private = NULL;
	pipe_inner_put(p);
}

const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

bool file_is_pipe(const struct file *f)
{
	return f->ops == &pipe_fops || f->ops == &fifo_fops;
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe_inner *p;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	/* Both ends share one pipefs inode: fstat shows a FIFO. */
	__free(inode_put) struct inode *ino = pipefs_inode_new();
	if (!ino)
		return -ENOMEM;
	p = pipe_inner_alloc();
	if (!p)
		return -ENOMEM;
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	ref_get(&p->ref); /* one reference per end */
	/* Opening /proc/PID/fd/N of either end opens this pipe as a FIFO
	 * (Linux's fifo_open on the pipe inode): bash's <(...). */
	ino->fops = &fifo_fops;
	fifo_register(p, ino);

	__free(file_put) struct file *r = file_alloc(ino, &pipe_fops, O_RDONLY | (flags & O_NONBLOCK));
	if (IS_ERR(r)) {
		pipe_inner_put(p);
		pipe_inner_put(p);
		return (int)PTR_ERR(r);
	}
	r->private = p; /* its release now drops a reader and a reference */
	__free(file_put) struct file *w = file_alloc(ino, &pipe_fops, O_WRONLY | (flags & O_NONBLOCK));
	if (IS_ERR(w)) {
		p->writers = 0;
		pipe_inner_put(p);
		return (int)PTR_ERR(w);
	}
	w->private = p;
	*rd = take_ptr(r);
	*wr = take_ptr(w);
	return 0;
}
