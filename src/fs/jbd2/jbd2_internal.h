/*
 * Private to src/fs/jbd2: shared between journal.c (load, superblock,
 * block I/O, checksums), revoke.c (the revoke table), recovery.c (replay)
 * and transaction.c / commit.c / checkpoint.c (the writing side).
 */
#pragma once
#include <ferrite/jbd2.h>
#include <ferrite/list.h>
#include "jbd2_disk.h"

#define JBD2_DEBUG 0

/* Device block of journal block lblk, or 0 when lblk is past the journal. */
uint64_t jbd2_bmap(const struct journal *j, uint32_t lblk);
/* Read / write journal block lblk into / from buf (block_size bytes of
 * direct-map memory). 0, -EIO, -EUCLEAN (not mapped). */
int jbd2_read_block(struct journal *j, uint32_t lblk, void *buf);
int jbd2_write_block(struct journal *j, uint32_t lblk, const void *buf);
/* Write n device blocks from pblk (log blocks the caller mapped). */
int jbd2_write_dev_blocks(struct journal *j, uint64_t pblk, const void *buf, unsigned n);
/* Write file-system block nr (checked against fs_blocks) from buf. */
int jbd2_write_fs_block(struct journal *j, uint64_t nr, const void *buf);
int jbd2_flush(struct journal *j);
/* Next log block after lblk (the log wraps from maxlen to first). */
static inline uint32_t jbd2_next(const struct journal *j, uint32_t lblk)
{
	return lblk + 1 >= j->maxlen ? j->first : lblk + 1;
}
/* Write the superblock with s_start = start, s_sequence = seq (checksum
 * updated), then FLUSH. */
int jbd2_write_super(struct journal *j, uint32_t start, uint32_t seq);

/* Checksums (csum v2/v3; each returns true when the feature is off). */
bool jbd2_tail_csum_ok(const struct journal *j, const void *block);
void jbd2_tail_csum_set(const struct journal *j, void *block);
bool jbd2_commit_csum_ok(const struct journal *j, const void *block);
void jbd2_commit_csum_set(const struct journal *j, void *block);
uint32_t jbd2_block_csum(const struct journal *j, uint32_t seq, const void *data);

/* Tags: read the tag at p (tag_bytes bytes). */
struct jbd2_tag_info {
	uint64_t blocknr;
	unsigned flags;
	uint32_t csum;   /* v3: 32 bits, v2: the low 16 */
};
void jbd2_tag_read(const struct journal *j, const void *p, struct jbd2_tag_info *t);
void jbd2_tag_write(const struct journal *j, void *p, const struct jbd2_tag_info *t);
/* Bytes a descriptor block can use for tags (tail excluded). */
static inline unsigned jbd2_descr_room(const struct journal *j)
{
	return j->block_size - (j->csum ? sizeof(struct jbd2_block_tail) : 0);
}
/* Bytes of a revoke record. */
static inline unsigned jbd2_revoke_rec(const struct journal *j)
{
	return (j->incompat & JBD2_FEATURE_INCOMPAT_64BIT) ? 8 : 4;
}

/* The revoke table: block -> newest sequence that revoked it. */
struct jbd2_revoke_table;
struct jbd2_revoke_table *jbd2_revoke_table_new(void);
void jbd2_revoke_table_free(struct jbd2_revoke_table *rt);
/* Record a revoke of nr by transaction seq (the newest one wins). */
int jbd2_revoke_set(struct jbd2_revoke_table *rt, uint64_t nr, uint32_t seq);
/* Is nr, logged by transaction seq, revoked by seq or a later one? */
bool jbd2_revoke_test(const struct jbd2_revoke_table *rt, uint64_t nr, uint32_t seq);
size_t jbd2_revoke_count(const struct jbd2_revoke_table *rt);

/* Sequence numbers wrap: a is after b. */
static inline bool tid_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}
static inline bool tid_geq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) >= 0;
}

/* transaction.c: free the running transaction and the checkpoint list
 * without writing anything (destroy, or after an abort). */
void jbd2_journal_forget_all(struct journal *j);

/* A buffer joined to the running transaction (the journal holds a user
 * count on b). Lock: j->lock */
struct jbd2_jbuf {
	struct list_head node;
	struct list_head hnode;  /* in t->hash */
	struct buffer *b;
	uint64_t blocknr;
	bool dirty;
};

struct jbd2_transaction {
	uint32_t seq;
	uint64_t tid;            /* jbd2_handle_tid: fixed, unique */
	struct list_head bufs;   /* struct jbd2_jbuf */
	struct list_head hash[JBD2_HASH]; /* the same, by block number */
	unsigned nr_bufs;
	uint64_t *revokes;       /* blocks freed by this transaction */
	unsigned nr_revokes, cap_revokes;
	unsigned updates;        /* handles open on it */
	unsigned reserved;       /* credits their starts asked for */
	bool locked;             /* committing: waits for updates to reach 0 */
};

/* A committed block waiting to be written in place: the journal's frozen
 * copy of it as committed, and a user count on the cached buffer so the
 * newer bytes there are not evicted (the device's copy is older). */
struct jbd2_cp {
	struct list_head node;
	struct list_head hnode;  /* in j->cp_hash */
	uint64_t blocknr;
	uint32_t seq;
	void *data;              /* block_size bytes, owned */
	struct buffer *b;        /* user count */
};

static inline unsigned jbd2_hash(uint64_t nr)
{
	return (unsigned)(nr * 0x9e3779b97f4a7c15ull >> 58) % JBD2_HASH;
}
/* The committed copy of nr waiting for checkpoint, or NULL. j->lock held. */
struct jbd2_cp *jbd2_cp_find(struct journal *j, uint64_t nr);
/* Take cp off the checkpoint list (j->lock held; the caller frees it). */
void jbd2_cp_unlink(struct journal *j, struct jbd2_cp *cp);

/* commit.c: with commit_lock held. */
int jbd2_commit_locked(struct journal *j);
/* transaction.c: with commit_lock held (not j->lock). */
int jbd2_checkpoint_locked(struct journal *j);
/* Log blocks a transaction of nbufs blocks and nrevokes revokes needs. */
uint32_t jbd2_log_space(const struct journal *j, unsigned nbufs, unsigned nrevokes);
void jbd2_cp_free(struct jbd2_cp *cp);
