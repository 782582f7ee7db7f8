/*
 * metadata_csum: the crc32c checksums ext4 keeps on its superblock, group
 * descriptors, inodes, extent tree blocks and directory leaf blocks, each
 * computed as Linux's fs/ext4 does (seeded with the file system's seed,
 * then the inode number and generation for per-inode metadata). Pure
 * functions of their arguments; no locks.
 */
#include <ferrite/crc32c.h>
#include <ferrite/string.h>
#include "ext4.h"

uint32_t ext4_csum(uint32_t seed, const void *buf, size_t len)
{
	return crc32c(seed, buf, len);
}

bool ext4_super_csum_ok(const struct ext4_super_block *es)
{
	uint32_t c = ext4_csum(~0u, es, __builtin_offsetof(struct ext4_super_block, s_checksum));

	return c == es->s_checksum;
}

bool ext4_group_desc_csum_ok(const struct ext4_fs *fs, uint32_t group, const void *gd)
{
	const size_t off = __builtin_offsetof(struct ext4_group_desc, bg_checksum);
	const uint16_t zero = 0;
	uint32_t c;

	if (!fs->csum)
		return true; /* gdt_csum's crc16 is not checked (docs/ext4.md) */
	c = ext4_csum(fs->csum_seed, &group, 4);
	c = ext4_csum(c, gd, off);
	c = ext4_csum(c, &zero, 2);
	if (fs->desc_size > off + 2)
		c = ext4_csum(c, (const char *)gd + off + 2, fs->desc_size - off - 2);
	return (c & 0xffff) == ((const struct ext4_group_desc *)gd)->bg_checksum;
}

uint32_t ext4_inode_seed(const struct ext4_fs *fs, uint32_t ino, uint32_t generation)
{
	uint32_t c = ext4_csum(fs->csum_seed, &ino, 4);

	return ext4_csum(c, &generation, 4);
}

/*
 * The crc32c of an on-disk inode with its checksum fields read as zero.
 * *has_hi: the inode has room for i_checksum_hi (then all 32 bits count,
 * else the low 16).
 */
static uint32_t inode_csum(const struct ext4_fs *fs, const struct ext4_inode *raw, uint32_t seed,
			   bool *has_hi)
{
	const char *p = (const char *)raw;
	const uint16_t zero = 0;
	size_t lo = __builtin_offsetof(struct ext4_inode, i_checksum_lo);
	size_t hi = __builtin_offsetof(struct ext4_inode, i_checksum_hi);
	uint32_t c;

	*has_hi = false;
	c = ext4_csum(seed, p, lo);
	c = ext4_csum(c, &zero, 2);
	c = ext4_csum(c, p + lo + 2, EXT4_GOOD_OLD_INODE_SIZE - lo - 2);
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		/* the caller checked extra_isize against the inode size */
		*has_hi = EXT4_INODE_HAS(raw->i_extra_isize, i_checksum_hi);
		c = ext4_csum(c, p + EXT4_GOOD_OLD_INODE_SIZE, hi - EXT4_GOOD_OLD_INODE_SIZE);
		size_t off = hi;
		if (*has_hi) {
			c = ext4_csum(c, &zero, 2);
			off += 2;
		}
		c = ext4_csum(c, p + off, fs->inode_size - off);
	}
	return c;
}

bool ext4_inode_csum_ok(const struct ext4_fs *fs, const void *raw_, uint32_t seed)
{
	const struct ext4_inode *raw = raw_;
	bool has_hi;
	uint32_t c, want;

	if (!fs->csum)
		return true;
	c = inode_csum(fs, raw, seed, &has_hi);
	want = raw->i_checksum_lo;
	if (has_hi)
		want |= (uint32_t)raw->i_checksum_hi << 16;
	else
		c &= 0xffff;
	return c == want;
}

bool ext4_extent_block_csum_ok(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			       const void *block, unsigned eh_max)
{
	size_t off = sizeof(struct ext4_extent_header) + (size_t)eh_max * sizeof(struct ext4_extent);
	uint32_t want;

	if (!fs->csum)
		return true;
	if (off + 4 > fs->block_size)
		return false;
	memcpy(&want, (const char *)block + off, 4);
	return ext4_csum(ei->csum_seed, block, off) == want;
}

bool ext4_dir_block_csum_ok(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			    const void *block)
{
	const struct ext4_dir_entry_tail *t;
	size_t off = fs->block_size - sizeof(*t);

	if (!fs->csum)
		return true;
	t = (const void *)((const char *)block + off);
	if (t->det_reserved_zero1 || t->det_rec_len != sizeof(*t) || t->det_reserved_zero2 ||
	    t->det_reserved_ft != EXT4_DIR_TAIL_FT)
		return true; /* no tail: an htree index block (its own tail is not checked) */
	return ext4_csum(ei->csum_seed, block, off) == t->det_checksum;
}

/* ---- setting checksums (writing) ---- */

void ext4_super_csum_set(struct ext4_super_block *es)
{
	es->s_checksum = ext4_csum(~0u, es, __builtin_offsetof(struct ext4_super_block, s_checksum));
}

void ext4_group_desc_csum_set(const struct ext4_fs *fs, uint32_t group, void *gd_)
{
	struct ext4_group_desc *gd = gd_;
	const size_t off = __builtin_offsetof(struct ext4_group_desc, bg_checksum);
	const uint16_t zero = 0;
	uint32_t c;

	if (!fs->csum)
		return; /* gdt_csum (crc16) images are mounted read-only */
	c = ext4_csum(fs->csum_seed, &group, 4);
	c = ext4_csum(c, gd, off);
	c = ext4_csum(c, &zero, 2);
	if (fs->desc_size > off + 2)
		c = ext4_csum(c, (const char *)gd + off + 2, fs->desc_size - off - 2);
	gd->bg_checksum = (uint16_t)c;
}

void ext4_bitmap_csum_set(const struct ext4_fs *fs, void *gd_, bool inode_bitmap, const void *bitmap)
{
	struct ext4_group_desc *gd = gd_;
	uint32_t c;

	if (!fs->csum)
		return;
	if (inode_bitmap) {
		c = ext4_csum(fs->csum_seed, bitmap, fs->inodes_per_group / 8);
		gd->bg_inode_bitmap_csum_lo = (uint16_t)c;
		if (fs->desc_size >= EXT4_DESC_SIZE_64)
			gd->bg_inode_bitmap_csum_hi = (uint16_t)(c >> 16);
	} else {
		c = ext4_csum(fs->csum_seed, bitmap, fs->blocks_per_group / 8);
		gd->bg_block_bitmap_csum_lo = (uint16_t)c;
		if (fs->desc_size >= EXT4_DESC_SIZE_64)
			gd->bg_block_bitmap_csum_hi = (uint16_t)(c >> 16);
	}
}

void ext4_inode_csum_set(const struct ext4_fs *fs, void *raw_, uint32_t seed)
{
	struct ext4_inode *raw = raw_;
	bool has_hi;
	uint32_t c;

	if (!fs->csum)
		return;
	c = inode_csum(fs, raw, seed, &has_hi);
	raw->i_checksum_lo = (uint16_t)c;
	if (has_hi)
		raw->i_checksum_hi = (uint16_t)(c >> 16);
}

void ext4_extent_block_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
				void *block)
{
	const struct ext4_extent_header *eh = block;
	size_t off = sizeof(*eh) + (size_t)eh->eh_max * sizeof(struct ext4_extent);
	uint32_t c;

	if (!fs->csum || off + 4 > fs->block_size)
		return;
	c = ext4_csum(ei->csum_seed, block, off);
	memcpy((char *)block + off, &c, 4);
}

void ext4_dir_block_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			     void *block)
{
	struct ext4_dir_entry_tail *t;
	size_t off = fs->block_size - sizeof(*t);

	if (!fs->csum)
		return;
	t = (void *)((char *)block + off);
	t->det_checksum = ext4_csum(ei->csum_seed, block, off);
}

void ext4_dx_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei, void *block,
		      size_t count_offset)
{
	uint16_t limit, count;
	uint32_t c, zero = 0;
	char *p = block;

	if (!fs->csum)
		return;
	memcpy(&limit, p + count_offset, 2);
	memcpy(&count, p + count_offset + 2, 2);
	size_t tail = count_offset + (size_t)limit * 8;
	if (tail + 8 > fs->block_size || count > limit)
		return;
	c = ext4_csum(ei->csum_seed, block, count_offset + (size_t)count * 8);
	c = ext4_csum(c, &zero, 4); /* dt_reserved */
	c = ext4_csum(c, &zero, 4); /* dt_checksum, as zero */
	memcpy(p + tail, &zero, 4);
	memcpy(p + tail + 4, &c, 4);
}
