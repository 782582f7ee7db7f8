/*
 * Memory syscalls: argument decoding only; the work is in mmap.c.
 * They act on the calling process's address space (current->proc->mm).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include <hal/hal_mmu.h>

static struct mm *current_mm(void) { return current->proc->mm; }

long sys_brk(unsigned long brk)
{
	return (long)mm_brk(current_mm(), brk);
}

long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot,
	      unsigned long flags, int fd, off_t off)
{
	struct file *file = NULL;
	long ret;

	if (!(flags & MAP_ANONYMOUS)) {
		file = fd_get(fd);
		if (!file)
			return -EBADF;
		int err = 0;
		mode_t type = file->inode->mode & S_IFMT;
		if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK)
			err = -ENODEV; /* pipes, sockets, directories, anonymous files */
		else if (!(file->mode & FMODE_READ))
			err = -EACCES;
		else if ((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) &&
			 !(file->mode & FMODE_WRITE))
			err = -EACCES;
		if (err) {
			file_put(file);
			return err;
		}
	}
	ret = mm_mmap(current_mm(), addr, len, (int)prot, (int)flags, file, off);
	if (file)
		file_put(file);
	return ret;
}

long sys_mremap(unsigned long addr, unsigned long old_len, unsigned long new_len,
		unsigned long flags, unsigned long new_addr)
{
	return mm_mremap(current_mm(), addr, old_len, new_len, (int)flags, new_addr);
}

long sys_munmap(unsigned long addr, unsigned long len)
{
	return mm_munmap(current_mm(), addr, len);
}

long sys_mprotect(unsigned long addr, unsigned long len, unsigned long prot)
{
	return mm_mprotect(current_mm(), addr, len, (int)prot);
}

long sys_madvise(unsigned long addr, unsigned long len, int advice)
{
	return mm_madvise(current_mm(), addr, len, advice);
}

long sys_msync(unsigned long addr, unsigned long len, int flags)
{
	return mm_msync(current_mm(), addr, len, flags);
}

/*
 * mincore(2): one byte per page of [addr, addr + len), bit 0 set when the
 * page is in memory. Ferrite has no page cache yet, so "in memory" means
 * mapped in this address space now (a file page read in by another
 * process, or a shared page this one has not touched, reads 0 here where
 * Linux would say 1). ENOMEM when part of the range is not mapped.
 */
#define MINCORE_CHUNK 256

long sys_mincore(unsigned long addr, size_t len, unsigned char __user *vec)
{
	struct mm *mm = current_mm();
	unsigned char buf[MINCORE_CHUNK];
	struct vma vma;

	if (!IS_ALIGNED(addr, PAGE_SIZE))
		return -EINVAL;
	size_t pages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	if (len > hal_user_max || addr > hal_user_max - pages * PAGE_SIZE)
		return -ENOMEM;
	for (size_t done = 0; done < pages;) {
		size_t n = MIN(pages - done, (size_t)MINCORE_CHUNK);
		for (size_t i = 0; i < n; i++) {
			uintptr_t va = addr + (done + i) * PAGE_SIZE;
			if (!mm_find_vma_copy(mm, va, &vma))
				return -ENOMEM;
			phys_addr_t pa;
			unsigned prot;
			scoped_guard(spinlock, &mm->lock)
				buf[i] = hal_pt_translate(mm->pt, va, &pa, &prot) ? 1 : 0;
		}
		if (copy_to_user(vec + done, buf, n))
			return -EFAULT;
		done += n;
	}
	return 0;
}
