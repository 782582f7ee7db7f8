/*
 * Private to src/fs/ext4: the mounted file system and its inodes in
 * memory. Read-only today; see docs/ext4.md.
 *
 * Files: super.c (mount, superblock and group descriptor checks, statfs,
 * umount), csum.c (metadata_csum), inode.c (inode table, the inode cache,
 * VFS inodes), extents.c (logical -> physical: extent trees and old block
 * maps), dir.c (directory blocks: readdir, lookup), inline.c (inline
 * data), file.c (read, readlink, the operation tables).
 *
 * Trust: nothing read from the disk is used before it is checked. A check
 * that fails returns -EUCLEAN (corrupt metadata or bad checksum) through
 * ext4_corrupt(), which reports the first one of each mount on the console.
 *
 * Locking: struct ext4_fs is immutable after mount except icache (under
 * icache_lock, a spinlock) and the error counters (atomic). An inode's
 * struct ext4_inode_info is immutable after ext4_iget() built it (nothing
 * writes yet). Block data is borrowed from the block cache (bread/brelse).
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/spinlock.h>
#include <ferrite/list.h>
#include "ext4_disk.h"

#define EXT4_DEBUG 0
#define EXT4_ICACHE_HASH 64

struct ext4_fs {
	struct block_device *bd;   /* reference */
	struct super_block *vsb;   /* the VFS super block that owns this */
	unsigned block_size;       /* 1024, 2048 or 4096 */
	unsigned log_block_size;   /* 10..12 */
	uint64_t blocks_count;
	uint64_t r_blocks_count;
	uint64_t overhead;         /* s_overhead_clusters, in blocks (0: unknown) */
	uint32_t first_data_block;
	uint32_t blocks_per_group;
	uint32_t inodes_per_group;
	uint32_t inodes_count;
	uint32_t groups;
	unsigned inode_size;
	unsigned desc_size;
	uint32_t first_ino;
	uint32_t compat, incompat, ro_compat;
	bool csum;                 /* metadata_csum: verify crc32c everywhere */
	uint32_t csum_seed;
	uint64_t free_blocks, free_inodes; /* summed from the group descriptors */
	uint8_t uuid[16];
	uint32_t hash_seed[4];     /* htree hashes */
	uint32_t sb_flags;         /* s_flags: signed or unsigned char hashes */
	uint32_t journal_ino;      /* s_journal_inum */
	char name[16];             /* the device's name, for messages */
	/* Per group, from the descriptors (checked at mount). */
	uint64_t *inode_table;     /* first block of each group's inode table */

	struct spinlock icache_lock;
	struct list_head icache[EXT4_ICACHE_HASH]; /* Lock: icache_lock */
	size_t nr_inodes;          /* Lock: icache_lock */
	unsigned errors;           /* atomic: corruptions met */
	unsigned long dx_lookups, dx_fallbacks; /* atomic: htree use (tests) */
};

/* What ext4 keeps per VFS inode (inode->private). */
struct ext4_inode_info {
	struct list_head icache_node; /* Lock: fs->icache_lock */
	struct inode *vfs;            /* the VFS inode this hangs from (not a reference) */
	struct ext4_fs *fs;
	uint32_t ino;
	uint32_t flags;               /* i_flags */
	uint32_t i_block[EXT4_N_BLOCKS];
	uint32_t csum_seed;           /* crc32c(fs seed, ino, generation) */
	uint64_t blocks;              /* 512-byte units (huge_file applied) */
	bool fast_symlink;            /* the target is in i_block */
	char *inline_data;            /* inline data, i_size bytes (kmalloc), or NULL */
	size_t inline_size;           /* bytes in inline_data */
};

static inline struct ext4_inode_info *EXT4_I(struct inode *ino)
{
	return ino->private;
}

static inline struct ext4_fs *EXT4_FS(struct super_block *sb)
{
	return sb->private;
}

static inline bool ext4_has_incompat(const struct ext4_fs *fs, uint32_t f)
{
	return fs->incompat & f;
}

/* Report a corruption (the first of each mount reaches the console) and
 * return -EUCLEAN. */
int ext4_corrupt(struct ext4_fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read metadata block nr (checked against the file system size).
 * Return: a borrowed buffer, or ERR_PTR(-EUCLEAN/-EIO/-ENOMEM). */
struct buffer *ext4_bread(struct ext4_fs *fs, uint64_t nr);
/* Is [blk, blk + len) inside the file system's data area? */
bool ext4_blocks_valid(const struct ext4_fs *fs, uint64_t blk, uint64_t len);

/* super.c */
struct super_block *ext4_mount(struct block_device *bd /* borrowed */, unsigned long flags);

/* replay.c: replay the journal of a file system that needs recovery
 * (then clear RECOVER); and the journal inode's blocks as device runs. */
struct jbd2_run;
int ext4_replay_journal(struct ext4_fs *fs, uint32_t journal_ino);
int ext4_journal_runs(struct ext4_fs *fs, uint32_t ino, struct jbd2_run **runs, unsigned *nr);

/* csum.c: each returns true when the checksum matches (or the feature is off). */
uint32_t ext4_csum(uint32_t seed, const void *buf, size_t len);
bool ext4_super_csum_ok(const struct ext4_super_block *es);
bool ext4_group_desc_csum_ok(const struct ext4_fs *fs, uint32_t group, const void *gd);
uint32_t ext4_inode_seed(const struct ext4_fs *fs, uint32_t ino, uint32_t generation);
bool ext4_inode_csum_ok(const struct ext4_fs *fs, const void *raw, uint32_t seed);
bool ext4_extent_block_csum_ok(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			       const void *block, unsigned eh_max);
/* A directory leaf block: true when the tail's checksum matches; a block
 * without a tail (htree index blocks) passes here. */
bool ext4_dir_block_csum_ok(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			    const void *block);

/* inode.c */
/* Return: new reference to the VFS inode of ino, or ERR_PTR. */
struct inode *ext4_iget(struct ext4_fs *fs, uint32_t ino);
/* Live ext4 inodes of fs (umount's busy check). */
size_t ext4_icache_count(struct ext4_fs *fs);

/* extents.c */
enum ext4_map_kind { EXT4_MAP_HOLE, EXT4_MAP_MAPPED, EXT4_MAP_UNWRITTEN };
struct ext4_map {
	enum ext4_map_kind kind;
	uint64_t pblk;  /* first physical block (MAPPED, UNWRITTEN) */
	uint32_t len;   /* blocks from lblk with the same kind (and contiguous) */
};
/* Map logical block lblk of ino. 0 or -EUCLEAN/-EIO/-ENOMEM. */
int ext4_map_block(struct inode *ino, uint32_t lblk, struct ext4_map *m);

/* dir.c */
int ext4_iterate(struct inode *dir, struct dir_context *ctx);
struct inode *ext4_lookup(struct inode *dir, const char *name, size_t len);
/* DT_* type of a dirent file_type. */
unsigned ext4_dtype(uint8_t file_type);

/* htree.c: the leaf block that can hold name in an indexed directory. */
struct ext4_dx_leaf {
	uint32_t leaf;       /* logical block to scan */
	uint32_t next_leaf;  /* scan it too when check_next */
	bool check_next;     /* the name's hash continues in next_leaf */
	bool unsure;         /* it may continue past this index node: scan all */
};
/* 0, -EOPNOTSUPP (unknown hash), or -errno for a bad index. */
int ext4_dx_find_leaf(struct inode *dir, const char *name, size_t len, struct ext4_dx_leaf *out);

/* inline.c: load the inline data of an inode being built (raw inode). */
int ext4_inline_load(struct ext4_fs *fs, struct ext4_inode_info *ei, const struct ext4_inode *raw,
		     uint64_t size);

/* file.c */
extern const struct inode_ops ext4_dir_iops, ext4_file_iops, ext4_symlink_iops, ext4_special_iops;
extern const struct file_ops ext4_file_fops, ext4_dir_fops;

static inline void *ERR_CAST(const void *p)
{
	return (void *)p;
}
