/*
 * ext4 inodes: find an inode in its group's inode table, check it, and
 * build the VFS inode; the per-mount inode cache makes a second lookup of
 * the same number return the same VFS inode (hard links, mount points and
 * getcwd compare inode pointers).
 *
 * Locking: fs->icache_lock (spinlock) guards the cache lists and count.
 * The cache holds no reference: an entry lives until its VFS inode's last
 * put, whose destroy hook unlinks it. A lookup that finds an inode whose
 * count already reached zero (destroy not yet run) builds a new one.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "ext4.h"

extern const struct file_ops chrdev_fops; /* src/fs/devices.c */

static struct list_head *icache_bucket(struct ext4_fs *fs, uint32_t ino)
{
	return &fs->icache[ino % EXT4_ICACHE_HASH];
}

/* Return: a new reference to the cached inode ino, or NULL. */
static struct inode *icache_find_locked(struct ext4_fs *fs, uint32_t ino)
{
	struct ext4_inode_info *ei;

	list_for_each_entry(ei, icache_bucket(fs, ino), icache_node)
		if (ei->ino == ino && ref_get_unless_zero(&ei->vfs->ref))
			return ei->vfs;
	return NULL;
}

size_t ext4_icache_count(struct ext4_fs *fs)
{
	guard(spinlock)(&fs->icache_lock);
	return fs->nr_inodes;
}

static void ext4_destroy(struct inode *vi)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;

	/* The last link and the last user are gone: free it on disk (under
	 * fs->lock, unless this put came from a path that holds it). */
	if (vi->nlink == 0 && ext4_writable(fs)) {
		bool held = rwlock_write_owned_by_current(&fs->lock);
		if (!held)
			rwlock_write_lock(&fs->lock);
		int err = ext4_evict_inode(fs, vi);
		if (err)
			pr_err("ext4 %s: freeing inode %u failed (%d)\n", fs->name, ei->ino, err);
		if (!held)
			rwlock_write_unlock(&fs->lock);
	}

	if (ei->orphan) { /* not freed (read-only now): the next mount does it */
		bool held = rwlock_write_owned_by_current(&fs->lock);
		if (!held)
			rwlock_write_lock(&fs->lock);
		ext4_orphan_forget(fs, ei);
		if (!held)
			rwlock_write_unlock(&fs->lock);
	}

	spin_lock(&fs->icache_lock);
	list_del(&ei->icache_node);
	fs->nr_inodes--;
	spin_unlock(&fs->icache_lock);
	kfree(ei->inline_data);
	kfree(ei);
	vi->private = NULL;
}

/* Copy inode ino's raw bytes (fs->inode_size) into raw. */
static int read_raw(struct ext4_fs *fs, uint32_t ino, void *raw)
{
	if (ino == 0 || ino > fs->inodes_count)
		return ext4_corrupt(fs, "inode number %u out of range", ino);
	uint32_t group = (ino - 1) / fs->inodes_per_group;
	uint64_t off = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	/* load_groups checked the whole table lies inside the file system */
	__free(brelse) struct buffer *b =
		ext4_bread(fs, fs->inode_table[group] + (off >> fs->log_block_size));
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	memcpy(raw, (char *)b->data + (off & (fs->block_size - 1)), fs->inode_size);
	return 0;
}

static struct timespec64 decode_time(uint32_t secs, uint32_t extra, bool has_extra)
{
	struct timespec64 t = { .tv_sec = (int32_t)secs, .tv_nsec = 0 };

	if (has_extra) {
		t.tv_sec += (int64_t)(extra & 3) << 32;
		t.tv_nsec = MIN(extra >> 2, 999999999u);
	}
	return t;
}

static dev_t decode_dev(const struct ext4_inode *raw)
{
	uint32_t old = raw->i_block[0], d = raw->i_block[1];

	if (old)
		return MKDEV((old >> 8) & 0xff, old & 0xff);
	return MKDEV((d & 0xfff00) >> 8, (d & 0xff) | ((d >> 12) & 0xfff00));
}

/* Check raw inode ino and fill ei and the VFS fields of vi. */
static int inode_fill(struct ext4_fs *fs, uint32_t ino, const struct ext4_inode *raw,
		      struct ext4_inode_info *ei, struct inode *vi)
{
	unsigned extra = 0;
	mode_t mode = raw->i_mode;
	uint64_t size = raw->i_size_lo | (uint64_t)raw->i_size_high << 32;
	int err;

	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		extra = raw->i_extra_isize;
		if (EXT4_GOOD_OLD_INODE_SIZE + extra > fs->inode_size || (extra & 3))
			return ext4_corrupt(fs, "inode %u: bad extra size %u", ino, extra);
	}
	ei->csum_seed = ext4_inode_seed(fs, ino, raw->i_generation);
	if (!ext4_inode_csum_ok(fs, raw, ei->csum_seed))
		return ext4_corrupt(fs, "inode %u: checksum does not match", ino);
	if (raw->i_links_count == 0 && !fs->orphan_scan) /* orphans have none */
		return ext4_corrupt(fs, "deleted inode %u referenced", ino);
	switch (mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return ext4_corrupt(fs, "inode %u: bad mode 0%o", ino, mode);
	}
	/* ext4 addresses at most 2^32 blocks of a file */
	if (size > ((uint64_t)1 << 32) << fs->log_block_size)
		return ext4_corrupt(fs, "inode %u: size %llu too large", ino, (unsigned long long)size);
	ei->ino = ino;
	ei->fs = fs;
	ei->vfs = vi;
	ei->flags = raw->i_flags;
	ei->generation = raw->i_generation;
	ei->orphan_next = raw->i_dtime; /* the next orphan, when on the list */
	ei->extra_isize = (uint16_t)extra;
	memcpy(ei->i_block, raw->i_block, sizeof(ei->i_block));
	ei->blocks = raw->i_blocks_lo;
	if (fs->ro_compat & EXT4_FEATURE_RO_COMPAT_HUGE_FILE) {
		ei->blocks |= (uint64_t)raw->i_blocks_high << 32;
		if (ei->flags & EXT4_HUGE_FILE_FL)
			ei->blocks <<= fs->log_block_size - 9;
	}
	if ((ei->flags & EXT4_EXTENTS_FL) && (ei->flags & EXT4_INLINE_DATA_FL))
		return ext4_corrupt(fs, "inode %u: both extents and inline data", ino);
	if (ei->flags & EXT4_INLINE_DATA_FL) {
		if (!ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_INLINE_DATA))
			return ext4_corrupt(fs, "inode %u: inline data without the feature", ino);
		if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)) {
			err = ext4_inline_load(fs, ei, raw, size);
			if (err)
				return err;
		}
	}
	/* A directory is never sparse: its size is within what it has
	 * allocated, so a scan of it ends (a cyclic block map cannot make
	 * it endless). */
	if (S_ISDIR(mode) && !ei->inline_data &&
	    (size > ei->blocks * 512 || size > fs->blocks_count << fs->log_block_size))
		return ext4_corrupt(fs, "directory %u: size %llu beyond its %llu sectors", ino,
				    (unsigned long long)size, (unsigned long long)ei->blocks);
	if (S_ISLNK(mode)) {
		uint64_t acl = raw->i_file_acl_lo | (uint64_t)raw->i_file_acl_high << 32;
		uint64_t ea_blocks = acl ? fs->block_size >> 9 : 0;
		if (size == 0 || size >= fs->block_size)
			return ext4_corrupt(fs, "symlink %u: bad length %llu", ino, (unsigned long long)size);
		ei->fast_symlink = !(ei->flags & EXT4_INLINE_DATA_FL) && ei->blocks == ea_blocks &&
				   !(ei->flags & EXT4_EA_INODE_FL);
		if (ei->fast_symlink && size >= sizeof(ei->i_block))
			return ext4_corrupt(fs, "fast symlink %u: length %llu", ino, (unsigned long long)size);
	}

	vi->ino = ino;
	vi->mode = mode;
	vi->nlink = raw->i_links_count;
	vi->uid = raw->i_uid | (uint32_t)raw->i_uid_high << 16;
	vi->gid = raw->i_gid | (uint32_t)raw->i_gid_high << 16;
	vi->size = (off_t)size;
	vi->atime = decode_time(raw->i_atime, raw->i_atime_extra, EXT4_INODE_HAS(extra, i_atime_extra));
	vi->mtime = decode_time(raw->i_mtime, raw->i_mtime_extra, EXT4_INODE_HAS(extra, i_mtime_extra));
	vi->ctime = decode_time(raw->i_ctime, raw->i_ctime_extra, EXT4_INODE_HAS(extra, i_ctime_extra));
	vi->private = ei;
	vi->destroy = ext4_destroy;
	switch (mode & S_IFMT) {
	case S_IFDIR:
		vi->iops = &ext4_dir_iops;
		vi->fops = &ext4_dir_fops;
		break;
	case S_IFREG:
		vi->iops = &ext4_file_iops;
		vi->fops = &ext4_file_fops;
		break;
	case S_IFLNK:
		vi->iops = &ext4_symlink_iops;
		break;
	case S_IFCHR:
		vi->iops = &ext4_special_iops;
		vi->fops = &chrdev_fops;
		vi->rdev = decode_dev(raw);
		break;
	case S_IFBLK:
		vi->iops = &ext4_special_iops;
		vi->fops = vfs_blkdev_ops;
		vi->rdev = decode_dev(raw);
		break;
	case S_IFIFO:
		vi->iops = &ext4_special_iops;
		vi->fops = vfs_fifo_ops;
		break;
	default:
		vi->iops = &ext4_special_iops;
		break;
	}
	return 0;
}

struct inode *ext4_iget(struct ext4_fs *fs, uint32_t ino)
{
	struct inode *vi;
	int err;

	spin_lock(&fs->icache_lock);
	vi = icache_find_locked(fs, ino);
	spin_unlock(&fs->icache_lock);
	if (vi)
		return vi;

	__free(kfree) struct ext4_inode *raw = kzalloc(MAX(fs->inode_size, sizeof(struct ext4_inode)));
	__free(kfree) struct ext4_inode_info *ei = kzalloc(sizeof(*ei));
	if (!raw || !ei)
		return ERR_PTR(-ENOMEM);
	err = read_raw(fs, ino, raw);
	if (err)
		return ERR_PTR(err);
	vi = inode_alloc(fs->vsb, S_IFREG);
	if (!vi)
		return ERR_PTR(-ENOMEM);
	list_init(&ei->icache_node);
	err = inode_fill(fs, ino, raw, ei, vi);
	if (err) {
		kfree(ei->inline_data);
		vi->private = NULL;
		vi->destroy = NULL;
		inode_put(vi);
		return ERR_PTR(err);
	}

	spin_lock(&fs->icache_lock);
	struct inode *other = icache_find_locked(fs, ino);
	if (!other) {
		list_add(&ei->icache_node, icache_bucket(fs, ino));
		fs->nr_inodes++;
		take_ptr(ei);
	}
	spin_unlock(&fs->icache_lock);
	if (other) { /* built twice at once: keep the first */
		kfree(ei->inline_data);
		vi->private = NULL;
		vi->destroy = NULL;
		inode_put(vi);
		return other;
	}
	return vi;
}
