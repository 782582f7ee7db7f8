/*
 * htree (dir_index) lookups: find the one leaf block that can hold a name
 * by its hash, through the index kept in the directory's first block and,
 * for big directories, in index node blocks, instead of scanning every
 * block. The hash functions (legacy, half-MD4, TEA; signed or unsigned
 * chars as the superblock says) are ext4's. The index is checked as it is
 * read (counts against limits, levels, block numbers inside the
 * directory); a check that fails, or a hash collision that spans index
 * nodes, makes the caller fall back to the linear scan (dir.c), which
 * stays correct for any directory. No locks (read-only).
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include "ext4.h"

#define DX_HASH_LEGACY 0
#define DX_HASH_HALF_MD4 1
#define DX_HASH_TEA 2
#define DX_HASH_UNSIGNED_DELTA 3 /* LEGACY_UNSIGNED = 3, ... TEA_UNSIGNED = 5 */
#define EXT2_FLAGS_UNSIGNED_HASH 0x2
#define HTREE_EOF_32 0x7fffffffu

static inline uint32_t rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

static uint32_t dx_hack_hash(const char *name, size_t len, bool unsign)
{
	uint32_t hash, hash0 = 0x12a3fe2d, hash1 = 0x37abe8f9;

	for (size_t i = 0; i < len; i++) {
		int c = unsign ? (int)(unsigned char)name[i] : (int)(signed char)name[i];
		hash = hash1 + (hash0 ^ (uint32_t)(c * 7152373));
		if (hash & 0x80000000u)
			hash -= 0x7fffffff;
		hash1 = hash0;
		hash0 = hash;
	}
	return hash0 << 1;
}

/* Pack up to num 32-bit words of msg (padded with its length) into buf. */
static void str2hashbuf(const char *msg, size_t len, uint32_t *buf, int num, bool unsign)
{
	uint32_t pad = (uint32_t)len | ((uint32_t)len << 8), val;

	pad |= pad << 16;
	val = pad;
	if (len > (size_t)num * 4)
		len = (size_t)num * 4;
	for (size_t i = 0; i < len; i++) {
		int c = unsign ? (int)(unsigned char)msg[i] : (int)(signed char)msg[i];
		val = (uint32_t)c + (val << 8);
		if ((i % 4) == 3) {
			*buf++ = val;
			val = pad;
			num--;
		}
	}
	if (--num >= 0)
		*buf++ = val;
	while (--num >= 0)
		*buf++ = pad;
}

#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define G(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define H(x, y, z) ((x) ^ (y) ^ (z))
#define ROUND(f, a, b, c, d, x, s) (a += f(b, c, d) + (x), a = rol32(a, s))
#define K1 0u
#define K2 013240474631u
#define K3 015666365641u

static void half_md4_transform(uint32_t buf[4], const uint32_t in[8])
{
	uint32_t a = buf[0], b = buf[1], c = buf[2], d = buf[3];

	ROUND(F, a, b, c, d, in[0] + K1, 3);
	ROUND(F, d, a, b, c, in[1] + K1, 7);
	ROUND(F, c, d, a, b, in[2] + K1, 11);
	ROUND(F, b, c, d, a, in[3] + K1, 19);
	ROUND(F, a, b, c, d, in[4] + K1, 3);
	ROUND(F, d, a, b, c, in[5] + K1, 7);
	ROUND(F, c, d, a, b, in[6] + K1, 11);
	ROUND(F, b, c, d, a, in[7] + K1, 19);

	ROUND(G, a, b, c, d, in[1] + K2, 3);
	ROUND(G, d, a, b, c, in[3] + K2, 5);
	ROUND(G, c, d, a, b, in[5] + K2, 9);
	ROUND(G, b, c, d, a, in[7] + K2, 13);
	ROUND(G, a, b, c, d, in[0] + K2, 3);
	ROUND(G, d, a, b, c, in[2] + K2, 5);
	ROUND(G, c, d, a, b, in[4] + K2, 9);
	ROUND(G, b, c, d, a, in[6] + K2, 13);

	ROUND(H, a, b, c, d, in[3] + K3, 3);
	ROUND(H, d, a, b, c, in[7] + K3, 9);
	ROUND(H, c, d, a, b, in[2] + K3, 11);
	ROUND(H, b, c, d, a, in[6] + K3, 15);
	ROUND(H, a, b, c, d, in[1] + K3, 3);
	ROUND(H, d, a, b, c, in[5] + K3, 9);
	ROUND(H, c, d, a, b, in[0] + K3, 11);
	ROUND(H, b, c, d, a, in[4] + K3, 15);

	buf[0] += a;
	buf[1] += b;
	buf[2] += c;
	buf[3] += d;
}

static void tea_transform(uint32_t buf[4], const uint32_t in[4])
{
	uint32_t sum = 0, b0 = buf[0], b1 = buf[1];
	uint32_t a = in[0], b = in[1], c = in[2], d = in[3];

	for (int n = 0; n < 16; n++) {
		sum += 0x9E3779B9u;
		b0 += ((b1 << 4) + a) ^ (b1 + sum) ^ ((b1 >> 5) + b);
		b1 += ((b0 << 4) + c) ^ (b0 + sum) ^ ((b0 >> 5) + d);
	}
	buf[0] += b0;
	buf[1] += b1;
}

/* The major hash of name (bit 0 clear), or false for an unknown version. */
static bool dx_hash(unsigned version, const uint32_t seed[4], const char *name, size_t len,
		    uint32_t *out)
{
	uint32_t buf[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 }, in[8], hash;
	bool unsign = version >= DX_HASH_UNSIGNED_DELTA;

	if (seed[0] || seed[1] || seed[2] || seed[3])
		memcpy(buf, seed, sizeof(buf));
	switch (version) {
	case DX_HASH_LEGACY:
	case DX_HASH_LEGACY + DX_HASH_UNSIGNED_DELTA:
		hash = dx_hack_hash(name, len, unsign);
		break;
	case DX_HASH_HALF_MD4:
	case DX_HASH_HALF_MD4 + DX_HASH_UNSIGNED_DELTA:
		for (size_t off = 0; off < len || off == 0; off += 32) {
			str2hashbuf(name + off, len - off, in, 8, unsign);
			half_md4_transform(buf, in);
			if (len <= off + 32)
				break;
		}
		hash = buf[1];
		break;
	case DX_HASH_TEA:
	case DX_HASH_TEA + DX_HASH_UNSIGNED_DELTA:
		for (size_t off = 0; off < len || off == 0; off += 16) {
			str2hashbuf(name + off, len - off, in, 4, unsign);
			tea_transform(buf, in);
			if (len <= off + 16)
				break;
		}
		hash = buf[0];
		break;
	default:
		return false;
	}
	hash &= ~1u;
	if (hash == (HTREE_EOF_32 << 1))
		hash = (HTREE_EOF_32 - 1) << 1;
	*out = hash;
	return true;
}

bool ext4_dx_name_hash(const struct ext4_fs *fs, unsigned hash_version, const char *name, size_t len,
		       uint32_t *hash)
{
	unsigned version = hash_version;

	if (version <= DX_HASH_TEA && (fs->sb_flags & EXT2_FLAGS_UNSIGNED_HASH))
		version += DX_HASH_UNSIGNED_DELTA;
	return dx_hash(version, fs->hash_seed, name, len, hash);
}

struct dx_entry {
	uint32_t hash;  /* entries[0]: count and limit instead */
	uint32_t block;
} __attribute__((packed));

/* Pick the child for hash among the count entries at e (room: what fits). */
static int dx_pick(struct ext4_fs *fs, struct ext4_inode_info *ei, const struct dx_entry *e,
		   size_t room, uint32_t hash, uint32_t *block, uint32_t *next_hash, uint32_t *next_block,
		   bool *has_next)
{
	uint16_t limit, count;

	memcpy(&limit, &e[0], 2);
	memcpy(&count, (const char *)&e[0] + 2, 2);
	if (count == 0 || count > limit || limit > room)
		return ext4_corrupt(fs, "directory %u: htree node counts %u/%u (room %zu)", ei->ino,
				    count, limit, room);
	unsigned lo = 1, hi = count; /* the last entry with e.hash <= hash */
	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (e[mid].hash > hash)
			hi = mid;
		else
			lo = mid + 1;
	}
	unsigned at = lo - 1;
	*block = e[at].block & 0x0fffffff;
	*has_next = at + 1 < count;
	*next_hash = *has_next ? e[at + 1].hash : 0;
	*next_block = *has_next ? e[at + 1].block & 0x0fffffff : 0;
	return 0;
}

/* Borrow logical block lblk of dir (mapped, inside the directory). */
static struct buffer *dx_block(struct inode *dir, uint32_t lblk)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct ext4_fs *fs = ei->fs;
	struct ext4_map m;

	if ((uint64_t)lblk << fs->log_block_size >= (uint64_t)dir->size)
		return ERR_PTR(ext4_corrupt(fs, "directory %u: htree points past the end", ei->ino));
	int err = ext4_map_block(dir, lblk, &m);
	if (err)
		return ERR_PTR(err);
	if (m.kind != EXT4_MAP_MAPPED)
		return ERR_PTR(ext4_corrupt(fs, "directory %u: hole at block %u", ei->ino, lblk));
	return ext4_bread(fs, m.pblk);
}

int ext4_dx_find_leaf(struct inode *dir, const char *name, size_t len, struct ext4_dx_leaf *out)
{
	struct ext4_inode_info *ei = EXT4_I(dir);
	struct ext4_fs *fs = ei->fs;
	const size_t bs = fs->block_size;
	uint32_t hash, next_hash, next_block, block;
	bool has_next;
	int err;

	__free(brelse) struct buffer *root = dx_block(dir, 0);
	if (IS_ERR(root))
		return (int)PTR_ERR(root);
	const uint8_t *r = root->data;
	/* "." (12 bytes), ".." (rec_len to the end), then the root info */
	uint8_t hash_version = r[24 + 4], info_len = r[24 + 5], levels = r[24 + 6];
	if (info_len != 8 || levels >= (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_LARGEDIR) ? 3 : 2))
		return ext4_corrupt(fs, "directory %u: bad htree root", ei->ino);
	unsigned version = hash_version;
	if (version <= DX_HASH_TEA && (fs->sb_flags & EXT2_FLAGS_UNSIGNED_HASH))
		version += DX_HASH_UNSIGNED_DELTA;
	if (!dx_hash(version, fs->hash_seed, name, len, &hash))
		return -EOPNOTSUPP; /* an unknown hash: the linear scan finds it */

	size_t off = 24 + info_len;
	err = dx_pick(fs, ei, (const void *)(r + off), (bs - off) / sizeof(struct dx_entry), hash,
		      &block, &next_hash, &next_block, &has_next);
	for (unsigned level = 0; !err && level < levels; level++) {
		__free(brelse) struct buffer *node = dx_block(dir, block);
		if (IS_ERR(node))
			return (int)PTR_ERR(node);
		err = dx_pick(fs, ei, (const void *)((const uint8_t *)node->data + 8),
			      (bs - 8) / sizeof(struct dx_entry), hash, &block, &next_hash, &next_block,
			      &has_next);
	}
	if (err)
		return err;
	/* Names of one hash may continue in the next leaf (its first hash
	 * has bit 0 set); past the last entry of an index node (not the
	 * root: its last leaf ends the directory) we cannot tell cheaply. */
	out->leaf = block;
	out->check_next = has_next && (next_hash & 1) && (next_hash & ~1u) == hash;
	out->next_leaf = next_block;
	out->unsure = !has_next && levels > 0;
	return 0;
}
