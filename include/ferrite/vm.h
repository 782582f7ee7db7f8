/*
 * Address spaces (struct mm) and their VMAs. Owned by src/mm.
 * An mm is refcounted (threads sharing CLONE_VM hold references).
 * Lock: mm->lock protects the VMA set, brk and the page table.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>

struct hal_pt;
struct file;

/* VMA flags. The low bits equal HAL_PROT_READ/WRITE/EXEC. */
#define VM_READ 0x1
#define VM_WRITE 0x2
#define VM_EXEC 0x4
#define VM_SHARED 0x10    /* MAP_SHARED: writes are seen by every mapper */
#define VM_GROWSDOWN 0x20 /* the user stack */

struct vm_object; /* backing store shared between mappings (MAP_SHARED, shm) */

struct vma {
	uintptr_t start, end; /* [start, end), page aligned */
	unsigned flags;
	struct vm_object *obj; /* NULL: private anonymous */
	uint64_t obj_pgoff;    /* page offset of start within obj */
	struct list_head node; /* in mm->vmas, sorted by start */
};

struct mm {
	struct ref ref;
	struct spinlock lock;
	struct hal_pt *pt;
	struct list_head vmas; /* Lock: lock */
	uintptr_t brk_start, brk; /* Lock: lock */
	uintptr_t mmap_base;      /* top-down mmap allocation starts below it */
	uintptr_t stack_top;
};

/* Return: new address space (refcount 1) or NULL. */
struct mm *mm_create(void);
/* Return: a copy-on-write copy of parent (refcount 1) or NULL. */
struct mm *mm_fork(struct mm *parent);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);
void mm_activate(struct mm *mm);

/* mmap(2) semantics on mm. Return the address or -errno. */
long mm_mmap(struct mm *mm, uintptr_t addr, size_t len, int prot, int flags,
	     struct file *file, off_t off);
int mm_munmap(struct mm *mm, uintptr_t addr, size_t len);
int mm_mprotect(struct mm *mm, uintptr_t addr, size_t len, int prot);
/* brk(2): return the new (or unchanged) break. */
uintptr_t mm_brk(struct mm *mm, uintptr_t new_brk);
/* Resolve a fault at addr for access (VM_READ/WRITE/EXEC). 0 or -EFAULT. */
int mm_fault(struct mm *mm, uintptr_t addr, unsigned access);
/* Pages resident in mm (for /proc and leak checks). */
size_t mm_resident_pages(struct mm *mm);

/* Copy to/from an address space that need not be active, faulting pages in
 * as a user access would. 0 or -EFAULT. */
int mm_copy_out(struct mm *mm, uintptr_t dst, const void *src, size_t n);
int mm_copy_in(struct mm *mm, void *dst, uintptr_t src, size_t n);
