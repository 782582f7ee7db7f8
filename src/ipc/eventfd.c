/*
 * eventfd(2): a 64-bit counter as a file. write adds to it, read takes it
 * (or, with EFD_SEMAPHORE, takes 1); a write that would reach the maximum
 * (2^64 - 1) waits for a reader, a read of zero waits for a writer.
 *
 * Lock: ctx->wait.lock guards count. Both directions sleep on the one
 * queue (wait_event_interruptible tests the condition after queueing, so
 * no wake-up is lost) and every change wakes it.
 */
#include <ferrite/errno.h>
#include <ferrite/eventpoll.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/poll.h>
#include <ferrite/waitqueue.h>

#define EVENTFD_MAX (~0ULL)

struct eventfd_ctx {
	struct waitqueue wait; /* readers, writers and pollers */
	uint64_t count;        /* Lock: wait.lock */
	bool semaphore;        /* EFD_SEMAPHORE: a read takes 1; fixed */
};

static size_t eventfds_live; /* atomic */

size_t eventfds_count_live(void)
{
	return __atomic_load_n(&eventfds_live, __ATOMIC_RELAXED);
}

static bool eventfd_nonblock(struct file *f)
{
	guard(spinlock)(&f->lock);
	return f->flags & O_NONBLOCK;
}

/* Take what a read takes, or 0 when the counter is empty. */
static uint64_t eventfd_take(struct eventfd_ctx *ctx, bool semaphore)
{
	unsigned long flags = spin_lock_irqsave(&ctx->wait.lock);
	uint64_t got = ctx->count && semaphore ? 1 : ctx->count;

	ctx->count -= got;
	if (got)
		wake_up_all_locked(&ctx->wait);
	spin_unlock_irqrestore(&ctx->wait.lock, flags);
	return got;
}

static ssize_t eventfd_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct eventfd_ctx *ctx = f->private;
	uint64_t got;

	if (buf->len < sizeof(got))
		return -EINVAL;
	while (!(got = eventfd_take(ctx, ctx->semaphore))) {
		if (eventfd_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&ctx->wait, READ_ONCE(ctx->count) != 0);
		if (err)
			return err;
	}
	if (iobuf_copy_to(buf, 0, &got, sizeof(got))) {
		/* Linux has taken the value by then too; give it back. */
		unsigned long flags = spin_lock_irqsave(&ctx->wait.lock);
		ctx->count += got;
		wake_up_all_locked(&ctx->wait);
		spin_unlock_irqrestore(&ctx->wait.lock, flags);
		return -EFAULT;
	}
	return sizeof(got);
}

/* Add v when it fits below the maximum; false otherwise. */
static bool eventfd_add(struct eventfd_ctx *ctx, uint64_t v)
{
	unsigned long flags = spin_lock_irqsave(&ctx->wait.lock);
	bool fits = EVENTFD_MAX - ctx->count > v;

	if (fits && v) {
		ctx->count += v;
		wake_up_all_locked(&ctx->wait);
	}
	spin_unlock_irqrestore(&ctx->wait.lock, flags);
	return fits;
}

static ssize_t eventfd_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct eventfd_ctx *ctx = f->private;
	uint64_t v;

	if (buf->len < sizeof(v))
		return -EINVAL;
	if (iobuf_copy_from(&v, buf, 0, sizeof(v)))
		return -EFAULT;
	if (v == EVENTFD_MAX)
		return -EINVAL;
	while (!eventfd_add(ctx, v)) {
		if (eventfd_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&ctx->wait,
						    EVENTFD_MAX - READ_ONCE(ctx->count) > v);
		if (err)
			return err;
	}
	return sizeof(v);
}

static unsigned eventfd_poll(struct file *f, struct poll_table *pt)
{
	struct eventfd_ctx *ctx = f->private;

	poll_wait(&ctx->wait, pt);
	uint64_t count = READ_ONCE(ctx->count);
	unsigned mask = 0;
	if (count)
		mask |= POLLIN | POLLRDNORM;
	if (count == EVENTFD_MAX)
		mask |= POLLERR;
	if (count < EVENTFD_MAX - 1)
		mask |= POLLOUT | POLLWRNORM;
	return mask;
}

static void eventfd_release(struct file *f)
{
	kfree(f->private);
	f->private = NULL;
	__atomic_sub_fetch(&eventfds_live, 1, __ATOMIC_RELAXED);
}

static const struct file_ops eventfd_fops = {
	.anon_name = "[eventfd]",
	.read = eventfd_read,
	.write = eventfd_write,
	.poll = eventfd_poll,
	.release = eventfd_release,
};

long sys_eventfd2(unsigned initval, int flags)
{
	if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	struct eventfd_ctx *ctx = kzalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	waitqueue_init(&ctx->wait);
	ctx->count = initval;
	ctx->semaphore = flags & EFD_SEMAPHORE;
	__atomic_add_fetch(&eventfds_live, 1, __ATOMIC_RELAXED);
	struct file *f = file_alloc(NULL, &eventfd_fops, O_RDWR | (flags & EFD_NONBLOCK));
	if (IS_ERR(f)) {
		kfree(ctx);
		__atomic_sub_fetch(&eventfds_live, 1, __ATOMIC_RELAXED);
		return PTR_ERR(f);
	}
	f->private = ctx;
	return fd_install(f, flags & EFD_CLOEXEC);
}

long sys_eventfd(unsigned initval)
{
	return sys_eventfd2(initval, 0);
}
