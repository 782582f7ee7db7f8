/*
 * Block device nodes: /dev/vda, /dev/vdb, ... as files. read/write/pread/
 * pwrite/lseek work at any byte offset: whole sectors move between the
 * device and a bounce buffer, and a write that covers part of a sector
 * reads it first (read-modify-write). ioctls BLKGETSIZE(64), BLKSSZGET,
 * BLKPBSZGET, BLKROGET, BLKFLSBUF; fsync issues a FLUSH.
 *
 * Ownership: an open file holds a reference on its block device
 * (f->private), dropped on release.
 * Locking: rmw_lock (a sleeping mutex, one for all devices) serialises
 * writes, so two partial-sector writes to one sector cannot lose each
 * other's bytes. Reads take no lock: they see each sector as it was
 * before or after a write, as on Linux without O_DIRECT ordering.
 * User memory is copied with no spinlock held.
 */
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/mutex.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include "fs_internal.h"

#define BOUNCE_ORDER 4 /* 64 KiB per device request */
#define BOUNCE_SIZE (PAGE_SIZE << BOUNCE_ORDER)

/* Linux's <linux/fs.h> block ioctls. */
#define BLKROGET 0x125e
#define BLKGETSIZE 0x1260
#define BLKFLSBUF 0x1261
#define BLKSSZGET 0x1268
#define BLKPBSZGET 0x127b
#define BLKGETSIZE64 0x80081272

static DEFINE_MUTEX(rmw_lock);

static inline struct block_device *file_bdev(struct file *f) { return f->private; }

static off_t bdev_bytes(const struct block_device *bd)
{
	return (off_t)(bd->nr_sectors << SECTOR_SHIFT);
}

static int blk_open(struct inode *ino, struct file *f)
{
	struct block_device *bd = blkdev_lookup(ino->rdev);

	if (!bd)
		return -ENXIO;
	if ((f->mode & FMODE_WRITE) && (bd->flags & BLKDEV_RDONLY)) {
		blkdev_put(bd);
		return -EROFS;
	}
	f->private = bd;
	return 0;
}

static void blk_release(struct file *f)
{
	if (f->private)
		blkdev_put(file_bdev(f));
}

static void bounce_free(void *p) { pages_free(p, BOUNCE_ORDER); }
DEFINE_FREE(bounce_free, void *, if (_T) bounce_free(_T))

static ssize_t blk_read(struct file *f, const struct iobuf *b, off_t *pos)
{
	struct block_device *bd = file_bdev(f);
	off_t start = *pos, size = bdev_bytes(bd);

	if (start < 0)
		return -EINVAL;
	if (start >= size || !b->len)
		return 0;
	size_t n = MIN(b->len, (size_t)(size - start));
	__free(bounce_free) void *bounce = pages_alloc(BOUNCE_ORDER);
	if (!bounce)
		return -ENOMEM;
	size_t done = 0;
	while (done < n) {
		off_t off = start + (off_t)done;
		size_t in_sector = off & (SECTOR_SIZE - 1);
		size_t chunk = MIN(n - done, BOUNCE_SIZE - in_sector);
		size_t sectors = (in_sector + chunk + SECTOR_SIZE - 1) >> SECTOR_SHIFT;
		int err = blkdev_read(bd, (uint64_t)off >> SECTOR_SHIFT, bounce, sectors);
		if (!err && iobuf_copy_to(b, done, (char *)bounce + in_sector, chunk))
			err = -EFAULT;
		if (err)
			return done ? (ssize_t)done : err;
		done += chunk;
	}
	*pos = start + (off_t)done;
	return (ssize_t)done;
}

/* One bounce-sized piece of a write at byte offset off. */
static int write_piece(struct block_device *bd, void *bounce, off_t off, const struct iobuf *b,
		       size_t at, size_t chunk)
{
	size_t in_sector = off & (SECTOR_SIZE - 1);
	size_t end = in_sector + chunk;
	size_t sectors = (end + SECTOR_SIZE - 1) >> SECTOR_SHIFT;
	uint64_t first = (uint64_t)off >> SECTOR_SHIFT;
	int err;

	/* Partial first or last sector: read what the write keeps. */
	if (in_sector && (err = blkdev_read(bd, first, bounce, 1)))
		return err;
	if ((end & (SECTOR_SIZE - 1)) && (sectors > 1 || !in_sector) &&
	    (err = blkdev_read(bd, first + sectors - 1,
			       (char *)bounce + ((sectors - 1) << SECTOR_SHIFT), 1)))
		return err;
	if (iobuf_copy_from((char *)bounce + in_sector, b, at, chunk))
		return -EFAULT;
	return blkdev_write(bd, first, bounce, sectors);
}

static ssize_t blk_write(struct file *f, const struct iobuf *b, off_t *pos)
{
	struct block_device *bd = file_bdev(f);
	off_t start = *pos, size = bdev_bytes(bd);

	if (start < 0)
		return -EINVAL;
	if (!b->len)
		return 0;
	if (start >= size)
		return -ENOSPC;
	size_t n = MIN(b->len, (size_t)(size - start));
	__free(bounce_free) void *bounce = pages_alloc(BOUNCE_ORDER);
	if (!bounce)
		return -ENOMEM;
	size_t done = 0;
	guard(mutex)(&rmw_lock);
	while (done < n) {
		off_t off = start + (off_t)done;
		size_t chunk = MIN(n - done, BOUNCE_SIZE - (size_t)(off & (SECTOR_SIZE - 1)));
		int err = write_piece(bd, bounce, off, b, done, chunk);
		if (err)
			return done ? (ssize_t)done : err;
		done += chunk;
	}
	if (f->flags & (O_SYNC | O_DSYNC)) {
		int err = blkdev_flush(bd);
		if (err)
			return err;
	}
	*pos = start + (off_t)done;
	return (ssize_t)done;
}

/* As Linux's fixed_size_llseek: positions stay within [0, size]; the whole
 * device is data (SEEK_DATA from off, SEEK_HOLE at the end). */
static off_t blk_lseek(struct file *f, off_t off, int whence)
{
	off_t base, size = bdev_bytes(file_bdev(f));

	guard(spinlock)(&f->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		f->pos = whence == SEEK_DATA ? off : size;
		return f->pos;
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0 || base + off > size)
		return -EINVAL;
	f->pos = base + off;
	return f->pos;
}

static long blk_ioctl(struct file *f, unsigned cmd, unsigned long arg)
{
	struct block_device *bd = file_bdev(f);

	switch (cmd) {
	case BLKGETSIZE64: {
		uint64_t bytes = bd->nr_sectors << SECTOR_SHIFT;
		return put_user(bytes, (uint64_t __user *)arg) ? -EFAULT : 0;
	}
	case BLKGETSIZE: {
		unsigned long sectors = bd->nr_sectors;
		return put_user(sectors, (unsigned long __user *)arg) ? -EFAULT : 0;
	}
	case BLKSSZGET: {
		int ssz = (int)bd->logical_block_size;
		return put_user(ssz, (int __user *)arg) ? -EFAULT : 0;
	}
	case BLKPBSZGET: {
		unsigned pbsz = bd->physical_block_size;
		return put_user(pbsz, (unsigned __user *)arg) ? -EFAULT : 0;
	}
	case BLKROGET: {
		int ro = !!(bd->flags & BLKDEV_RDONLY);
		return put_user(ro, (int __user *)arg) ? -EFAULT : 0;
	}
	case BLKFLSBUF:
		/* No cache to drop yet: what is left is making writes durable. */
		return blkdev_flush(bd);
	default:
		return -ENOTTY;
	}
}

static int blk_fsync(struct file *f, bool datasync)
{
	return blkdev_flush(file_bdev(f));
}

static const struct file_ops blkdev_fops = {
	.open = blk_open,
	.read = blk_read,
	.write = blk_write,
	.lseek = blk_lseek,
	.ioctl = blk_ioctl,
	.fsync = blk_fsync,
	.release = blk_release,
};

static void make_node(struct block_device *bd, void *arg)
{
	char path[32];

	ksnprintf(path, sizeof(path), "/dev/%s", bd->name);
	int err = vfs_mknod_at(AT_FDCWD, path, S_IFBLK | 0660, bd->dev);
	if (err && err != -EEXIST)
		pr_err("blkdev: cannot create %s (error %d)\n", path, err);
}

void blkdev_files_init(void)
{
	vfs_blkdev_ops = &blkdev_fops;
	blkdev_for_each(make_node, NULL);
}
