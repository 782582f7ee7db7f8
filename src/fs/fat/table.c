/*
 * The file allocation table: reading and writing entries of FAT12 (1.5
 * bytes, possibly across two sectors), FAT16 and FAT32 (28 bits, the top
 * four kept), walking cluster chains with every link checked, allocating
 * from the next-free hint and freeing chains, with the free count kept
 * exact (FSInfo is rewritten with it at each flush). Metadata sectors are
 * changed in the block cache, marked dirty there (mark_buffer_dirty) and
 * held in fs->dirty until fat_flush() writes them (sync_buffer), a FAT
 * sector into every copy of the FAT: each operation is on the disk when
 * it returns; the cache's write-back thread may write earlier.
 *
 * Locking: fs->lock held by the caller for everything here.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include "fat.h"

struct buffer *fat_bread(struct fat_fs *fs, uint64_t sector)
{
	if (sector >= fs->total_sectors)
		return ERR_PTR(fat_corrupt(fs, "sector %llu outside the file system",
					   (unsigned long long)sector));
	return bread(fs->bd, sector, fs->sector_size);
}

/* Write b now through the block cache's write-back (mark dirty, then
 * write and wait: the content written is the one it has at this call). */
static int write_buffer(struct buffer *b)
{
	mark_buffer_dirty(b);
	return sync_buffer(b);
}

/* FAT sector b (of FAT 0) into the same sector of every other FAT. */
static int write_fat_copies(struct fat_fs *fs, struct buffer *b)
{
	int err = 0;

	for (unsigned k = 1; k < fs->nr_fats; k++) {
		struct buffer *c = fat_bread(fs, b->block + (uint64_t)k * fs->fat_sectors);
		if (IS_ERR(c)) {
			if (!err)
				err = (int)PTR_ERR(c);
			continue;
		}
		memcpy(c->data, b->data, fs->sector_size);
		int e = write_buffer(c);
		brelse(c);
		if (e && !err)
			err = e;
	}
	return err;
}

int fat_flush(struct fat_fs *fs)
{
	int err = 0;

	for (unsigned i = 0; i < fs->nr_dirty; i++) {
		struct buffer *b = fs->dirty[i];
		int e = write_buffer(b);
		if (e && !err)
			err = e;
		if (fs->dirty_is_fat[i]) {
			e = write_fat_copies(fs, b);
			if (e && !err)
				err = e;
		}
		brelse(b);
		fs->dirty[i] = NULL;
	}
	fs->nr_dirty = 0;
	if (fs->fsinfo_dirty && fs->fsinfo_sector && !fs->readonly) {
		struct buffer *b = fat_bread(fs, fs->fsinfo_sector);
		if (IS_ERR(b)) {
			if (!err)
				err = (int)PTR_ERR(b);
		} else {
			uint8_t *d = b->data;
			put_le32(d + FSI_FREE_COUNT, fs->free_count);
			put_le32(d + FSI_NXT_FREE, fs->next_free);
			int e = write_buffer(b);
			if (e && !err)
				err = e;
			brelse(b);
		}
		fs->fsinfo_dirty = false;
	}
	if (err && !fs->io_error)
		fs->io_error = err;
	return err;
}

int fat_mark_dirty(struct fat_fs *fs, struct buffer *b, bool is_fat)
{
	if (fs->readonly)
		return -EROFS;
	mark_buffer_dirty(b); /* the cache keeps it until written */
	for (unsigned i = 0; i < fs->nr_dirty; i++)
		if (fs->dirty[i] == b)
			return 0;
	if (fs->nr_dirty == FAT_DIRTY_MAX) {
		int err = fat_flush(fs);
		if (err)
			return err;
	}
	/* hold it: a dirty buffer must not be evicted before it is written */
	struct buffer *again = bread(fs->bd, b->block, b->size);
	if (IS_ERR(again))
		return (int)PTR_ERR(again);
	fs->dirty[fs->nr_dirty] = again;
	fs->dirty_is_fat[fs->nr_dirty] = is_fat;
	fs->nr_dirty++;
	return 0;
}

/* Byte offset of entry c inside the FAT. */
static uint64_t entry_offset(const struct fat_fs *fs, uint32_t c)
{
	if (fs->bits == 12)
		return (uint64_t)c + c / 2;
	return (uint64_t)c * (fs->bits / 8);
}

int fat_get(struct fat_fs *fs, uint32_t c, uint32_t *next)
{
	uint64_t off = entry_offset(fs, c);
	uint64_t sec = fs->fat_start + (off >> fs->log_sector);
	size_t in = (size_t)(off & (fs->sector_size - 1));
	struct buffer *b = fat_bread(fs, sec);

	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	const uint8_t *d = b->data;
	if (fs->bits == 32) {
		*next = get_le32(d + in) & FAT32_MASK;
	} else if (fs->bits == 16) {
		*next = get_le16(d + in);
	} else {
		uint8_t lo = d[in], hi;
		if (in + 1 < fs->sector_size) {
			hi = d[in + 1];
		} else {
			struct buffer *b2 = fat_bread(fs, sec + 1);
			if (IS_ERR(b2)) {
				brelse(b);
				return (int)PTR_ERR(b2);
			}
			hi = ((uint8_t *)b2->data)[0];
			brelse(b2);
		}
		uint16_t w = (uint16_t)(lo | hi << 8);
		*next = (c & 1) ? (uint32_t)(w >> 4) : (uint32_t)(w & 0xFFF);
	}
	brelse(b);
	return 0;
}

int fat_set(struct fat_fs *fs, uint32_t c, uint32_t v)
{
	if (!fat_cluster_valid(fs, c))
		return fat_corrupt(fs, "write of FAT entry %u", c);
	return fat_set_entry(fs, c, v);
}

int fat_set_entry(struct fat_fs *fs, uint32_t c, uint32_t v)
{
	uint64_t off = entry_offset(fs, c);
	uint64_t sec = fs->fat_start + (off >> fs->log_sector);
	size_t in = (size_t)(off & (fs->sector_size - 1));
	int err;

	struct buffer *b = fat_bread(fs, sec);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	uint8_t *d = b->data;
	if (fs->bits == 32) {
		put_le32(d + in, (get_le32(d + in) & ~FAT32_MASK) | (v & FAT32_MASK));
	} else if (fs->bits == 16) {
		put_le16(d + in, (uint16_t)v);
	} else {
		struct buffer *b2 = NULL;
		uint8_t *hi;
		if (in + 1 < fs->sector_size) {
			hi = d + in + 1;
		} else {
			b2 = fat_bread(fs, sec + 1);
			if (IS_ERR(b2)) {
				brelse(b);
				return (int)PTR_ERR(b2);
			}
			hi = b2->data;
		}
		if (c & 1) {
			d[in] = (uint8_t)((d[in] & 0x0F) | (v << 4));
			*hi = (uint8_t)(v >> 4);
		} else {
			d[in] = (uint8_t)v;
			*hi = (uint8_t)((*hi & 0xF0) | ((v >> 8) & 0x0F));
		}
		if (b2) {
			err = fat_mark_dirty(fs, b2, true);
			brelse(b2);
			if (err) {
				brelse(b);
				return err;
			}
		}
	}
	err = fat_mark_dirty(fs, b, true);
	brelse(b);
	return err;
}

int fat_next(struct fat_fs *fs, uint32_t c, uint32_t *next)
{
	uint32_t v;
	int err = fat_get(fs, c, &v);

	if (err)
		return err;
	if (fat_is_eoc(fs, v)) {
		*next = 0;
		return 0;
	}
	if (!fat_cluster_valid(fs, v))
		return fat_corrupt(fs, "cluster %u links to %s %u", c,
				   v == 0 ? "free entry" : v == fs->bad ? "bad cluster" : "invalid", v);
	*next = v;
	return 0;
}

int fat_chain_length(struct fat_fs *fs, uint32_t start, uint32_t *len)
{
	uint32_t n = 0, c = start;

	while (c) {
		if (!fat_cluster_valid(fs, c))
			return fat_corrupt(fs, "chain through invalid cluster %u", c);
		if (++n > fs->max_cluster - 1)
			return fat_corrupt(fs, "cluster chain from %u loops", start);
		int err = fat_next(fs, c, &c);
		if (err)
			return err;
	}
	*len = n;
	return 0;
}

int fat_bmap(struct fat_inode_info *ei, uint32_t index, uint32_t *cluster)
{
	struct fat_fs *fs = ei->fs;
	uint32_t i = 0, c = ei->start;

	if (!c)
		return -ENOENT;
	if (!fat_cluster_valid(fs, c))
		return fat_corrupt(fs, "first cluster %u invalid", c);
	if (ei->hint_cluster && ei->hint_index <= index) {
		i = ei->hint_index;
		c = ei->hint_cluster;
	}
	if (index > fs->max_cluster)
		return -ENOENT;
	while (i < index) {
		int err = fat_next(fs, c, &c);
		if (err)
			return err;
		if (!c)
			return -ENOENT;
		if (++i > fs->max_cluster - 1)
			return fat_corrupt(fs, "cluster chain loops");
	}
	ei->hint_index = index;
	ei->hint_cluster = c;
	*cluster = c;
	return 0;
}

int fat_count_free(struct fat_fs *fs, uint32_t *count)
{
	uint32_t n = 0;

	for (uint32_t c = 2; c <= fs->max_cluster; c++) {
		uint32_t v;
		int err = fat_get(fs, c, &v);
		if (err)
			return err;
		if (v == FAT_FREE)
			n++;
	}
	*count = n;
	return 0;
}

static int zero_cluster(struct fat_fs *fs, uint32_t c)
{
	uint64_t sec = fat_cluster_sector(fs, c);

	/* through the cache: a directory cluster is read there next */
	for (unsigned i = 0; i < fs->sec_per_clus; i++) {
		struct buffer *b = fat_bread(fs, sec + i);
		if (IS_ERR(b))
			return (int)PTR_ERR(b);
		memset(b->data, 0, fs->sector_size);
		int err = fat_mark_dirty(fs, b, false);
		brelse(b);
		if (err)
			return err;
	}
	return 0;
}

int fat_alloc(struct fat_fs *fs, uint32_t prev, bool zero, uint32_t *out)
{
	uint32_t nclusters = fs->max_cluster - 1;
	uint32_t c = fs->next_free;
	int err;

	if (fs->readonly)
		return -EROFS;
	if (fs->free_count == 0 && fs->free_exact)
		return -ENOSPC;
	if (!fat_cluster_valid(fs, c))
		c = 2;
	for (uint32_t tries = 0; tries < nclusters; tries++, c = c >= fs->max_cluster ? 2 : c + 1) {
		uint32_t v;
		err = fat_get(fs, c, &v);
		if (err)
			return err;
		if (v != FAT_FREE)
			continue;
		err = fat_set(fs, c, fs->eoc);
		if (!err && zero)
			err = zero_cluster(fs, c);
		if (!err && prev)
			err = fat_set(fs, prev, c);
		if (err)
			return err;
		if (fs->free_count)
			fs->free_count--;
		fs->next_free = c >= fs->max_cluster ? 2 : c + 1;
		fs->fsinfo_dirty = true;
		*out = c;
		return 0;
	}
	/* the count said otherwise: trust the FAT */
	fs->free_count = 0;
	fs->free_exact = true;
	fs->fsinfo_dirty = true;
	return -ENOSPC;
}

int fat_free_chain(struct fat_fs *fs, uint32_t c)
{
	uint32_t n = 0;

	while (c) {
		uint32_t next;
		if (!fat_cluster_valid(fs, c))
			return fat_corrupt(fs, "free of invalid cluster %u", c);
		if (++n > fs->max_cluster - 1)
			return fat_corrupt(fs, "cluster chain loops while freeing");
		int err = fat_next(fs, c, &next);
		if (err)
			return err;
		err = fat_set(fs, c, FAT_FREE);
		if (err)
			return err;
		if (fs->free_count < fs->max_cluster - 1)
			fs->free_count++;
		fs->fsinfo_dirty = true;
		c = next;
	}
	return 0;
}
