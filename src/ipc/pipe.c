/*
 * Pipes: the ring buffer shared by the two ends, and the read, write,
 * poll and release operations of both anonymous pipes and FIFOs.
 *
 * Locking: see pipe_internal.h. User memory is copied through a bounce
 * buffer outside inner->lock (on the kernel stack for small transfers, else
 * a PIPE_BUF kmalloc). A waiter sleeps on rd_wait/wr_wait with
 * wait_event_interruptible (or poll_wait), which queues itself and then
 * tests its condition under inner->lock; every change that could make a
 * condition true is made under inner->lock, which also samples whether the
 * queue has waiters, and is followed by a wake-up when it has. A waiter
 * queued before that critical section is seen in it; one queued after it
 * sees the change under the lock, so no wake-up is lost.
 *
 * A write of at most PIPE_BUF bytes waits until it fits and goes into the
 * ring in one step (atomic); a larger one moves as room appears and may be
 * partial when interrupted or non-blocking. A read returns what is there.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/poll.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include "pipe_internal.h"

/* Transfers up to this size bounce through the kernel stack. */
#define PIPE_SMALL_IO 128

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

/* ---- the ring (caller holds p->lock) ---- */

static void ring_put(struct pipe_inner *p, const char *src, size_t n)
{
	size_t tail = (p->head + p->len) & (p->cap - 1);
	size_t first = MIN(n, p->cap - tail);

	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, src + first, n - first);
	p->len += n;
}

static void ring_get(struct pipe_inner *p, char *dst, size_t n)
{
	size_t first = MIN(n, p->cap - p->head);

	memcpy(dst, p->buf + p->head, first);
	memcpy(dst + first, p->buf, n - first);
	p->head = (p->head + n) & (p->cap - 1);
	p->len -= n;
	if (!p->len)
		p->head = 0;
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

ssize_t pipe_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct pipe_inner *p = f->private;
	size_t done = 0;

	(void)pos;
	if (!buf->len)
		return 0;
	size_t bsize = buf->len <= PIPE_SMALL_IO ? PIPE_SMALL_IO : PIPE_BUF;
	char small[PIPE_SMALL_IO];
	__free(kfree) char *heap = bsize > PIPE_SMALL_IO ? kmalloc(PIPE_BUF) : NULL;
	char *bounce = heap ? heap : small;
	if (bsize > PIPE_SMALL_IO && !heap)
		return -ENOMEM;
	while (done < buf->len) {
		size_t n = 0;
		bool eof = false, wake = false;

		scoped_guard(spinlock, &p->lock) {
			n = MIN(p->len, MIN(buf->len - done, bsize));
			ring_get(p, bounce, n);
			eof = !p->writers;
			wake = n && waitqueue_active(&p->wr_wait);
		}
		if (n) {
			if (wake)
				wake_up_all(&p->wr_wait);
			/* The bytes are consumed either way; a bad buffer
			 * loses them, as a reader racing for them would. */
			if (iobuf_copy_to(buf, done, bounce, n))
				return done ? (ssize_t)done : -EFAULT;
			done += n;
			continue;
		}
		if (done || eof)
			break;
		if (file_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&p->rd_wait, pipe_readable(p));
		if (err)
			return err;
	}
	return (ssize_t)done;
}

/* The pipe has no reader: SIGPIPE to the writing thread, and EPIPE. */
static ssize_t pipe_broken(size_t done)
{
	send_signal_task(current, SIGPIPE);
	return done ? (ssize_t)done : -EPIPE;
}

ssize_t pipe_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct pipe_inner *p = f->private;
	bool atomic = buf->len <= PIPE_BUF;
	size_t done = 0;

	(void)pos;
	if (!buf->len)
		return 0;
	size_t bsize = buf->len <= PIPE_SMALL_IO ? PIPE_SMALL_IO : PIPE_BUF;
	char small[PIPE_SMALL_IO];
	__free(kfree) char *heap = bsize > PIPE_SMALL_IO ? kmalloc(PIPE_BUF) : NULL;
	char *bounce = heap ? heap : small;
	if (bsize > PIPE_SMALL_IO && !heap)
		return -ENOMEM;
	while (done < buf->len) {
		size_t chunk = MIN(buf->len - done, bsize);
		size_t off = 0;

		if (iobuf_copy_from(bounce, buf, done, chunk))
			return done ? (ssize_t)done : -EFAULT;
		while (off < chunk) {
			/* An atomic write waits for room for all of it. */
			size_t need = atomic ? chunk : 1;
			size_t n = 0;
			bool broken = false, wake = false;

			scoped_guard(spinlock, &p->lock) {
				broken = !p->readers;
				if (!broken && p->cap - p->len >= need) {
					n = MIN(chunk - off, p->cap - p->len);
					ring_put(p, bounce + off, n);
					wake = waitqueue_active(&p->rd_wait);
				}
			}
			if (broken)
				return pipe_broken(done);
			if (n) {
				if (wake)
					wake_up_all(&p->rd_wait);
				off += n;
				done += n;
				continue;
			}
			if (file_nonblock(f))
				return done ? (ssize_t)done : -EAGAIN;
			long err = wait_event_interruptible(&p->wr_wait, pipe_writable(p, need));
			if (err)
				return done ? (ssize_t)done : err;
		}
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
	p = pipe_inner_alloc();
	if (!p)
		return -ENOMEM;
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	ref_get(&p->ref); /* one reference per end */

	__free(file_put) struct file *r = file_alloc(NULL, &pipe_fops, O_RDONLY | (flags & O_NONBLOCK));
	if (IS_ERR(r)) {
		pipe_inner_put(p);
		pipe_inner_put(p);
		return (int)PTR_ERR(r);
	}
	r->private = p; /* its release now drops a reader and a reference */
	__free(file_put) struct file *w = file_alloc(NULL, &pipe_fops, O_WRONLY | (flags & O_NONBLOCK));
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
