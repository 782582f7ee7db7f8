/*
 * Logical to physical block mapping: extent trees (any depth up to 5) for
 * inodes with EXT4_EXTENTS_FL, and the old direct/indirect block maps of
 * ext2/3 for the others. Every node is checked before use: magic, entry
 * counts against the node's room, depth decreasing by one per level (so a
 * walk ends), entries in order, block numbers inside the file system,
 * and the crc32c tail of tree blocks under metadata_csum.
 * Locking: caller holds fs->lock (shared is enough).
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include "ext4.h"

/* Check a node header: room is the bytes the node may use. */
int ext4_ext_check_header(struct ext4_fs *fs, struct ext4_inode_info *ei,
			const struct ext4_extent_header *eh, size_t room, int depth)
{
	size_t max = (room - sizeof(*eh)) / sizeof(struct ext4_extent);

	if (eh->eh_magic != EXT4_EXT_MAGIC)
		return ext4_corrupt(fs, "inode %u: bad extent magic 0x%x", ei->ino, eh->eh_magic);
	if (eh->eh_max == 0 || eh->eh_max > max || eh->eh_entries > eh->eh_max)
		return ext4_corrupt(fs, "inode %u: extent node holds %u of %u (room %zu)", ei->ino,
				    eh->eh_entries, eh->eh_max, max);
	if (eh->eh_depth > EXT4_EXT_MAX_DEPTH || (depth >= 0 && eh->eh_depth != depth))
		return ext4_corrupt(fs, "inode %u: extent depth %u, expected %d", ei->ino,
				    eh->eh_depth, depth);
	return 0;
}

static int map_extents(struct inode *vi, uint32_t lblk, struct ext4_map *m)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	const struct ext4_extent_header *eh = (const void *)ei->i_block;
	struct buffer *b = NULL;
	/* first logical block after this subtree (exclusive; 2^32 = none) */
	uint64_t next = (uint64_t)1 << 32;
	int err = ext4_ext_check_header(fs, ei, eh, sizeof(ei->i_block), -1);

	while (!err) {
		unsigned n = eh->eh_entries;
		if (eh->eh_depth == 0) {
			const struct ext4_extent *ex = (const void *)(eh + 1);
			uint64_t prev_end = 0;
			m->kind = EXT4_MAP_HOLE;
			m->len = (uint32_t)MIN(next - lblk, (uint64_t)UINT32_MAX);
			for (unsigned i = 0; i < n; i++) {
				uint32_t len = ex[i].ee_len > EXT4_EXT_INIT_MAX_LEN
						       ? ex[i].ee_len - EXT4_EXT_INIT_MAX_LEN
						       : ex[i].ee_len;
				uint64_t start = ex[i].ee_block;
				uint64_t pblk = ex[i].ee_start_lo | (uint64_t)ex[i].ee_start_hi << 32;
				if (len == 0 || start < prev_end || !ext4_blocks_valid(fs, pblk, len)) {
					err = ext4_corrupt(fs, "inode %u: bad extent %u+%u -> %llu", ei->ino,
							   ex[i].ee_block, len, (unsigned long long)pblk);
					break;
				}
				prev_end = start + len;
				if (lblk < start) {
					m->len = (uint32_t)MIN(start - lblk, (uint64_t)m->len);
					break;
				}
				if (lblk < start + len) {
					m->kind = ex[i].ee_len > EXT4_EXT_INIT_MAX_LEN ? EXT4_MAP_UNWRITTEN
										       : EXT4_MAP_MAPPED;
					m->pblk = pblk + (lblk - start);
					m->len = (uint32_t)(start + len - lblk);
					break;
				}
			}
			break;
		}
		/* Interior node: the last index whose first block is <= lblk. */
		const struct ext4_extent_idx *ix = (const void *)(eh + 1);
		int pick = -1;
		for (unsigned i = 0; i < n; i++) {
			if (i && ix[i].ei_block <= ix[i - 1].ei_block) {
				err = ext4_corrupt(fs, "inode %u: extent index out of order", ei->ino);
				break;
			}
			if (ix[i].ei_block > lblk) {
				next = MIN(next, (uint64_t)ix[i].ei_block);
				break;
			}
			pick = (int)i;
		}
		if (err)
			break;
		if (pick < 0) { /* before the first subtree: a hole */
			m->kind = EXT4_MAP_HOLE;
			m->len = (uint32_t)MIN(next - lblk, (uint64_t)UINT32_MAX);
			break;
		}
		uint64_t child = ix[pick].ei_leaf_lo | (uint64_t)ix[pick].ei_leaf_hi << 32;
		int depth = eh->eh_depth - 1;
		if (!ext4_blocks_valid(fs, child, 1)) {
			err = ext4_corrupt(fs, "inode %u: extent node at block %llu", ei->ino,
					   (unsigned long long)child);
			break;
		}
		struct buffer *nb = ext4_bread(fs, child);
		brelse(b);
		b = NULL;
		if (IS_ERR(nb)) {
			err = (int)PTR_ERR(nb);
			break;
		}
		b = nb;
		eh = b->data;
		err = ext4_ext_check_header(fs, ei, eh, fs->block_size - sizeof(struct ext4_extent_tail), depth);
		if (!err && !ext4_extent_block_csum_ok(fs, ei, b->data, eh->eh_max))
			err = ext4_corrupt(fs, "inode %u: extent block %llu checksum does not match",
					   ei->ino, (unsigned long long)child);
	}
	brelse(b);
	return err;
}

/* Old block maps: 12 direct blocks, then single, double, triple indirect. */
static int map_indirect(struct inode *vi, uint32_t lblk, struct ext4_map *m)
{
	struct ext4_inode_info *ei = EXT4_I(vi);
	struct ext4_fs *fs = ei->fs;
	const uint64_t per = fs->block_size / 4;
	uint64_t l = lblk;
	unsigned levels;
	uint32_t blk;

	m->kind = EXT4_MAP_HOLE;
	m->len = 1;
	if (l < 12) {
		blk = ei->i_block[l];
		levels = 0;
	} else if ((l -= 12) < per) {
		blk = ei->i_block[12];
		levels = 1;
	} else if ((l -= per) < per * per) {
		blk = ei->i_block[13];
		levels = 2;
	} else if ((l -= per * per) < per * per * per) {
		blk = ei->i_block[14];
		levels = 3;
	} else {
		return 0; /* beyond what a block map addresses: a hole */
	}
	for (unsigned lv = levels; lv > 0 && blk; lv--) {
		uint64_t span = 1;
		for (unsigned k = 1; k < lv; k++)
			span *= per;
		if (!ext4_blocks_valid(fs, blk, 1))
			return ext4_corrupt(fs, "inode %u: indirect block %u outside the file system",
					    ei->ino, blk);
		__free(brelse) struct buffer *b = ext4_bread(fs, blk);
		if (IS_ERR(b))
			return (int)PTR_ERR(b);
		memcpy(&blk, (const char *)b->data + (l / span) * 4, 4);
		l %= span;
	}
	if (!blk)
		return 0;
	if (!ext4_blocks_valid(fs, blk, 1))
		return ext4_corrupt(fs, "inode %u: data block %u outside the file system", ei->ino, blk);
	m->kind = EXT4_MAP_MAPPED;
	m->pblk = blk;
	return 0;
}

int ext4_map_block(struct inode *vi, uint32_t lblk, struct ext4_map *m)
{
	if (EXT4_I(vi)->flags & EXT4_EXTENTS_FL)
		return map_extents(vi, lblk, m);
	return map_indirect(vi, lblk, m);
}
