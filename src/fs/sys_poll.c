/*
 * poll, ppoll, select, pselect6. One loop serves them all: poll every file
 * with a poll_table that puts the caller on each file's wait queues (which
 * also marks it sleeping), and if nothing is ready sleep until a wake-up, a
 * signal or the deadline, then poll again. Registration happens before the
 * readiness test, so a wake-up between the two is not lost: it makes the
 * caller runnable and the sleep returns at once.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/poll.h>
#include <ferrite/signal.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>

#define POLL_MAX_FDS 1024
/* With more wait queues than the table holds, re-poll this often. */
#define POLL_OVERFLOW_NS 10000000ULL

struct pollfd {
	int fd;
	short events;
	short revents;
};

static void poll_table_release(struct poll_table *pt)
{
	for (unsigned i = 0; i < pt->count; i++)
		finish_wait(pt->entries[i].wq, &pt->entries[i].wait);
	pt->count = 0;
	pt->overflow = false;
}

/* Poll one fd; POLLNVAL for a bad descriptor. */
static unsigned poll_one(int fd, unsigned events, struct poll_table *pt)
{
	if (fd < 0)
		return 0;
	struct file *f = fd_get(fd);
	if (!f)
		return POLLNVAL;
	unsigned mask = f->ops && f->ops->poll ? f->ops->poll(f, pt)
					       : POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	file_put(f);
	return mask & (events | POLLERR | POLLHUP | POLLNVAL);
}

/*
 * The shared loop: scan(pt, arg) polls every file and returns how many are
 * ready. deadline_ns 0 waits forever; a deadline in the past polls once.
 */
static long poll_loop(long (*scan)(struct poll_table *, void *), void *arg,
		      unsigned nqueues, uint64_t deadline_ns, bool once)
{
	struct poll_table pt = { .cap = nqueues };
	long ready;

	pt.entries = kcalloc(pt.cap ? pt.cap : 1, sizeof(*pt.entries));
	if (!pt.entries)
		return -ENOMEM;
	for (;;) {
		ready = scan(once ? NULL : &pt, arg);
		if (ready || once)
			break;
		if (signal_pending_current()) {
			ready = -ERESTARTNOHAND;
			break;
		}
		uint64_t until = deadline_ns;
		if (pt.overflow || !pt.count) {
			uint64_t tick = hal_time_ns() + POLL_OVERFLOW_NS;
			if (pt.overflow && (!until || tick < until))
				until = tick;
			set_current_state(TASK_INTERRUPTIBLE);
		}
		uint64_t left = schedule_timeout(until);
		poll_table_release(&pt);
		if (deadline_ns && !left && hal_time_ns() >= deadline_ns) {
			ready = scan(NULL, arg); /* one last look */
			break;
		}
	}
	poll_table_release(&pt);
	kfree(pt.entries);
	return ready;
}

struct poll_args {
	struct pollfd *fds;
	unsigned nfds;
};

static long poll_scan(struct poll_table *pt, void *arg)
{
	struct poll_args *a = arg;
	long ready = 0;

	for (unsigned i = 0; i < a->nfds; i++) {
		a->fds[i].revents = (short)poll_one(a->fds[i].fd, (unsigned short)a->fds[i].events, pt);
		if (a->fds[i].revents) {
			ready++;
			pt = NULL; /* something is ready: no need to wait on the rest */
		}
	}
	return ready;
}

/* timeout_ns < 0: forever. */
static long do_poll(struct pollfd __user *ufds, unsigned long nfds, int64_t timeout_ns)
{
	if (nfds > POLL_MAX_FDS)
		return -EINVAL;
	__free(kfree) struct pollfd *fds = kcalloc(nfds ? nfds : 1, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	if (copy_from_user(fds, ufds, nfds * sizeof(*fds)))
		return -EFAULT;
	struct poll_args a = { fds, (unsigned)nfds };
	uint64_t deadline = timeout_ns < 0 ? 0 : hal_time_ns() + (uint64_t)timeout_ns;
	long ret = poll_loop(poll_scan, &a, 2 * (unsigned)nfds + 2, deadline, timeout_ns == 0);
	if (ret >= 0) {
		for (unsigned long i = 0; i < nfds; i++)
			if (put_user(fds[i].revents, &ufds[i].revents))
				return -EFAULT;
	}
	return ret;
}

/* Read a timespec into nanoseconds; -1 for NULL (forever). */
static int64_t timespec_arg(const struct timespec __user *uts, long *err)
{
	struct timespec ts;

	*err = 0;
	if (!uts)
		return -1;
	if (copy_from_user(&ts, uts, sizeof(ts))) {
		*err = -EFAULT;
		return 0;
	}
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L) {
		*err = -EINVAL;
		return 0;
	}
	if (ts.tv_sec > 100000000L)
		return -1; /* beyond any practical deadline: forever */
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long sys_ppoll(struct pollfd __user *ufds, unsigned long nfds, const struct timespec __user *tmo,
	       const sigset_t __user *umask, size_t sigsetsize)
{
	long err;
	int64_t ns = timespec_arg(tmo, &err);
	if (err)
		return err;
	long swapped = sigmask_begin_temporary(umask, sigsetsize);
	if (swapped < 0)
		return swapped;
	long ret = do_poll(ufds, nfds, ns);
	if (swapped)
		sigmask_end_temporary(ret);
	return ret;
}

long sys_poll(struct pollfd __user *ufds, unsigned long nfds, int timeout_ms)
{
	return do_poll(ufds, nfds, timeout_ms < 0 ? -1 : (int64_t)timeout_ms * 1000000);
}

/* select: three bitmaps of n descriptors. */
struct select_args {
	unsigned n;
	unsigned long *in, *out, *ex;          /* requested (kernel copies) */
	unsigned long *rin, *rout, *rex;       /* results */
};

#define BITS_PER_LONG (8 * sizeof(long))
static bool test_fd(const unsigned long *set, unsigned fd)
{
	return set && (set[fd / BITS_PER_LONG] >> (fd % BITS_PER_LONG)) & 1;
}
static void set_fd(unsigned long *set, unsigned fd)
{
	set[fd / BITS_PER_LONG] |= 1UL << (fd % BITS_PER_LONG);
}

#define SEL_IN (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLERR)
#define SEL_EX POLLPRI

static long select_scan(struct poll_table *pt, void *arg)
{
	struct select_args *a = arg;
	size_t words = (a->n + BITS_PER_LONG - 1) / BITS_PER_LONG;
	long ready = 0;

	memset(a->rin, 0, words * sizeof(long));
	memset(a->rout, 0, words * sizeof(long));
	memset(a->rex, 0, words * sizeof(long));
	for (unsigned fd = 0; fd < a->n; fd++) {
		unsigned want = (test_fd(a->in, fd) ? SEL_IN : 0) | (test_fd(a->out, fd) ? SEL_OUT : 0) |
				(test_fd(a->ex, fd) ? SEL_EX : 0);
		if (!want)
			continue;
		unsigned m = poll_one((int)fd, want, pt);
		if (m & POLLNVAL)
			return -EBADF;
		bool hit = false;
		if ((m & SEL_IN) && test_fd(a->in, fd))
			set_fd(a->rin, fd), hit = true, ready++;
		if ((m & SEL_OUT) && test_fd(a->out, fd))
			set_fd(a->rout, fd), hit = true, ready++;
		if ((m & SEL_EX) && test_fd(a->ex, fd))
			set_fd(a->rex, fd), hit = true, ready++;
		if (hit)
			pt = NULL;
	}
	return ready;
}

static long do_select(int n, unsigned long __user *uin, unsigned long __user *uout,
		      unsigned long __user *uex, int64_t timeout_ns)
{
	if (n < 0 || n > POLL_MAX_FDS)
		return -EINVAL;
	size_t words = ((size_t)n + BITS_PER_LONG - 1) / BITS_PER_LONG;
	size_t bytes = words * sizeof(long);
	__free(kfree) unsigned long *buf = kcalloc(6 * (words ? words : 1), sizeof(long));
	if (!buf)
		return -ENOMEM;
	struct select_args a = { (unsigned)n, uin ? buf : NULL, uout ? buf + words : NULL,
				 uex ? buf + 2 * words : NULL, buf + 3 * words, buf + 4 * words,
				 buf + 5 * words };
	if ((uin && copy_from_user(a.in, uin, bytes)) || (uout && copy_from_user(a.out, uout, bytes)) ||
	    (uex && copy_from_user(a.ex, uex, bytes)))
		return -EFAULT;
	uint64_t deadline = timeout_ns < 0 ? 0 : hal_time_ns() + (uint64_t)timeout_ns;
	long ret = poll_loop(select_scan, &a, 2 * (unsigned)n + 2, deadline, timeout_ns == 0);
	if (ret < 0)
		return ret;
	if ((uin && copy_to_user(uin, a.rin, bytes)) || (uout && copy_to_user(uout, a.rout, bytes)) ||
	    (uex && copy_to_user(uex, a.rex, bytes)))
		return -EFAULT;
	return ret;
}

long sys_pselect6(int n, unsigned long __user *in, unsigned long __user *out, unsigned long __user *ex,
		  const struct timespec __user *tmo, const void __user *usig)
{
	long err;
	int64_t ns = timespec_arg(tmo, &err);
	if (err)
		return err;
	struct {
		const sigset_t __user *set;
		size_t size;
	} sig = { NULL, 0 };
	if (usig && copy_from_user(&sig, usig, sizeof(sig)))
		return -EFAULT;
	long swapped = sigmask_begin_temporary(sig.set, sig.size);
	if (swapped < 0)
		return swapped;
	long ret = do_select(n, in, out, ex, ns);
	if (swapped)
		sigmask_end_temporary(ret);
	return ret;
}

long sys_select(int n, unsigned long __user *in, unsigned long __user *out, unsigned long __user *ex,
		struct timeval __user *utv)
{
	int64_t ns = -1;
	if (utv) {
		struct timeval tv;
		if (copy_from_user(&tv, utv, sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
		ns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	}
	return do_select(n, in, out, ex, ns);
}
