/*
 * Writing file data: write(2) (O_APPEND, O_SYNC/O_DSYNC), truncate,
 * fallocate (unwritten extents: read as zeros, made written by the first
 * write that meets them) and fsync. File data goes straight to the device
 * and is then copied into the page cache's pages (write-through): a
 * chunk of up to EXT4_WRITE_CHUNK bytes is copied from the caller first
 * (no lock held while user memory is touched), then, under fs->lock held
 * alone, its blocks are mapped (holes allocated), partial first and last
 * blocks read and merged, and the whole run written in one request before
 * the inode (size, i_blocks, mtime) is updated: data reaches the disk
 * before the metadata that points at it (ordered, as Linux's default).
 * A write of at most one chunk is atomic against other writers, so
 * O_APPEND writers of up to 64 KiB never interleave.
 *
 * Invariant: the bytes of a file's last block past i_size are zero (new
 * blocks are zero-filled where not written; truncate zeroes the tail), so
 * growing a file by write or truncate shows zeros.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include "ext4.h"

#define EXT4_WRITE_CHUNK (64u << 10)

static uint64_t max_file_size(const struct ext4_fs *fs)
{
	return ((uint64_t)UINT32_MAX) << fs->log_block_size;
}

static int read_block(struct ext4_fs *fs, uint64_t pblk, void *dst)
{
	return blkdev_read(fs->bd, pblk << (fs->log_block_size - SECTOR_SHIFT), dst,
			   fs->block_size >> SECTOR_SHIFT);
}

/* Write n bytes of src at byte p of the file. Caller holds fs->lock alone.
 * Return bytes written (> 0) or -errno. */
static ssize_t write_chunk(struct ext4_handle *h, struct inode *vi, uint64_t p, const char *src,
			   size_t n, char *bounce)
{
	struct ext4_fs *fs = h->fs;
	size_t done = 0;
	int err = 0;

	while (done < n) {
		uint64_t at = p + done;
		uint32_t lblk = (uint32_t)(at >> fs->log_block_size);
		size_t off = (size_t)(at & (fs->block_size - 1));
		size_t left = n - done;
		uint32_t want = (uint32_t)((off + left + fs->block_size - 1) >> fs->log_block_size);
		struct ext4_map m;
		bool fresh;

		if ((err = ext4_map_create(h, vi, lblk, want, &m, &fresh)))
			break;
		size_t k = (size_t)MIN((uint64_t)m.len << fs->log_block_size, (uint64_t)EXT4_WRITE_CHUNK);
		size_t len = MIN(left, k - off);
		size_t nblocks = (off + len + fs->block_size - 1) >> fs->log_block_size;
		size_t end = off + len, last = (nblocks - 1) << fs->log_block_size;
		if (off) {
			if (fresh)
				memset(bounce, 0, off);
			else if ((err = read_block(fs, m.pblk, bounce)))
				break;
		}
		if (end & (fs->block_size - 1)) {
			if (fresh || (last == 0 && off))
				memset(bounce + end, 0, (nblocks << fs->log_block_size) - end);
			if (!fresh && !(last == 0 && off) &&
			    (err = read_block(fs, m.pblk + nblocks - 1, bounce + last)))
				break;
			if (!fresh && last == 0 && off) {
				/* one block, read above: keep its bytes after end */
			}
		}
		memcpy(bounce + off, src + done, len);
		err = blkdev_write(fs->bd, m.pblk << (fs->log_block_size - SECTOR_SHIFT), bounce,
				   nblocks << (fs->log_block_size - SECTOR_SHIFT));
		if (err)
			break;
		done += len;
	}
	return done ? (ssize_t)done : err;
}

ssize_t ext4_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *vi = f->inode;
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	size_t done = 0;
	int err = 0;

	if (!ext4_writable(fs))
		return -EROFS;
	if (*pos < 0)
		return -EINVAL;
	if (buf->len == 0)
		return 0;
	__free(kfree) char *stage = kmalloc(EXT4_WRITE_CHUNK);
	__free(kfree) char *bounce = kmalloc(EXT4_WRITE_CHUNK + 4096);
	if (!stage || !bounce)
		return -ENOMEM;
	bool append = READ_ONCE(f->flags) & O_APPEND;
	uint64_t p = (uint64_t)*pos;

	while (done < buf->len) {
		size_t n = MIN(buf->len - done, (size_t)EXT4_WRITE_CHUNK);
		n = iobuf_copy_from_upto(stage, buf, done, n);
		if (n == 0) {
			err = -EFAULT;
			break;
		}
		rwlock_write_lock(&fs->lock);
		if (append)
			p = (uint64_t)vi->size;
		if (p >= max_file_size(fs)) {
			rwlock_write_unlock(&fs->lock);
			err = -EFBIG;
			break;
		}
		n = (size_t)MIN((uint64_t)n, max_file_size(fs) - p);
		struct ext4_handle *h = ext4_journal_start(fs, 16);
		ssize_t w;
		if (IS_ERR(h)) {
			w = PTR_ERR(h);
		} else {
			w = write_chunk(h, vi, p, stage, n, bounce);
			if (w > 0) {
				pagecache_write(vi, p, stage, (size_t)w); /* on the device: now the cache */
				spin_lock(&vi->lock);
				if (p + (uint64_t)w > (uint64_t)vi->size)
					vi->size = (off_t)(p + (uint64_t)w);
				inode_touch(vi);
				spin_unlock(&vi->lock);
			}
			int e = ext4_write_inode(h, vi);
			e = ext4_journal_stop(h) ?: e;
			if (w > 0 && e)
				w = e;
		}
		rwlock_write_unlock(&fs->lock);
		if (w <= 0) {
			err = (int)w;
			break;
		}
		done += (size_t)w;
		p += (uint64_t)w;
		if ((size_t)w < n)
			break;
	}
	if (done && (READ_ONCE(f->flags) & O_DSYNC)) { /* O_SYNC includes O_DSYNC's bit */
		int e = ext4_journal_force_commit(fs);
		if (e)
			return e;
	}
	if (done) {
		*pos = (off_t)p;
		return (ssize_t)done;
	}
	return err;
}

/* iops->writeback: a page changed through a shared mapping. Holes get
 * blocks here, as a write(2) of those bytes would, in a transaction of its
 * own after the data reached the device. */
int ext4_writeback(struct inode *vi, uint64_t pos, const void *src, size_t n)
{
	struct ext4_fs *fs = EXT4_I(vi)->fs;

	if (!ext4_writable(fs))
		return -EROFS;
	__free(kfree) char *bounce = kmalloc(EXT4_WRITE_CHUNK + 4096);
	if (!bounce)
		return -ENOMEM;
	guard(rwlock_write)(&fs->lock);
	uint64_t size = (uint64_t)vi->size;
	if (pos >= size)
		return 0; /* truncated meanwhile */
	n = (size_t)MIN((uint64_t)n, size - pos);
	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, 16);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	ssize_t w = write_chunk(h, vi, pos, src, n, bounce);
	if (w < 0)
		return (int)w;
	spin_lock(&vi->lock);
	inode_touch(vi);
	spin_unlock(&vi->lock);
	int err = ext4_write_inode(h, vi);
	return err ? err : (size_t)w < n ? -EIO : 0;
}

int ext4_truncate(struct inode *vi, off_t size)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	int err = 0;

	if (!ext4_writable(fs))
		return -EROFS;
	if (size < 0)
		return -EINVAL;
	if ((uint64_t)size > max_file_size(fs))
		return -EFBIG;
	if (!S_ISREG(vi->mode))
		return -EINVAL;
	guard(rwlock_write)(&fs->lock);
	if (ei->inline_data || !(ei->flags & EXT4_EXTENTS_FL))
		return -EOPNOTSUPP;
	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, 64);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	if ((uint64_t)size < (uint64_t)vi->size) {
		uint64_t from = ((uint64_t)size + fs->block_size - 1) >> fs->log_block_size;
		if ((err = ext4_truncate_blocks(h, vi, (uint32_t)from)))
			return err;
		size_t tail = (size_t)((uint64_t)size & (fs->block_size - 1));
		struct ext4_map m;
		if (tail && !ext4_map_block(vi, (uint32_t)((uint64_t)size >> fs->log_block_size), &m) &&
		    m.kind == EXT4_MAP_MAPPED) {
			__free(kfree) char *blk = kmalloc(fs->block_size);
			if (!blk)
				return -ENOMEM;
			if ((err = read_block(fs, m.pblk, blk)))
				return err;
			memset(blk + tail, 0, fs->block_size - tail);
			if ((err = blkdev_write(fs->bd, m.pblk << (fs->log_block_size - SECTOR_SHIFT), blk,
						fs->block_size >> SECTOR_SHIFT)))
				return err;
		}
	}
	spin_lock(&vi->lock);
	vi->size = size;
	inode_touch(vi);
	spin_unlock(&vi->lock);
	pagecache_truncate(vi, (uint64_t)size);
	return ext4_write_inode(h, vi);
}

int ext4_fsync(struct file *f, bool datasync)
{
	struct ext4_fs *fs = EXT4_I(f->inode)->fs;

	(void)datasync; /* data is written when write(2) returns; fsync adds the metadata */
	if (fs->vsb->flags & MS_RDONLY)
		return 0;
	return ext4_journal_force_commit(fs);
}

#define FALLOC_FL_KEEP_SIZE 0x01

long ext4_fallocate(struct file *f, int mode, off_t off, off_t len)
{
	struct inode *vi = f->inode;
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	uint64_t end = (uint64_t)off + (uint64_t)len;
	int err;

	if (!ext4_writable(fs))
		return -EROFS;
	if (end > max_file_size(fs))
		return -EFBIG;
	guard(rwlock_write)(&fs->lock);
	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, 64);
	if (IS_ERR(h))
		return PTR_ERR(h);
	uint64_t first = (uint64_t)off >> fs->log_block_size;
	uint64_t last = (end - 1) >> fs->log_block_size;
	err = ext4_alloc_range(h, vi, (uint32_t)first, last - first + 1);
	if (!err && !(mode & FALLOC_FL_KEEP_SIZE) && end > (uint64_t)vi->size) {
		spin_lock(&vi->lock);
		vi->size = (off_t)end;
		inode_touch(vi);
		spin_unlock(&vi->lock);
	}
	int e = ext4_write_inode(h, vi);
	return err ? err : e;
}
