/*
 * ext4 directories: readdir and lookup by a linear scan of the directory
 * entries, block by block. htree-indexed directories read the same way:
 * their index blocks look like one empty entry covering the block (the
 * root's index hides in the ".." entry's slack), so a scan skips them;
 * a lookup in one goes by hash to its leaf instead (htree.c), falling
 * back to the scan when the index cannot give a sure answer.
 * Inline directories (inline.c) are scanned the same way over the bytes
 * kept in the inode.
 *
 * Each entry is checked before use: header inside the block, rec_len a
 * multiple of 4 that fits, the name inside the record, the inode number in
 * range. A leaf block's crc32c tail is checked under metadata_csum.
 * The readdir cookie (ctx->pos) is the byte offset of the next entry;
 * inline directories use 0 ".", 1 "..", then byte offsets from 4.
 * Locking: the VFS entry points here (readdir, lookup) hold fs->lock
 * shared; ext4_find_entry expects the caller to hold it.
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <uapi/dirent.h>
#include "ext4.h"

unsigned ext4_dtype(uint8_t ft)
{
	static const uint8_t dt[EXT4_FT_MAX] = {
		[EXT4_FT_UNKNOWN] = DT_UNKNOWN, [EXT4_FT_REG_FILE] = DT_REG, [EXT4_FT_DIR] = DT_DIR,
		[EXT4_FT_CHRDEV] = DT_CHR,      [EXT4_FT_BLKDEV] = DT_BLK,   [EXT4_FT_FIFO] = DT_FIFO,
		[EXT4_FT_SOCK] = DT_SOCK,       [EXT4_FT_SYMLINK] = DT_LNK,
	};
	return ft < EXT4_FT_MAX ? dt[ft] : DT_UNKNOWN;
}

/* Called for each live entry; return 1 to stop (the entry is not passed),
 * 0 to go on, or -errno. */
typedef int (*dirent_fn)(void *arg, const struct ext4_dir_entry_2 *de, size_t name_len, uint64_t cookie);

/*
 * Walk the entries of buf[start, end) (one block, or one inline region),
 * passing those at offsets >= from to fn (with cookie base + offset). *resume gets the offset where a
 * stop happened, or end. Return 0, 1 (stopped) or -errno.
 */
static int walk_entries(struct ext4_fs *fs, struct ext4_inode_info *ei, const char *buf,
			size_t start, size_t end, size_t from, uint64_t base, dirent_fn fn, void *arg,
			size_t *resume)
{
	size_t off = start;

	while (off < end) {
		const struct ext4_dir_entry_2 *de = (const void *)(buf + off);
		if (end - off < EXT4_DIR_ENTRY_HEADER)
			return ext4_corrupt(fs, "directory %u: entry header past the block at %zu", ei->ino, off);
		size_t rec_len = de->rec_len;
		size_t name_len = de->name_len;
		if (rec_len < EXT4_DIR_ENTRY_HEADER || (rec_len & 3) || rec_len > end - off ||
		    (de->inode && (name_len == 0 || EXT4_DIR_ENTRY_HEADER + name_len > rec_len)) ||
		    de->inode > fs->inodes_count)
			return ext4_corrupt(fs, "directory %u: bad entry at %zu (rec_len %zu, name_len %zu, inode %u)",
					    ei->ino, off, rec_len, name_len, de->inode);
		if (de->inode && off >= from) {
			int r = fn(arg, de, name_len, base + off);
			if (r) {
				*resume = off;
				return r;
			}
		}
		off += rec_len;
	}
	*resume = end;
	return 0;
}

/* Walk every entry of dir from cookie pos: fn decides what to do. On a
 * stop, *pos is the cookie of the entry that stopped the walk. */
static int dir_walk(struct inode *dir, off_t *pos, dirent_fn fn, void *arg)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct ext4_fs *fs = ei->fs;
	uint64_t size = (uint64_t)dir->size;
	size_t resume;
	int r;

	if (ei->inline_data) {
		/* bytes 0..3 hold the parent; entries in [4, 60) then [60, size) */
		size_t split = MIN((size_t)60, ei->inline_size);
		uint64_t p = MAX((uint64_t)*pos, 4);
		if (p < split) {
			r = walk_entries(fs, ei, ei->inline_data, 4, split, p, 0, fn, arg, &resume);
			if (r) {
				*pos = (off_t)resume;
				return r < 0 ? r : 0;
			}
			p = split;
		}
		if (p < ei->inline_size) {
			r = walk_entries(fs, ei, ei->inline_data, split, ei->inline_size, p, 0, fn, arg, &resume);
			if (r) {
				*pos = (off_t)resume;
				return r < 0 ? r : 0;
			}
		}
		*pos = (off_t)MAX(p, (uint64_t)ei->inline_size);
		return 0;
	}
	while ((uint64_t)*pos < size) {
		uint64_t base = (uint64_t)*pos & ~(uint64_t)(fs->block_size - 1);
		__free(brelse) struct buffer *b = ext4_dir_block(dir, (uint32_t)(base >> fs->log_block_size));
		if (IS_ERR(b))
			return (int)PTR_ERR(b);
		r = walk_entries(fs, ei, b->data, 0, fs->block_size, (size_t)(*pos - base), base, fn, arg,
				 &resume);
		if (r) {
			*pos = (off_t)(base + resume);
			return r < 0 ? r : 0;
		}
		*pos = (off_t)(base + fs->block_size);
	}
	return 0;
}

struct readdir_state {
	struct dir_context *ctx;
	bool filetype;
};

static int readdir_one(void *arg, const struct ext4_dir_entry_2 *de, size_t name_len, uint64_t cookie)
{
	struct readdir_state *st = arg;
	unsigned dt = st->filetype ? ext4_dtype(de->file_type) : DT_UNKNOWN;

	if (!st->ctx->emit(st->ctx, de->name, name_len, de->inode, dt))
		return 1;
	/* Past this entry: a walk from cookie + 1 starts at the next one
	 * (entries are 4-aligned). Kept if a later block fails to read. */
	st->ctx->pos = (off_t)cookie + 1;
	return 0;
}

int ext4_iterate(struct inode *dir, struct dir_context *ctx)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct readdir_state st = {
		.ctx = ctx,
		.filetype = ext4_has_incompat(ei->fs, EXT4_FEATURE_INCOMPAT_FILETYPE),
	};

	if (ei->inline_data) {
		uint32_t parent;
		memcpy(&parent, ei->inline_data, 4);
		if (ctx->pos == 0) {
			if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR))
				return 0;
			ctx->pos = 1;
		}
		if (ctx->pos == 1) {
			if (!ctx->emit(ctx, "..", 2, parent, DT_DIR))
				return 0;
			ctx->pos = 2;
		}
	}
	off_t pos = ctx->pos;
	rwlock_read_lock(&ei->fs->lock);
	int err = dir_walk(dir, &pos, readdir_one, &st);
	rwlock_read_unlock(&ei->fs->lock);
	if (err)
		return err;
	ctx->pos = pos;
	return 0;
}

struct lookup_state {
	const char *name;
	size_t len;
	uint32_t ino;
};

static int lookup_one(void *arg, const struct ext4_dir_entry_2 *de, size_t name_len, uint64_t cookie)
{
	struct lookup_state *st = arg;

	if (name_len != st->len || memcmp(de->name, st->name, name_len))
		return 0;
	st->ino = de->inode;
	return 1;
}

/* Look for st's name in directory block lblk only. */
static int scan_block(struct inode *dir, uint32_t lblk, struct lookup_state *st)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	size_t resume;

	__free(brelse) struct buffer *b = ext4_dir_block(dir, lblk);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	int r = walk_entries(ei->fs, ei, b->data, 0, ei->fs->block_size, 0, 0, lookup_one, st, &resume);
	return r < 0 ? r : 0;
}

/*
 * An indexed directory: scan only the leaf the hash leads to (and the
 * next one when the hash continues there). Return 0 with st->ino set or
 * not (a sure answer), 1 when only a full scan can tell, or -errno.
 */
static int dx_lookup(struct inode *dir, struct lookup_state *st)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	struct ext4_dx_leaf dl;
	int err = ext4_dx_find_leaf(dir, st->name, st->len, &dl);

	if (err == -EOPNOTSUPP || (!err && dl.unsure))
		return 1;
	if (err)
		return err;
	__atomic_add_fetch(&fs->dx_lookups, 1, __ATOMIC_RELAXED);
	err = scan_block(dir, dl.leaf, st);
	if (!err && !st->ino && dl.check_next) {
		err = scan_block(dir, dl.next_leaf, st);
		if (!err && !st->ino)
			return 1; /* the run of one hash may go on further */
	}
	return err;
}

int64_t ext4_find_entry(struct inode *dir, const char *name, size_t len)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct lookup_state st = { .name = name, .len = len };
	off_t pos = 0;
	int err = 1;

	if (len > EXT4_NAME_LEN)
		return -ENAMETOOLONG;
	if (ei->inline_data && len == 2 && name[0] == '.' && name[1] == '.') {
		memcpy(&st.ino, ei->inline_data, 4);
		err = 0;
	} else if (!ei->inline_data && (ei->flags & EXT4_INDEX_FL) &&
		   (ei->fs->compat & EXT4_FEATURE_COMPAT_DIR_INDEX) &&
		   !(len == 2 && name[0] == '.' && name[1] == '.')) { /* ".." is in block 0 */
		err = dx_lookup(dir, &st);
		if (err < 0)
			return err;
		if (err)
			__atomic_add_fetch(&ei->fs->dx_fallbacks, 1, __ATOMIC_RELAXED);
	}
	if (err && (err = dir_walk(dir, &pos, lookup_one, &st)) < 0)
		return err;
	if (!st.ino)
		return 0;
	/* names lead to the root or to ordinary inodes, never to the
	 * reserved ones (journal, resize, ...) */
	if (st.ino != EXT4_ROOT_INO && st.ino < ei->fs->first_ino)
		return ext4_corrupt(ei->fs, "directory %u: entry for reserved inode %u", ei->ino, st.ino);
	return st.ino;
}

struct inode *ext4_lookup(struct inode *dir, const char *name, size_t len)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	int64_t ino;

	rwlock_read_lock(&fs->lock);
	ino = ext4_find_entry(dir, name, len);
	rwlock_read_unlock(&fs->lock);
	if (ino < 0)
		return ERR_PTR(ino);
	if (ino == 0)
		return ERR_PTR(-ENOENT);
	return ext4_iget(fs, (uint32_t)ino);
}
