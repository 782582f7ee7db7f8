/*
 * Copies between kernel memory and user memory.
 * - copy_from_user/copy_to_user/clear_user/strncpy_from_user and the
 *   short-count copies copy_{to,from}_user_upto work on the current
 *   address space directly: after the range check they call the
 *   arch routines of hal_uaccess.h, which touch user memory with ordinary
 *   loads and stores; a page fault inside them is resolved by the trap code
 *   through vm_handle_fault() (the same path and VMA checks as a user
 *   access) or ends the copy with -EFAULT. No lock is held here: the page
 *   table and the TLB are what a user access would see.
 * - mm_copy_in/mm_copy_out (any address space: exec, ptrace-like paths) and,
 *   on the host (FERRITE_HOST, fake HAL), the calls above too: page by page
 *   through the direct map, the page table walked with hal_pt_translate(),
 *   missing or read-only pages faulted in first, with mm->lock held (kept
 *   across consecutive present pages) so a concurrent munmap cannot free the
 *   frame under the copy.
 * Also the trap entry vm_handle_fault().
 * Callers must not hold a spinlock: a fault may sleep.
 */
#include "mm_internal.h"
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_trap.h>
#ifndef FERRITE_HOST
#include <ferrite/oom.h>
#include <hal/hal_uaccess.h>
#endif

static struct mm *current_mm(void)
{
	struct task *t = current;

	return t && t->proc ? t->proc->mm : NULL;
}

int vm_handle_fault(uintptr_t addr, unsigned access, bool user)
{
	struct mm *mm = current_mm();

	if (!mm)
		return -EFAULT;
	int err = mm_fault(mm, addr, access & (VM_READ | VM_WRITE | VM_EXEC));
#ifndef FERRITE_HOST
	/* A user access with no frame to be had: the OOM killer, not SIGSEGV. */
	if (err == -ENOMEM && user)
		err = oom_fault();
	/* A user write may have dirtied a file page: past the dirty limit,
	 * write some back now (no lock is held on this path). */
	if (!err && user && (access & VM_WRITE))
		pagecache_balance_dirty();
#endif
	return err;
}

static bool range_ok(uintptr_t addr, size_t n)
{
	return addr >= HAL_USER_MIN && addr + n >= addr && addr + n <= hal_user_max;
}

/* Is the page at va ready for the access with mm->lock held? force: ptrace
 * style, any present page may be read and an exclusively owned (or shared
 * object) page written. */
static bool page_ready_locked(struct mm *mm, uintptr_t va, bool write, bool force, phys_addr_t *pa)
{
	unsigned prot;

	if (!hal_pt_translate(mm->pt, va, pa, &prot))
		return false;
	if (!force)
		return (prot & HAL_PROT_USER) && (prot & (write ? HAL_PROT_WRITE : HAL_PROT_READ));
	if (!write || (prot & HAL_PROT_WRITE))
		return true;
	struct vma *vma = vma_lookup_locked(mm, va);
	return vma && ((vma->flags & VM_SHARED) || frame_refcount(phys_to_frame(*pa)) == 1);
}

enum copy_op { COPY_IN, COPY_OUT, CLEAR };

/*
 * Move n bytes at user address uaddr of mm: COPY_IN to kbuf, COPY_OUT from
 * kbuf, CLEAR zeroes. Return 0 or -EFAULT.
 */
static int mm_access(struct mm *mm, uintptr_t uaddr, void *kbuf, size_t n, enum copy_op op, bool force)
{
	bool write = op != COPY_IN;
	char *k = kbuf;

	if (n == 0)
		return 0;
	if (!mm || !range_ok(uaddr, n))
		return -EFAULT;
	/*
	 * mm->lock is taken once and kept from page to page while the pages
	 * are present with the needed access (the common case: one lock round
	 * trip per call, not per page); it is dropped only to fault a page in.
	 */
	spin_lock(&mm->lock);
	while (n) {
		uintptr_t va = ALIGN_DOWN(uaddr, PAGE_SIZE);
		size_t off = uaddr - va, chunk = MIN(n, PAGE_SIZE - off);
		phys_addr_t pa;
		int tries = 0;

		while (!page_ready_locked(mm, va, write, force, &pa)) {
			spin_unlock(&mm->lock);
			if (++tries > 3 || fault_page(mm, va, write ? VM_WRITE : VM_READ, force))
				return -EFAULT;
			spin_lock(&mm->lock);
		}
		char *p = (char *)phys_to_virt(pa) + off;
		if (op == COPY_IN)
			memcpy(k, p, chunk);
		else if (op == COPY_OUT)
			memcpy(p, k, chunk);
		else
			memset(p, 0, chunk);
		if (k)
			k += chunk;
		uaddr += chunk;
		n -= chunk;
	}
	spin_unlock(&mm->lock);
	return 0;
}

int mm_copy_out(struct mm *mm, uintptr_t dst, const void *src, size_t n)
{
	return mm_access(mm, dst, (void *)src, n, COPY_OUT, true);
}

int mm_copy_in(struct mm *mm, void *dst, uintptr_t src, size_t n)
{
	return mm_access(mm, src, dst, n, COPY_IN, true);
}

#ifdef FERRITE_HOST
/* The fake HAL has no user half to touch: walk the software page table. */
int copy_from_user(void *dst, const void __user *src, size_t n)
{
	return mm_access(current_mm(), (uintptr_t)src, dst, n, COPY_IN, false);
}

int copy_to_user(void __user *dst, const void *src, size_t n)
{
	return mm_access(current_mm(), (uintptr_t)dst, (void *)src, n, COPY_OUT, false);
}

int clear_user(void __user *dst, size_t n)
{
	return mm_access(current_mm(), (uintptr_t)dst, NULL, n, CLEAR, false);
}

/* Page by page, so a fault ends the copy at the first page it cannot
 * access (a page is accessible as a whole or not at all). */
static size_t mm_access_upto(uintptr_t uaddr, char *kbuf, size_t n, enum copy_op op)
{
	size_t done = 0;

	while (done < n) {
		size_t chunk = MIN(n - done, PAGE_SIZE - ((uaddr + done) & (PAGE_SIZE - 1)));

		if (mm_access(current_mm(), uaddr + done, kbuf + done, chunk, op, false))
			break;
		done += chunk;
	}
	return done;
}

size_t copy_to_user_upto(void __user *dst, const void *src, size_t n)
{
	return mm_access_upto((uintptr_t)dst, (char *)src, n, COPY_OUT);
}

size_t copy_from_user_upto(void *dst, const void __user *src, size_t n)
{
	return mm_access_upto((uintptr_t)src, dst, n, COPY_IN);
}

long strncpy_from_user(char *dst, const char __user *src, size_t max)
{
	struct mm *mm = current_mm();
	uintptr_t u = (uintptr_t)src;
	size_t done = 0;

	if (!mm)
		return -EFAULT;
	while (done < max) {
		size_t chunk = MIN(max - done, PAGE_SIZE - (u & (PAGE_SIZE - 1)));
		phys_addr_t pa;
		int tries = 0;

		if (!range_ok(u, 1))
			return -EFAULT;
		for (;;) {
			spin_lock(&mm->lock);
			if (page_ready_locked(mm, ALIGN_DOWN(u, PAGE_SIZE), false, false, &pa))
				break; /* lock held */
			spin_unlock(&mm->lock);
			if (++tries > 3 || fault_page(mm, u, VM_READ, false))
				return -EFAULT;
		}
		const char *p = (const char *)phys_to_virt(pa) + (u & (PAGE_SIZE - 1));
		size_t len = strnlen(p, chunk);
		memcpy(dst + done, p, len < chunk ? len + 1 : chunk);
		spin_unlock(&mm->lock);
		done += len;
		if (len < chunk)
			return (long)done;
		u += chunk;
	}
	return -ENAMETOOLONG;
}
#else /* !FERRITE_HOST */
/* The current task has a user address space and [uaddr, uaddr+n) lies in
 * it, without wrapping. */
static inline bool user_range_ok(uintptr_t uaddr, size_t n)
{
	return current_mm() && range_ok(uaddr, n);
}

int copy_from_user_any(void *dst, const void __user *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (!user_range_ok((uintptr_t)src, n))
		return n ? -EFAULT : 0;
	return hal_user_copy(dst, (const void *)src, n) ? -EFAULT : 0;
}

int copy_to_user_any(void __user *dst, const void *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (!user_range_ok((uintptr_t)dst, n))
		return n ? -EFAULT : 0;
	return hal_user_copy((void *)dst, src, n) ? -EFAULT : 0;
}

int clear_user(void __user *dst, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (!user_range_ok((uintptr_t)dst, n))
		return n ? -EFAULT : 0;
	return hal_user_clear(dst, n) ? -EFAULT : 0;
}

size_t copy_to_user_upto(void __user *dst, const void *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return 0;
	if (!user_range_ok((uintptr_t)dst, n))
		return 0;
	return n - hal_user_copy((void *)dst, src, n);
}

size_t copy_from_user_upto(void *dst, const void __user *src, size_t n)
{
	if (fault_inject_site(FI_UACCESS))
		return 0;
	if (!user_range_ok((uintptr_t)src, n))
		return 0;
	return n - hal_user_copy(dst, (const void *)src, n);
}

long strncpy_from_user(char *dst, const char __user *src, size_t max)
{
	uintptr_t u = (uintptr_t)src;

	if (fault_inject_site(FI_UACCESS))
		return -EFAULT;
	if (max == 0)
		return -ENAMETOOLONG;
	if (!current_mm() || !range_ok(u, 1))
		return -EFAULT;
	/* Read no further than the end of the user half: a string running
	 * into it faults there, as on the page-walk path. */
	size_t lim = MIN(max, hal_user_max - u);
	long len = hal_user_strncpy(dst, src, lim);

	if (len < 0)
		return len;
	if ((size_t)len < lim)
		return len;
	return lim < max ? -EFAULT : -ENAMETOOLONG;
}
#endif /* FERRITE_HOST */

int copy_struct_from_user(void *dst, size_t ksize, const void __user *src, size_t usize)
{
	const uint8_t __user *tail = (const uint8_t __user *)src + ksize;

	/* Bytes Ferrite does not know yet must be zero: a newer caller
	 * asking for something not here gets E2BIG, not silence. */
	for (size_t off = ksize; off < usize; off++) {
		uint8_t b;

		if (get_user(b, tail + (off - ksize)))
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	memset(dst, 0, ksize);
	return copy_from_user(dst, src, MIN(ksize, usize)) ? -EFAULT : 0;
}
