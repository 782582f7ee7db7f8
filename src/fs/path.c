/*
 * Path resolution: walk components from the root, the cwd or a dirfd,
 * handling ".", "..", symlinks (at most SYMLOOP_MAX followed, nested at
 * most 8 deep, else -ELOOP), trailing slashes, name length limits and
 * search (x) permission on every directory looked in.
 * No locks of its own: each step asks the file system for a new reference.
 * An absolute path, and ".." at the top, stay below the process's root
 * (chroot(2), fs_root_get), taken once per lookup.
 *
 * openat2's resolve flags (LOOKUP_RESOLVE) hold through every symlink
 * followed: LOOKUP_IN_ROOT makes the dirfd the lookup's root (absolute
 * paths and symlinks start there, ".." stops there); LOOKUP_BENEATH
 * refuses both with EXDEV; LOOKUP_NO_XDEV refuses any step into another
 * file system (a mount, ".." out of one, a symlink's jump) with EXDEV;
 * LOOKUP_NO_SYMLINKS and LOOKUP_NO_MAGICLINKS refuse to follow with ELOOP,
 * and a scoped lookup never follows a magic link (EXDEV), as Linux's
 * nd_jump_link.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "fs_internal.h"

#define SYMLINK_NEST_MAX 8

struct inode *vfs_root;

static struct inode *walk(struct inode *root, struct inode *start, const char *path,
			  const char *end, unsigned flags, int nest, int *links);

/* Return: new reference to the child name of dir, "." and ".." included;
 * ".." of root is root (LOOKUP_BENEATH: EXDEV). */
static struct inode *lookup_one(struct inode *root, struct inode *dir, const char *name,
				size_t len, unsigned flags)
{
	if (!S_ISDIR(dir->mode))
		return ERR_PTR(-ENOTDIR);
	if (len == 1 && name[0] == '.') {
		inode_get(dir);
		return dir;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.' && (flags & LOOKUP_BENEATH) && dir == root)
		return ERR_PTR(-EXDEV);
	if (len == 2 && name[0] == '.' && name[1] == '.' && (dir == vfs_root || dir == root)) {
		inode_get(dir);
		return dir;
	}
	if (len == 2 && name[0] == '.' && name[1] == '.') {
		/* ".." of a mounted root is ".." of the directory it covers */
		__free(inode_put) struct inode *covered = vfs_mount_covered(dir);
		if (covered && (flags & LOOKUP_NO_XDEV))
			return ERR_PTR(-EXDEV);
		if (covered)
			return lookup_one(root, covered, name, len, flags);
	}
	if (!dir->iops || !dir->iops->lookup)
		return ERR_PTR(-ENOTDIR);
	struct inode *child = dir->iops->lookup(dir, name, len);
	return IS_ERR(child) ? child : vfs_mount_cross(child);
}

/* Follow the symlink link found in dir. Return: new reference. */
static struct inode *follow(struct inode *root, struct inode *dir, struct inode *link,
			    unsigned flags, int nest, int *links)
{
	ssize_t n;

	if (flags & LOOKUP_NO_SYMLINKS)
		return ERR_PTR(-ELOOP);
	if (++*links > SYMLOOP_MAX || nest >= SYMLINK_NEST_MAX)
		return ERR_PTR(-ELOOP);
	if (link->iops && link->iops->get_link) {
		/* A magic link jumps anywhere (Linux's nd_jump_link). */
		if (flags & LOOKUP_NO_MAGICLINKS)
			return ERR_PTR(-ELOOP);
		if (flags & LOOKUP_SCOPED)
			return ERR_PTR(-EXDEV);
		struct inode *res = link->iops->get_link(link);
		return IS_ERR(res) ? res : vfs_mount_cross(res);
	}
	if (!link->iops || !link->iops->readlink)
		return ERR_PTR(-EINVAL);
	__free(kfree) char *target = kmalloc(PATH_MAX);
	if (!target)
		return ERR_PTR(-ENOMEM);
	n = link->iops->readlink(link, target, PATH_MAX - 1);
	if (n < 0)
		return ERR_PTR(n);
	if (n == 0)
		return ERR_PTR(-ENOENT);
	target[n] = '\0';
	return walk(root, dir, target, target + n, LOOKUP_FOLLOW | (flags & LOOKUP_RESOLVE), nest + 1,
		    links);
}

static struct inode *walk(struct inode *root, struct inode *start, const char *path,
			  const char *end, unsigned flags, int nest, int *links)
{
	const char *p = path;
	bool absolute = p < end && *p == '/';
	struct inode *cur = absolute ? root : start;

	if (p == end && !(flags & LOOKUP_EMPTY))
		return ERR_PTR(-ENOENT);
	if (absolute && (flags & LOOKUP_BENEATH))
		return ERR_PTR(-EXDEV); /* an absolute path or symlink */
	if (absolute && nest && (flags & LOOKUP_NO_XDEV) && root->sb != start->sb)
		return ERR_PTR(-EXDEV); /* a symlink's jump to another file system */
	inode_get(cur);
	for (;;) {
		const char *name, *q;
		size_t len;
		bool last, trailing;
		struct inode *next;

		while (p < end && *p == '/')
			p++;
		if (p == end)
			break;
		name = p;
		while (p < end && *p != '/')
			p++;
		len = (size_t)(p - name);
		q = p;
		while (q < end && *q == '/')
			q++;
		last = q == end;
		trailing = last && q != p;
		if (len > NAME_MAX) {
			inode_put(cur);
			return ERR_PTR(-ENAMETOOLONG);
		}
		if (S_ISDIR(cur->mode)) { /* search permission on every directory */
			int err = inode_permission(cur, MAY_EXEC);
			if (err) {
				inode_put(cur);
				return ERR_PTR(err);
			}
		}
		next = lookup_one(root, cur, name, len, flags);
		if (IS_ERR(next)) {
			inode_put(cur);
			return next;
		}
		if (S_ISLNK(next->mode) && (!last || trailing || (flags & LOOKUP_FOLLOW))) {
			struct inode *res = follow(root, cur, next, flags, nest, links);
			inode_put(next);
			if (IS_ERR(res)) {
				inode_put(cur);
				return res;
			}
			next = res;
		}
		if ((flags & LOOKUP_NO_XDEV) && next->sb != cur->sb) {
			inode_put(next);
			inode_put(cur);
			return ERR_PTR(-EXDEV); /* a mount point crossed */
		}
		inode_put(cur);
		cur = next;
	}
	if ((flags & LOOKUP_DIRECTORY) || (end > path && end[-1] == '/')) {
		if (!S_ISDIR(cur->mode)) {
			inode_put(cur);
			return ERR_PTR(-ENOTDIR);
		}
	}
	return cur;
}

struct inode *vfs_lookup_from(struct inode *base, const char *path, unsigned flags)
{
	int links = 0;
	size_t len = strnlen(path, PATH_MAX);

	if (len >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	__free(inode_put) struct inode *root = fs_root_get();
	return walk(root, base ? base : root, path, path + len, flags, 0, &links);
}

/* Return: new reference to the directory a *at() call starts from (a
 * scoped lookup: the dirfd's also for an absolute path). */
static struct inode *dirfd_inode(int dirfd, const char *path, bool empty_ok, unsigned flags)
{
	if (path[0] == '/' && !(flags & LOOKUP_SCOPED))
		return fs_root_get();
	if (dirfd == AT_FDCWD)
		return fs_cwd_get();
	__free(file_put) struct file *f = fd_get_raw(dirfd);
	if (!f)
		return ERR_PTR(-EBADF);
	if (!f->inode)
		return ERR_PTR(path[0] ? -ENOTDIR : -EBADF);
	if (!S_ISDIR(f->inode->mode) && !(empty_ok && !path[0]))
		return ERR_PTR(-ENOTDIR);
	inode_get(f->inode);
	return f->inode;
}

/* Return: new reference to the root of a lookup from base: base itself
 * for a scoped one, else the process's root. */
static struct inode *lookup_root(struct inode *base, unsigned flags)
{
	if (flags & LOOKUP_SCOPED) {
		inode_get(base);
		return base;
	}
	return fs_root_get();
}

struct inode *vfs_lookup_at(int dirfd, const char *path, unsigned flags)
{
	if (!path[0] && !(flags & LOOKUP_EMPTY))
		return ERR_PTR(-ENOENT);
	__free(inode_put) struct inode *base =
		dirfd_inode(dirfd, path, flags & LOOKUP_EMPTY, flags);
	if (IS_ERR(base))
		return take_ptr(base);
	if (!(flags & LOOKUP_SCOPED))
		return vfs_lookup_from(base, path, flags);
	int links = 0;
	size_t len = strnlen(path, PATH_MAX);
	if (len >= PATH_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	return walk(base, base, path, path + len, flags, 0, &links);
}

int vfs_lookup_parent(int dirfd, const char *path, struct path_parent *pp)
{
	return vfs_lookup_parent_flags(dirfd, path, pp, 0);
}

int vfs_lookup_parent_flags(int dirfd, const char *path, struct path_parent *pp, unsigned flags)
{
	size_t len = strnlen(path, PATH_MAX);
	const char *end = path + len, *name;
	int links = 0;

	pp->dir = NULL;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	if (!len)
		return -ENOENT;
	pp->trailing_slash = false;
	while (end > path && end[-1] == '/') {
		end--;
		pp->trailing_slash = true;
	}
	name = end;
	while (name > path && name[-1] != '/')
		name--;
	pp->name = name;
	pp->len = (size_t)(end - name);
	if (pp->len > NAME_MAX)
		return -ENAMETOOLONG;
	__free(inode_put) struct inode *base = dirfd_inode(dirfd, path, false, flags);
	if (IS_ERR(base))
		return (int)PTR_ERR(base);
	if (path[0] == '/' && (flags & LOOKUP_BENEATH))
		return -EXDEV;
	struct inode *dir;
	if (name == path) {
		inode_get(base);
		dir = base;
	} else {
		__free(inode_put) struct inode *root = lookup_root(base, flags);
		dir = walk(root, base, path, name,
			   LOOKUP_FOLLOW | LOOKUP_DIRECTORY | (flags & LOOKUP_RESOLVE), 0, &links);
		if (IS_ERR(dir))
			return (int)PTR_ERR(dir);
	}
	if (!S_ISDIR(dir->mode)) {
		inode_put(dir);
		return -ENOTDIR;
	}
	pp->dir = dir;
	return 0;
}

void path_parent_put(struct path_parent *pp)
{
	if (pp->dir)
		inode_put(pp->dir);
	pp->dir = NULL;
}
