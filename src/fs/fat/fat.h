/*
 * Private to src/fs/fat: a mounted FAT12/16/32 file system and its inodes
 * in memory. See docs/fat.md.
 *
 * Files: super.c (boot sector checks, mount, FSInfo, the dirty state,
 * statfs, umount), table.c (FAT entries, cluster chains, allocation, the
 * set of modified metadata sectors), name.c (UTF-8 <-> UTF-16, long-name
 * checksums, 8.3 names), dir.c (directory slots: walking, readdir, lookup,
 * adding and removing entries), inode.c (the inode cache, building VFS
 * inodes, writing a directory entry back), file.c (read, write, truncate,
 * fsync), namei.c (create, mkdir, unlink, rmdir, rename, attributes).
 *
 * Locking: fs->lock (a sleeping mutex) serialises everything that reads
 * or changes the FAT, a directory or an inode's cluster chain: every
 * operation of this driver takes it once, at its entry point, and drops
 * it before returning. User memory is never touched with it held (data
 * goes through a bounce buffer), and no inode is put with it held (a last
 * put may write the entry back and takes it). The inode cache has its own
 * spinlock (fs->icache_lock) since an inode's destroy hook unlinks it.
 *
 * Metadata writes: a modified sector stays in the block cache, held (so
 * it cannot be evicted) in fs->dirty until fat_flush() writes it (a FAT
 * sector to every FAT copy) at the end of the operation, with FSInfo.
 *
 * Trust: every cluster number read from the disk is checked before use;
 * a chain walk is bounded by the cluster count; a failure is -EUCLEAN
 * through fat_corrupt() (the first of each mount is reported).
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/spinlock.h>
#include <ferrite/mutex.h>
#include <ferrite/list.h>
#include "fat_disk.h"

#define FAT_ICACHE_HASH 64
#define FAT_DIRTY_MAX 32
#define FAT_ROOT_INO 1

struct fat_fs {
	struct block_device *bd;  /* reference */
	struct super_block *vsb;
	struct mutex lock;
	unsigned bits;            /* 12, 16 or 32 */
	unsigned sector_size;     /* 512..4096 */
	unsigned log_sector;
	unsigned cluster_size;    /* bytes */
	unsigned log_cluster;
	unsigned sec_per_clus;
	uint32_t fat_start;       /* first sector of FAT 0 */
	uint32_t fat_sectors;     /* per FAT */
	unsigned nr_fats;
	uint32_t root_start;      /* FAT12/16: first sector of the fixed root */
	uint32_t root_entries;    /* FAT12/16: its slots */
	uint32_t data_start;      /* sector of cluster 2 */
	uint32_t total_sectors;
	uint32_t max_cluster;     /* last valid cluster number (nr_clusters + 1) */
	uint32_t root_cluster;    /* FAT32 */
	uint32_t fsinfo_sector;   /* 0: none */
	uint32_t eoc;             /* end-of-chain value written */
	uint32_t bad;             /* bad-cluster marker */
	bool readonly;
	bool was_dirty;           /* the dirty state was set at mount: keep it */
	/* mount options (Linux's vfat defaults: uid=0,gid=0,fmask=dmask=022) */
	uid_t uid;
	gid_t gid;
	mode_t fmask, dmask;
	bool quiet;               /* chmod/chown FAT cannot hold succeed silently */
	char name[16];
	/* Lock: lock */
	uint32_t free_count;      /* free clusters (counted, or FSInfo's at mount) */
	bool free_exact;          /* free_count was counted here: 0 means full */
	uint32_t next_free;       /* where the next allocation starts looking */
	bool fsinfo_dirty;
	struct buffer *dirty[FAT_DIRTY_MAX]; /* held modified sectors */
	bool dirty_is_fat[FAT_DIRTY_MAX];
	unsigned nr_dirty;
	int io_error;             /* first write error since the last fsync */

	struct spinlock icache_lock;
	struct list_head icache[FAT_ICACHE_HASH]; /* Lock: icache_lock */
	size_t nr_inodes;                         /* Lock: icache_lock */
	unsigned errors;                          /* atomic */
};

/* What FAT keeps per VFS inode (inode->private). */
struct fat_inode_info {
	struct list_head icache_node; /* Lock: fs->icache_lock */
	struct inode *vfs;            /* not a reference */
	struct fat_fs *fs;
	/* Lock: fs->lock */
	uint64_t i_pos;     /* byte offset of the short entry on the disk; 0: root or unlinked */
	uint32_t start;     /* first cluster, 0 when none */
	uint8_t attr;
	struct inode *parent; /* directories: reference to the parent (".."); NULL for the root */
	uint32_t hint_index, hint_cluster; /* last chain position found (0: none) */
	bool unlinked;      /* no entry names it: free the chain at the last put */
	bool prealloc;      /* fallocate(KEEP_SIZE) left clusters past the size */
	bool is_root;
	uint8_t ctime_cs;   /* creation time's 10 ms units, kept */
	uint16_t ctime_raw, cdate_raw;
};

static inline struct fat_inode_info *FAT_I(struct inode *ino)
{
	return ino->private;
}
static inline struct fat_fs *FAT_FS(struct super_block *sb)
{
	return sb->private;
}

/* super.c */
int fat_corrupt(struct fat_fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* options: the mount(2) data string (kernel memory, may be NULL): uid=,
 * gid=, umask=, fmask=, dmask=, quiet; the other options Linux's vfat
 * knows are accepted and ignored, unknown ones are -EINVAL. */
struct super_block *fat_mount(struct block_device *bd /* borrowed */, unsigned long flags,
			      const char *options);
/* Sector of cluster c's first byte. */
static inline uint64_t fat_cluster_sector(const struct fat_fs *fs, uint32_t c)
{
	return fs->data_start + (uint64_t)(c - 2) * fs->sec_per_clus;
}
static inline bool fat_cluster_valid(const struct fat_fs *fs, uint32_t c)
{
	return c >= 2 && c <= fs->max_cluster;
}

/* table.c (fs->lock held for all) */
/* Read sector nr of the file system. Return a borrowed buffer or ERR_PTR. */
struct buffer *fat_bread(struct fat_fs *fs, uint64_t sector);
/* b (a buffer the caller borrowed, kept borrowed) was changed: write it at
 * the next fat_flush (to every FAT copy when is_fat). */
int fat_mark_dirty(struct fat_fs *fs, struct buffer *b, bool is_fat);
/* Write every held sector and FSInfo. 0 or the first error. */
int fat_flush(struct fat_fs *fs);
int fat_get(struct fat_fs *fs, uint32_t c, uint32_t *next);
int fat_set(struct fat_fs *fs, uint32_t c, uint32_t v);
/* fat_set without the cluster check: entries 0 and 1 (the state bits). */
int fat_set_entry(struct fat_fs *fs, uint32_t c, uint32_t v);
static inline bool fat_is_eoc(const struct fat_fs *fs, uint32_t v)
{
	return v >= (fs->bad + 1) && v != 0;
}
/* Next cluster of a chain: 0 with *next = 0 at the end, -EUCLEAN when the
 * entry is free, bad or out of range. */
int fat_next(struct fat_fs *fs, uint32_t c, uint32_t *next);
/* Allocate one cluster (marked end of chain) and link it after prev (0:
 * none). zero: clear its data. Return 0 with *out, or -ENOSPC/-EIO. */
int fat_alloc(struct fat_fs *fs, uint32_t prev, bool zero, uint32_t *out);
/* Free the chain starting at c (0: nothing). */
int fat_free_chain(struct fat_fs *fs, uint32_t c);
/* Count the clusters of a chain (bounded). 0 or -EUCLEAN. */
int fat_chain_length(struct fat_fs *fs, uint32_t start, uint32_t *len);
/* Cluster number index (0-based) of ei's chain: 0, -ENOENT past the end,
 * -EUCLEAN. */
int fat_bmap(struct fat_inode_info *ei, uint32_t index, uint32_t *cluster);
/* Count the free clusters by reading the FAT. */
int fat_count_free(struct fat_fs *fs, uint32_t *count);

/* name.c */
/* UTF-8 name -> UTF-16 units (trailing dots and spaces dropped, as Linux's
 * vfat). Return the unit count, -EINVAL (bad character, bad UTF-8, empty)
 * or -ENAMETOOLONG. */
int fat_name_to_utf16(const char *name, size_t len, uint16_t *out /* [FAT_LFN_MAX] */);
/* UTF-16 -> UTF-8 into out (NAME_MAX * 3 + 1 bytes). Return its length. */
size_t fat_utf16_to_utf8(const uint16_t *in, size_t n, char *out, size_t size);
uint8_t fat_lfn_checksum(const uint8_t *short_name);
/* The 8.3 name an entry shows (case flags applied), into out[13]. */
size_t fat_short_to_utf8(const uint8_t *raw, uint8_t ntres, char *out);
/* Can the name be stored as a short entry alone? Then fill raw and ntres. */
bool fat_name_fits_short(const uint16_t *u, int n, uint8_t *raw, uint8_t *ntres);
/* Base 8.3 form (no tail) of a long name, for ~N generation; returns
 * the base length (1..8) used. */
void fat_short_base(const uint16_t *u, int n, uint8_t *raw, unsigned *base_len);
/* Make raw's base end in ~tail. */
void fat_short_tail(uint8_t *raw, unsigned base_len, unsigned tail);
/* Case-insensitive (ASCII) comparison of two UTF-8 names. */
bool fat_name_equal(const char *a, size_t alen, const char *b, size_t blen);

/* dir.c */
/* One entry found in a directory. */
struct fat_slot {
	uint32_t first;        /* index of the first slot (LFN or the short entry) */
	uint32_t index;        /* index of the short entry */
	uint64_t i_pos;        /* its byte position on the disk */
	uint8_t raw[DIR_ENTRY_SIZE]; /* the short entry */
};
/* Byte position on the disk of slot index of dir. 0, -ENOENT past the end. */
int fat_dir_slot_pos(struct fat_inode_info *dir, uint32_t index, uint64_t *pos);
int fat_find(struct inode *dir, const char *name, size_t len, struct fat_slot *out);
int fat_add_entry(struct inode *dir, const char *name, size_t len, const uint8_t *raw_template,
		  struct fat_slot *out);
int fat_remove_entry(struct inode *dir, const struct fat_slot *s);
/* Is the directory (inode) empty of everything but "." and ".."? */
int fat_dir_empty(struct inode *dir);
/* Count subdirectories (for nlink). */
int fat_count_subdirs(struct fat_fs *fs, struct fat_inode_info *dir, unsigned *n);
int fat_iterate(struct inode *dir, struct dir_context *ctx);
struct inode *fat_lookup(struct inode *dir, const char *name, size_t len);
/* Read or change the raw entry at i_pos. */
int fat_entry_read(struct fat_fs *fs, uint64_t i_pos, uint8_t *raw);
int fat_entry_write(struct fat_fs *fs, uint64_t i_pos, const uint8_t *raw);

/* inode.c */
/* Return: new reference to the inode of the entry at i_pos (raw its bytes),
 * parent (directories keep a reference), or ERR_PTR. fs->lock held. */
struct inode *fat_iget(struct fat_fs *fs, uint64_t i_pos, const uint8_t *raw, struct inode *parent);
struct inode *fat_root_inode(struct fat_fs *fs);
size_t fat_icache_count(struct fat_fs *fs);
/* Find a cached inode by position (rename). Return new reference or NULL. */
struct inode *fat_icache_find(struct fat_fs *fs, uint64_t i_pos);
/* The inode number readdir shows for the entry at i_pos (a cached inode's
 * own number, which a rename keeps). */
ino_t fat_icache_ino(struct fat_fs *fs, uint64_t i_pos);
/* Move a cached inode to a new position. */
void fat_icache_rehash(struct fat_inode_info *ei, uint64_t i_pos);
/* Store the VFS inode's size, start, times and attribute in its entry. */
int fat_write_inode(struct inode *ino);
/* FAT time <-> Unix time (UTC). */
struct timespec64 fat_time_to_unix(uint16_t time, uint16_t date, uint8_t cs);
void fat_time_from_unix(struct timespec64 ts, uint16_t *time, uint16_t *date, uint8_t *cs);
mode_t fat_mode(const struct fat_fs *fs, uint8_t attr);
/* Times as FAT keeps them (Linux's fat_truncate_time): mtime and ctime to
 * 2 seconds, atime to the day. */
struct timespec64 fat_trunc_mtime(struct timespec64 ts);
struct timespec64 fat_trunc_atime(struct timespec64 ts);
/* mtime = ctime = now, truncated (inode->lock taken here). */
void fat_touch(struct inode *vi);
/* namei.c */
int fat_setattr(struct inode *vi, const struct iattr *ia);

/* file.c */
int fat_truncate_locked(struct inode *ino, off_t size);
extern const struct inode_ops fat_dir_iops, fat_file_iops;
extern const struct file_ops fat_file_fops, fat_dir_fops;

static inline void *ERR_CAST(const void *p)
{
	return (void *)p;
}
