/*
 * Unpack the initramfs into the root ramfs: concatenated cpio newc
 * archives, each optionally gzip-compressed, separated by zero padding.
 * Missing parent directories are created. Runs at boot, single-threaded;
 * the file system takes its own locks.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/printk.h>
#include "fs_internal.h"

#define INITRAMFS_DEBUG 0

/* mkdir -p for every directory above name (a kernel path). */
static int make_parents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int err = vfs_mkdir_at(AT_FDCWD, path, 0755);
		*p = '/';
		if (err && err != -EEXIST)
			return err;
	}
	return 0;
}

static void set_attrs(const char *path, const struct cpio_entry *e)
{
	struct inode *ino = vfs_lookup_from(vfs_root, path, 0);

	if (IS_ERR(ino))
		return;
	spin_lock(&ino->lock);
	ino->mode = (ino->mode & S_IFMT) | (e->mode & S_IALLUGO);
	ino->uid = e->uid;
	ino->gid = e->gid;
	ino->mtime.tv_sec = e->mtime;
	ino->mtime.tv_nsec = 0;
	spin_unlock(&ino->lock);
	inode_put(ino);
}

static int write_file(const char *path, const struct cpio_entry *e)
{
	struct file *f = vfs_open_at(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, e->mode & 07777);
	ssize_t n;

	if (IS_ERR(f))
		return (int)PTR_ERR(f);
	n = kernel_write(f, e->data, e->size, 0);
	file_put(f);
	if (n < 0)
		return (int)n;
	return (size_t)n == e->size ? 0 : -ENOSPC;
}

static int unpack_entry(const struct cpio_entry *e)
{
	__free(kfree) char *path = kmalloc(e->namelen + 2);
	const char *name = e->name;
	size_t len = e->namelen;
	int err;

	if (!path)
		return -ENOMEM;
	while (len && *name == '/') {
		name++;
		len--;
	}
	if (len >= 2 && name[0] == '.' && name[1] == '/') {
		name += 2;
		len -= 2;
	}
	if (!len || (len == 1 && name[0] == '.'))
		return 0; /* the root itself */
	path[0] = '/';
	memcpy(path + 1, name, len);
	path[len + 1] = '\0';
	pr_debug_if(INITRAMFS_DEBUG, "initramfs: %s mode %x size %zu\n", path, e->mode, e->size);
	err = make_parents(path);
	if (err)
		return err;
	switch (e->mode & S_IFMT) {
	case S_IFDIR:
		err = vfs_mkdir_at(AT_FDCWD, path, e->mode & 07777);
		if (err == -EEXIST)
			err = 0;
		break;
	case S_IFREG:
		err = write_file(path, e);
		break;
	case S_IFLNK: {
		__free(kfree) char *target = kstrndup(e->data, e->size);
		if (!target)
			return -ENOMEM;
		vfs_unlink_at(AT_FDCWD, path);
		err = vfs_symlink_at(target, AT_FDCWD, path);
		break;
	}
	case S_IFCHR:
		vfs_unlink_at(AT_FDCWD, path);
		err = vfs_mknod_at(AT_FDCWD, path, e->mode,
				   MKDEV(e->rdevmajor, e->rdevminor));
		break;
	default:
		pr_warn("initramfs: %s: unsupported file type %x skipped\n", path, e->mode & S_IFMT);
		return 0;
	}
	if (!err)
		set_attrs(path, e);
	else
		pr_warn("initramfs: %s: error %d\n", path, err);
	return err;
}

/* Unpack one uncompressed cpio archive starting at *off, through its
 * trailer. */
static int unpack_cpio(const uint8_t *data, size_t len, size_t *off)
{
	struct cpio_entry e;
	int r;

	while ((r = cpio_next(data, len, off, &e)) == 1) {
		int err = unpack_entry(&e);
		if (err == -ENOMEM || err == -ENOSPC)
			return err;
	}
	return r;
}

int initramfs_unpack(const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t off = 0;

	while (off < len) {
		int err;

		if (b[off] == 0) { /* padding between archives */
			off++;
			continue;
		}
		if (len - off >= 2 && b[off] == 0x1f && b[off + 1] == 0x8b) {
			void *out;
			size_t out_len, used;
			err = gunzip(b + off, len - off, &out, &out_len, &used);
			if (err)
				return err;
			err = initramfs_unpack(out, out_len);
			kfree(out);
			if (err)
				return err;
			off += used;
			continue;
		}
		err = unpack_cpio(b, len, &off);
		if (err)
			return err;
	}
	return 0;
}
