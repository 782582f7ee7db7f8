/*
 * The orphan list: inodes with no name left that are still in use (a
 * file unlinked while open). The superblock's s_last_orphan names the
 * newest; each orphan's i_dtime names the next one (0 ends the chain).
 * An inode joins in the transaction that removes its last link and
 * leaves in the one that frees it, so after a crash the list names every
 * inode whose blocks must still be freed: a read-write mount frees them
 * (ext4_orphan_cleanup), as Linux and e2fsck do.
 *
 * In memory fs->orphans holds them in the chain's order (the newest
 * first), so removing one rewrites the superblock (the newest) or the
 * previous orphan's i_dtime. The superblock's field is written by
 * ext4_commit_super at ext4_journal_stop (sb_dirty), the orphans' by
 * inode_to_raw (ei->orphan_next).
 *
 * Only with a journal (as Linux): without one, nothing orders the list's
 * writes against the rest, and e2fsck finds such inodes anyway.
 * Locking: fs->lock held alone (every caller changes the file system).
 */
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/rwlock.h>
#include "ext4.h"

int ext4_orphan_add(struct ext4_handle *h, struct inode *vi)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_inode_info *ei = EXT4_I(vi);

	if (!fs->journal || ei->orphan)
		return 0;
	ei->orphan = true;
	ei->orphan_next = fs->last_orphan;
	list_add(&ei->orphan_node, &fs->orphans);
	fs->last_orphan = ei->ino;
	fs->sb_dirty = true; /* written at ext4_journal_stop, in this transaction */
	return 0;            /* the caller writes vi (its i_dtime) */
}

int ext4_orphan_del(struct ext4_handle *h, struct inode *vi)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_inode_info *ei = EXT4_I(vi);

	if (!ei->orphan)
		return 0;
	int err = 0;
	if (ei->orphan_node.prev == &fs->orphans) {
		fs->last_orphan = ei->orphan_next;
		fs->sb_dirty = true;
	} else {
		struct ext4_inode_info *prev =
			container_of(ei->orphan_node.prev, struct ext4_inode_info, orphan_node);
		prev->orphan_next = ei->orphan_next;
		err = ext4_write_inode(h, prev->vfs);
	}
	list_del(&ei->orphan_node);
	ei->orphan = false;
	ei->orphan_next = 0;
	return err;
}

void ext4_orphan_forget(struct ext4_fs *fs, struct ext4_inode_info *ei)
{
	(void)fs;
	if (ei->orphan) {
		list_del(&ei->orphan_node);
		ei->orphan = false;
	}
}

/* Take the next orphan of the on-disk chain off it: its last put frees it
 * (no links) or, for an inode that still has links (a truncate Linux was
 * doing), it just leaves the list. Return: 1 when one was taken, 0 at the
 * end, or -errno (the chain is cut there). */
static int cleanup_one(struct ext4_fs *fs, unsigned *freed)
{
	uint32_t ino = fs->last_orphan;

	if (!ino)
		return 0;
	fs->orphan_scan = true;
	struct inode *vi = ext4_iget(fs, ino);
	fs->orphan_scan = false;
	if (IS_ERR(vi))
		return (int)PTR_ERR(vi);
	struct ext4_inode_info *ei = EXT4_I(vi);
	int err = 0;
	if (ei->orphan) {
		err = ext4_corrupt(fs, "orphan list: inode %u met twice", ino);
	} else {
		ei->orphan = true; /* orphan_next: i_dtime, read by ext4_iget */
		list_add_tail(&ei->orphan_node, &fs->orphans);
		if (vi->nlink) {
			struct ext4_handle *h = ext4_journal_start(fs, 4);
			if (IS_ERR(h)) {
				err = (int)PTR_ERR(h);
			} else {
				err = ext4_orphan_del(h, vi);
				if (!err)
					err = ext4_write_inode(h, vi);
				err = ext4_journal_stop(h) ?: err;
			}
		} else {
			(*freed)++; /* the put below: ext4_evict_inode takes it off */
		}
	}
	if (err) {
		ext4_orphan_forget(fs, ei);
		inode_put(vi);
		return err;
	}
	inode_put(vi);
	return 1;
}

int ext4_orphan_cleanup(struct ext4_fs *fs)
{
	unsigned freed = 0, n = 0;
	int r;

	if (!fs->journal || !fs->last_orphan)
		return 0;
	bool held = rwlock_write_owned_by_current(&fs->lock);
	if (!held)
		rwlock_write_lock(&fs->lock);
	while ((r = cleanup_one(fs, &freed)) > 0) {
		if (++n > fs->inodes_count) {
			r = ext4_corrupt(fs, "orphan list: a loop");
			break;
		}
	}
	if (r < 0) {
		/* cut the chain: e2fsck finds what is left */
		pr_err("ext4 %s: orphan list: inode %u: %d; list dropped\n", fs->name,
		       fs->last_orphan, r);
		struct ext4_handle *h = ext4_journal_start(fs, 1);
		if (!IS_ERR(h)) {
			fs->last_orphan = 0;
			fs->sb_dirty = true;
			ext4_journal_stop(h);
		}
	}
	if (!held)
		rwlock_write_unlock(&fs->lock);
	if (n)
		pr_info("ext4 %s: orphan list: %u inodes freed, %u truncated ones dropped\n", fs->name,
			freed, n - freed);
	return r < 0 ? r : 0;
}
