/*
 * Changing directories: add, remove and repoint entries, a new
 * directory's first block, the emptiness test of rmdir.
 *
 * Linear directories: a new entry goes into the first gap large enough
 * (the slack of a live entry is split off, a free entry reused); when no
 * block has room a block is appended, except that a one-block directory
 * that is full becomes htree-indexed, as Linux does (htree_write.c). Removal merges the entry into the one before it (rec_len), or
 * frees it in place when it is the first of its block.
 * htree-indexed directories: htree_write.c (the index stays valid).
 * Every changed leaf gets its crc32c tail again (metadata_csum).
 *
 * Locking: caller holds fs->lock alone.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/printk.h>
#include "ext4.h"

#define REC_LEN(name_len) ((EXT4_DIR_ENTRY_HEADER + (name_len) + 3) & ~3u)

uint8_t ext4_ftype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return EXT4_FT_REG_FILE;
	case S_IFDIR: return EXT4_FT_DIR;
	case S_IFCHR: return EXT4_FT_CHRDEV;
	case S_IFBLK: return EXT4_FT_BLKDEV;
	case S_IFIFO: return EXT4_FT_FIFO;
	case S_IFSOCK: return EXT4_FT_SOCK;
	case S_IFLNK: return EXT4_FT_SYMLINK;
	}
	return EXT4_FT_UNKNOWN;
}

/* Bytes of a leaf block that hold entries (the tail excluded). */
size_t ext4_dir_leaf_end(const struct ext4_fs *fs)
{
	return fs->block_size - (fs->csum ? sizeof(struct ext4_dir_entry_tail) : 0);
}

static bool is_indexed(struct inode *dir)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	return (ei->flags & EXT4_INDEX_FL) && (ei->fs->compat & EXT4_FEATURE_COMPAT_DIR_INDEX);
}

/* Borrow directory block lblk, checked. */
struct buffer *ext4_dir_block(struct inode *dir, uint32_t lblk)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct ext4_fs *fs = ei->fs;
	struct ext4_map m;
	int err = ext4_map_block(dir, lblk, &m);

	if (err)
		return ERR_PTR(err);
	if (m.kind != EXT4_MAP_MAPPED)
		return ERR_PTR(ext4_corrupt(fs, "directory %u: hole at block %u", ei->ino, lblk));
	struct buffer *b = ext4_bread(fs, m.pblk);
	if (IS_ERR(b))
		return b;
	if (!ext4_dir_block_csum_ok(fs, ei, b->data)) {
		brelse(b);
		return ERR_PTR(ext4_corrupt(fs, "directory %u: block %u checksum does not match",
					    ei->ino, lblk));
	}
	return b;
}

/* Check the entry at off of a block with entries in [0, end). */
static struct ext4_dir_entry_2 *entry_at(struct ext4_fs *fs, struct inode *dir, void *data, size_t off,
					 size_t end, int *err)
{
	struct ext4_dir_entry_2 *de = (void *)((char *)data + off);

	if (end - off < EXT4_DIR_ENTRY_HEADER || de->rec_len < EXT4_DIR_ENTRY_HEADER ||
	    (de->rec_len & 3) || de->rec_len > end - off ||
	    (de->inode && EXT4_DIR_ENTRY_HEADER + de->name_len > de->rec_len) ||
	    de->inode > fs->inodes_count) {
		*err = ext4_corrupt(fs, "directory %u: bad entry at %zu", EXT4_I(dir)->ino, off);
		return NULL;
	}
	return de;
}

static void fill_entry(struct ext4_fs *fs, struct ext4_dir_entry_2 *de, const char *name, size_t len,
		       uint32_t ino, mode_t mode)
{
	de->inode = ino;
	de->name_len = (uint8_t)len;
	de->file_type = ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_FILETYPE) ? ext4_ftype(mode) : 0;
	memcpy(de->name, name, len);
}

static void leaf_dirty(struct ext4_handle *h, struct inode *dir, struct buffer *b)
{
	ext4_dir_block_csum_set(h->fs, EXT4_I(dir), b->data);
	ext4_handle_dirty_metadata(h, b);
}

/* Put the entry into block b if it has room. 1: done, 0: no room, -errno. */
int ext4_dir_insert_in_block(struct ext4_handle *h, struct inode *dir, struct buffer *b,
			     const char *name, size_t len, uint32_t ino, mode_t mode)
{
	struct ext4_fs *fs = h->fs;
	size_t end = ext4_dir_leaf_end(fs), need = REC_LEN(len), off = 0;
	int err = 0;

	while (off < end) {
		struct ext4_dir_entry_2 *de = entry_at(fs, dir, b->data, off, end, &err);
		if (!de)
			return err;
		size_t used = de->inode ? REC_LEN(de->name_len) : 0;
		if (de->rec_len - used >= need) {
			if ((err = ext4_journal_get_write_access(h, b)))
				return err;
			if (used) {
				struct ext4_dir_entry_2 *nde = (void *)((char *)de + used);
				nde->rec_len = (uint16_t)(de->rec_len - used);
				de->rec_len = (uint16_t)used;
				de = nde;
			}
			fill_entry(fs, de, name, len, ino, mode);
			leaf_dirty(h, dir, b);
			return 1;
		}
		off += de->rec_len;
	}
	return 0;
}

/* Format an empty leaf: one free entry over the block, then the tail. */
void ext4_dir_leaf_init(struct ext4_fs *fs, void *data)
{
	struct ext4_dir_entry_2 *de = data;

	memset(data, 0, fs->block_size);
	de->rec_len = (uint16_t)ext4_dir_leaf_end(fs);
	if (fs->csum) {
		struct ext4_dir_entry_tail *t = (void *)((char *)data + ext4_dir_leaf_end(fs));
		t->det_rec_len = sizeof(*t);
		t->det_reserved_ft = EXT4_DIR_TAIL_FT;
	}
}

/* Append a new, empty block to dir. Return it (borrowed) or ERR_PTR. */
struct buffer *ext4_dir_append_block(struct ext4_handle *h, struct inode *dir)
{
	struct ext4_fs *fs = h->fs;
	uint64_t lblk = (uint64_t)dir->size >> fs->log_block_size;
	struct ext4_map m;
	bool fresh;
	int err;

	if (lblk >= UINT32_MAX)
		return ERR_PTR(-EFBIG);
	if ((err = ext4_map_create(h, dir, (uint32_t)lblk, 1, &m, &fresh)))
		return ERR_PTR(err);
	struct buffer *b = bread(fs->bd, m.pblk, fs->block_size);
	if (IS_ERR(b))
		return b;
	if ((err = ext4_journal_get_write_access(h, b))) {
		brelse(b);
		return ERR_PTR(err);
	}
	ext4_dir_leaf_init(fs, b->data);
	leaf_dirty(h, dir, b);
	spin_lock(&dir->lock);
	dir->size = (off_t)((lblk + 1) << fs->log_block_size);
	spin_unlock(&dir->lock);
	return b;
}

static void touch_dir(struct inode *dir)
{
	spin_lock(&dir->lock);
	inode_touch(dir);
	spin_unlock(&dir->lock);
}

int ext4_add_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		   uint32_t ino, mode_t mode)
{
	struct ext4_fs *fs = h->fs;
	int r;

	if (len == 0 || len > EXT4_NAME_LEN)
		return len ? -ENAMETOOLONG : -ENOENT;
	if (EXT4_I(dir)->inline_data)
		return -EOPNOTSUPP; /* inline directories are not written (docs/ext4.md) */
	if (is_indexed(dir)) {
		r = ext4_dx_add_entry(h, dir, name, len, ino, mode);
		if (r == 0)
			return -ENOSPC; /* the index is full */
	} else {
		uint32_t nblocks = (uint32_t)((uint64_t)dir->size >> fs->log_block_size);
		r = 0;
		for (uint32_t lblk = 0; lblk < nblocks && r == 0; lblk++) {
			__free(brelse) struct buffer *b = ext4_dir_block(dir, lblk);
			if (IS_ERR(b))
				return (int)PTR_ERR(b);
			r = ext4_dir_insert_in_block(h, dir, b, name, len, ino, mode);
		}
		/* One full block: index it, as Linux does (dir_index) */
		if (r == 0 && nblocks == 1 && (fs->compat & EXT4_FEATURE_COMPAT_DIR_INDEX)) {
			r = ext4_dx_make_indexed(h, dir);
			if (r == 1 && (r = ext4_dx_add_entry(h, dir, name, len, ino, mode)) == 0)
				r = -ENOSPC;
		}
		if (r == 0) {
			__free(brelse) struct buffer *b = ext4_dir_append_block(h, dir);
			if (IS_ERR(b))
				return (int)PTR_ERR(b);
			r = ext4_dir_insert_in_block(h, dir, b, name, len, ino, mode);
			if (r == 0)
				r = -ENAMETOOLONG;
		}
	}
	if (r < 0)
		return r;
	touch_dir(dir);
	return ext4_write_inode(h, dir);
}

/* Find name in dir: the block (borrowed), the entry's offset and the
 * previous entry's offset in that block (SIZE_MAX: it is the first). */
struct found {
	struct buffer *b;
	size_t off, prev;
};

static int find_in_block(struct inode *dir, struct buffer *b, const char *name, size_t len,
			 struct found *f)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	size_t end = ext4_dir_leaf_end(fs), off = 0, prev = SIZE_MAX;
	int err = 0;

	/* an htree node or root block: its entries end where its dirents do */
	while (off < fs->block_size) {
		size_t lim = off < end ? end : fs->block_size;
		struct ext4_dir_entry_2 *de = entry_at(fs, dir, b->data, off, lim, &err);
		if (!de)
			return err;
		if (de->inode && de->name_len == len && !memcmp(de->name, name, len)) {
			f->b = b;
			f->off = off;
			f->prev = prev;
			return 1;
		}
		prev = off;
		off += de->rec_len;
		if (off >= end)
			break;
	}
	return 0;
}

/* find_in_block on dir's block lblk; the block stays held (in f) only
 * when the name is there (1). */
static int find_in_lblk(struct inode *dir, uint32_t lblk, const char *name, size_t len,
			struct found *f)
{
	struct buffer *b = ext4_dir_block(dir, lblk);
	int r;

	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	r = find_in_block(dir, b, name, len, f);
	if (r <= 0)
		brelse(b);
	return r;
}

static int find_slot(struct inode *dir, const char *name, size_t len, struct found *f)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	uint32_t nblocks = (uint32_t)((uint64_t)dir->size >> fs->log_block_size);
	int r;

	if (EXT4_I(dir)->inline_data)
		return -EOPNOTSUPP;
	if (is_indexed(dir) && !(len == 2 && name[0] == '.' && name[1] == '.')) {
		struct ext4_dx_leaf dl;
		if (!ext4_dx_find_leaf(dir, name, len, &dl)) {
			for (int k = 0; k < 2; k++) {
				if (k == 1 && !dl.check_next)
					break;
				r = find_in_lblk(dir, k ? dl.next_leaf : dl.leaf, name, len, f);
				if (r != 0)
					return r;
			}
		}
	}
	for (uint32_t lblk = 0; lblk < nblocks; lblk++) {
		r = find_in_lblk(dir, lblk, name, len, f);
		if (r != 0)
			return r;
	}
	return 0;
}

int64_t ext4_delete_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len)
{
	struct found f;
	int r = find_slot(dir, name, len, &f);

	if (r <= 0)
		return r ? r : -ENOENT;
	__free(brelse) struct buffer *b = f.b;
	if ((r = ext4_journal_get_write_access(h, b)))
		return r;
	struct ext4_dir_entry_2 *de = (void *)((char *)b->data + f.off);
	uint32_t ino = de->inode;
	if (f.prev != SIZE_MAX) {
		struct ext4_dir_entry_2 *pde = (void *)((char *)b->data + f.prev);
		pde->rec_len = (uint16_t)(pde->rec_len + de->rec_len);
	} else {
		de->inode = 0;
	}
	leaf_dirty(h, dir, b);
	touch_dir(dir);
	if ((r = ext4_write_inode(h, dir)))
		return r;
	return ino;
}

int ext4_set_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		   uint32_t ino, mode_t mode)
{
	struct found f;
	int r = find_slot(dir, name, len, &f);

	if (r <= 0)
		return r ? r : -ENOENT;
	__free(brelse) struct buffer *b = f.b;
	if ((r = ext4_journal_get_write_access(h, b)))
		return r;
	struct ext4_dir_entry_2 *de = (void *)((char *)b->data + f.off);
	de->inode = ino;
	if (ext4_has_incompat(h->fs, EXT4_FEATURE_INCOMPAT_FILETYPE))
		de->file_type = ext4_ftype(mode);
	leaf_dirty(h, dir, b);
	touch_dir(dir);
	return ext4_write_inode(h, dir);
}

int ext4_dir_is_empty(struct inode *dir)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	uint32_t nblocks = (uint32_t)((uint64_t)dir->size >> fs->log_block_size);
	size_t end = ext4_dir_leaf_end(fs);
	int err = 0;

	if (EXT4_I(dir)->inline_data)
		return -EOPNOTSUPP;
	for (uint32_t lblk = 0; lblk < nblocks; lblk++) {
		__free(brelse) struct buffer *b = ext4_dir_block(dir, lblk);
		if (IS_ERR(b))
			return (int)PTR_ERR(b);
		for (size_t off = 0; off < end;) {
			size_t lim = off < end ? end : fs->block_size;
			struct ext4_dir_entry_2 *de = entry_at(fs, dir, b->data, off, MAX(lim, (size_t)fs->block_size), &err);
			if (!de)
				return err;
			bool dot = (de->name_len == 1 && de->name[0] == '.') ||
				   (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
			if (de->inode && !dot)
				return 0;
			off += de->rec_len;
		}
	}
	return 1;
}

int ext4_dir_init_block(struct ext4_handle *h, struct inode *dir, uint32_t parent)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_dir_entry_2 *de;

	__free(brelse) struct buffer *b = ext4_dir_append_block(h, dir);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	de = b->data;
	de->rec_len = REC_LEN(1);
	fill_entry(fs, de, ".", 1, EXT4_I(dir)->ino, S_IFDIR);
	de = (void *)((char *)b->data + REC_LEN(1));
	de->rec_len = (uint16_t)(ext4_dir_leaf_end(fs) - REC_LEN(1));
	fill_entry(fs, de, "..", 2, parent, S_IFDIR);
	leaf_dirty(h, dir, b);
	return ext4_write_inode(h, dir);
}
