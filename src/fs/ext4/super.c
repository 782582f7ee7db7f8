/*
 * ext4 mount: read and check the superblock and the group descriptors,
 * build struct ext4_fs and the VFS super block, statfs and umount. Every
 * field used later is checked here once (geometry against the device,
 * features, checksums, each group's inode table inside the file system),
 * so the rest of the driver can rely on struct ext4_fs.
 *
 * A read-write mount needs every feature to be one the writer knows
 * (EXT4_RO_COMPAT_WRITE, EXT4_INCOMPAT_WRITE); otherwise a read-write
 * request is refused with -EROFS (mount(8) retries read-only), as Linux
 * refuses unknown RO_COMPAT features. umount and remount read-only write
 * everything back (bcache_sync_device) before they return.
 * Locking: a mount builds private state, umount runs when no inode but
 * the root is live (busy check under the mount table lock); statfs reads
 * the free counts without a lock (a racing allocation shows or not).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/crc32c.h>
#include <ferrite/disk_fs.h>
#include <stdarg.h>
#include "ext4.h"

int ext4_corrupt(struct ext4_fs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int err = disk_fs_corrupt("ext4", fs->name, &fs->errors, fmt, ap);
	va_end(ap);
	return err;
}

bool ext4_blocks_valid(const struct ext4_fs *fs, uint64_t blk, uint64_t len)
{
	return blk >= fs->first_data_block && blk < fs->blocks_count && len <= fs->blocks_count - blk;
}

struct buffer *ext4_bread(struct ext4_fs *fs, uint64_t nr)
{
	if (!ext4_blocks_valid(fs, nr, 1))
		return ERR_PTR(ext4_corrupt(fs, "block %llu outside the file system",
					    (unsigned long long)nr));
	return bread(fs->bd, nr, fs->block_size);
}

/* Refuse a mount: say why, once, on the console. */
#define REFUSE(err, name, fmt, ...) DISK_FS_REFUSE(err, "ext4", name, fmt, ##__VA_ARGS__)

static bool is_power_of(uint32_t n, uint32_t base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

/* Does group g hold a superblock backup (and so its descriptor copy)? */
static bool group_has_super(const struct ext4_fs *fs, const struct ext4_super_block *es, uint32_t g);

bool ext4_group_has_super(const struct ext4_fs *fs, uint32_t g)
{
	return group_has_super(fs, fs->sbh->data, g);
}

static bool group_has_super(const struct ext4_fs *fs, const struct ext4_super_block *es, uint32_t g)
{
	if (g == 0)
		return true;
	if (fs->compat & EXT4_FEATURE_COMPAT_SPARSE_SUPER2)
		return g == es->s_backup_bgs[0] || g == es->s_backup_bgs[1];
	if (!(fs->ro_compat & EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER) || g == 1)
		return true;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

/* Block holding descriptor block i (meta_bg puts them in their groups). */
static uint64_t desc_block(const struct ext4_fs *fs, const struct ext4_super_block *es, uint32_t i)
{
	uint32_t per_block = fs->block_size / fs->desc_size;

	if (!ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_META_BG) || i < es->s_first_meta_bg)
		return (uint64_t)fs->first_data_block + 1 + i;
	uint64_t g = (uint64_t)i * per_block;
	return fs->first_data_block + g * fs->blocks_per_group + (group_has_super(fs, es, (uint32_t)g) ? 1 : 0);
}

/* Features: refuse what this driver would misread. */
static int check_features(struct ext4_fs *fs, const struct ext4_super_block *es)
{
	uint32_t unknown = fs->incompat & ~EXT4_INCOMPAT_READ;

	if (unknown)
		return REFUSE(-EINVAL, fs->name, "unsupported incompatible features 0x%x", unknown);
	if (fs->csum && es->s_checksum_type != EXT4_CRC32C_CHKSUM)
		return REFUSE(-EINVAL, fs->name, "unknown checksum type %u", es->s_checksum_type);
	if (fs->csum && !ext4_super_csum_ok(es))
		return REFUSE(-EUCLEAN, fs->name, "superblock checksum does not match");
	return 0;
}

/* Geometry: sizes, counts and their agreement with each other and the disk. */
static int check_geometry(struct ext4_fs *fs, const struct ext4_super_block *es)
{
	uint64_t dev_bytes = fs->bd->nr_sectors * SECTOR_SIZE;

	if (es->s_log_block_size > 2)
		return REFUSE(-EINVAL, fs->name, "block size 2^%u bytes (1, 2 and 4 KiB are supported)",
			      10 + MIN(es->s_log_block_size, 99u));
	fs->log_block_size = 10 + es->s_log_block_size;
	fs->block_size = 1u << fs->log_block_size;
	fs->blocks_count = es->s_blocks_count_lo;
	fs->r_blocks_count = es->s_r_blocks_count_lo;
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_64BIT)) {
		fs->blocks_count |= (uint64_t)es->s_blocks_count_hi << 32;
		fs->r_blocks_count |= (uint64_t)es->s_r_blocks_count_hi << 32;
		fs->desc_size = es->s_desc_size;
		if (fs->desc_size < EXT4_DESC_SIZE_64 || fs->desc_size > EXT4_DESC_SIZE_MAX ||
		    (fs->desc_size & (fs->desc_size - 1)) || fs->desc_size > fs->block_size)
			return REFUSE(-EINVAL, fs->name, "bad group descriptor size %u", fs->desc_size);
	} else {
		fs->desc_size = EXT4_DESC_SIZE_32;
	}
	if (fs->blocks_count > dev_bytes >> fs->log_block_size)
		return REFUSE(-EINVAL, fs->name, "%llu blocks but the device holds %llu",
			      (unsigned long long)fs->blocks_count,
			      (unsigned long long)(dev_bytes >> fs->log_block_size));
	fs->first_data_block = es->s_first_data_block;
	if (fs->first_data_block >= fs->blocks_count || fs->first_data_block > 1)
		return REFUSE(-EINVAL, fs->name, "bad first data block %u", fs->first_data_block);
	if (es->s_rev_level == 0) {
		fs->inode_size = EXT4_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT4_GOOD_OLD_FIRST_INO;
	} else {
		fs->inode_size = es->s_inode_size;
		fs->first_ino = es->s_first_ino;
	}
	if (fs->inode_size < EXT4_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return REFUSE(-EINVAL, fs->name, "bad inode size %u", fs->inode_size);
	fs->blocks_per_group = es->s_blocks_per_group;
	fs->inodes_per_group = es->s_inodes_per_group;
	fs->inodes_count = es->s_inodes_count;
	if (es->s_log_cluster_size != es->s_log_block_size) {
		/* bigalloc: groups count clusters */
		if (es->s_log_cluster_size < es->s_log_block_size || es->s_log_cluster_size > 20 ||
		    es->s_clusters_per_group == 0 || es->s_clusters_per_group > fs->block_size * 8 ||
		    (uint64_t)es->s_clusters_per_group << (es->s_log_cluster_size - es->s_log_block_size) !=
			    fs->blocks_per_group)
			return REFUSE(-EINVAL, fs->name, "bad cluster geometry");
	} else if (fs->blocks_per_group == 0 || fs->blocks_per_group > fs->block_size * 8) {
		return REFUSE(-EINVAL, fs->name, "bad blocks per group %u", fs->blocks_per_group);
	}
	if (fs->inodes_per_group == 0 || fs->inodes_per_group > fs->block_size * 8 ||
	    fs->inodes_per_group < fs->block_size / fs->inode_size)
		return REFUSE(-EINVAL, fs->name, "bad inodes per group %u", fs->inodes_per_group);
	uint64_t groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
			  fs->blocks_per_group;
	if (groups == 0 || groups * fs->inodes_per_group != fs->inodes_count)
		return REFUSE(-EINVAL, fs->name, "%llu groups of %u inodes but %u inodes",
			      (unsigned long long)groups, fs->inodes_per_group, fs->inodes_count);
	fs->groups = (uint32_t)groups;
	if (fs->first_ino < EXT4_GOOD_OLD_FIRST_INO || fs->first_ino > fs->inodes_count)
		return REFUSE(-EINVAL, fs->name, "bad first inode %u", fs->first_ino);
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_META_BG)) {
		uint32_t per_block = fs->block_size / fs->desc_size;
		if (es->s_first_meta_bg > (fs->groups + per_block - 1) / per_block)
			return REFUSE(-EINVAL, fs->name, "bad first meta group %u", es->s_first_meta_bg);
	}
	fs->overhead = (uint64_t)es->s_overhead_clusters
		       << (es->s_log_cluster_size - es->s_log_block_size);
	if (fs->overhead > fs->blocks_count)
		fs->overhead = 0;
	return 0;
}

/* Read every group descriptor: checksum, the inode table and bitmaps
 * inside the file system, and the free counts for statfs. */
static int load_groups(struct ext4_fs *fs, const struct ext4_super_block *es)
{
	uint32_t per_block = fs->block_size / fs->desc_size;
	uint64_t itable_blocks = ((uint64_t)fs->inodes_per_group * fs->inode_size +
				  fs->block_size - 1) >> fs->log_block_size;
	struct buffer *b = NULL;
	uint32_t b_index = UINT32_MAX;
	int err = 0;

	uint32_t ndesc = (fs->groups + per_block - 1) / per_block;
	fs->inode_table = kmalloc(sizeof(uint64_t) * fs->groups);
	fs->desc_blocks = kmalloc(sizeof(uint64_t) * ndesc);
	if (!fs->inode_table || !fs->desc_blocks)
		return -ENOMEM;
	fs->desc_per_block = per_block;
	for (uint32_t i = 0; i < ndesc; i++)
		fs->desc_blocks[i] = desc_block(fs, es, i);
	fs->gdt_blocks = ndesc + es->s_reserved_gdt_blocks;
	for (uint32_t g = 0; g < fs->groups && !err; g++) {
		if (g / per_block != b_index) {
			brelse(b);
			b_index = g / per_block;
			b = ext4_bread(fs, desc_block(fs, es, b_index));
			if (IS_ERR(b)) {
				err = (int)PTR_ERR(b);
				b = NULL;
				pr_err("ext4 %s: cannot mount: group descriptors unreadable (%d)\n",
				       fs->name, err);
				break;
			}
		}
		const char *raw = (const char *)b->data + (size_t)(g % per_block) * fs->desc_size;
		struct ext4_group_desc gd;
		memset(&gd, 0, sizeof(gd));
		memcpy(&gd, raw, MIN(sizeof(gd), (size_t)fs->desc_size));
		if (!ext4_group_desc_csum_ok(fs, g, raw)) {
			err = REFUSE(-EUCLEAN, fs->name, "group %u descriptor checksum does not match", g);
			break;
		}
		bool wide = fs->desc_size >= EXT4_DESC_SIZE_64;
		uint64_t itable = gd.bg_inode_table_lo | (wide ? (uint64_t)gd.bg_inode_table_hi << 32 : 0);
		uint64_t bbitmap = gd.bg_block_bitmap_lo | (wide ? (uint64_t)gd.bg_block_bitmap_hi << 32 : 0);
		uint64_t ibitmap = gd.bg_inode_bitmap_lo | (wide ? (uint64_t)gd.bg_inode_bitmap_hi << 32 : 0);
		if (!ext4_blocks_valid(fs, itable, itable_blocks) || !ext4_blocks_valid(fs, bbitmap, 1) ||
		    !ext4_blocks_valid(fs, ibitmap, 1)) {
			err = REFUSE(-EUCLEAN, fs->name, "group %u: inode table or bitmaps outside the file system", g);
			break;
		}
		fs->inode_table[g] = itable;
		fs->free_blocks += gd.bg_free_blocks_count_lo |
				   (wide ? (uint32_t)gd.bg_free_blocks_count_hi << 16 : 0);
		fs->free_inodes += gd.bg_free_inodes_count_lo |
				   (wide ? (uint32_t)gd.bg_free_inodes_count_hi << 16 : 0);
	}
	brelse(b);
	fs->free_blocks = MIN(fs->free_blocks, fs->blocks_count);
	fs->free_inodes = MIN(fs->free_inodes, (uint64_t)fs->inodes_count);
	return err;
}

static void ext4_fs_free(struct ext4_fs *fs)
{
	if (!fs)
		return;
	if (fs->journal) { /* a failed mount or unload: the log stays for replay */
		jbd2_journal_unregister(fs->journal);
		jbd2_journal_destroy(fs->journal);
	}
	kfree(fs->inode_table);
	kfree(fs->desc_blocks);
	kfree(fs->freed);
	for (uint32_t g = 0; fs->freed_map && g < fs->groups; g++)
		kfree(fs->freed_map[g]);
	kfree(fs->freed_map);
	brelse(fs->sbh);
	fs->sbh = NULL;
	disk_fs_put_device(fs->bd);
	kfree(fs);
}

static void ext4_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct ext4_fs *fs = EXT4_FS(sb);
	uint64_t bfree = fs->free_blocks;

	st->type = EXT4_SUPER_MAGIC;
	st->bsize = st->frsize = fs->block_size;
	st->blocks = fs->blocks_count - fs->overhead;
	st->bfree = bfree;
	st->bavail = bfree > fs->r_blocks_count ? bfree - fs->r_blocks_count : 0;
	st->files = fs->inodes_count;
	st->ffree = fs->free_inodes;
	st->namelen = EXT4_NAME_LEN;
	st->flags = ST_VALID | ((sb->flags & MS_RDONLY) ? ST_RDONLY : 0);
	uint32_t u[4];
	memcpy(u, fs->uuid, sizeof(u));
	st->fsid[0] = (int)(u[0] ^ u[1]);
	st->fsid[1] = (int)(u[2] ^ u[3]);
}

static bool ext4_busy(struct super_block *sb, unsigned root_refs, unsigned other_inodes)
{
	return disk_fs_busy(sb, ext4_icache_count(EXT4_FS(sb)), root_refs, other_inodes);
}

int ext4_commit_super(struct ext4_handle *h)
{
	struct ext4_fs *fs = h->fs;
	struct ext4_super_block *es = fs->sbh->data;
	int err = ext4_journal_get_write_access(h, fs->sbh);

	if (err)
		return err;
	es->s_free_blocks_count_lo = (uint32_t)fs->free_blocks;
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_64BIT))
		es->s_free_blocks_count_hi = (uint32_t)(fs->free_blocks >> 32);
	es->s_free_inodes_count = (uint32_t)fs->free_inodes;
	es->s_last_orphan = fs->last_orphan;
	es->s_wtime = (uint32_t)vfs_now().tv_sec;
	if (fs->csum)
		ext4_super_csum_set(es);
	fs->sb_dirty = false;
	return ext4_handle_dirty_metadata(h, fs->sbh);
}

/* Write everything back (umount, remount read-only, syncfs). */
static int ext4_sync_fs(struct super_block *sb)
{
	struct ext4_fs *fs = EXT4_FS(sb);

	if (!ext4_writable(fs))
		return 0;
	return ext4_journal_force_commit(fs);
}

static int ext4_remount(struct super_block *sb, unsigned long flags)
{
	struct ext4_fs *fs = EXT4_FS(sb);
	int err;

	if (!(flags & MS_RDONLY)) {
		if (!fs->writable)
			return -EROFS;
		if (sb->flags & MS_RDONLY)
			bcache_writeback_start();
		guard(rwlock_write)(&fs->lock);
		if ((sb->flags & MS_RDONLY) && (err = ext4_journal_load(fs)))
			return err;
		sb->flags &= ~MS_RDONLY;
		(void)ext4_orphan_cleanup(fs); /* a crash left some, the mount was read-only */
		return 0;
	}
	if ((err = ext4_sync_fs(sb)))
		return err;
	guard(rwlock_write)(&fs->lock); /* no change is under way when the flag flips */
	if ((err = ext4_journal_unload(fs)))
		return err;
	sb->flags |= MS_RDONLY;
	return 0;
}

static void ext4_put_super(struct super_block *sb)
{
	struct ext4_fs *fs = EXT4_FS(sb);
	int err = ext4_sync_fs(sb);

	if (err)
		pr_err("ext4 %s: umount: writing back failed (%d): changes may be lost\n", fs->name, err);
	ext4_journal_unload(fs); /* a clean file system, or a log to replay */
	ext4_fs_free(fs);
	kfree(sb);
}

static long ext4_inode_blocks(struct inode *vi)
{
	return (long)READ_ONCE(EXT4_I(vi)->blocks);
}

static const struct super_ops ext4_super_ops = {
	.inode_blocks = ext4_inode_blocks,
	.statfs = ext4_statfs,
	.busy = ext4_busy,
	.put_super = ext4_put_super,
	.dirty_inode = ext4_dirty_inode,
	.sync_fs = ext4_sync_fs,
	.remount = ext4_remount,
};

/* Can this driver write the file system? Say why not, once. */
static bool check_writable(struct ext4_fs *fs, const struct ext4_super_block *es)
{
	const char *why = NULL;

	if (fs->ro_compat & ~EXT4_RO_COMPAT_WRITE)
		why = "unknown or unsupported read-only-compatible features";
	else if (fs->incompat & ~EXT4_INCOMPAT_WRITE)
		why = "incompatible features the writer does not handle (meta_bg, inline data...)";
	else if (!ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_EXTENTS))
		why = "no extents (ext2/ext3 block maps are read only)";
	else if ((fs->ro_compat & EXT4_FEATURE_RO_COMPAT_GDT_CSUM) && !fs->csum)
		why = "gdt_csum (crc16) descriptors";
	else if (es->s_log_cluster_size != es->s_log_block_size)
		why = "bigalloc";
	else if (fs->bd->flags & BLKDEV_RDONLY)
		why = "the device is write-protected";
	if (why)
		pr_info("ext4 %s: read-only: %s (ro_compat 0x%x, incompat 0x%x)\n", fs->name, why,
			fs->ro_compat, fs->incompat);
	return !why;
}

/* Mount; when the journal needs recovery and replay is set, replay it
 * and return ERR_PTR(-EAGAIN): the caller mounts again from scratch. */
static struct super_block *mount_once(struct block_device *bd, unsigned long flags, bool replay)
{
	struct ext4_super_block *es;
	int err;

	__free(kfree) struct ext4_fs *fs = kzalloc(sizeof(*fs));
	__free(kfree) struct super_block *sb = kzalloc(sizeof(*sb));
	if (!fs || !sb)
		return ERR_PTR(-ENOMEM);
	ksnprintf(fs->name, sizeof(fs->name), "%s", bd->name);
	spin_init(&fs->icache_lock, "ext4 icache");
	for (int i = 0; i < EXT4_ICACHE_HASH; i++)
		list_init(&fs->icache[i]);
	list_init(&fs->orphans);

	/* The superblock: bytes 1024..2047 of the device, whatever the block size. */
	struct buffer *sbh = bread(bd, 1, EXT4_SUPER_OFFSET);
	if (IS_ERR(sbh))
		return REFUSE(ERR_CAST(sbh), fs->name, "superblock unreadable");
	es = sbh->data;
	if (es->s_magic != EXT4_SUPER_MAGIC) {
		brelse(sbh);
		bcache_drop_device(bd);
		return REFUSE(ERR_PTR(-EINVAL), fs->name, "no ext2/3/4 superblock (magic 0x%x)", es->s_magic);
	}
	fs->bd = bd;
	fs->compat = es->s_feature_compat;
	fs->incompat = es->s_feature_incompat;
	fs->ro_compat = es->s_feature_ro_compat;
	fs->csum = fs->ro_compat & EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
	memcpy(fs->uuid, es->s_uuid, sizeof(fs->uuid));
	memcpy(fs->hash_seed, es->s_hash_seed, sizeof(fs->hash_seed));
	fs->sb_flags = es->s_flags;
	fs->journal_ino = es->s_journal_inum;
	fs->def_hash_version = es->s_def_hash_version;
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_CSUM_SEED))
		fs->csum_seed = es->s_checksum_seed;
	else
		fs->csum_seed = crc32c(~0u, es->s_uuid, sizeof(es->s_uuid));
	err = check_features(fs, es);
	if (!err)
		err = check_geometry(fs, es);
	if (!err) {
		blkdev_get(bd);
		err = load_groups(fs, es);
	} else {
		fs->bd = NULL;
	}
	if (err) {
		brelse(sbh);
		if (!fs->bd)
			bcache_drop_device(bd);
		ext4_fs_free(take_ptr(fs));
		return ERR_PTR(err);
	}
	fs->sbh = sbh; /* held until umount */
	fs->writable = check_writable(fs, es);
	if (!fs->writable && !(flags & MS_RDONLY)) {
		ext4_fs_free(take_ptr(fs));
		return ERR_PTR(-EROFS);
	}
	fs->flex_groups = ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_FLEX_BG) && es->s_log_groups_per_flex < 31
				  ? 1u << es->s_log_groups_per_flex : 1;
	if (fs->inode_size > EXT4_GOOD_OLD_INODE_SIZE) {
		unsigned want = es->s_want_extra_isize ? es->s_want_extra_isize : 32;
		if (want < 32 || want > fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE || (want & 3))
			want = MIN(32u, fs->inode_size - EXT4_GOOD_OLD_INODE_SIZE);
		fs->want_extra_isize = (uint16_t)want;
	}
	fs->next_generation = (uint32_t)vfs_now().tv_nsec ^ (uint32_t)vfs_now().tv_sec ^ es->s_wtime;
	fs->last_orphan = es->s_last_orphan;
	rwlock_init(&fs->lock);

	disk_fs_super_init(sb, bd, EXT4_SUPER_MAGIC, &ext4_super_ops, fs, flags);
	fs->vsb = sb;
	if (ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_RECOVER)) {
		/* Once: a replay that did not clear RECOVER is refused below. */
		err = replay ? ext4_replay_journal(fs, fs->journal_ino) : -EUCLEAN;
		if (!replay)
			pr_err("ext4 %s: cannot mount: still needs recovery after a replay\n", fs->name);
		ext4_fs_free(take_ptr(fs));
		return ERR_PTR(err ? err : -EAGAIN);
	}
	struct inode *root = ext4_iget(fs, EXT4_ROOT_INO);
	if (!IS_ERR(root) && !S_ISDIR(root->mode)) {
		inode_put(root);
		root = ERR_PTR(ext4_corrupt(fs, "the root inode is not a directory"));
	}
	if (IS_ERR(root)) {
		ext4_fs_free(take_ptr(fs));
		return REFUSE(ERR_CAST(root), bd->name, "root directory unreadable (%ld)", PTR_ERR(root));
	}
	sb->root = root;
	if (!(flags & MS_RDONLY) && (err = ext4_journal_load(fs))) {
		sb->root = NULL;
		inode_put(root);
		ext4_fs_free(take_ptr(fs));
		return ERR_PTR(err);
	}
	if (fs->journal)
		(void)ext4_orphan_cleanup(fs); /* reported; e2fsck finds what is left */
	pr_info("ext4 %s: mounted %s: %u-byte blocks, %u groups, %s%s%s\n", fs->name,
		(flags & MS_RDONLY) ? "read-only" : "read-write", fs->block_size, fs->groups,
		ext4_has_incompat(fs, EXT4_FEATURE_INCOMPAT_EXTENTS) ? "extents" : "block maps",
		fs->csum ? ", metadata_csum" : "",
		fs->journal ? ", journal (ordered)"
		: (fs->compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) ? ", journal (not used: read-only)" : "");
	if (!(flags & MS_RDONLY))
		bcache_writeback_start();
	take_ptr(fs);
	return take_ptr(sb);
}

struct super_block *ext4_mount(struct block_device *bd, unsigned long flags)
{
	struct super_block *sb = mount_once(bd, flags, true);

	if (sb == ERR_PTR(-EAGAIN))
		sb = mount_once(bd, flags, false);
	return sb;
}
