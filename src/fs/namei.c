/*
 * Path-level operations behind open, mkdir, unlink, rename and friends:
 * resolve the parent, check the name and the caller's permission
 * (permission.c), call the file system's inode op. Locking is the file
 * system's (its ns_lock); here we only hold references, so a name checked
 * here may change before the op runs (the op itself reports what it finds).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/cred.h>
#include <ferrite/string.h>
#include "fs_internal.h"

static bool is_dot_or_dotdot(const char *n, size_t len)
{
	return (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.');
}

/* check: the caller's permission (not for a file open just created, nor
 * for the kernel's own opens). */
static struct file *open_inode(struct inode *ino, int flags, bool check)
{
	int acc = flags & O_ACCMODE;
	struct file *f;

	if (!(flags & O_PATH)) {
		if (S_ISDIR(ino->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
			return ERR_PTR(-EISDIR);
		if (S_ISREG(ino->mode) && inode_is_readonly(ino) &&
		    (acc != O_RDONLY || (flags & O_TRUNC)))
			return ERR_PTR(-EROFS);
		if (S_ISLNK(ino->mode))
			return ERR_PTR(-ELOOP);
		if (acc == 3)
			return ERR_PTR(-EINVAL);
		if (check) {
			int err = may_open(ino, flags);
			if (err)
				return ERR_PTR(err);
		}
		if (S_ISSOCK(ino->mode))
			return ERR_PTR(-ENXIO); /* sockets are reached with connect() */
	}
	f = file_alloc(ino, ino->fops, flags);
	if (IS_ERR(f) || (flags & O_PATH))
		return f;
	if (f->ops && f->ops->open) {
		int err = f->ops->open(ino, f);
		if (err) {
			/* open failed: do not call release for a half-open file */
			f->ops = NULL;
			file_put(f);
			return ERR_PTR(err);
		}
	}
	/* A file system without truncate (procfs's control files) ignores
	 * O_TRUNC, as Linux does: `echo c > /proc/sysrq-trigger` works. */
	if ((flags & O_TRUNC) && S_ISREG(ino->mode) && (f->mode & FMODE_WRITE) && ino->iops &&
	    ino->iops->truncate) {
		int err = vfs_truncate_inode(ino, 0);
		if (err) {
			file_put(f);
			return ERR_PTR(err);
		}
	}
	return f;
}

struct file *vfs_open_inode(struct inode *ino, int flags)
{
	return open_inode(ino, flags, false);
}

struct file *vfs_open_exec(const char *path)
{
	__free(inode_put) struct inode *ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW);
	if (IS_ERR(ino))
		return (struct file *)take_ptr(ino);
	if (!S_ISREG(ino->mode) || inode_permission(ino, MAY_EXEC))
		return ERR_PTR(-EACCES);
	return open_inode(ino, O_RDONLY, false); /* exec needs x, not r */
}

/* Remember the name f was opened by, for /proc/PID/fd (no walk: a
 * relative one keeps its starting directory). Best effort: without
 * memory the link shows no path. */
static void file_record_path(struct file *f, int dirfd, const char *path)
{
	if (path[0] != '/') {
		if (dirfd == AT_FDCWD) {
			f->path_base = fs_cwd_get();
		} else {
			struct file *d = fd_get_raw(dirfd);
			if (d) {
				inode_get(d->inode);
				f->path_base = d->inode;
				file_put(d);
			}
		}
		if (!f->path_base)
			return;
		while (path[0] == '.' && path[1] == '/')
			path += 2;
	}
	f->path = kstrndup(path, PATH_MAX);
}

/* O_CREAT: find or create the last component; *created tells which.
 * Return: new reference. */
static struct inode *open_create_once(int dirfd, const char *path, int flags, mode_t mode,
				      unsigned resolve, bool *created)
{
	struct path_parent pp;
	struct inode *ino;
	int err = vfs_lookup_parent_flags(dirfd, path, &pp, resolve);

	if (err)
		return ERR_PTR(err);
	if (pp.len == 0 || is_dot_or_dotdot(pp.name, pp.len)) {
		path_parent_put(&pp);
		return ERR_PTR(-EISDIR);
	}
	err = inode_permission(pp.dir, MAY_EXEC);
	if (err) {
		path_parent_put(&pp);
		return ERR_PTR(err);
	}
	ino = pp.dir->iops->lookup(pp.dir, pp.name, pp.len);
	if (!IS_ERR(ino)) {
		bool is_link = S_ISLNK(ino->mode);
		struct super_block *dir_sb = pp.dir->sb;
		path_parent_put(&pp);
		if (flags & O_EXCL) {
			inode_put(ino);
			return ERR_PTR(-EEXIST);
		}
		if (!is_link) {
			ino = vfs_mount_cross(ino); /* a bind on a file, a mount on a dir */
			if (!IS_ERR(ino) && (resolve & LOOKUP_NO_XDEV) && ino->sb != dir_sb) {
				inode_put(ino);
				return ERR_PTR(-EXDEV);
			}
			return ino;
		}
		inode_put(ino);
		if (flags & O_NOFOLLOW)
			return ERR_PTR(-ELOOP);
		return vfs_lookup_at(dirfd, path, LOOKUP_FOLLOW | resolve);
	}
	if (PTR_ERR(ino) != -ENOENT || pp.trailing_slash) {
		path_parent_put(&pp);
		return PTR_ERR(ino) == -ENOENT ? ERR_PTR(-EISDIR) : ino;
	}
	if (!pp.dir->iops->create || inode_is_readonly(pp.dir))
		ino = ERR_PTR(-EROFS);
	else if ((err = may_create(pp.dir)))
		ino = ERR_PTR(err);
	else
		ino = pp.dir->iops->create(pp.dir, pp.name, pp.len,
					   S_IFREG | (mode & ~fs_umask() & S_IALLUGO), 0);
	*created = !IS_ERR(ino);
	path_parent_put(&pp);
	return ino;
}

/* The lookup and the create are not one atomic step (no directory lock
 * spans them): when another task creates the name in between, the create
 * says EEXIST. Without O_EXCL that is not an error (Linux holds the
 * directory's lock across both): look again and open what is there. */
static struct inode *open_create(int dirfd, const char *path, int flags, mode_t mode,
				 unsigned resolve, bool *created)
{
	struct inode *ino;

	for (int tries = 0;; tries++) {
		ino = open_create_once(dirfd, path, flags, mode, resolve, created);
		if (PTR_ERR(ino) != -EEXIST || (flags & O_EXCL) || tries == 8)
			return ino;
	}
}

struct file *vfs_open_at(int dirfd, const char *path, int flags, mode_t mode)
{
	return vfs_open_at_resolve(dirfd, path, flags, mode, 0);
}

struct file *vfs_open_at_resolve(int dirfd, const char *path, int flags, mode_t mode,
				 unsigned resolve)
{
	struct inode *ino;
	bool created = false;

	if (flags & O_CREAT && !(flags & O_PATH)) {
		ino = open_create(dirfd, path, flags, mode, resolve, &created);
	} else {
		unsigned lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		ino = vfs_lookup_at(dirfd, path, lf | resolve);
	}
	if (IS_ERR(ino))
		return (struct file *)ino;
	__free(inode_put) struct inode *held = ino;
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode))
		return ERR_PTR(-ENOTDIR);
	if (S_ISLNK(ino->mode) && !(flags & O_PATH))
		return ERR_PTR(-ELOOP);
	struct file *f = open_inode(ino, flags, !created);
	if (!IS_ERR(f))
		file_record_path(f, dirfd, path);
	return f;
}

/* Adding pp's name: an existing name is EEXIST before any permission
 * problem (Linux's filename_create looks first). */
static int check_create(struct path_parent *pp)
{
	int err = may_create(pp->dir);

	if (err) {
		struct inode *old = pp->dir->iops->lookup(pp->dir, pp->name, pp->len);
		if (!IS_ERR(old)) {
			inode_put(old);
			return inode_permission(pp->dir, MAY_EXEC) ? err : -EEXIST;
		}
	}
	return err;
}

/* Removing pp's name: it must exist, then may_delete. */
static int check_delete(struct path_parent *pp)
{
	__free(inode_put) struct inode *victim = NULL;
	int err = inode_permission(pp->dir, MAY_EXEC);

	if (err)
		return err;
	victim = pp->dir->iops->lookup(pp->dir, pp->name, pp->len);
	if (IS_ERR(victim))
		return (int)PTR_ERR(victim);
	return may_delete(pp->dir, victim);
}

struct file *vfs_open(const char *path, int flags, mode_t mode)
{
	return vfs_open_at(AT_FDCWD, path, flags, mode);
}

int vfs_mknod_at(int dirfd, const char *path, mode_t mode, dev_t rdev)
{
	struct path_parent pp;
	struct inode *ino;
	int err = vfs_lookup_parent(dirfd, path, &pp);

	if (err)
		return err;
	if (pp.len == 0 || is_dot_or_dotdot(pp.name, pp.len))
		err = -EEXIST;
	else if (pp.trailing_slash && !S_ISDIR(mode))
		err = -ENOENT;
	else if (!pp.dir->iops->create || inode_is_readonly(pp.dir))
		err = -EROFS;
	else if ((err = check_create(&pp)))
		;
	else if ((S_ISCHR(mode) || S_ISBLK(mode)) && !cred_euid_root())
		err = -EPERM; /* CAP_MKNOD */
	if (!err) {
		mode_t perm = mode & ~fs_umask() & S_IALLUGO;
		ino = pp.dir->iops->create(pp.dir, pp.name, pp.len, (mode & S_IFMT) | perm, rdev);
		if (IS_ERR(ino))
			err = (int)PTR_ERR(ino);
		else
			inode_put(ino);
	}
	path_parent_put(&pp);
	return err;
}

int vfs_mkdir_at(int dirfd, const char *path, mode_t mode)
{
	return vfs_mknod_at(dirfd, path, S_IFDIR | (mode & S_IALLUGO), 0);
}

int vfs_unlink_at(int dirfd, const char *path)
{
	struct path_parent pp;
	int err = vfs_lookup_parent(dirfd, path, &pp);

	if (err)
		return err;
	if (pp.len == 0 || is_dot_or_dotdot(pp.name, pp.len)) {
		err = -EISDIR;
	} else if (pp.trailing_slash) {
		struct inode *ino = pp.dir->iops->lookup(pp.dir, pp.name, pp.len);
		if (IS_ERR(ino)) {
			err = (int)PTR_ERR(ino);
		} else {
			err = S_ISDIR(ino->mode) ? -EISDIR : -ENOTDIR;
			inode_put(ino);
		}
	} else if (!pp.dir->iops->unlink || inode_is_readonly(pp.dir)) {
		err = -EROFS;
	} else if (!(err = check_delete(&pp))) {
		err = pp.dir->iops->unlink(pp.dir, pp.name, pp.len);
	}
	path_parent_put(&pp);
	return err;
}

int vfs_rmdir_at(int dirfd, const char *path)
{
	struct path_parent pp;
	int err = vfs_lookup_parent(dirfd, path, &pp);

	if (err)
		return err;
	if (pp.len == 0)
		err = -EBUSY;
	else if (pp.len == 1 && pp.name[0] == '.')
		err = -EINVAL;
	else if (pp.len == 2 && pp.name[0] == '.' && pp.name[1] == '.')
		err = -ENOTEMPTY;
	else if (!pp.dir->iops->rmdir || inode_is_readonly(pp.dir))
		err = -EROFS;
	else if (!(err = check_delete(&pp)))
		err = pp.dir->iops->rmdir(pp.dir, pp.name, pp.len);
	path_parent_put(&pp);
	return err;
}

int vfs_symlink_at(const char *target, int dirfd, const char *path)
{
	struct path_parent pp;
	struct inode *ino;
	int err;

	if (!target[0])
		return -ENOENT;
	err = vfs_lookup_parent(dirfd, path, &pp);
	if (err)
		return err;
	if (pp.len == 0 || is_dot_or_dotdot(pp.name, pp.len) || pp.trailing_slash) {
		err = -EEXIST;
	} else if (!pp.dir->iops->symlink || inode_is_readonly(pp.dir)) {
		err = -EROFS;
	} else if (!(err = check_create(&pp))) {
		ino = pp.dir->iops->symlink(pp.dir, pp.name, pp.len, target);
		if (IS_ERR(ino))
			err = (int)PTR_ERR(ino);
		else
			inode_put(ino);
	}
	path_parent_put(&pp);
	return err;
}

int vfs_link_at(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)
{
	struct path_parent pp;
	unsigned lf = (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
	int err;

	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	__free(inode_put) struct inode *old = vfs_lookup_at(olddirfd, oldpath, lf);
	if (IS_ERR(old))
		return (int)PTR_ERR(old);
	if (S_ISDIR(old->mode))
		return -EPERM;
	err = vfs_lookup_parent(newdirfd, newpath, &pp);
	if (err)
		return err;
	if (pp.len == 0 || is_dot_or_dotdot(pp.name, pp.len) || pp.trailing_slash)
		err = -EEXIST;
	else if (pp.dir->sb != old->sb)
		err = -EXDEV;
	else if (inode_is_readonly(pp.dir))
		err = -EROFS;
	else if (!pp.dir->iops->link)
		err = -EPERM;
	else if (!(err = check_create(&pp)))
		err = pp.dir->iops->link(pp.dir, pp.name, pp.len, old);
	path_parent_put(&pp);
	return err;
}

/* rename's permission: remove the old name, add (or replace) the new one,
 * and a directory moving to another parent needs write on itself (its
 * ".." changes), as Linux's vfs_rename. */
static int check_rename(struct path_parent *op, struct path_parent *np, unsigned flags)
{
	int err = inode_permission(op->dir, MAY_EXEC);

	if (err || (err = inode_permission(np->dir, MAY_EXEC)))
		return err;
	__free(inode_put) struct inode *src = op->dir->iops->lookup(op->dir, op->name, op->len);
	if (IS_ERR(src))
		return (int)PTR_ERR(src);
	__free(inode_put) struct inode *dst = np->dir->iops->lookup(np->dir, np->name, np->len);
	if (IS_ERR(dst)) {
		if (PTR_ERR(dst) != -ENOENT)
			return (int)PTR_ERR(dst);
		dst = NULL;
	}
	if (src == dst)
		return 0; /* a no-op rename (Linux returns before checking) */
	err = may_delete(op->dir, src);
	if (!err)
		err = dst ? may_delete(np->dir, dst) : may_create(np->dir);
	if (!err && op->dir != np->dir) {
		if (S_ISDIR(src->mode))
			err = inode_permission(src, MAY_WRITE);
		if (!err && dst && S_ISDIR(dst->mode) && (flags & RENAME_EXCHANGE))
			err = inode_permission(dst, MAY_WRITE);
	}
	return err;
}

int vfs_rename_at(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags)
{
	struct path_parent op, np;
	int err;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	err = vfs_lookup_parent(olddirfd, oldpath, &op);
	if (err)
		return err;
	err = vfs_lookup_parent(newdirfd, newpath, &np);
	if (err) {
		path_parent_put(&op);
		return err;
	}
	if (op.len == 0 || np.len == 0)
		err = -EBUSY;
	else if (is_dot_or_dotdot(op.name, op.len) || is_dot_or_dotdot(np.name, np.len))
		err = -EINVAL;
	else if (op.dir->sb != np.dir->sb)
		err = -EXDEV;
	else if (!op.dir->iops->rename || inode_is_readonly(op.dir))
		err = -EROFS;
	else if (!(err = check_rename(&op, &np, flags)))
		err = op.dir->iops->rename(op.dir, op.name, op.len, np.dir, np.name, np.len,
					   flags | (op.trailing_slash || np.trailing_slash ? RENAME_TRAILING_SLASH : 0));
	path_parent_put(&np);
	path_parent_put(&op);
	return err;
}

ssize_t vfs_readlink_at(int dirfd, const char *path, char *buf, size_t size)
{
	__free(inode_put) struct inode *ino = vfs_lookup_at(dirfd, path, LOOKUP_EMPTY);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (!S_ISLNK(ino->mode) || !ino->iops || !ino->iops->readlink)
		return -EINVAL;
	return ino->iops->readlink(ino, buf, size);
}

int vfs_truncate_inode(struct inode *ino, off_t size)
{
	if (S_ISDIR(ino->mode))
		return -EISDIR;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (size < 0)
		return -EINVAL;
	if (inode_is_readonly(ino))
		return -EROFS;
	if (!ino->iops || !ino->iops->truncate)
		return -EPERM;
	return ino->iops->truncate(ino, size);
}
