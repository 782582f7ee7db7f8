/*
 * Address-space limits and memory locking: RLIMIT_AS (every mapping),
 * RLIMIT_DATA (private writable mappings and brk) and RLIMIT_MEMLOCK
 * (mlock, mlock2, mlockall, MAP_LOCKED) with Linux's errnos, and the
 * mlock family itself. Ferrite has no swap, so a locked page is simply a
 * resident one counted against the limit: locking faults the pages in.
 * Limits are the calling process's (read with READ_ONCE; a racing
 * setrlimit gives the old or the new value). Lock: mm->lock for the VMA
 * walks and flag changes; faults run after it is dropped.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <uapi/resource.h>

static uint64_t rlimit_cur(unsigned resource)
{
	struct task *t = current;

	if (!t || !t->proc)
		return RLIM_INFINITY;
	return READ_ONCE(t->proc->rlim[resource].rlim_cur);
}

static bool ipc_lock_capable(void)
{
	struct task *t = current;

	return !t || !t->proc || READ_ONCE(t->proc->euid) == 0; /* CAP_IPC_LOCK */
}

bool mm_can_mlock(void)
{
	return rlimit_cur(RLIMIT_MEMLOCK) != 0 || ipc_lock_capable();
}

static bool is_data(unsigned flags)
{
	return (flags & (VM_WRITE | VM_SHARED | VM_GROWSDOWN)) == VM_WRITE;
}

struct vm_usage {
	size_t total, data, locked; /* pages of the whole mm */
	size_t total_in, data_in, locked_in; /* of them, inside [start, end) */
};

static size_t overlap_pages(const struct vma *v, uintptr_t start, uintptr_t end)
{
	uintptr_t lo = MAX(v->start, start), hi = MIN(v->end, end);

	return lo < hi ? (hi - lo) >> PAGE_SHIFT : 0;
}

static struct vm_usage usage_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct vm_usage u = { 0 };
	struct vma *v;

	list_for_each_entry(v, &mm->vmas, node) {
		size_t n = (v->end - v->start) >> PAGE_SHIFT, in = overlap_pages(v, start, end);
		u.total += n, u.total_in += in;
		if (is_data(v->flags))
			u.data += n, u.data_in += in;
		if (v->flags & VM_LOCKED)
			u.locked += n, u.locked_in += in;
	}
	return u;
}

static bool over(size_t pages, uint64_t limit)
{
	return limit != RLIM_INFINITY && (uint64_t)pages > (limit >> PAGE_SHIFT);
}

int mm_may_expand_locked(struct mm *mm, size_t npages, unsigned flags, uintptr_t start,
			 uintptr_t end)
{
	struct vm_usage u = usage_locked(mm, start, end);

	if (over(u.total - u.total_in + npages, rlimit_cur(RLIMIT_AS)))
		return -ENOMEM;
	if (is_data(flags) && over(u.data - u.data_in + npages, rlimit_cur(RLIMIT_DATA)))
		return -ENOMEM;
	if ((flags & VM_LOCKED) && !ipc_lock_capable() &&
	    over(u.locked - u.locked_in + npages, rlimit_cur(RLIMIT_MEMLOCK)))
		return -EAGAIN;
	return 0;
}

/* ---- mlock family ---- */

static bool range_covered_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	uintptr_t at = start;
	struct vma *v = vma_lookup_locked(mm, start);

	for (; v && v->start <= at; v = v->node.next == &mm->vmas ? NULL :
				   list_entry(v->node.next, struct vma, node)) {
		at = v->end;
		if (at >= end)
			return true;
	}
	return false;
}

/* Set or clear VM_LOCKED on [start, end), splitting VMAs at the edges. */
static int set_locked_locked(struct mm *mm, uintptr_t start, uintptr_t end, bool on)
{
	struct vma *v = vma_lookup_locked(mm, start);

	while (v && v->start < end) {
		if (v->start < start && !(v = vma_split_locked(mm, v, start)))
			return -ENOMEM;
		if (v->end > end && !vma_split_locked(mm, v, end))
			return -ENOMEM;
		v->flags = on ? v->flags | VM_LOCKED : v->flags & ~VM_LOCKED;
		v = v->node.next == &mm->vmas ? NULL : list_entry(v->node.next, struct vma, node);
	}
	return 0;
}

/* Fault in the accessible pages of [start, end); a page that cannot be
 * had ends it (Linux returns ENOMEM from mlock then; the lock stays). */
static int populate(struct mm *mm, uintptr_t start, uintptr_t end)
{
	for (uintptr_t va = start; va < end; va += PAGE_SIZE) {
		unsigned access;
		scoped_guard(spinlock, &mm->lock) {
			struct vma *v = vma_lookup_locked(mm, va);
			access = v ? v->flags & (VM_READ | VM_WRITE) : 0;
		}
		if (!access)
			continue; /* PROT_NONE (or unmapped since): nothing to fault */
		int err = fault_page(mm, va, access & VM_WRITE ? VM_WRITE : VM_READ, false);
		if (err)
			return err == -EFAULT ? -ENOMEM : err;
	}
	return 0;
}

static long do_mlock(uintptr_t addr, size_t len, unsigned flags)
{
	struct mm *mm = current->proc->mm;
	uintptr_t start = ALIGN_DOWN(addr, PAGE_SIZE), end;
	long err = 0;

	if (!mm_can_mlock())
		return -EPERM;
	len = ALIGN_UP(len + (addr - start), PAGE_SIZE);
	end = start + len;
	if (end < start || (len && !end))
		return -EINVAL;
	if (end == start)
		return 0;
	scoped_guard(spinlock, &mm->lock) {
		struct vm_usage u = usage_locked(mm, start, end);
		if (!ipc_lock_capable() &&
		    over(u.locked - u.locked_in + (len >> PAGE_SHIFT), rlimit_cur(RLIMIT_MEMLOCK)))
			err = -ENOMEM;
		else if (!range_covered_locked(mm, start, end))
			err = -ENOMEM;
		else
			err = set_locked_locked(mm, start, end, true);
	}
	if (!err && !(flags & MLOCK_ONFAULT))
		err = populate(mm, start, end);
	return err;
}

long sys_mlock(unsigned long addr, size_t len)
{
	return do_mlock(addr, len, 0);
}

long sys_mlock2(unsigned long addr, size_t len, unsigned flags)
{
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return do_mlock(addr, len, flags);
}

long sys_munlock(unsigned long addr, size_t len)
{
	struct mm *mm = current->proc->mm;
	uintptr_t start = ALIGN_DOWN(addr, PAGE_SIZE), end;

	len = ALIGN_UP(len + (addr - start), PAGE_SIZE);
	end = start + len;
	if (end < start || (len && !end))
		return -EINVAL;
	if (end == start)
		return 0;
	guard(spinlock)(&mm->lock);
	if (!range_covered_locked(mm, start, end))
		return -ENOMEM;
	return set_locked_locked(mm, start, end, false);
}

long sys_mlockall(int flags)
{
	struct mm *mm = current->proc->mm;
	struct vma *v;
	long err = 0;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!mm_can_mlock())
		return -EPERM;
	scoped_guard(spinlock, &mm->lock) {
		if ((flags & MCL_CURRENT) && !ipc_lock_capable() &&
		    over(usage_locked(mm, 0, 0).total, rlimit_cur(RLIMIT_MEMLOCK))) {
			err = -ENOMEM;
			break;
		}
		mm->def_flags = (flags & MCL_FUTURE) ? VM_LOCKED : 0;
		if (flags & MCL_CURRENT)
			list_for_each_entry(v, &mm->vmas, node)
				v->flags |= VM_LOCKED;
	}
	if (!err && (flags & MCL_CURRENT) && !(flags & MCL_ONFAULT)) {
		uintptr_t lo = 0, hi = 0;
		scoped_guard(spinlock, &mm->lock) {
			if (!list_empty(&mm->vmas)) {
				lo = list_entry(mm->vmas.next, struct vma, node)->start;
				hi = list_entry(mm->vmas.prev, struct vma, node)->end;
			}
		}
		populate(mm, lo, hi); /* Linux ignores population failures here */
	}
	return err;
}

long sys_munlockall(void)
{
	struct mm *mm = current->proc->mm;
	struct vma *v;

	guard(spinlock)(&mm->lock);
	mm->def_flags = 0;
	list_for_each_entry(v, &mm->vmas, node)
		v->flags &= ~VM_LOCKED;
	return 0;
}
