/*
 * Truncate under a mapping, as Linux: when a cached file shrinks, every
 * page of every mapping of it past the new end of file is unmapped
 * (private copies made by a write too), so the next access faults and,
 * finding no page of the file there, gets SIGBUS.
 *
 * There is no reverse map: the address spaces are found by walking the
 * processes (process_for_each, under proc_tree_lock) and each one's VMAs.
 * Only objects that were ever mapped pay for it (vm_object.mapped), and
 * only when a truncate drops pages.
 * Write-back (pagecache_dirty.c) walks the same way to make the shared
 * writable mappings of an object read-only again, so the next write to a
 * page just written faults and marks it dirty anew.
 * Locking: the mms are collected with a reference under proc_tree_lock,
 * then each mm->lock is taken alone (the caller holds only its fs lock).
 */
#include "mm_internal.h"
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/task.h>

#define UNMAP_BATCH 64

struct mm_batch {
	struct mm *mm[UNMAP_BATCH];
	size_t n, skip, seen;
};

/* Collect the distinct mms after the first skip processes. */
static int collect_mm(struct process *p, void *arg)
{
	struct mm_batch *b = arg;
	struct mm *mm = p->mm;

	if (b->seen++ < b->skip || !mm)
		return 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->mm[i] == mm)
			return 0;
	if (b->n == UNMAP_BATCH)
		return 1;
	mm_get(mm);
	b->mm[b->n++] = mm;
	return 0;
}

/* Unmap the pages index >= first of obj in mm; or, when first is
 * SIZE_MAX, make its shared mappings read-only (write-back). */
static void unmap_in_mm(struct mm *mm, struct vm_object *obj, size_t first)
{
	struct vma *vma;

	spin_lock(&mm->lock);
	list_for_each_entry(vma, &mm->vmas, node) {
		if (vma->obj != obj)
			continue;
		if (first == SIZE_MAX) {
			if (!(vma->flags & VM_SHARED) || !(vma->flags & VM_WRITE))
				continue;
			for (uintptr_t va = vma->start; va < vma->end; va += PAGE_SIZE) {
				phys_addr_t pa;
				unsigned cur;
				if (hal_pt_translate(mm->pt, va, &pa, &cur) && (cur & HAL_PROT_WRITE))
					hal_pt_protect(mm->pt, va, cur & ~HAL_PROT_WRITE);
			}
			continue;
		}
		uint64_t npages = (vma->end - vma->start) >> PAGE_SHIFT;
		if (vma->obj_pgoff + npages <= first)
			continue;
		uintptr_t from = vma->start;
		if (first > vma->obj_pgoff)
			from += (uintptr_t)(first - vma->obj_pgoff) << PAGE_SHIFT;
		unmap_pages_locked(mm, from, vma->end);
	}
	spin_unlock(&mm->lock);
}

static void for_each_mapper(struct vm_object *obj, size_t first)
{
	if (!READ_ONCE(obj->mapped))
		return;
	for (size_t skip = 0;;) {
		struct mm_batch b = { .skip = skip };
		int more = process_for_each(collect_mm, &b);
		for (size_t i = 0; i < b.n; i++) {
			unmap_in_mm(b.mm[i], obj, first);
			mm_put(b.mm[i]);
		}
		if (!more)
			break;
		skip = b.seen - 1; /* the process that did not fit comes first next time */
	}
}

void pagecache_unmap_from(struct vm_object *obj, size_t first)
{
	for_each_mapper(obj, first);
}

void pagecache_wrprotect(struct vm_object *obj)
{
	for_each_mapper(obj, SIZE_MAX);
}
