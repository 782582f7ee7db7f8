/*
 * The journal wrapper: the four calls every ext4 metadata change goes
 * through (ext4.h). Today there is no journal: a change is written in
 * place by the block cache's write-back (ordered by nothing but fsync and
 * sync), on a has_journal image too (its journal stays empty and clean).
 * wt-jbd2 routes these calls into jbd2 transactions (src/fs/jbd2/): start
 * joins the running transaction, get_write_access takes the buffer into
 * it (jbd_pinned), dirty_metadata files it, stop ends the handle, and
 * force_commit commits and waits.
 *
 * Locking: a handle belongs to one task, which holds fs->lock alone for
 * the handle's whole life (so handles do not nest or overlap).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include "ext4.h"

struct ext4_handle *ext4_journal_start(struct ext4_fs *fs, unsigned nblocks)
{
	if (!ext4_writable(fs))
		return ERR_PTR(-EROFS);
	struct ext4_handle *h = kzalloc(sizeof(*h));
	if (!h)
		return ERR_PTR(-ENOMEM);
	h->fs = fs;
	h->credits = nblocks;
	return h;
}

int ext4_journal_get_write_access(struct ext4_handle *h, struct buffer *b)
{
	(void)b; /* jbd2: copy the committing version out if the journal holds one */
	return h->err;
}

int ext4_handle_dirty_metadata(struct ext4_handle *h, struct buffer *b)
{
	h->used++;
	mark_buffer_dirty(b);
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
	kfree(h);
	return err;
}

int ext4_journal_force_commit(struct ext4_fs *fs)
{
	return bcache_sync_device(fs->bd);
}
