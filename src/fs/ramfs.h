/*
 * Private to ramfs: per-inode data. Directories hold a list of entries
 * (Lock: sb->ns_lock), regular files a growable vm_object holding their
 * pages (Lock: inode->lock), symlinks their target (immutable).
 */
#pragma once
#include <ferrite/vfs.h>

struct ramfs_dirent {
	struct list_head node;  /* in the parent's entries */
	struct inode *inode;    /* reference (one per link) */
	off_t cookie;           /* getdents position; increasing in the list */
	size_t len;
	char name[];
};

struct ramfs_node {
	/* directories; Lock: sb->ns_lock */
	struct list_head entries;
	struct inode *parent;  /* not a reference: valid while linked; NULL once removed */
	off_t next_cookie;
	/* regular files: the data, created on first write/truncate/mmap;
	 * Lock: inode->lock to create it and to change the size (the
	 * object's own lock guards its pages) */
	struct vm_object *obj;
	/* symlinks */
	char *target;
};

static inline struct ramfs_node *RAMFS(struct inode *ino)
{
	return ino->private;
}

extern const struct inode_ops ramfs_dir_iops;
extern const struct inode_ops ramfs_file_iops;
extern const struct inode_ops ramfs_symlink_iops;
extern const struct file_ops ramfs_file_fops;
extern const struct file_ops ramfs_dir_fops;
extern const struct file_ops chrdev_fops;
/* FIFO file ops, registered by the pipe code; NULL until then. */
extern const struct file_ops *vfs_fifo_ops;

int ramfs_truncate(struct inode *ino, off_t size);
void ramfs_free_data(struct inode *ino);
/* Return: a new ramfs inode of mode (refcount 1) or NULL. */
struct inode *ramfs_new_inode(struct super_block *sb, mode_t mode, dev_t rdev);
