/*
 * read/write family: read, write, readv, writev, pread64, pwrite64,
 * preadv, pwritev, lseek, sendfile. Each holds a file reference for the
 * call's duration; no locks of its own.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/sched.h>
#include <ferrite/uaccess.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_mmu.h>
#include "fs_internal.h"

#define UIO_MAXIOV 1024
#define RW_MAX 0x7ffff000ul /* Linux caps one transfer at this */

/* Like Linux's access_ok, on the whole count before it is capped: a buffer
 * that cannot fit in user space is EFAULT (mode errors come first). */
static long check_user_buf(struct file *f, const void __user *buf, size_t count, unsigned mode)
{
	uintptr_t a = (uintptr_t)buf;

	if (!(f->mode & mode))
		return -EBADF;
	return a + count < a || a + count > hal_user_max ? -EFAULT : 0;
}

struct iovec {
	void __user *iov_base;
	size_t iov_len;
};

long sys_read(int fd, void __user *buf, size_t count)
{
	__free(file_put) struct file *f = fd_get(fd);
	struct iobuf b = iobuf_user(buf, MIN(count, RW_MAX));

	if (!f)
		return -EBADF;
	long err = check_user_buf(f, buf, count, FMODE_READ);
	if (err)
		return err;
	return vfs_read(f, &b);
}

long sys_write(int fd, const void __user *buf, size_t count)
{
	__free(file_put) struct file *f = fd_get(fd);
	struct iobuf b = iobuf_user((void __user *)buf, MIN(count, RW_MAX));

	if (!f)
		return -EBADF;
	long err = check_user_buf(f, buf, count, FMODE_WRITE);
	if (err)
		return err;
	return vfs_write(f, &b);
}

long sys_pread64(int fd, void __user *buf, size_t count, off_t off)
{
	__free(file_put) struct file *f = fd_get(fd);
	struct iobuf b = iobuf_user(buf, MIN(count, RW_MAX));

	if (!f)
		return -EBADF;
	return vfs_pread(f, &b, off);
}

long sys_pwrite64(int fd, const void __user *buf, size_t count, off_t off)
{
	__free(file_put) struct file *f = fd_get(fd);
	struct iobuf b = iobuf_user((void __user *)buf, MIN(count, RW_MAX));

	if (!f)
		return -EBADF;
	return vfs_pwrite(f, &b, off);
}

/* off < 0: use and move the file position. */
static long do_rw_vec(int fd, const struct iovec __user *uiov, int cnt, off_t off, bool write)
{
	__free(file_put) struct file *f = fd_get(fd);
	long total = 0;

	if (!f)
		return -EBADF;
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	for (int i = 0; i < cnt; i++) {
		struct iovec v;
		struct iobuf b;
		ssize_t n;

		if (copy_from_user(&v, &uiov[i], sizeof(v)))
			return total ? total : -EFAULT;
		if ((ssize_t)v.iov_len < 0)
			return total ? total : -EINVAL;
		if (!v.iov_len)
			continue;
		b = iobuf_user(v.iov_base, MIN(v.iov_len, RW_MAX - (size_t)total));
		if (off < 0)
			n = write ? vfs_write(f, &b) : vfs_read(f, &b);
		else
			n = write ? vfs_pwrite(f, &b, off + total) : vfs_pread(f, &b, off + total);
		if (n < 0)
			return total ? total : n;
		total += n;
		if ((size_t)n < b.len || (size_t)total >= RW_MAX)
			break;
	}
	return total;
}

long sys_readv(int fd, const struct iovec __user *iov, int cnt)
{
	return do_rw_vec(fd, iov, cnt, -1, false);
}

long sys_writev(int fd, const struct iovec __user *iov, int cnt)
{
	return do_rw_vec(fd, iov, cnt, -1, true);
}

long sys_preadv(int fd, const struct iovec __user *iov, int cnt, off_t off)
{
	if (off < 0)
		return -EINVAL;
	return do_rw_vec(fd, iov, cnt, off, false);
}

long sys_pwritev(int fd, const struct iovec __user *iov, int cnt, off_t off)
{
	if (off < 0)
		return -EINVAL;
	return do_rw_vec(fd, iov, cnt, off, true);
}

long sys_lseek(int fd, off_t off, int whence)
{
	__free(file_put) struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if ((unsigned)whence > SEEK_HOLE) /* Linux checks before any file's op */
		return -EINVAL;
	return vfs_lseek(f, off, whence);
}

long sys_sendfile(int out_fd, int in_fd, off_t __user *uoff, size_t count)
{
	__free(file_put) struct file *in = fd_get(in_fd);
	__free(file_put) struct file *out = fd_get(out_fd);
	__free(kfree) char *buf = kmalloc(PAGE_SIZE);
	off_t off = 0;
	long total = 0;

	if (!in || !out)
		return -EBADF;
	if (!buf)
		return -ENOMEM;
	if (uoff && get_user(off, uoff))
		return -EFAULT;
	count = MIN(count, RW_MAX);
	while ((size_t)total < count) {
		/* Up to 2 GiB a page at a time (a file sent to itself grows
		 * as it goes): others run meanwhile, and a signal ends it. */
		cond_resched();
		if (signal_pending_current()) {
			if (!total)
				return -ERESTARTSYS;
			break;
		}
		struct iobuf kb = iobuf_kernel(buf, MIN((size_t)PAGE_SIZE, count - (size_t)total));
		ssize_t n = uoff ? vfs_pread(in, &kb, off) : vfs_read(in, &kb);
		ssize_t w;

		if (n <= 0) {
			if (n < 0 && !total)
				return n;
			break;
		}
		kb.len = (size_t)n;
		w = vfs_write(out, &kb);
		if (w < 0) {
			if (!total)
				return w;
			break;
		}
		off += w;
		total += w;
		if (w < n) {
			if (!uoff)
				vfs_lseek(in, w - n, SEEK_CUR);
			break;
		}
	}
	if (uoff && put_user(off, uoff))
		return -EFAULT;
	return total;
}
