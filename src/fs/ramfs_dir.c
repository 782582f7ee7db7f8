/*
 * ramfs directories: entries in a list, looked up by name. One sleeping
 * reader-writer lock per super block (sb->ns_lock, ferrite/rwlock.h) guards
 * every directory's entries, parent pointers and nlink counts, so rename
 * across directories needs no lock ordering. Lookups and readdir share it;
 * changes take it exclusively and may allocate while holding it. Inodes
 * dropped by unlink/rename are put after the lock.
 */
#include <ferrite/vfs.h>
#include <ferrite/rwlock.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <uapi/dirent.h>
#include "ramfs.h"

static struct ramfs_dirent *find(struct inode *dir, const char *name, size_t len)
{
	struct ramfs_dirent *d;

	BUG_ON(!rwlock_nr_readers(&dir->sb->ns_lock) &&
	       !rwlock_write_owned_by_current(&dir->sb->ns_lock));
	list_for_each_entry(d, &RAMFS(dir)->entries, node)
		if (d->len == len && !memcmp(d->name, name, len))
			return d;
	return NULL;
}

static struct ramfs_dirent *dirent_new(const char *name, size_t len)
{
	struct ramfs_dirent *d = kmalloc(sizeof(*d) + len + 1);

	if (!d)
		return NULL;
	memcpy(d->name, name, len);
	d->name[len] = '\0';
	d->len = len;
	d->inode = NULL;
	list_init(&d->node);
	return d;
}

/* Link d (holding its inode reference) into dir. Caller holds ns_lock. */
static void dirent_attach(struct inode *dir, struct ramfs_dirent *d)
{
	struct ramfs_node *rn = RAMFS(dir);

	d->cookie = rn->next_cookie++;
	list_add_tail(&d->node, &rn->entries);
	if (S_ISDIR(d->inode->mode)) {
		RAMFS(d->inode)->parent = dir;
		dir->nlink++;
	}
	dir->size += 1;
	inode_touch(dir);
}

/* Unlink d from dir; the caller puts d->inode and frees d after unlocking. */
static void dirent_detach(struct inode *dir, struct ramfs_dirent *d)
{
	list_del(&d->node);
	if (S_ISDIR(d->inode->mode)) {
		RAMFS(d->inode)->parent = NULL;
		dir->nlink--;
	}
	dir->size -= 1;
	inode_touch(dir);
}

static void dirent_drop(struct ramfs_dirent *d)
{
	if (d) {
		if (d->inode)
			inode_put(d->inode);
		kfree(d);
	}
}

static struct inode *ramfs_lookup(struct inode *dir, const char *name, size_t len)
{
	struct ramfs_dirent *d;
	struct inode *res;

	guard(rwlock_read)(&dir->sb->ns_lock);
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		res = RAMFS(dir)->parent;
		if (!res)
			res = dir == dir->sb->root ? dir : NULL;
		if (!res)
			return ERR_PTR(-ENOENT);
		inode_get(res);
		return res;
	}
	d = find(dir, name, len);
	if (!d)
		return ERR_PTR(-ENOENT);
	inode_get(d->inode);
	return d->inode;
}

/* Directories that were removed (rmdir) must not get new entries. */
static bool dir_dead(struct inode *dir)
{
	return dir->nlink == 0;
}

static struct inode *add_new(struct inode *dir, const char *name, size_t len, struct inode *ino)
{
	struct ramfs_dirent *d = dirent_new(name, len);

	inode_init_owner(ino, dir);
	if (!d) {
		inode_put(ino);
		return ERR_PTR(-ENOMEM);
	}
	d->inode = ino; /* the link's reference */
	rwlock_write_lock(&dir->sb->ns_lock);
	if (dir_dead(dir) || find(dir, name, len)) {
		int err = dir_dead(dir) ? -ENOENT : -EEXIST;
		rwlock_write_unlock(&dir->sb->ns_lock);
		dirent_drop(d);
		return ERR_PTR(err);
	}
	inode_get(ino); /* the caller's reference */
	dirent_attach(dir, d);
	rwlock_write_unlock(&dir->sb->ns_lock);
	return ino;
}

static struct inode *ramfs_create(struct inode *dir, const char *name, size_t len,
				  mode_t mode, dev_t rdev)
{
	struct inode *ino;

	if (S_ISFIFO(mode) && !vfs_fifo_ops)
		return ERR_PTR(-ENOSYS);
	if (S_ISBLK(mode) && !vfs_blkdev_ops)
		return ERR_PTR(-EPERM);
	if ((mode & S_IFMT) == 0)
		mode |= S_IFREG;
	ino = ramfs_new_inode(dir->sb, mode, rdev);
	if (!ino)
		return ERR_PTR(-ENOSPC);
	return add_new(dir, name, len, ino);
}

static struct inode *ramfs_symlink(struct inode *dir, const char *name, size_t len,
				   const char *target)
{
	size_t tlen = strnlen(target, PATH_MAX);
	struct inode *ino;

	if (tlen >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	ino = ramfs_new_inode(dir->sb, S_IFLNK | 0777, 0);
	if (!ino)
		return ERR_PTR(-ENOSPC);
	RAMFS(ino)->target = kstrndup(target, tlen);
	if (!RAMFS(ino)->target) {
		inode_put(ino);
		return ERR_PTR(-ENOMEM);
	}
	ino->size = (off_t)tlen;
	return add_new(dir, name, len, ino);
}

static int ramfs_link(struct inode *dir, const char *name, size_t len, struct inode *target)
{
	struct ramfs_dirent *d = dirent_new(name, len);

	if (!d)
		return -ENOMEM;
	rwlock_write_lock(&dir->sb->ns_lock);
	if (dir_dead(dir) || target->nlink == 0 || find(dir, name, len)) {
		int err = find(dir, name, len) ? -EEXIST : -ENOENT;
		rwlock_write_unlock(&dir->sb->ns_lock);
		kfree(d);
		return err;
	}
	inode_get(target);
	d->inode = target;
	target->nlink++;
	target->ctime = vfs_now();
	dirent_attach(dir, d);
	rwlock_write_unlock(&dir->sb->ns_lock);
	return 0;
}

static int ramfs_unlink(struct inode *dir, const char *name, size_t len)
{
	struct ramfs_dirent *d;

	rwlock_write_lock(&dir->sb->ns_lock);
	d = find(dir, name, len);
	if (!d || S_ISDIR(d->inode->mode)) {
		rwlock_write_unlock(&dir->sb->ns_lock);
		return d ? -EISDIR : -ENOENT;
	}
	dirent_detach(dir, d);
	d->inode->nlink--;
	d->inode->ctime = vfs_now();
	rwlock_write_unlock(&dir->sb->ns_lock);
	dirent_drop(d);
	return 0;
}

static int ramfs_rmdir(struct inode *dir, const char *name, size_t len)
{
	struct ramfs_dirent *d;

	rwlock_write_lock(&dir->sb->ns_lock);
	d = find(dir, name, len);
	if (!d || !S_ISDIR(d->inode->mode) || !list_empty(&RAMFS(d->inode)->entries)) {
		int err = !d ? -ENOENT : !S_ISDIR(d->inode->mode) ? -ENOTDIR : -ENOTEMPTY;
		rwlock_write_unlock(&dir->sb->ns_lock);
		return err;
	}
	dirent_detach(dir, d);
	d->inode->nlink = 0;
	rwlock_write_unlock(&dir->sb->ns_lock);
	dirent_drop(d);
	return 0;
}

/* True when dir is anc or lies below it. Caller holds ns_lock. */
static bool is_descendant(struct inode *dir, struct inode *anc)
{
	for (struct inode *p = dir; p; p = RAMFS(p)->parent)
		if (p == anc)
			return true;
	return false;
}

static int ramfs_rename(struct inode *odir, const char *oname, size_t olen,
			struct inode *ndir, const char *nname, size_t nlen, unsigned flags)
{
	struct super_block *sb = odir->sb;
	struct ramfs_dirent *od, *nd, *moved = dirent_new(nname, nlen), *victim = NULL;
	int err = 0;

	if (!moved)
		return -ENOMEM;
	rwlock_write_lock(&sb->ns_lock);
	od = find(odir, oname, olen);
	nd = dir_dead(ndir) ? NULL : find(ndir, nname, nlen);
	if (!od) {
		err = -ENOENT;
	} else if (dir_dead(ndir)) {
		err = -ENOENT;
	} else if ((flags & RENAME_TRAILING_SLASH) && !S_ISDIR(od->inode->mode)) {
		err = -ENOTDIR;
	} else if (nd && nd->inode == od->inode) {
		err = 0; /* same file: nothing to do */
	} else if (flags & RENAME_EXCHANGE) {
		if (!nd) {
			err = -ENOENT;
		} else if ((S_ISDIR(od->inode->mode) && is_descendant(ndir, od->inode)) ||
			   (S_ISDIR(nd->inode->mode) && is_descendant(odir, nd->inode))) {
			err = -EINVAL;
		} else {
			struct inode *a = od->inode, *b = nd->inode;
			dirent_detach(odir, od);
			dirent_detach(ndir, nd);
			od->inode = b;
			nd->inode = a;
			dirent_attach(odir, od);
			dirent_attach(ndir, nd);
		}
	} else if (nd && (flags & RENAME_NOREPLACE)) {
		err = -EEXIST;
	} else if (S_ISDIR(od->inode->mode) && is_descendant(ndir, od->inode)) {
		err = -EINVAL;
	} else if (nd && S_ISDIR(od->inode->mode) && !S_ISDIR(nd->inode->mode)) {
		err = -ENOTDIR;
	} else if (nd && !S_ISDIR(od->inode->mode) && S_ISDIR(nd->inode->mode)) {
		err = -EISDIR;
	} else if (nd && S_ISDIR(nd->inode->mode) && !list_empty(&RAMFS(nd->inode)->entries)) {
		err = -ENOTEMPTY;
	} else {
		if (nd) {
			dirent_detach(ndir, nd);
			nd->inode->nlink = S_ISDIR(nd->inode->mode) ? 0 : nd->inode->nlink - 1;
			victim = nd;
		}
		dirent_detach(odir, od);
		moved->inode = od->inode;
		od->inode = NULL;
		moved->inode->ctime = vfs_now();
		dirent_attach(ndir, moved);
		moved = od; /* the old entry is freed below */
	}
	rwlock_write_unlock(&sb->ns_lock);
	dirent_drop(victim);
	dirent_drop(moved);
	return err;
}

static unsigned mode_to_dtype(mode_t m)
{
	return (m & S_IFMT) >> 12;
}

static int ramfs_iterate(struct inode *dir, struct dir_context *ctx)
{
	struct ramfs_node *rn = RAMFS(dir);
	struct ramfs_dirent *d;

	guard(rwlock_read)(&dir->sb->ns_lock);
	if (ctx->pos == 0) {
		if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		struct inode *p = rn->parent ? rn->parent : dir;
		if (!ctx->emit(ctx, "..", 2, p->ino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	list_for_each_entry(d, &rn->entries, node) {
		if (d->cookie < ctx->pos)
			continue;
		if (!ctx->emit(ctx, d->name, d->len, d->inode->ino, mode_to_dtype(d->inode->mode)))
			return 0;
		ctx->pos = d->cookie + 1;
	}
	return 0;
}

const struct inode_ops ramfs_dir_iops = {
	.lookup = ramfs_lookup,
	.create = ramfs_create,
	.symlink = ramfs_symlink,
	.link = ramfs_link,
	.unlink = ramfs_unlink,
	.rmdir = ramfs_rmdir,
	.rename = ramfs_rename,
	.iterate = ramfs_iterate,
};

const struct file_ops ramfs_dir_fops = { 0 };
