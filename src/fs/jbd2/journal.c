/*
 * jbd2 journal: loading and checking the journal superblock, the mapping
 * of journal blocks onto the device, block I/O, checksums and tags. The
 * journal's own I/O bypasses the block cache (blkdev_read/blkdev_write
 * into kmalloc'd blocks): log blocks are written once and read only by
 * recovery, and replayed blocks reach the device before the file system
 * reads anything (it drops its cached buffers after a replay).
 *
 * Locking: none here; struct journal's fixed fields are set at load and
 * then only read; the superblock copy is written under j->commit_lock or
 * before the journal is shared.
 */
#include <ferrite/block.h>
#include <ferrite/crc32c.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "jbd2_internal.h"

#define JBD2_MIN_JOURNAL_BLOCKS 1024 /* as Linux: mkfs never makes fewer */

uint64_t jbd2_bmap(const struct journal *j, uint32_t lblk)
{
	unsigned lo = 0, hi = j->nr_runs;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct jbd2_run *r = &j->runs[mid];
		if (lblk < r->lblk)
			hi = mid;
		else if (lblk - r->lblk >= r->len)
			lo = mid + 1;
		else
			return r->pblk + (lblk - r->lblk);
	}
	return 0;
}

static uint64_t sector_of(const struct journal *j, uint64_t blk)
{
	return blk * (j->block_size / SECTOR_SIZE);
}

int jbd2_read_block(struct journal *j, uint32_t lblk, void *buf)
{
	uint64_t p = jbd2_bmap(j, lblk);

	if (!p)
		return -EUCLEAN;
	int err = blkdev_read(j->bd, sector_of(j, p), buf, j->block_size / SECTOR_SIZE);
	return err ? -EIO : 0;
}

int jbd2_write_block(struct journal *j, uint32_t lblk, const void *buf)
{
	uint64_t p = jbd2_bmap(j, lblk);

	if (!p)
		return -EUCLEAN;
	int err = blkdev_write(j->bd, sector_of(j, p), buf, j->block_size / SECTOR_SIZE);
	return err == -EROFS ? err : err ? -EIO : 0;
}

int jbd2_write_dev_blocks(struct journal *j, uint64_t pblk, const void *buf, unsigned n)
{
	int err = blkdev_write(j->bd, sector_of(j, pblk), buf, (size_t)n * (j->block_size / SECTOR_SIZE));
	return err == -EROFS ? err : err ? -EIO : 0;
}

int jbd2_write_fs_block(struct journal *j, uint64_t nr, const void *buf)
{
	if (nr >= j->fs_blocks)
		return -EUCLEAN;
	int err = blkdev_write(j->bd, sector_of(j, nr), buf, j->block_size / SECTOR_SIZE);
	return err == -EROFS ? err : err ? -EIO : 0;
}

int jbd2_flush(struct journal *j)
{
	return blkdev_flush(j->bd) ? -EIO : 0;
}

/* ---- checksums (crc32c, seeded with crc32c(~0, uuid)) ---- */

static uint32_t sb_csum(const struct jbd2_superblock *sb)
{
	struct jbd2_superblock copy;

	memcpy(&copy, sb, sizeof(copy));
	copy.s_checksum = 0;
	return crc32c(~0u, &copy, sizeof(copy));
}

bool jbd2_tail_csum_ok(const struct journal *j, const void *block)
{
	if (!j->csum)
		return true;
	struct jbd2_block_tail *tail = (void *)((char *)block + j->block_size - sizeof(*tail));
	uint32_t want = be32(tail->t_checksum);
	tail->t_checksum = 0; /* the caller's private copy */
	uint32_t got = crc32c(j->csum_seed, block, j->block_size);
	tail->t_checksum = be32(want);
	return got == want;
}

void jbd2_tail_csum_set(const struct journal *j, void *block)
{
	if (!j->csum)
		return;
	struct jbd2_block_tail *tail = (void *)((char *)block + j->block_size - sizeof(*tail));
	tail->t_checksum = 0;
	tail->t_checksum = be32(crc32c(j->csum_seed, block, j->block_size));
}

bool jbd2_commit_csum_ok(const struct journal *j, const void *block)
{
	if (!j->csum)
		return true;
	struct jbd2_commit_block *c = (void *)block;
	uint32_t want = be32(c->h_chksum[0]);
	c->h_chksum[0] = 0;
	uint32_t got = crc32c(j->csum_seed, block, j->block_size);
	c->h_chksum[0] = be32(want);
	return got == want;
}

void jbd2_commit_csum_set(const struct journal *j, void *block)
{
	if (!j->csum)
		return;
	struct jbd2_commit_block *c = block;
	c->h_chksum_type = 0;
	c->h_chksum_size = 0;
	c->h_chksum[0] = 0;
	c->h_chksum[0] = be32(crc32c(j->csum_seed, block, j->block_size));
}

uint32_t jbd2_block_csum(const struct journal *j, uint32_t seq, const void *data)
{
	uint32_t s = be32(seq);

	return crc32c(crc32c(j->csum_seed, &s, sizeof(s)), data, j->block_size);
}

/* ---- tags ---- */

void jbd2_tag_read(const struct journal *j, const void *p, struct jbd2_tag_info *t)
{
	bool wide = j->incompat & JBD2_FEATURE_INCOMPAT_64BIT;

	if (j->csum_v3) {
		struct jbd2_tag3 tag;
		memcpy(&tag, p, sizeof(tag));
		t->blocknr = be32(tag.t_blocknr) | (wide ? (uint64_t)be32(tag.t_blocknr_high) << 32 : 0);
		t->flags = be32(tag.t_flags);
		t->csum = be32(tag.t_checksum);
		return;
	}
	struct jbd2_tag tag;
	memset(&tag, 0, sizeof(tag));
	memcpy(&tag, p, MIN(sizeof(tag), (size_t)j->tag_bytes));
	t->blocknr = be32(tag.t_blocknr) | (wide ? (uint64_t)be32(tag.t_blocknr_high) << 32 : 0);
	t->flags = be16(tag.t_flags);
	t->csum = be16(tag.t_checksum);
}

void jbd2_tag_write(const struct journal *j, void *p, const struct jbd2_tag_info *t)
{
	if (j->csum_v3) {
		struct jbd2_tag3 tag = {
			.t_blocknr = be32((uint32_t)t->blocknr),
			.t_flags = be32(t->flags),
			.t_blocknr_high = be32((uint32_t)(t->blocknr >> 32)),
			.t_checksum = be32(t->csum),
		};
		memcpy(p, &tag, sizeof(tag));
		return;
	}
	struct jbd2_tag tag = {
		.t_blocknr = be32((uint32_t)t->blocknr),
		.t_checksum = be16((uint16_t)t->csum),
		.t_flags = be16((uint16_t)t->flags),
		.t_blocknr_high = be32((uint32_t)(t->blocknr >> 32)),
	};
	memcpy(p, &tag, j->tag_bytes);
}

/* ---- the superblock ---- */

int jbd2_write_super(struct journal *j, uint32_t start, uint32_t seq)
{
	struct jbd2_superblock *sb = j->sb_block;

	sb->s_start = be32(start);
	sb->s_sequence = be32(seq);
	sb->s_errno = 0;
	if (j->csum)
		sb->s_checksum = be32(sb_csum(sb));
	int err = jbd2_write_block(j, 0, j->sb_block);
	return err ? err : jbd2_flush(j);
}

bool jbd2_journal_needs_recovery(const struct journal *j)
{
	return ((const struct jbd2_superblock *)j->sb_block)->s_start != 0;
}

#define BAD(err, j, fmt, ...)                                                         \
	({                                                                            \
		pr_err("jbd2 %s: cannot load the journal: " fmt "\n", (j)->name, ##__VA_ARGS__); \
		(err);                                                                \
	})

/* The runs must cover journal blocks 0.. in order, inside the file system. */
static int check_runs(struct journal *j)
{
	uint32_t next = 0;

	for (unsigned i = 0; i < j->nr_runs; i++) {
		const struct jbd2_run *r = &j->runs[i];
		if (r->lblk != next || r->len == 0 || r->pblk == 0 || r->pblk >= j->fs_blocks ||
		    r->len > j->fs_blocks - r->pblk)
			return BAD(-EUCLEAN, j, "journal blocks %u+%u at %llu: not a valid mapping",
				   r->lblk, r->len, (unsigned long long)r->pblk);
		next += r->len;
	}
	return next ? 0 : BAD(-EUCLEAN, j, "the journal has no blocks");
}

static int check_super(struct journal *j)
{
	struct jbd2_superblock *sb = j->sb_block;
	uint32_t type = be32(sb->s_header.h_blocktype);
	uint32_t mapped = j->runs[j->nr_runs - 1].lblk + j->runs[j->nr_runs - 1].len;

	if (be32(sb->s_header.h_magic) != JBD2_MAGIC ||
	    (type != JBD2_SUPERBLOCK_V1 && type != JBD2_SUPERBLOCK_V2))
		return BAD(-EUCLEAN, j, "no journal superblock");
	if (be32(sb->s_blocksize) != j->block_size)
		return BAD(-EINVAL, j, "journal block size %u, file system %u", be32(sb->s_blocksize),
			   j->block_size);
	j->maxlen = be32(sb->s_maxlen);
	j->first = be32(sb->s_first);
	if (j->maxlen < JBD2_MIN_JOURNAL_BLOCKS || j->maxlen > mapped || j->first == 0 ||
	    j->first >= j->maxlen)
		return BAD(-EUCLEAN, j, "bad journal geometry: %u blocks from %u (%u mapped)", j->maxlen,
			   j->first, mapped);
	if (type == JBD2_SUPERBLOCK_V2) {
		j->compat = be32(sb->s_feature_compat);
		j->incompat = be32(sb->s_feature_incompat);
	}
	if (j->incompat & ~JBD2_KNOWN_INCOMPAT)
		return BAD(-EINVAL, j, "unsupported journal features 0x%x",
			   j->incompat & ~JBD2_KNOWN_INCOMPAT);
	bool v2 = j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V2;
	j->csum_v3 = j->incompat & JBD2_FEATURE_INCOMPAT_CSUM_V3;
	j->csum = v2 || j->csum_v3;
	if (v2 && j->csum_v3)
		return BAD(-EUCLEAN, j, "both checksum v2 and v3");
	if (j->csum) {
		if (sb->s_checksum_type != JBD2_CRC32C_CHKSUM)
			return BAD(-EUCLEAN, j, "unknown checksum type %u", sb->s_checksum_type);
		if (sb_csum(sb) != be32(sb->s_checksum))
			return BAD(-EUCLEAN, j, "journal superblock checksum does not match");
	}
	uint32_t start = be32(sb->s_start);
	if (start && (start < j->first || start >= j->maxlen))
		return BAD(-EUCLEAN, j, "log start %u outside [%u, %u)", start, j->first, j->maxlen);
	memcpy(j->uuid, sb->s_uuid, sizeof(j->uuid));
	j->csum_seed = crc32c(~0u, j->uuid, sizeof(j->uuid));
	if (j->csum_v3) {
		j->tag_bytes = sizeof(struct jbd2_tag3);
	} else {
		j->tag_bytes = sizeof(struct jbd2_tag) + (v2 ? 2 : 0);
		if (!(j->incompat & JBD2_FEATURE_INCOMPAT_64BIT))
			j->tag_bytes -= 4;
	}
	j->tail = start;
	j->tail_seq = be32(sb->s_sequence);
	return 0;
}

struct journal *jbd2_journal_load(struct block_device *bd, unsigned block_size,
				  uint64_t fs_blocks, const struct jbd2_run *runs,
				  unsigned nr_runs, const char *name)
{
	if (!nr_runs || block_size < 1024 || block_size > 4096 || (block_size & (block_size - 1)))
		return ERR_PTR(-EINVAL);
	__free(kfree) struct journal *j = kzalloc(sizeof(*j));
	if (!j)
		return ERR_PTR(-ENOMEM);
	ksnprintf(j->name, sizeof(j->name), "%s", name);
	j->bd = bd;
	j->block_size = block_size;
	j->fs_blocks = fs_blocks;
	mutex_init(&j->lock);
	mutex_init(&j->commit_lock);
	condvar_init(&j->updates_done);
	list_init(&j->checkpoint);
	for (unsigned i = 0; i < JBD2_HASH; i++)
		list_init(&j->cp_hash[i]);
	j->runs = kmalloc(sizeof(*runs) * nr_runs);
	j->sb_block = kzalloc(block_size);
	if (!j->runs || !j->sb_block) {
		jbd2_journal_destroy(take_ptr(j));
		return ERR_PTR(-ENOMEM);
	}
	memcpy(j->runs, runs, sizeof(*runs) * nr_runs);
	j->nr_runs = nr_runs;
	int err = check_runs(j);
	if (!err)
		err = jbd2_read_block(j, 0, j->sb_block);
	if (!err)
		err = check_super(j);
	if (err) {
		jbd2_journal_destroy(take_ptr(j));
		return ERR_PTR(err);
	}
	return take_ptr(j);
}

void jbd2_journal_destroy(struct journal *j)
{
	if (!j)
		return;
	jbd2_journal_forget_all(j);
	kfree(j->runs);
	kfree(j->sb_block);
	kfree(j);
}

int jbd2_journal_enable_csum_v3(struct journal *j)
{
	struct jbd2_superblock *sb = j->sb_block;

	if (jbd2_journal_needs_recovery(j))
		return -EBUSY;
	if (be32(sb->s_header.h_blocktype) != JBD2_SUPERBLOCK_V2)
		return -EINVAL;
	j->incompat = (j->incompat & ~JBD2_FEATURE_INCOMPAT_CSUM_V2) | JBD2_FEATURE_INCOMPAT_CSUM_V3;
	j->compat &= ~JBD2_FEATURE_COMPAT_CHECKSUM;
	sb->s_feature_incompat = be32(j->incompat);
	sb->s_feature_compat = be32(j->compat);
	sb->s_checksum_type = JBD2_CRC32C_CHKSUM;
	j->csum = j->csum_v3 = true;
	j->tag_bytes = sizeof(struct jbd2_tag3);
	return 0; /* written with the superblock by jbd2_journal_begin */
}
