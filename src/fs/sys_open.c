/*
 * open(2) family and close(2): decode arguments, call vfs_open_at, install
 * the descriptor. No locks of its own.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include "fs_internal.h"

long sys_openat(int dirfd, const char __user *upath, int flags, mode_t mode)
{
	__free(path_free) char *path = path_from_user(upath);
	struct file *f;

	if (IS_ERR(path))
		return PTR_ERR(path);
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	f = vfs_open_at(dirfd, path, flags, mode);
	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, flags & O_CLOEXEC);
}

long sys_open(const char __user *upath, int flags, mode_t mode)
{
	return sys_openat(AT_FDCWD, upath, flags, mode);
}

long sys_creat(const char __user *upath, mode_t mode)
{
	return sys_openat(AT_FDCWD, upath, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

long sys_close(int fd)
{
	return fd_close(fd);
}

#define CLOSE_RANGE_UNSHARE 2u
#define CLOSE_RANGE_CLOEXEC 4u

long sys_close_range(unsigned first, unsigned last, unsigned flags)
{
	if (first > last || (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return -EINVAL;
	if (flags & CLOSE_RANGE_UNSHARE) {
		/* a table shared by CLONE_FILES is copied first (Linux) */
		long err = process_unshare_files();
		if (err)
			return err;
		flags &= ~CLOSE_RANGE_UNSHARE;
	}
	for (unsigned fd = first; fd <= last && fd < FD_MAX; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec((int)fd, true);
		else
			fd_close((int)fd);
	}
	return 0;
}
