/*
 * FAT file data: read (a run of clusters that follow each other on the
 * disk in one request, up to 64 KiB), write (growing the cluster chain, zero-filling a
 * gap left by a write past the end), truncate (freeing the tail of the
 * chain, or growing with zeros), fsync, and the operation tables. Data
 * goes between the device and a bounce buffer, whole sectors at a time (a
 * partly written sector is read first); it does not pass through the
 * block cache, which holds metadata; read(2) and mmap are served by the
 * page cache (<ferrite/pagecache.h>), filled by fat_read_pages and kept
 * current by each device write (write-through). Files are limited to 4 GiB - 1
 * (EFBIG past it). A full disk ends a write short, or with ENOSPC when
 * nothing was written; the chain and size always agree.
 *
 * Locking: fs->lock around each cluster-sized step; user memory is copied
 * to or from the bounce buffer with it dropped.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include "fat.h"

#define FAT_IO_CHUNK (64u << 10) /* at least one cluster (<= 64 KiB) */
#define FAT_MAX_FILE 0xFFFFFFFFull

/* Walk to the end of ei's chain from the hint: *len clusters, *last the
 * final one (0 when empty). */
static int chain_tail(struct fat_inode_info *ei, uint32_t *len, uint32_t *last)
{
	struct fat_fs *fs = ei->fs;
	uint32_t i = 0, c = ei->start;

	if (!c) {
		*len = 0;
		*last = 0;
		return 0;
	}
	if (ei->hint_cluster) {
		i = ei->hint_index;
		c = ei->hint_cluster;
	}
	for (;;) {
		uint32_t next;
		int err = fat_next(fs, c, &next);
		if (err)
			return err;
		if (!next)
			break;
		c = next;
		if (++i > fs->max_cluster)
			return fat_corrupt(fs, "cluster chain loops");
	}
	ei->hint_index = i;
	ei->hint_cluster = c;
	*len = i + 1;
	*last = c;
	return 0;
}

/* Give ei at least want clusters. Return how many it has (fewer when
 * the disk filled: the error is then -ENOSPC only if none were added
 * and want was not met). */
static int chain_grow(struct fat_inode_info *ei, uint32_t want, uint32_t *have)
{
	struct fat_fs *fs = ei->fs;
	uint32_t len = 0, last = 0;
	int err = chain_tail(ei, &len, &last);

	if (err)
		return err;
	while (len < want) {
		uint32_t c;
		err = fat_alloc(fs, last, false, &c);
		if (err)
			break;
		if (!ei->start)
			ei->start = c;
		last = c;
		ei->hint_index = len;
		ei->hint_cluster = c;
		len++;
	}
	*have = len;
	return len >= want ? 0 : err;
}

/* Clusters after c (index idx of ei's chain) that follow it on the disk,
 * up to max in all: the run a single request can read. */
static uint32_t contiguous_run(struct fat_inode_info *ei, uint32_t idx, uint32_t c, uint32_t max)
{
	uint32_t run = 1;

	while (run < max) {
		uint32_t next;
		if (fat_next(ei->fs, c, &next) || next != c + 1)
			break;
		c = next;
		run++;
	}
	ei->hint_index = idx + run - 1;
	ei->hint_cluster = c;
	return run;
}

/* Write n bytes of src (NULL: zeros) at byte p of ei's clusters (already
 * allocated), a run of clusters that follow each other on the disk per
 * request. scratch holds FAT_IO_CHUNK bytes. */
static int write_clusters(struct fat_inode_info *ei, uint64_t p, const char *src, size_t n, char *scratch)
{
	struct fat_fs *fs = ei->fs;
	unsigned ss = fs->sector_size, per = ss / SECTOR_SIZE;

	while (n) {
		uint32_t c;
		size_t off = (size_t)(p & (fs->cluster_size - 1));
		uint32_t idx = (uint32_t)(p >> fs->log_cluster);
		int err = fat_bmap(ei, idx, &c);
		if (err)
			return err == -ENOENT ? fat_corrupt(fs, "file chain shorter than its size") : err;
		uint32_t max = (uint32_t)MIN((off + n + fs->cluster_size - 1) >> fs->log_cluster,
					     (size_t)FAT_IO_CHUNK >> fs->log_cluster);
		size_t len = MIN(n, ((size_t)contiguous_run(ei, idx, c, max) << fs->log_cluster) - off);
		size_t s0 = off / ss, s1 = (off + len - 1) / ss;
		uint64_t sec = fat_cluster_sector(fs, c);
		if (off % ss) {
			err = blkdev_read(fs->bd, (sec + s0) * per, scratch + s0 * ss, per);
			if (err)
				return err;
		}
		if ((off + len) % ss && (s1 != s0 || !(off % ss))) {
			err = blkdev_read(fs->bd, (sec + s1) * per, scratch + s1 * ss, per);
			if (err)
				return err;
		}
		if (src)
			memcpy(scratch + off, src, len);
		else
			memset(scratch + off, 0, len);
		err = blkdev_write(fs->bd, (sec + s0) * per, scratch + s0 * ss, (s1 - s0 + 1) * per);
		if (err)
			return err;
		pagecache_write(ei->vfs, p, src, len); /* on the device: now the cache */
		p += len;
		n -= len;
		if (src)
			src += len;
	}
	return 0;
}

/* Write n bytes (src NULL: zeros) at p, growing the file. Return bytes
 * written or -errno. fs->lock held. */
static ssize_t write_locked(struct inode *vi, uint64_t p, const char *src, size_t n, char *scratch)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	uint64_t size = (uint64_t)vi->size;
	uint32_t have = 0;
	int err;

	if (p > size) { /* a gap: zeros, as Linux's fat_cont_expand */
		ssize_t z = write_locked(vi, size, NULL, (size_t)(p - size), scratch);
		if (z < 0)
			return z;
		if ((uint64_t)z < p - size)
			return -ENOSPC;
	}
	uint64_t end = p + n;
	uint32_t want = (uint32_t)((end + fs->cluster_size - 1) >> fs->log_cluster);
	err = chain_grow(ei, want, &have);
	if (err && err != -ENOSPC)
		return err;
	uint64_t room = (uint64_t)have << fs->log_cluster;
	if (room < end)
		n = room > p ? (size_t)(room - p) : 0;
	if (n == 0)
		return err ? err : 0;
	err = write_clusters(ei, p, src, n, scratch);
	if (err)
		return err;
	spin_lock(&vi->lock);
	if (p + n > (uint64_t)vi->size)
		vi->size = (off_t)(p + n);
	spin_unlock(&vi->lock);
	fat_touch(vi);
	ei->attr |= ATTR_ARCH;
	return (ssize_t)n;
}

static ssize_t fat_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *vi = f->inode;
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	bool append = READ_ONCE(f->flags) & O_APPEND;
	size_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	if (fs->readonly)
		return -EROFS;
	if (buf->len == 0)
		return 0;
	__free(kfree) char *bounce = kmalloc(FAT_IO_CHUNK);
	__free(kfree) char *scratch = kmalloc(FAT_IO_CHUNK);
	if (!bounce || !scratch)
		return -ENOMEM;
	while (done < buf->len) {
		size_t n = MIN(buf->len - done, (size_t)FAT_IO_CHUNK);
		if (iobuf_copy_from(bounce, buf, done, n)) {
			err = -EFAULT;
			break;
		}
		mutex_lock(&fs->lock);
		if (append && !done)
			*pos = vi->size;
		uint64_t p = (uint64_t)*pos + done;
		if (p >= FAT_MAX_FILE) {
			mutex_unlock(&fs->lock);
			err = -EFBIG;
			break;
		}
		n = (size_t)MIN((uint64_t)n, FAT_MAX_FILE - p);
		ssize_t w = write_locked(vi, p, bounce, n, scratch);
		int e2 = fat_write_inode(vi);
		int e3 = fat_flush(fs);
		mutex_unlock(&fs->lock);
		if (w < 0) {
			err = (int)w;
			break;
		}
		done += (size_t)w;
		if ((size_t)w < n || e2 || e3) {
			err = e2 ? e2 : e3 ? e3 : -ENOSPC;
			break;
		}
	}
	*pos += (off_t)done;
	return done ? (ssize_t)done : err;
}

/* Read from the device into buf at *pos: the page cache's read_pages. */
static ssize_t fat_read_direct(struct inode *vi, const struct iobuf *buf, off_t *pos)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	unsigned ss = fs->sector_size, per = ss / SECTOR_SIZE;
	size_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	__free(kfree) char *bounce = kmalloc(FAT_IO_CHUNK);
	if (!bounce)
		return -ENOMEM;
	while (done < buf->len) {
		uint64_t p = (uint64_t)*pos + done;
		mutex_lock(&fs->lock);
		uint64_t size = (uint64_t)vi->size;
		if (p >= size) {
			mutex_unlock(&fs->lock);
			break;
		}
		size_t off = (size_t)(p & (fs->cluster_size - 1));
		size_t want = (size_t)MIN((uint64_t)MIN(buf->len - done, (size_t)FAT_IO_CHUNK - off), size - p);
		uint32_t c, idx = (uint32_t)(p >> fs->log_cluster);
		err = fat_bmap(ei, idx, &c);
		if (err == -ENOENT)
			err = fat_corrupt(fs, "file chain shorter than its size %llu", (unsigned long long)size);
		size_t n = 0;
		if (!err) {
			uint32_t max = (uint32_t)((off + want + fs->cluster_size - 1) >> fs->log_cluster);
			uint32_t run = contiguous_run(ei, idx, c, max);
			n = MIN(want, ((size_t)run << fs->log_cluster) - off);
			size_t s0 = off / ss, s1 = (off + n - 1) / ss;
			err = blkdev_read(fs->bd, (fat_cluster_sector(fs, c) + s0) * per, bounce + s0 * ss,
					  (s1 - s0 + 1) * per);
		}
		mutex_unlock(&fs->lock);
		if (err)
			break;
		if (iobuf_copy_to(buf, done, bounce + off, n)) {
			err = -EFAULT;
			break;
		}
		done += n;
	}
	*pos += (off_t)done;
	return done ? (ssize_t)done : err;
}

/* iops->writeback: a page changed through a shared mapping, written over
 * the clusters the file already has (FAT files have no holes); the bytes
 * past i_size are dropped. */
static int fat_writeback(struct inode *vi, uint64_t pos, const void *src, size_t n)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	int err = 0;

	if (fs->readonly)
		return -EROFS;
	__free(kfree) char *scratch = kmalloc(FAT_IO_CHUNK);
	if (!scratch)
		return -ENOMEM;
	mutex_lock(&fs->lock);
	uint64_t size = (uint64_t)vi->size;
	if (pos < size) {
		err = write_clusters(ei, pos, src, (size_t)MIN((uint64_t)n, size - pos), scratch);
		fat_touch(vi);
		ei->attr |= ATTR_ARCH;
		int e2 = fat_write_inode(vi);
		int e3 = fat_flush(fs);
		err = err ? err : e2 ? e2 : e3;
	}
	mutex_unlock(&fs->lock);
	return err;
}

static int fat_read_pages(struct inode *vi, uint64_t index, void *buf, size_t npages)
{
	struct iobuf b = iobuf_kernel(buf, npages * PAGE_SIZE);
	off_t pos = (off_t)(index << PAGE_SHIFT);
	ssize_t n = fat_read_direct(vi, &b, &pos);

	return n < 0 ? (int)n : 0;
}

static ssize_t fat_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	return pagecache_read(f->inode, buf, pos);
}

/* Free the clusters of vi's chain past what size bytes need. */
static int chain_trim(struct inode *vi, uint64_t size)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	uint32_t keep = (uint32_t)((size + fs->cluster_size - 1) >> fs->log_cluster);
	int err;

	ei->hint_index = ei->hint_cluster = 0;
	ei->prealloc = false;
	if (keep == 0) {
		uint32_t start = ei->start;
		if (!start)
			return 0;
		ei->start = 0;
		err = fat_write_inode(vi); /* the entry lets go first */
		return err ? err : fat_free_chain(fs, start);
	}
	uint32_t c, next = 0;
	err = fat_bmap(ei, keep - 1, &c);
	if (err == -ENOENT)
		return 0; /* the chain was already short */
	if (!err)
		err = fat_next(fs, c, &next);
	if (!err && next) {
		err = fat_set(fs, c, fs->eoc);
		if (!err)
			err = fat_free_chain(fs, next);
	}
	return err;
}

int fat_truncate_locked(struct inode *vi, off_t size)
{
	uint64_t cur = (uint64_t)vi->size;
	int err = 0;

	if ((uint64_t)size > FAT_MAX_FILE)
		return -EFBIG;
	if ((uint64_t)size <= cur) {
		/* as Linux: clusters past the size (fallocate KEEP_SIZE) go too */
		err = chain_trim(vi, (uint64_t)size);
		if (err)
			return err;
		spin_lock(&vi->lock);
		vi->size = size;
		spin_unlock(&vi->lock);
		pagecache_truncate(vi, (uint64_t)size);
	} else if ((uint64_t)size > cur) {
		__free(kfree) char *scratch = kmalloc(FAT_IO_CHUNK);
		if (!scratch)
			return -ENOMEM;
		ssize_t w = write_locked(vi, cur, NULL, (size_t)((uint64_t)size - cur), scratch);
		if (w < 0)
			return (int)w;
		if ((uint64_t)w < (uint64_t)size - cur)
			return -ENOSPC; /* the zeros written stay, as a short write */
	}
	fat_touch(vi);
	return fat_write_inode(vi);
}

static int fat_truncate(struct inode *vi, off_t size)
{
	struct fat_fs *fs = FAT_I(vi)->fs;

	if (fs->readonly)
		return -EROFS;
	guard(mutex)(&fs->lock);
	int err = fat_truncate_locked(vi, size);
	int e2 = fat_flush(fs);
	return err ? err : e2;
}

static int fat_fsync(struct file *f, bool datasync)
{
	struct inode *vi = f->inode;
	struct fat_fs *fs = FAT_I(vi)->fs;
	int err;

	mutex_lock(&fs->lock);
	err = fat_write_inode(vi);
	int e2 = fat_flush(fs);
	if (!err)
		err = e2 ? e2 : fs->io_error;
	fs->io_error = 0;
	mutex_unlock(&fs->lock);
	int e3 = fs->readonly ? 0 : blkdev_flush(fs->bd);
	return err ? err : e3;
}

/*
 * fallocate(2) as Linux's vfat: mode 0 grows the file with zeros to
 * off + len (an expanding truncate); FALLOC_FL_KEEP_SIZE allocates the
 * clusters up to off + len without changing the size, and those still
 * past the size are freed when the file is released (fat_release) or
 * truncated, as Linux does, so the image checks clean afterwards.
 */
static long fat_fallocate(struct file *f, int mode, off_t off, off_t len)
{
	struct inode *vi = f->inode;
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	uint64_t end = (uint64_t)off + (uint64_t)len;
	int err = 0;

	if (fs->readonly)
		return -EROFS;
	if (end > FAT_MAX_FILE)
		return -EFBIG;
	guard(mutex)(&fs->lock);
	if (mode == 0) {
		if (end > (uint64_t)vi->size)
			err = fat_truncate_locked(vi, (off_t)end);
	} else {
		uint32_t have, want = (uint32_t)((end + fs->cluster_size - 1) >> fs->log_cluster);
		err = chain_grow(ei, want, &have);
		if (have > (uint32_t)(((uint64_t)vi->size + fs->cluster_size - 1) >> fs->log_cluster))
			ei->prealloc = true;
		int e2 = fat_write_inode(vi); /* a file that had no cluster now has one */
		if (!err)
			err = e2;
	}
	int e3 = fat_flush(fs);
	return err ? err : e3;
}

/* The last reference to an open file: clusters fallocate left past the
 * size are freed (Linux's fat_file_release). */
static void fat_release(struct file *f)
{
	struct inode *vi = f->inode;
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;

	if (!ei->prealloc || fs->readonly)
		return;
	mutex_lock(&fs->lock);
	if (ei->prealloc && !ei->unlinked)
		chain_trim(vi, (uint64_t)vi->size);
	fat_flush(fs);
	mutex_unlock(&fs->lock);
}

static unsigned fat_poll(struct file *f, struct poll_table *pt)
{
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

const struct file_ops fat_file_fops = {
	.read = fat_read,
	.write = fat_write,
	.poll = fat_poll,
	.fsync = fat_fsync,
	.fallocate = fat_fallocate,
	.release = fat_release,
	.mmap_object = pagecache_mmap_object,
};
const struct file_ops fat_dir_fops = {
	.fsync = fat_fsync,
};
const struct inode_ops fat_file_iops = {
	.truncate = fat_truncate,
	.read_pages = fat_read_pages,
	.writeback = fat_writeback,
	.setattr = fat_setattr,
};
