/*
 * mremap(2): shrink a mapping, grow it in place when the pages after it are
 * free, or move it (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP) by
 * moving its page-table entries: each present page keeps its frame and the
 * reference its PTE holds, so private, copy-on-write, shared and file pages
 * all move without a copy. Linux semantics and error codes.
 * Lock: mm->lock is held for the whole update; the page walk only collects
 * PTEs (it may not edit the table), the remapping happens between walks.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

#define PTE_BATCH 128

struct pte_batch {
	int n;
	struct {
		uintptr_t va;
		phys_addr_t pa;
		unsigned prot;
	} e[PTE_BATCH];
};

/* Walk callback: note a present page; stop the walk when the batch is full. */
static int collect_pte(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot)
{
	struct pte_batch *b = arg;

	if (b->n == PTE_BATCH)
		return -ENOSPC;
	b->e[b->n].va = va;
	b->e[b->n].pa = pa;
	b->e[b->n].prot = *prot;
	b->n++;
	return 0;
}

/* Walk callback: drop the PTE but keep its frame reference (it moved). */
static int forget_pte(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot)
{
	(void)arg, (void)va, (void)pa, (void)prot;
	return HAL_WALK_UNMAP;
}

/* Move the PTEs of [from, from + len) to [to, to + len) (disjoint, to
 * empty). On -ENOMEM nothing has moved. */
static int move_ptes_locked(struct mm *mm, uintptr_t from, uintptr_t to, size_t len)
{
	__free(kfree) struct pte_batch *b = kmalloc(sizeof(*b));
	uintptr_t cur = from, end = from + len;
	int r;

	if (!b)
		return -ENOMEM;
	do {
		b->n = 0;
		r = hal_pt_walk_range(mm->pt, cur, end, collect_pte, b);
		for (int i = 0; i < b->n; i++) {
			if (hal_pt_map(mm->pt, to + (b->e[i].va - from), b->e[i].pa, b->e[i].prot)) {
				hal_pt_walk_range(mm->pt, to, to + len, forget_pte, NULL);
				return -ENOMEM;
			}
		}
		if (b->n)
			cur = b->e[b->n - 1].va + PAGE_SIZE;
	} while (r == -ENOSPC);
	hal_pt_walk_range(mm->pt, from, end, forget_pte, NULL);
	return 0;
}

/* Move [addr, addr + old_len) of vma to [new_addr, new_addr + new_len)
 * (free, disjoint from it). old_len 0: a second mapping of a shared vma's
 * pages at new_addr. The old range goes unless dontunmap (then it stays
 * mapped, empty). Return new_addr or -ENOMEM. */
static long move_vma_locked(struct mm *mm, struct vma *vma, uintptr_t addr, size_t old_len,
			    uintptr_t new_addr, size_t new_len, bool dontunmap)
{
	if (old_len) { /* [addr, addr + old_len) becomes a VMA of its own */
		if (vma->start < addr && !(vma = vma_split_locked(mm, vma, addr)))
			return -ENOMEM;
		if (vma->end > addr + old_len && !vma_split_locked(mm, vma, addr + old_len))
			return -ENOMEM;
	}
	struct vma *moved = vma_dup(vma);
	if (!moved)
		return -ENOMEM;
	moved->obj_pgoff += (addr - vma->start) >> PAGE_SHIFT;
	moved->file_off += (off_t)(addr - vma->start);
	moved->start = new_addr;
	moved->end = new_addr + new_len;
	if (old_len && move_ptes_locked(mm, addr, new_addr, old_len)) {
		vma_free(moved);
		return -ENOMEM;
	}
	if (old_len && !dontunmap) {
		list_del(&vma->node);
		vma_free(vma);
	}
	vma_insert_locked(mm, moved);
	return (long)new_addr;
}

/* Checks that need no lock. Lengths come back page aligned. */
static int check_args(uintptr_t addr, size_t *old_len, size_t *new_len, int flags,
		      uintptr_t new_addr)
{
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || *old_len != *new_len))
		return -EINVAL;
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (*old_len > hal_user_max || *new_len > hal_user_max)
		return -EINVAL;
	*old_len = ALIGN_UP(*old_len, PAGE_SIZE);
	*new_len = ALIGN_UP(*new_len, PAGE_SIZE);
	if (!*new_len)
		return -EINVAL;
	/* A move to new_addr (MREMAP_FIXED) or near it (a hint with
	 * MREMAP_DONTUNMAP alone): checked the same way. */
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if (!IS_ALIGNED(new_addr, PAGE_SIZE) || new_addr > hal_user_max - *new_len)
			return -EINVAL;
		/* The two ranges may not overlap. */
		if (new_addr < addr + *old_len && addr < new_addr + *new_len)
			return -EINVAL;
		if ((flags & MREMAP_FIXED) && new_addr < mm_min_addr())
			return -EPERM;
	}
	return 0;
}

/* RLIMIT_AS/DATA/MEMLOCK for what the call adds: the growth, or the whole
 * new range when the old one stays (MREMAP_DONTUNMAP, old_len 0). */
static int may_grow_locked(struct mm *mm, const struct vma *vma, size_t old_len,
			   size_t new_len, int flags)
{
	size_t add = ((flags & MREMAP_DONTUNMAP) || !old_len) ? new_len
			 : new_len > old_len ? new_len - old_len : 0;

	return add ? mm_may_expand_locked(mm, add >> PAGE_SHIFT, vma->flags, 0, 0) : 0;
}

/* To new_addr (MREMAP_FIXED: whatever was there is unmapped first) or,
 * for MREMAP_DONTUNMAP alone, to a free place. */
static long remap_to_locked(struct mm *mm, uintptr_t addr, size_t old_len, size_t new_len,
			    int flags, uintptr_t new_addr)
{
	struct vma *vma;
	int err;

	if (flags & MREMAP_FIXED) {
		err = unmap_range_locked(mm, new_addr, new_addr + new_len);
		if (err)
			return err;
		if (old_len > new_len) {
			err = unmap_range_locked(mm, addr + new_len, addr + old_len);
			if (err)
				return err;
			old_len = new_len;
		}
	} else if (!new_addr || new_addr < mm_min_addr() ||
		   !range_free_locked(mm, new_addr, new_addr + new_len)) {
		new_addr = find_free_area_locked(mm, new_len); /* the hint is taken */
		if (!new_addr)
			return -ENOMEM;
	}
	/* The unmaps may have split or freed VMAs: look again. */
	vma = vma_lookup_locked(mm, addr);
	if (!vma || old_len > vma->end - addr)
		return -EFAULT;
	if (!old_len && !(vma->flags & VM_SHARED))
		return -EINVAL;
	err = may_grow_locked(mm, vma, old_len, new_len, flags);
	if (err)
		return err;
	return move_vma_locked(mm, vma, addr, old_len, new_addr, new_len,
			       flags & MREMAP_DONTUNMAP);
}

static long mremap_locked(struct mm *mm, uintptr_t addr, size_t old_len, size_t new_len,
			  int flags, uintptr_t new_addr)
{
	struct vma *vma = vma_lookup_locked(mm, addr);
	uintptr_t end;

	if (!vma)
		return -EFAULT;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return remap_to_locked(mm, addr, old_len, new_len, flags, new_addr);
	if (old_len && old_len >= new_len) { /* shrink (or nothing) in place */
		if (old_len > new_len) {
			int err = unmap_range_locked(mm, addr + new_len, addr + old_len);
			if (err)
				return err;
		}
		return (long)addr;
	}
	if (old_len > vma->end - addr)
		return -EFAULT; /* the old range spans more than one mapping */
	if (!old_len && !(vma->flags & VM_SHARED))
		return -EINVAL; /* a copy of private pages is not a mapping */
	int err = may_grow_locked(mm, vma, old_len, new_len, flags);
	if (err)
		return err;
	/* Grow in place when the mapping ends at the old range's end and the
	 * pages after it are free. */
	end = addr + new_len;
	if (old_len && vma->end == addr + old_len && end > addr && end <= hal_user_max &&
	    range_free_locked(mm, vma->end, end)) {
		vma->end = end;
		return (long)addr;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = find_free_area_locked(mm, new_len);
	if (!new_addr)
		return -ENOMEM;
	return move_vma_locked(mm, vma, addr, old_len, new_addr, new_len, false);
}

long mm_mremap(struct mm *mm, uintptr_t addr, size_t old_len, size_t new_len, int flags,
	       uintptr_t new_addr)
{
	int err = check_args(addr, &old_len, &new_len, flags, new_addr);
	long ret;

	if (err)
		return err;
	spin_lock(&mm->lock);
	ret = mremap_locked(mm, addr, old_len, new_len, flags, new_addr);
	spin_unlock(&mm->lock);
	return ret;
}
