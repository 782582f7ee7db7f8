/*
 * timerfd(2): a timer whose expirations are read from a descriptor.
 * One-shot or periodic, relative or absolute, on CLOCK_MONOTONIC,
 * CLOCK_BOOTTIME (the same here: Ferrite does not suspend) or
 * CLOCK_REALTIME. An absolute CLOCK_REALTIME timer follows clock_settime
 * (timerfd_clock_was_set re-arms it), and with TFD_TIMER_CANCEL_ON_SET a
 * read after the clock was set fails with ECANCELED.
 *
 * Lock: ctx->wait.lock (irq-safe) guards the timer's state; the kernel
 * timer (src/proc/ktimer.c) fires under ktimer_lock and takes it inside.
 * Order: ktimer_lock -> ctx->wait.lock; realtime_list_lock -> ktimer_lock
 * -> ctx->wait.lock. ktimer_cancel before freeing, so the expiry function
 * never runs on a freed context.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/eventpoll.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/ktimer.h>
#include <ferrite/poll.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_timer.h>
#include <ferrite/timespec.h>
#include <uapi/time.h>

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define TFD_CLOEXEC 02000000
#define TFD_NONBLOCK 00004000

struct timerfd_ctx {
	struct ktimer timer;
	struct waitqueue wait;      /* readers and pollers; its lock guards the rest */
	int clockid;                /* CLOCK_REALTIME or CLOCK_MONOTONIC */
	bool armed;
	uint64_t expires_ns;        /* monotonic, while armed */
	uint64_t interval_ns;       /* 0: one-shot */
	uint64_t ticks;             /* expirations not yet read */
	bool abs_realtime;          /* follows clock_settime */
	uint64_t abs_realtime_ns;   /* its wall-clock expiry */
	bool cancel_on_set;
	bool canceled;              /* the clock was set: ECANCELED */
	struct list_head realtime_node; /* Lock: realtime_list_lock */
};

static struct spinlock realtime_list_lock = SPINLOCK_INIT("timerfd_realtime");
static LIST_HEAD(realtime_timers); /* absolute CLOCK_REALTIME timers */
static size_t timerfds_live;       /* atomic */

size_t timerfds_count_live(void)
{
	return __atomic_load_n(&timerfds_live, __ATOMIC_RELAXED);
}

/* The kernel timer fired: count the expirations it covers, re-arm. */
static void timerfd_expire(struct ktimer *t, uint64_t now)
{
	struct timerfd_ctx *ctx = container_of(t, struct timerfd_ctx, timer);

	guard_irqsave(&ctx->wait.lock);
	if (!ctx->armed)
		return;
	uint64_t n = 1;
	if (ctx->interval_ns) {
		n += (now - ctx->expires_ns) / ctx->interval_ns;
		ctx->expires_ns += n * ctx->interval_ns;
		ktimer_arm_locked(&ctx->timer, ctx->expires_ns);
	} else {
		ctx->armed = false;
	}
	ctx->ticks += n;
	wake_up_all_locked(&ctx->wait);
}

/* The current value (time left, interval). Caller holds ctx->wait.lock. */
static struct itimerspec timerfd_value_locked(struct timerfd_ctx *ctx)
{
	struct itimerspec v = { .it_interval = timespec_from_ns(ctx->interval_ns) };
	uint64_t now = hal_time_ns();

	if (ctx->armed)
		v.it_value = timespec_from_ns(ctx->expires_ns > now ? ctx->expires_ns - now : 1);
	return v;
}

/* Monotonic expiry of a wall-clock time (the past: now). */
static uint64_t realtime_to_mono(uint64_t realtime_ns)
{
	uint64_t boot = hal_boot_realtime_ns();

	return realtime_ns > boot ? realtime_ns - boot : 0;
}

static void timerfd_track_realtime(struct timerfd_ctx *ctx, bool on)
{
	guard_irqsave(&realtime_list_lock);
	if (!list_empty(&ctx->realtime_node))
		list_del(&ctx->realtime_node);
	if (on)
		list_add_tail(&ctx->realtime_node, &realtime_timers);
}

void timerfd_clock_was_set(void)
{
	struct timerfd_ctx *ctx;

	guard_irqsave(&realtime_list_lock);
	list_for_each_entry(ctx, &realtime_timers, realtime_node) {
		unsigned long flags = spin_lock_irqsave(&ctx->wait.lock);
		if (ctx->cancel_on_set) {
			ctx->canceled = true;
			wake_up_all_locked(&ctx->wait);
		}
		if (ctx->armed) {
			ctx->expires_ns = realtime_to_mono(ctx->abs_realtime_ns);
			spin_unlock_irqrestore(&ctx->wait.lock, flags);
			ktimer_arm(&ctx->timer, ctx->expires_ns);
			continue;
		}
		spin_unlock_irqrestore(&ctx->wait.lock, flags);
	}
}

static bool timerfd_nonblock(struct file *f)
{
	guard(spinlock)(&f->lock);
	return f->flags & O_NONBLOCK;
}

static bool timerfd_readable(struct timerfd_ctx *ctx)
{
	return READ_ONCE(ctx->ticks) || READ_ONCE(ctx->canceled);
}

static ssize_t timerfd_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct timerfd_ctx *ctx = f->private;
	uint64_t ticks;

	if (buf->len < sizeof(ticks))
		return -EINVAL;
	for (;;) {
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &ctx->wait.lock, 0 })) {
			if (ctx->canceled) { /* as Linux: the count goes too */
				ctx->canceled = false;
				ctx->ticks = 0;
				return -ECANCELED;
			}
			ticks = ctx->ticks;
			ctx->ticks = 0;
		}
		if (ticks)
			break;
		if (timerfd_nonblock(f))
			return -EAGAIN;
		long err = wait_event_interruptible(&ctx->wait, timerfd_readable(ctx));
		if (err)
			return err;
	}
	if (iobuf_copy_to(buf, 0, &ticks, sizeof(ticks))) {
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &ctx->wait.lock, 0 }))
			ctx->ticks += ticks;
		return -EFAULT;
	}
	return sizeof(ticks);
}

static unsigned timerfd_poll(struct file *f, struct poll_table *pt)
{
	struct timerfd_ctx *ctx = f->private;

	poll_wait(&ctx->wait, pt);
	return timerfd_readable(ctx) ? POLLIN | POLLRDNORM : 0;
}

static void timerfd_release(struct file *f)
{
	struct timerfd_ctx *ctx = f->private;

	timerfd_track_realtime(ctx, false);
	ktimer_cancel(&ctx->timer);
	kfree(ctx);
	f->private = NULL;
	__atomic_sub_fetch(&timerfds_live, 1, __ATOMIC_RELAXED);
}

static const struct file_ops timerfd_fops = {
	.anon_name = "[timerfd]",
	.read = timerfd_read,
	.poll = timerfd_poll,
	.release = timerfd_release,
};

long sys_timerfd_create(int clockid, int flags)
{
	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	clockid = timer_clock(clockid, current->proc->euid == 0);
	if (clockid < 0)
		return clockid;
	struct timerfd_ctx *ctx = kzalloc(sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ktimer_init(&ctx->timer, timerfd_expire);
	waitqueue_init(&ctx->wait);
	list_init(&ctx->realtime_node);
	ctx->clockid = clockid;
	__atomic_add_fetch(&timerfds_live, 1, __ATOMIC_RELAXED);
	struct file *f = file_alloc(NULL, &timerfd_fops, O_RDONLY | (flags & TFD_NONBLOCK));
	if (IS_ERR(f)) {
		kfree(ctx);
		__atomic_sub_fetch(&timerfds_live, 1, __ATOMIC_RELAXED);
		return PTR_ERR(f);
	}
	f->private = ctx;
	return fd_install(f, flags & TFD_CLOEXEC);
}

static struct timerfd_ctx *timerfd_of(struct file *f)
{
	return f->ops == &timerfd_fops ? f->private : NULL;
}

long sys_timerfd_settime(int fd, int flags, const struct itimerspec __user *unew,
			 struct itimerspec __user *uold)
{
	struct itimerspec nv, ov;

	if (copy_from_user(&nv, unew, sizeof(nv)))
		return -EFAULT;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (!timespec_valid(&nv.it_value) || !timespec_valid(&nv.it_interval))
		return -EINVAL;
	__free(file_put) struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	struct timerfd_ctx *ctx = timerfd_of(f);
	if (!ctx)
		return -EINVAL;
	uint64_t value = timespec_to_ns_clamped(&nv.it_value), now = hal_time_ns();
	bool abs = flags & TFD_TIMER_ABSTIME;
	bool abs_realtime = abs && ctx->clockid == CLOCK_REALTIME && value;
	uint64_t expires = !abs ? now + value
		       : ctx->clockid == CLOCK_REALTIME ? realtime_to_mono(value)
							: value;

	ktimer_cancel(&ctx->timer);
	timerfd_track_realtime(ctx, abs_realtime);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &ctx->wait.lock, 0 })) {
		ov = timerfd_value_locked(ctx);
		ctx->ticks = 0;
		ctx->canceled = false;
		ctx->armed = value != 0;
		ctx->expires_ns = expires;
		ctx->interval_ns = timespec_to_ns_clamped(&nv.it_interval);
		ctx->abs_realtime = abs_realtime;
		ctx->abs_realtime_ns = value;
		ctx->cancel_on_set = abs_realtime && (flags & TFD_TIMER_CANCEL_ON_SET);
	}
	if (value)
		ktimer_arm(&ctx->timer, expires);
	if (uold && copy_to_user(uold, &ov, sizeof(ov)))
		return -EFAULT;
	return 0;
}

long sys_timerfd_gettime(int fd, struct itimerspec __user *ucur)
{
	struct itimerspec v;
	__free(file_put) struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	struct timerfd_ctx *ctx = timerfd_of(f);
	if (!ctx)
		return -EINVAL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &ctx->wait.lock, 0 }))
		v = timerfd_value_locked(ctx);
	return copy_to_user(ucur, &v, sizeof(v)) ? -EFAULT : 0;
}
