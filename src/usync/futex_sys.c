/*
 * sys_futex: decode futex(2) and call the operations on resolved keys.
 * Argument checks follow Linux's order: the timeout is read and checked
 * first, then the op, then the address (EINVAL when not 4-byte aligned).
 * The PI operations are not implemented and return -ENOSYS.
 * Lock: none here; the keys' frame references are dropped on every path.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vm.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>
#include "futex_internal.h"

/* Return the absolute monotonic deadline of utime (nonzero), or -errno. */
static long futex_deadline(int cmd, int op, const struct timespec __user *utime,
			   uint64_t *deadline)
{
	struct timespec ts;
	uint64_t t;

	if (copy_from_user(&ts, utime, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NSEC_PER_SEC)
		return -EINVAL;
	if ((uint64_t)ts.tv_sec >= UINT64_MAX / NSEC_PER_SEC / 2)
		t = UINT64_MAX / 2; /* forever, in practice */
	else
		t = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	if (cmd == FUTEX_WAIT) {
		t += hal_time_ns(); /* relative, whatever the clock */
	} else if (op & FUTEX_CLOCK_REALTIME) {
		uint64_t boot = hal_boot_realtime_ns();
		t = t > boot ? t - boot : 0;
	}
	*deadline = t ? t : 1; /* 0 would mean "no deadline" */
	return 0;
}

static long futex_do_wait(struct mm *mm, uintptr_t addr, bool shared, uint32_t val,
			  uint64_t deadline, uint32_t bitset)
{
	struct futex_key key;
	long ret;

	if (!bitset)
		return -EINVAL;
	ret = futex_key_get(mm, addr, shared, &key);
	if (ret)
		return ret;
	ret = futex_wait(&key, addr, val, deadline, bitset);
	futex_key_put(&key);
	return ret;
}

static long futex_do_wake(struct mm *mm, uintptr_t addr, bool shared, int nr, uint32_t bitset)
{
	struct futex_key key;
	long ret;

	if (!bitset)
		return -EINVAL;
	ret = futex_key_get(mm, addr, shared, &key);
	if (ret)
		return ret;
	ret = futex_wake_key(&key, nr, bitset);
	futex_key_put(&key);
	return ret;
}

/* REQUEUE, CMP_REQUEUE (cmp) and WAKE_OP (!requeue) share key handling. */
static long futex_do_two(struct mm *mm, int cmd, uintptr_t addr, uintptr_t addr2, bool shared,
			 int nr, int nr2, uint32_t val3)
{
	struct futex_key key1, key2;
	struct frame *f = NULL;
	uint32_t *word = NULL;
	long ret;

	if (addr2 & 3)
		return -EINVAL;
	if (cmd == FUTEX_WAKE_OP && futex_op_valid(val3))
		return -ENOSYS;
	ret = futex_key_get(mm, addr, shared, &key1);
	if (ret)
		return ret;
	ret = futex_key_get(mm, addr2, shared, &key2);
	if (ret) {
		futex_key_put(&key1);
		return ret;
	}
	/* The word the op reads or changes, pinned before any bucket lock is
	 * taken (resolving it may sleep). */
	if (cmd == FUTEX_WAKE_OP)
		f = futex_pin_word(mm, addr2, VM_WRITE, &word);
	else if (cmd == FUTEX_CMP_REQUEUE)
		f = futex_pin_word(mm, addr, VM_READ, &word);
	if (cmd != FUTEX_REQUEUE && !f)
		ret = -EFAULT;
	else if (cmd == FUTEX_WAKE_OP)
		ret = futex_wake_op(&key1, &key2, word, nr, nr2, val3);
	else
		ret = futex_requeue(&key1, &key2, nr, nr2, word, val3);
	if (f)
		frame_put(f);
	futex_key_put(&key2);
	futex_key_put(&key1);
	return ret;
}

long sys_futex(uint32_t __user *uaddr, int op, uint32_t val, const struct timespec __user *utime,
	       uint32_t __user *uaddr2, uint32_t val3)
{
	struct mm *mm = current->proc->mm;
	int cmd = op & FUTEX_CMD_MASK;
	bool shared = !(op & FUTEX_PRIVATE_FLAG);
	uintptr_t addr = (uintptr_t)uaddr, addr2 = (uintptr_t)uaddr2;
	uint32_t val2 = (uint32_t)(uintptr_t)utime; /* REQUEUE, WAKE_OP: a count */
	uint64_t deadline = 0;
	long err;

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	if (utime && (cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET)) {
		err = futex_deadline(cmd, op, utime, &deadline);
		if (err)
			return err;
	}
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE:
	case FUTEX_WAKE_OP:
		break;
	default: /* PI ops, FUTEX_FD (gone from Linux too), unknown */
		return -ENOSYS;
	}
	if (addr & 3)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_do_wait(mm, addr, shared, val, deadline, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAIT_BITSET:
		return futex_do_wait(mm, addr, shared, val, deadline, val3);
	case FUTEX_WAKE:
		return futex_do_wake(mm, addr, shared, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return futex_do_wake(mm, addr, shared, (int)val, val3);
	default:
		return futex_do_two(mm, cmd, addr, addr2, shared, (int)val, (int)val2, val3);
	}
}
