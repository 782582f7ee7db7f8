/*
 * The writing side of jbd2, part 1: handles, the running transaction,
 * checkpointing, begin/end of a mount's use of the journal. Part 2,
 * the commit, is commit.c. See docs/jbd2.md for the protocol.
 *
 * Locking: j->commit_lock (one commit or checkpoint at a time) is taken
 * before j->lock. j->lock guards running, the checkpoint list, head,
 * tail and free. A committing transaction is "locked" until its handles
 * are gone and its buffers are copied; jbd2_journal_start waits on
 * j->updates_done meanwhile, so no handle of the next transaction can
 * change a buffer before its committed copy is taken. Handles do not
 * nest (one per task at a time): start may commit, which waits for every
 * open handle.
 */
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "jbd2_internal.h"

void jbd2_cp_free(struct jbd2_cp *cp)
{
	brelse(cp->b);
	kfree(cp->data);
	kfree(cp);
}

static void transaction_free(struct jbd2_transaction *t)
{
	while (!list_empty(&t->bufs)) {
		struct jbd2_jbuf *jb = list_first_entry(&t->bufs, struct jbd2_jbuf, node);
		list_del(&jb->node);
		list_del(&jb->hnode);
		brelse(jb->b);
		kfree(jb);
	}
	kfree(t->revokes);
	kfree(t);
}

struct jbd2_cp *jbd2_cp_find(struct journal *j, uint64_t nr)
{
	struct jbd2_cp *cp;

	list_for_each_entry(cp, &j->cp_hash[jbd2_hash(nr)], hnode)
		if (cp->blocknr == nr)
			return cp;
	return NULL;
}

void jbd2_cp_unlink(struct journal *j, struct jbd2_cp *cp)
{
	list_del(&cp->node);
	list_del(&cp->hnode);
	j->nr_checkpoint--;
}

void jbd2_journal_forget_all(struct journal *j)
{
	if (j->running)
		transaction_free(j->running);
	j->running = NULL;
	while (!list_empty(&j->checkpoint)) {
		struct jbd2_cp *cp = list_first_entry(&j->checkpoint, struct jbd2_cp, node);
		jbd2_cp_unlink(j, cp);
		jbd2_cp_free(cp);
	}
}

uint32_t jbd2_log_space(const struct journal *j, unsigned nbufs, unsigned nrevokes)
{
	unsigned room = jbd2_descr_room(j) - sizeof(struct jbd2_header);
	unsigned per_descr = (room - 16) / j->tag_bytes; /* one UUID per block */
	unsigned per_revoke = (jbd2_descr_room(j) - sizeof(struct jbd2_revoke_header)) /
			      jbd2_revoke_rec(j);

	return nbufs + (nbufs + per_descr - 1) / per_descr +
	       (nrevokes + per_revoke - 1) / per_revoke + 1;
}

int jbd2_journal_begin(struct journal *j, int (*write_data)(void *arg), void *arg)
{
	if (jbd2_journal_needs_recovery(j))
		return -EUCLEAN;
	if (j->compat & JBD2_FEATURE_COMPAT_CHECKSUM)
		return -EINVAL; /* v1 commit checksums (crc32) are not written */
	guard(mutex)(&j->commit_lock);
	j->write_data = write_data;
	j->write_data_arg = arg;
	j->head = j->tail = j->first;
	j->head_seq = j->tail_seq;
	j->free = j->maxlen - j->first;
	/* Linux's limit: a quarter of the log per transaction. */
	j->max_txn_blocks = (j->maxlen - j->first) / 4;
	return jbd2_write_super(j, j->tail, j->tail_seq);
}

int jbd2_journal_end(struct journal *j)
{
	int err = jbd2_journal_commit(j);

	guard(mutex)(&j->commit_lock);
	if (!err)
		err = jbd2_checkpoint_locked(j);
	if (!err) {
		err = jbd2_write_super(j, 0, j->head_seq);
		j->tail = 0;
		j->tail_seq = j->head_seq;
	}
	return err;
}

int jbd2_journal_start(struct journal *j, unsigned nblocks, struct jbd2_handle *h)
{
	mutex_lock(&j->lock);
	for (;;) {
		if (j->aborted) {
			mutex_unlock(&j->lock);
			return -EIO;
		}
		if (nblocks > j->max_txn_blocks) {
			mutex_unlock(&j->lock);
			return -ENOSPC;
		}
		struct jbd2_transaction *t = j->running;
		if (t && t->locked) {
			condvar_wait(&j->updates_done, &j->lock);
			continue;
		}
		if (t && t->reserved + nblocks > j->max_txn_blocks) {
			/* Full: commit it (waits for its handles) and start anew. */
			mutex_unlock(&j->lock);
			int err = jbd2_journal_commit(j);
			if (err)
				return err;
			mutex_lock(&j->lock);
			continue;
		}
		if (!t) {
			t = kzalloc(sizeof(*t));
			if (!t) {
				mutex_unlock(&j->lock);
				return -ENOMEM;
			}
			t->seq = j->head_seq;
			t->tid = ++j->last_tid;
			list_init(&t->bufs);
			for (unsigned i = 0; i < JBD2_HASH; i++)
				list_init(&t->hash[i]);
			j->running = t;
		}
		t->updates++;
		t->reserved += nblocks;
		h->j = j;
		h->t = t;
		h->credits = nblocks;
		mutex_unlock(&j->lock);
		return 0;
	}
}

static struct jbd2_jbuf *find_jbuf(struct jbd2_transaction *t, uint64_t nr)
{
	struct jbd2_jbuf *jb;

	list_for_each_entry(jb, &t->hash[jbd2_hash(nr)], hnode)
		if (jb->blocknr == nr)
			return jb;
	return NULL;
}

int jbd2_journal_get_write_access(struct jbd2_handle *h, struct buffer *b)
{
	struct journal *j = h->j;
	struct jbd2_transaction *t = h->t;

	if (b->size != j->block_size || b->bd != j->bd || b->block >= j->fs_blocks)
		return -EINVAL;
	guard(mutex)(&j->lock);
	if (j->aborted)
		return -EIO;
	if (find_jbuf(t, b->block))
		return 0;
	if (h->credits == 0) {
		/* More than the handle said: allowed while the transaction
		 * still fits in the log, which a checkpoint empties before the
		 * commit if need be: up to three quarters of it (reported once). */
		static bool warned;
		if (t->reserved + 1 > 3 * j->max_txn_blocks ||
		    jbd2_log_space(j, t->nr_bufs + 1, t->nr_revokes) >= j->maxlen - j->first)
			return -ENOSPC;
		if (!warned) {
			warned = true;
			pr_warn("jbd2 %s: a handle used more blocks than it reserved\n", j->name);
		}
		t->reserved++;
		h->credits++;
	}
	struct jbd2_jbuf *jb = kzalloc(sizeof(*jb));
	if (!jb)
		return -ENOMEM;
	/* Our own user count: the same cached buffer, found by its key. */
	jb->b = bread(b->bd, b->block, b->size);
	if (IS_ERR(jb->b)) {
		int err = (int)PTR_ERR(jb->b);
		kfree(jb);
		return err;
	}
	jb->blocknr = b->block;
	list_add_tail(&jb->node, &t->bufs);
	list_add(&jb->hnode, &t->hash[jbd2_hash(jb->blocknr)]);
	t->nr_bufs++;
	h->credits--;
	/* Metadata again: a revoke of it earlier in this transaction is void. */
	for (unsigned i = 0; i < t->nr_revokes; i++) {
		if (t->revokes[i] == b->block) {
			t->revokes[i] = t->revokes[--t->nr_revokes];
			break;
		}
	}
	return 0;
}

int jbd2_journal_dirty_metadata(struct jbd2_handle *h, struct buffer *b)
{
	guard(mutex)(&h->j->lock);
	struct jbd2_jbuf *jb = find_jbuf(h->t, b->block);
	if (!jb)
		return -EINVAL;
	jb->dirty = true;
	return 0;
}

int jbd2_journal_revoke(struct jbd2_handle *h, uint64_t nr)
{
	struct journal *j = h->j;
	struct jbd2_transaction *t = h->t;

	if (nr >= j->fs_blocks)
		return -EINVAL;
	guard(mutex)(&j->lock);
	if (!(j->incompat & JBD2_FEATURE_INCOMPAT_REVOKE))
		return 0; /* without revoke records an old copy may be replayed (ext3 did so) */
	struct jbd2_jbuf *jb = find_jbuf(t, nr);
	if (jb) { /* freed in the transaction that changed it: nothing to log */
		list_del(&jb->node);
		list_del(&jb->hnode);
		t->nr_bufs--;
		brelse(jb->b);
		kfree(jb);
	}
	/* A revoke record matters only when the log holds (or a commit is
	 * writing) a copy of the block; the checkpoint empties the whole log,
	 * so those are exactly the checkpoint list and the committing copies.
	 * File systems may so revoke every block they free. */
	struct jbd2_cp *cp = jbd2_cp_find(j, nr);
	bool logged = cp;
	if (cp) {
		/* Put the committed copy in place now and forget it: a
		 * checkpoint must not write it later over whatever the block
		 * holds once reused (file data goes straight to the device).
		 * Until this transaction commits, the committed state is
		 * what a crash must show, and it is on the disk. */
		int err = jbd2_write_fs_block(j, nr, cp->data);
		if (err) {
			j->aborted = true;
			return err;
		}
		jbd2_cp_unlink(j, cp);
		jbd2_cp_free(cp);
	}
	for (unsigned i = 0; i < j->nr_committing && !logged; i++)
		logged = j->committing[i]->blocknr == nr;
	if (!logged)
		return 0;
	for (unsigned i = 0; i < t->nr_revokes; i++)
		if (t->revokes[i] == nr)
			return 0;
	if (t->nr_revokes == t->cap_revokes) {
		unsigned cap = t->cap_revokes ? t->cap_revokes * 2 : 16;
		uint64_t *n = kmalloc(sizeof(*n) * cap);
		if (!n)
			return -ENOMEM;
		if (t->nr_revokes)
			memcpy(n, t->revokes, sizeof(*n) * t->nr_revokes);
		kfree(t->revokes);
		t->revokes = n;
		t->cap_revokes = cap;
	}
	t->revokes[t->nr_revokes++] = nr;
	return 0;
}

int jbd2_journal_stop(struct jbd2_handle *h)
{
	struct journal *j = h->j;

	guard(mutex)(&j->lock);
	if (--h->t->updates == 0)
		condvar_broadcast(&j->updates_done);
	h->t = NULL;
	return j->aborted ? -EIO : 0;
}

int jbd2_journal_commit(struct journal *j)
{
	guard(mutex)(&j->commit_lock);
	return jbd2_commit_locked(j);
}

int jbd2_journal_checkpoint(struct journal *j)
{
	guard(mutex)(&j->commit_lock);
	return jbd2_checkpoint_locked(j);
}

int jbd2_checkpoint_locked(struct journal *j)
{
	struct list_head done;
	int err = 0;

	assert_mutex_held(&j->commit_lock);
	list_init(&done);
	mutex_lock(&j->lock);
	if (j->aborted) {
		mutex_unlock(&j->lock);
		return -EIO;
	}
	/* Only commit (under commit_lock, which we hold) adds entries. */
	while (!list_empty(&j->checkpoint)) {
		struct jbd2_cp *cp = list_first_entry(&j->checkpoint, struct jbd2_cp, node);
		jbd2_cp_unlink(j, cp);
		list_add_tail(&cp->node, &done);
	}
	mutex_unlock(&j->lock);

	struct jbd2_cp *cp;
	list_for_each_entry(cp, &done, node) {
		err = jbd2_write_fs_block(j, cp->blocknr, cp->data);
		if (err)
			break;
	}
	if (!err)
		err = jbd2_flush(j);
	/* Everything committed is in place: the log is empty from head on. */
	if (!err)
		err = jbd2_write_super(j, j->head, j->head_seq);
	mutex_lock(&j->lock);
	if (err) {
		j->aborted = true;
	} else {
		j->tail = j->head;
		j->tail_seq = j->head_seq;
		j->free = j->maxlen - j->first;
		j->nr_checkpoints++;
	}
	mutex_unlock(&j->lock);
	while (!list_empty(&done)) {
		cp = list_first_entry(&done, struct jbd2_cp, node);
		list_del(&cp->node);
		jbd2_cp_free(cp);
	}
	return err;
}

uint64_t jbd2_handle_tid(const struct jbd2_handle *h)
{
	return h->t->tid; /* fixed while the handle is open */
}

bool jbd2_tid_committed(struct journal *j, uint64_t tid)
{
	guard(mutex)(&j->lock);
	return tid <= j->committed_tid;
}

bool jbd2_journal_owns(struct journal *j, uint64_t nr)
{
	guard(mutex)(&j->lock);
	return (j->running && find_jbuf(j->running, nr)) || jbd2_cp_find(j, nr);
}
