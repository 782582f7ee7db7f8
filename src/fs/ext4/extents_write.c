/*
 * Changing extent trees: new blocks for a hole (merged into the extent
 * before them when they continue it), leaves and index nodes split in
 * half when full, a new level when the root in the inode is full (its
 * entries move to a new block), and truncation that frees every block at
 * or past a logical block, shrinking extents, dropping empty nodes and
 * resetting the root when the tree empties. Tree blocks are checked as
 * they are read (ext4_ext_check_header, the crc32c tail) and get their
 * tail checksum again when changed; the root is written with the inode.
 *
 * Locking: caller holds fs->lock alone.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/kmalloc.h>
#include "ext4.h"

#define MAX_LEVELS (EXT4_EXT_MAX_DEPTH + 1)

struct ext_level {
	struct buffer *b;                 /* NULL: the root, in the inode */
	struct ext4_extent_header *eh;
	int idx;                          /* the index entry followed (interior levels) */
};

struct ext_path {
	int depth;                        /* of the root: path[depth] is the leaf */
	struct ext_level lv[MAX_LEVELS];
};

static void path_release(struct ext_path *p)
{
	for (int i = 0; i < MAX_LEVELS; i++) {
		brelse(p->lv[i].b);
		p->lv[i].b = NULL;
	}
}

static uint64_t ext_pblk(const struct ext4_extent *e)
{
	return e->ee_start_lo | (uint64_t)e->ee_start_hi << 32;
}

static void ext_set_pblk(struct ext4_extent *e, uint64_t p)
{
	e->ee_start_lo = (uint32_t)p;
	e->ee_start_hi = (uint16_t)(p >> 32);
}

static uint32_t ext_len(const struct ext4_extent *e)
{
	return e->ee_len > EXT4_EXT_INIT_MAX_LEN ? e->ee_len - EXT4_EXT_INIT_MAX_LEN : e->ee_len;
}

static bool ext_unwritten(const struct ext4_extent *e)
{
	return e->ee_len > EXT4_EXT_INIT_MAX_LEN;
}

static uint64_t idx_leaf(const struct ext4_extent_idx *ix)
{
	return ix->ei_leaf_lo | (uint64_t)ix->ei_leaf_hi << 32;
}

static void idx_set_leaf(struct ext4_extent_idx *ix, uint64_t p)
{
	ix->ei_leaf_lo = (uint32_t)p;
	ix->ei_leaf_hi = (uint16_t)(p >> 32);
}

static unsigned block_max(const struct ext4_fs *fs)
{
	return (fs->block_size - sizeof(struct ext4_extent_header)) / sizeof(struct ext4_extent);
}

/* Read the child block of an index entry, checked. */
static struct buffer *read_node(struct ext4_fs *fs, struct ext4_inode_info *ei, uint64_t blk, int depth)
{
	if (!ext4_blocks_valid(fs, blk, 1))
		return ERR_PTR(ext4_corrupt(fs, "inode %u: extent node at block %llu", ei->ino,
					    (unsigned long long)blk));
	struct buffer *b = ext4_bread(fs, blk);
	if (IS_ERR(b))
		return b;
	struct ext4_extent_header *eh = b->data;
	int err = ext4_ext_check_header(fs, ei, eh, fs->block_size - sizeof(struct ext4_extent_tail), depth);
	if (!err && !ext4_extent_block_csum_ok(fs, ei, b->data, eh->eh_max))
		err = ext4_corrupt(fs, "inode %u: extent block %llu checksum does not match", ei->ino,
				   (unsigned long long)blk);
	if (err) {
		brelse(b);
		return ERR_PTR(err);
	}
	return b;
}

/* The path from the root to the leaf that holds (or would hold) lblk. */
static int find_path(struct inode *vi, uint32_t lblk, struct ext_path *p)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	struct ext4_extent_header *eh = (void *)ei->i_block;
	int err = ext4_ext_check_header(fs, ei, eh, sizeof(ei->i_block), -1);

	memset(p, 0, sizeof(*p));
	if (err)
		return err;
	p->depth = eh->eh_depth;
	p->lv[0].eh = eh;
	for (int l = 0; l < p->depth; l++) {
		struct ext4_extent_idx *ix = (void *)(p->lv[l].eh + 1);
		int n = p->lv[l].eh->eh_entries, pick = 0;
		if (n == 0) {
			path_release(p);
			return ext4_corrupt(fs, "inode %u: empty extent index node", ei->ino);
		}
		for (int i = 1; i < n && ix[i].ei_block <= lblk; i++)
			pick = i;
		p->lv[l].idx = pick;
		struct buffer *b = read_node(fs, ei, idx_leaf(&ix[pick]), p->depth - l - 1);
		if (IS_ERR(b)) {
			path_release(p);
			return (int)PTR_ERR(b);
		}
		p->lv[l + 1].b = b;
		p->lv[l + 1].eh = b->data;
	}
	return 0;
}

/* Record a change of level l of the path (the root: the inode). */
static int level_dirty(struct ext4_handle *h, struct inode *vi, struct ext_level *lv)
{
	if (!lv->b)
		return ext4_write_inode(h, vi);
	ext4_extent_block_csum_set(h->fs, EXT4_I(vi), lv->b->data);
	return ext4_handle_dirty_metadata(h, lv->b);
}

static int level_access(struct ext4_handle *h, struct ext_level *lv)
{
	return lv->b ? ext4_journal_get_write_access(h, lv->b) : 0;
}

/* A new tree block near the inode's data. */
static int64_t new_tree_block(struct ext4_handle *h, struct inode *vi, uint64_t goal)
{
	uint32_t one = 1;
	int64_t blk = ext4_new_blocks(h, goal, &one);

	if (blk >= 0)
		EXT4_I(vi)->blocks += h->fs->block_size >> 9;
	return blk;
}

/* The root is full: move its entries into a new block, one level down. */
static int grow_tree(struct ext4_handle *h, struct inode *vi, uint64_t goal)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = h->fs;
	struct ext4_extent_header *root = (void *)ei->i_block;
	int64_t blk;
	int err;

	if (root->eh_depth >= EXT4_EXT_MAX_DEPTH)
		return -EFBIG;
	blk = new_tree_block(h, vi, goal);
	if (blk < 0)
		return (int)blk;
	struct buffer *b = bread(fs->bd, (uint64_t)blk, fs->block_size);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	if ((err = ext4_journal_get_write_access(h, b))) {
		brelse(b);
		return err;
	}
	memset(b->data, 0, fs->block_size);
	struct ext4_extent_header *eh = b->data;
	*eh = *root;
	eh->eh_max = (uint16_t)block_max(fs);
	memcpy(eh + 1, root + 1, (size_t)root->eh_entries * sizeof(struct ext4_extent));
	ext4_extent_block_csum_set(fs, ei, b->data);
	ext4_handle_dirty_metadata(h, b);
	uint32_t first = root->eh_entries ? ((struct ext4_extent_idx *)(root + 1))->ei_block : 0;
	brelse(b);
	root->eh_depth++;
	root->eh_entries = 1;
	struct ext4_extent_idx *ix = (void *)(root + 1);
	memset(ix, 0, sizeof(*ix));
	ix->ei_block = first;
	idx_set_leaf(ix, (uint64_t)blk);
	return ext4_write_inode(h, vi);
}

/* Split the node at level l + 1 in half; level l has room for one more
 * index entry. */
static int split_node(struct ext4_handle *h, struct inode *vi, struct ext_path *p, int l, uint64_t goal)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = h->fs;
	struct ext_level *parent = &p->lv[l], *child = &p->lv[l + 1];
	int err;

	int64_t blk = new_tree_block(h, vi, goal);
	if (blk < 0)
		return (int)blk;
	struct buffer *b = bread(fs->bd, (uint64_t)blk, fs->block_size);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	if ((err = ext4_journal_get_write_access(h, b)) || (err = level_access(h, child)) ||
	    (err = level_access(h, parent))) {
		brelse(b);
		return err;
	}
	unsigned n = child->eh->eh_entries, m = n / 2;
	memset(b->data, 0, fs->block_size);
	struct ext4_extent_header *eh = b->data;
	*eh = *child->eh;
	eh->eh_max = (uint16_t)block_max(fs);
	eh->eh_entries = (uint16_t)(n - m);
	/* leaf extents and index entries are both 12 bytes, the first field the logical block */
	struct ext4_extent *src = (void *)(child->eh + 1);
	memcpy(eh + 1, src + m, (size_t)(n - m) * sizeof(*src));
	uint32_t first = src[m].ee_block;
	child->eh->eh_entries = (uint16_t)m;
	ext4_extent_block_csum_set(fs, ei, b->data);
	ext4_handle_dirty_metadata(h, b);
	brelse(b);

	struct ext4_extent_idx *ix = (void *)(parent->eh + 1);
	int at = parent->idx + 1;
	memmove(ix + at + 1, ix + at, (size_t)(parent->eh->eh_entries - at) * sizeof(*ix));
	memset(&ix[at], 0, sizeof(*ix));
	ix[at].ei_block = first;
	idx_set_leaf(&ix[at], (uint64_t)blk);
	parent->eh->eh_entries++;
	if ((err = level_dirty(h, vi, child)))
		return err;
	return level_dirty(h, vi, parent);
}

/* Insert the extent lblk+len -> pblk (unwritten: preallocated, reads as zeros). */
static int insert_extent(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint64_t pblk,
			 uint32_t len, bool unwritten)
{
	uint32_t max_len = unwritten ? EXT4_EXT_INIT_MAX_LEN - 1 : EXT4_EXT_INIT_MAX_LEN;

	struct ext_path p;
	int err;

	for (int tries = 0; tries < 2 * MAX_LEVELS + 2; tries++) {
		if ((err = find_path(vi, lblk, &p)))
			return err;
		struct ext_level *leaf = &p.lv[p.depth];
		struct ext4_extent *ex = (void *)(leaf->eh + 1);
		int n = leaf->eh->eh_entries, pos = 0;
		while (pos < n && ex[pos].ee_block <= lblk)
			pos++;
		/* continues the extent before it: lengthen that one */
		if (pos > 0 && ext_unwritten(&ex[pos - 1]) == unwritten &&
		    ex[pos - 1].ee_block + ext_len(&ex[pos - 1]) == lblk &&
		    ext_pblk(&ex[pos - 1]) + ext_len(&ex[pos - 1]) == pblk &&
		    ext_len(&ex[pos - 1]) + len <= max_len) {
			if (!(err = level_access(h, leaf))) {
				ex[pos - 1].ee_len = (uint16_t)(ex[pos - 1].ee_len + len);
				err = level_dirty(h, vi, leaf);
			}
			path_release(&p);
			return err;
		}
		if (n < leaf->eh->eh_max) {
			if ((err = level_access(h, leaf))) {
				path_release(&p);
				return err;
			}
			memmove(ex + pos + 1, ex + pos, (size_t)(n - pos) * sizeof(*ex));
			memset(&ex[pos], 0, sizeof(*ex));
			ex[pos].ee_block = lblk;
			ex[pos].ee_len = (uint16_t)(unwritten ? len + EXT4_EXT_INIT_MAX_LEN : len);
			ext_set_pblk(&ex[pos], pblk);
			leaf->eh->eh_entries++;
			err = level_dirty(h, vi, leaf);
			/* a new first extent: the index entries above start no later */
			for (int l = p.depth - 1; !err && pos == 0 && l >= 0; l--) {
				struct ext4_extent_idx *ix = (void *)(p.lv[l].eh + 1);
				if (ix[p.lv[l].idx].ei_block <= lblk)
					break;
				if (!(err = level_access(h, &p.lv[l]))) {
					ix[p.lv[l].idx].ei_block = lblk;
					err = level_dirty(h, vi, &p.lv[l]);
				}
				if (p.lv[l].idx != 0)
					break;
			}
			path_release(&p);
			return err;
		}
		/* The leaf is full: split below the lowest level with room,
		 * or grow the tree when even the root is full. */
		int l = p.depth - 1;
		while (l >= 0 && p.lv[l].eh->eh_entries >= p.lv[l].eh->eh_max)
			l--;
		if (l < 0)
			err = grow_tree(h, vi, pblk);
		else
			err = split_node(h, vi, &p, l, pblk);
		path_release(&p);
		if (err)
			return err;
	}
	return ext4_corrupt(EXT4_I(vi)->fs, "inode %u: extent insert does not converge", EXT4_I(vi)->ino);
}

/* A goal for new data at lblk: after the block before it, else the
 * inode's group. */
static uint64_t data_goal(struct inode *vi, uint32_t lblk)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	struct ext4_map m;

	if (lblk > 0 && !ext4_map_block(vi, lblk - 1, &m) && m.kind != EXT4_MAP_HOLE)
		return m.pblk + 1;
	uint32_t g = (ei->ino - 1) / fs->inodes_per_group;
	g -= g % fs->flex_groups;
	return fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
}

/*
 * A write meets an unwritten extent: its blocks from the start of the
 * extent to the end of the write are zeroed on the disk and become
 * written; the rest stays unwritten (a new extent after it), so no
 * written block lies past what the write will make the size.
 */
static int convert_unwritten(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint32_t want)
{
	struct ext4_fs *fs = h->fs;
	struct ext_path p;
	int err;

	if ((err = find_path(vi, lblk, &p)))
		return err;
	struct ext_level *leaf = &p.lv[p.depth];
	struct ext4_extent *ex = (void *)(leaf->eh + 1), *e = NULL;
	for (int i = 0; i < leaf->eh->eh_entries; i++)
		if (ex[i].ee_block <= lblk && lblk < ex[i].ee_block + ext_len(&ex[i]))
			e = &ex[i];
	if (!e || !ext_unwritten(e)) {
		path_release(&p);
		return ext4_corrupt(fs, "inode %u: no unwritten extent at %u", EXT4_I(vi)->ino, lblk);
	}
	uint32_t start = e->ee_block, len = ext_len(e);
	uint64_t pblk = ext_pblk(e);
	uint64_t end = MIN((uint64_t)lblk + want, (uint64_t)start + len);
	uint32_t head = (uint32_t)(end - start), tail = len - head;
	/* zero the head on the disk, 64 KiB at a time */
	static const size_t zchunk = 64 << 10;
	char *z = kzalloc(zchunk);
	if (!z) {
		path_release(&p);
		return -ENOMEM;
	}
	for (uint64_t done = 0; done < head && !err;) {
		uint64_t n = MIN((uint64_t)head - done, (uint64_t)(zchunk >> fs->log_block_size));
		err = blkdev_write(fs->bd, (pblk + done) << (fs->log_block_size - SECTOR_SHIFT), z,
				   n << (fs->log_block_size - SECTOR_SHIFT));
		done += n;
	}
	kfree(z);
	if (!err && !(err = level_access(h, leaf))) {
		e->ee_len = (uint16_t)head;
		err = level_dirty(h, vi, leaf);
	}
	path_release(&p);
	if (!err && tail)
		err = insert_extent(h, vi, (uint32_t)end, pblk + head, tail, true);
	return err;
}

int ext4_alloc_range(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint64_t count)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	int err;

	if (!(ei->flags & EXT4_EXTENTS_FL) || ei->inline_data)
		return -EOPNOTSUPP;
	while (count) {
		struct ext4_map m;
		if ((err = ext4_map_block(vi, lblk, &m)))
			return err;
		uint32_t n = (uint32_t)MIN((uint64_t)m.len, count);
		if (m.kind == EXT4_MAP_HOLE) {
			n = MIN(n, EXT4_EXT_INIT_MAX_LEN - 1);
			int64_t pblk = ext4_new_blocks(h, data_goal(vi, lblk), &n);
			if (pblk < 0)
				return (int)pblk;
			if ((err = insert_extent(h, vi, lblk, (uint64_t)pblk, n, true))) {
				ext4_free_blocks(h, (uint64_t)pblk, n);
				return err;
			}
			ei->blocks += (uint64_t)n << (ei->fs->log_block_size - 9);
		}
		lblk += n;
		count -= n;
	}
	return 0;
}

int ext4_map_create(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint32_t max,
		    struct ext4_map *m, bool *fresh)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	int err;

	*fresh = false;
	if (!(ei->flags & EXT4_EXTENTS_FL) || ei->inline_data)
		return -EOPNOTSUPP; /* block-mapped and inline files are not written (docs/ext4.md) */
	if ((err = ext4_map_block(vi, lblk, m)))
		return err;
	if (m->kind == EXT4_MAP_MAPPED)
		return 0;
	if (m->kind == EXT4_MAP_UNWRITTEN) {
		if ((err = convert_unwritten(h, vi, lblk, MAX(max, 1u))))
			return err;
		return ext4_map_block(vi, lblk, m);
	}
	uint32_t len = MIN(MAX(max, 1u), m->len);
	len = MIN(len, EXT4_EXT_INIT_MAX_LEN);
	int64_t pblk = ext4_new_blocks(h, data_goal(vi, lblk), &len);
	if (pblk < 0)
		return (int)pblk;
	err = insert_extent(h, vi, lblk, (uint64_t)pblk, len, false);
	if (err) {
		ext4_free_blocks(h, (uint64_t)pblk, len);
		return err;
	}
	ei->blocks += (uint64_t)len << (ei->fs->log_block_size - 9);
	m->kind = EXT4_MAP_MAPPED;
	m->pblk = (uint64_t)pblk;
	m->len = len;
	*fresh = true;
	return 0;
}

/* Free the part of the subtree under eh at or past from. *empty: nothing
 * is left in it. */
static int trunc_node(struct ext4_handle *h, struct inode *vi, struct ext_level *lv, int depth,
		      uint32_t from, bool *empty)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = h->fs;
	struct ext4_extent_header *eh = lv->eh;
	bool changed = false;
	int err = level_access(h, lv);

	if (err)
		return err;
	if (depth == 0) {
		struct ext4_extent *ex = (void *)(eh + 1);
		while (eh->eh_entries > 0) {
			struct ext4_extent *e = &ex[eh->eh_entries - 1];
			uint32_t len = ext_len(e);
			if ((uint64_t)e->ee_block + len <= from)
				break;
			uint32_t keep = e->ee_block >= from ? 0 : from - e->ee_block;
			if ((err = ext4_free_blocks(h, ext_pblk(e) + keep, len - keep)))
				return err;
			ei->blocks -= MIN(ei->blocks, (uint64_t)(len - keep) << (fs->log_block_size - 9));
			changed = true;
			if (keep == 0) {
				eh->eh_entries--;
			} else {
				e->ee_len = (uint16_t)(ext_unwritten(e) ? keep + EXT4_EXT_INIT_MAX_LEN : keep);
				break;
			}
		}
	} else {
		struct ext4_extent_idx *ix = (void *)(eh + 1);
		while (eh->eh_entries > 0) {
			struct ext4_extent_idx *i = &ix[eh->eh_entries - 1];
			struct ext_level child = { 0 };
			uint64_t cblk = idx_leaf(i);
			bool child_empty = false;
			child.b = read_node(fs, ei, cblk, depth - 1);
			if (IS_ERR(child.b))
				return (int)PTR_ERR(child.b);
			child.eh = child.b->data;
			err = trunc_node(h, vi, &child, depth - 1, i->ei_block >= from ? 0 : from,
					 &child_empty);
			brelse(child.b);
			if (err)
				return err;
			if (!child_empty && i->ei_block < from)
				break;
			if (child_empty) {
				if ((err = ext4_free_blocks(h, cblk, 1)))
					return err;
				ei->blocks -= MIN(ei->blocks, (uint64_t)fs->block_size >> 9);
				eh->eh_entries--;
				changed = true;
			}
			if (i->ei_block < from)
				break;
		}
	}
	*empty = eh->eh_entries == 0;
	if (!lv->b && *empty && eh->eh_depth) { /* the root: back to an empty leaf */
		eh->eh_depth = 0;
		eh->eh_max = (sizeof(ei->i_block) - sizeof(*eh)) / sizeof(struct ext4_extent);
		changed = true;
	}
	if (changed && lv->b)
		return level_dirty(h, vi, lv);
	return 0;
}

int ext4_truncate_blocks(struct ext4_handle *h, struct inode *vi, uint32_t from)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_extent_header *eh = (void *)ei->i_block;
	bool empty;
	int err;

	if (!(ei->flags & EXT4_EXTENTS_FL) || ei->inline_data)
		return -EOPNOTSUPP;
	if ((err = ext4_ext_check_header(ei->fs, ei, eh, sizeof(ei->i_block), -1)))
		return err;
	struct ext_level root = { .b = NULL, .eh = eh };
	err = trunc_node(h, vi, &root, eh->eh_depth, from, &empty);
	int err2 = ext4_write_inode(h, vi);
	return err ? err : err2;
}
