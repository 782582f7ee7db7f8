/*
 * FAT mount: read and check the boot sector (BPB) and FSInfo, work out the
 * type (FAT12/16/32 as Linux does: FAT32 when the 16-bit FAT size is 0,
 * else by the cluster count), and build struct fat_fs and the VFS super
 * block; statfs, remount and umount. A read-write mount sets the boot
 * sector's dirty flag (Linux's fat_set_state) and clears FAT[1]'s
 * clean-shutdown bit (Windows' flag; fsck.fat reads both); a clean umount
 * undoes both, unless the volume was dirty at mount (then fsck should look).
 *
 * Locking: none at mount (private state); umount runs when no inode but
 * the root is live. statfs reads the free count under fs->lock.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/disk_fs.h>
#include <stdarg.h>
#include "fat.h"

int fat_corrupt(struct fat_fs *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int err = disk_fs_corrupt("fat", fs->name, &fs->errors, fmt, ap);
	va_end(ap);
	return err;
}

/* Refuse a mount: say why, once, on the console. */
#define REFUSE(err, name, fmt, ...) DISK_FS_REFUSE(err, "fat", name, fmt, ##__VA_ARGS__)

static bool pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static unsigned ilog2_u32(uint32_t v)
{
	unsigned l = 0;
	while (v >>= 1)
		l++;
	return l;
}

/* Check the BPB in bs (one sector) and fill the geometry. */
static int parse_bpb(struct fat_fs *fs, const uint8_t *bs)
{
	uint32_t bps = get_le16(bs + BPB_BYTES_PER_SEC);
	uint32_t spc = bs[BPB_SEC_PER_CLUS];
	uint32_t rsvd = get_le16(bs + BPB_RSVD_SEC_CNT);
	uint32_t nfats = bs[BPB_NUM_FATS];
	uint32_t root_ent = get_le16(bs + BPB_ROOT_ENT_CNT);
	uint32_t total = get_le16(bs + BPB_TOT_SEC16);
	uint32_t fatsz = get_le16(bs + BPB_FAT_SZ16);
	uint8_t media = bs[BPB_MEDIA];

	if (bs[BS_SIGNATURE] != 0x55 || bs[BS_SIGNATURE + 1] != 0xAA)
		return REFUSE(-EINVAL, fs->name, "no boot sector signature");
	if (!pow2(bps) || bps < 512 || bps > 4096)
		return REFUSE(-EINVAL, fs->name, "bad sector size %u", bps);
	if (!pow2(spc) || bps * spc > 65536)
		return REFUSE(-EINVAL, fs->name, "bad sectors per cluster %u", spc);
	if (rsvd == 0)
		return REFUSE(-EINVAL, fs->name, "no reserved sectors");
	if (nfats == 0 || nfats > 4)
		return REFUSE(-EINVAL, fs->name, "bad FAT count %u", nfats);
	if (media != 0xF0 && media < 0xF8)
		return REFUSE(-EINVAL, fs->name, "bad media byte 0x%x", media);
	if (total == 0)
		total = get_le32(bs + BPB_TOT_SEC32);
	fs->sector_size = bps;
	fs->log_sector = ilog2_u32(bps);
	fs->sec_per_clus = spc;
	fs->cluster_size = bps * spc;
	fs->log_cluster = ilog2_u32(fs->cluster_size);
	fs->nr_fats = nfats;
	fs->fat_start = rsvd;
	if (fatsz == 0) {
		fs->bits = 32;
		fatsz = get_le32(bs + BPB32_FAT_SZ32);
		if (root_ent != 0)
			return REFUSE(-EINVAL, fs->name, "FAT32 with %u fixed root entries", root_ent);
		if (get_le16(bs + BPB32_FS_VER) != 0)
			return REFUSE(-EINVAL, fs->name, "unknown FAT32 version");
	} else if (root_ent == 0 || (root_ent * DIR_ENTRY_SIZE) % bps) {
		return REFUSE(-EINVAL, fs->name, "bad root entry count %u", root_ent);
	}
	if (fatsz == 0)
		return REFUSE(-EINVAL, fs->name, "empty FAT");
	fs->fat_sectors = fatsz;
	fs->root_start = rsvd + nfats * fatsz;
	fs->root_entries = root_ent;
	uint64_t data = (uint64_t)fs->root_start + (uint64_t)root_ent * DIR_ENTRY_SIZE / bps;
	uint64_t dev_sectors = (fs->bd->nr_sectors * SECTOR_SIZE) >> fs->log_sector;
	if (total > dev_sectors)
		return REFUSE(-EINVAL, fs->name, "%u sectors but the device holds %llu", total,
			      (unsigned long long)dev_sectors);
	if (data >= total)
		return REFUSE(-EINVAL, fs->name, "no data area");
	fs->data_start = (uint32_t)data;
	fs->total_sectors = total;
	uint32_t clusters = (uint32_t)((total - data) / spc);
	if (clusters == 0)
		return REFUSE(-EINVAL, fs->name, "no clusters");
	if (fs->bits != 32)
		fs->bits = clusters <= MAX_FAT12 ? 12 : 16;
	if ((fs->bits == 16 && clusters > MAX_FAT16) || clusters > MAX_FAT32)
		return REFUSE(-EINVAL, fs->name, "%u clusters too many for FAT%u", clusters, fs->bits);
	/* the FAT must have an entry for every cluster */
	uint64_t fat_bytes = (uint64_t)fatsz * bps;
	uint64_t need = fs->bits == 12 ? ((uint64_t)clusters + 2) * 3 / 2 : ((uint64_t)clusters + 2) * fs->bits / 8;
	if (fat_bytes < need)
		return REFUSE(-EINVAL, fs->name, "FAT of %llu bytes for %u clusters",
			      (unsigned long long)fat_bytes, clusters);
	fs->max_cluster = clusters + 1;
	switch (fs->bits) {
	case 12: fs->eoc = 0xFFF; fs->bad = FAT12_BAD; break;
	case 16: fs->eoc = 0xFFFF; fs->bad = FAT16_BAD; break;
	default: fs->eoc = FAT32_MASK; fs->bad = FAT32_BAD; break;
	}
	if (fs->bits == 32) {
		fs->root_cluster = get_le32(bs + BPB32_ROOT_CLUS);
		if (!fat_cluster_valid(fs, fs->root_cluster))
			return REFUSE(-EINVAL, fs->name, "bad root cluster %u", fs->root_cluster);
		if (get_le16(bs + BPB32_EXT_FLAGS) & 0x80)
			return REFUSE(-EINVAL, fs->name, "FAT mirroring is off (unsupported)");
		fs->fsinfo_sector = get_le16(bs + BPB32_FS_INFO);
		if (fs->fsinfo_sector == 0 || fs->fsinfo_sector >= rsvd)
			fs->fsinfo_sector = 0;
	}
	return 0;
}

/* FSInfo: trust its free count when it is in range (as Linux), else count.
 * A trusted count is not believed when it says the disk is full: the
 * allocator looks (as Linux, whose count is "valid" only once counted). */
static int load_free(struct fat_fs *fs)
{
	fs->free_count = UINT32_MAX;
	fs->next_free = 2;
	if (fs->fsinfo_sector) {
		__free(brelse) struct buffer *b = fat_bread(fs, fs->fsinfo_sector);
		if (IS_ERR(b))
			return (int)PTR_ERR(b);
		const uint8_t *d = b->data;
		if (get_le32(d + FSI_LEAD_SIG) == FSI_LEAD_MAGIC &&
		    get_le32(d + FSI_STRUC_SIG) == FSI_STRUC_MAGIC) {
			uint32_t fc = get_le32(d + FSI_FREE_COUNT), nf = get_le32(d + FSI_NXT_FREE);
			if (fc <= fs->max_cluster - 1)
				fs->free_count = fc;
			if (fat_cluster_valid(fs, nf))
				fs->next_free = nf;
		} else {
			pr_warn("fat %s: FSInfo sector has bad signatures: not used\n", fs->name);
			fs->fsinfo_sector = 0;
		}
	}
	if (fs->free_count == UINT32_MAX) {
		fs->free_exact = true;
		return fat_count_free(fs, &fs->free_count);
	}
	return 0;
}

/* Set or clear the boot sector's dirty flag (fs->lock held or private). */
static uint32_t clean_bit(const struct fat_fs *fs)
{
	return fs->bits == 32 ? FAT32_CLEAN_BIT : fs->bits == 16 ? FAT16_CLEAN_BIT : 0;
}

/* Set or clear the dirty state: the boot sector's flag (Linux) and the
 * clean-shutdown bit of FAT[1] (Windows; fsck.fat reads both). */
static int set_state(struct fat_fs *fs, bool dirty)
{
	int err = 0;

	if (fs->readonly || (!dirty && fs->was_dirty))
		return 0;
	struct buffer *b = fat_bread(fs, 0);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	uint8_t *st = (uint8_t *)b->data + (fs->bits == 32 ? BS32_STATE : BS16_STATE);
	uint8_t v = dirty ? (uint8_t)(*st | FAT_STATE_DIRTY) : (uint8_t)(*st & ~FAT_STATE_DIRTY);
	if (v != *st) {
		*st = v;
		err = fat_mark_dirty(fs, b, false);
	}
	brelse(b);
	uint32_t e1, bit = clean_bit(fs);
	if (!err && bit && !(err = fat_get(fs, 1, &e1))) {
		uint32_t n = dirty ? e1 & ~bit : e1 | bit;
		if (n != e1)
			err = fat_set_entry(fs, 1, n);
	}
	int e2 = fat_flush(fs);
	return err ? err : e2;
}

static void fat_fs_free(struct fat_fs *fs)
{
	if (!fs)
		return;
	disk_fs_put_device(fs->bd);
	kfree(fs);
}

static void fat_statfs(struct super_block *sb, struct kstatfs *st)
{
	struct fat_fs *fs = FAT_FS(sb);

	st->type = MSDOS_SUPER_MAGIC;
	st->bsize = st->frsize = fs->cluster_size;
	st->blocks = fs->max_cluster - 1;
	mutex_lock(&fs->lock);
	st->bfree = st->bavail = fs->free_count;
	mutex_unlock(&fs->lock);
	st->files = st->ffree = 0;
	st->namelen = FAT_LFN_MAX;
	st->flags = ST_VALID | ((sb->flags & MS_RDONLY) ? ST_RDONLY : 0);
	st->fsid[0] = (int)(sb->dev & 0xffff);
	st->fsid[1] = 0;
}

static bool fat_busy(struct super_block *sb, unsigned root_refs, unsigned other_inodes)
{
	return disk_fs_busy(sb, fat_icache_count(FAT_FS(sb)), root_refs, other_inodes);
}

static void fat_put_super(struct super_block *sb)
{
	struct fat_fs *fs = FAT_FS(sb);

	mutex_lock(&fs->lock);
	fat_flush(fs);
	set_state(fs, false);
	if (!fs->readonly)
		blkdev_flush(fs->bd);
	mutex_unlock(&fs->lock);
	fat_fs_free(fs);
	kfree(sb);
}

/* Read-only <-> read-write: the dirty flag follows, as on Linux. */
static int fat_remount(struct super_block *sb, unsigned long flags)
{
	struct fat_fs *fs = FAT_FS(sb);
	bool ro = flags & MS_RDONLY;
	int err = 0;

	if (!ro && (fs->bd->flags & BLKDEV_RDONLY))
		return -EROFS;
	guard(mutex)(&fs->lock);
	if (ro == fs->readonly)
		return 0;
	if (ro) {
		err = fat_flush(fs);
		if (!err)
			err = set_state(fs, false);
		if (!err)
			err = blkdev_flush(fs->bd);
		if (err)
			return err;
		fs->readonly = true;
		sb->flags |= MS_RDONLY;
	} else {
		fs->readonly = false;
		err = set_state(fs, true);
		if (err) {
			fs->readonly = true;
			return err;
		}
		sb->flags &= ~(unsigned long)MS_RDONLY;
	}
	return 0;
}

/* sync/syncfs: every operation already wrote its metadata and data;
 * make it durable. */
static int fat_sync_fs(struct super_block *sb)
{
	struct fat_fs *fs = FAT_FS(sb);
	int err;

	mutex_lock(&fs->lock);
	err = fat_flush(fs);
	if (!err)
		err = fs->io_error;
	fs->io_error = 0;
	mutex_unlock(&fs->lock);
	int e2 = fs->readonly ? 0 : blkdev_flush(fs->bd);
	return err ? err : e2;
}

/* st_blocks as Linux's vfat: the size rounded up to whole clusters. */
static long fat_inode_blocks(struct inode *ino)
{
	struct fat_fs *fs = FAT_FS(ino->sb);
	uint64_t size = (uint64_t)ino->size;

	return (long)(((size + fs->cluster_size - 1) & ~(uint64_t)(fs->cluster_size - 1)) >> 9);
}

static const struct super_ops fat_super_ops = {
	.statfs = fat_statfs,
	.busy = fat_busy,
	.put_super = fat_put_super,
	.remount = fat_remount,
	.sync_fs = fat_sync_fs,
	.inode_blocks = fat_inode_blocks,
};

/* Parse a number in base (8 or 10) from [p, end). */
static bool parse_num(const char *p, const char *end, unsigned base, unsigned long *out)
{
	unsigned long v = 0;

	if (p == end)
		return false;
	for (; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (d >= base || v > (UINT32_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* The mount(2) data string: uid=, gid=, umask=, fmask=, dmask=, quiet;
 * Linux's other vfat options are accepted and change nothing here. */
static int parse_options(struct fat_fs *fs, const char *opts)
{
	static const char *const ignored[] = {
		"utf8", "utf8=1", "utf8=yes", "iocharset=utf8", "shortname=mixed", "shortname=lower",
		"shortname=win95", "shortname=winnt", "codepage=437", "tz=UTC", "time_offset=0",
		"flush", "showexec", "nodots", "dots", "check=relaxed", "check=normal", "check=strict",
		"errors=continue", "errors=panic", "errors=remount-ro", "discard", "nfs", "nfs=nostale_ro",
		"allow_utime=0", "allow_utime=2", "allow_utime=20", "uni_xlate", "posix", "nocase",
		"rodir", "sys_immutable", "usefree", "dos1xfloppy", "defaults", "rw", "ro",
	};

	fs->fmask = fs->dmask = 022;
	for (const char *p = opts; p && *p;) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		const char *eq = p;
		while (eq < end && *eq != '=')
			eq++;
		if (eq == end)
			eq = NULL;
		size_t klen = (size_t)((eq ? eq : end) - p);
		unsigned long v;
		bool ok = true;
		if (klen == 3 && !strncmp(p, "uid", 3) && eq)
			ok = parse_num(eq + 1, end, 10, &v) && (fs->uid = (uid_t)v, true);
		else if (klen == 3 && !strncmp(p, "gid", 3) && eq)
			ok = parse_num(eq + 1, end, 10, &v) && (fs->gid = (gid_t)v, true);
		else if (klen == 5 && !strncmp(p, "umask", 5) && eq)
			ok = parse_num(eq + 1, end, 8, &v) && v <= 0777 && (fs->fmask = fs->dmask = (mode_t)v, true);
		else if (klen == 5 && !strncmp(p, "fmask", 5) && eq)
			ok = parse_num(eq + 1, end, 8, &v) && v <= 0777 && (fs->fmask = (mode_t)v, true);
		else if (klen == 5 && !strncmp(p, "dmask", 5) && eq)
			ok = parse_num(eq + 1, end, 8, &v) && v <= 0777 && (fs->dmask = (mode_t)v, true);
		else if ((size_t)(end - p) == 5 && !strncmp(p, "quiet", 5))
			fs->quiet = true;
		else if (end > p) {
			ok = false;
			for (size_t i = 0; i < ARRAY_SIZE(ignored) && !ok; i++)
				ok = strlen(ignored[i]) == (size_t)(end - p) && !strncmp(p, ignored[i], (size_t)(end - p));
		}
		if (!ok) {
			pr_err("fat %s: unrecognized mount option \"%.*s\" or missing value\n", fs->name,
			       (int)(end - p), p);
			return -EINVAL;
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

struct super_block *fat_mount(struct block_device *bd, unsigned long flags, const char *options)
{
	int err;

	__free(kfree) struct fat_fs *fs = kzalloc(sizeof(*fs));
	__free(kfree) struct super_block *sb = kzalloc(sizeof(*sb));
	if (!fs || !sb)
		return ERR_PTR(-ENOMEM);
	ksnprintf(fs->name, sizeof(fs->name), "%s", bd->name);
	mutex_init(&fs->lock);
	spin_init(&fs->icache_lock, "fat icache");
	for (int i = 0; i < FAT_ICACHE_HASH; i++)
		list_init(&fs->icache[i]);
	err = parse_options(fs, options);
	if (err)
		return ERR_PTR(err);
	fs->readonly = (flags & MS_RDONLY) || (bd->flags & BLKDEV_RDONLY);
	if (!(flags & MS_RDONLY) && (bd->flags & BLKDEV_RDONLY))
		return ERR_PTR(-EROFS);

	blkdev_get(bd);
	fs->bd = bd;
	struct buffer *b0 = bread(bd, 0, 512);
	if (IS_ERR(b0)) {
		fat_fs_free(take_ptr(fs));
		return REFUSE(ERR_CAST(b0), bd->name, "boot sector unreadable");
	}
	err = parse_bpb(fs, b0->data);
	uint8_t state = 0;
	uint32_t e1 = 0;
	if (!err)
		state = ((uint8_t *)b0->data)[fs->bits == 32 ? BS32_STATE : BS16_STATE];
	brelse(b0);
	if (!err)
		err = load_free(fs);
	if (!err && clean_bit(fs)) {
		mutex_lock(&fs->lock);
		err = fat_get(fs, 1, &e1);
		mutex_unlock(&fs->lock);
	}
	if (err) {
		fat_fs_free(take_ptr(fs));
		return ERR_PTR(err);
	}
	fs->was_dirty = (state & FAT_STATE_DIRTY) || (clean_bit(fs) && !(e1 & clean_bit(fs)));
	if (fs->was_dirty)
		pr_warn("fat %s: volume was not properly unmounted; some data may be corrupt (run fsck)\n",
			fs->name);

	disk_fs_super_init(sb, bd, MSDOS_SUPER_MAGIC, &fat_super_ops, fs,
			   flags | (fs->readonly ? MS_RDONLY : 0));
	fs->vsb = sb;
	struct inode *root = fat_root_inode(fs);
	if (IS_ERR(root)) {
		fat_fs_free(take_ptr(fs));
		return REFUSE(ERR_CAST(root), bd->name, "root directory unreadable (%ld)", PTR_ERR(root));
	}
	sb->root = root;
	mutex_lock(&fs->lock);
	err = set_state(fs, true);
	mutex_unlock(&fs->lock);
	if (err) {
		inode_put(root);
		fat_fs_free(take_ptr(fs));
		return ERR_PTR(err);
	}
	pr_info("fat %s: mounted FAT%u %s: %u-byte clusters, %u clusters, %u free\n", fs->name,
		fs->bits, fs->readonly ? "read-only" : "read-write", fs->cluster_size,
		fs->max_cluster - 1, fs->free_count);
	take_ptr(fs);
	return take_ptr(sb);
}
