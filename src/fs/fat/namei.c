/*
 * FAT name space: create (regular files), mkdir (a zeroed cluster with
 * "." and ".."), unlink, rmdir, rename (across directories too, with the
 * moved directory's ".." fixed and the link counts moved). What FAT cannot
 * store gives Linux's vfat errors: mknod of devices, FIFOs and sockets,
 * symlink and link are EPERM (link has no op: the VFS says so).
 * RENAME_EXCHANGE swaps two entries' bodies. A file unlinked while open keeps its clusters until its last
 * put. Each operation holds fs->lock throughout, flushes the metadata it
 * changed before dropping it, and puts inodes only after.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "fat.h"

/* A short entry for a new file or directory, times now. */
static void entry_template(uint8_t *raw, uint8_t attr, uint32_t start, struct timespec64 now, unsigned bits)
{
	uint16_t t, d;
	uint8_t cs;

	memset(raw, 0, DIR_ENTRY_SIZE);
	memset(raw, ' ', 11);
	raw[DE_ATTR] = attr;
	fat_time_from_unix(now, &t, &d, &cs);
	raw[DE_CRT_TIME_TENTH] = cs;
	put_le16(raw + DE_CRT_TIME, t);
	put_le16(raw + DE_CRT_DATE, d);
	put_le16(raw + DE_LST_ACC_DATE, d);
	put_le16(raw + DE_WRT_TIME, t);
	put_le16(raw + DE_WRT_DATE, d);
	put_le16(raw + DE_FST_CLUS_LO, (uint16_t)start);
	put_le16(raw + DE_FST_CLUS_HI, bits == 32 ? (uint16_t)(start >> 16) : 0);
}

/* The cluster ".." names for a child of dir (0 for the root). */
static uint32_t dotdot_cluster(struct fat_inode_info *dir)
{
	return dir->is_root ? 0 : dir->start;
}

static void dir_touch(struct inode *dir)
{
	fat_touch(dir);
	fat_write_inode(dir);
}

/* Make the first cluster of a new directory: "." and "..". */
static int make_dir_cluster(struct fat_fs *fs, struct fat_inode_info *parent, struct timespec64 now,
			    uint32_t *out)
{
	uint32_t c;
	int err = fat_alloc(fs, 0, true, &c);

	if (err)
		return err;
	struct buffer *b = fat_bread(fs, fat_cluster_sector(fs, c));
	if (IS_ERR(b)) {
		fat_free_chain(fs, c);
		return (int)PTR_ERR(b);
	}
	uint8_t *p = b->data;
	entry_template(p, ATTR_DIR, c, now, fs->bits);
	p[0] = '.';
	entry_template(p + DIR_ENTRY_SIZE, ATTR_DIR, dotdot_cluster(parent), now, fs->bits);
	p[DIR_ENTRY_SIZE] = '.';
	p[DIR_ENTRY_SIZE + 1] = '.';
	err = fat_mark_dirty(fs, b, false);
	brelse(b);
	if (err) {
		fat_free_chain(fs, c);
		return err;
	}
	*out = c;
	return 0;
}

static bool dir_dead(struct inode *dir)
{
	return FAT_I(dir)->unlinked;
}

static struct inode *fat_create(struct inode *dir, const char *name, size_t len, mode_t mode, dev_t rdev)
{
	struct fat_inode_info *dei = FAT_I(dir);
	struct fat_fs *fs = dei->fs;
	bool is_dir = S_ISDIR(mode);
	struct fat_slot s;
	uint8_t tmpl[DIR_ENTRY_SIZE];
	uint32_t c = 0;
	int err;

	if ((mode & S_IFMT) && !S_ISREG(mode) && !is_dir)
		return ERR_PTR(-EPERM); /* no device nodes, FIFOs or sockets on FAT */
	if (fs->readonly)
		return ERR_PTR(-EROFS);
	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	struct timespec64 now = vfs_now();
	mutex_lock(&fs->lock);
	if (dir_dead(dir)) {
		err = -ENOENT;
		goto out;
	}
	err = fat_find(dir, name, len, &s);
	if (err != -ENOENT) {
		if (!err)
			err = -EEXIST;
		goto out;
	}
	if (is_dir) {
		err = make_dir_cluster(fs, dei, now, &c);
		if (err)
			goto out;
	}
	entry_template(tmpl, is_dir ? ATTR_DIR : ATTR_ARCH, c, now, fs->bits);
	err = fat_add_entry(dir, name, len, tmpl, &s);
	if (err) {
		if (c)
			fat_free_chain(fs, c);
		goto out;
	}
	if (is_dir)
		dir->nlink++;
	dir_touch(dir);
	struct inode *ino = fat_iget(fs, s.i_pos, s.raw, dir);
	fat_flush(fs);
	mutex_unlock(&fs->lock);
	return ino;
out:
	fat_flush(fs);
	mutex_unlock(&fs->lock);
	return ERR_PTR(err);
}

/* The entry s of dir goes away; its inode (if cached, returned with a
 * reference for the caller to put after unlocking) is marked unlinked,
 * else its clusters are freed now. */
static int drop_entry(struct inode *dir, const struct fat_slot *s, struct inode **cached)
{
	struct fat_fs *fs = FAT_I(dir)->fs;
	uint32_t start = get_le16(s->raw + DE_FST_CLUS_LO) |
			 (fs->bits == 32 ? (uint32_t)get_le16(s->raw + DE_FST_CLUS_HI) << 16 : 0);
	struct inode *ino = fat_icache_find(fs, s->i_pos);
	int err = fat_remove_entry(dir, s);

	if (err) {
		*cached = ino;
		return err;
	}
	if (ino) {
		FAT_I(ino)->unlinked = true;
		ino->nlink = 0;
		spin_lock(&ino->lock);
		ino->ctime = fat_trunc_mtime(vfs_now());
		spin_unlock(&ino->lock);
	} else if (start && fat_cluster_valid(fs, start)) {
		err = fat_free_chain(fs, start);
	}
	*cached = ino;
	return err;
}

static int fat_unlink(struct inode *dir, const char *name, size_t len)
{
	struct fat_fs *fs = FAT_I(dir)->fs;
	struct inode *victim = NULL;
	struct fat_slot s;
	int err;

	if (fs->readonly)
		return -EROFS;
	mutex_lock(&fs->lock);
	err = fat_find(dir, name, len, &s);
	if (!err && (s.raw[DE_ATTR] & ATTR_DIR))
		err = -EISDIR;
	if (!err)
		err = drop_entry(dir, &s, &victim);
	if (!err)
		dir_touch(dir);
	int e2 = fat_flush(fs);
	mutex_unlock(&fs->lock);
	if (victim)
		inode_put(victim);
	return err ? err : e2;
}

static int fat_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct fat_fs *fs = FAT_I(dir)->fs;
	struct inode *child = NULL, *victim = NULL;
	struct fat_slot s;
	int err;

	if (fs->readonly)
		return -EROFS;
	mutex_lock(&fs->lock);
	err = fat_find(dir, name, len, &s);
	if (!err && !(s.raw[DE_ATTR] & ATTR_DIR))
		err = -ENOTDIR;
	if (!err) {
		child = fat_iget(fs, s.i_pos, s.raw, dir);
		if (IS_ERR(child)) {
			err = (int)PTR_ERR(child);
			child = NULL;
		}
	}
	if (!err)
		err = fat_dir_empty(child);
	if (!err)
		err = drop_entry(dir, &s, &victim);
	if (!err) {
		dir->nlink--;
		dir_touch(dir);
	}
	int e2 = fat_flush(fs);
	mutex_unlock(&fs->lock);
	if (victim)
		inode_put(victim);
	if (child)
		inode_put(child);
	return err ? err : e2;
}

/* Is dir the directory anc or below it? (parent references, fs->lock) */
static bool is_descendant(struct inode *dir, struct inode *anc)
{
	for (struct inode *p = dir; p; p = FAT_I(p)->parent)
		if (p == anc)
			return true;
	return false;
}

/* Point the ".." entry of directory ino at its new parent. */
static int fix_dotdot(struct fat_fs *fs, struct inode *ino, struct inode *ndir)
{
	struct fat_inode_info *ei = FAT_I(ino);
	uint64_t pos;
	uint8_t raw[DIR_ENTRY_SIZE];
	int err = fat_dir_slot_pos(ei, 1, &pos);

	if (err)
		return err == -ENOENT ? fat_corrupt(fs, "directory without \"..\"") : err;
	err = fat_entry_read(fs, pos, raw);
	if (err)
		return err;
	if (memcmp(raw, "..         ", 11))
		return fat_corrupt(fs, "directory's second entry is not \"..\"");
	uint32_t c = dotdot_cluster(FAT_I(ndir));
	put_le16(raw + DE_FST_CLUS_LO, (uint16_t)c);
	put_le16(raw + DE_FST_CLUS_HI, fs->bits == 32 ? (uint16_t)(c >> 16) : 0);
	return fat_entry_write(fs, pos, raw);
}

/* The inode of entry s in dir for a rename: directories always (their
 * parent link moves), files only when cached. NULL or a new reference. */
static struct inode *rename_inode(struct fat_fs *fs, struct inode *dir, const struct fat_slot *s)
{
	if (s->raw[DE_ATTR] & ATTR_DIR)
		return fat_iget(fs, s->i_pos, s->raw, dir);
	return fat_icache_find(fs, s->i_pos);
}

/* Directory ino now lives in ndir: its ".." and parent reference follow;
 * the old parent is returned for the caller to put after unlocking. */
static int reparent(struct fat_fs *fs, struct inode *ino, struct inode *odir, struct inode *ndir,
		    struct inode **old_parent)
{
	int err = fix_dotdot(fs, ino, ndir);

	*old_parent = FAT_I(ino)->parent;
	inode_get(ndir);
	FAT_I(ino)->parent = ndir;
	odir->nlink--;
	ndir->nlink++;
	return err;
}

/*
 * RENAME_EXCHANGE (Linux's vfat has it since 6.0): the two short entries
 * swap everything but their names (attributes, times, first cluster,
 * size), so each name now reaches the other's data; cached inodes follow
 * their data to the other position, moved directories get their ".."
 * and link counts fixed. fs->lock held; *put collects references to drop.
 */
static int fat_exchange(struct fat_fs *fs, struct inode *odir, struct fat_slot *os, struct inode *ndir,
			struct fat_slot *ns, struct inode **put /* [4] */)
{
	bool a_dir = os->raw[DE_ATTR] & ATTR_DIR, b_dir = ns->raw[DE_ATTR] & ATTR_DIR;
	struct inode *a = rename_inode(fs, odir, os), *b;
	int err;

	if (IS_ERR(a))
		return (int)PTR_ERR(a);
	put[0] = a;
	b = rename_inode(fs, ndir, ns);
	if (IS_ERR(b))
		return (int)PTR_ERR(b);
	put[1] = b;
	if ((a_dir && is_descendant(ndir, a)) || (b_dir && is_descendant(odir, b)))
		return -EINVAL;
	uint8_t ra[DIR_ENTRY_SIZE], rb[DIR_ENTRY_SIZE];
	memcpy(ra, ns->raw, DIR_ENTRY_SIZE); /* b's body under a's name */
	memcpy(ra, os->raw, 11);
	ra[DE_NTRES] = os->raw[DE_NTRES];
	memcpy(rb, os->raw, DIR_ENTRY_SIZE);
	memcpy(rb, ns->raw, 11);
	rb[DE_NTRES] = ns->raw[DE_NTRES];
	err = fat_entry_write(fs, os->i_pos, ra);
	if (!err)
		err = fat_entry_write(fs, ns->i_pos, rb);
	if (err)
		return err;
	if (a)
		fat_icache_rehash(FAT_I(a), ns->i_pos);
	if (b)
		fat_icache_rehash(FAT_I(b), os->i_pos);
	if (odir != ndir) {
		if (a_dir)
			err = reparent(fs, a, odir, ndir, &put[2]);
		if (b_dir && !err)
			err = reparent(fs, b, ndir, odir, &put[3]);
	}
	struct timespec64 now = fat_trunc_mtime(vfs_now());
	for (int i = 0; i < 2; i++)
		if (put[i]) {
			spin_lock(&put[i]->lock);
			put[i]->ctime = now;
			spin_unlock(&put[i]->lock);
		}
	dir_touch(odir);
	if (ndir != odir)
		dir_touch(ndir);
	return err;
}

static int fat_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
		      const char *nname, size_t nlen, unsigned flags)
{
	struct fat_fs *fs = FAT_I(odir)->fs;
	struct fat_slot os, ns, added;
	struct inode *moved = NULL, *victim = NULL, *target = NULL, *old_parent = NULL;
	bool has_new;
	int err;

	if (fs->readonly)
		return -EROFS;
	if (nlen > NAME_MAX)
		return -ENAMETOOLONG;
	mutex_lock(&fs->lock);
	err = fat_find(odir, oname, olen, &os);
	if (err)
		goto out;
	bool is_dir = os.raw[DE_ATTR] & ATTR_DIR;
	if ((flags & RENAME_TRAILING_SLASH) && !is_dir) {
		err = -ENOTDIR;
		goto out;
	}
	if (dir_dead(ndir)) {
		err = -ENOENT;
		goto out;
	}
	err = fat_find(ndir, nname, nlen, &ns);
	if (err && err != -ENOENT)
		goto out;
	has_new = !err;
	err = 0;
	bool same = has_new && ns.i_pos == os.i_pos;
	if (flags & RENAME_EXCHANGE) {
		struct inode *put[4] = { NULL };
		err = !has_new ? -ENOENT : same ? 0 : fat_exchange(fs, odir, &os, ndir, &ns, put);
		int e3 = fat_flush(fs);
		mutex_unlock(&fs->lock);
		for (int i = 0; i < 4; i++)
			if (!IS_ERR_OR_NULL(put[i]))
				inode_put(put[i]);
		return err ? err : e3;
	}
	if (same && olen == nlen && !memcmp(oname, nname, olen))
		goto out; /* the same name: nothing to do */
	if (has_new && !same && (flags & RENAME_NOREPLACE)) {
		err = -EEXIST;
		goto out;
	}
	if (is_dir) {
		moved = fat_iget(fs, os.i_pos, os.raw, odir);
		if (IS_ERR(moved)) {
			err = (int)PTR_ERR(moved);
			moved = NULL;
			goto out;
		}
		if (is_descendant(ndir, moved)) {
			err = -EINVAL;
			goto out;
		}
	} else {
		moved = fat_icache_find(fs, os.i_pos);
	}
	if (has_new && !same) {
		bool ndir_is = ns.raw[DE_ATTR] & ATTR_DIR;
		if (is_dir && !ndir_is) {
			err = -ENOTDIR;
			goto out;
		}
		if (!is_dir && ndir_is) {
			err = -EISDIR;
			goto out;
		}
		if (ndir_is) {
			target = fat_iget(fs, ns.i_pos, ns.raw, ndir);
			if (IS_ERR(target)) {
				err = (int)PTR_ERR(target);
				target = NULL;
				goto out;
			}
			err = fat_dir_empty(target);
			if (err)
				goto out;
		}
		err = drop_entry(ndir, &ns, &victim);
		if (err)
			goto out;
		if (ndir_is)
			ndir->nlink--;
	}
	if (same) {
		/* a new spelling of the same name: its short alias must be free first */
		err = fat_remove_entry(odir, &os);
		if (!err)
			err = fat_add_entry(ndir, nname, nlen, os.raw, &added);
		if (err)
			goto out;
	} else {
		err = fat_add_entry(ndir, nname, nlen, os.raw, &added);
		if (err)
			goto out;
		err = fat_remove_entry(odir, &os);
		if (err)
			goto out;
	}
	if (moved)
		fat_icache_rehash(FAT_I(moved), added.i_pos);
	if (is_dir && odir != ndir)
		err = reparent(fs, moved, odir, ndir, &old_parent);
	if (moved) {
		spin_lock(&moved->lock);
		moved->ctime = fat_trunc_mtime(vfs_now());
		spin_unlock(&moved->lock);
	}
	dir_touch(odir);
	if (ndir != odir)
		dir_touch(ndir);
out:;
	int e2 = fat_flush(fs);
	mutex_unlock(&fs->lock);
	if (moved)
		inode_put(moved);
	if (victim)
		inode_put(victim);
	if (target)
		inode_put(target);
	if (old_parent)
		inode_put(old_parent);
	return err ? err : e2;
}

/*
 * chmod, chown, utimensat as Linux's vfat: the owner cannot change (EPERM
 * unless to the mount's uid/gid); of a mode only the write bits can, all
 * that the mask allows or (files) none, which is the read-only attribute;
 * other changes are EPERM (Linux's fat_sanitize_mode_change), or ignored
 * with "quiet". Times are kept at FAT's resolution.
 */
int fat_setattr(struct inode *vi, const struct iattr *ia)
{
	struct fat_fs *fs = FAT_I(vi)->fs;
	const mode_t mask = S_ISDIR(vi->mode) ? fs->dmask : fs->fmask;
	/* "quiet": what FAT cannot hold is dropped without an error */
	const int refuse = fs->quiet ? 0 : -EPERM;

	if (fs->readonly)
		return -EROFS;
	if (((ia->valid & IATTR_UID) && ia->uid != (uid_t)-1 && ia->uid != vi->uid) ||
	    ((ia->valid & IATTR_GID) && ia->gid != (gid_t)-1 && ia->gid != vi->gid))
		return refuse;
	mode_t mode = vi->mode;
	if (ia->valid & IATTR_MODE) {
		mode_t perm = ia->mode & 0777 & ~mask;
		if ((perm & 0555) != (vi->mode & 0555))
			return refuse;
		/* the write bits: all of them, or (a file whose mask lets
		 * some through: the read-only attribute) none */
		bool can_ro = !S_ISDIR(vi->mode) && (0222 & ~mask);
		if ((perm & 0222) != (0222 & ~mask) && (!can_ro || (perm & 0222)))
			return refuse;
		mode = (vi->mode & S_IFMT) | perm;
	}
	struct timespec64 now = fat_trunc_mtime(vfs_now());
	guard(mutex)(&fs->lock);
	spin_lock(&vi->lock);
	vi->mode = mode;
	if (ia->valid & IATTR_ATIME)
		vi->atime = fat_trunc_atime(ia->atime);
	if (ia->valid & IATTR_MTIME)
		vi->mtime = fat_trunc_mtime(ia->mtime);
	vi->ctime = (ia->valid & IATTR_MTIME) ? vi->mtime : now;
	spin_unlock(&vi->lock);
	int err = fat_write_inode(vi);
	int e2 = fat_flush(fs);
	return err ? err : e2;
}

/* FAT stores no symbolic links (the VFS would say EROFS without the op). */
static struct inode *fat_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	return ERR_PTR(FAT_I(dir)->fs->readonly ? -EROFS : -EPERM);
}

const struct inode_ops fat_dir_iops = {
	.setattr = fat_setattr,
	.symlink = fat_symlink,
	.lookup = fat_lookup,
	.create = fat_create,
	.unlink = fat_unlink,
	.rmdir = fat_rmdir,
	.rename = fat_rename,
	.iterate = fat_iterate,
};
