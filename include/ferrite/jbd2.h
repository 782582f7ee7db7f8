/*
 * jbd2: the ext4 journal (src/fs/jbd2/, docs/jbd2.md). Independent of
 * ext4: a file system hands it the block device, its block size and
 * count, and where the journal's blocks lie on the device (a list of
 * runs, from the journal inode's extents), and gets back:
 *
 *   replay   jbd2_journal_load() + jbd2_journal_recover(): the three
 *            passes over a journal that needs recovery (mount time).
 *   writing  handles and transactions over block-cache buffers:
 *            jbd2_journal_start / get_write_access / dirty_metadata /
 *            revoke / stop, jbd2_journal_commit (ordered mode through a
 *            callback that writes the file system's data first), and
 *            jbd2_journal_checkpoint (metadata written in place, the log
 *            tail advanced).
 *
 * Ownership: struct journal is owned by the file system's mount (destroy
 * with jbd2_journal_destroy). A handle is owned by the task between
 * start and stop. The journal holds a user count on every buffer of the
 * running transaction (bread) until commit, and its own frozen copy of
 * every committed block until that block is checkpointed.
 *
 * Locking: j->lock (mutex) guards the running transaction, the
 * checkpoint list and the log head/tail; commit and checkpoint are
 * serialised by j->commit_lock (taken before j->lock).
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/mutex.h>
#include <ferrite/condvar.h>

struct block_device;
struct buffer;

/* Journal blocks [lblk, lblk + len) lie at device blocks [pblk, pblk + len). */
struct jbd2_run {
	uint32_t lblk;
	uint32_t len;
	uint64_t pblk;
};

/* What recovery found (for the mount message and the tests). */
struct jbd2_recovery_info {
	uint32_t start_seq, end_seq; /* transactions [start_seq, end_seq) were replayed */
	unsigned nr_replayed;        /* blocks written */
	unsigned nr_revoked;         /* blocks skipped: revoked by a later transaction */
	unsigned nr_revoke_records;
};

struct jbd2_transaction;
struct jbd2_cp;

#define JBD2_HASH 64 /* buckets of the per-block lookups */

struct journal {
	struct block_device *bd;  /* borrowed from the file system */
	unsigned block_size;
	uint64_t fs_blocks;       /* replayed and logged blocks must be below this */
	struct jbd2_run *runs;    /* owned, sorted by lblk, covering [0, maxlen) */
	unsigned nr_runs;
	char name[16];            /* for messages */

	/* From the superblock (checked at load). */
	void *sb_block;           /* owned: journal block 0 as read / as last written */
	uint32_t first, maxlen;   /* the log is [first, maxlen) */
	uint32_t compat, incompat;
	bool csum;                /* csum v2 or v3 */
	bool csum_v3;
	uint32_t csum_seed;       /* crc32c(~0, uuid) */
	unsigned tag_bytes;
	uint8_t uuid[16];

	/* The log. Lock: lock */
	struct mutex lock;
	struct mutex commit_lock; /* one commit or checkpoint at a time */
	struct condvar updates_done;
	uint32_t tail, tail_seq;  /* oldest block / transaction not checkpointed */
	uint32_t head, head_seq;  /* where the next transaction goes, its sequence */
	uint32_t free;            /* log blocks between head and tail */
	struct jbd2_transaction *running; /* or NULL */
	uint64_t last_tid;        /* the newest transaction's id (ids never repeat) */
	uint64_t committed_tid;   /* every transaction up to this id is committed */
	struct list_head checkpoint;      /* struct jbd2_cp: committed, not yet in place */
	struct list_head cp_hash[JBD2_HASH]; /* the same, by block number */
	unsigned nr_checkpoint;
	struct jbd2_cp **committing;      /* the copies a commit is writing, or NULL */
	unsigned nr_committing;
	uint32_t max_txn_blocks;  /* a handle past this makes start commit first */
	bool aborted;             /* a write failed: everything after is -EIO */
	/* Ordered mode: write the file system's data before a commit. */
	int (*write_data)(void *arg);
	void *write_data_arg;
	/* Counters (tests). */
	unsigned long nr_commits, nr_checkpoints;
	struct list_head node;    /* on the commit thread's list (thread.c) */
};

#define JBD2_COMMIT_INTERVAL_MS 5000

struct jbd2_handle {
	struct journal *j;
	struct jbd2_transaction *t;
	unsigned credits;         /* blocks still allowed in this handle */
};

/*
 * Read and check the journal superblock. runs: the journal's blocks on
 * the device (copied). Return: a new journal, or ERR_PTR(-EUCLEAN) (bad
 * superblock, mapping or checksum), -EINVAL (unknown incompatible
 * features, a block size other than the file system's), -EIO, -ENOMEM.
 */
struct journal *jbd2_journal_load(struct block_device *bd, unsigned block_size,
				  uint64_t fs_blocks, const struct jbd2_run *runs,
				  unsigned nr_runs, const char *name);
void jbd2_journal_destroy(struct journal *j);
/* Does the log hold transactions (s_start != 0)? */
bool jbd2_journal_needs_recovery(const struct journal *j);
/*
 * Replay the log: scan to its end, collect revokes, write every logged
 * block not revoked by a later (or the same) transaction to its place,
 * FLUSH, then mark the journal empty (s_start 0, the sequence past the
 * last transaction seen) and FLUSH again. The device must be writable.
 * Return 0 (info filled when not NULL) or -EUCLEAN (a checksum failed or
 * a block number lies outside the file system: nothing is marked empty,
 * blocks may have been written), -EIO.
 */
int jbd2_journal_recover(struct journal *j, struct jbd2_recovery_info *info);

/* Turn on checksums v3 (as Linux does when the file system has
 * metadata_csum) on an empty journal; takes effect at begin. */
int jbd2_journal_enable_csum_v3(struct journal *j);

/*
 * The writing side. jbd2_journal_begin() readies a loaded, empty journal
 * (recover first) for transactions: sets s_start so that a crash from now
 * on is replayed. jbd2_journal_end() commits, checkpoints and marks the
 * journal empty again (clean umount).
 */
int jbd2_journal_begin(struct journal *j, int (*write_data)(void *arg), void *arg);
int jbd2_journal_end(struct journal *j);
/* Start a handle that will dirty at most nblocks metadata blocks. May
 * commit the running transaction first (journal nearly full). 0 or -EIO
 * (aborted), -ENOSPC (nblocks larger than a transaction may be). */
int jbd2_journal_start(struct journal *j, unsigned nblocks, struct jbd2_handle *h);
/* The caller will change b: it joins the running transaction (the
 * journal takes a user count on it). Call before changing b's data. */
int jbd2_journal_get_write_access(struct jbd2_handle *h, struct buffer *b);
/* b (joined) has been changed. */
int jbd2_journal_dirty_metadata(struct jbd2_handle *h, struct buffer *b);
/* Block blocknr was metadata and is freed: no older copy of it in the
 * log may be replayed, and it is not written in place any more. */
int jbd2_journal_revoke(struct jbd2_handle *h, uint64_t blocknr);
int jbd2_journal_stop(struct jbd2_handle *h);
/* Commit the running transaction (if any) and wait until it is durable. */
int jbd2_journal_commit(struct journal *j);
/* Write every committed block in place, FLUSH, and move the log tail
 * (the journal superblock) past them. */
int jbd2_journal_checkpoint(struct journal *j);
/* The commit thread (kernel only, src/fs/jbd2/thread.c) commits every
 * registered journal every JBD2_COMMIT_INTERVAL_MS. Unregister before
 * jbd2_journal_end/destroy. */
void jbd2_journal_register(struct journal *j);
void jbd2_journal_unregister(struct journal *j);
/* sync(2): commit every registered journal and wait. */
void jbd2_commit_all(void);
/* The id of h's transaction: unlike its sequence number (which a commit
 * in progress renumbers), it never changes or repeats. */
uint64_t jbd2_handle_tid(const struct jbd2_handle *h);
/* Has the transaction with this id committed (it is durable)? A block
 * that transaction freed may be reused from then on: before, a cut would
 * bring the block's old owner back (and a checkpoint of an older logged
 * copy could overwrite the new contents). */
bool jbd2_tid_committed(struct journal *j, uint64_t tid);
/* Is block nr in a running or committed transaction not yet in place
 * (so write-back must leave the cached copy to the journal)? */
bool jbd2_journal_owns(struct journal *j, uint64_t nr);
