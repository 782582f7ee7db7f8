/*
 * Journal replay at mount: when the superblock has RECOVER
 * (needs_recovery), find the journal (inode s_journal_inum, mapped
 * through the extent code into device runs), let jbd2 replay it
 * (src/fs/jbd2/recovery.c), then clear RECOVER in the superblock and
 * FLUSH. The caller then mounts from scratch: the replay may have changed
 * any metadata, the superblock and the group descriptors included.
 *
 * As Linux: a journal on another device is refused (JOURNAL_DEV), and a
 * journal needing recovery on a read-only *device* refuses the mount
 * (-EROFS) since replaying means writing; a read-only mount on a writable
 * device replays anyway (there is no noload option).
 *
 * Locking: none; runs inside a mount, before the file system is visible.
 */
#include <ferrite/errno.h>
#include <ferrite/jbd2.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "ext4.h"

/* Grow *runs as needed. 0 or -ENOMEM. */
static int add_run(struct jbd2_run **runs, unsigned *nr, unsigned *cap, uint32_t lblk,
		   uint64_t pblk, uint32_t len)
{
	if (*nr && (*runs)[*nr - 1].pblk + (*runs)[*nr - 1].len == pblk &&
	    (*runs)[*nr - 1].lblk + (*runs)[*nr - 1].len == lblk) {
		(*runs)[*nr - 1].len += len;
		return 0;
	}
	if (*nr == *cap) {
		unsigned ncap = *cap ? *cap * 2 : 16;
		struct jbd2_run *n = kmalloc(sizeof(*n) * ncap);
		if (!n)
			return -ENOMEM;
		if (*nr)
			memcpy(n, *runs, sizeof(*n) * *nr);
		kfree(*runs);
		*runs = n;
		*cap = ncap;
	}
	(*runs)[(*nr)++] = (struct jbd2_run){ .lblk = lblk, .len = len, .pblk = pblk };
	return 0;
}

int ext4_journal_runs(struct ext4_fs *fs, uint32_t ino, struct jbd2_run **out, unsigned *nr_out)
{
	struct inode *vi = ext4_iget(fs, ino);
	struct jbd2_run *runs = NULL;
	unsigned nr = 0, cap = 0;
	int err = 0;

	if (IS_ERR(vi))
		return (int)PTR_ERR(vi);
	uint64_t blocks = ((uint64_t)vi->size + fs->block_size - 1) >> fs->log_block_size;
	if (!S_ISREG(vi->mode) || blocks == 0 || blocks > UINT32_MAX)
		err = ext4_corrupt(fs, "journal inode %u: not a regular file of a valid size", ino);
	for (uint64_t l = 0; !err && l < blocks;) {
		struct ext4_map m;
		err = ext4_map_block(vi, (uint32_t)l, &m);
		if (err)
			break;
		if (m.kind != EXT4_MAP_MAPPED) {
			err = ext4_corrupt(fs, "journal inode %u: hole at block %llu", ino,
					   (unsigned long long)l);
			break;
		}
		uint32_t len = (uint32_t)MIN((uint64_t)m.len, blocks - l);
		err = add_run(&runs, &nr, &cap, (uint32_t)l, m.pblk, len);
		l += len;
	}
	inode_put(vi);
	if (err) {
		kfree(runs);
		return err;
	}
	*out = runs;
	*nr_out = nr;
	return 0;
}

/* Rewrite the superblock (bytes 1024..2047) without RECOVER, then FLUSH. */
static int clear_recover(struct ext4_fs *fs)
{
	__free(kfree) struct ext4_super_block *es = kmalloc(EXT4_SUPER_OFFSET);
	if (!es)
		return -ENOMEM;
	uint64_t sector = EXT4_SUPER_OFFSET / SECTOR_SIZE;
	size_t count = EXT4_SUPER_OFFSET / SECTOR_SIZE;
	if (blkdev_read(fs->bd, sector, es, count))
		return -EIO;
	if (es->s_magic != EXT4_SUPER_MAGIC)
		return ext4_corrupt(fs, "the journal replay left no superblock");
	es->s_feature_incompat &= ~EXT4_FEATURE_INCOMPAT_RECOVER;
	if (es->s_feature_ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)
		es->s_checksum = ext4_csum(~0u, es, __builtin_offsetof(struct ext4_super_block, s_checksum));
	if (blkdev_write(fs->bd, sector, es, count) || blkdev_flush(fs->bd))
		return -EIO;
	return 0;
}

int ext4_replay_journal(struct ext4_fs *fs, uint32_t journal_ino)
{
	struct jbd2_run *runs;
	unsigned nr;
	int err;

	if (!(fs->compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) || journal_ino == 0)
		return ext4_corrupt(fs, "needs recovery but has no journal");
	if (fs->bd->flags & BLKDEV_RDONLY) {
		pr_err("ext4 %s: cannot mount: the journal needs recovery and the device is read-only\n",
		       fs->name);
		return -EROFS;
	}
	err = ext4_journal_runs(fs, journal_ino, &runs, &nr);
	if (err) {
		pr_err("ext4 %s: cannot mount: journal inode %u unreadable (%d)\n", fs->name,
		       journal_ino, err);
		return err;
	}
	struct journal *j = jbd2_journal_load(fs->bd, fs->block_size, fs->blocks_count, runs, nr, fs->name);
	kfree(runs);
	if (IS_ERR(j))
		return (int)PTR_ERR(j);
	struct jbd2_recovery_info info;
	err = jbd2_journal_recover(j, &info);
	jbd2_journal_destroy(j);
	if (err) {
		pr_err("ext4 %s: cannot mount: journal recovery failed (%d)\n", fs->name, err);
		return err;
	}
	/* Cached buffers may predate the replay. */
	bcache_drop_device(fs->bd);
	err = clear_recover(fs);
	if (!err)
		pr_info("ext4 %s: recovered the journal: transactions %u..%u, %u blocks written, %u revoked\n",
			fs->name, info.start_seq, info.end_seq, info.nr_replayed, info.nr_revoked);
	return err;
}
