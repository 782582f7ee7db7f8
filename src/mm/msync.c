/*
 * msync(2) over the VMAs of a range. Shared mappings of disk files write
 * back the pages changed through them: MS_SYNC writes and waits, then
 * runs the file's fsync (an ext4 journal commit makes new blocks durable
 * too, as Linux's vfs_fsync_range); MS_ASYNC wakes the flusher thread and
 * returns (Linux's MS_ASYNC starts no I/O at all). MS_INVALIDATE fails
 * with EBUSY on mlocked pages and otherwise has nothing to do: there is
 * one page cache, so every mapping already sees every write. Anonymous,
 * private and ramfs mappings have no backing store to write. ENOMEM when
 * part of the range is unmapped (the rest is still synced, as Linux).
 * Locking: mm->lock while one VMA is looked at, dropped for the write.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/pagecache.h>
#include <ferrite/vfs.h>

/* What msync does for one VMA: the file to write (new reference) and
 * its page range, or a flusher kick. */
struct msync_step {
	struct file *file;
	size_t first, last;
	bool kick;
};

static struct msync_step msync_vma_locked(const struct vma *vma, uintptr_t from, uintptr_t to,
					  int flags)
{
	struct msync_step s = { 0 };

	if (!(vma->flags & VM_SHARED) || !vma->file || !vma->obj || !vm_object_is_cache(vma->obj))
		return s;
	if (flags & MS_ASYNC) {
		s.kick = true;
	} else if (flags & MS_SYNC) {
		s.file = vma->file;
		file_get(s.file);
		s.first = (size_t)(vma->obj_pgoff + ((from - vma->start) >> PAGE_SHIFT));
		s.last = s.first + ((to - from) >> PAGE_SHIFT);
	}
	return s;
}

long mm_msync(struct mm *mm, uintptr_t addr, size_t len, int flags)
{
	if (!IS_ALIGNED(addr, PAGE_SIZE) || (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	uintptr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || (len && end == addr))
		return -ENOMEM;
	bool unmapped = false, kick = false;
	int err = 0;

	for (uintptr_t va = addr; va < end;) {
		spin_lock(&mm->lock);
		struct vma *vma = vma_find_locked(mm, va);
		if (!vma || vma->start >= end) {
			spin_unlock(&mm->lock);
			unmapped = true;
			break;
		}
		if (vma->start > va)
			unmapped = true;
		if ((flags & MS_INVALIDATE) && (vma->flags & VM_LOCKED)) {
			spin_unlock(&mm->lock);
			return -EBUSY;
		}
		uintptr_t from = MAX(va, vma->start), to = MIN(end, vma->end);
		struct msync_step s = msync_vma_locked(vma, from, to, flags);
		spin_unlock(&mm->lock);
		kick |= s.kick;
		if (s.file) {
			int e = pagecache_writeback_range(s.file->inode, s.first, s.last);
			e = pagecache_writeback_error(s.file->inode) ?: e;
			if (!e && s.file->ops && s.file->ops->fsync)
				e = s.file->ops->fsync(s.file, true);
			if (e && !err)
				err = e;
			file_put(s.file);
		}
		va = to;
	}
	if (kick)
		pagecache_kick_flusher();
	return err ? err : unmapped ? -ENOMEM : 0;
}
