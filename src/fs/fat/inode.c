/*
 * FAT inodes: FAT has none, so a file is its directory entry. A VFS inode
 * is keyed by the entry's byte position on the disk (i_pos, Linux's
 * scheme) in a per-mount cache, so a name found twice is one inode; its
 * number is i_pos / 32 when first built (the root is 1), kept across a
 * rename. Attributes are what Linux's vfat shows: the mount's uid and gid
 * (0 by default), mode 0777 less fmask or dmask (022 by default), less the
 * write bits when a file's entry is read-only, mtime = ctime from the write time, atime from the access
 * date, directories' sizes their clusters and nlink 2 + subdirectories.
 * An inode's entry is written back (size, first cluster, times, the
 * read-only bit) by fat_write_inode after each change and at its last put
 * (chmod and utimensat change the VFS fields only); a file unlinked while
 * open keeps its clusters until then.
 *
 * Locking: the cache list under fs->icache_lock; everything else under
 * fs->lock, which the destroy hook takes (so no inode is put with it held).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/rtc.h>
#include "fat.h"

#define UNIX_SECS_1980 315532800LL
#define UNIX_SECS_2108 4354819200LL

struct timespec64 fat_time_to_unix(uint16_t time, uint16_t date, uint8_t cs)
{
	struct rtc_time tm = { 0 };

	tm.tm_year = 80 + (date >> 9);
	tm.tm_mon = MAX(1, MIN(12, (date >> 5) & 15)) - 1;
	tm.tm_mday = MAX(1, date & 31);
	tm.tm_hour = MIN(23, time >> 11);
	tm.tm_min = MIN(59, (time >> 5) & 63);
	tm.tm_sec = MIN(59, (time & 31) * 2);
	int64_t s = rtc_tm_to_time64(&tm);
	cs = MIN(cs, (uint8_t)199);
	return (struct timespec64){ s + cs / 100, (long)(cs % 100) * 10000000L };
}

void fat_time_from_unix(struct timespec64 ts, uint16_t *time, uint16_t *date, uint8_t *cs)
{
	struct rtc_time tm;
	int64_t s = ts.tv_sec;

	if (s < UNIX_SECS_1980) {
		*time = 0;
		*date = (1 << 5) | 1;
		if (cs)
			*cs = 0;
		return;
	}
	if (s >= UNIX_SECS_2108) {
		*time = (23 << 11) | (59 << 5) | 29;
		*date = (127 << 9) | (12 << 5) | 31;
		if (cs)
			*cs = 199;
		return;
	}
	rtc_time64_to_tm(s, &tm);
	*time = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*date = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
	if (cs)
		*cs = (uint8_t)((tm.tm_sec & 1) * 100 + ts.tv_nsec / 10000000L);
}

struct timespec64 fat_trunc_mtime(struct timespec64 ts)
{
	return (struct timespec64){ ts.tv_sec & ~1ll, 0 };
}

struct timespec64 fat_trunc_atime(struct timespec64 ts)
{
	int64_t s = ts.tv_sec - ((ts.tv_sec % 86400) + 86400) % 86400;
	return (struct timespec64){ s, 0 };
}

void fat_touch(struct inode *vi)
{
	struct timespec64 now = fat_trunc_mtime(vfs_now());

	spin_lock(&vi->lock);
	vi->mtime = vi->ctime = now;
	spin_unlock(&vi->lock);
}

mode_t fat_mode(const struct fat_fs *fs, uint8_t attr)
{
	if (attr & ATTR_DIR)
		return S_IFDIR | (0777 & ~fs->dmask);
	mode_t m = 0777 & ~fs->fmask;
	return S_IFREG | ((attr & ATTR_RO) ? m & ~0222 : m);
}

static struct list_head *bucket(struct fat_fs *fs, uint64_t i_pos)
{
	return &fs->icache[(i_pos / DIR_ENTRY_SIZE) % FAT_ICACHE_HASH];
}

static struct fat_inode_info *icache_find_locked(struct fat_fs *fs, uint64_t i_pos)
{
	struct fat_inode_info *ei;

	list_for_each_entry(ei, bucket(fs, i_pos), icache_node)
		if (ei->i_pos == i_pos && !ei->unlinked)
			return ei;
	return NULL;
}

struct inode *fat_icache_find(struct fat_fs *fs, uint64_t i_pos)
{
	guard(spinlock)(&fs->icache_lock);
	struct fat_inode_info *ei = icache_find_locked(fs, i_pos);
	if (ei && ref_get_unless_zero(&ei->vfs->ref))
		return ei->vfs;
	return NULL;
}

ino_t fat_icache_ino(struct fat_fs *fs, uint64_t i_pos)
{
	guard(spinlock)(&fs->icache_lock);
	struct fat_inode_info *ei = icache_find_locked(fs, i_pos);
	return ei ? ei->vfs->ino : (ino_t)(i_pos / DIR_ENTRY_SIZE);
}

void fat_icache_rehash(struct fat_inode_info *ei, uint64_t i_pos)
{
	struct fat_fs *fs = ei->fs;

	guard(spinlock)(&fs->icache_lock);
	list_del(&ei->icache_node);
	ei->i_pos = i_pos;
	list_add(&ei->icache_node, bucket(fs, i_pos));
}

size_t fat_icache_count(struct fat_fs *fs)
{
	guard(spinlock)(&fs->icache_lock);
	return fs->nr_inodes;
}

int fat_write_inode(struct inode *vi)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	uint8_t raw[DIR_ENTRY_SIZE], old[DIR_ENTRY_SIZE];
	uint16_t t, d;
	uint8_t cs;

	if (ei->is_root || ei->unlinked || !ei->i_pos || fs->readonly)
		return 0;
	int err = fat_entry_read(fs, ei->i_pos, raw);
	if (err)
		return err;
	memcpy(old, raw, sizeof(raw));
	spin_lock(&vi->lock);
	struct timespec64 mtime = vi->mtime, atime = vi->atime;
	uint32_t size = S_ISDIR(vi->mode) ? 0 : (uint32_t)vi->size;
	bool ro = !S_ISDIR(vi->mode) && !(vi->mode & 0222);
	spin_unlock(&vi->lock);
	uint8_t attr = (uint8_t)((ei->attr & ~ATTR_RO) | (ro ? ATTR_RO : 0));
	ei->attr = attr;
	raw[DE_ATTR] = attr;
	put_le32(raw + DE_FILE_SIZE, size);
	put_le16(raw + DE_FST_CLUS_LO, (uint16_t)ei->start);
	put_le16(raw + DE_FST_CLUS_HI, fs->bits == 32 ? (uint16_t)(ei->start >> 16) : 0);
	fat_time_from_unix(mtime, &t, &d, NULL);
	put_le16(raw + DE_WRT_TIME, t);
	put_le16(raw + DE_WRT_DATE, d);
	fat_time_from_unix(atime, &t, &d, &cs);
	put_le16(raw + DE_LST_ACC_DATE, d);
	if (!memcmp(raw, old, sizeof(raw)))
		return 0;
	return fat_entry_write(fs, ei->i_pos, raw);
}

static void fat_destroy(struct inode *vi)
{
	struct fat_inode_info *ei = FAT_I(vi);
	struct fat_fs *fs = ei->fs;
	struct inode *parent;

	mutex_lock(&fs->lock);
	if (ei->unlinked)
		fat_free_chain(fs, ei->start);
	else
		fat_write_inode(vi);
	fat_flush(fs);
	spin_lock(&fs->icache_lock);
	list_del(&ei->icache_node);
	fs->nr_inodes--;
	spin_unlock(&fs->icache_lock);
	parent = ei->parent;
	mutex_unlock(&fs->lock);
	kfree(ei);
	vi->private = NULL;
	if (parent)
		inode_put(parent);
}

/* Fill a new VFS inode from entry raw. */
static int inode_fill(struct fat_fs *fs, struct inode *vi, struct fat_inode_info *ei, const uint8_t *raw)
{
	uint8_t attr = raw[DE_ATTR];
	uint32_t start = get_le16(raw + DE_FST_CLUS_LO);

	if (fs->bits == 32)
		start |= (uint32_t)get_le16(raw + DE_FST_CLUS_HI) << 16;
	if (start && !fat_cluster_valid(fs, start))
		return fat_corrupt(fs, "entry at %llu: first cluster %u invalid",
				   (unsigned long long)ei->i_pos, start);
	ei->attr = attr;
	ei->start = start;
	vi->mode = fat_mode(fs, attr);
	vi->uid = fs->uid;
	vi->gid = fs->gid;
	vi->mtime = fat_time_to_unix(get_le16(raw + DE_WRT_TIME), get_le16(raw + DE_WRT_DATE), 0);
	vi->ctime = vi->mtime;
	vi->atime = fat_time_to_unix(0, get_le16(raw + DE_LST_ACC_DATE), 0);
	ei->ctime_raw = get_le16(raw + DE_CRT_TIME);
	ei->cdate_raw = get_le16(raw + DE_CRT_DATE);
	ei->ctime_cs = raw[DE_CRT_TIME_TENTH];
	if (attr & ATTR_DIR) {
		uint32_t len;
		unsigned subdirs;
		if (!start)
			return fat_corrupt(fs, "directory at %llu has no cluster", (unsigned long long)ei->i_pos);
		int err = fat_chain_length(fs, start, &len);
		if (err)
			return err;
		if ((uint64_t)len * fs->cluster_size > (2u << 20) + fs->cluster_size)
			return fat_corrupt(fs, "directory at %llu: %u clusters", (unsigned long long)ei->i_pos, len);
		vi->size = (off_t)len * fs->cluster_size;
		err = fat_count_subdirs(fs, ei, &subdirs);
		if (err)
			return err;
		vi->nlink = 2 + subdirs;
		vi->iops = &fat_dir_iops;
		vi->fops = &fat_dir_fops;
	} else {
		vi->size = get_le32(raw + DE_FILE_SIZE);
		vi->nlink = 1;
		vi->iops = &fat_file_iops;
		vi->fops = &fat_file_fops;
	}
	return 0;
}

static struct inode *icache_insert(struct fat_fs *fs, struct inode *vi, struct fat_inode_info *ei)
{
	spin_lock(&fs->icache_lock);
	list_add(&ei->icache_node, bucket(fs, ei->i_pos));
	fs->nr_inodes++;
	spin_unlock(&fs->icache_lock);
	vi->private = ei;
	vi->destroy = fat_destroy;
	return vi;
}

struct inode *fat_iget(struct fat_fs *fs, uint64_t i_pos, const uint8_t *raw, struct inode *parent)
{
	struct inode *vi = fat_icache_find(fs, i_pos);

	if (vi)
		return vi;
	__free(kfree) struct fat_inode_info *ei = kzalloc(sizeof(*ei));
	if (!ei)
		return ERR_PTR(-ENOMEM);
	vi = inode_alloc(fs->vsb, S_IFREG);
	if (!vi)
		return ERR_PTR(-ENOMEM);
	list_init(&ei->icache_node);
	ei->fs = fs;
	ei->vfs = vi;
	ei->i_pos = i_pos;
	int err = inode_fill(fs, vi, ei, raw);
	if (err) {
		inode_put(vi); /* no destroy hook yet */
		return ERR_PTR(err);
	}
	vi->ino = (ino_t)(i_pos / DIR_ENTRY_SIZE);
	if (S_ISDIR(vi->mode) && parent) {
		inode_get(parent);
		ei->parent = parent;
	}
	return icache_insert(fs, vi, take_ptr(ei));
}

struct inode *fat_root_inode(struct fat_fs *fs)
{
	__free(kfree) struct fat_inode_info *ei = kzalloc(sizeof(*ei));
	struct inode *vi;
	unsigned subdirs;
	int err;

	if (!ei)
		return ERR_PTR(-ENOMEM);
	vi = inode_alloc(fs->vsb, fat_mode(fs, ATTR_DIR));
	if (!vi)
		return ERR_PTR(-ENOMEM);
	list_init(&ei->icache_node);
	ei->fs = fs;
	ei->vfs = vi;
	ei->is_root = true;
	ei->attr = ATTR_DIR;
	vi->ino = FAT_ROOT_INO;
	vi->mode = fat_mode(fs, ATTR_DIR);
	vi->uid = fs->uid;
	vi->gid = fs->gid;
	vi->atime = vi->mtime = vi->ctime = (struct timespec64){ 0, 0 };
	vi->iops = &fat_dir_iops;
	vi->fops = &fat_dir_fops;
	mutex_lock(&fs->lock);
	if (fs->bits == 32) {
		uint32_t len = 0;
		ei->start = fs->root_cluster;
		err = fat_chain_length(fs, ei->start, &len);
		vi->size = (off_t)len * fs->cluster_size;
	} else {
		err = 0;
		vi->size = (off_t)fs->root_entries * DIR_ENTRY_SIZE;
	}
	if (!err)
		err = fat_count_subdirs(fs, ei, &subdirs);
	mutex_unlock(&fs->lock);
	if (err) {
		inode_put(vi);
		return ERR_PTR(err);
	}
	vi->nlink = 2 + subdirs;
	return icache_insert(fs, vi, take_ptr(ei));
}
