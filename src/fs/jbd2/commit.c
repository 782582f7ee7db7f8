/*
 * The writing side of jbd2, part 2: committing the running transaction.
 *
 *  1. Lock it: no new handle joins (starters wait), wait for its open
 *     handles to stop, copy every dirtied buffer (the frozen copies: a
 *     handle of the next transaction may change the cached buffer while
 *     this one is written), unlock: the next transaction starts.
 *  2. Make room: if the log lacks the blocks this transaction needs,
 *     checkpoint (every committed block in place, the tail moved up).
 *  3. Ordered mode: the file system writes its data (write_data), so no
 *     committed metadata can point at blocks whose data is not there.
 *  4. Write revoke blocks, descriptor blocks (tags with csum v3 block
 *     checksums) each followed by its blocks (escaped when they start
 *     with the jbd2 magic), FLUSH.
 *  5. Write the commit block (checksummed), FLUSH: the transaction is
 *     durable from here; a cut before leaves a log recovery ends early.
 *  6. The frozen copies go to the checkpoint list (replacing older copies
 *     of the same blocks); blocks this transaction revoked leave it.
 *
 * Locking: commit_lock is held by the caller throughout; j->lock only
 * around the list work (never across I/O).
 */
#include <ferrite/buffer.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_timer.h>
#include "jbd2_internal.h"

#define COMMIT_BATCH_BYTES (128u << 10) /* log blocks gathered into one write */

/* The log block write cursor of one commit: blocks that follow each other
 * on the device are gathered and written by one request. */
struct cursor {
	struct journal *j;
	uint32_t blk;
	uint32_t used;
	char *batch;          /* COMMIT_BATCH_BYTES, or NULL: one write per block */
	unsigned nbatch;      /* blocks in it */
	uint64_t batch_pblk;  /* device block of its first */
};

static int put_flush(struct cursor *c)
{
	int err = 0;

	if (c->nbatch)
		err = jbd2_write_dev_blocks(c->j, c->batch_pblk, c->batch, c->nbatch);
	c->nbatch = 0;
	return err;
}

static int put_block(struct cursor *c, const void *data)
{
	struct journal *j = c->j;
	uint64_t p = jbd2_bmap(j, c->blk);
	int err = 0;

	if (!c->batch || !p) {
		err = jbd2_write_block(j, c->blk, data);
	} else {
		if (c->nbatch && (p != c->batch_pblk + c->nbatch ||
				  (c->nbatch + 1) * j->block_size > COMMIT_BATCH_BYTES))
			err = put_flush(c);
		if (!c->nbatch)
			c->batch_pblk = p;
		memcpy(c->batch + (size_t)c->nbatch * j->block_size, data, j->block_size);
		c->nbatch++;
	}
	c->blk = jbd2_next(j, c->blk);
	c->used++;
	return err;
}

static void header(void *block, unsigned type, uint32_t seq)
{
	struct jbd2_header *h = block;

	h->h_magic = be32(JBD2_MAGIC);
	h->h_blocktype = be32(type);
	h->h_sequence = be32(seq);
}

static int write_revokes(struct cursor *c, struct jbd2_transaction *t, void *block)
{
	struct journal *j = c->j;
	unsigned rec = jbd2_revoke_rec(j), room = jbd2_descr_room(j);

	for (unsigned i = 0; i < t->nr_revokes;) {
		memset(block, 0, j->block_size);
		header(block, JBD2_REVOKE_BLOCK, t->seq);
		unsigned off = sizeof(struct jbd2_revoke_header);
		for (; i < t->nr_revokes && off + rec <= room; i++, off += rec) {
			if (rec == 8) {
				uint64_t v = be64(t->revokes[i]);
				memcpy((char *)block + off, &v, 8);
			} else {
				uint32_t v = be32((uint32_t)t->revokes[i]);
				memcpy((char *)block + off, &v, 4);
			}
		}
		((struct jbd2_revoke_header *)block)->r_count = be32(off);
		jbd2_tail_csum_set(j, block);
		int err = put_block(c, block);
		if (err)
			return err;
	}
	return 0;
}

/* Descriptor blocks, each followed by the blocks it tags. */
static int write_blocks(struct cursor *c, struct jbd2_transaction *t, struct jbd2_cp **cps,
			unsigned n, void *descr, void *copy)
{
	struct journal *j = c->j;
	unsigned room = jbd2_descr_room(j);

	for (unsigned i = 0; i < n;) {
		memset(descr, 0, j->block_size);
		header(descr, JBD2_DESCRIPTOR_BLOCK, t->seq);
		unsigned off = sizeof(struct jbd2_header), first = i;
		char *last_tag = NULL;
		for (; i < n; i++) {
			unsigned need = j->tag_bytes + (i == first ? 16 : 0);
			if (off + need > room)
				break;
			uint32_t magic;
			memcpy(&magic, cps[i]->data, 4);
			memcpy(copy, cps[i]->data, j->block_size);
			struct jbd2_tag_info tag = { .blocknr = cps[i]->blocknr };
			if (magic == be32(JBD2_MAGIC)) {
				memset(copy, 0, 4);
				tag.flags |= JBD2_FLAG_ESCAPE;
			}
			if (i != first)
				tag.flags |= JBD2_FLAG_SAME_UUID;
			uint32_t sum = jbd2_block_csum(j, t->seq, copy);
			tag.csum = j->csum ? (j->csum_v3 ? sum : (sum & 0xffff)) : 0;
			last_tag = (char *)descr + off;
			jbd2_tag_write(j, last_tag, &tag);
			off += j->tag_bytes;
			if (i == first) {
				memcpy((char *)descr + off, j->uuid, 16);
				off += 16;
			}
		}
		/* Set LAST_TAG on the final tag of this block. */
		struct jbd2_tag_info lt;
		jbd2_tag_read(j, last_tag, &lt);
		lt.flags |= JBD2_FLAG_LAST_TAG;
		jbd2_tag_write(j, last_tag, &lt);
		jbd2_tail_csum_set(j, descr);
		int err = put_block(c, descr);
		for (unsigned k = first; !err && k < i; k++) {
			memcpy(copy, cps[k]->data, j->block_size);
			uint32_t magic;
			memcpy(&magic, copy, 4);
			if (magic == be32(JBD2_MAGIC))
				memset(copy, 0, 4);
			err = put_block(c, copy);
		}
		if (err)
			return err;
	}
	return 0;
}

static int write_commit(struct cursor *c, uint32_t seq, void *block)
{
	uint64_t ns = hal_time_ns();

	memset(block, 0, c->j->block_size);
	header(block, JBD2_COMMIT_BLOCK, seq);
	struct jbd2_commit_block *cb = block;
	cb->h_commit_sec = be64(ns / 1000000000u);
	cb->h_commit_nsec = be32((uint32_t)(ns % 1000000000u));
	jbd2_commit_csum_set(c->j, block);
	return put_block(c, block);
}

/* Step 1: lock t, wait for its handles, take the frozen copies.
 * Return the number of copies (in *out, kmalloc'd array) or -errno. */
static int freeze(struct journal *j, struct jbd2_transaction *t, struct jbd2_cp ***out)
{
	guard(mutex)(&j->lock);
	t->locked = true;
	while (t->updates)
		condvar_wait(&j->updates_done, &j->lock);
	j->running = NULL;
	/* starters waiting on the locked transaction may go on */
	condvar_broadcast(&j->updates_done);
	struct jbd2_cp **cps = kzalloc(sizeof(*cps) * (t->nr_bufs + 1));
	if (!cps)
		return -ENOMEM;
	unsigned n = 0;
	while (!list_empty(&t->bufs)) {
		struct jbd2_jbuf *jb = list_first_entry(&t->bufs, struct jbd2_jbuf, node);
		list_del(&jb->node);
		list_del(&jb->hnode);
		struct jbd2_cp *cp = NULL;
		if (jb->dirty && (cp = kzalloc(sizeof(*cp))) && (cp->data = kmalloc(j->block_size))) {
			cp->blocknr = jb->blocknr;
			cp->seq = t->seq;
			cp->b = jb->b; /* our user count moves to the copy */
			memcpy(cp->data, jb->b->data, j->block_size);
			cps[n++] = cp;
		} else {
			if (jb->dirty) { /* no memory: this commit fails */
				kfree(cp);
				for (unsigned k = 0; k < n; k++)
					jbd2_cp_free(cps[k]);
				n = 0;
				kfree(cps);
				brelse(jb->b);
				kfree(jb);
				return -ENOMEM;
			}
			brelse(jb->b);
		}
		kfree(jb);
	}
	t->nr_bufs = 0;
	j->committing = cps;
	j->nr_committing = n;
	*out = cps;
	return (int)n;
}

/* Step 6, j->lock held: the copies join the checkpoint list. */
static void to_checkpoint(struct journal *j, struct jbd2_transaction *t, struct jbd2_cp **cps,
			  unsigned n)
{
	/* Older copies go: a newer one is committed, or the block is free. */
	for (unsigned i = 0; i < n + t->nr_revokes; i++) {
		struct jbd2_cp *old = jbd2_cp_find(j, i < n ? cps[i]->blocknr : t->revokes[i - n]);
		if (old) {
			jbd2_cp_unlink(j, old);
			jbd2_cp_free(old);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		list_add_tail(&cps[i]->node, &j->checkpoint);
		list_add(&cps[i]->hnode, &j->cp_hash[jbd2_hash(cps[i]->blocknr)]);
		j->nr_checkpoint++;
	}
	j->committing = NULL;
	j->nr_committing = 0;
}

int jbd2_commit_locked(struct journal *j)
{
	struct jbd2_cp **cps = NULL;
	int err;

	assert_mutex_held(&j->commit_lock);
	mutex_lock(&j->lock);
	struct jbd2_transaction *t = j->running;
	bool aborted = j->aborted;
	mutex_unlock(&j->lock);
	if (aborted)
		return -EIO;
	if (!t)
		return 0;
	int n = freeze(j, t, &cps);
	if (n < 0) {
		err = n;
		goto fail;
	}
	if (n == 0 && t->nr_revokes == 0) { /* nothing was changed */
		mutex_lock(&j->lock);
		j->committed_tid = t->tid;
		j->committing = NULL;
		j->nr_committing = 0;
		mutex_unlock(&j->lock);
		kfree(cps);
		kfree(t->revokes);
		kfree(t);
		return 0;
	}
	uint32_t need = jbd2_log_space(j, (unsigned)n, t->nr_revokes);
	if (need > j->free) {
		err = jbd2_checkpoint_locked(j);
		if (err)
			goto fail;
	}
	if (need > j->free) {
		err = -ENOSPC; /* cannot happen: start keeps transactions to a quarter */
		goto fail;
	}
	if (j->write_data) {
		err = j->write_data(j->write_data_arg);
		if (err)
			goto fail;
	}
	void *block = kmalloc(j->block_size), *copy = kmalloc(j->block_size);
	struct cursor c = { .j = j, .blk = j->head, .batch = kmalloc(COMMIT_BATCH_BYTES) };
	err = block && copy ? 0 : -ENOMEM;
	if (!err)
		err = write_revokes(&c, t, block);
	if (!err)
		err = write_blocks(&c, t, cps, (unsigned)n, block, copy);
	if (!err)
		err = put_flush(&c);
	if (!err)
		err = jbd2_flush(j);
	if (!err)
		err = write_commit(&c, t->seq, block);
	if (!err)
		err = put_flush(&c);
	if (!err)
		err = jbd2_flush(j);
	kfree(c.batch);
	kfree(block);
	kfree(copy);
	if (err)
		goto fail;
	mutex_lock(&j->lock);
	j->head = c.blk;
	j->head_seq = t->seq + 1;
	j->committed_tid = t->tid;
	j->free -= c.used;
	to_checkpoint(j, t, cps, (unsigned)n);
	j->nr_commits++;
	/* A transaction started meanwhile took head_seq before it moved. */
	if (j->running)
		j->running->seq = j->head_seq;
	bool full = j->free < (j->maxlen - j->first) / 2 || j->nr_checkpoint > 1024;
	mutex_unlock(&j->lock);
	kfree(cps);
	kfree(t->revokes);
	kfree(t);
	return full ? jbd2_checkpoint_locked(j) : 0;

fail:
	pr_err("jbd2 %s: commit of transaction %u failed (%d): journal aborted\n", j->name, t->seq,
	       err);
	mutex_lock(&j->lock);
	j->aborted = true;
	j->committing = NULL;
	j->nr_committing = 0;
	mutex_unlock(&j->lock);
	for (int k = 0; k < n; k++)
		jbd2_cp_free(cps[k]);
	kfree(cps);
	kfree(t->revokes);
	kfree(t);
	return err;
}
