/*
 * stat family: fstat, newfstatat (riscv64's fstatat), stat, lstat, statx,
 * statfs, fstatfs. Converts struct kstat into each ABI's layout. No locks.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include "fs_internal.h"

static int stat_to_user(const struct kstat *k, struct stat __user *ust)
{
	struct stat st;

	memset(&st, 0, sizeof(st));
	st.st_dev = dev_encode(k->dev);
	st.st_ino = k->ino;
	st.st_mode = k->mode;
	st.st_nlink = k->nlink;
	st.st_uid = k->uid;
	st.st_gid = k->gid;
	st.st_rdev = dev_encode(k->rdev);
	st.st_size = k->size;
	st.st_blksize = (int)k->blksize;
	st.st_blocks = k->blocks;
	st.st_atime_sec = k->atime.tv_sec;
	st.st_atime_nsec = (unsigned long)k->atime.tv_nsec;
	st.st_mtime_sec = k->mtime.tv_sec;
	st.st_mtime_nsec = (unsigned long)k->mtime.tv_nsec;
	st.st_ctime_sec = k->ctime.tv_sec;
	st.st_ctime_nsec = (unsigned long)k->ctime.tv_nsec;
	return copy_to_user(ust, &st, sizeof(st)) ? -EFAULT : 0;
}

/* Return: new inode reference for a *at() stat-like call. */
static struct inode *lookup_stat(int dirfd, const char __user *upath, int flags)
{
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	__free(path_free) char *path = path_from_user(upath);

	if (IS_ERR(path))
		return (struct inode *)take_ptr(path);
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	return vfs_lookup_at(dirfd, path, lf);
}

long sys_newfstatat(int dirfd, const char __user *upath, struct stat __user *ust, int flags)
{
	struct kstat k;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	__free(inode_put) struct inode *ino = lookup_stat(dirfd, upath, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	vfs_getattr(ino, &k);
	return stat_to_user(&k, ust);
}

long sys_fstat(int fd, struct stat __user *ust)
{
	__free(file_put) struct file *f = fd_get_raw(fd);
	struct kstat k;

	if (!f)
		return -EBADF;
	vfs_getattr(f->inode, &k);
	return stat_to_user(&k, ust);
}

long sys_stat(const char __user *upath, struct stat __user *ust)
{
	return sys_newfstatat(AT_FDCWD, upath, ust, 0);
}

long sys_lstat(const char __user *upath, struct stat __user *ust)
{
	return sys_newfstatat(AT_FDCWD, upath, ust, AT_SYMLINK_NOFOLLOW);
}

static struct statx_timestamp sx_time(struct timespec64 t)
{
	return (struct statx_timestamp){ t.tv_sec, (uint32_t)t.tv_nsec, 0 };
}

long sys_statx(int dirfd, const char __user *upath, int flags, unsigned mask,
	       struct statx __user *usx)
{
	struct statx sx;
	struct kstat k;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	__free(inode_put) struct inode *ino = lookup_stat(dirfd, upath, flags);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	vfs_getattr(ino, &k);
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)k.blksize;
	sx.stx_nlink = k.nlink;
	sx.stx_uid = k.uid;
	sx.stx_gid = k.gid;
	sx.stx_mode = (uint16_t)k.mode;
	sx.stx_ino = k.ino;
	sx.stx_size = (uint64_t)k.size;
	sx.stx_blocks = (uint64_t)k.blocks;
	sx.stx_atime = sx_time(k.atime);
	sx.stx_ctime = sx_time(k.ctime);
	sx.stx_mtime = sx_time(k.mtime);
	sx.stx_rdev_major = MAJOR(k.rdev);
	sx.stx_rdev_minor = MINOR(k.rdev);
	sx.stx_dev_major = MAJOR(k.dev);
	sx.stx_dev_minor = MINOR(k.dev);
	return copy_to_user(usx, &sx, sizeof(sx)) ? -EFAULT : 0;
}

static int statfs_to_user(struct inode *ino, struct statfs __user *ubuf)
{
	struct statfs s;

	memset(&s, 0, sizeof(s));
	if (ino && ino->sb && ino->sb->ops && ino->sb->ops->statfs) {
		struct kstatfs k;
		memset(&k, 0, sizeof(k));
		ino->sb->ops->statfs(ino->sb, &k);
		s.f_type = k.type;
		s.f_bsize = k.bsize;
		s.f_frsize = k.frsize;
		s.f_blocks = k.blocks;
		s.f_bfree = k.bfree;
		s.f_bavail = k.bavail;
		s.f_files = k.files;
		s.f_ffree = k.ffree;
		s.f_fsid[0] = k.fsid[0];
		s.f_fsid[1] = k.fsid[1];
		s.f_namelen = k.namelen;
		s.f_flags = k.flags;
		return copy_to_user(ubuf, &s, sizeof(s)) ? -EFAULT : 0;
	}
	s.f_type = ino && ino->sb ? (long)ino->sb->magic : TMPFS_MAGIC;
	s.f_bsize = PAGE_SIZE;
	s.f_frsize = PAGE_SIZE;
	s.f_blocks = 1 << 18; /* ramfs has no fixed size: report 1 GiB */
	s.f_bfree = s.f_blocks - MIN(s.f_blocks - 1, ramfs_data_bytes() / PAGE_SIZE);
	s.f_bavail = s.f_bfree;
	s.f_files = 1 << 20;
	s.f_ffree = s.f_files - MIN(s.f_files - 1, inodes_count_live());
	s.f_namelen = NAME_MAX;
	return copy_to_user(ubuf, &s, sizeof(s)) ? -EFAULT : 0;
}

long sys_statfs(const char __user *upath, struct statfs __user *ubuf)
{
	__free(path_free) char *path = path_from_user(upath);

	if (IS_ERR(path))
		return PTR_ERR(path);
	__free(inode_put) struct inode *ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	return statfs_to_user(ino, ubuf);
}

long sys_fstatfs(int fd, struct statfs __user *ubuf)
{
	__free(file_put) struct file *f = fd_get_raw(fd);

	if (!f)
		return -EBADF;
	return statfs_to_user(f->inode, ubuf);
}
