/*
 * Writing inodes: a VFS inode's attributes, size, block map and flags go
 * back into its raw inode in the inode table (read, changed, checksummed,
 * through the journal calls); new inodes are built in place (zeroed, the
 * extra fields sized as the superblock wants, a generation, an empty
 * extent root); an inode whose last link and last user are gone is freed
 * (its blocks, then dtime and its bit in the inode bitmap).
 *
 * Locking: caller holds fs->lock alone (ext4_dirty_inode and the destroy
 * hook take it themselves). Inode times, mode and owner are copied under
 * inode->lock, a spinlock nothing sleeps under.
 */
#include <ferrite/cred.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/random.h>
#include "ext4.h"

/* Borrow the inode table block holding ino; *off gets its byte offset. */
static struct buffer *itable_block(struct ext4_fs *fs, uint32_t ino, size_t *off)
{
	if (ino == 0 || ino > fs->inodes_count)
		return ERR_PTR(ext4_corrupt(fs, "inode number %u out of range", ino));
	uint32_t group = (ino - 1) / fs->inodes_per_group;
	uint64_t byte = (uint64_t)((ino - 1) % fs->inodes_per_group) * fs->inode_size;
	*off = (size_t)(byte & (fs->block_size - 1));
	return ext4_bread(fs, fs->inode_table[group] + (byte >> fs->log_block_size));
}

static uint32_t time_extra(struct timespec64 t)
{
	return (uint32_t)(((t.tv_sec - (int32_t)t.tv_sec) >> 32) & 3) | ((uint32_t)t.tv_nsec << 2);
}

/* Store t in a seconds field and, when the inode has it, its extra field. */
#define encode_time(t, raw, f, has_extra)                          \
	do {                                                       \
		(raw)->i_##f = (uint32_t)(t).tv_sec;               \
		if (has_extra)                                     \
			(raw)->i_##f##_extra = time_extra(t);      \
	} while (0)

/* Fill raw from vi and its ext4 part (raw holds the old inode). */
static void inode_to_raw(struct ext4_fs *fs, struct inode *vi, struct ext4_inode *raw)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	bool big = fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE;
	unsigned extra = big ? raw->i_extra_isize : 0;
	struct timespec64 at, mt, ct;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t size;

	spin_lock(&vi->lock);
	mode = vi->mode;
	uid = vi->uid;
	gid = vi->gid;
	size = (uint64_t)vi->size;
	at = vi->atime;
	mt = vi->mtime;
	ct = vi->ctime;
	spin_unlock(&vi->lock);

	raw->i_mode = (uint16_t)mode;
	raw->i_uid = (uint16_t)uid;
	raw->i_uid_high = (uint16_t)(uid >> 16);
	raw->i_gid = (uint16_t)gid;
	raw->i_gid_high = (uint16_t)(gid >> 16);
	raw->i_size_lo = (uint32_t)size;
	raw->i_size_high = (uint32_t)(size >> 32);
	encode_time(at, raw, atime, EXT4_INODE_HAS(extra, i_atime_extra));
	encode_time(mt, raw, mtime, EXT4_INODE_HAS(extra, i_mtime_extra));
	encode_time(ct, raw, ctime, EXT4_INODE_HAS(extra, i_ctime_extra));
	/* dir_nlink: a directory past 65000 links counts 1 ("many") */
	raw->i_links_count = (uint16_t)(vi->nlink >= 65000 && S_ISDIR(mode) ? 1 : vi->nlink);
	if (ei->orphan)
		raw->i_dtime = ei->orphan_next; /* the orphan list's link (orphan.c) */
	raw->i_blocks_lo = (uint32_t)ei->blocks;
	raw->i_blocks_high = (uint16_t)(ei->blocks >> 32);
	ei->flags &= ~EXT4_HUGE_FILE_FL; /* i_blocks counts 512-byte sectors */
	raw->i_flags = ei->flags;
	memcpy(raw->i_block, ei->i_block, sizeof(raw->i_block));
}

int ext4_write_inode(struct ext4_handle *h, struct inode *vi)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_inode_info *ei = EXT4_I(vi);
	size_t off;
	int err;

	__free(brelse) struct buffer *b = itable_block(fs, ei->ino, &off);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	if ((err = ext4_journal_get_write_access(h, b)))
		return err;
	struct ext4_inode *raw = (void *)((char *)b->data + off);
	inode_to_raw(fs, vi, raw);
	ext4_inode_csum_set(fs, raw, ei->csum_seed);
	ei->dirty = false;
	return ext4_handle_dirty_metadata(h, b);
}

struct inode *ext4_new_inode(struct ext4_handle *h, struct inode *dir, mode_t mode, const char *target)
{
	struct ext4_fs *fs = h->fs;
	bool is_dir = S_ISDIR(mode);
	int64_t nr = ext4_new_inode_nr(h, EXT4_I(dir)->ino, is_dir);
	size_t off;
	int err;

	if (nr < 0)
		return ERR_PTR(nr);
	struct buffer *b = itable_block(fs, (uint32_t)nr, &off);
	if (IS_ERR(b)) {
		ext4_free_inode_nr(h, (uint32_t)nr, is_dir);
		return ERR_CAST(b);
	}
	if ((err = ext4_journal_get_write_access(h, b))) {
		brelse(b);
		ext4_free_inode_nr(h, (uint32_t)nr, is_dir);
		return ERR_PTR(err);
	}
	struct ext4_inode *raw = (void *)((char *)b->data + off);
	struct timespec64 now = vfs_now();
	struct cred owner = cred_fs(); /* the creator's fsuid/fsgid */
	uid_t uid = owner.uid;
	gid_t gid = owner.gid;

	if (dir->mode & S_ISGID) { /* BSD group semantics for setgid directories */
		gid = dir->gid;
		if (is_dir)
			mode |= S_ISGID;
	} else if ((mode & S_ISGID) && !is_dir && uid != 0 && !cred_in_group(&owner, gid)) {
		mode &= ~S_ISGID; /* a set-gid file for a group one is not in */
	}
	memset(raw, 0, fs->inode_size);
	raw->i_mode = (uint16_t)mode;
	raw->i_uid = (uint16_t)uid;
	raw->i_uid_high = (uint16_t)(uid >> 16);
	raw->i_gid = (uint16_t)gid;
	raw->i_gid_high = (uint16_t)(gid >> 16);
	raw->i_links_count = is_dir ? 2 : 1;
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE)
		raw->i_extra_isize = fs->want_extra_isize;
	unsigned extra = fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE ? raw->i_extra_isize : 0;
	encode_time(now, raw, atime, EXT4_INODE_HAS(extra, i_atime_extra));
	encode_time(now, raw, mtime, EXT4_INODE_HAS(extra, i_mtime_extra));
	encode_time(now, raw, ctime, EXT4_INODE_HAS(extra, i_ctime_extra));
	if (EXT4_INODE_HAS(extra, i_crtime_extra))
		encode_time(now, raw, crtime, true);
	raw->i_generation = fs->next_generation++;
	if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)) {
		struct ext4_extent_header *eh = (void *)raw->i_block;
		raw->i_flags = EXT4_EXTENTS_FL;
		eh->eh_magic = EXT4_EXT_MAGIC;
		eh->eh_max = (sizeof(raw->i_block) - sizeof(*eh)) / sizeof(struct ext4_extent);
	}
	size_t tlen = target ? strlen(target) : 0;
	if (target && tlen < sizeof(raw->i_block)) { /* fast: the target in i_block */
		raw->i_flags = 0;
		memset(raw->i_block, 0, sizeof(raw->i_block));
		memcpy(raw->i_block, target, tlen);
	} else if (target) { /* slow: its block comes next (counted now so iget sees a slow one) */
		raw->i_blocks_lo = fs->block_size >> 9;
	}
	raw->i_size_lo = (uint32_t)tlen;
	ext4_inode_csum_set(fs, raw, ext4_inode_seed(fs, (uint32_t)nr, raw->i_generation));
	ext4_handle_dirty_metadata(h, b);
	brelse(b);
	struct inode *vi = ext4_iget(fs, (uint32_t)nr);
	if (IS_ERR(vi))
		return vi;
	if (target && tlen >= sizeof(raw->i_block))
		EXT4_I(vi)->blocks = 0;
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE)
		EXT4_I(vi)->extra_isize = fs->want_extra_isize;
	return vi;
}

int ext4_evict_inode(struct ext4_fs *fs, struct inode *vi)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	size_t off;
	int err, err2;

	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, 64);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	err = 0;
	if ((S_ISREG(vi->mode) || S_ISDIR(vi->mode) || S_ISLNK(vi->mode)) &&
	    (ei->flags & EXT4_EXTENTS_FL))
		err = ext4_truncate_blocks(h, vi, 0);
	vi->size = 0;
	vi->nlink = 0;
	if ((err2 = ext4_orphan_del(h, vi)))
		return err2;
	__free(brelse) struct buffer *b = itable_block(fs, ei->ino, &off);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	if ((err2 = ext4_journal_get_write_access(h, b)))
		return err2;
	struct ext4_inode *raw = (void *)((char *)b->data + off);
	inode_to_raw(fs, vi, raw);
	raw->i_links_count = 0;
	raw->i_dtime = (uint32_t)vfs_now().tv_sec;
	ext4_inode_csum_set(fs, raw, ei->csum_seed);
	ext4_handle_dirty_metadata(h, b);
	err2 = ext4_free_inode_nr(h, ei->ino, S_ISDIR(vi->mode));
	return err ? err : err2;
}

void ext4_dirty_inode(struct inode *vi)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;

	if (!ext4_writable(fs))
		return;
	guard(rwlock_write)(&fs->lock);
	struct ext4_handle *h = ext4_journal_start(fs, 1);
	if (IS_ERR(h))
		return;
	int err = ext4_write_inode(h, vi);
	err = ext4_journal_stop(h) ?: err;
	if (err)
		pr_err("ext4 %s: writing inode %u failed (%d)\n", fs->name, ei->ino, err);
}
