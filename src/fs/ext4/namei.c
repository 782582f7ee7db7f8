/*
 * Name-space changes: create (files, directories, devices, fifos,
 * sockets), symlink (fast: the target in i_block; slow: one block), link,
 * unlink, rmdir (ENOTEMPTY), rename and renameat2's RENAME_NOREPLACE and
 * RENAME_EXCHANGE, with a moved directory's ".." and the link counts of
 * both parents (dir_nlink: a directory past 65000 links counts 1, as
 * Linux). Each operation is one journal handle.
 *
 * Locking: each entry point holds fs->lock alone for its whole work and
 * drops its inode references after releasing it (a last put may free the
 * inode, which takes fs->lock itself).
 */
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include "ext4.h"

#define EXT4_LINK_MAX 65000
#define NAMEI_CREDITS 24

static void nlink_inc(struct inode *dir)
{
	if (dir->nlink == 1)
		return; /* already "many" */
	dir->nlink++;
	if (dir->nlink >= EXT4_LINK_MAX)
		dir->nlink = 1;
}

static void nlink_dec(struct inode *dir)
{
	if (dir->nlink > 2)
		dir->nlink--;
}

static void touch_ctime(struct inode *vi)
{
	spin_lock(&vi->lock);
	vi->ctime = vfs_now();
	spin_unlock(&vi->lock);
}

static int check_dir(struct inode *dir)
{
	if (!ext4_writable(EXT4_I(dir)->fs))
		return -EROFS;
	if (dir->nlink == 0)
		return -ENOENT; /* removed while we looked it up */
	return 0;
}

static struct inode *create_locked(struct inode *dir, const char *name, size_t len, mode_t mode,
				   dev_t rdev, const char *target)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	int64_t found;
	int err;

	if ((err = check_dir(dir)))
		return ERR_PTR(err);
	if (len > EXT4_NAME_LEN)
		return ERR_PTR(-ENAMETOOLONG);
	found = ext4_find_entry(dir, name, len);
	if (found < 0)
		return ERR_PTR(found);
	if (found)
		return ERR_PTR(-EEXIST);
	if (S_ISDIR(mode) && dir->nlink >= EXT4_LINK_MAX - 1 &&
	    !(fs->ro_compat & EXT4_FEATURE_RO_COMPAT_DIR_NLINK))
		return ERR_PTR(-EMLINK);
	size_t tlen = target ? strlen(target) : 0;
	if (target && tlen >= fs->block_size)
		return ERR_PTR(-ENAMETOOLONG);

	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, NAMEI_CREDITS);
	if (IS_ERR(h))
		return ERR_CAST(h);
	struct inode *vi = ext4_new_inode(h, dir, mode, target);
	if (IS_ERR(vi))
		return vi;
	struct ext4_inode_info *ei = EXT4_I(vi);
	if (S_ISCHR(mode) || S_ISBLK(mode)) {
		unsigned ma = MAJOR(rdev), mi = MINOR(rdev);
		if (ma < 256 && mi < 256)
			ei->i_block[0] = (ma << 8) | mi;
		else
			ei->i_block[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
		vi->rdev = rdev;
	}
	if (S_ISDIR(mode))
		err = ext4_dir_init_block(h, vi, EXT4_I(dir)->ino);
	if (!err && target && tlen >= sizeof(ei->i_block)) {
		struct ext4_map m;
		bool fresh;
		err = ext4_map_create(h, vi, 0, 1, &m, &fresh);
		if (!err) {
			struct buffer *b = bread(fs->bd, m.pblk, fs->block_size);
			if (IS_ERR(b)) {
				err = (int)PTR_ERR(b);
			} else {
				if (!(err = ext4_journal_get_write_access(h, b))) {
					memset(b->data, 0, fs->block_size);
					memcpy(b->data, target, tlen);
					ext4_handle_dirty_metadata(h, b);
				}
				brelse(b);
			}
		}
		vi->size = (off_t)tlen;
	}
	if (!err)
		err = ext4_write_inode(h, vi);
	if (!err)
		err = ext4_add_entry(h, dir, name, len, ei->ino, mode);
	if (!err && S_ISDIR(mode)) {
		nlink_inc(dir);
		err = ext4_write_inode(h, dir);
	}
	if (err) {
		vi->nlink = 0; /* the last put frees it */
		ext4_write_inode(h, vi);
		ext4_journal_stop(take_ptr(h));
		rwlock_write_unlock(&fs->lock);
		inode_put(vi);
		rwlock_write_lock(&fs->lock);
		return ERR_PTR(err);
	}
	return vi;
}

struct inode *ext4_create(struct inode *dir, const char *name, size_t len, mode_t mode, dev_t rdev)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;

	guard(rwlock_write)(&fs->lock);
	return create_locked(dir, name, len, mode, rdev, NULL);
}

struct inode *ext4_symlink(struct inode *dir, const char *name, size_t len, const char *target)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;

	if (!*target)
		return ERR_PTR(-ENOENT);
	guard(rwlock_write)(&fs->lock);
	return create_locked(dir, name, len, S_IFLNK | 0777, 0, target);
}

int ext4_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	int64_t found;
	int err;

	if (target->sb != dir->sb)
		return -EXDEV;
	if (S_ISDIR(target->mode))
		return -EPERM;
	guard(rwlock_write)(&fs->lock);
	if ((err = check_dir(dir)))
		return err;
	if (target->nlink == 0)
		return -ENOENT;
	if (target->nlink >= EXT4_LINK_MAX)
		return -EMLINK;
	found = ext4_find_entry(dir, name, len);
	if (found)
		return found < 0 ? (int)found : -EEXIST;
	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, NAMEI_CREDITS);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	if ((err = ext4_add_entry(h, dir, name, len, EXT4_I(target)->ino, target->mode)))
		return err;
	target->nlink++;
	touch_ctime(target);
	return ext4_write_inode(h, target);
}

/* Remove name from dir; want_dir: rmdir. The removed inode is returned in
 * *victim (a reference the caller puts after unlocking). */
static int remove_locked(struct inode *dir, const char *name, size_t len, bool want_dir,
			 struct inode **victim)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	int err;

	if ((err = check_dir(dir)))
		return err;
	int64_t ino = ext4_find_entry(dir, name, len);
	if (ino <= 0)
		return ino ? (int)ino : -ENOENT;
	struct inode *vi = ext4_iget(fs, (uint32_t)ino);
	if (IS_ERR(vi))
		return (int)PTR_ERR(vi);
	*victim = vi;
	if (want_dir && !S_ISDIR(vi->mode))
		return -ENOTDIR;
	if (!want_dir && S_ISDIR(vi->mode))
		return -EISDIR;
	if (want_dir) {
		int empty = ext4_dir_is_empty(vi);
		if (empty <= 0)
			return empty ? empty : -ENOTEMPTY;
	}
	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, NAMEI_CREDITS);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	int64_t r = ext4_delete_entry(h, dir, name, len);
	if (r < 0)
		return (int)r;
	if (want_dir) {
		vi->nlink = 0;
		nlink_dec(dir);
		if ((err = ext4_write_inode(h, dir)))
			return err;
	} else if (vi->nlink > 0) {
		vi->nlink--;
	}
	if (vi->nlink == 0 && (err = ext4_orphan_add(h, vi)))
		return err;
	touch_ctime(vi);
	return ext4_write_inode(h, vi);
}

int ext4_unlink(struct inode *dir, const char *name, size_t len)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	struct inode *victim = NULL;
	int err;

	rwlock_write_lock(&fs->lock);
	err = remove_locked(dir, name, len, false, &victim);
	rwlock_write_unlock(&fs->lock);
	if (victim)
		inode_put(victim);
	return err;
}

int ext4_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct ext4_fs *fs = EXT4_I(dir)->fs;
	struct inode *victim = NULL;
	int err;

	rwlock_write_lock(&fs->lock);
	err = remove_locked(dir, name, len, true, &victim);
	rwlock_write_unlock(&fs->lock);
	if (victim)
		inode_put(victim);
	return err;
}

/* Is directory d (an inode number) anc or below it? Walks "..". */
static int is_descendant(struct ext4_fs *fs, struct inode *d, uint32_t anc)
{
	uint32_t cur = EXT4_I(d)->ino;

	for (int depth = 0; depth < 4096; depth++) {
		if (cur == anc)
			return 1;
		if (cur == EXT4_ROOT_INO)
			return 0;
		struct inode *vi = ext4_iget(fs, cur);
		if (IS_ERR(vi))
			return (int)PTR_ERR(vi);
		int64_t up = ext4_find_entry(vi, "..", 2);
		inode_put(vi); /* a directory with a name: never its last put */
		if (up <= 0)
			return up ? (int)up : ext4_corrupt(fs, "directory %u has no ..", cur);
		cur = (uint32_t)up;
	}
	return ext4_corrupt(fs, "directory loop above %u", EXT4_I(d)->ino);
}

/* A directory moved from odir to ndir: its ".." and the parents' links. */
static int reparent(struct ext4_handle *h, struct inode *d, struct inode *odir, struct inode *ndir)
{
	int err;

	if (odir == ndir)
		return 0;
	if ((err = ext4_set_entry(h, d, "..", 2, EXT4_I(ndir)->ino, S_IFDIR)))
		return err;
	nlink_dec(odir);
	nlink_inc(ndir);
	if ((err = ext4_write_inode(h, odir)))
		return err;
	return ext4_write_inode(h, ndir);
}

static int rename_locked(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
			 const char *nname, size_t nlen, unsigned flags, struct inode **ov_out,
			 struct inode **nv_out)
{
	struct ext4_fs *fs = EXT4_I(odir)->fs;
	int err;

	if ((err = check_dir(odir)) || (err = check_dir(ndir)))
		return err;
	if (nlen > EXT4_NAME_LEN)
		return -ENAMETOOLONG;
	int64_t oino = ext4_find_entry(odir, oname, olen);
	if (oino <= 0)
		return oino ? (int)oino : -ENOENT;
	int64_t nino = ext4_find_entry(ndir, nname, nlen);
	if (nino < 0)
		return (int)nino;
	struct inode *ov = ext4_iget(fs, (uint32_t)oino);
	if (IS_ERR(ov))
		return (int)PTR_ERR(ov);
	*ov_out = ov;
	if ((flags & RENAME_TRAILING_SLASH) && !S_ISDIR(ov->mode))
		return -ENOTDIR;
	if (nino == oino)
		return 0; /* the same file */
	if ((flags & RENAME_EXCHANGE) && !nino)
		return -ENOENT;
	if (nino && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	struct inode *nv = NULL;
	if (nino) {
		nv = ext4_iget(fs, (uint32_t)nino);
		if (IS_ERR(nv))
			return (int)PTR_ERR(nv);
		*nv_out = nv;
	}
	if (S_ISDIR(ov->mode) && (err = is_descendant(fs, ndir, EXT4_I(ov)->ino)))
		return err < 0 ? err : -EINVAL;
	if (flags & RENAME_EXCHANGE) {
		if (S_ISDIR(nv->mode) && (err = is_descendant(fs, odir, EXT4_I(nv)->ino)))
			return err < 0 ? err : -EINVAL;
	} else if (nv) {
		if (S_ISDIR(ov->mode) && !S_ISDIR(nv->mode))
			return -ENOTDIR;
		if (!S_ISDIR(ov->mode) && S_ISDIR(nv->mode))
			return -EISDIR;
		if (S_ISDIR(nv->mode)) {
			int empty = ext4_dir_is_empty(nv);
			if (empty <= 0)
				return empty ? empty : -ENOTEMPTY;
		}
	}
	if (!nv && S_ISDIR(ov->mode) && odir != ndir && ndir->nlink >= EXT4_LINK_MAX - 1 &&
	    !(fs->ro_compat & EXT4_FEATURE_RO_COMPAT_DIR_NLINK))
		return -EMLINK;

	__free(ext4_journal_stop) struct ext4_handle *h = ext4_journal_start(fs, 2 * NAMEI_CREDITS);
	if (IS_ERR(h))
		return (int)PTR_ERR(h);
	if (flags & RENAME_EXCHANGE) {
		if ((err = ext4_set_entry(h, odir, oname, olen, (uint32_t)nino, nv->mode)) ||
		    (err = ext4_set_entry(h, ndir, nname, nlen, (uint32_t)oino, ov->mode)))
			return err;
		if (S_ISDIR(ov->mode) && (err = reparent(h, ov, odir, ndir)))
			return err;
		if (S_ISDIR(nv->mode) && (err = reparent(h, nv, ndir, odir)))
			return err;
		touch_ctime(nv);
		if ((err = ext4_write_inode(h, nv)))
			return err;
	} else {
		if (nv) {
			if ((err = ext4_set_entry(h, ndir, nname, nlen, (uint32_t)oino, ov->mode)))
				return err;
			if (S_ISDIR(nv->mode)) {
				nv->nlink = 0;
				nlink_dec(ndir);
			} else if (nv->nlink) {
				nv->nlink--;
			}
			if (nv->nlink == 0 && (err = ext4_orphan_add(h, nv)))
				return err;
			touch_ctime(nv);
			if ((err = ext4_write_inode(h, nv)))
				return err;
		} else if ((err = ext4_add_entry(h, ndir, nname, nlen, (uint32_t)oino, ov->mode))) {
			return err;
		}
		int64_t r = ext4_delete_entry(h, odir, oname, olen);
		if (r < 0)
			return (int)r;
		if (S_ISDIR(ov->mode) && (err = reparent(h, ov, odir, ndir)))
			return err;
	}
	touch_ctime(ov);
	return ext4_write_inode(h, ov);
}

int ext4_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
		const char *nname, size_t nlen, unsigned flags)
{
	struct ext4_fs *fs = EXT4_I(odir)->fs;
	struct inode *ov = NULL, *nv = NULL;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_TRAILING_SLASH))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (ndir->sb != odir->sb)
		return -EXDEV;
	rwlock_write_lock(&fs->lock);
	err = rename_locked(odir, oname, olen, ndir, nname, nlen, flags, &ov, &nv);
	rwlock_write_unlock(&fs->lock);
	if (ov)
		inode_put(ov);
	if (nv)
		inode_put(nv);
	return err;
}
