/*
 * Robust futex lists at thread exit. User space (glibc's robust mutexes)
 * registers a list head with set_robust_list; each held robust lock is an
 * entry, the futex word lies futex_offset bytes from it, and
 * list_op_pending names a lock being taken or released right now. When the
 * owner dies, every word still holding its tid gets FUTEX_OWNER_DIED (and
 * keeps FUTEX_WAITERS), and one waiter is woken to claim it: its
 * pthread_mutex_lock then returns EOWNERDEAD.
 * The list is user memory: every read may fault (the walk then stops) and
 * a loop is cut after ROBUST_LIST_LIMIT entries.
 * Lock: none; runs in the exiting thread, whose mm is current.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include "futex_internal.h"

#define ROBUST_LIST_LIMIT 2048

struct robust_list_head_user {
	uintptr_t next;          /* first entry; bit 0: the lock is PI */
	long futex_offset;       /* from an entry to its futex word */
	uintptr_t list_op_pending;
};

static void futex_owner_died(struct mm *mm, uintptr_t uaddr, uint32_t tid, bool pi,
			     bool pending)
{
	uint32_t uval, cur;

	if (uaddr & 3)
		return;
	for (int tries = 0; tries < 16; tries++) {
		if (get_user(uval, (const uint32_t __user *)uaddr))
			return;
		/* Died between the unlock's store of 0 and its wake: pass the
		 * wake-up on so no waiter is stranded. */
		if (pending && !pi && !uval) {
			futex_wake(mm, uaddr, 1, FUTEX_BITSET_MATCH_ANY);
			return;
		}
		if ((uval & FUTEX_TID_MASK) != tid)
			return;
		if (futex_cmpxchg_user(mm, uaddr, uval,
				       (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED, &cur))
			return;
		if (cur != uval)
			continue; /* a waiter just set FUTEX_WAITERS: again */
		if (!pi && (uval & FUTEX_WAITERS))
			futex_wake(mm, uaddr, 1, FUTEX_BITSET_MATCH_ANY);
		return;
	}
}

void futex_exit_robust_list(struct task *self)
{
	uintptr_t head_addr = self->robust_list, entry, pending;
	struct robust_list_head_user head;
	struct mm *mm = self->proc->mm;
	bool pi, pending_pi;

	self->robust_list = 0;
	if (!head_addr || !mm || self != current)
		return;
	if (copy_from_user(&head, (const void __user *)head_addr, sizeof(head)))
		return;
	entry = head.next & ~(uintptr_t)1;
	pi = head.next & 1;
	pending = head.list_op_pending & ~(uintptr_t)1;
	pending_pi = head.list_op_pending & 1;
	for (int n = 0; entry != head_addr && n < ROBUST_LIST_LIMIT; n++) {
		uintptr_t next;

		if (!entry || get_user(next, (const uintptr_t __user *)entry))
			break;
		/* The pending lock is handled last, once. */
		if (entry != pending)
			futex_owner_died(mm, entry + head.futex_offset, self->tid, pi, false);
		entry = next & ~(uintptr_t)1;
		pi = next & 1;
	}
	if (pending)
		futex_owner_died(mm, pending + head.futex_offset, self->tid, pending_pi, true);
}
