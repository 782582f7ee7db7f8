/*
 * Futexes: WAIT/WAKE and their BITSET forms, keyed by (mm, user address)
 * for private and shared futexes alike (shared ones across processes that
 * map the same page differently are not matched yet).
 *
 * Lock: bucket->lock guards the waiter list and every waiter's woken flag.
 * Ordering proof of "no lost wake-up": a waiter queues itself and sets
 * TASK_INTERRUPTIBLE under the bucket lock *before* it reads the user
 * value; a waker changes the value *before* it takes the bucket lock to
 * wake. So either the waiter reads the new value (-EAGAIN) or the waker
 * finds it queued. Not yet: REQUEUE, CMP_REQUEUE, WAKE_OP, PI, robust lists.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/futex.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_boot.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

#define FUTEX_BUCKETS 64

struct futex_waiter {
	struct task *task;
	struct mm *mm;
	uintptr_t uaddr;
	uint32_t bitset;
	bool woken;            /* Lock: bucket lock */
	struct list_head node; /* Lock: bucket lock */
};

struct futex_bucket {
	struct spinlock lock;
	struct list_head waiters;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];
static int buckets_ready; /* atomic: 0, 1 initialising, 2 ready */

static struct futex_bucket *bucket_of(struct mm *mm, uintptr_t uaddr)
{
	uint64_t h = ((uintptr_t)mm >> 4) ^ (uaddr >> 2);

	if (__atomic_load_n(&buckets_ready, __ATOMIC_ACQUIRE) != 2) {
		int expect = 0;
		if (__atomic_compare_exchange_n(&buckets_ready, &expect, 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			for (int i = 0; i < FUTEX_BUCKETS; i++) {
				spin_init(&buckets[i].lock, "futex");
				list_init(&buckets[i].waiters);
			}
			__atomic_store_n(&buckets_ready, 2, __ATOMIC_RELEASE);
		}
		while (__atomic_load_n(&buckets_ready, __ATOMIC_ACQUIRE) != 2)
			hal_cpu_relax();
	}
	h *= 0x9e3779b97f4a7c15ULL;
	return &buckets[h >> 58];
}

int futex_wake(struct mm *mm, uintptr_t uaddr, int nr, uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(mm, uaddr);
	struct futex_waiter *w, *n;
	int woken = 0;

	if (!bitset)
		return -EINVAL;
	guard_irqsave(&b->lock);
	list_for_each_entry_safe(w, n, &b->waiters, node) {
		if (woken >= nr)
			break;
		if (w->mm != mm || w->uaddr != uaddr || !(w->bitset & bitset))
			continue;
		list_del(&w->node);
		w->woken = true;
		sched_wakeup(w->task);
		woken++;
	}
	return woken;
}

/* deadline_ns: monotonic, 0 for none. */
static long futex_wait(struct mm *mm, uintptr_t uaddr, uint32_t val, uint64_t deadline_ns,
		       uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(mm, uaddr);
	struct futex_waiter w = { .task = current, .mm = mm, .uaddr = uaddr, .bitset = bitset };
	uint32_t cur;
	long ret = 0;

	if (!bitset)
		return -EINVAL;
	list_init(&w.node);
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &b->lock, 0 })) {
		list_add_tail(&w.node, &b->waiters);
		WRITE_ONCE(current->state, TASK_INTERRUPTIBLE);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (get_user(cur, (const uint32_t __user *)uaddr))
		ret = -EFAULT;
	else if (cur != val)
		ret = -EAGAIN;

	while (!ret) {
		if (READ_ONCE(w.woken))
			break;
		if (signal_pending_current()) {
			ret = -EINTR;
			break;
		}
		if (!schedule_timeout(deadline_ns) && deadline_ns) {
			ret = -ETIMEDOUT;
			break;
		}
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &b->lock, 0 }))
			if (!w.woken)
				WRITE_ONCE(current->state, TASK_INTERRUPTIBLE);
	}
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &b->lock, 0 })) {
		WRITE_ONCE(current->state, TASK_RUNNING);
		if (w.woken)
			ret = 0; /* a wake that raced with the timeout still counts */
		else
			list_del(&w.node);
	}
	return ret;
}

static int timespec_to_ns(const struct timespec __user *uts, uint64_t *ns)
{
	struct timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	*ns = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

long sys_futex(uint32_t __user *uaddr, int op, uint32_t val, const struct timespec __user *utime,
	       uint32_t __user *uaddr2, uint32_t val3)
{
	struct mm *mm = current->proc->mm;
	int cmd = op & FUTEX_CMD_MASK;
	uintptr_t addr = (uintptr_t)uaddr;
	uint64_t deadline = 0, t;
	int err;

	(void)uaddr2;
	if (addr & 3)
		return -EINVAL;
	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_MATCH_ANY;
		if (utime) {
			err = timespec_to_ns(utime, &t);
			if (err)
				return err;
			deadline = hal_time_ns() + t;
			if (!deadline)
				deadline = 1;
		}
		return futex_wait(mm, addr, val, deadline, val3);
	case FUTEX_WAIT_BITSET:
		if (utime) {
			err = timespec_to_ns(utime, &t);
			if (err)
				return err;
			if (op & FUTEX_CLOCK_REALTIME) {
				uint64_t boot = hal_boot_realtime_ns();
				t = t > boot ? t - boot : 1;
			}
			deadline = t ? t : 1;
		}
		return futex_wait(mm, addr, val, deadline, val3);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		return futex_wake(mm, addr, (int)MIN(val, (uint32_t)INT32_MAX), val3);
	default:
		return -ENOSYS;
	}
}
