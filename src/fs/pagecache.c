/*
 * The inode side of the page cache (<ferrite/pagecache.h>): the object is
 * made on first use and published in inode->pages with a compare-and-swap
 * (the loser frees its copy); read(2) copies out of cached pages, filling
 * the missing ones through the file system's read_pages; the file system's
 * write and truncate paths report their changes here.
 * Locking: none of its own; the object's lock (src/mm/pagecache.c). No lock
 * is held while user memory is touched.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/pagecache.h>
#include <ferrite/vfs.h>
#include <ferrite/vm.h>

struct vm_object *pagecache_of(struct inode *ino)
{
	struct vm_object *obj = __atomic_load_n(&ino->pages, __ATOMIC_ACQUIRE);

	if (obj)
		return obj;
	struct vm_object *mine = vm_object_create_cache(ino);
	if (!mine)
		return NULL;
	if (__atomic_compare_exchange_n(&ino->pages, &obj, mine, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return mine;
	vm_object_cache_detach(mine); /* another task made it first */
	return obj;
}

ssize_t pagecache_read(struct inode *ino, const struct iobuf *buf, off_t *pos)
{
	uint64_t p = (uint64_t)*pos;
	size_t done = 0;
	int err = 0;

	if (*pos < 0)
		return -EINVAL;
	if (buf->len == 0 || p >= (uint64_t)READ_ONCE(ino->size))
		return 0;
	struct vm_object *obj = pagecache_of(ino);
	if (!obj)
		return -ENOMEM;
	while (done < buf->len) {
		uint64_t at = p + done, size = (uint64_t)READ_ONCE(ino->size);
		if (at >= size)
			break;
		size_t off = (size_t)(at & (PAGE_SIZE - 1));
		size_t n = (size_t)MIN((uint64_t)MIN(buf->len - done, PAGE_SIZE - off), size - at);
		struct frame *f;
		err = vm_object_cache_get(obj, (size_t)(at >> PAGE_SHIFT), &f);
		if (err == -ENXIO) { /* truncated meanwhile */
			err = 0;
			break;
		}
		if (err)
			break;
		err = iobuf_copy_to(buf, done, (char *)frame_to_virt(f) + off, n) ? -EFAULT : 0;
		frame_put(f);
		if (err)
			break;
		done += n;
	}
	*pos += (off_t)done;
	return done ? (ssize_t)done : err;
}

struct vm_object *pagecache_mmap_object(struct file *f)
{
	struct vm_object *obj = pagecache_of(f->inode);

	if (!obj)
		return ERR_PTR(-ENOMEM);
	vm_object_cache_mapped(obj);
	vm_object_get(obj);
	return obj;
}

void pagecache_write(struct inode *ino, uint64_t pos, const void *src, size_t n)
{
	struct vm_object *obj = __atomic_load_n(&ino->pages, __ATOMIC_ACQUIRE);

	if (obj && n)
		vm_object_cache_write(obj, pos, src, n);
}

void pagecache_truncate(struct inode *ino, uint64_t size)
{
	struct vm_object *obj = __atomic_load_n(&ino->pages, __ATOMIC_ACQUIRE);

	if (!obj)
		return;
	/* The end moves first (new faults past it: SIGBUS), then the
	 * mappings let go of the pages past it, which can then be freed. */
	vm_object_cache_truncate(obj, size);
	if (vm_object_cache_unmap_needed(obj)) {
		pagecache_unmap_from(obj, (size_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT));
		vm_object_cache_truncate(obj, size);
	}
}

void pagecache_release(struct inode *ino)
{
	struct vm_object *obj = ino->pages;

	ino->pages = NULL;
	if (obj)
		vm_object_cache_detach(obj);
}
