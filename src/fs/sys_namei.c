/*
 * Name-space syscalls: mkdir, mknod, unlink, rmdir, rename, link, symlink,
 * readlink, access, chmod, chown, utimensat, truncate. Attribute changes
 * are made under inode->lock; everything else is in namei.c.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/uaccess.h>
#include "fs_internal.h"

#define USER_PATH(var, uptr)                                        \
	__free(path_free) char *var = path_from_user(uptr);         \
	if (IS_ERR(var))                                            \
		return PTR_ERR(var)

long sys_mkdirat(int dirfd, const char __user *upath, mode_t mode)
{
	USER_PATH(path, upath);
	return vfs_mkdir_at(dirfd, path, mode);
}

long sys_mkdir(const char __user *upath, mode_t mode)
{
	return sys_mkdirat(AT_FDCWD, upath, mode);
}

long sys_mknodat(int dirfd, const char __user *upath, mode_t mode, unsigned dev)
{
	USER_PATH(path, upath);
	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFCHR:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	return vfs_mknod_at(dirfd, path, mode, dev_decode(dev));
}

long sys_mknod(const char __user *upath, mode_t mode, unsigned dev)
{
	return sys_mknodat(AT_FDCWD, upath, mode, dev);
}

long sys_unlinkat(int dirfd, const char __user *upath, int flags)
{
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	USER_PATH(path, upath);
	if (flags & AT_REMOVEDIR)
		return vfs_rmdir_at(dirfd, path);
	return vfs_unlink_at(dirfd, path);
}

long sys_unlink(const char __user *upath)
{
	return sys_unlinkat(AT_FDCWD, upath, 0);
}

long sys_rmdir(const char __user *upath)
{
	return sys_unlinkat(AT_FDCWD, upath, AT_REMOVEDIR);
}

long sys_renameat2(int olddirfd, const char __user *uold, int newdirfd,
		   const char __user *unew, unsigned flags)
{
	USER_PATH(oldp, uold);
	USER_PATH(newp, unew);
	return vfs_rename_at(olddirfd, oldp, newdirfd, newp, flags);
}

long sys_renameat(int olddirfd, const char __user *uold, int newdirfd, const char __user *unew)
{
	return sys_renameat2(olddirfd, uold, newdirfd, unew, 0);
}

long sys_rename(const char __user *uold, const char __user *unew)
{
	return sys_renameat2(AT_FDCWD, uold, AT_FDCWD, unew, 0);
}

long sys_linkat(int olddirfd, const char __user *uold, int newdirfd,
		const char __user *unew, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	USER_PATH(oldp, uold);
	USER_PATH(newp, unew);
	return vfs_link_at(olddirfd, oldp, newdirfd, newp, flags);
}

long sys_link(const char __user *uold, const char __user *unew)
{
	return sys_linkat(AT_FDCWD, uold, AT_FDCWD, unew, 0);
}

long sys_symlinkat(const char __user *utarget, int dirfd, const char __user *upath)
{
	USER_PATH(target, utarget);
	USER_PATH(path, upath);
	return vfs_symlink_at(target, dirfd, path);
}

long sys_symlink(const char __user *utarget, const char __user *upath)
{
	return sys_symlinkat(utarget, AT_FDCWD, upath);
}

long sys_readlinkat(int dirfd, const char __user *upath, char __user *ubuf, int size)
{
	ssize_t n;

	if (size <= 0)
		return -EINVAL;
	USER_PATH(path, upath);
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return -ENOMEM;
	n = vfs_readlink_at(dirfd, path, buf, MIN((size_t)size, (size_t)PATH_MAX));
	if (n < 0)
		return n;
	return copy_to_user(ubuf, buf, (size_t)n) ? -EFAULT : n;
}

long sys_readlink(const char __user *upath, char __user *ubuf, int size)
{
	return sys_readlinkat(AT_FDCWD, upath, ubuf, size);
}

long sys_faccessat2(int dirfd, const char __user *upath, int amode, int flags)
{
	if (amode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH))
		return -EINVAL;
	USER_PATH(path, upath);
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	__free(inode_put) struct inode *ino = vfs_lookup_at(dirfd, path, lf);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	return inode_permission(ino, amode);
}

long sys_faccessat(int dirfd, const char __user *upath, int amode)
{
	return sys_faccessat2(dirfd, upath, amode, 0);
}

long sys_access(const char __user *upath, int amode)
{
	return sys_faccessat2(AT_FDCWD, upath, amode, 0);
}

/* Return: new inode reference for an fd- or path-based attribute call. */
static struct inode *attr_target(int dirfd, const char __user *upath, int flags)
{
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;

	if (!upath) { /* the fd itself (fchmod, fchown, futimens) */
		__free(file_put) struct file *f = fd_get(dirfd);
		if (!f)
			return ERR_PTR(-EBADF);
		if (!f->inode)
			return ERR_PTR(-EINVAL);
		inode_get(f->inode);
		return f->inode;
	}
	__free(path_free) char *path = path_from_user(upath);
	if (IS_ERR(path))
		return (struct inode *)take_ptr(path);
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	return vfs_lookup_at(dirfd, path, lf);
}

static long do_chmod(int dirfd, const char __user *upath, mode_t mode, int flags)
{
	__free(inode_put) struct inode *ino = attr_target(dirfd, upath, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (S_ISLNK(ino->mode))
		return -EOPNOTSUPP;
	if (inode_is_readonly(ino))
		return -EROFS;
	scoped_guard(spinlock, &ino->lock) {
		ino->mode = (ino->mode & S_IFMT) | (mode & S_IALLUGO);
		ino->ctime = vfs_now();
	}
	inode_mark_dirty(ino);
	return 0;
}

long sys_fchmod(int fd, mode_t mode)
{
	return do_chmod(fd, NULL, mode, 0);
}

/* Linux's fchmodat has three arguments (flags came with fchmodat2): the
 * fourth register is whatever the caller left there (glibc's chmod on
 * riscv64), never a flags word. */
long sys_fchmodat(int dirfd, const char __user *upath, mode_t mode)
{
	return do_chmod(dirfd, upath, mode, 0);
}

long sys_chmod(const char __user *upath, mode_t mode)
{
	return do_chmod(AT_FDCWD, upath, mode, 0);
}

static long do_chown(int dirfd, const char __user *upath, uid_t uid, gid_t gid, int flags)
{
	__free(inode_put) struct inode *ino = attr_target(dirfd, upath, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (inode_is_readonly(ino))
		return -EROFS;
	scoped_guard(spinlock, &ino->lock) {
		if (uid != (uid_t)-1)
			ino->uid = uid;
		if (gid != (gid_t)-1)
			ino->gid = gid;
		ino->ctime = vfs_now();
	}
	inode_mark_dirty(ino);
	return 0;
}

long sys_fchown(int fd, uid_t uid, gid_t gid)
{
	return do_chown(fd, NULL, uid, gid, 0);
}

long sys_fchownat(int dirfd, const char __user *upath, uid_t uid, gid_t gid, int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return do_chown(dirfd, upath, uid, gid, flags);
}

long sys_chown(const char __user *upath, uid_t uid, gid_t gid)
{
	return do_chown(AT_FDCWD, upath, uid, gid, 0);
}

long sys_lchown(const char __user *upath, uid_t uid, gid_t gid)
{
	return do_chown(AT_FDCWD, upath, uid, gid, AT_SYMLINK_NOFOLLOW);
}

long sys_utimensat(int dirfd, const char __user *upath, const struct timespec64 __user *utimes,
		   int flags)
{
	struct timespec64 ts[2], now = vfs_now();

	if (flags & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	if (utimes) {
		if (copy_from_user(ts, utimes, sizeof(ts)))
			return -EFAULT;
		for (int i = 0; i < 2; i++)
			if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
			    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000L))
				return -EINVAL;
	} else {
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
	}
	__free(inode_put) struct inode *ino = attr_target(dirfd, upath, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (inode_is_readonly(ino))
		return -EROFS;
	scoped_guard(spinlock, &ino->lock) {
		if (ts[0].tv_nsec != UTIME_OMIT)
			ino->atime = ts[0].tv_nsec == UTIME_NOW ? now : ts[0];
		if (ts[1].tv_nsec != UTIME_OMIT)
			ino->mtime = ts[1].tv_nsec == UTIME_NOW ? now : ts[1];
		ino->ctime = now;
	}
	inode_mark_dirty(ino);
	return 0;
}

long sys_truncate(const char __user *upath, off_t length)
{
	USER_PATH(path, upath);
	__free(inode_put) struct inode *ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	return vfs_truncate_inode(ino, length);
}

#define FALLOC_FL_KEEP_SIZE 0x01

long sys_fallocate(int fd, int mode, off_t offset, off_t len)
{
	__free(file_put) struct file *f = fd_get(fd);

	if (!f || (f->mode & FMODE_PATH))
		return -EBADF;
	if (offset < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP; /* punching holes, zeroing, collapsing: not yet */
	if (!(f->mode & FMODE_WRITE))
		return -EBADF;
	if (!f->inode)
		return -ENODEV;
	if (S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (S_ISFIFO(f->inode->mode) || S_ISSOCK(f->inode->mode))
		return -ESPIPE;
	if (!S_ISREG(f->inode->mode))
		return -ENODEV;
	if (offset > (off_t)(~0ull >> 1) - len)
		return -EFBIG;
	if (inode_is_readonly(f->inode))
		return -EROFS;
	if (!f->ops || !f->ops->fallocate)
		return -EOPNOTSUPP;
	return f->ops->fallocate(f, mode, offset, len);
}

long sys_ftruncate(int fd, off_t length)
{
	__free(file_put) struct file *f = fd_get(fd);

	if (!f)
		return -EBADF;
	if (!f->inode || !(f->mode & FMODE_WRITE))
		return -EINVAL;
	return vfs_truncate_inode(f->inode, length);
}
