/*
 * Unpack the initramfs into the root ramfs: concatenated cpio newc
 * archives, each optionally gzip-compressed (one or more gzip members),
 * separated by zero padding, as Linux accepts them; hard links (entries
 * sharing inode and device numbers) become links, as Linux makes them.
 * Streaming: the gzip output goes through the inflater's 32 KiB window into
 * the cpio parser, which hands each file's data to the file as it comes,
 * so the archive may be as large as RAM allows. Missing parent directories
 * are created. A corrupt or truncated archive stops with an error after
 * what came before it is unpacked. Runs at boot, single-threaded; the file
 * system takes its own locks.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <ferrite/printk.h>
#include "fs_internal.h"

#define INITRAMFS_DEBUG 0

/* A regular file with nlink > 1: later entries of the same (ino, dev) in
 * the archive become hard links to it (cpio puts the data on one of them,
 * usually the last). */
struct hardlink {
	struct hardlink *next;
	uint32_t ino, devmajor, devminor;
	mode_t mode;
	char path[]; /* kernel path, NUL-terminated */
};

/* The entry being unpacked; the parser's own state comes along. */
struct unpacker {
	struct hardlink *links;     /* of the current member */
	struct cpio_stream cpio;
	char path[PATH_MAX + 2];
	struct file *file;          /* a regular file being written */
	off_t off;                  /* where its next data goes */
	bool want_link, want_attrs; /* a symlink target is being collected */
	size_t link_len;
	char link[PATH_MAX + 1];
};

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

/* Errors that stop the unpacking; others skip one entry. */
static bool fatal(int err)
{
	return err == -ENOMEM || err == -ENOSPC;
}

/* The kernel path of the entry ("/" + its name without "/" or "./"), or
 * NULL for the root itself. */
static const char *entry_path(struct unpacker *u, const struct cpio_entry *e)
{
	const char *name = e->name;
	size_t len = e->namelen;

	while (len && *name == '/') {
		name++;
		len--;
	}
	if (len >= 2 && name[0] == '.' && name[1] == '/') {
		name += 2;
		len -= 2;
	}
	if (!len || (len == 1 && name[0] == '.'))
		return NULL;
	u->path[0] = '/';
	memcpy(u->path + 1, name, len);
	u->path[len + 1] = '\0';
	return u->path;
}

/* For a regular file with nlink > 1: the path of an earlier entry of the
 * same inode, or NULL after remembering this one. */
static const char *hardlink_find(struct unpacker *u, const struct cpio_entry *e)
{
	for (struct hardlink *l = u->links; l; l = l->next)
		if (l->ino == e->ino && l->devmajor == e->devmajor && l->devminor == e->devminor &&
		    l->mode == e->mode)
			return l->path;
	size_t n = strlen(u->path) + 1;
	struct hardlink *l = kmalloc(sizeof(*l) + n);
	if (l) { /* without memory the entry is just a file of its own */
		l->ino = e->ino;
		l->devmajor = e->devmajor;
		l->devminor = e->devminor;
		l->mode = e->mode;
		memcpy(l->path, u->path, n);
		l->next = u->links;
		u->links = l;
	}
	return NULL;
}

static void hardlinks_free(struct unpacker *u)
{
	while (u->links) {
		struct hardlink *l = u->links;
		u->links = l->next;
		kfree(l);
	}
}

static int entry_begin(void *ctx, const struct cpio_entry *e)
{
	struct unpacker *u = ctx;
	const char *path = entry_path(u, e);
	int err;

	u->file = NULL;
	u->want_link = u->want_attrs = false;
	if (!path)
		return 0;
	pr_debug_if(INITRAMFS_DEBUG, "initramfs: %s mode %x size %zu\n", path, e->mode, e->size);
	err = make_parents(u->path);
	if (err)
		goto out;
	switch (e->mode & S_IFMT) {
	case S_IFDIR:
		err = vfs_mkdir_at(AT_FDCWD, path, e->mode & 07777);
		if (err == -EEXIST)
			err = 0;
		break;
	case S_IFREG: {
		int flags = O_WRONLY | O_CREAT | O_TRUNC;
		const char *old = e->nlink > 1 ? hardlink_find(u, e) : NULL;
		if (old) { /* a second name: the data, if any, goes to the inode */
			vfs_unlink_at(AT_FDCWD, path);
			err = vfs_link_at(AT_FDCWD, old, AT_FDCWD, path, 0);
			if (err)
				break;
			flags &= ~O_TRUNC;
		}
		struct file *f = vfs_open_at(AT_FDCWD, path, flags, e->mode & 07777);
		if (IS_ERR(f)) {
			err = (int)PTR_ERR(f);
			break;
		}
		u->file = f;
		u->off = 0;
		break;
	}
	case S_IFLNK:
		if (e->size > PATH_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		u->want_link = true;
		u->link_len = 0;
		return 0; /* made at the end, when the target is known */
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
		vfs_unlink_at(AT_FDCWD, path);
		err = vfs_mknod_at(AT_FDCWD, path, e->mode, MKDEV(e->rdevmajor, e->rdevminor));
		break;
	default:
		pr_warn("initramfs: %s: unsupported file type %x skipped\n", path, e->mode & S_IFMT);
		return 0;
	}
out:
	if (err) {
		pr_warn("initramfs: %s: error %d\n", path, err);
		return fatal(err) ? err : 0;
	}
	u->want_attrs = true;
	return 0;
}

static int entry_data(void *ctx, const void *buf, size_t len)
{
	struct unpacker *u = ctx;

	if (u->want_link) {
		memcpy(u->link + u->link_len, buf, len); /* size <= PATH_MAX */
		u->link_len += len;
		return 0;
	}
	if (!u->file)
		return 0;
	ssize_t n = kernel_write(u->file, buf, len, u->off);
	if (n >= 0 && (size_t)n != len)
		n = -ENOSPC;
	if (n < 0) {
		pr_warn("initramfs: %s: error %zd\n", u->path, n);
		return fatal((int)n) ? (int)n : 0;
	}
	u->off += n;
	return 0;
}

static void entry_end(void *ctx)
{
	struct unpacker *u = ctx;

	if (u->file) {
		file_put(u->file);
		u->file = NULL;
	}
	if (u->want_link) {
		u->link[u->link_len] = '\0';
		vfs_unlink_at(AT_FDCWD, u->path);
		int err = vfs_symlink_at(u->link, AT_FDCWD, u->path);
		u->want_link = false;
		if (err)
			pr_warn("initramfs: %s: error %d\n", u->path, err);
		else
			u->want_attrs = true;
	}
	if (u->want_attrs)
		set_attrs(u->path, &u->cpio.e);
	u->want_attrs = false;
}

static const struct cpio_ops unpack_ops = {
	.begin = entry_begin,
	.data = entry_data,
	.end = entry_end,
};

static int feed_cpio(void *ctx, const void *buf, size_t len)
{
	struct unpacker *u = ctx;
	long n = cpio_stream_feed(&u->cpio, buf, len);

	return n < 0 ? (int)n : 0;
}

/* Name of a compression other than gzip that Linux may be built for. */
static const char *other_compression(const uint8_t *b, size_t len)
{
	if (len >= 6 && !memcmp(b, "\xfd" "7zXZ\0", 6))
		return "xz";
	if (len >= 4 && !memcmp(b, "\x28\xb5\x2f\xfd", 4))
		return "zstd";
	if (len >= 3 && !memcmp(b, "BZh", 3))
		return "bzip2";
	if (len >= 4 && !memcmp(b, "\x02\x21\x4c\x18", 4))
		return "lz4";
	if (len >= 3 && !memcmp(b, "\x5d\0\0", 3))
		return "lzma";
	if (len >= 9 && !memcmp(b, "\x89LZO\0\r\n\x1a\n", 9))
		return "lzo";
	return NULL;
}

/* One member at b[0, len): a gzip member or an uncompressed archive
 * through its trailer. Return the bytes it took, or -errno. */
static long unpack_member(struct unpacker *u, const uint8_t *b, size_t len, size_t off)
{
	const char *other = other_compression(b, len);
	long n;
	int err, end;

	if (other) {
		pr_err("initramfs: %s-compressed archive at offset %zu: not supported (use gzip)\n",
		       other, off);
		return -EOPNOTSUPP;
	}
	if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
		size_t used = 0;
		cpio_stream_init(&u->cpio, &unpack_ops, u, 0, false);
		err = gunzip_stream(b, len, feed_cpio, u, &used);
		end = cpio_stream_finish(&u->cpio);
		hardlinks_free(u);
		if (err || end) {
			pr_err("initramfs: %s gzip member at offset %zu (error %d)\n",
			       err == -EINVAL ? "corrupt or truncated" : "cannot unpack the",
			       off, err ? err : end);
			return err ? err : end;
		}
		return (long)used;
	}
	cpio_stream_init(&u->cpio, &unpack_ops, u, off, true);
	n = cpio_stream_feed(&u->cpio, b, len);
	end = cpio_stream_finish(&u->cpio);
	hardlinks_free(u);
	if (n < 0 || end) {
		pr_err("initramfs: %s cpio archive at offset %zu (error %ld)\n",
		       n == -EINVAL || end ? "corrupt or truncated" : "cannot unpack the", off,
		       n < 0 ? n : end);
		return n < 0 ? n : end;
	}
	return n;
}

int initramfs_unpack(const void *data, size_t len)
{
	__free(kfree) struct unpacker *u = kmalloc(sizeof(*u));
	const uint8_t *b = data;
	size_t off = 0;

	if (!u)
		return -ENOMEM;
	u->links = NULL;
	while (off < len) {
		long n;

		if (b[off] == 0) { /* padding between archives */
			off++;
			continue;
		}
		n = unpack_member(u, b + off, len - off, off);
		if (n < 0)
			return (int)n;
		off += (size_t)n;
	}
	return 0;
}
