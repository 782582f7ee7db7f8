/*
 * VMAs: the sorted list of mapped ranges of an mm, with lookup, insertion
 * (merging equal anonymous neighbours), splitting and range removal.
 * Lock: every *_locked function needs mm->lock.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>

struct vma *vma_alloc(void)
{
	struct vma *vma = kzalloc(sizeof(*vma));

	if (vma)
		list_init(&vma->node);
	return vma;
}

void vma_free(struct vma *vma)
{
	if (vma->obj)
		vm_object_put(vma->obj);
	if (vma->file)
		file_put(vma->file);
	kfree(vma);
}

struct vma *vma_dup(const struct vma *vma)
{
	struct vma *n = vma_alloc();

	if (!n)
		return NULL;
	*n = *vma;
	list_init(&n->node);
	if (n->obj)
		vm_object_get(n->obj);
	if (n->file)
		file_get(n->file);
	return n;
}

struct vma *vma_find_locked(struct mm *mm, uintptr_t addr)
{
	struct vma *vma;

	list_for_each_entry(vma, &mm->vmas, node)
		if (vma->end > addr)
			return vma;
	return NULL;
}

struct vma *vma_lookup_locked(struct mm *mm, uintptr_t addr)
{
	struct vma *vma = vma_find_locked(mm, addr);

	return vma && vma->start <= addr ? vma : NULL;
}

static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->flags == b->flags && !a->obj && !b->obj &&
	       !a->file && !b->file && !(a->flags & (VM_SHARED | VM_GROWSDOWN));
}

void vma_insert_locked(struct mm *mm, struct vma *vma)
{
	struct list_head *pos = &mm->vmas;
	struct vma *it;

	list_for_each_entry(it, &mm->vmas, node) {
		if (it->start >= vma->end) {
			pos = &it->node;
			break;
		}
		BUG_ON(it->end > vma->start); /* overlap: caller's bug */
	}
	list_add_tail(&vma->node, pos); /* before pos */

	if (vma->node.prev != &mm->vmas) {
		struct vma *prev = list_entry(vma->node.prev, struct vma, node);
		if (vma_mergeable(prev, vma)) {
			prev->end = vma->end;
			list_del(&vma->node);
			vma_free(vma);
			vma = prev;
		}
	}
	if (vma->node.next != &mm->vmas) {
		struct vma *next = list_entry(vma->node.next, struct vma, node);
		if (vma_mergeable(vma, next)) {
			vma->end = next->end;
			list_del(&next->node);
			vma_free(next);
		}
	}
}

struct vma *vma_split_locked(struct mm *mm, struct vma *vma, uintptr_t addr)
{
	BUG_ON(addr <= vma->start || addr >= vma->end || !IS_ALIGNED(addr, PAGE_SIZE));
	struct vma *n = vma_dup(vma);
	if (!n)
		return NULL;
	uint64_t pages = (addr - vma->start) >> PAGE_SHIFT;
	n->start = addr;
	n->obj_pgoff += pages;
	n->file_off += (off_t)(addr - vma->start);
	vma->end = addr;
	list_add(&n->node, &vma->node); /* right after vma */
	return n;
}

bool range_free_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct vma *vma = vma_find_locked(mm, start);

	return !vma || vma->start >= end;
}

/* One present page of an unmapped range: its PTE goes. Its reference is
 * dropped only once the PTE is gone and flushed, i.e. at the next page or
 * after the walk (*arg holds the frame still to put). */
static int unmap_page(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot)
{
	struct frame **pending = arg;

	(void)va, (void)prot;
	if (*pending)
		frame_put(*pending);
	*pending = phys_to_frame(pa);
	return HAL_WALK_UNMAP;
}

void unmap_pages_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct frame *pending = NULL;

	hal_pt_walk_range(mm->pt, start, end, unmap_page, &pending);
	if (pending)
		frame_put(pending);
}

int unmap_range_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct vma *vma = vma_find_locked(mm, start);

	while (vma && vma->start < end) {
		if (vma->start < start) {
			vma = vma_split_locked(mm, vma, start);
			if (!vma)
				return -ENOMEM;
		}
		if (vma->end > end && !vma_split_locked(mm, vma, end))
			return -ENOMEM;
		struct list_head *next = vma->node.next;
		unmap_pages_locked(mm, vma->start, vma->end);
		list_del(&vma->node);
		vma_free(vma);
		vma = next == &mm->vmas ? NULL : list_entry(next, struct vma, node);
	}
	return 0;
}
