/*
 * The vm_object side of the page cache (<ferrite/pagecache.h>): cache
 * objects belong to an inode and are filled by its iops->read_pages (with readahead); writes
 * and truncates of the file system are copied in; reclaim gives back pages
 * that no mapping or reader holds (frame refcount 1: only the cache's).
 *
 * Reclaim: the cache objects sit on one list, least recently filled or
 * read first. When the pages of all caches pass a quarter of RAM, or the
 * frame allocator finds no free page, pagecache_shrink() walks the list
 * and frees unmapped pages of each object from where its last scan
 * stopped (so a file streamed through the cache loses its oldest pages
 * first). Pages changed through a shared mapping (frame->dirty) are kept
 * until written back (pagecache_dirty.c); every other cached page is
 * clean (write(2) is write-through), so it is freed without a write.
 *
 * Locking: obj->lock (a spinlock, innermost of mm->lock and the fs locks)
 * guards the slots, npages, seq and scan. cache_lock guards the list; it is
 * taken under obj->lock only with trylock, and reclaim takes obj->lock
 * under cache_lock with trylock, so allocation from any context may
 * reclaim. read_pages runs with no lock held.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include <ferrite/vfs.h>
#include <hal/hal_timer.h>

static struct spinlock cache_lock = SPINLOCK_INIT("pagecache");
static LIST_HEAD(cache_list);    /* Lock: cache_lock; least recently used first */
static size_t cache_bytes;       /* atomic: bytes of all cache objects' pages */

#define CACHE_FILL_TRIES 64
#define CACHE_READAHEAD 16 /* pages read by one fill: 64 KiB, one request */

size_t pagecache_pages(void) { return __atomic_load_n(&cache_bytes, __ATOMIC_RELAXED) / PAGE_SIZE; }

static size_t size_pages(uint64_t size) { return (size_t)((size + PAGE_SIZE - 1) >> PAGE_SHIFT); }

static void reclaim_hook(size_t pages)
{
	pagecache_shrink(pages < 32 ? 32 : pages);
}

struct vm_object *vm_object_create_cache(struct inode *ino)
{
	struct vm_object *obj = vm_object_create_growable(size_pages((uint64_t)READ_ONCE(ino->size)),
							  &cache_bytes);

	if (!obj)
		return NULL;
	obj->inode = ino;
	list_init(&obj->dirty_node);
	obj->wb_lock = (struct mutex)MUTEX_INIT(obj->wb_lock); /* no mutex_init: host tests link no usync */
	frame_reclaim_hook = reclaim_hook;
	unsigned long flags = spin_lock_irqsave(&cache_lock);
	list_add_tail(&obj->lru, &cache_list);
	spin_unlock_irqrestore(&cache_lock, flags);
	return obj;
}

bool vm_object_is_cache(const struct vm_object *obj) { return obj->lru.next != NULL; }

void vm_object_cache_mapped(struct vm_object *obj) { WRITE_ONCE(obj->mapped, true); }

bool vm_object_cache_unmap_needed(const struct vm_object *obj) { return READ_ONCE(obj->mapped); }

void vm_object_cache_forget(struct vm_object *obj)
{
	unsigned long flags = spin_lock_irqsave(&cache_lock);

	if (obj->lru.next && !list_empty(&obj->lru))
		list_del(&obj->lru);
	spin_unlock_irqrestore(&cache_lock, flags);
}

void vm_object_cache_detach(struct vm_object *obj)
{
	vm_object_cache_forget(obj);
	unsigned long flags = spin_lock_irqsave(&obj->lock);
	obj->inode = NULL;
	obj->seq++;
	spin_unlock_irqrestore(&obj->lock, flags);
	vm_object_put(obj);
}

/* Most recently used: to the tail. Skipped when the list is busy. */
static void cache_touch(struct vm_object *obj)
{
	unsigned long flags = hal_irq_save();

	if (spin_trylock(&cache_lock)) {
		if (!list_empty(&obj->lru))
			list_move_tail(&obj->lru, &cache_list);
		spin_unlock(&cache_lock);
	}
	hal_irq_restore(flags);
}

/* Keep npages in step with a file that grew (write, fallocate, truncate
 * up all change i_size first). Caller holds obj->lock. */
static void sync_size_locked(struct vm_object *obj)
{
	if (obj->inode) {
		size_t n = size_pages((uint64_t)READ_ONCE(obj->inode->size));
		if (n > obj->npages)
			obj->npages = n;
	}
}

int vm_object_cache_lookup(struct vm_object *obj, size_t index, struct frame **out)
{
	int err = 0;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	*out = NULL;
	sync_size_locked(obj);
	if (index >= obj->npages) {
		err = -ENXIO;
	} else {
		struct frame **slot = vm_object_slot_locked(obj, index, false);
		if (slot && *slot) {
			*out = *slot;
			frame_get(*out);
		}
	}
	spin_unlock_irqrestore(&obj->lock, flags);
	return err;
}

/* Read page index from the file, with up to CACHE_READAHEAD - 1 missing
 * pages after it in the same request, and insert them unless a change of
 * the file raced with the read (then look again). */
static int cache_fill(struct vm_object *obj, size_t index)
{
	for (int tries = 0; tries < CACHE_FILL_TRIES; tries++) {
		struct frame *f;
		int err = vm_object_cache_lookup(obj, index, &f);
		if (err || f) {
			if (f)
				frame_put(f);
			return err;
		}
		size_t n = 1;
		unsigned long flags = spin_lock_irqsave(&obj->lock);
		uint64_t seq = obj->seq;
		struct inode *ino = obj->inode;
		while (n < CACHE_READAHEAD && index + n < obj->npages) {
			struct frame **slot = vm_object_slot_locked(obj, index + n, false);
			if (slot && *slot)
				break;
			n++;
		}
		spin_unlock_irqrestore(&obj->lock, flags);
		if (!ino || !ino->iops || !ino->iops->read_pages)
			return -EIO;

		void *buf = n > 1 ? kzalloc(n * PAGE_SIZE) : NULL;
		if (!buf) { /* one page, straight into its frame */
			n = 1;
			f = frame_alloc_zeroed();
			if (!f)
				return -ENOMEM;
			err = ino->iops->read_pages(ino, (uint64_t)index, frame_to_virt(f), 1);
		} else {
			f = NULL;
			err = ino->iops->read_pages(ino, (uint64_t)index, buf, n);
		}
		if (err) {
			if (f)
				frame_put(f);
			kfree(buf);
			return err;
		}
		for (size_t i = 0; i < n; i++) {
			struct frame *p = f;
			if (buf) {
				p = frame_alloc();
				if (!p) {
					if (i == 0)
						err = -ENOMEM;
					break; /* readahead is a wish */
				}
				memcpy(frame_to_virt(p), (char *)buf + i * PAGE_SIZE, PAGE_SIZE);
			}
			flags = spin_lock_irqsave(&obj->lock);
			if (obj->seq == seq && index + i < obj->npages) {
				struct frame **slot = vm_object_slot_locked(obj, index + i, true);
				if (slot && !*slot) {
					*slot = p;
					p = NULL;
					__atomic_add_fetch(&cache_bytes, PAGE_SIZE, __ATOMIC_RELAXED);
				}
			}
			spin_unlock_irqrestore(&obj->lock, flags);
			if (p)
				frame_put(p); /* raced with a change or another fill */
		}
		kfree(buf);
		if (err)
			return err;
	}
	return -EIO; /* a writer kept changing the file under us */
}

int vm_object_cache_get(struct vm_object *obj, size_t index, struct frame **out)
{
	for (;;) {
		int err = vm_object_cache_lookup(obj, index, out);
		if (err || *out)
			return err;
		err = cache_fill(obj, index);
		if (err)
			return err;
		cache_touch(obj);
		size_t budget = frames_total_count() / 4;
		size_t held = pagecache_pages();
		if (held > budget)
			pagecache_shrink(held - budget + 64);
	}
}

void vm_object_cache_write(struct vm_object *obj, uint64_t pos, const void *src, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	obj->seq++;
	sync_size_locked(obj);
	if (pos + n > (uint64_t)obj->npages << PAGE_SHIFT)
		obj->npages = size_pages(pos + n);
	for (size_t done = 0; done < n;) {
		uint64_t at = pos + done;
		size_t off = (size_t)(at & (PAGE_SIZE - 1));
		size_t k = MIN(n - done, PAGE_SIZE - off);
		struct frame **slot = vm_object_slot_locked(obj, (size_t)(at >> PAGE_SHIFT), false);
		if (slot && *slot) {
			char *dst = (char *)frame_to_virt(*slot) + off;
			if (src && dst == (const char *)src + done)
				; /* a write-back of this very page */
			else if (src)
				memcpy(dst, (const char *)src + done, k);
			else
				memset(dst, 0, k);
		}
		done += k;
	}
	spin_unlock_irqrestore(&obj->lock, flags);
}

void vm_object_cache_truncate(struct vm_object *obj, uint64_t size)
{
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	obj->seq++;
	size_t tail = (size_t)(size & (PAGE_SIZE - 1));
	if (tail) {
		struct frame **slot = vm_object_slot_locked(obj, (size_t)(size >> PAGE_SHIFT), false);
		if (slot && *slot)
			memset((char *)frame_to_virt(*slot) + tail, 0, PAGE_SIZE - tail);
	}
	spin_unlock_irqrestore(&obj->lock, flags);
	vm_object_set_size(obj, size_pages(size));
}

/* The dirty list (<ferrite/pagecache.h>, pagecache_dirty.c): cache objects
 * that may hold pages changed through a mapping, oldest first; each entry
 * holds a reference to its inode. */
struct spinlock pagecache_dirty_lock = SPINLOCK_INIT("pagecache-dirty");
LIST_HEAD(pagecache_dirty_list); /* Lock: pagecache_dirty_lock */
size_t pagecache_dirty_count;    /* atomic: pages with frame->dirty set */
uint64_t pagecache_dirty_clock;  /* atomic: tickets of list entries */

void vm_object_clean_locked(struct vm_object *obj, struct frame *f)
{
	if (!f->dirty)
		return;
	WRITE_ONCE(f->dirty, 0);
	obj->ndirty--;
	__atomic_sub_fetch(&pagecache_dirty_count, 1, __ATOMIC_RELAXED);
}

void vm_object_cache_dirty(struct vm_object *obj, size_t index, struct frame *f)
{
	unsigned long flags = spin_lock_irqsave(&obj->lock);
	struct frame **slot = vm_object_slot_locked(obj, index, false);

	if (slot && *slot == f && !f->dirty && obj->inode) {
		WRITE_ONCE(f->dirty, 1);
		obj->ndirty++;
		__atomic_add_fetch(&pagecache_dirty_count, 1, __ATOMIC_RELAXED);
		spin_lock(&pagecache_dirty_lock);
		if (list_empty(&obj->dirty_node)) {
			ref_get(&obj->inode->ref); /* the list's: the inode outlives munmap and close */
			obj->dirty_since = hal_time_ns();
			obj->dirty_ticket = __atomic_add_fetch(&pagecache_dirty_clock, 1, __ATOMIC_RELAXED);
			list_add_tail(&obj->dirty_node, &pagecache_dirty_list);
		}
		spin_unlock(&pagecache_dirty_lock);
	}
	spin_unlock_irqrestore(&obj->lock, flags);
}

/* Free unmapped pages of obj from its scan point, up to want. Caller holds
 * obj->lock. Return pages freed. */
static size_t shrink_object_locked(struct vm_object *obj, size_t want)
{
	size_t slots = obj->nleaves * (PAGE_SIZE / sizeof(struct frame *));
	size_t freed = 0;

	if (!slots)
		return 0;
	size_t start = obj->scan < slots ? obj->scan : 0;
	for (size_t n = 0; n < slots && freed < want; n++) {
		size_t i = (start + n) % slots;
		struct frame **slot = vm_object_slot_locked(obj, i, false);
		if (!slot || !*slot || frame_refcount(*slot) != 1 || (*slot)->dirty)
			continue;
		frame_put(*slot);
		*slot = NULL;
		__atomic_sub_fetch(&cache_bytes, PAGE_SIZE, __ATOMIC_RELAXED);
		freed++;
		obj->scan = i + 1;
	}
	if (freed) /* a reader between our check and now must not see a stale page */
		obj->seq++;
	return freed;
}

size_t pagecache_shrink(size_t want)
{
	size_t freed = 0;
	unsigned long flags = hal_irq_save();

	if (!spin_trylock(&cache_lock)) {
		hal_irq_restore(flags);
		return 0;
	}
	struct list_head *pos;
	list_for_each(pos, &cache_list) {
		struct vm_object *obj = list_entry(pos, struct vm_object, lru);
		if (freed >= want)
			break;
		if (!spin_trylock(&obj->lock))
			continue;
		freed += shrink_object_locked(obj, want - freed);
		spin_unlock(&obj->lock);
	}
	spin_unlock(&cache_lock);
	hal_irq_restore(flags);
	return freed;
}
