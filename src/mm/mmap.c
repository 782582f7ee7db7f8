/*
 * mmap, munmap, mprotect, madvise and brk on a struct mm (the syscalls in
 * sys_mm.c only decode arguments). Linux semantics and error codes.
 * Lock: each operation holds mm->lock for its whole VMA update.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/printk.h>

unsigned long mmap_min_addr = 4096;

uintptr_t mm_min_addr(void)
{
	uintptr_t min = ALIGN_UP((uintptr_t)READ_ONCE(mmap_min_addr), PAGE_SIZE);

	if (min < (uintptr_t)READ_ONCE(mmap_min_addr)) /* rounded past the top */
		return hal_user_max;
	return MAX(min, HAL_USER_MIN);
}

#define MAP_KNOWN_FLAGS                                                         \
	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN |     \
	 MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |          \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC |     \
	 MAP_FIXED_NOREPLACE)

/* [addr, addr + len) may be mapped (len already page aligned). */
static bool user_range_ok(uintptr_t addr, size_t len)
{
	return addr >= mm_min_addr() && addr + len >= addr && addr + len <= hal_user_max;
}

uintptr_t find_free_area_locked(struct mm *mm, size_t len)
{
	uintptr_t hi = mm->mmap_base;
	struct list_head *pos;

	for (pos = mm->vmas.prev; pos != &mm->vmas; pos = pos->prev) {
		struct vma *vma = list_entry(pos, struct vma, node);
		if (vma->start >= hi)
			continue;
		if (vma->end <= hi && hi - vma->end >= len)
			return hi - len;
		hi = vma->start;
	}
	if (hi >= len && hi - len >= mm_min_addr())
		return hi - len;
	return 0;
}

/* Choose where a new mapping goes, unmapping for MAP_FIXED. */
static long place_mapping_locked(struct mm *mm, uintptr_t addr, size_t len, int flags)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (!range_free_locked(mm, addr, addr + len)) {
			if (!(flags & MAP_FIXED) || (flags & MAP_FIXED_NOREPLACE))
				return -EEXIST;
			int err = unmap_range_locked(mm, addr, addr + len);
			if (err)
				return err;
		}
		return (long)addr;
	}
	addr = ALIGN_DOWN(addr, PAGE_SIZE);
	if (addr && user_range_ok(addr, len) && range_free_locked(mm, addr, addr + len))
		return (long)addr;
	addr = find_free_area_locked(mm, len);
	return addr ? (long)addr : -ENOMEM;
}

/* Common tail of mm_mmap and mm_map_object: vma (consumed) gets placed. */
static long map_vma(struct mm *mm, uintptr_t addr, size_t len, int flags, struct vma *vma)
{
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !IS_ALIGNED(addr, PAGE_SIZE)) {
		vma_free(vma);
		return -EINVAL;
	}
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && !user_range_ok(addr, len)) {
		vma_free(vma);
		return addr < mm_min_addr() ? -EPERM : -ENOMEM;
	}
	/* vma may be merged away once inserted: read what we need now. */
	unsigned access = (vma->flags & VM_WRITE) ? VM_WRITE : VM_READ;
	bool populate = (flags & (MAP_POPULATE | MAP_LOCKED)) && (vma->flags & VM_PROT_MASK);
	spin_lock(&mm->lock);
	vma->flags |= mm->def_flags;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	long where = mm_may_expand_locked(mm, len >> PAGE_SHIFT, vma->flags, fixed ? addr : 0,
					  fixed ? addr + len : 0);
	if (!where)
		where = place_mapping_locked(mm, addr, len, flags);
	if (where < 0) {
		spin_unlock(&mm->lock);
		vma_free(vma);
		return where;
	}
	vma->start = (uintptr_t)where;
	vma->end = vma->start + len;
	vma_insert_locked(mm, vma);
	spin_unlock(&mm->lock);

	if (populate) {
		for (uintptr_t va = (uintptr_t)where; va < (uintptr_t)where + len; va += PAGE_SIZE)
			if (fault_page(mm, va, access, false))
				break;
	}
	return where;
}

/* Fill vma for a mapping of file (see filemap.c). */
static int file_vma_init(struct vma *vma, struct file *file, int type, int prot, off_t off)
{
	bool shared = type != MAP_PRIVATE, may_write;
	struct vm_object *obj;
	int err = filemap_prepare(file, shared, prot, &obj, &may_write);

	if (err)
		return err;
	if (obj) {
		vma->obj = obj;
		vma->obj_pgoff = (uint64_t)off >> PAGE_SHIFT;
		if (shared)
			vma->flags |= VM_SHARED;
		if (!may_write)
			vma->flags |= VM_NOMAYWRITE;
	}
	file_get(file);
	vma->file = file;
	vma->file_off = off;
	return 0;
}

static int check_len(size_t *len)
{
	if (*len == 0)
		return -EINVAL;
	if (*len > hal_user_max)
		return -ENOMEM;
	*len = ALIGN_UP(*len, PAGE_SIZE);
	return 0;
}

long mm_mmap(struct mm *mm, uintptr_t addr, size_t len, int prot, int flags,
	     struct file *file, off_t off)
{
	int type = flags & MAP_TYPE;
	int err = check_len(&len);

	if (err)
		return err;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN_FLAGS))
		return -EOPNOTSUPP;
	if (off < 0 || !IS_ALIGNED((uint64_t)off, PAGE_SIZE))
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		file = NULL;
	else if (!file)
		return -EBADF;
	if (flags & MAP_HUGETLB)
		return -EINVAL; /* no huge pages */

	struct vma *vma = vma_alloc();
	if (!vma)
		return -ENOMEM;
	vma->flags = (unsigned)prot;
	if (flags & MAP_GROWSDOWN)
		vma->flags |= VM_GROWSDOWN;
	if (flags & MAP_LOCKED) {
		if (!mm_can_mlock()) {
			vma_free(vma);
			return -EPERM;
		}
		vma->flags |= VM_LOCKED;
	}
	if (file) {
		err = file_vma_init(vma, file, type, prot, off);
		if (err) {
			vma_free(vma);
			return err;
		}
	} else if (type != MAP_PRIVATE) {
		vma->obj = vm_object_create(len >> PAGE_SHIFT);
		if (!vma->obj) {
			vma_free(vma);
			return -ENOMEM;
		}
		vma->flags |= VM_SHARED;
	}
	return map_vma(mm, addr, len, flags, vma);
}

long mm_map_object(struct mm *mm, uintptr_t addr, size_t len, int prot,
		   int flags, struct vm_object *obj, uint64_t pgoff)
{
	int err = check_len(&len);

	if (err)
		return err;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (pgoff + (len >> PAGE_SHIFT) > vm_object_npages(obj))
		return -EINVAL;
	struct vma *vma = vma_alloc();
	if (!vma)
		return -ENOMEM;
	vma->flags = (unsigned)prot | ((flags & MAP_TYPE) == MAP_PRIVATE ? 0 : VM_SHARED);
	vm_object_get(obj);
	vma->obj = obj;
	vma->obj_pgoff = pgoff;
	return map_vma(mm, addr, len, flags, vma);
}

/* Validate [addr, addr+len) for munmap/mprotect/madvise; *end gets the
 * page-aligned end. */
static int check_range(uintptr_t addr, size_t len, uintptr_t *end)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	if (len > hal_user_max)
		return -EINVAL;
	*end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (*end < addr)
		return -EINVAL;
	return 0;
}

int mm_munmap(struct mm *mm, uintptr_t addr, size_t len)
{
	uintptr_t end;
	int err = check_range(addr, len, &end);

	if (err)
		return err;
	if (len == 0)
		return -EINVAL;
	spin_lock(&mm->lock);
	err = unmap_range_locked(mm, addr, end);
	spin_unlock(&mm->lock);
	return err;
}

/* True when [start, end) is covered by VMAs without holes. */
static bool range_mapped_locked(struct mm *mm, uintptr_t start, uintptr_t end)
{
	struct vma *vma = vma_lookup_locked(mm, start);

	while (vma) {
		if (vma->end >= end)
			return true;
		if (vma->node.next == &mm->vmas)
			return false;
		struct vma *next = list_entry(vma->node.next, struct vma, node);
		if (next->start != vma->end)
			return false;
		vma = next;
	}
	return false;
}

int mm_mprotect(struct mm *mm, uintptr_t addr, size_t len, int prot)
{
	uintptr_t end;
	int err = check_range(addr, len, &end);

	if (err)
		return err;
	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (len == 0)
		return 0;
	spin_lock(&mm->lock);
	if (!range_mapped_locked(mm, addr, end)) {
		spin_unlock(&mm->lock);
		return -ENOMEM;
	}
	struct vma *vma = vma_lookup_locked(mm, addr);
	while (vma && vma->start < end) {
		if (vma->start < addr && !(vma = vma_split_locked(mm, vma, addr))) {
			err = -ENOMEM;
			break;
		}
		if (vma->end > end && !vma_split_locked(mm, vma, end)) {
			err = -ENOMEM;
			break;
		}
		if ((vma->flags & VM_NOMAYWRITE) && (prot & PROT_WRITE)) {
			err = -EACCES; /* shared mapping of a read-only fd */
			break;
		}
		vma->flags = (vma->flags & ~VM_PROT_MASK) | (unsigned)prot;
		for (uintptr_t va = vma->start; va < vma->end; va += PAGE_SIZE) {
			phys_addr_t pa;
			unsigned cur;
			if (hal_pt_translate(mm->pt, va, &pa, &cur))
				hal_pt_protect(mm->pt, va, pte_prot_for(vma, phys_to_frame(pa)));
		}
		vma = vma->node.next == &mm->vmas ? NULL : list_entry(vma->node.next, struct vma, node);
	}
	spin_unlock(&mm->lock);
	return err;
}

int mm_madvise(struct mm *mm, uintptr_t addr, size_t len, int advice)
{
	uintptr_t end;
	int err = check_range(addr, len, &end);

	if (err)
		return err;
	if (len == 0)
		return 0;
	spin_lock(&mm->lock);
	if (!range_mapped_locked(mm, addr, end))
		err = -ENOMEM;
	else if (advice == MADV_DONTNEED || advice == MADV_FREE)
		/* Private pages come back zero (or re-read from the file);
		 * shared pages stay in their vm_object. */
		unmap_pages_locked(mm, addr, end);
	spin_unlock(&mm->lock);
	return err;
}

uintptr_t mm_brk(struct mm *mm, uintptr_t new_brk)
{
	spin_lock(&mm->lock);
	uintptr_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE);
	uintptr_t new_end = ALIGN_UP(new_brk, PAGE_SIZE);

	if (!mm->brk_start || new_brk < mm->brk_start || new_end < new_brk ||
	    new_end > mm->mmap_base || old_end < mm_min_addr())
		goto out;
	if (new_end > old_end) {
		if (!range_free_locked(mm, old_end, new_end))
			goto out;
		/* RLIMIT_AS and RLIMIT_DATA: a refused brk leaves it */
		if (mm_may_expand_locked(mm, (new_end - old_end) >> PAGE_SHIFT, VM_READ | VM_WRITE,
					 0, 0))
			goto out;
		struct vma *vma = vma_alloc();
		if (!vma)
			goto out;
		vma->start = old_end;
		vma->end = new_end;
		vma->flags = VM_READ | VM_WRITE;
		vma_insert_locked(mm, vma);
	} else if (new_end < old_end && unmap_range_locked(mm, new_end, old_end)) {
		goto out;
	}
	mm->brk = new_brk;
out:;
	uintptr_t ret = mm->brk;
	spin_unlock(&mm->lock);
	return ret;
}
