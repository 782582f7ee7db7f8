/*
 * Open files: allocation, references and the read/write/seek entry points
 * every caller (syscalls, exec, kernel_read) goes through.
 * Lock: f->lock guards pos and flags; it is never held across the file
 * operation itself (which may sleep or touch user memory).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/eventpoll.h>
#include <ferrite/kmalloc.h>
#include "fs_internal.h"

static size_t files_live; /* atomic */

struct file *file_alloc(struct inode *ino, const struct file_ops *ops, int flags)
{
	struct file *f = kzalloc(sizeof(*f));
	int acc = flags & O_ACCMODE;

	if (!f)
		return ERR_PTR(-ENOMEM);
	/* Invariant: every file has an inode. Unnamed objects (ports,
	 * eventfd, epoll) share anon_inodefs's, so fstat and friends work. */
	if (ino)
		inode_get(ino);
	else if (!(ino = anon_inode_get())) {
		kfree(f);
		return ERR_PTR(-ENOMEM);
	}
	ref_init(&f->ref);
	spin_init(&f->lock, "file");
	list_init(&f->ep_links);
	f->inode = ino;
	f->ops = ops;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	if (flags & O_PATH) {
		/* Invariant: an O_PATH file reaches no operation of its object.
		 * Its ops->open never runs, so neither may release, poll or
		 * ioctl, which would find f->private unset (a FIFO's inner). */
		f->ops = NULL;
		f->flags = flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW);
		f->mode = FMODE_PATH;
	} else if (acc == O_RDONLY)
		f->mode = FMODE_READ;
	else if (acc == O_WRONLY)
		f->mode = FMODE_WRITE;
	else
		f->mode = FMODE_READ | FMODE_WRITE;
	/* Only regular files, directories and block devices seek. */
	if (!(S_ISREG(ino->mode) || S_ISDIR(ino->mode) || S_ISBLK(ino->mode)))
		f->mode |= FMODE_STREAM;
	__atomic_add_fetch(&files_live, 1, __ATOMIC_RELAXED);
	return f;
}

void file_get(struct file *f)
{
	ref_get(&f->ref);
}

static void file_release(struct ref *r)
{
	struct file *f = container_of(r, struct file, ref);

	/* Nobody else holds f now; epoll items borrow it until this. */
	if (!list_empty(&f->ep_links))
		eventpoll_release_file(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->inode)
		inode_put(f->inode);
	if (f->path_base)
		inode_put(f->path_base);
	kfree(f->path);
	kfree(f);
	__atomic_sub_fetch(&files_live, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	ref_put(&f->ref, file_release);
}

size_t files_count_live(void)
{
	return __atomic_load_n(&files_live, __ATOMIC_RELAXED);
}

bool file_is_executable(struct file *f)
{
	return f->inode && S_ISREG(f->inode->mode) && !(f->mode & FMODE_PATH) &&
	       inode_permission(f->inode, X_OK) == 0;
}

static ssize_t rw_at(struct file *f, const struct iobuf *buf, off_t *pos, bool write)
{
	if (write) {
		if (!(f->mode & FMODE_WRITE))
			return -EBADF;
		if (!f->ops || !f->ops->write)
			return -EINVAL;
		return f->ops->write(f, buf, pos);
	}
	if (!(f->mode & FMODE_READ))
		return -EBADF;
	if (f->inode && S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	return f->ops->read(f, buf, pos);
}

/* Read or write at the file position, then store the moved position. */
static ssize_t rw_pos(struct file *f, const struct iobuf *buf, bool write)
{
	off_t pos;
	ssize_t n;

	if (f->mode & FMODE_STREAM) {
		pos = 0;
		return rw_at(f, buf, &pos, write);
	}
	spin_lock(&f->lock);
	pos = f->pos;
	spin_unlock(&f->lock);
	n = rw_at(f, buf, &pos, write);
	if (n >= 0) {
		spin_lock(&f->lock);
		f->pos = pos;
		spin_unlock(&f->lock);
	}
	return n;
}

ssize_t vfs_read(struct file *f, const struct iobuf *buf)
{
	return rw_pos(f, buf, false);
}

ssize_t vfs_write(struct file *f, const struct iobuf *buf)
{
	return rw_pos(f, buf, true);
}

ssize_t vfs_pread(struct file *f, const struct iobuf *buf, off_t off)
{
	if (f->mode & FMODE_STREAM)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	return rw_at(f, buf, &off, false);
}

ssize_t vfs_pwrite(struct file *f, const struct iobuf *buf, off_t off)
{
	if (f->mode & FMODE_STREAM)
		return -ESPIPE;
	if (off < 0)
		return -EINVAL;
	return rw_at(f, buf, &off, true);
}

ssize_t kernel_read(struct file *f, void *buf, size_t n, off_t off)
{
	struct iobuf b = iobuf_kernel(buf, n);

	if (f->mode & FMODE_STREAM)
		return rw_at(f, &b, &off, false);
	return vfs_pread(f, &b, off);
}

ssize_t kernel_write(struct file *f, const void *buf, size_t n, off_t off)
{
	struct iobuf b = iobuf_kernel((void *)buf, n);

	if (f->mode & FMODE_STREAM)
		return rw_at(f, &b, &off, true);
	return vfs_pwrite(f, &b, off);
}

off_t generic_lseek(struct file *f, off_t off, int whence)
{
	off_t base;

	guard(spinlock)(&f->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = f->inode ? READ_ONCE(f->inode->size) : 0;
		break;
	case SEEK_DATA:
	case SEEK_HOLE: {
		off_t size = f->inode ? READ_ONCE(f->inode->size) : 0;
		if (off < 0 || off >= size)
			return -ENXIO;
		f->pos = whence == SEEK_DATA ? off : size;
		return f->pos;
	}
	default:
		return -EINVAL;
	}
	if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
		return -EINVAL;
	f->pos = base + off;
	return f->pos;
}

off_t vfs_lseek(struct file *f, off_t off, int whence)
{
	if (f->ops && f->ops->lseek)
		return f->ops->lseek(f, off, whence);
	if (f->mode & FMODE_STREAM)
		return -ESPIPE;
	return generic_lseek(f, off, whence);
}

int vfs_iterate(struct file *f, struct dir_context *ctx)
{
	int err;

	if (!f->inode || !S_ISDIR(f->inode->mode))
		return -ENOTDIR;
	if (f->mode & FMODE_PATH)
		return -EBADF;
	if (f->ops && f->ops->iterate)
		return f->ops->iterate(f, ctx);
	if (!f->inode->iops || !f->inode->iops->iterate)
		return -ENOTDIR;
	spin_lock(&f->lock);
	ctx->pos = f->pos;
	spin_unlock(&f->lock);
	err = f->inode->iops->iterate(f->inode, ctx);
	spin_lock(&f->lock);
	f->pos = ctx->pos;
	spin_unlock(&f->lock);
	return err;
}
