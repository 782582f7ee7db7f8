/*
 * ramfs regular files: the data lives in a growable vm_object (created on
 * first write, truncate or mmap) whose frames are also what MAP_SHARED
 * mappings map, so read/write and mappings always agree. Holes read as
 * zeros; truncate frees the pages past the end that nobody maps.
 * Lock: inode->lock guards size and creating rn->obj; it is held while
 * the object's size changes and while a written page is filled, never
 * while user memory is touched (writes go through a bounce page, reads copy
 * from a referenced frame after dropping the lock).
 * Lock order: inode->lock -> vm_object->lock.
 */
#include <ferrite/vfs.h>
#include <ferrite/vm.h>
#include <ferrite/frame.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include "ramfs.h"

#define RAMFS_MAX_SIZE ((off_t)1 << 40)

static size_t ramfs_bytes; /* atomic: data pages held (the objects count them) */

size_t ramfs_data_bytes(void)
{
	return __atomic_load_n(&ramfs_bytes, __ATOMIC_RELAXED);
}

static size_t pages_for(off_t size)
{
	return (size_t)(((uint64_t)size + PAGE_SIZE - 1) / PAGE_SIZE);
}

/* The file's object, created on first use. Caller holds ino->lock. */
static struct vm_object *data_obj_locked(struct inode *ino)
{
	struct ramfs_node *rn = RAMFS(ino);

	if (!rn->obj)
		rn->obj = vm_object_create_growable(pages_for(ino->size), &ramfs_bytes);
	return rn->obj;
}

static ssize_t ramfs_read(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *ino = f->inode;
	struct ramfs_node *rn = RAMFS(ino);
	size_t done = 0;

	if (*pos < 0)
		return -EINVAL;
	while (done < buf->len) {
		off_t p = *pos + (off_t)done;
		size_t in_page = p % PAGE_SIZE, n;
		struct frame *page = NULL;
		int err;

		spin_lock(&ino->lock);
		if (p >= ino->size) {
			spin_unlock(&ino->lock);
			break;
		}
		n = MIN(buf->len - done, PAGE_SIZE - in_page);
		n = MIN(n, (size_t)(ino->size - p));
		if (rn->obj) /* p < size: in range; no allocation: cannot fail */
			vm_object_getpage(rn->obj, (size_t)(p / PAGE_SIZE), false, &page);
		spin_unlock(&ino->lock);
		if (page) {
			err = iobuf_copy_to(buf, done, (char *)frame_to_virt(page) + in_page, n);
			frame_put(page);
		} else {
			err = iobuf_zero(buf, done, n);
		}
		if (err) {
			if (!done)
				return err;
			break;
		}
		done += n;
	}
	*pos += (off_t)done;
	return (ssize_t)done;
}

/* Copy n bytes (kernel) into the file at p, growing it. Caller holds
 * ino->lock. 0 or -errno. */
static int write_page_locked(struct inode *ino, off_t p, const char *src, size_t n)
{
	struct vm_object *obj = data_obj_locked(ino);
	struct frame *page;
	bool grow = p + (off_t)n > ino->size;
	int err;

	if (!obj)
		return -ENOSPC;
	if (grow)
		vm_object_set_size(obj, pages_for(p + (off_t)n));
	err = vm_object_getpage(obj, (size_t)(p / PAGE_SIZE), true, &page);
	if (err) {
		if (grow)
			vm_object_set_size(obj, pages_for(ino->size));
		return err == -ENOMEM ? -ENOSPC : err;
	}
	memcpy((char *)frame_to_virt(page) + p % PAGE_SIZE, src, n);
	frame_put(page);
	if (grow)
		ino->size = p + (off_t)n;
	inode_touch(ino);
	return 0;
}

static ssize_t ramfs_write(struct file *f, const struct iobuf *buf, off_t *pos)
{
	struct inode *ino = f->inode;
	size_t done = 0;
	bool append = READ_ONCE(f->flags) & O_APPEND;
	__free(kfree) char *bounce = buf->user ? kmalloc(PAGE_SIZE) : NULL;

	if (buf->user && !bounce)
		return -ENOMEM;
	if (*pos < 0)
		return -EINVAL;
	while (done < buf->len) {
		off_t p;
		size_t n;
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
		n = MIN(n, PAGE_SIZE - p % PAGE_SIZE);
		err = p >= RAMFS_MAX_SIZE ? -EFBIG : write_page_locked(ino, p, src, n);
		spin_unlock(&ino->lock);
		if (err) {
			if (!done)
				return err;
			break;
		}
		done += n;
	}
	*pos += (off_t)done;
	return (ssize_t)done;
}

int ramfs_truncate(struct inode *ino, off_t size)
{
	struct ramfs_node *rn = RAMFS(ino);

	if (size > RAMFS_MAX_SIZE)
		return -EFBIG;
	guard(spinlock)(&ino->lock);
	if (rn->obj) {
		off_t lo = MIN(size, ino->size);
		struct frame *page = NULL;

		vm_object_set_size(rn->obj, pages_for(size));
		/* Bytes past the old or new end of the boundary page read as
		 * zeros from now on (mappings may have written there). */
		if (lo % PAGE_SIZE &&
		    !vm_object_getpage(rn->obj, (size_t)(lo / PAGE_SIZE), false, &page) && page) {
			memset((char *)frame_to_virt(page) + lo % PAGE_SIZE, 0, PAGE_SIZE - lo % PAGE_SIZE);
			frame_put(page);
		}
	}
	ino->size = size;
	inode_touch(ino);
	return 0;
}

void ramfs_free_data(struct inode *ino)
{
	struct ramfs_node *rn = RAMFS(ino);

	vm_object_put(rn->obj);
	rn->obj = NULL;
}

static struct vm_object *ramfs_mmap_object(struct file *f)
{
	struct inode *ino = f->inode;

	guard(spinlock)(&ino->lock);
	struct vm_object *obj = data_obj_locked(ino);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	vm_object_get(obj);
	return obj;
}

static unsigned ramfs_poll(struct file *f, struct poll_table *pt)
{
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

const struct file_ops ramfs_file_fops = {
	.read = ramfs_read,
	.write = ramfs_write,
	.poll = ramfs_poll,
	.mmap_object = ramfs_mmap_object,
};

const struct inode_ops ramfs_file_iops = {
	.truncate = ramfs_truncate,
};
