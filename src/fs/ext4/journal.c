/*
 * The journal wrapper: the calls every ext4 metadata change goes through
 * (ext4.h). With a journal (has_journal, mounted read-write) they are
 * jbd2 handles (src/fs/jbd2, docs/jbd2.md): start joins the running
 * transaction, get_write_access takes the buffer into it, dirty_metadata
 * files it (the buffer is not marked dirty: the journal writes it, first
 * in the log, then in place at checkpoint), revoke keeps an old logged
 * copy of a freed block from being replayed, stop ends the handle, and
 * force_commit commits and waits. File data is written to the device
 * before the metadata that points at it (write.c), and each commit
 * FLUSHes the device (ext4_write_data) before its commit block: ordered.
 * Without a journal a change is written in place by the block cache's
 * write-back (ordered by nothing but fsync and sync).
 *
 * While a journal is in use the superblock says needs_recovery (RECOVER),
 * as on Linux; a clean umount or remount read-only checkpoints everything
 * and clears it.
 *
 * The superblock buffer (fs->sbh) is the 1024 bytes at byte 1024; with
 * larger blocks it is not a file-system block, so its changes are logged
 * as a copy into block 0 (the journal's unit is a whole block).
 *
 * Locking: a handle belongs to one task, which holds fs->lock alone for
 * the handle's whole life (so handles do not nest or overlap); the commit
 * thread commits without fs->lock (jbd2 waits for open handles).
 */
#include <ferrite/errno.h>
#include <ferrite/jbd2.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "ext4.h"

/* Ordered mode: before a commit block, every data write is durable. */
static int ext4_write_data(void *arg)
{
	struct ext4_fs *fs = arg;

	return bcache_sync_device(fs->bd);
}

/* Set or clear RECOVER in the superblock and write it now (no
 * transaction is open: at load, after the journal is empty at unload). */
static int write_recover(struct ext4_fs *fs, bool set)
{
	struct ext4_super_block *es = fs->sbh->data;

	if (set)
		es->s_feature_incompat |= EXT4_FEATURE_INCOMPAT_RECOVER;
	else
		es->s_feature_incompat &= ~EXT4_FEATURE_INCOMPAT_RECOVER;
	if (fs->csum)
		ext4_super_csum_set(es);
	mark_buffer_dirty(fs->sbh);
	int err = sync_buffer(fs->sbh);
	return err ? err : blkdev_flush(fs->bd) ? -EIO : 0;
}

int ext4_journal_load(struct ext4_fs *fs)
{
	struct jbd2_run *runs;
	unsigned nr;
	int err;

	if (fs->journal || !(fs->compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL))
		return 0;
	if ((err = ext4_journal_runs(fs, fs->journal_ino, &runs, &nr)))
		return err;
	struct journal *j = jbd2_journal_load(fs->bd, fs->block_size, fs->blocks_count, runs, nr,
					      fs->name);
	kfree(runs);
	if (IS_ERR(j))
		return (int)PTR_ERR(j);
	/* As Linux with metadata_csum: the log is written with csum v3. */
	if (fs->csum && (err = jbd2_journal_enable_csum_v3(j)))
		goto fail;
	if ((err = jbd2_journal_begin(j, ext4_write_data, fs)))
		goto fail;
	if ((err = write_recover(fs, true)))
		goto fail;
	fs->journal = j;
	jbd2_journal_register(j);
	return 0;
fail:
	pr_err("ext4 %s: cannot use the journal (%d)\n", fs->name, err);
	jbd2_journal_destroy(j);
	return err;
}

int ext4_journal_unload(struct ext4_fs *fs)
{
	struct journal *j = fs->journal;

	if (!j)
		return 0;
	jbd2_journal_unregister(j);
	int err = jbd2_journal_end(j);
	fs->journal = NULL;
	jbd2_journal_destroy(j);
	if (!err) /* everything is in place: a clean file system */
		err = write_recover(fs, false);
	if (err)
		pr_err("ext4 %s: the journal could not be emptied (%d): it will be replayed\n", fs->name,
		       err);
	return err;
}

struct ext4_handle *ext4_journal_start(struct ext4_fs *fs, unsigned nblocks)
{
	if (!ext4_writable(fs))
		return ERR_PTR(-EROFS);
	struct ext4_handle *h = kzalloc(sizeof(*h));
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->fs = fs;
	h->credits = nblocks;
	/* Nearly full, with blocks waiting for their freeing commit: commit
	 * now (no handle is open: the caller holds fs->lock alone), so that
	 * the allocator may use them, as Linux retries after a commit. */
	if (fs->journal && fs->freed_blocks &&
	    fs->free_blocks < fs->freed_blocks + fs->r_blocks_count + EXT4_FREED_SLACK)
		(void)ext4_freed_settle(fs); /* an error aborts the journal: start says so */
	if (fs->journal) {
		/* +1: the superblock, written at stop when counts changed */
		int err = jbd2_journal_start(fs->journal, nblocks + 1, &h->jh);
		if (err) {
			kfree(h);
			return ERR_PTR(err);
		}
	}
	return h;
}

/* The superblock buffer is not a file-system block (blocks > 1 KiB). */
static bool sb_alias(struct ext4_fs *fs, struct buffer *b)
{
	return b == fs->sbh && fs->block_size != EXT4_SUPER_OFFSET;
}

int ext4_journal_get_write_access(struct ext4_handle *h, struct buffer *b)
{
	struct ext4_fs *fs = h->fs;

	if (h->err || !fs->journal || sb_alias(fs, b))
		return h->err;
	int err = jbd2_journal_get_write_access(&h->jh, b);
	if (err && !h->err)
		h->err = err;
	return h->err;
}

int ext4_handle_dirty_metadata(struct ext4_handle *h, struct buffer *b)
{
	struct ext4_fs *fs = h->fs;
	int err = 0;

	h->used++;
	if (!fs->journal) {
		mark_buffer_dirty(b);
		return h->err;
	}
	if (h->err)
		return h->err;
	if (sb_alias(fs, b)) {
		/* log block 0 with the superblock's bytes in it */
		struct buffer *b0 = bread(fs->bd, 0, fs->block_size);
		if (IS_ERR(b0)) {
			err = (int)PTR_ERR(b0);
		} else {
			err = jbd2_journal_get_write_access(&h->jh, b0);
			if (!err) {
				memcpy((char *)b0->data + EXT4_SUPER_OFFSET, b->data, EXT4_SUPER_OFFSET);
				err = jbd2_journal_dirty_metadata(&h->jh, b0);
			}
			brelse(b0);
		}
	} else {
		err = jbd2_journal_dirty_metadata(&h->jh, b);
	}
	if (err && !h->err)
		h->err = err;
	return h->err;
}

int ext4_journal_revoke(struct ext4_handle *h, uint64_t blk, uint64_t count)
{
	if (!h->fs->journal)
		return h->err;
	for (uint64_t i = 0; i < count && !h->err; i++) {
		int err = jbd2_journal_revoke(&h->jh, blk + i);
		if (err)
			h->err = err;
	}
	return h->err;
}

int ext4_journal_stop(struct ext4_handle *h)
{
	int err = h->err;

	if (h->fs->sb_dirty) {
		int e = ext4_commit_super(h);
		if (!err)
			err = e;
	}
	if (h->fs->journal) {
		int e = jbd2_journal_stop(&h->jh);
		if (!err)
			err = e;
	}
	kfree(h);
	return err;
}

int ext4_journal_force_commit(struct ext4_fs *fs)
{
	/* data written straight to the device, then FLUSHed; then the metadata */
	int err = bcache_sync_device(fs->bd);

	if (!err && fs->journal)
		err = jbd2_journal_commit(fs->journal);
	return err;
}
