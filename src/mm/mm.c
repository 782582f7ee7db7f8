/*
 * Address-space lifetime: create, fork (copy-on-write), release, activate,
 * and small queries. Lock: mm->lock for the VMA list and the page table;
 * fork holds the parent's lock while it copies (the child is private).
 */
#include <ferrite/cpu.h>
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>

struct mm *mm_create(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));

	if (!mm)
		return NULL;
	mm->pt = hal_pt_create();
	if (!mm->pt) {
		kfree(mm);
		return NULL;
	}
	ref_init(&mm->ref);
	spin_init(&mm->lock, "mm");
	list_init(&mm->vmas);
	mm->stack_top = ALIGN_DOWN(hal_user_max, PAGE_SIZE) - PAGE_SIZE;
	/* Leave room for the stack to grow, plus a guard gap. */
	mm->mmap_base = mm->stack_top - MM_STACK_MAX - 16 * PAGE_SIZE;
	return mm;
}

void mm_get(struct mm *mm) { ref_get(&mm->ref); }

static void mm_release(struct ref *r)
{
	struct mm *mm = container_of(r, struct mm, ref);
	struct vma *vma, *tmp;

	list_for_each_entry_safe(vma, tmp, &mm->vmas, node) {
		unmap_pages_locked(mm, vma->start, vma->end);
		list_del(&vma->node);
		vma_free(vma);
	}
	hal_pt_destroy(mm->pt);
	kfree(mm);
}

void mm_put(struct mm *mm)
{
	if (mm)
		ref_put(&mm->ref, mm_release);
}

/* The CPU's record comes first (the TLB shootdown's ordering, src/proc/smp.c). */
void mm_activate(struct mm *mm)
{
	smp_set_active_pt(mm ? mm->pt : NULL);
	hal_pt_activate(mm ? mm->pt : NULL);
}

/* Share the pages of parent VMA pv with child. Private writable pages
 * become read-only in both (copy-on-write). */
static int fork_pages_locked(struct mm *parent, struct mm *child, const struct vma *pv)
{
	return hal_pt_share_range(parent->pt, child->pt, pv->start, pv->end,
				  !(pv->flags & VM_SHARED));
}

struct mm *mm_fork(struct mm *parent)
{
	struct mm *child = mm_create();
	struct vma *pv;
	int err = 0;

	if (!child)
		return NULL;
	spin_lock(&parent->lock);
	child->brk_start = parent->brk_start;
	child->brk = parent->brk;
	child->mmap_base = parent->mmap_base;
	child->stack_top = parent->stack_top;
	child->arg_start = parent->arg_start;
	child->arg_end = parent->arg_end;
	list_for_each_entry(pv, &parent->vmas, node) {
		struct vma *cv = vma_dup(pv);
		if (!cv) {
			err = -ENOMEM;
			break;
		}
		cv->flags &= ~VM_LOCKED; /* memory locks are not inherited */
		list_add_tail(&cv->node, &child->vmas); /* same order, no merge */
		err = fork_pages_locked(parent, child, pv);
		if (err)
			break;
	}
	spin_unlock(&parent->lock);
	if (err) {
		mm_put(child);
		return NULL;
	}
	return child;
}

static int count_page(void *arg, uintptr_t va, phys_addr_t pa, unsigned *prot)
{
	(void)va, (void)pa, (void)prot;
	++*(size_t *)arg;
	return 0;
}

size_t mm_resident_pages(struct mm *mm)
{
	struct vma *vma;
	size_t n = 0;

	spin_lock(&mm->lock);
	list_for_each_entry(vma, &mm->vmas, node)
		hal_pt_walk_range(mm->pt, vma->start, vma->end, count_page, &n);
	spin_unlock(&mm->lock);
	return n;
}

size_t mm_vma_count(struct mm *mm)
{
	struct list_head *pos;
	size_t n = 0;

	spin_lock(&mm->lock);
	list_for_each(pos, &mm->vmas)
		n++;
	spin_unlock(&mm->lock);
	return n;
}

bool mm_find_vma_copy(struct mm *mm, uintptr_t addr, struct vma *out)
{
	spin_lock(&mm->lock);
	struct vma *vma = vma_lookup_locked(mm, addr);
	if (vma) {
		*out = *vma;
		list_init(&out->node);
	}
	spin_unlock(&mm->lock);
	return vma != NULL;
}

struct frame *mm_get_user_frame(struct mm *mm, uintptr_t addr, unsigned access)
{
	for (int tries = 0; tries < 4; tries++) {
		phys_addr_t pa;
		unsigned prot;
		unsigned need = (access & VM_WRITE) ? HAL_PROT_WRITE : HAL_PROT_READ;

		spin_lock(&mm->lock);
		if (hal_pt_translate(mm->pt, ALIGN_DOWN(addr, PAGE_SIZE), &pa, &prot) &&
		    (prot & need) && (prot & HAL_PROT_USER)) {
			struct frame *f = phys_to_frame(pa);
			frame_get(f);
			spin_unlock(&mm->lock);
			return f;
		}
		spin_unlock(&mm->lock);
		if (mm_fault(mm, addr, access))
			return NULL;
	}
	return NULL;
}
