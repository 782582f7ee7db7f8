/*
 * Private to src/fs/ext4: the mounted file system and its inodes in
 * memory; see docs/ext4.md.
 *
 * Files: super.c (mount, superblock and group descriptor checks, statfs,
 * umount), csum.c (metadata_csum), inode.c (inode table, the inode cache,
 * VFS inodes), extents.c (logical -> physical: extent trees and old block
 * maps), dir.c (directory blocks: readdir, lookup), inline.c (inline
 * data), file.c (read, readlink, the operation tables); writing:
 * journal.c (the four journal calls every metadata change goes through),
 * alloc.c (group descriptors, block and inode bitmaps, free counts),
 * inode_write.c (inodes to disk, new inodes, freeing), extents_write.c
 * (allocating and freeing a file's blocks in its extent tree), write.c
 * (write, truncate, fsync), dir_write.c (directory entries, linear and
 * htree), namei.c (create, mkdir, unlink, rmdir, link, symlink, rename).
 *
 * Trust: nothing read from the disk is used before it is checked. A check
 * that fails returns -EUCLEAN (corrupt metadata or bad checksum) through
 * ext4_corrupt(), which reports the first one of each mount on the console.
 *
 * Locking: fs->lock (a sleeping rwlock) is the one lock of a mounted
 * ext4: every VFS entry point that reads the disk's structures (lookup,
 * readdir, read, readlink) holds it shared, every one that changes them
 * (write, truncate, create, unlink, rename, inode write-back...) holds it
 * alone; the helpers below it take no lock and say "caller holds fs->lock".
 * Order: sb->ns_lock (not used by ext4) -> fs->lock -> icache_lock ->
 * inode->lock. icache (under icache_lock, a spinlock) and the error
 * counters (atomic) live outside it. struct ext4_inode_info's fields
 * (i_block, flags, blocks) change under fs->lock held alone.
 * Block data is borrowed from the block cache (bread/brelse).
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/spinlock.h>
#include <ferrite/list.h>
#include <ferrite/rwlock.h>
#include <ferrite/jbd2.h>
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
	struct journal *journal;   /* read-write with has_journal (journal.c), or NULL */
	char name[16];             /* the device's name, for messages */
	/* Per group, from the descriptors (checked at mount). */
	uint64_t *inode_table;     /* first block of each group's inode table */

	/* Writing (read-write mounts); Lock: lock held alone to change. */
	struct rwlock lock;        /* see the top of this file */
	struct buffer *sbh;        /* the superblock (1024 bytes at byte 1024), held */
	uint64_t *desc_blocks;     /* block of each descriptor block */
	uint32_t desc_per_block;
	uint32_t flex_groups;      /* groups per flex group (1 without flex_bg) */
	uint32_t gdt_blocks;       /* descriptor + reserved GDT blocks after a superblock copy */
	uint16_t want_extra_isize; /* new inodes' i_extra_isize */
	bool writable;             /* the driver may write this file system (features) */
	bool sb_dirty;             /* counts changed: the superblock is written at journal stop */
	uint32_t next_generation;
	uint8_t def_hash_version;  /* s_def_hash_version: new htree indexes */
	/* Blocks freed by journal transactions that have not committed: the
	 * allocator leaves them alone until then (ext4_new_blocks), as Linux
	 * does. Lock: lock held alone. */
	struct ext4_freed *freed;
	unsigned nr_freed, cap_freed;
	uint64_t freed_blocks;     /* how many blocks they hold */
	uint8_t **freed_map;       /* per group (made on first use): their bits */
	/* The orphan list (orphan.c): s_last_orphan, and the orphans in the
	 * order of the on-disk chain (each inode's i_dtime names the next).
	 * Lock: lock held alone. */
	uint32_t last_orphan;
	bool orphan_scan;          /* ext4_orphan_cleanup: iget of no-link inodes */
	struct list_head orphans;  /* struct ext4_inode_info.orphan_node */

	struct spinlock icache_lock;
	struct list_head icache[EXT4_ICACHE_HASH]; /* Lock: icache_lock */
	size_t nr_inodes;          /* Lock: icache_lock */
	unsigned errors;           /* atomic: corruptions met */
	unsigned long dx_lookups, dx_fallbacks; /* atomic: htree use (tests) */
};

/* Commit, then forget the freed runs (alloc.c): called by
 * ext4_journal_start when fewer than EXT4_FREED_SLACK blocks would be
 * free without them. Caller holds fs->lock alone, no handle open. */
int ext4_freed_settle(struct ext4_fs *fs);
#define EXT4_FREED_SLACK 256

/* A run of blocks freed by the journal transaction tid (alloc.c). */
struct ext4_freed {
	uint64_t blk, count;
	uint64_t tid;
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
	uint32_t generation;          /* i_generation */
	uint16_t extra_isize;         /* i_extra_isize */
	bool dirty;                   /* attributes changed since the inode was written */
	/* On the orphan list (orphan.c); Lock: fs->lock held alone */
	bool orphan;
	uint32_t orphan_next;         /* i_dtime while on it: the next orphan */
	struct list_head orphan_node; /* in fs->orphans */
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
/* Put the free counts into the superblock (and its checksum) through
 * handle h (caller holds fs->lock alone). */
struct ext4_handle;
int ext4_commit_super(struct ext4_handle *h);
/* Is the file system writable now (mounted read-write, features known)? */
static inline bool ext4_writable(const struct ext4_fs *fs)
{
	return fs->writable && !(fs->vsb->flags & MS_RDONLY);
}

/* journal.c: every change of a metadata block goes through these calls:
 *   h = ext4_journal_start(fs, nblocks)     before a change of up to nblocks blocks
 *   ext4_journal_get_write_access(h, b)     before changing b->data
 *   ext4_handle_dirty_metadata(h, b)        after changing it
 *   ext4_journal_stop(h)                    at the end of the operation
 * Without a journal they mark buffers dirty (write-back writes them);
 * jbd2 (wt-jbd2) turns a handle into a part of a transaction. */
struct ext4_handle {
	struct ext4_fs *fs;
	unsigned credits;  /* blocks the caller said it may change */
	unsigned used;     /* distinct dirty_metadata calls (a bound check) */
	int err;           /* the first error met */
	struct jbd2_handle jh; /* with a journal (fs->journal) */
};
/* Return: a new handle or ERR_PTR(-ENOMEM/-EROFS). Caller holds fs->lock alone. */
struct ext4_handle *ext4_journal_start(struct ext4_fs *fs, unsigned nblocks);
int ext4_journal_get_write_access(struct ext4_handle *h, struct buffer *b);
int ext4_handle_dirty_metadata(struct ext4_handle *h, struct buffer *b);
/* End the handle (frees it). Return its first error or 0. */
int ext4_journal_stop(struct ext4_handle *h);
/* fsync: every change made so far is durable when this returns. */
int ext4_journal_force_commit(struct ext4_fs *fs);
/* Blocks [blk, blk + count) were freed: no logged copy of them may be
 * replayed over what they hold next. */
int ext4_journal_revoke(struct ext4_handle *h, uint64_t blk, uint64_t count);
/* Read-write mount / remount of a has_journal file system: start using the
 * journal (sets needs_recovery); umount / remount read-only: checkpoint
 * everything and stop (clears it). 0 or -errno. */
int ext4_journal_load(struct ext4_fs *fs);
int ext4_journal_unload(struct ext4_fs *fs);
DEFINE_FREE(ext4_journal_stop, struct ext4_handle *, if (!IS_ERR_OR_NULL(_T)) ext4_journal_stop(_T))

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

void ext4_inode_csum_set(const struct ext4_fs *fs, void *raw, uint32_t seed);
void ext4_extent_block_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
				void *block);
void ext4_dir_block_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei,
			     void *block);
void ext4_group_desc_csum_set(const struct ext4_fs *fs, uint32_t group, void *gd);
void ext4_bitmap_csum_set(const struct ext4_fs *fs, void *gd, bool inode_bitmap, const void *bitmap);
void ext4_super_csum_set(struct ext4_super_block *es);

/* alloc.c (caller holds fs->lock alone) */
/* Allocate up to *count contiguous blocks, near goal. Return the first
 * (and *count the number, >= 1) or a negative errno (-ENOSPC). */
int64_t ext4_new_blocks(struct ext4_handle *h, uint64_t goal, uint32_t *count);
/* Free count blocks from blk (all in one group or several). */
int ext4_free_blocks(struct ext4_handle *h, uint64_t blk, uint64_t count);
/* Allocate an inode near dir's group. Return the number or -errno. */
int64_t ext4_new_inode_nr(struct ext4_handle *h, uint32_t dir_ino, bool is_dir);
int ext4_free_inode_nr(struct ext4_handle *h, uint32_t ino, bool is_dir);
/* The group of block blk / inode ino. */
uint32_t ext4_block_group(const struct ext4_fs *fs, uint64_t blk);
/* super.c: does group g hold a superblock copy? */
bool ext4_group_has_super(const struct ext4_fs *fs, uint32_t g);

/* inode_write.c (caller holds fs->lock alone) */
/* Write vi's attributes, size, block map and flags to its raw inode. */
int ext4_write_inode(struct ext4_handle *h, struct inode *vi);
/* A new inode of mode in dir (links 1; 2 for a directory); target: a
 * symlink's (a fast one is complete, a slow one gets its block from the
 * caller). Return: new reference or ERR_PTR. */
struct inode *ext4_new_inode(struct ext4_handle *h, struct inode *dir, mode_t mode,
			     const char *target);
/* Free the blocks and the number of an inode with no links left. */
int ext4_evict_inode(struct ext4_fs *fs, struct inode *vi);
/* super_ops.dirty_inode: the VFS changed mode, owner or times. */
void ext4_dirty_inode(struct inode *vi);

struct ext4_map;
/* extents_write.c (caller holds fs->lock alone) */
/* Map logical block lblk, allocating up to max blocks when it is a hole.
 * Return: 0 with m filled (m->kind MAPPED; m->len >= 1) or -errno.
 * *fresh is set when the blocks are new (their bytes are garbage). */
int ext4_map_create(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint32_t max,
		    struct ext4_map *m, bool *fresh);
/* fallocate: unwritten extents over the holes of [lblk, lblk + count). */
int ext4_alloc_range(struct ext4_handle *h, struct inode *vi, uint32_t lblk, uint64_t count);
/* Free every block at or after logical block from. */
int ext4_truncate_blocks(struct ext4_handle *h, struct inode *vi, uint32_t from);

/* dir_write.c (caller holds fs->lock alone) */
int ext4_add_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		   uint32_t ino, mode_t mode);
/* Remove name; return its inode number (> 0) or -ENOENT/-errno. */
int64_t ext4_delete_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len);
/* Point name's entry at ino (rename over an existing name, "..") */
int ext4_set_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		   uint32_t ino, mode_t mode);
/* Is dir empty but for . and ..? 1, 0 or -errno. */
int ext4_dir_is_empty(struct inode *dir);
/* The first block of a new directory (. and ..). */
int ext4_dir_init_block(struct ext4_handle *h, struct inode *dir, uint32_t parent);
/* htree_write.c: insert into an indexed directory (splitting a full leaf,
 * adding an index level); make a one-block linear directory indexed.
 * 1: done, 0: cannot index (the caller goes linear), -errno. */
int ext4_dx_add_entry(struct ext4_handle *h, struct inode *dir, const char *name, size_t len,
		      uint32_t ino, mode_t mode);
int ext4_dx_make_indexed(struct ext4_handle *h, struct inode *dir);
/* dir_write.c helpers shared with htree_write.c */
int ext4_dir_insert_in_block(struct ext4_handle *h, struct inode *dir, struct buffer *b,
			     const char *name, size_t len, uint32_t ino, mode_t mode);
struct buffer *ext4_dir_append_block(struct ext4_handle *h, struct inode *dir);
struct buffer *ext4_dir_block(struct inode *dir, uint32_t lblk);
void ext4_dir_leaf_init(struct ext4_fs *fs, void *data);
size_t ext4_dir_leaf_end(const struct ext4_fs *fs);
/* The htree hash of a name with a hash version (htree.c). */
bool ext4_dx_name_hash(const struct ext4_fs *fs, unsigned hash_version, const char *name, size_t len,
		       uint32_t *hash);
void ext4_dx_csum_set(const struct ext4_fs *fs, const struct ext4_inode_info *ei, void *block,
		      size_t count_offset);
/* Look name up without taking fs->lock: its inode number, 0 when absent. */
int64_t ext4_find_entry(struct inode *dir, const char *name, size_t len);
/* The htree hash of name in dir (htree.c). false: unknown hash version. */
bool ext4_dx_hash_of(struct inode *dir, const char *name, size_t len, uint32_t *hash);

/* inode.c */
/* Return: new reference to the VFS inode of ino, or ERR_PTR. */
struct inode *ext4_iget(struct ext4_fs *fs, uint32_t ino);

/* The orphan list (orphan.c), as Linux's: an inode whose last link goes
 * joins it in the same transaction (ext4_orphan_add, before the caller
 * writes the inode), and leaves it when it is freed at its last close
 * (ext4_orphan_del, from ext4_evict_inode). A read-write mount frees the
 * orphans a crash left (ext4_orphan_cleanup). Only with a journal.
 * Caller holds fs->lock alone. */
int ext4_orphan_add(struct ext4_handle *h, struct inode *vi);
int ext4_orphan_del(struct ext4_handle *h, struct inode *vi);
int ext4_orphan_cleanup(struct ext4_fs *fs);
/* ext4_destroy of an inode not freed (read-only): forget it in memory. */
void ext4_orphan_forget(struct ext4_fs *fs, struct ext4_inode_info *ei);
/* Live ext4 inodes of fs (umount's busy check). */
size_t ext4_icache_count(struct ext4_fs *fs);

/* extents.c */
enum ext4_map_kind { EXT4_MAP_HOLE, EXT4_MAP_MAPPED, EXT4_MAP_UNWRITTEN };
struct ext4_map {
	enum ext4_map_kind kind;
	uint64_t pblk;  /* first physical block (MAPPED, UNWRITTEN) */
	uint32_t len;   /* blocks from lblk with the same kind (and contiguous) */
};
/* Check an extent node header; room: the bytes the node may use; depth
 * the level expected (-1: any). */
int ext4_ext_check_header(struct ext4_fs *fs, struct ext4_inode_info *ei,
			  const struct ext4_extent_header *eh, size_t room, int depth);
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

/* namei.c */
struct inode *ext4_create(struct inode *dir, const char *name, size_t len, mode_t mode, dev_t rdev);
struct inode *ext4_symlink(struct inode *dir, const char *name, size_t len, const char *target);
int ext4_link(struct inode *dir, const char *name, size_t len, struct inode *target);
int ext4_unlink(struct inode *dir, const char *name, size_t len);
int ext4_rmdir(struct inode *dir, const char *name, size_t len);
int ext4_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
		const char *nname, size_t nlen, unsigned flags);
/* The dirent file_type of mode. */
uint8_t ext4_ftype(mode_t mode);

/* write.c */
ssize_t ext4_write(struct file *f, const struct iobuf *buf, off_t *pos);
int ext4_truncate(struct inode *vi, off_t size);
int ext4_writeback(struct inode *vi, uint64_t pos, const void *src, size_t n);
int ext4_fsync(struct file *f, bool datasync);
long ext4_fallocate(struct file *f, int mode, off_t off, off_t len);
/* Lookup/readdir/read wrappers that hold fs->lock shared. */
struct inode *ext4_lookup_locked(struct inode *dir, const char *name, size_t len);

/* file.c */
extern const struct inode_ops ext4_dir_iops, ext4_file_iops, ext4_symlink_iops, ext4_special_iops;
extern const struct file_ops ext4_file_fops, ext4_dir_fops;

static inline void *ERR_CAST(const void *p)
{
	return (void *)p;
}
