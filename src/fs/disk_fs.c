/*
 * What the disk file systems (ext4, FAT) do alike when they mount, report
 * corruption, check busy and unmount; see include/ferrite/disk_fs.h.
 * Locking: none here; the error count is an atomic, the rest runs on a
 * super block the caller owns.
 */
#include <ferrite/disk_fs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/errno.h>

int disk_fs_corrupt(const char *type, const char *name, unsigned *errors, const char *fmt,
		    va_list ap)
{
	char msg[160];

	if (__atomic_fetch_add(errors, 1, __ATOMIC_RELAXED) == 0) {
		kvsnprintf(msg, sizeof(msg), fmt, ap);
		pr_err("%s %s: corrupt file system: %s (later errors on this mount are not reported)\n",
		       type, name, msg);
	}
	return -EUCLEAN;
}

void disk_fs_super_init(struct super_block *sb, const struct block_device *bd, unsigned long magic,
			const struct super_ops *ops, void *private, unsigned long flags)
{
	rwlock_init(&sb->ns_lock);
	sb->dev = bd->dev;
	sb->magic = magic;
	sb->private = private;
	sb->ops = ops;
	sb->flags = flags;
}

bool disk_fs_busy(const struct super_block *sb, size_t cached_inodes, unsigned root_refs,
		  unsigned other_inodes)
{
	/* the cache holds the root and the inodes the caller accounts for */
	return cached_inodes > 1 + other_inodes || ref_read(&sb->root->ref) > root_refs;
}

void disk_fs_put_device(struct block_device *bd)
{
	if (!bd)
		return;
	bcache_drop_device(bd);
	blkdev_put(bd);
}
