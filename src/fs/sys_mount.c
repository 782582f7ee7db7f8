/*
 * mount(2) and umount2(2). File system types: ext4 (also asked for as
 * ext2 or ext3: one driver reads all three), read-write or read-only.
 * When the driver cannot write an image (features it does not know) a
 * read-write request gets -EROFS, as Linux gives for a write-protected
 * device; busybox and util-linux mount then retry with MS_RDONLY ("is
 * write-protected, mounting read-only"). No locks here: the mount table
 * (mount.c) has its own.
 */
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include "fs_internal.h"

/* ext4 (src/fs/ext4/super.c) */
struct super_block *ext4_mount(struct block_device *bd, unsigned long flags);

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

static long mount_ext4(const char *source, struct inode *dir /* consumed */, unsigned long flags)
{
	__free(inode_put) struct inode *target = dir;
	struct block_device *bd;
	struct super_block *sb;
	int err;

	bd = source_bdev(source);
	if (IS_ERR(bd))
		return PTR_ERR(bd);
	if (vfs_dev_mounted(bd->dev)) {
		blkdev_put(bd);
		return -EBUSY;
	}
	sb = ext4_mount(bd, flags);
	blkdev_put(bd); /* the file system holds its own */
	if (IS_ERR(sb))
		return PTR_ERR(sb);
	struct mount_info info = { .type = "ext4" };
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

	if (flags & MS_REMOUNT) {
		/* Only MS_RDONLY changes (through the file system's remount);
		 * without one a read-only file system stays so. */
		__free(inode_put) struct inode *covered = vfs_mount_covered(dir);
		if (!covered && dir != vfs_root)
			return -EINVAL;
		struct super_block *sb = dir->sb;
		if (sb && sb->ops && sb->ops->remount &&
		    !!(sb->flags & MS_RDONLY) != !!(flags & MS_RDONLY))
			return sb->ops->remount(sb, flags);
		if (inode_is_readonly(dir) && !(flags & MS_RDONLY))
			return -EROFS;
		return 0;
	}
	if (flags & (MS_BIND | MS_MOVE))
		return -EINVAL; /* not implemented yet */
	if (flags & MS_PROPAGATION)
		return 0; /* every mount is private: nothing propagates */
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!utype)
		return -EINVAL;
	__free(path_free) char *type = path_from_user(utype);
	if (IS_ERR(type))
		return PTR_ERR(type);
	if (!is_ext4_type(type))
		return -ENODEV;
	if (!usource)
		return -EINVAL;
	__free(path_free) char *source = path_from_user(usource);
	if (IS_ERR(source))
		return PTR_ERR(source);
	(void)data; /* ext4 mount options: none are needed read-only */
	return mount_ext4(source, take_ptr(dir), flags);
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
	struct inode *root = vfs_lookup_at(AT_FDCWD, target,
					   (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
	if (IS_ERR(root))
		return PTR_ERR(root);
	/* MNT_DETACH of a busy file system is refused like a plain umount
	 * (lazy unmount is not implemented). */
	return vfs_umount_root(root);
}
