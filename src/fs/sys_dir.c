/*
 * Directory and cwd syscalls: getdents64, getdents, getcwd, chdir, fchdir,
 * umask, and the sync family (ramfs has nothing to flush, so success is
 * truthful). Entries are gathered in a kernel buffer under the file
 * system's lock, then copied out with no lock held.
 */
#include <ferrite/jbd2.h>
#include <ferrite/vfs.h>
#include <ferrite/block.h>
#include <ferrite/buffer.h>
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include <ferrite/uaccess.h>
#include <uapi/dirent.h>
#include "fs_internal.h"

#define DIRENT_BUF_MAX 65536

struct dirent_fill {
	struct dir_context ctx;
	char *buf;
	size_t size, used;
	bool old_format; /* struct linux_dirent (x86_64 getdents) */
};

static bool fill_emit(struct dir_context *ctx, const char *name, size_t len, ino_t ino,
		      unsigned dtype)
{
	struct dirent_fill *df = container_of(ctx, struct dirent_fill, ctx);
	size_t hdr = df->old_format ? offsetof(struct linux_dirent, d_name)
				    : offsetof(struct linux_dirent64, d_name);
	/* old format: name, NUL, then d_type in the last byte */
	size_t reclen = ALIGN_UP(hdr + len + 1 + (df->old_format ? 1 : 0), (size_t)8);
	char *rec = df->buf + df->used;

	if (df->used + reclen > df->size)
		return false;
	memset(rec, 0, reclen);
	if (df->old_format) {
		struct linux_dirent *d = (struct linux_dirent *)rec;
		d->d_ino = ino;
		d->d_off = (unsigned long)ctx->pos + 1;
		d->d_reclen = (unsigned short)reclen;
		memcpy(d->d_name, name, len);
		rec[reclen - 1] = (char)dtype;
	} else {
		struct linux_dirent64 *d = (struct linux_dirent64 *)rec;
		d->d_ino = ino;
		d->d_off = ctx->pos + 1;
		d->d_reclen = (uint16_t)reclen;
		d->d_type = (uint8_t)dtype;
		memcpy(d->d_name, name, len);
	}
	df->used += reclen;
	return true;
}

static long do_getdents(int fd, void __user *ubuf, unsigned count, bool old)
{
	__free(file_put) struct file *f = fd_get(fd);
	struct dirent_fill df = { .ctx.emit = fill_emit, .old_format = old };
	int err;

	if (!f)
		return -EBADF;
	df.size = MIN((size_t)count, (size_t)DIRENT_BUF_MAX);
	__free(kfree) char *buf = kmalloc(df.size ? df.size : 1);
	if (!buf)
		return -ENOMEM;
	df.buf = buf;
	err = vfs_iterate(f, &df.ctx);
	if (err)
		return err;
	if (!df.used && count && f->inode->iops && f->inode->iops->iterate) {
		/* Either the end, or not even one entry fits. */
		struct dirent_fill probe = df;
		char tmp[NAME_MAX + 32];
		probe.buf = tmp;
		probe.size = sizeof(tmp);
		probe.used = 0;
		spin_lock(&f->lock);
		probe.ctx.pos = f->pos;
		spin_unlock(&f->lock);
		if (f->inode->iops->iterate(f->inode, &probe.ctx) == 0 && probe.used)
			return -EINVAL;
	}
	if (copy_to_user(ubuf, buf, df.used))
		return -EFAULT;
	return (long)df.used;
}

long sys_getdents64(int fd, void __user *ubuf, unsigned count)
{
	return do_getdents(fd, ubuf, count, false);
}

long sys_getdents(int fd, void __user *ubuf, unsigned count)
{
	return do_getdents(fd, ubuf, count, true);
}

/* Find the name of child (by inode number) in dir. */
struct name_find {
	struct dir_context ctx;
	ino_t ino;
	char name[NAME_MAX + 1];
	size_t len;
	bool found;
};

static bool find_emit(struct dir_context *ctx, const char *name, size_t len, ino_t ino,
		      unsigned dtype)
{
	struct name_find *nf = container_of(ctx, struct name_find, ctx);

	if (ino != nf->ino || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	memcpy(nf->name, name, len);
	nf->len = len;
	nf->found = true;
	return false;
}

/* Build the absolute path of dir into buf[size] from the end. Return the
 * start offset or -errno. */
long vfs_build_path(struct inode *dir, char *buf, size_t size)
{
	size_t pos = size - 1;
	struct inode *cur = dir;
	/* Named from the caller's root, as Linux's d_path. */
	__free(inode_put) struct inode *root = fs_root_get();

	buf[pos] = '\0';
	inode_get(cur);
	while (cur != vfs_root && cur != root) {
		struct inode *covered = vfs_mount_covered(cur);
		if (covered) { /* a mounted root is named by the directory it covers */
			inode_put(cur);
			cur = covered;
			continue;
		}
		struct name_find nf = { .ctx.emit = find_emit, .ino = cur->ino };
		struct inode *parent = cur->iops->lookup(cur, "..", 2);
		if (IS_ERR(parent)) {
			inode_put(cur);
			return PTR_ERR(parent); /* cwd was removed: -ENOENT */
		}
		parent->iops->iterate(parent, &nf.ctx);
		inode_put(cur);
		cur = parent;
		if (!nf.found) {
			inode_put(cur);
			return -ENOENT;
		}
		if (pos < nf.len + 1) {
			inode_put(cur);
			return -ENAMETOOLONG;
		}
		pos -= nf.len;
		memcpy(buf + pos, nf.name, nf.len);
		buf[--pos] = '/';
	}
	inode_put(cur);
	if (pos == size - 1)
		buf[--pos] = '/';
	return (long)pos;
}

/* path made absolute into out[size]: a relative one is joined to the
 * current directory's path. */
static int absolute_path(const char *path, char *out, size_t size)
{
	if (path[0] == '/') {
		if (strlen(path) >= size)
			return -ENAMETOOLONG;
		strlcpy(out, path, size);
		return 0;
	}
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	__free(inode_put) struct inode *cwd = fs_cwd_get();
	if (!buf)
		return -ENOMEM;
	long start = vfs_build_path(cwd, buf, PATH_MAX);
	if (start < 0)
		return (int)start;
	const char *dir = buf + start;
	bool root = !strcmp(dir, "/");
	if (strlen(dir) + strlen(path) + 2 > size)
		return -ENAMETOOLONG;
	ksnprintf(out, size, "%s/%s", root ? "" : dir, path);
	return 0;
}

/* path as an absolute path into out[size], its final symlinks followed
 * (so /proc/self/exe, /bin/sh -> busybox name the file itself); symlinks
 * of the directories on the way and ".." stay as written.
 * Return: 0, -ENAMETOOLONG, -ELOOP, -ENOMEM or the error of the cwd's path. */
int vfs_absolute_path(const char *path, char *out, size_t size)
{
	__free(kfree) char *link = kmalloc(size);
	int err = absolute_path(path, out, size);

	if (err)
		return err;
	if (!link)
		return -ENOMEM;
	for (int depth = 0; depth < 40; depth++) {
		ssize_t n = vfs_readlink_at(AT_FDCWD, out, link, size - 1);
		if (n < 0)
			return 0; /* not a symlink (or gone): out names the file */
		link[n] = '\0';
		if (link[0] == '/') {
			strlcpy(out, link, size);
			continue;
		}
		char *slash = strrchr(out, '/'); /* out is absolute: there is one */
		size_t dir = (size_t)(slash - out) + 1;
		if (dir + (size_t)n >= size)
			return -ENAMETOOLONG;
		memcpy(out + dir, link, (size_t)n + 1);
	}
	return -ELOOP;
}

long sys_getcwd(char __user *ubuf, size_t size)
{
	__free(kfree) char *buf = kmalloc(PATH_MAX);
	__free(inode_put) struct inode *cwd = fs_cwd_get();
	long start;
	size_t len;

	if (!buf)
		return -ENOMEM;
	start = vfs_build_path(cwd, buf, PATH_MAX);
	if (start < 0)
		return start;
	len = PATH_MAX - (size_t)start; /* includes the NUL */
	if (len > size)
		return -ERANGE;
	if (copy_to_user(ubuf, buf + start, len))
		return -EFAULT;
	return (long)len;
}

long sys_chdir(const char __user *upath)
{
	__free(path_free) char *path = path_from_user(upath);
	struct inode *ino;

	if (IS_ERR(path))
		return PTR_ERR(path);
	ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	int err = inode_permission(ino, MAY_EXEC);
	if (err) {
		inode_put(ino);
		return err;
	}
	return fs_set_cwd(ino);
}

long sys_fchdir(int fd)
{
	__free(file_put) struct file *f = fd_get_raw(fd);

	if (!f)
		return -EBADF;
	if (!f->inode || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	int err = inode_permission(f->inode, MAY_EXEC);
	if (err)
		return err;
	inode_get(f->inode);
	return fs_set_cwd(f->inode);
}

/* chroot(2): needs root (Linux's CAP_SYS_CHROOT); the cwd stays where it
 * is, as on Linux. */
long sys_chroot(const char __user *upath)
{
	__free(path_free) char *path = path_from_user(upath);
	struct inode *ino;

	if (IS_ERR(path))
		return PTR_ERR(path);
	ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	if (IS_ERR(ino))
		return PTR_ERR(ino);
	if (READ_ONCE(current->proc->euid) != 0) {
		inode_put(ino);
		return -EPERM;
	}
	return fs_set_root(ino);
}

long sys_umask(mode_t mask)
{
	return fs_set_umask(mask);
}

static void sync_one_device(struct block_device *bd, void *arg)
{
	(void)arg;
	bcache_sync_device(bd); /* sync(2) reports nothing */
}

long sys_sync(void)
{
	pagecache_sync(NULL); /* pages changed through mappings, written as write(2) */
	blkdev_for_each(sync_one_device, NULL);
	jbd2_commit_all(); /* journalled metadata: committed, durable */
	return 0;
}

long sys_syncfs(int fd)
{
	__free(file_put) struct file *f = fd_get(fd);
	if (!f)
		return -EBADF;
	struct super_block *sb = f->inode ? f->inode->sb : NULL;
	int err = sb ? pagecache_sync(sb) : 0;
	if (sb && sb->ops && sb->ops->sync_fs)
		err = sb->ops->sync_fs(sb) ?: err;
	return err;
}

static long do_fsync(int fd, bool datasync)
{
	__free(file_put) struct file *f = fd_get(fd);
	if (!f || (f->mode & FMODE_PATH))
		return -EBADF;
	int err = f->inode ? pagecache_fsync(f->inode) : 0;
	if (f->ops && f->ops->fsync)
		err = f->ops->fsync(f, datasync) ?: err;
	return err;
}

long sys_fsync(int fd)
{
	return do_fsync(fd, false);
}

long sys_fdatasync(int fd)
{
	return do_fsync(fd, true);
}

#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4

/* sync_file_range(2): the pages of [offset, offset + nbytes) changed through
 * shared mappings are written (synchronously, so the WAIT flags have
 * nothing more to wait for); nbytes 0 means to the end of the file. As on
 * Linux, no metadata is written: not a durability guarantee. */
long sys_sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags)
{
	if (flags & ~(unsigned)(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER))
		return -EINVAL;
	if (offset < 0 || nbytes < 0 || offset > INT64_MAX - nbytes)
		return -EINVAL;
	__free(file_put) struct file *f = fd_get(fd);
	if (!f || (f->mode & FMODE_PATH))
		return -EBADF;
	mode_t type = f->inode ? f->inode->mode : 0;
	if (!S_ISREG(type) && !S_ISDIR(type) && !S_ISLNK(type) && !S_ISBLK(type))
		return -ESPIPE;
	if (!(flags & SYNC_FILE_RANGE_WRITE) || !S_ISREG(type))
		return 0;
	size_t first = (size_t)((uint64_t)offset >> PAGE_SHIFT);
	size_t last = nbytes ? (size_t)(((uint64_t)offset + (uint64_t)nbytes + PAGE_SIZE - 1) >> PAGE_SHIFT)
			     : SIZE_MAX;
	return pagecache_writeback_range(f->inode, first, last);
}
