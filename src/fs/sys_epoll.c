/*
 * epoll system calls: epoll_create, epoll_create1, epoll_ctl, epoll_wait,
 * epoll_pwait, epoll_pwait2. The instance itself is src/fs/epoll.c.
 *
 * epoll_wait sleeps as an exclusive waiter on the instance's queue: a
 * wake-up wakes one sleeper, and a harvest that leaves events behind wakes
 * the next. It queues itself before it looks at the ready list, so an
 * event that arrives in between is not lost.
 */
#include <ferrite/errno.h>
#include <ferrite/eventpoll.h>
#include <ferrite/file.h>
#include <ferrite/signal.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>

/* Linux's bound: the array's byte size must fit an int. */
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))

long sys_epoll_create1(int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct file *f = eventpoll_create(flags);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, flags & EPOLL_CLOEXEC);
}

long sys_epoll_create(int size)
{
	if (size <= 0)
		return -EINVAL;
	return sys_epoll_create1(0);
}

long sys_epoll_ctl(int epfd, int op, int fd, struct epoll_event __user *uev)
{
	struct epoll_event ev = { 0 };

	if (op != EPOLL_CTL_DEL && copy_from_user(&ev, uev, sizeof(ev)))
		return -EFAULT;
	__free(file_put) struct file *epf = fd_get(epfd);
	if (!epf)
		return -EBADF;
	__free(file_put) struct file *target = fd_get(fd);
	if (!target)
		return -EBADF;
	struct eventpoll *ep = eventpoll_of(epf);
	if (!ep || epf == target)
		return -EINVAL;
	return eventpoll_ctl(ep, op, target, fd, &ev);
}

/* Sleep until the instance has events, a signal or the deadline (0:
 * forever); then harvest. Out of line: the common no-wait path stays
 * small. */
static __attribute__((noinline)) long ep_wait_sleep(struct eventpoll *ep, struct epoll_event __user *uevents,
						       int maxevents, uint64_t deadline_ns)
{
	struct waitqueue *wq = eventpoll_waitqueue(ep);

	for (;;) {
		struct wait_entry we = WAIT_ENTRY_INIT(we);
		prepare_to_wait_exclusive(wq, &we, TASK_INTERRUPTIBLE);
		long ret = 0;
		if (eventpoll_maybe_ready(ep))
			ret = 1; /* look again */
		else if (signal_pending_current())
			ret = -EINTR;
		else if (!schedule_timeout(deadline_ns) && deadline_ns &&
			 hal_time_ns() >= deadline_ns)
			ret = -ETIMEDOUT;
		finish_wait(wq, &we);
		if (ret == -EINTR)
			return -EINTR; /* Linux never restarts epoll_wait */
		long n = eventpoll_harvest(ep, uevents, maxevents);
		if (n || ret == -ETIMEDOUT)
			return n; /* after a timeout: that was the last look */
	}
}

/* deadline_ns: 0 = forever; once: a zero timeout (look, never sleep). */
static __always_inline long do_epoll_wait(int epfd, struct epoll_event __user *uevents, int maxevents,
			  uint64_t deadline_ns, bool once)
{
	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	size_t bytes = (size_t)maxevents * sizeof(struct epoll_event);
	if (bytes > hal_user_max || (uintptr_t)uevents > hal_user_max - bytes)
		return -EFAULT; /* Linux's access_ok: the range is not user memory */
	__free(fd_put_light) struct fd_ref epf = fd_get_light(epfd);
	if (!epf.file)
		return -EBADF;
	struct eventpoll *ep = eventpoll_of(epf.file);
	if (!ep)
		return -EINVAL;
	long n = eventpoll_harvest(ep, uevents, maxevents);
	if (n || once)
		return n;
	return ep_wait_sleep(ep, uevents, maxevents, deadline_ns);
}

/* A relative timeout in ms (< 0: forever; 0: none needed) as a deadline. */
static uint64_t ms_deadline(int timeout_ms)
{
	return timeout_ms <= 0 ? 0 : hal_time_ns() + (uint64_t)timeout_ms * 1000000ULL;
}

long sys_epoll_pwait(int epfd, struct epoll_event __user *uevents, int maxevents, int timeout_ms,
		     const sigset_t __user *umask, size_t sigsetsize)
{
	long swapped = sigmask_begin_temporary(umask, sigsetsize);
	if (swapped < 0)
		return swapped;
	long ret = do_epoll_wait(epfd, uevents, maxevents, ms_deadline(timeout_ms), timeout_ms == 0);
	if (swapped)
		sigmask_end_temporary(ret);
	return ret;
}

long sys_epoll_wait(int epfd, struct epoll_event __user *uevents, int maxevents, int timeout_ms)
{
	return do_epoll_wait(epfd, uevents, maxevents, ms_deadline(timeout_ms), timeout_ms == 0);
}

long sys_epoll_pwait2(int epfd, struct epoll_event __user *uevents, int maxevents,
		      const struct timespec __user *utmo, const sigset_t __user *umask,
		      size_t sigsetsize)
{
	uint64_t deadline = 0;
	bool once = false;

	if (utmo) {
		struct timespec ts;
		if (copy_from_user(&ts, utmo, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		once = !ts.tv_sec && !ts.tv_nsec;
		if (ts.tv_sec <= 100000000L) /* beyond that: forever */
			deadline = hal_time_ns() + (uint64_t)ts.tv_sec * 1000000000ULL +
				   (uint64_t)ts.tv_nsec;
	}
	long swapped = sigmask_begin_temporary(umask, sigsetsize);
	if (swapped < 0)
		return swapped;
	long ret = do_epoll_wait(epfd, uevents, maxevents, deadline, once);
	if (swapped)
		sigmask_end_temporary(ret);
	return ret;
}
