/*
 * ramfs/tmpfs: the in-memory root file system. This file makes inodes of
 * each type and the super block; ramfs_dir.c holds the name space and
 * ramfs_file.c the data. Locking: see ramfs.h.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "ramfs.h"

const struct file_ops *vfs_fifo_ops;
const struct file_ops *vfs_blkdev_ops;

static void ramfs_destroy(struct inode *ino)
{
	struct ramfs_node *rn = RAMFS(ino);

	if (!rn)
		return;
	if (S_ISREG(ino->mode))
		ramfs_free_data(ino);
	/* A directory is destroyed only once empty (rmdir) or never (root). */
	kfree(rn->target);
	kfree(rn);
	ino->private = NULL;
}

static ssize_t ramfs_readlink(struct inode *ino, char *buf, size_t size)
{
	const char *t = RAMFS(ino)->target;
	size_t n = strlen(t);

	n = MIN(n, size);
	memcpy(buf, t, n);
	return (ssize_t)n;
}

const struct inode_ops ramfs_symlink_iops = {
	.readlink = ramfs_readlink,
};

static const struct inode_ops ramfs_special_iops = { 0 };

struct inode *ramfs_new_inode(struct super_block *sb, mode_t mode, dev_t rdev)
{
	struct inode *ino;
	struct ramfs_node *rn = kzalloc(sizeof(*rn));

	if (!rn)
		return NULL;
	ino = inode_alloc(sb, mode);
	if (!ino) {
		kfree(rn);
		return NULL;
	}
	list_init(&rn->entries);
	rn->next_cookie = 2; /* 0 and 1 are "." and ".." */
	ino->private = rn;
	ino->destroy = ramfs_destroy;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		ino->iops = &ramfs_dir_iops;
		ino->fops = &ramfs_dir_fops;
		ino->nlink = 2;
		ino->size = 0;
		break;
	case S_IFREG:
		ino->iops = &ramfs_file_iops;
		ino->fops = &ramfs_file_fops;
		break;
	case S_IFLNK:
		ino->iops = &ramfs_symlink_iops;
		break;
	case S_IFCHR:
		ino->iops = &ramfs_special_iops;
		ino->fops = &chrdev_fops;
		ino->rdev = rdev;
		break;
	case S_IFIFO:
		ino->iops = &ramfs_special_iops;
		ino->fops = vfs_fifo_ops;
		break;
	case S_IFBLK:
		ino->iops = &ramfs_special_iops;
		ino->fops = vfs_blkdev_ops;
		ino->rdev = rdev;
		break;
	default:
		ino->iops = &ramfs_special_iops;
		ino->rdev = rdev;
		break;
	}
	return ino;
}

struct super_block *ramfs_create_sb(void)
{
	struct super_block *sb = kzalloc(sizeof(*sb));

	if (!sb)
		return NULL;
	rwlock_init(&sb->ns_lock);
	sb->magic = TMPFS_MAGIC;
	sb->dev = MKDEV(0, 1);
	sb->root = ramfs_new_inode(sb, S_IFDIR | 0755, 0);
	if (!sb->root) {
		kfree(sb);
		return NULL;
	}
	return sb;
}
