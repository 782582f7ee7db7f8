/*
 * ext4 file data and the operation tables: read(2) of regular files
 * (extent runs read straight from the device into a bounce buffer, holes
 * and unwritten extents read as zeros, inline data from the inode) and
 * readlink of fast, slow and inline symlinks. read(2) and mmap are served
 * by the page cache (<ferrite/pagecache.h>), which this file's read_pages
 * fills; file data does not go through the block cache (that is for
 * metadata). Locking: fs->lock shared around each mapping
 * and device read, never while user memory is touched.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include "ext4.h"

#define EXT4_READ_CHUNK (64u << 10) /* bounce buffer: one bio's worth */

/* Read from the device (or the inode) into buf at *pos: the page cache's
 * read_pages. */
static ssize_t ext4_read_direct(struct inode *vi, const struct iobuf *buf, off_t *pos)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	uint64_t size = (uint64_t)vi->size, p = (uint64_t)*pos;
	size_t want, done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	if (p >= size || buf->len == 0)
		return 0;
	want = (size_t)MIN((uint64_t)buf->len, size - p);
	if (ei->inline_data) { /* inline files are never written: immutable */
		if (iobuf_copy_to(buf, 0, ei->inline_data + p, want))
			return -EFAULT;
		*pos += (off_t)want;
		return (ssize_t)want;
	}
	__free(kfree) char *bounce = kmalloc(EXT4_READ_CHUNK);
	if (!bounce)
		return -ENOMEM;
	while (done < want) {
		uint64_t at = p + done;
		size_t off = (size_t)(at & (fs->block_size - 1));
		struct ext4_map m;
		rwlock_read_lock(&fs->lock);
		if (at >= (uint64_t)vi->size) { /* truncated meanwhile */
			rwlock_read_unlock(&fs->lock);
			break;
		}
		err = ext4_map_block(vi, (uint32_t)(at >> fs->log_block_size), &m);
		if (err) {
			rwlock_read_unlock(&fs->lock);
			break;
		}
		uint64_t run = ((uint64_t)m.len << fs->log_block_size) - off;
		size_t n = (size_t)MIN(run, (uint64_t)(want - done));
		if (m.kind == EXT4_MAP_MAPPED) {
			n = MIN(n, (size_t)EXT4_READ_CHUNK - off);
			size_t blocks = (off + n + fs->block_size - 1) >> fs->log_block_size;
			err = blkdev_read(fs->bd, m.pblk << (fs->log_block_size - SECTOR_SHIFT), bounce,
					  blocks << (fs->log_block_size - SECTOR_SHIFT));
			rwlock_read_unlock(&fs->lock);
			if (err)
				break;
			if (iobuf_copy_to(buf, done, bounce + off, n)) {
				err = -EFAULT;
				break;
			}
		} else {
			rwlock_read_unlock(&fs->lock);
			n = MIN(n, (size_t)1 << 30);
			if (iobuf_zero(buf, done, n)) {
				err = -EFAULT;
				break;
			}
		}
		done += n;
	}
	*pos += (off_t)done;
	if (done)
		return (ssize_t)done;
	return err;
}

static int ext4_read_pages(struct inode *vi, uint64_t index, void *buf, size_t npages)
{
	struct iobuf b = iobuf_kernel(buf, npages * PAGE_SIZE);
	off_t pos = (off_t)(index << PAGE_SHIFT);
	ssize_t n = ext4_read_direct(vi, &b, &pos);

	return n < 0 ? (int)n : 0;
}

static ssize_t ext4_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	return pagecache_read(f->inode, buf, pos);
}

static ssize_t ext4_readlink(struct inode *vi, char *buf, size_t bufsize)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	guard(rwlock_read)(&ei->fs->lock);
	size_t n = MIN((size_t)vi->size, bufsize); /* size < block size: checked at iget */
	struct ext4_map m;
	int err;

	if (ei->fast_symlink) {
		memcpy(buf, ei->i_block, n);
		return (ssize_t)n;
	}
	if (ei->inline_data) {
		memcpy(buf, ei->inline_data, MIN(n, ei->inline_size));
		return (ssize_t)MIN(n, ei->inline_size);
	}
	err = ext4_map_block(vi, 0, &m);
	if (err)
		return err;
	if (m.kind != EXT4_MAP_MAPPED)
		return ext4_corrupt(ei->fs, "symlink %u has no block", ei->ino);
	__free(brelse) struct buffer *b = ext4_bread(ei->fs, m.pblk);
	if (IS_ERR(b))
		return PTR_ERR(b);
	memcpy(buf, b->data, n);
	return (ssize_t)n;
}

const struct inode_ops ext4_dir_iops = {
	.lookup = ext4_lookup,
	.create = ext4_create,
	.symlink = ext4_symlink,
	.link = ext4_link,
	.unlink = ext4_unlink,
	.rmdir = ext4_rmdir,
	.rename = ext4_rename,
	.iterate = ext4_iterate,
};
const struct inode_ops ext4_file_iops = {
	.truncate = ext4_truncate,
	.read_pages = ext4_read_pages,
	.writeback = ext4_writeback,
};
const struct inode_ops ext4_symlink_iops = {
	.readlink = ext4_readlink,
};
const struct inode_ops ext4_special_iops = { 0 };
const struct file_ops ext4_file_fops = {
	.read = ext4_read,
	.write = ext4_write,
	.fsync = ext4_fsync,
	.fallocate = ext4_fallocate,
	.mmap_object = pagecache_mmap_object,
};
const struct file_ops ext4_dir_fops = {
	.fsync = ext4_fsync,
};
