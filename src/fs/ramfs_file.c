/*
 * ramfs regular files: data in page-sized chunks allocated on first write,
 * holes read as zeros, truncate frees whole chunks past the end.
 * Lock: inode->lock guards size and pages[]. User memory is copied through
 * a bounce page outside the lock.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "ramfs.h"

#define RAMFS_MAX_SIZE ((off_t)1 << 40)

static size_t ramfs_bytes; /* atomic: data pages held */

size_t ramfs_data_bytes(void)
{
	return __atomic_load_n(&ramfs_bytes, __ATOMIC_RELAXED);
}

/* Make room for n page slots. Caller holds ino->lock. */
static int pages_reserve(struct ramfs_node *rn, size_t n)
{
	size_t cap = rn->nr_pages;
	char **np;

	if (n <= cap)
		return 0;
	cap = MAX(n, cap * 2);
	np = kzalloc(cap * sizeof(*np));
	if (!np)
		return -ENOMEM;
	if (rn->pages)
		memcpy(np, rn->pages, rn->nr_pages * sizeof(*np));
	kfree(rn->pages);
	rn->pages = np;
	rn->nr_pages = cap;
	return 0;
}

static void page_free(char *p)
{
	kfree(p);
	__atomic_sub_fetch(&ramfs_bytes, PAGE_SIZE, __ATOMIC_RELAXED);
}

static ssize_t ramfs_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *ino = f->inode;
	struct ramfs_node *rn = RAMFS(ino);
	size_t done = 0;
	__free(kfree) char *bounce = buf->user ? kmalloc(PAGE_SIZE) : NULL;

	if (buf->user && !bounce)
		return -ENOMEM;
	if (*pos < 0)
		return -EINVAL;
	while (done < buf->len) {
		off_t p = *pos + (off_t)done;
		size_t in_page = p % PAGE_SIZE, n;
		char *src;
		int err;

		spin_lock(&ino->lock);
		if (p >= ino->size) {
			spin_unlock(&ino->lock);
			break;
		}
		n = MIN(buf->len - done, PAGE_SIZE - in_page);
		n = MIN(n, (size_t)(ino->size - p));
		src = (size_t)(p / PAGE_SIZE) < rn->nr_pages ? rn->pages[p / PAGE_SIZE] : NULL;
		if (!buf->user) {
			if (src)
				memcpy(buf->ptr + done, src + in_page, n);
			else
				memset(buf->ptr + done, 0, n);
			spin_unlock(&ino->lock);
		} else {
			if (src)
				memcpy(bounce, src + in_page, n);
			else
				memset(bounce, 0, n);
			spin_unlock(&ino->lock);
			err = iobuf_copy_to(buf, done, bounce, n);
			if (err) {
				if (!done)
					return err;
				break;
			}
		}
		done += n;
	}
	*pos += (off_t)done;
	return (ssize_t)done;
}

static ssize_t ramfs_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *ino = f->inode;
	struct ramfs_node *rn = RAMFS(ino);
	size_t done = 0;
	bool append = READ_ONCE(f->flags) & O_APPEND;
	__free(kfree) char *bounce = buf->user ? kmalloc(PAGE_SIZE) : NULL;

	if (buf->user && !bounce)
		return -ENOMEM;
	if (*pos < 0)
		return -EINVAL;
	while (done < buf->len) {
		off_t p;
		size_t in_page, n, idx;
		const char *src = buf->ptr + done;
		int err;

		n = MIN(buf->len - done, PAGE_SIZE);
		if (buf->user) {
			err = iobuf_copy_from(bounce, buf, done, n);
			if (err) {
				if (!done)
					return err;
				break;
			}
			src = bounce;
		}
		spin_lock(&ino->lock);
		if (append && !done)
			*pos = ino->size; /* atomic with the first chunk's copy */
		p = *pos + (off_t)done;
		if (p >= RAMFS_MAX_SIZE) {
			spin_unlock(&ino->lock);
			if (!done)
				return -EFBIG;
			break;
		}
		in_page = p % PAGE_SIZE;
		idx = (size_t)(p / PAGE_SIZE);
		n = MIN(n, PAGE_SIZE - in_page);
		err = pages_reserve(rn, idx + 1);
		if (!err && !rn->pages[idx]) {
			rn->pages[idx] = kzalloc(PAGE_SIZE);
			if (rn->pages[idx])
				__atomic_add_fetch(&ramfs_bytes, PAGE_SIZE, __ATOMIC_RELAXED);
			else
				err = -ENOSPC;
		}
		if (err) {
			spin_unlock(&ino->lock);
			if (!done)
				return err;
			break;
		}
		memcpy(rn->pages[idx] + in_page, src, n);
		if (p + (off_t)n > ino->size)
			ino->size = p + (off_t)n;
		inode_touch(ino);
		spin_unlock(&ino->lock);
		done += n;
	}
	*pos += (off_t)done;
	return (ssize_t)done;
}

int ramfs_truncate(struct inode *ino, off_t size)
{
	struct ramfs_node *rn = RAMFS(ino);
	size_t keep = (size_t)ALIGN_UP((uint64_t)size, PAGE_SIZE) / PAGE_SIZE;

	if (size > RAMFS_MAX_SIZE)
		return -EFBIG;
	guard(spinlock)(&ino->lock);
	for (size_t i = keep; i < rn->nr_pages; i++) {
		if (rn->pages[i]) {
			page_free(rn->pages[i]);
			rn->pages[i] = NULL;
		}
	}
	/* Zero the tail of the last kept page so a later grow reads zeros. */
	if (size % PAGE_SIZE && keep - 1 < rn->nr_pages && rn->pages[keep - 1])
		memset(rn->pages[keep - 1] + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
	ino->size = size;
	inode_touch(ino);
	return 0;
}

void ramfs_free_data(struct inode *ino)
{
	struct ramfs_node *rn = RAMFS(ino);

	for (size_t i = 0; i < rn->nr_pages; i++)
		if (rn->pages[i])
			page_free(rn->pages[i]);
	kfree(rn->pages);
	rn->pages = NULL;
	rn->nr_pages = 0;
}

static unsigned ramfs_poll(struct file *f, struct poll_table *pt)
{
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

const struct file_ops ramfs_file_fops = {
	.read = ramfs_read,
	.write = ramfs_write,
	.poll = ramfs_poll,
};

const struct inode_ops ramfs_file_iops = {
	.truncate = ramfs_truncate,
};
