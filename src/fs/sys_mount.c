/*
 * mount(2) and umount2(2). File system types: vfat (also asked for as
 * msdos or fat; docs/fat.md) and ext4 (also asked for as ext2 or ext3:
 * one driver reads all three), read-write or read-only.
 * When the driver cannot write an image (features it does not know) a
 * read-write request gets -EROFS, as Linux gives for a write-protected
 * device; busybox and util-linux mount then retry with MS_RDONLY ("is
 * write-protected, mounting read-only"). MS_BIND shows a directory or a
 * file at a second place; umount2 finds the mount by its mount point
 * (the last component looked up without crossing into what is mounted
 * there), MNT_DETACH unmounts lazily. No locks here: the mount table
 * (mount.c) has its own.
 */
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/uaccess.h>
#include "fs_internal.h"

/* ext4 (src/fs/ext4/super.c), FAT (src/fs/fat/super.c) */
struct super_block *ext4_mount(struct block_device *bd, unsigned long flags);
struct super_block *fat_mount(struct block_device *bd, unsigned long flags, const char *options);

/* mount(2) flags (uapi linux/mount.h) */
#define MS_NOSUID 0x2
#define MS_NODEV 0x4
#define MS_NOEXEC 0x8
#define MS_REMOUNT 0x20
#define MS_BIND 0x1000
#define MS_MOVE 0x2000
#define MS_UNBINDABLE (1 << 17)
#define MS_PRIVATE (1 << 18)
#define MS_SLAVE (1 << 19)
#define MS_SHARED (1 << 20)
#define MS_PROPAGATION (MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED)
#define MS_MGC_MSK 0xffff0000ul
#define MS_MGC_VAL 0xc0ed0000ul

/* umount2(2) flags */
#define MNT_FORCE 0x1
#define MNT_DETACH 0x2
#define MNT_EXPIRE 0x4
#define UMOUNT_NOFOLLOW 0x8

static bool is_ext4_type(const char *t)
{
	return !strcmp(t, "ext4") || !strcmp(t, "ext3") || !strcmp(t, "ext2");
}

static bool is_fat_type(const char *t)
{
	return !strcmp(t, "vfat") || !strcmp(t, "msdos") || !strcmp(t, "fat");
}

/* The block device named by the path source. Return: new reference or ERR_PTR. */
static struct block_device *source_bdev(const char *source)
{
	__free(inode_put) struct inode *ino = vfs_lookup_at(AT_FDCWD, source, LOOKUP_FOLLOW);
	if (IS_ERR(ino))
		return (struct block_device *)ino;
	if (!S_ISBLK(ino->mode))
		return ERR_PTR(-ENOTBLK);
	struct block_device *bd = blkdev_lookup(ino->rdev);
	return bd ? bd : ERR_PTR(-ENXIO);
}

/* The absolute path of ino, found by the path name: into buf[PATH_MAX].
 * Return: the start of the path in buf, or -errno. */
static long inode_path(const char *name, struct inode *ino, char *buf)
{
	if (S_ISDIR(ino->mode))
		return vfs_build_path(ino, buf, PATH_MAX);
	int err = vfs_absolute_path(name, buf, PATH_MAX);
	return err ? err : 0;
}

/* What /proc/mounts says of a mount at target (its path name) of ino. */
static void info_path(struct mount_info *info, const char *target, struct inode *ino)
{
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	if (!buf)
		return;
	long start = inode_path(target, ino, buf);
	if (start >= 0)
		ksnprintf(info->path, sizeof(info->path), "%s", buf + start);
}

/* mount(2) MS_BIND: show source (a directory or a file) at dir too. */
static long mount_bind(const char *source, struct inode *dir /* consumed */, const char *target)
{
	__free(inode_put) struct inode *target_ino = dir;
	__free(inode_put) struct inode *what = vfs_lookup_at(AT_FDCWD, source, LOOKUP_FOLLOW);
	if (IS_ERR(what))
		return PTR_ERR(what);
	struct mount_info info = { 0 };
	info_path(&info, target, target_ino);
	/* mountinfo's root: the source's path below its file system's root */
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	__free(kfree) char *rbuf = kmalloc(PATH_MAX);
	if (!buf || !rbuf)
		return -ENOMEM;
	long start = inode_path(source, what, buf);
	long rstart = what->sb && what->sb->root ? vfs_build_path(what->sb->root, rbuf, PATH_MAX)
						 : -ENOENT;
	if (start >= 0 && rstart >= 0) {
		const char *a = buf + start, *r = rbuf + rstart;
		size_t rlen = strcmp(r, "/") ? strlen(r) : 0;
		if (!strncmp(a, r, rlen) && (a[rlen] == '/' || !a[rlen]))
			a += rlen;
		ksnprintf(info.root, sizeof(info.root), "%s", *a ? a : "/");
	}
	return vfs_bind_mount(take_ptr(target_ino), take_ptr(what), &info);
}

static long mount_disk(const char *source, struct inode *dir /* consumed */, unsigned long flags,
		       bool fat, const char *options)
{
	__free(inode_put) struct inode *target = dir;
	struct block_device *bd;
	struct super_block *sb;
	int err;

	bd = source_bdev(source);
	if (IS_ERR(bd))
		return PTR_ERR(bd);
	vfs_reap_detached(); /* a lazily unmounted one nobody uses any more */
	if (vfs_dev_mounted(bd->dev)) {
		blkdev_put(bd);
		return -EBUSY;
	}
	sb = fat ? fat_mount(bd, flags & MS_RDONLY, options) : ext4_mount(bd, flags);
	blkdev_put(bd); /* the file system holds its own */
	if (IS_ERR(sb))
		return PTR_ERR(sb);
	struct mount_info info = { .type = "ext4", .readonly = (sb->flags & MS_RDONLY) != 0 };
	if (fat)
		ksnprintf(info.type, sizeof(info.type), "vfat");
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	if (buf) {
		long start = vfs_build_path(target, buf, PATH_MAX);
		if (start >= 0)
			ksnprintf(info.path, sizeof(info.path), "%s", buf + start);
	}
	ksnprintf(info.source, sizeof(info.source), "%s", source);
	err = vfs_mount_inode(take_ptr(target), sb, &info);
	if (err) {
		inode_put(sb->root);
		sb->root = NULL;
		sb->ops->put_super(sb);
	}
	return err;
}

long sys_mount(const char __user *usource, const char __user *utarget, const char __user *utype,
	       unsigned long flags, const void __user *data)
{
	if (current->proc->euid != 0)
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	__free(path_free) char *target = path_from_user(utarget);
	if (IS_ERR(target))
		return PTR_ERR(target);
	__free(inode_put) struct inode *dir = vfs_lookup_at(AT_FDCWD, target, LOOKUP_FOLLOW);
	if (IS_ERR(dir))
		return PTR_ERR(dir);

	if ((flags & (MS_REMOUNT | MS_BIND)) == (MS_REMOUNT | MS_BIND)) {
		/* Per-mount flags (a read-only bind) need mounts that are more
		 * than an inode (mount.c): refused rather than applied to the
		 * whole file system. Asking for nothing new succeeds. */
		__free(inode_put) struct inode *covered = vfs_mount_covered(dir);
		if (!covered)
			return -EINVAL; /* not a mount point */
		if ((flags & MS_RDONLY) && !inode_is_readonly(dir))
			return -EINVAL;
		return 0;
	}
	if (flags & MS_REMOUNT) {
		/* Only MS_RDONLY changes (through the file system's remount);
		 * without one a read-only file system stays so. */
		__free(inode_put) struct inode *covered = vfs_mount_covered(dir);
		if (!covered && dir != vfs_root)
			return -EINVAL;
		struct super_block *sb = dir->sb;
		if (sb && sb->ops && sb->ops->remount &&
		    !!(sb->flags & MS_RDONLY) != !!(flags & MS_RDONLY)) {
			if (flags & MS_RDONLY)
				pagecache_sync(sb); /* mapped changes, while it is writable */
			return sb->ops->remount(sb, flags);
		}
		if (inode_is_readonly(dir) && !(flags & MS_RDONLY))
			return -EROFS;
		return 0;
	}
	if (flags & MS_BIND) {
		if (!usource)
			return -EFAULT;
		__free(path_free) char *source = path_from_user(usource);
		if (IS_ERR(source))
			return PTR_ERR(source);
		return mount_bind(source, take_ptr(dir), target);
	}
	if (flags & MS_MOVE)
		return -EINVAL; /* MS_MOVE is not supported (docs/ext4.md) */
	if (flags & MS_PROPAGATION)
		return 0; /* every mount is private: nothing propagates */
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!utype)
		return -EINVAL;
	__free(path_free) char *type = path_from_user(utype);
	if (IS_ERR(type))
		return PTR_ERR(type);
	bool fat = is_fat_type(type);
	if (!fat && !is_ext4_type(type))
		return -ENODEV;
	if (!usource)
		return -EINVAL;
	__free(path_free) char *source = path_from_user(usource);
	if (IS_ERR(source))
		return PTR_ERR(source);
	/* ext4: no options are needed read-only; vfat: uid=, umask=... */
	__free(kfree) char *options = NULL;
	if (fat && data) {
		options = kmalloc(PAGE_SIZE);
		if (!options)
			return -ENOMEM;
		long n = strncpy_from_user(options, data, PAGE_SIZE);
		if (n < 0)
			return n == -ENAMETOOLONG ? -EINVAL : n;
	}
	return mount_disk(source, take_ptr(dir), flags, fat, options);
}

long sys_umount2(const char __user *utarget, int flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if ((flags & MNT_EXPIRE) && (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if (current->proc->euid != 0)
		return -EPERM;
	__free(path_free) char *target = path_from_user(utarget);
	if (IS_ERR(target))
		return PTR_ERR(target);
	bool lazy = flags & MNT_DETACH;
	/* The mount point: the last component as its directory has it, not
	 * what is mounted there; ".", ".." and "/" name a mounted root. */
	struct path_parent pp;
	int err = vfs_lookup_parent(AT_FDCWD, target, &pp);
	if (err)
		return err;
	bool by_name = pp.len && !(pp.len == 1 && pp.name[0] == '.') &&
		       !(pp.len == 2 && pp.name[0] == '.' && pp.name[1] == '.');
	struct inode *point = NULL;
	if (by_name && pp.dir->iops && pp.dir->iops->lookup)
		point = pp.dir->iops->lookup(pp.dir, pp.name, pp.len);
	path_parent_put(&pp);
	if (IS_ERR(point))
		return PTR_ERR(point);
	if (point && (!S_ISLNK(point->mode) || (flags & UMOUNT_NOFOLLOW)))
		return vfs_umount(point, NULL, lazy);
	if (point)
		inode_put(point); /* a symlink: follow it */
	struct inode *root = vfs_lookup_at(AT_FDCWD, target,
					   (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
	if (IS_ERR(root))
		return PTR_ERR(root);
	return vfs_umount(NULL, root, lazy);
}
