/*
 * Helpers shared by the address-space files of src/mm (not a public API).
 * Functions named *_locked need mm->lock held by the caller.
 */
#pragma once
#include <ferrite/vm.h>
#include <ferrite/frame.h>
#include <ferrite/spinlock.h>
#include <ferrite/mutex.h>
#include <hal/hal_mmu.h>

struct vm_object {
	struct ref ref;
	struct spinlock lock;
	size_t npages;        /* Lock: lock; pages the object spans */
	/* The frames, in a two-level table: leaves[i] holds the slots of pages
	 * i * VM_LEAF_SLOTS.., one page each, made when first touched; the
	 * array of leaves grows by doubling. No contiguous allocation is
	 * proportional to the object's size (a 1 GiB object needs a 4 KiB
	 * array of leaves). */
	size_t nleaves;         /* Lock: lock; entries in leaves[] */
	struct frame ***leaves; /* Lock: lock; NULL until first touched */
	size_t *account;      /* optional: bytes of pages held, updated atomically */
	/* Page caches only (vm_object_create_cache, <ferrite/pagecache.h>): */
	struct inode *inode;  /* Lock: lock; the owner (no reference), NULL once detached */
	uint64_t seq;         /* Lock: lock; bumped by every change of data or size */
	size_t scan;          /* Lock: lock; page index where reclaim resumes */
	struct list_head lru; /* Lock: the cache list lock (pagecache.c) */
	bool mapped;          /* set once, when first lent to a mapping */
	/* Write-back of pages dirtied through shared mappings (pagecache_dirty.c): */
	size_t ndirty;               /* Lock: lock; frames with frame->dirty set */
	int wb_err;                  /* Lock: lock; first write-back error not yet reported */
	uint64_t dirty_since;        /* Lock: the dirty list lock; when it joined the list (ns) */
	uint64_t dirty_ticket;       /* Lock: the dirty list lock; order of joining */
	struct list_head dirty_node; /* Lock: the dirty list lock; on the list (holding an
				      * inode reference) while it may have dirty pages */
	struct mutex wb_lock;        /* one write-back of the object at a time */
};

/* vm_object.c: the slot of page index (made when make), NULL when absent
 * or on ENOMEM. Caller holds obj->lock. */
struct frame **vm_object_slot_locked(struct vm_object *obj, size_t index, bool make);
/* pagecache_dirty.c: f (a page of obj) is clean again, its change
 * dropped (truncate, release). Caller holds obj->lock or the last ref. */
void vm_object_clean_locked(struct vm_object *obj, struct frame *f);
/* pagecache.c: the dirty list (pagecache_dirty.c). Lock order:
 * obj->lock > pagecache_dirty_lock. */
extern struct spinlock pagecache_dirty_lock;
extern struct list_head pagecache_dirty_list;
extern size_t pagecache_dirty_count;
extern uint64_t pagecache_dirty_clock;
/* A write through a shared mapping will change f, page index of cache obj:
 * mark it dirty, the object on the dirty list. Takes obj->lock. */
void vm_object_cache_dirty(struct vm_object *obj, size_t index, struct frame *f);
/* pagecache.c: the last reference to a cache object went: leave the list,
 * give back the pages counted as cache. */
void vm_object_cache_forget(struct vm_object *obj);

/* VMA objects (vma.c). vma_free drops the VMA's obj and file references. */
struct vma *vma_alloc(void);
void vma_free(struct vma *vma);
/* Return: a copy of vma with its own references (not on any list), or NULL. */
struct vma *vma_dup(const struct vma *vma);
/* First VMA with end > addr (it may start above addr), or NULL. */
struct vma *vma_find_locked(struct mm *mm, uintptr_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_lookup_locked(struct mm *mm, uintptr_t addr);
/* Insert in address order, merging with equal anonymous neighbours. */
void vma_insert_locked(struct mm *mm, struct vma *vma);
/* Split vma at addr (strictly inside): vma keeps [start, addr), the
 * returned new VMA (already on the list) has [addr, end). NULL on ENOMEM. */
struct vma *vma_split_locked(struct mm *mm, struct vma *vma, uintptr_t addr);
/* True when no VMA overlaps [start, end). */
bool range_free_locked(struct mm *mm, uintptr_t start, uintptr_t end);
/* Remove every mapping in [start, end), splitting VMAs. 0 or -ENOMEM. */
int unmap_range_locked(struct mm *mm, uintptr_t start, uintptr_t end);
/* mmap.c: top-down search below mm->mmap_base for len free bytes (not
 * below mm_min_addr()); 0 when none. */
uintptr_t find_free_area_locked(struct mm *mm, size_t len);
/* mm_limits.c: may mm grow by npages of a mapping with VMA flags, the
 * pages of [start, end) being replaced (MAP_FIXED)? RLIMIT_AS for all,
 * RLIMIT_DATA for private writable ones, RLIMIT_MEMLOCK for VM_LOCKED
 * ones, from the calling process. 0, -ENOMEM (AS, DATA) or -EAGAIN
 * (MEMLOCK, as mmap's MAP_LOCKED). */
int mm_may_expand_locked(struct mm *mm, size_t npages, unsigned flags, uintptr_t start,
			 uintptr_t end);
/* Unmap the PTEs in [start, end) and drop their frame references. */
void unmap_pages_locked(struct mm *mm, uintptr_t start, uintptr_t end);

/* HAL protection for a PTE of vma (without the copy-on-write downgrade). */
static inline unsigned vma_hal_prot(const struct vma *vma)
{
	unsigned prot = vma->flags & VM_PROT_MASK;

	if (prot)
		prot |= HAL_PROT_READ; /* W or X alone cannot be expressed everywhere */
	return prot | HAL_PROT_USER;
}

/* PTE protection for frame f in vma: a private page is writable only while
 * its mapping holds the only reference. */
static inline unsigned pte_prot_for(const struct vma *vma, const struct frame *f)
{
	unsigned prot = vma_hal_prot(vma);

	if (!(vma->flags & VM_SHARED) && frame_refcount(f) != 1)
		prot &= ~HAL_PROT_WRITE;
	/* A clean page cache page is mapped read-only, so its first write
	 * faults and marks it dirty (pagecache_dirty.c). */
	if ((vma->flags & VM_SHARED) && vma->obj && vma->obj->lru.next && !READ_ONCE(f->dirty))
		prot &= ~HAL_PROT_WRITE;
	return prot;
}

/* fault.c: resolve one page with mm->lock held. force: ignore the VMA
 * protection (mm_copy_in/out). Returns 0, -EFAULT, -ENOMEM, or -EAGAIN when
 * the page must be read from the VMA's file (mm->lock must be dropped). */
int fault_locked(struct mm *mm, uintptr_t addr, unsigned access, bool force);
/* Resolve one page, taking mm->lock (and dropping it for file reads). */
int fault_page(struct mm *mm, uintptr_t addr, unsigned access, bool force);

/* filemap.c: check a mapping of file and get the vm_object holding its
 * pages (*obj: new reference, or NULL: private copies read at fault time).
 * *may_write: false for a shared mapping of a read-only fd. 0 or -errno
 * (-EACCES, -ENODEV for writable shared mappings of files without one). */
int filemap_prepare(struct file *file, bool shared, int prot, struct vm_object **obj,
		    bool *may_write);
