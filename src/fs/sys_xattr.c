/*
 * Extended attributes. No file system of Ferrite stores any yet, so every
 * file has an empty list: getxattr finds no attribute (ENODATA, as Linux
 * on a file without it), listxattr returns an empty list, removexattr has
 * nothing to remove (ENODATA), and setxattr fails with EOPNOTSUPP, as on a
 * Linux file system without xattr support. Paths, descriptors and names
 * are checked as Linux checks them.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include "fs_internal.h"

#define XATTR_NAME_MAX 255

/* The file: a path (follow: not for the l* calls) or a descriptor. */
static long xattr_target(const char __user *upath, int fd, bool follow)
{
	if (!upath) {
		__free(file_put) struct file *f = fd_get(fd);
		return f ? 0 : -EBADF;
	}
	__free(path_free) char *path = path_from_user(upath);
	if (IS_ERR(path))
		return PTR_ERR(path);
	struct inode *ino = vfs_lookup_at(AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	inode_put(ino);
	return 0;
}

/* Linux's name check: 1 to 255 bytes, readable. */
static long xattr_name(const char __user *uname)
{
	char name[XATTR_NAME_MAX + 1];
	long n = strncpy_from_user(name, uname, sizeof(name));

	if (n == -ENAMETOOLONG || n == 0 || n > XATTR_NAME_MAX)
		return -ERANGE;
	if (n < 0)
		return n;
	return 0;
}

static long do_getxattr(const char __user *upath, int fd, bool follow, const char __user *uname)
{
	long err = xattr_target(upath, fd, follow);

	if (!err)
		err = xattr_name(uname);
	return err ? err : -ENODATA;
}

static long do_listxattr(const char __user *upath, int fd, bool follow)
{
	long err = xattr_target(upath, fd, follow);

	return err ? err : 0; /* an empty list */
}

static long do_setxattr(const char __user *upath, int fd, bool follow, const char __user *uname,
			int flags)
{
	if (flags & ~3) /* XATTR_CREATE | XATTR_REPLACE */
		return -EINVAL;
	long err = xattr_name(uname);
	if (!err)
		err = xattr_target(upath, fd, follow);
	return err ? err : -EOPNOTSUPP;
}

long sys_getxattr(const char __user *p, const char __user *name, void __user *v, size_t size)
{
	return do_getxattr(p, -1, true, name);
}

long sys_lgetxattr(const char __user *p, const char __user *name, void __user *v, size_t size)
{
	return do_getxattr(p, -1, false, name);
}

long sys_fgetxattr(int fd, const char __user *name, void __user *v, size_t size)
{
	return do_getxattr(NULL, fd, true, name);
}

long sys_listxattr(const char __user *p, char __user *list, size_t size)
{
	return do_listxattr(p, -1, true);
}

long sys_llistxattr(const char __user *p, char __user *list, size_t size)
{
	return do_listxattr(p, -1, false);
}

long sys_flistxattr(int fd, char __user *list, size_t size)
{
	return do_listxattr(NULL, fd, true);
}

long sys_setxattr(const char __user *p, const char __user *name, const void __user *v, size_t size,
		  int flags)
{
	return do_setxattr(p, -1, true, name, flags);
}

long sys_lsetxattr(const char __user *p, const char __user *name, const void __user *v,
		   size_t size, int flags)
{
	return do_setxattr(p, -1, false, name, flags);
}

long sys_fsetxattr(int fd, const char __user *name, const void __user *v, size_t size, int flags)
{
	return do_setxattr(NULL, fd, true, name, flags);
}

long sys_removexattr(const char __user *p, const char __user *name)
{
	return do_getxattr(p, -1, true, name); /* nothing to remove: ENODATA */
}

long sys_lremovexattr(const char __user *p, const char __user *name)
{
	return do_getxattr(p, -1, false, name);
}

long sys_fremovexattr(int fd, const char __user *name)
{
	return do_getxattr(NULL, fd, true, name);
}
