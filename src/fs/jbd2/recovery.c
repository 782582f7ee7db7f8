/*
 * Journal recovery: the three passes over the log, as Linux's jbd2 and
 * e2fsck do them (docs/jbd2.md):
 *
 *   SCAN    from s_start / s_sequence, follow descriptor, revoke and
 *           commit blocks while each carries the next expected sequence;
 *           the first transaction without a valid commit block ends the
 *           log (end_seq). A descriptor or revoke block with a bad
 *           checksum inside a transaction whose commit is valid (and not
 *           older than the one before) is corruption: nothing is written.
 *           So is a tag naming a block outside the file system.
 *   REVOKE  collect the revoke records of transactions [start, end_seq).
 *   REPLAY  write each logged block of those transactions to its place
 *           unless a transaction at or after it revoked it; a block whose
 *           checksum fails is not written and the recovery fails (-EUCLEAN)
 *           after the others are written.
 *
 * Then FLUSH, and the journal superblock says empty (s_start 0, the
 * sequence past everything seen, so stale commit blocks never match).
 *
 * Locking: none; recovery runs at mount, before the journal is shared.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "jbd2_internal.h"

enum pass { PASS_SCAN, PASS_REVOKE, PASS_REPLAY };

struct recovery {
	uint32_t end_seq;      /* from PASS_SCAN: first transaction not replayed */
	struct jbd2_revoke_table *revokes;
	void *block, *data;    /* block_size each */
	int error;             /* REPLAY: a block failed its checksum */
	struct jbd2_recovery_info info;
};

static int corrupt(struct journal *j, const char *what, uint32_t blk, uint32_t seq)
{
	pr_err("jbd2 %s: recovery: %s at journal block %u (transaction %u)\n", j->name, what, blk,
	       seq);
	return -EUCLEAN;
}

/* Walk the tags of the descriptor in rc->block (log block blk of
 * transaction seq). SCAN: check targets; REPLAY: write the blocks.
 * Return the number of data blocks that follow the descriptor, or -errno. */
static int walk_tags(struct journal *j, struct recovery *rc, enum pass pass, uint32_t blk,
		     uint32_t seq, bool *bad_target)
{
	unsigned room = jbd2_descr_room(j), off = sizeof(struct jbd2_header);
	uint32_t data_blk = blk;
	int n = 0;

	while (off + j->tag_bytes <= room) {
		struct jbd2_tag_info t;
		jbd2_tag_read(j, (char *)rc->block + off, &t);
		off += j->tag_bytes;
		if (!(t.flags & JBD2_FLAG_SAME_UUID))
			off += 16;
		n++;
		data_blk = jbd2_next(j, data_blk);
		if (pass == PASS_SCAN && t.blocknr >= j->fs_blocks)
			*bad_target = true;
		if (pass == PASS_REPLAY) {
			if (jbd2_revoke_test(rc->revokes, t.blocknr, seq)) {
				rc->info.nr_revoked++;
			} else {
				int err = jbd2_read_block(j, data_blk, rc->data);
				if (err)
					return err;
				uint32_t sum = jbd2_block_csum(j, seq, rc->data);
				if (j->csum && (j->csum_v3 ? sum : (sum & 0xffff)) != t.csum) {
					rc->error = corrupt(j, "logged block checksum does not match",
							    data_blk, seq);
				} else if (t.blocknr >= j->fs_blocks) {
					rc->error = corrupt(j, "block number outside the file system",
							    data_blk, seq);
				} else {
					if (t.flags & JBD2_FLAG_ESCAPE) {
						uint32_t magic = be32(JBD2_MAGIC);
						memcpy(rc->data, &magic, sizeof(magic));
					}
					err = jbd2_write_fs_block(j, t.blocknr, rc->data);
					if (err)
						return err;
					rc->info.nr_replayed++;
				}
			}
		}
		if (t.flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return n;
}

static int read_revokes(struct journal *j, struct recovery *rc, uint32_t blk, uint32_t seq)
{
	const struct jbd2_revoke_header *rh = rc->block;
	unsigned count = be32(rh->r_count), rec = jbd2_revoke_rec(j);
	unsigned room = jbd2_descr_room(j);

	if (count < sizeof(*rh) || count > room)
		return corrupt(j, "bad revoke block size", blk, seq);
	for (unsigned off = sizeof(*rh); off + rec <= count; off += rec) {
		uint64_t nr;
		if (rec == 8) {
			memcpy(&nr, (char *)rc->block + off, 8);
			nr = be64(nr);
		} else {
			uint32_t n32;
			memcpy(&n32, (char *)rc->block + off, 4);
			nr = be32(n32);
		}
		int err = jbd2_revoke_set(rc->revokes, nr, seq);
		if (err)
			return err;
		rc->info.nr_revoke_records++;
	}
	return 0;
}

static int do_pass(struct journal *j, struct recovery *rc, enum pass pass)
{
	uint32_t blk = j->tail, seq = j->tail_seq;
	uint64_t walked = 0, log_len = j->maxlen - j->first;
	uint64_t last_commit_sec = 0;
	bool bad_block = false, bad_target = false;
	int err;

	for (;;) {
		if (pass != PASS_SCAN && seq == rc->end_seq)
			break;
		if (walked++ > log_len)
			return corrupt(j, "the log does not end", blk, seq);
		err = jbd2_read_block(j, blk, rc->block);
		if (err)
			return err;
		const struct jbd2_header *h = rc->block;
		if (be32(h->h_magic) != JBD2_MAGIC || be32(h->h_sequence) != seq) {
			if (pass != PASS_SCAN)
				return corrupt(j, "the log changed between passes", blk, seq);
			break;
		}
		switch (be32(h->h_blocktype)) {
		case JBD2_DESCRIPTOR_BLOCK: {
			if (!jbd2_tail_csum_ok(j, rc->block)) {
				/* maybe a stale block: the commit decides (SCAN) */
				if (pass != PASS_SCAN)
					return corrupt(j, "descriptor checksum does not match", blk, seq);
				bad_block = true;
			}
			int n = walk_tags(j, rc, pass, blk, seq, &bad_target);
			if (n < 0)
				return n;
			walked += (unsigned)n;
			for (int i = 0; i <= n; i++)
				blk = jbd2_next(j, blk);
			continue;
		}
		case JBD2_REVOKE_BLOCK:
			if (!jbd2_tail_csum_ok(j, rc->block)) {
				if (pass != PASS_SCAN)
					return corrupt(j, "revoke block checksum does not match", blk, seq);
				bad_block = true;
			} else if (pass == PASS_REVOKE) {
				err = read_revokes(j, rc, blk, seq);
				if (err)
					return err;
			}
			blk = jbd2_next(j, blk);
			continue;
		case JBD2_COMMIT_BLOCK: {
			const struct jbd2_commit_block *c = rc->block;
			uint64_t sec = be64(c->h_commit_sec);
			if (pass == PASS_SCAN) {
				/* A commit that fails its checksum was never completed:
				 * the log ends before this transaction, as on Linux. */
				if (!jbd2_commit_csum_ok(j, rc->block))
					break;
				if (bad_block || bad_target) {
					/* An older commit time: a stale transaction of an
					 * earlier use of the log, so the log ends here. */
					if (seq != j->tail_seq && sec < last_commit_sec)
						break;
					return corrupt(j, bad_target ? "block number outside the file system"
								     : "descriptor or revoke checksum does not match",
						       blk, seq);
				}
				last_commit_sec = sec;
			}
			bad_block = bad_target = false;
			seq++;
			blk = jbd2_next(j, blk);
			continue;
		}
		default:
			if (pass != PASS_SCAN)
				return corrupt(j, "unknown block type", blk, seq);
			break;
		}
		break; /* SCAN: the end of the log */
	}
	if (pass == PASS_SCAN)
		rc->end_seq = seq;
	return 0;
}

int jbd2_journal_recover(struct journal *j, struct jbd2_recovery_info *info)
{
	struct recovery rc;
	int err;

	memset(&rc, 0, sizeof(rc));
	rc.info.start_seq = rc.info.end_seq = j->tail_seq;
	if (!jbd2_journal_needs_recovery(j)) {
		if (info)
			*info = rc.info;
		return 0;
	}
	rc.revokes = jbd2_revoke_table_new();
	rc.block = kmalloc(j->block_size);
	rc.data = kmalloc(j->block_size);
	if (!rc.revokes || !rc.block || !rc.data) {
		err = -ENOMEM;
		goto out;
	}
	err = do_pass(j, &rc, PASS_SCAN);
	if (!err)
		err = do_pass(j, &rc, PASS_REVOKE);
	if (!err)
		err = do_pass(j, &rc, PASS_REPLAY);
	if (!err)
		err = rc.error;
	if (!err)
		err = jbd2_flush(j);
	rc.info.end_seq = rc.end_seq;
	if (!err) {
		/* Empty from now on; the next transaction is past anything the
		 * log may still hold (the incomplete one at end_seq too). */
		j->tail = 0;
		j->tail_seq = rc.end_seq + 1;
		err = jbd2_write_super(j, 0, j->tail_seq);
	}
	pr_debug_if(JBD2_DEBUG, "jbd2 %s: transactions %u..%u, %u blocks, %u revoked\n", j->name,
		    rc.info.start_seq, rc.info.end_seq, rc.info.nr_replayed, rc.info.nr_revoked);
out:
	if (info)
		*info = rc.info;
	jbd2_revoke_table_free(rc.revokes);
	kfree(rc.block);
	kfree(rc.data);
	return err;
}
