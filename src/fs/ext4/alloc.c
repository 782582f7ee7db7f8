/*
 * Allocation: group descriptors, block and inode bitmaps, free counts.
 * A block is taken near a goal (the file's last block, or its inode's
 * group: with flex_bg the data of a flex group's inodes lands in it), a
 * run of free bits at a time; an inode in its parent's group, or the next
 * group with a free one. Groups mkfs left uninitialised (BLOCK_UNINIT,
 * INODE_UNINIT) get their bitmap built here when first used, as Linux
 * does; itable_unused shrinks past every inode handed out. Every bitmap
 * and descriptor change goes through the journal calls and refreshes its
 * checksums (bitmap crc32c in the descriptor, the descriptor's own); the
 * superblock's counts follow at ext4_journal_stop (sb_dirty).
 *
 * A block freed by a journal transaction is not handed out again before
 * that transaction commits (the freed runs, fs->freed): a cut before the
 * commit brings its old owner back, whose contents must still be there,
 * and a checkpoint of an older logged copy of the block could otherwise
 * land on its new contents. Linux keeps freed blocks busy the same way.
 *
 * Trust: a bitmap is checked against its checksum when read; a bit found
 * in the wrong state on free is reported (EUCLEAN) and left alone.
 * Locking: caller holds fs->lock alone.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/kmalloc.h>
#include <ferrite/jbd2.h>
#include "ext4.h"

struct gd_ref {
	struct buffer *b;
	struct ext4_group_desc *gd;
};

static bool wide(const struct ext4_fs *fs)
{
	return fs->desc_size >= EXT4_DESC_SIZE_64;
}

static int gd_get(struct ext4_fs *fs, uint32_t g, struct gd_ref *r)
{
	r->b = ext4_bread(fs, fs->desc_blocks[g / fs->desc_per_block]);
	if (IS_ERR(r->b))
		return (int)PTR_ERR(r->b);
	r->gd = (void *)((char *)r->b->data + (size_t)(g % fs->desc_per_block) * fs->desc_size);
	return 0;
}

static uint32_t gd_free_blocks(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_free_blocks_count_lo | (wide(fs) ? (uint32_t)gd->bg_free_blocks_count_hi << 16 : 0);
}

static void gd_set_free_blocks(const struct ext4_fs *fs, struct ext4_group_desc *gd, uint32_t n)
{
	gd->bg_free_blocks_count_lo = (uint16_t)n;
	if (wide(fs))
		gd->bg_free_blocks_count_hi = (uint16_t)(n >> 16);
}

static uint32_t gd_free_inodes(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_free_inodes_count_lo | (wide(fs) ? (uint32_t)gd->bg_free_inodes_count_hi << 16 : 0);
}

static void gd_set_free_inodes(const struct ext4_fs *fs, struct ext4_group_desc *gd, uint32_t n)
{
	gd->bg_free_inodes_count_lo = (uint16_t)n;
	if (wide(fs))
		gd->bg_free_inodes_count_hi = (uint16_t)(n >> 16);
}

static uint32_t gd_used_dirs(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_used_dirs_count_lo | (wide(fs) ? (uint32_t)gd->bg_used_dirs_count_hi << 16 : 0);
}

static void gd_set_used_dirs(const struct ext4_fs *fs, struct ext4_group_desc *gd, uint32_t n)
{
	gd->bg_used_dirs_count_lo = (uint16_t)n;
	if (wide(fs))
		gd->bg_used_dirs_count_hi = (uint16_t)(n >> 16);
}

static uint32_t gd_itable_unused(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_itable_unused_lo | (wide(fs) ? (uint32_t)gd->bg_itable_unused_hi << 16 : 0);
}

static void gd_set_itable_unused(const struct ext4_fs *fs, struct ext4_group_desc *gd, uint32_t n)
{
	gd->bg_itable_unused_lo = (uint16_t)n;
	if (wide(fs))
		gd->bg_itable_unused_hi = (uint16_t)(n >> 16);
}

static uint64_t gd_block_bitmap(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_block_bitmap_lo | (wide(fs) ? (uint64_t)gd->bg_block_bitmap_hi << 32 : 0);
}

static uint64_t gd_inode_bitmap(const struct ext4_fs *fs, const struct ext4_group_desc *gd)
{
	return gd->bg_inode_bitmap_lo | (wide(fs) ? (uint64_t)gd->bg_inode_bitmap_hi << 32 : 0);
}

static uint64_t group_first(const struct ext4_fs *fs, uint32_t g)
{
	return fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
}

static uint32_t group_blocks(const struct ext4_fs *fs, uint32_t g)
{
	return (uint32_t)MIN((uint64_t)fs->blocks_per_group, fs->blocks_count - group_first(fs, g));
}

uint32_t ext4_block_group(const struct ext4_fs *fs, uint64_t blk)
{
	return (uint32_t)((blk - fs->first_data_block) / fs->blocks_per_group);
}

static bool test_bit(const uint8_t *map, uint32_t i)
{
	return map[i >> 3] & (1u << (i & 7));
}

static void set_bit(uint8_t *map, uint32_t i)
{
	map[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void clear_bit(uint8_t *map, uint32_t i)
{
	map[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static bool bitmap_csum_ok(const struct ext4_fs *fs, const struct ext4_group_desc *gd, bool inode,
			   const void *map)
{
	uint32_t c, want;

	if (!fs->csum)
		return true;
	if (inode) {
		c = ext4_csum(fs->csum_seed, map, fs->inodes_per_group / 8);
		want = gd->bg_inode_bitmap_csum_lo |
		       (wide(fs) ? (uint32_t)gd->bg_inode_bitmap_csum_hi << 16 : 0);
	} else {
		c = ext4_csum(fs->csum_seed, map, fs->blocks_per_group / 8);
		want = gd->bg_block_bitmap_csum_lo |
		       (wide(fs) ? (uint32_t)gd->bg_block_bitmap_csum_hi << 16 : 0);
	}
	if (!wide(fs))
		c &= 0xffff;
	return c == want;
}

/* Mark [from, bits of the block) in use: the padding past a group's end. */
static void set_padding(uint8_t *map, uint32_t from, unsigned block_size)
{
	for (uint32_t i = from; i < block_size * 8; i++)
		set_bit(map, i);
}

/* Build the block bitmap of a BLOCK_UNINIT group: its superblock copy and
 * descriptor blocks, its own bitmaps and inode table when they lie in it,
 * and the padding. */
static void init_block_bitmap(struct ext4_fs *fs, uint32_t g, const struct ext4_group_desc *gd,
			      uint8_t *map)
{
	uint64_t first = group_first(fs, g), nblocks = group_blocks(fs, g);
	uint64_t itable_blocks = ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) >>
				 fs->log_block_size;
	uint64_t own[3] = { gd_block_bitmap(fs, gd), gd_inode_bitmap(fs, gd), fs->inode_table[g] };

	memset(map, 0, fs->block_size);
	if (ext4_group_has_super(fs, g))
		for (uint32_t i = 0; i < 1 + fs->gdt_blocks && i < nblocks; i++)
			set_bit(map, i);
	for (int k = 0; k < 3; k++) {
		uint64_t len = k == 2 ? itable_blocks : 1;
		for (uint64_t b = own[k]; b < own[k] + len; b++)
			if (b >= first && b < first + nblocks)
				set_bit(map, (uint32_t)(b - first));
	}
	set_padding(map, (uint32_t)nblocks, fs->block_size);
}

/* Borrow group g's block or inode bitmap, built when the group is
 * uninitialised (then marked for the journal and the flag cleared). */
static struct buffer *get_bitmap(struct ext4_handle *h, uint32_t g, struct gd_ref *r, bool inode)
{
	struct ext4_fs *fs = h->fs;
	uint16_t flag = inode ? EXT4_BG_INODE_UNINIT : EXT4_BG_BLOCK_UNINIT;
	uint64_t nr = inode ? gd_inode_bitmap(fs, r->gd) : gd_block_bitmap(fs, r->gd);
	struct buffer *b = ext4_bread(fs, nr);
	int err;

	if (IS_ERR(b))
		return b;
	if (r->gd->bg_flags & flag) {
		if ((err = ext4_journal_get_write_access(h, b)) ||
		    (err = ext4_journal_get_write_access(h, r->b))) {
			brelse(b);
			return ERR_PTR(err);
		}
		if (inode) {
			memset(b->data, 0, fs->block_size);
			set_padding(b->data, fs->inodes_per_group, fs->block_size);
		} else {
			init_block_bitmap(fs, g, r->gd, b->data);
		}
		r->gd->bg_flags &= (uint16_t)~flag;
		ext4_bitmap_csum_set(fs, r->gd, inode, b->data);
		ext4_group_desc_csum_set(fs, g, r->gd);
		ext4_handle_dirty_metadata(h, b);
		ext4_handle_dirty_metadata(h, r->b);
		return b;
	}
	if (!bitmap_csum_ok(fs, r->gd, inode, b->data)) {
		brelse(b);
		return ERR_PTR(ext4_corrupt(fs, "group %u: %s bitmap checksum does not match", g,
					    inode ? "inode" : "block"));
	}
	return b;
}

/* May the caller use the reserved blocks? (root may, as on Linux) */
/* Forget the freed runs whose transaction has committed (all of them
 * without a journal: nothing can bring their old owner back). */
static void freed_prune(struct ext4_fs *fs)
{
	unsigned k = 0;

	for (unsigned i = 0; i < fs->nr_freed; i++) {
		struct ext4_freed *f = &fs->freed[i];
		if (fs->journal && !jbd2_tid_committed(fs->journal, f->tid)) {
			fs->freed[k++] = *f;
			continue;
		}
		for (uint64_t b = f->blk; b < f->blk + f->count; b++) {
			uint32_t g = ext4_block_group(fs, b);
			clear_bit(fs->freed_map[g], (uint32_t)(b - group_first(fs, g)));
		}
		fs->freed_blocks -= f->count;
	}
	fs->nr_freed = k;
}

/* Remember blk+count (inside one group), freed by h's transaction. */
static int freed_add(struct ext4_handle *h, uint32_t g, uint64_t blk, uint32_t count)
{
	struct ext4_fs *fs = h->fs;

	if (!fs->journal)
		return 0;
	if (!fs->freed_map && !(fs->freed_map = kcalloc(fs->groups, sizeof(*fs->freed_map))))
		return -ENOMEM;
	if (!fs->freed_map[g] && !(fs->freed_map[g] = kzalloc(fs->block_size)))
		return -ENOMEM;
	uint64_t tid = jbd2_handle_tid(&h->jh);
	struct ext4_freed *last = fs->nr_freed ? &fs->freed[fs->nr_freed - 1] : NULL;
	if (last && last->tid == tid && last->blk + last->count == blk) {
		last->count += count;
	} else {
		if (fs->nr_freed == fs->cap_freed) {
			unsigned cap = fs->cap_freed ? 2 * fs->cap_freed : 16;
			struct ext4_freed *n = kcalloc(cap, sizeof(*n));
			if (!n)
				return -ENOMEM;
			if (fs->nr_freed)
				memcpy(n, fs->freed, fs->nr_freed * sizeof(*n));
			kfree(fs->freed);
			fs->freed = n;
			fs->cap_freed = cap;
		}
		fs->freed[fs->nr_freed++] = (struct ext4_freed){ blk, count, tid };
	}
	for (uint32_t k = 0; k < count; k++)
		set_bit(fs->freed_map[g], (uint32_t)(blk - group_first(fs, g)) + k);
	fs->freed_blocks += count;
	return 0;
}

int ext4_freed_settle(struct ext4_fs *fs)
{
	int err = 0;

	if (fs->nr_freed && fs->journal)
		err = jbd2_journal_commit(fs->journal);
	freed_prune(fs);
	return err;
}

static bool may_use_reserved(void)
{
	return current && current->proc && current->proc->euid == 0;
}

int64_t ext4_new_blocks(struct ext4_handle *h, uint64_t goal, uint32_t *count)
{
	struct ext4_fs *fs = h->fs;
	uint32_t want = MAX(*count, 1u);
	int err;

	if (fs->free_blocks == 0 || (!may_use_reserved() && fs->free_blocks <= fs->r_blocks_count))
		return -ENOSPC;
	if (!ext4_blocks_valid(fs, goal, 1))
		goal = fs->first_data_block;
	uint32_t g0 = ext4_block_group(fs, goal);
	if (fs->nr_freed)
		freed_prune(fs);
	for (uint32_t i = 0; i <= fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups;
		struct gd_ref r = { 0 };
		if ((err = gd_get(fs, g, &r)))
			return err;
		__free(brelse) struct buffer *gdb = r.b;
		uint32_t nfree = gd_free_blocks(fs, r.gd);
		if (nfree == 0)
			continue;
		__free(brelse) struct buffer *bm = get_bitmap(h, g, &r, false);
		if (IS_ERR(bm))
			return PTR_ERR(bm);
		uint8_t *map = bm->data;
		/* freed by transactions that have not committed: busy */
		const uint8_t *fmap = fs->nr_freed && fs->freed_map ? fs->freed_map[g] : NULL;
		uint32_t n = group_blocks(fs, g);
		uint32_t start = (i == 0) ? (uint32_t)(goal - group_first(fs, g)) : 0;
		uint32_t bit = UINT32_MAX;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t j = (start + k) % n;
			if (!test_bit(map, j) && !(fmap && test_bit(fmap, j))) {
				bit = j;
				break;
			}
		}
		if (bit == UINT32_MAX) {
			if (!fmap)
				ext4_corrupt(fs, "group %u: %u blocks free but none in the bitmap", g,
					     nfree);
			continue;
		}
		uint32_t run = 1;
		while (run < want && bit + run < n && !test_bit(map, bit + run) &&
		       !(fmap && test_bit(fmap, bit + run)) && run < nfree)
			run++;
		if ((err = ext4_journal_get_write_access(h, bm)) ||
		    (err = ext4_journal_get_write_access(h, gdb)))
			return err;
		for (uint32_t k = 0; k < run; k++)
			set_bit(map, bit + k);
		ext4_bitmap_csum_set(fs, r.gd, false, map);
		gd_set_free_blocks(fs, r.gd, nfree - run);
		ext4_group_desc_csum_set(fs, g, r.gd);
		ext4_handle_dirty_metadata(h, bm);
		ext4_handle_dirty_metadata(h, gdb);
		fs->free_blocks -= MIN((uint64_t)run, fs->free_blocks);
		fs->sb_dirty = true;
		*count = run;
		return (int64_t)(group_first(fs, g) + bit);
	}
	return -ENOSPC;
}

int ext4_free_blocks(struct ext4_handle *h, uint64_t blk, uint64_t count)
{
	struct ext4_fs *fs = h->fs;
	int err;

	if (!ext4_blocks_valid(fs, blk, count))
		return ext4_corrupt(fs, "freeing blocks %llu+%llu outside the file system",
				    (unsigned long long)blk, (unsigned long long)count);
	while (count) {
		uint32_t g = ext4_block_group(fs, blk);
		uint32_t bit = (uint32_t)(blk - group_first(fs, g));
		uint32_t n = (uint32_t)MIN(count, (uint64_t)(group_blocks(fs, g) - bit));
		struct gd_ref r = { 0 };
		if ((err = gd_get(fs, g, &r)))
			return err;
		__free(brelse) struct buffer *gdb = r.b;
		__free(brelse) struct buffer *bm = get_bitmap(h, g, &r, false);
		if (IS_ERR(bm))
			return PTR_ERR(bm);
		if ((err = ext4_journal_get_write_access(h, bm)) ||
		    (err = ext4_journal_get_write_access(h, gdb)))
			return err;
		/* before the bits change: nothing to undo when it fails */
		if ((err = freed_add(h, g, blk, n)))
			return err;
		uint32_t freed = 0;
		for (uint32_t k = 0; k < n; k++) {
			if (!test_bit(bm->data, bit + k)) {
				ext4_corrupt(fs, "freeing free block %llu", (unsigned long long)(blk + k));
				continue;
			}
			clear_bit(bm->data, bit + k);
			freed++;
		}
		ext4_bitmap_csum_set(fs, r.gd, false, bm->data);
		gd_set_free_blocks(fs, r.gd, gd_free_blocks(fs, r.gd) + freed);
		ext4_group_desc_csum_set(fs, g, r.gd);
		ext4_handle_dirty_metadata(h, bm);
		ext4_handle_dirty_metadata(h, gdb);
		fs->free_blocks += freed;
		fs->sb_dirty = true;
		/* an old logged copy must not be replayed over its next use */
		if ((err = ext4_journal_revoke(h, blk, n)))
			return err;
		blk += n;
		count -= n;
	}
	return 0;
}

int64_t ext4_new_inode_nr(struct ext4_handle *h, uint32_t dir_ino, bool is_dir)
{
	struct ext4_fs *fs = h->fs;
	int err;

	if (fs->free_inodes == 0)
		return -ENOSPC;
	uint32_t g0 = dir_ino ? (dir_ino - 1) / fs->inodes_per_group : 0;
	if (g0 >= fs->groups)
		g0 = 0;
	for (uint32_t i = 0; i < fs->groups; i++) {
		uint32_t g = (g0 + i) % fs->groups;
		struct gd_ref r = { 0 };
		if ((err = gd_get(fs, g, &r)))
			return err;
		__free(brelse) struct buffer *gdb = r.b;
		uint32_t nfree = gd_free_inodes(fs, r.gd);
		if (nfree == 0)
			continue;
		__free(brelse) struct buffer *bm = get_bitmap(h, g, &r, true);
		if (IS_ERR(bm))
			return PTR_ERR(bm);
		uint32_t first = (g == 0) ? fs->first_ino - 1 : 0;
		uint32_t bit = UINT32_MAX;
		for (uint32_t k = first; k < fs->inodes_per_group; k++) {
			if (!test_bit(bm->data, k)) {
				bit = k;
				break;
			}
		}
		if (bit == UINT32_MAX) {
			ext4_corrupt(fs, "group %u: %u inodes free but none in the bitmap", g, nfree);
			continue;
		}
		if ((err = ext4_journal_get_write_access(h, bm)) ||
		    (err = ext4_journal_get_write_access(h, gdb)))
			return err;
		set_bit(bm->data, bit);
		ext4_bitmap_csum_set(fs, r.gd, true, bm->data);
		gd_set_free_inodes(fs, r.gd, nfree - 1);
		if (is_dir)
			gd_set_used_dirs(fs, r.gd, gd_used_dirs(fs, r.gd) + 1);
		uint32_t unused = gd_itable_unused(fs, r.gd);
		if (bit >= fs->inodes_per_group - unused)
			gd_set_itable_unused(fs, r.gd, fs->inodes_per_group - bit - 1);
		ext4_group_desc_csum_set(fs, g, r.gd);
		ext4_handle_dirty_metadata(h, bm);
		ext4_handle_dirty_metadata(h, gdb);
		fs->free_inodes--;
		fs->sb_dirty = true;
		return (int64_t)g * fs->inodes_per_group + bit + 1;
	}
	return -ENOSPC;
}

int ext4_free_inode_nr(struct ext4_handle *h, uint32_t ino, bool is_dir)
{
	struct ext4_fs *fs = h->fs;
	uint32_t g = (ino - 1) / fs->inodes_per_group, bit = (ino - 1) % fs->inodes_per_group;
	struct gd_ref r = { 0 };
	int err;

	if (ino < fs->first_ino || ino > fs->inodes_count)
		return ext4_corrupt(fs, "freeing inode %u", ino);
	if ((err = gd_get(fs, g, &r)))
		return err;
	__free(brelse) struct buffer *gdb = r.b;
	__free(brelse) struct buffer *bm = get_bitmap(h, g, &r, true);
	if (IS_ERR(bm))
		return PTR_ERR(bm);
	if (!test_bit(bm->data, bit))
		return ext4_corrupt(fs, "freeing free inode %u", ino);
	if ((err = ext4_journal_get_write_access(h, bm)) ||
	    (err = ext4_journal_get_write_access(h, gdb)))
		return err;
	clear_bit(bm->data, bit);
	ext4_bitmap_csum_set(fs, r.gd, true, bm->data);
	gd_set_free_inodes(fs, r.gd, gd_free_inodes(fs, r.gd) + 1);
	if (is_dir && gd_used_dirs(fs, r.gd))
		gd_set_used_dirs(fs, r.gd, gd_used_dirs(fs, r.gd) - 1);
	ext4_group_desc_csum_set(fs, g, r.gd);
	ext4_handle_dirty_metadata(h, bm);
	ext4_handle_dirty_metadata(h, gdb);
	fs->free_inodes++;
	fs->sb_dirty = true;
	return 0;
}
