/*
 * Changing htree-indexed directories so the index stays valid: a name
 * goes into the leaf its hash picks; a full leaf is split in two by hash
 * (the upper half moves to a new block, whose first hash, with the
 * continuation bit when one hash spans both, becomes a new index entry);
 * a full root gains a level (its entries move to a new index node); a
 * full index node under a root with room is split in two. Up to one
 * index level below the root (two with largedir are read but not grown:
 * ENOSPC when they fill, as Linux's "directory index full").
 * A one-block linear directory that fills is made indexed first, as
 * Linux does: its entries move to block 1 and block 0 becomes the root.
 * Index blocks get their dx_tail checksum, leaves their dirent tail.
 *
 * Locking: caller holds fs->lock alone.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "ext4.h"

#define REC_LEN(name_len) ((EXT4_DIR_ENTRY_HEADER + (name_len) + 3) & ~3u)
#define ROOT_ENTRIES 32 /* ".", "..", the root info */
#define NODE_ENTRIES 8  /* one empty dirent over the block */
#define DX_TAIL 8

struct dx_entry {
	uint32_t hash;
	uint32_t block;
} __attribute__((packed));

/* One index level on the path: its block and where its entries start. */
struct dx_level {
	struct buffer *b;
	size_t off;       /* byte offset of the count/limit entry */
	unsigned at;      /* the entry followed */
	uint32_t lblk;
};

static uint16_t dx_get(const struct buffer *b, size_t off, int which)
{
	uint16_t v;
	memcpy(&v, (char *)b->data + off + 2 * which, 2);
	return v;
}

static void dx_set_count(struct buffer *b, size_t off, uint16_t count)
{
	memcpy((char *)b->data + off + 2, &count, 2);
}

static struct dx_entry *dx_entries(struct buffer *b, size_t off)
{
	return (struct dx_entry *)((char *)b->data + off);
}

static unsigned dx_limit(const struct ext4_fs *fs, size_t off)
{
	return (unsigned)((fs->block_size - off - (fs->csum ? DX_TAIL : 0)) / sizeof(struct dx_entry));
}

static void dx_dirty(struct ext4_handle *h, struct inode *dir, struct dx_level *l)
{
	ext4_dx_csum_set(h->fs, EXT4_I(dir), l->b->data, l->off);
	ext4_handle_dirty_metadata(h, l->b);
}

/* Read an index block: mapped, inside the directory. */
static struct buffer *dx_read(struct inode *dir, uint32_t lblk)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	struct ext4_map m;

	if ((uint64_t)lblk << fs->log_block_size >= (uint64_t)dir->size)
		return ERR_PTR(ext4_corrupt(fs, "directory %u: htree points past the end", EXT4_I(dir)->ino));
	int err = ext4_map_block(dir, lblk, &m);
	if (err)
		return ERR_PTR(err);
	if (m.kind != EXT4_MAP_MAPPED)
		return ERR_PTR(ext4_corrupt(fs, "directory %u: hole at block %u", EXT4_I(dir)->ino, lblk));
	return ext4_bread(fs, m.pblk);
}

/* Pick the entry for hash in a checked level. */
static int dx_pick_level(struct ext4_fs *fs, struct inode *dir, struct dx_level *l, uint32_t hash)
{
	unsigned limit = dx_get(l->b, l->off, 0), count = dx_get(l->b, l->off, 1);

	if (count == 0 || count > limit || limit > (fs->block_size - l->off) / sizeof(struct dx_entry))
		return ext4_corrupt(fs, "directory %u: htree node counts %u/%u", EXT4_I(dir)->ino, count, limit);
	struct dx_entry *e = dx_entries(l->b, l->off);
	unsigned at = 0;
	for (unsigned i = 1; i < count && e[i].hash <= hash; i++)
		at = i;
	l->at = at;
	return 0;
}

static void path_put(struct dx_level *p, int n)
{
	for (int i = 0; i < n; i++)
		brelse(p[i].b);
}

/* The index path for hash: p[0] the root, p[levels] the deepest node.
 * Return levels (0 or 1) or -errno; *leaf gets the leaf block. */
static int dx_probe(struct inode *dir, uint32_t hash, struct dx_level p[2], uint32_t *leaf,
		    unsigned *hash_version)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	int err;

	memset(p, 0, 2 * sizeof(*p));
	p[0].b = dx_read(dir, 0);
	if (IS_ERR(p[0].b)) {
		err = (int)PTR_ERR(p[0].b);
		p[0].b = NULL;
		return err;
	}
	const uint8_t *r = p[0].b->data;
	uint8_t info_len = r[24 + 5], levels = r[24 + 6];
	*hash_version = r[24 + 4];
	if (info_len != 8 || levels > 1) {
		path_put(p, 1);
		return levels > 1 ? -ENOSPC : ext4_corrupt(fs, "directory %u: bad htree root", EXT4_I(dir)->ino);
	}
	p[0].off = ROOT_ENTRIES;
	if ((err = dx_pick_level(fs, dir, &p[0], hash))) {
		path_put(p, 1);
		return err;
	}
	uint32_t next = dx_entries(p[0].b, p[0].off)[p[0].at].block & 0x0fffffff;
	if (levels == 1) {
		p[1].lblk = next;
		p[1].off = NODE_ENTRIES;
		p[1].b = dx_read(dir, next);
		if (IS_ERR(p[1].b)) {
			err = (int)PTR_ERR(p[1].b);
			p[1].b = NULL;
			path_put(p, 1);
			return err;
		}
		if ((err = dx_pick_level(fs, dir, &p[1], hash))) {
			path_put(p, 2);
			return err;
		}
		next = dx_entries(p[1].b, p[1].off)[p[1].at].block & 0x0fffffff;
	}
	*leaf = next;
	return levels;
}

/* Insert {hash, block} after entry l->at of a level with room. */
static void dx_insert_entry(struct dx_level *l, uint32_t hash, uint32_t block)
{
	unsigned count = dx_get(l->b, l->off, 1);
	struct dx_entry *e = dx_entries(l->b, l->off);
	unsigned at = l->at + 1;

	memmove(&e[at + 1], &e[at], (count - at) * sizeof(*e));
	e[at].hash = hash;
	e[at].block = block;
	dx_set_count(l->b, l->off, (uint16_t)(count + 1));
}

/* A new index node block holding n entries (the first's hash unused). */
static struct buffer *new_node(struct ext4_handle *h, struct inode *dir, uint32_t *lblk)
{
	struct ext4_fs *fs = h->fs;
	*lblk = (uint32_t)((uint64_t)dir->size >> fs->log_block_size);
	struct buffer *b = ext4_dir_append_block(h, dir); /* formatted as a leaf: redo it */
	if (IS_ERR(b))
		return b;
	memset(b->data, 0, fs->block_size);
	struct ext4_dir_entry_2 *de = b->data;
	de->rec_len = (uint16_t)fs->block_size;
	uint16_t limit = (uint16_t)dx_limit(fs, NODE_ENTRIES);
	memcpy((char *)b->data + NODE_ENTRIES, &limit, 2);
	return b;
}

struct dx_name {
	uint32_t hash;
	uint32_t ino;
	uint8_t type, len;
	char name[EXT4_NAME_LEN];
};

static int cmp_hash(const void *a, const void *b)
{
	const struct dx_name *x = a, *y = b;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

static void sort_names(struct dx_name *v, size_t n)
{
	for (size_t i = 1; i < n; i++) { /* insertion sort: a leaf holds a few hundred */
		struct dx_name t = v[i];
		size_t j = i;
		while (j > 0 && cmp_hash(&v[j - 1], &t) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
}

/* Rewrite a leaf with names[from, to) packed. */
static void fill_leaf(struct ext4_fs *fs, void *data, const struct dx_name *v, size_t from, size_t to)
{
	size_t off = 0, end = ext4_dir_leaf_end(fs);

	ext4_dir_leaf_init(fs, data);
	for (size_t i = from; i < to; i++) {
		struct ext4_dir_entry_2 *de = (void *)((char *)data + off);
		size_t rl = i + 1 == to ? end - off : REC_LEN(v[i].len);
		de->inode = v[i].ino;
		de->rec_len = (uint16_t)rl;
		de->name_len = v[i].len;
		de->file_type = v[i].type;
		memcpy(de->name, v[i].name, v[i].len);
		off += rl;
	}
}

/* Collect the live entries of leaf b with their hashes. */
static int collect(struct inode *dir, struct buffer *b, unsigned version, struct dx_name *v, size_t *n)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	size_t off = 0, end = ext4_dir_leaf_end(fs);

	*n = 0;
	while (off < end) {
		struct ext4_dir_entry_2 *de = (void *)((char *)b->data + off);
		if (end - off < EXT4_DIR_ENTRY_HEADER || de->rec_len < EXT4_DIR_ENTRY_HEADER ||
		    (de->rec_len & 3) || de->rec_len > end - off ||
		    (de->inode && EXT4_DIR_ENTRY_HEADER + de->name_len > de->rec_len))
			return ext4_corrupt(fs, "directory %u: bad entry in a leaf", EXT4_I(dir)->ino);
		bool dot = (de->name_len == 1 && de->name[0] == '.') ||
			   (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.');
		if (de->inode && !dot) {
			struct dx_name *x = &v[(*n)++];
			x->ino = de->inode;
			x->type = de->file_type;
			x->len = de->name_len;
			memcpy(x->name, de->name, de->name_len);
			if (!ext4_dx_name_hash(fs, version, de->name, de->name_len, &x->hash))
				return -EOPNOTSUPP;
		}
		off += de->rec_len;
	}
	return 0;
}

/* Split leaf lblk (full) under parent level l (with room). */
static int split_leaf(struct ext4_handle *h, struct inode *dir, struct dx_level *l, uint32_t lblk,
		      unsigned version)
{
	struct ext4_fs *fs = h->fs;
	int err;

	__free(brelse) struct buffer *b = ext4_dir_block(dir, lblk);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	size_t max = fs->block_size / EXT4_DIR_ENTRY_HEADER;
	__free(kfree) struct dx_name *v = kmalloc(max * sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t n;
	if ((err = collect(dir, b, version, v, &n)))
		return err;
	if (n < 2)
		return ext4_corrupt(fs, "directory %u: a full leaf of %zu names", EXT4_I(dir)->ino, n);
	sort_names(v, n);
	size_t m = n / 2;
	uint32_t hash2 = v[m].hash;
	uint32_t continued = v[m].hash == v[m - 1].hash ? 1 : 0;
	uint32_t nlblk = (uint32_t)((uint64_t)dir->size >> fs->log_block_size);
	__free(brelse) struct buffer *nb = ext4_dir_append_block(h, dir);
	if (IS_ERR(nb))
		return (int)PTR_ERR(nb);
	if ((err = ext4_journal_get_write_access(h, b)) || (err = ext4_journal_get_write_access(h, nb)) ||
	    (err = ext4_journal_get_write_access(h, l->b)))
		return err;
	fill_leaf(fs, nb->data, v, m, n);
	fill_leaf(fs, b->data, v, 0, m);
	ext4_dir_block_csum_set(fs, EXT4_I(dir), nb->data);
	ext4_dir_block_csum_set(fs, EXT4_I(dir), b->data);
	ext4_handle_dirty_metadata(h, nb);
	ext4_handle_dirty_metadata(h, b);
	dx_insert_entry(l, hash2 | continued, nlblk);
	dx_dirty(h, dir, l);
	return 0;
}

/* The root is full and has no level below: move its entries to a node. */
static int add_level(struct ext4_handle *h, struct inode *dir, struct dx_level *root)
{
	int err;
	uint32_t nlblk;

	__free(brelse) struct buffer *nb = new_node(h, dir, &nlblk);
	if (IS_ERR(nb))
		return (int)PTR_ERR(nb);
	if ((err = ext4_journal_get_write_access(h, root->b)))
		return err;
	unsigned count = dx_get(root->b, root->off, 1);
	struct dx_entry *src = dx_entries(root->b, root->off);
	struct dx_entry *dst = dx_entries(nb, NODE_ENTRIES);
	uint16_t limit = dx_get(nb, NODE_ENTRIES, 0);
	memcpy(&dst[1], &src[1], (count - 1) * sizeof(*src));
	dst[0].block = src[0].block;
	memcpy(&dst[0], &limit, 2);
	dx_set_count(nb, NODE_ENTRIES, (uint16_t)count);
	struct dx_level nl = { .b = nb, .off = NODE_ENTRIES };
	dx_dirty(h, dir, &nl);
	dx_set_count(root->b, root->off, 1);
	src[0].block = nlblk;
	((uint8_t *)root->b->data)[24 + 6] = 1; /* indirect_levels */
	dx_dirty(h, dir, root);
	return 0;
}

/* A full index node under a root with room: move its upper half. */
static int split_node(struct ext4_handle *h, struct inode *dir, struct dx_level *root, struct dx_level *node)
{
	int err;
	uint32_t nlblk;

	__free(brelse) struct buffer *nb = new_node(h, dir, &nlblk);
	if (IS_ERR(nb))
		return (int)PTR_ERR(nb);
	if ((err = ext4_journal_get_write_access(h, root->b)) ||
	    (err = ext4_journal_get_write_access(h, node->b)))
		return err;
	unsigned count = dx_get(node->b, node->off, 1), m = count / 2;
	struct dx_entry *src = dx_entries(node->b, node->off);
	struct dx_entry *dst = dx_entries(nb, NODE_ENTRIES);
	uint16_t limit = dx_get(nb, NODE_ENTRIES, 0);
	uint32_t hash2 = src[m].hash;
	memcpy(&dst[0], &src[m], (count - m) * sizeof(*src));
	memcpy(&dst[0], &limit, 2);
	dx_set_count(nb, NODE_ENTRIES, (uint16_t)(count - m));
	dx_set_count(node->b, node->off, (uint16_t)m);
	struct dx_level nl = { .b = nb, .off = NODE_ENTRIES };
	dx_dirty(h, dir, &nl);
	dx_dirty(h, dir, node);
	dx_insert_entry(root, hash2, nlblk);
	dx_dirty(h, dir, root);
	return 0;
}

int ext4_dx_add_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		      uint32_t ino, mode_t mode)
{
	struct ext4_fs *fs = h->fs;

	for (int tries = 0; tries < 4; tries++) {
		struct dx_level p[2];
		uint32_t leaf, hash;
		unsigned version;
		int levels = dx_probe(dir, 0, p, &leaf, &version);
		if (levels < 0)
			return levels == -ENOSPC ? 0 : levels;
		path_put(p, levels + 1);
		if (!ext4_dx_name_hash(fs, version, name, len, &hash))
			return -EOPNOTSUPP;
		levels = dx_probe(dir, hash, p, &leaf, &version);
		if (levels < 0)
			return levels == -ENOSPC ? 0 : levels;
		int r;
		{
			__free(brelse) struct buffer *b = ext4_dir_block(dir, leaf);
			if (IS_ERR(b)) {
				path_put(p, levels + 1);
				return (int)PTR_ERR(b);
			}
			r = ext4_dir_insert_in_block(h, dir, b, name, len, ino, mode);
		}
		if (r != 0) {
			path_put(p, levels + 1);
			return r;
		}
		struct dx_level *parent = &p[levels];
		if (dx_get(parent->b, parent->off, 1) < dx_get(parent->b, parent->off, 0))
			r = split_leaf(h, dir, parent, leaf, version);
		else if (levels == 0)
			r = add_level(h, dir, &p[0]);
		else if (dx_get(p[0].b, p[0].off, 1) < dx_get(p[0].b, p[0].off, 0))
			r = split_node(h, dir, &p[0], &p[1]);
		else
			r = 1; /* full: ENOSPC below */
		path_put(p, levels + 1);
		if (r == 1)
			return 0;
		if (r < 0)
			return r;
	}
	return ext4_corrupt(fs, "directory %u: htree insert does not converge", EXT4_I(dir)->ino);
}

int ext4_dx_make_indexed(struct ext4_handle *h, struct inode *dir)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_inode_info *ei = EXT4_I(dir);
	uint32_t probe;
	int err;

	if (!ext4_dx_name_hash(fs, fs->def_hash_version, "x", 1, &probe))
		return 0; /* a hash we do not know: stay linear */
	__free(brelse) struct buffer *b0 = ext4_dir_block(dir, 0);
	if (IS_ERR(b0))
		return (int)PTR_ERR(b0);
	const struct ext4_dir_entry_2 *dot = b0->data;
	if (dot->rec_len != REC_LEN(1) || dot->name_len != 1 || dot->name[0] != '.')
		return 0; /* an unusual first block: stay linear */
	const struct ext4_dir_entry_2 *dotdot = (const void *)((char *)b0->data + REC_LEN(1));
	if (dotdot->name_len != 2 || dotdot->name[0] != '.' || dotdot->name[1] != '.')
		return 0;
	uint32_t self = dot->inode, parent = dotdot->inode;
	size_t max = fs->block_size / EXT4_DIR_ENTRY_HEADER, n;
	__free(kfree) struct dx_name *v = kmalloc(max * sizeof(*v));
	if (!v)
		return -ENOMEM;
	if ((err = collect(dir, b0, fs->def_hash_version, v, &n)))
		return err == -EOPNOTSUPP ? 0 : err;
	sort_names(v, n);
	/* block 1: every name of block 0 */
	__free(brelse) struct buffer *b1 = ext4_dir_append_block(h, dir);
	if (IS_ERR(b1))
		return (int)PTR_ERR(b1);
	if ((err = ext4_journal_get_write_access(h, b0)) || (err = ext4_journal_get_write_access(h, b1)))
		return err;
	fill_leaf(fs, b1->data, v, 0, n);
	ext4_dir_block_csum_set(fs, ei, b1->data);
	ext4_handle_dirty_metadata(h, b1);
	/* block 0: the root */
	memset(b0->data, 0, fs->block_size);
	struct ext4_dir_entry_2 *de = b0->data;
	de->inode = self;
	de->rec_len = REC_LEN(1);
	de->name_len = 1;
	de->file_type = ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_FILETYPE) ? EXT4_FT_DIR : 0;
	de->name[0] = '.';
	de = (void *)((char *)b0->data + REC_LEN(1));
	de->inode = parent;
	de->rec_len = (uint16_t)(fs->block_size - REC_LEN(1));
	de->name_len = 2;
	de->file_type = ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_FILETYPE) ? EXT4_FT_DIR : 0;
	de->name[0] = de->name[1] = '.';
	uint8_t *info = (uint8_t *)b0->data + 24;
	info[4] = fs->def_hash_version;
	info[5] = 8;
	info[6] = 0;
	uint16_t limit = (uint16_t)dx_limit(fs, ROOT_ENTRIES);
	memcpy((char *)b0->data + ROOT_ENTRIES, &limit, 2);
	struct dx_level root = { .b = b0, .off = ROOT_ENTRIES };
	dx_set_count(b0, ROOT_ENTRIES, 1);
	dx_entries(b0, ROOT_ENTRIES)[0].block = 1;
	dx_dirty(h, dir, &root);
	ei->flags |= EXT4_INDEX_FL;
	if ((err = ext4_write_inode(h, dir)))
		return err;
	return 1;
}
