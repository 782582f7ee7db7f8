/*
 * Page faults: lazy zero-filled anonymous pages, pages of vm_objects (also
 * ramfs files, shared or copied on write; a write to a shared page cache
 * page marks it dirty for write-back), private copies of other files'
 * pages read at fault time, copy-on-write breaks and stack
 * growth. Everything runs under mm->lock except the file read, which may
 * sleep: fault_page() drops the lock around kernel_read() and re-checks.
 * Errors: -EFAULT when no VMA covers the address, -EACCES when one does but
 * forbids the access (the trap handlers turn these into SEGV_MAPERR and
 * SEGV_ACCERR), -ENXIO past the end of a mapped file (SIGBUS).
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>

/* A fault just below a VM_GROWSDOWN VMA extends it, up to MM_STACK_MAX. */
static struct vma *grow_stack_locked(struct mm *mm, uintptr_t addr)
{
	struct vma *next = vma_find_locked(mm, addr);
	uintptr_t page = ALIGN_DOWN(addr, PAGE_SIZE);

	if (!next || !(next->flags & VM_GROWSDOWN) || addr >= next->start)
		return NULL;
	if (next->end - page > MM_STACK_MAX || page < mm_min_addr())
		return NULL;
	if (next->node.prev != &mm->vmas) {
		struct vma *prev = list_entry(next->node.prev, struct vma, node);
		if (prev->end > page)
			return NULL;
	}
	next->start = page;
	return next;
}

static bool access_allowed(const struct vma *vma, unsigned access)
{
	unsigned prot = vma->flags & VM_PROT_MASK;

	if ((access & VM_WRITE) && !(prot & VM_WRITE))
		return false;
	if ((access & VM_EXEC) && !(prot & VM_EXEC))
		return false;
	return prot != 0; /* PROT_NONE: nothing at all */
}

/* Map f (reference consumed) at va; -ENOMEM drops it. */
static int map_frame_locked(struct mm *mm, uintptr_t va, struct frame *f, unsigned prot)
{
	if (hal_pt_map(mm->pt, va, frame_to_phys(f), prot)) {
		frame_put(f);
		return -ENOMEM;
	}
	return 0;
}

/* Replace the page at va (frame old) with a private copy. */
static int cow_copy_locked(struct mm *mm, struct vma *vma, uintptr_t va, struct frame *old, bool mapped)
{
	struct frame *f = frame_alloc();

	if (!f)
		return -ENOMEM;
	memcpy(frame_to_virt(f), frame_to_virt(old), PAGE_SIZE);
	int err = map_frame_locked(mm, va, f, vma_hal_prot(vma));
	if (!err && mapped)
		frame_put(old); /* the PTE's reference to the old page */
	return err;
}

/* The first write to a clean page of a shared file mapping (mapped
 * read-only by pte_prot_for): the page is dirty, the mapping may write. */
static int cache_write_locked(struct mm *mm, struct vma *vma, uintptr_t va, struct frame *f)
{
	size_t index = (size_t)(vma->obj_pgoff + ((va - vma->start) >> PAGE_SHIFT));

	vm_object_cache_dirty(vma->obj, index, f);
	if (vma->flags & VM_WRITE)
		hal_pt_protect(mm->pt, va, vma_hal_prot(vma));
	return 0; /* forced writes go through the direct map */
}

int fault_locked(struct mm *mm, uintptr_t addr, unsigned access, bool force)
{
	uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
	struct vma *vma = vma_lookup_locked(mm, addr);
	bool write = access & VM_WRITE;
	phys_addr_t pa;
	unsigned cur;

	if (!vma)
		vma = grow_stack_locked(mm, addr);
	if (!vma)
		return -EFAULT; /* nothing mapped: SEGV_MAPERR */
	if (!force && !access_allowed(vma, access))
		return -EACCES; /* mapped without that right: SEGV_ACCERR */

	if (hal_pt_translate(mm->pt, va, &pa, &cur)) {
		struct frame *f = phys_to_frame(pa);
		if (!write || (cur & HAL_PROT_WRITE))
			return 0;
		if (vma->flags & VM_SHARED) {
			if (vma->obj && vm_object_is_cache(vma->obj))
				return cache_write_locked(mm, vma, va, f);
			return 0;
		}
		/* Write to a read-only private page: copy-on-write. */
		if (frame_refcount(f) == 1) {
			if (vma->flags & VM_WRITE)
				hal_pt_protect(mm->pt, va, vma_hal_prot(vma));
			return 0; /* forced writes go through the direct map */
		}
		return cow_copy_locked(mm, vma, va, f, true);
	}

	if (vma->obj) {
		uint64_t index = vma->obj_pgoff + ((va - vma->start) >> PAGE_SHIFT);
		struct frame *f;
		/* Past the object (a file's end): -ENXIO, SIGBUS. A page cache
		 * page not yet read: -EAGAIN, read with mm->lock dropped. */
		int err = vm_object_is_cache(vma->obj) ? vm_object_cache_lookup(vma->obj, index, &f)
						       : vm_object_getpage(vma->obj, index, true, &f);
		if (err)
			return err;
		if (!f)
			return -EAGAIN;
		if (!(vma->flags & VM_SHARED) && write) {
			err = cow_copy_locked(mm, vma, va, f, false);
			frame_put(f);
			return err;
		}
		if (write && vm_object_is_cache(vma->obj))
			vm_object_cache_dirty(vma->obj, (size_t)index, f);
		return map_frame_locked(mm, va, f, pte_prot_for(vma, f));
	}
	if (vma->file)
		return -EAGAIN;
	struct frame *f = frame_alloc_zeroed();
	if (!f)
		return -ENOMEM;
	return map_frame_locked(mm, va, f, vma_hal_prot(vma));
}

/* Read the file page behind va into a new frame, then map it if the VMA is
 * still the same. Called and returns without mm->lock. */
static int fault_file_page(struct mm *mm, uintptr_t va, struct frame **hold)
{
	struct file *file;
	off_t off;

	spin_lock(&mm->lock);
	struct vma *vma = vma_lookup_locked(mm, va);
	if (!vma || !vma->file) {
		spin_unlock(&mm->lock);
		return 0; /* changed under us: the caller retries */
	}
	if (vma->obj) { /* a page cache: read the page into the cache */
		struct vm_object *obj = vma->obj;
		size_t index = (size_t)(vma->obj_pgoff + ((va - vma->start) >> PAGE_SHIFT));
		struct frame *f;
		vm_object_get(obj);
		spin_unlock(&mm->lock);
		int err = vm_object_cache_get(obj, index, &f);
		vm_object_put(obj);
		if (!err)
			*hold = f; /* kept until mapped: reclaim cannot take it meanwhile */
		return err == -EIO ? -ENXIO : err; /* a read error: SIGBUS, as Linux */
	}
	file = vma->file;
	file_get(file);
	off = vma->file_off + (off_t)(va - vma->start);
	spin_unlock(&mm->lock);

	struct frame *f = frame_alloc_zeroed();
	if (!f) {
		file_put(file);
		return -ENOMEM;
	}
	ssize_t n = kernel_read(file, frame_to_virt(f), PAGE_SIZE, off);
	if (n < 0) {
		frame_put(f);
		file_put(file);
		return -EFAULT;
	}

	int err = 0;
	phys_addr_t pa;
	unsigned cur;
	spin_lock(&mm->lock);
	vma = vma_lookup_locked(mm, va);
	if (vma && vma->file == file && vma->file_off + (off_t)(va - vma->start) == off &&
	    !hal_pt_translate(mm->pt, va, &pa, &cur)) {
		err = map_frame_locked(mm, va, f, vma_hal_prot(vma));
		f = NULL;
	}
	spin_unlock(&mm->lock);
	if (f)
		frame_put(f);
	file_put(file);
	return err;
}

int fault_page(struct mm *mm, uintptr_t addr, unsigned access, bool force)
{
	struct frame *hold = NULL; /* a cache page just read, held until mapped */

	for (int tries = 0; tries < 4; tries++) {
		spin_lock(&mm->lock);
		int err = fault_locked(mm, addr, access, force);
		spin_unlock(&mm->lock);
		if (hold)
			frame_put(hold);
		hold = NULL;
		if (err != -EAGAIN)
			return err;
		err = fault_file_page(mm, ALIGN_DOWN(addr, PAGE_SIZE), &hold);
		if (err)
			return err;
		/* Now present: run again for the copy-on-write / write checks. */
	}
	return -EFAULT;
}

int mm_fault(struct mm *mm, uintptr_t addr, unsigned access)
{
	if (!mm || addr < HAL_USER_MIN || addr >= hal_user_max)
		return -EFAULT;
	return fault_page(mm, addr, access, false);
}
