/*
 * vm_object: a refcounted array of frames indexed by page offset, the
 * backing store of MAP_SHARED anonymous memory, System V shm segments and
 * ramfs regular files (whose object IS the file data, so read/write and
 * MAP_SHARED mappings see the same frames).
 *
 * Fixed objects (vm_object_create) span npages from the start. Growable
 * objects (vm_object_create_growable) start empty; vm_object_set_size moves
 * their end and the slot array grows when a page is first allocated, so a
 * large sparse file costs nothing until touched. Shrinking frees the pages
 * past the end that nobody maps; a page still mapped somewhere is zeroed and
 * kept, so every mapper keeps seeing the same frame if the file grows again.
 *
 * The object holds one reference to each of its frames; mappings take their
 * own. Lock: obj->lock guards npages, cap and pages (taken under mm->lock
 * and under a ramfs inode->lock; it is the innermost of these).
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>

static struct vm_object *object_alloc(size_t npages, size_t cap, size_t *account)
{
	__free(kfree) struct vm_object *obj = kzalloc(sizeof(*obj));
	if (!obj)
		return NULL;
	if (cap) {
		obj->pages = kcalloc(cap, sizeof(*obj->pages));
		if (!obj->pages)
			return NULL;
	}
	ref_init(&obj->ref);
	spin_init(&obj->lock, "vm_object");
	obj->npages = npages;
	obj->cap = cap;
	obj->account = account;
	return take_ptr(obj);
}

struct vm_object *vm_object_create(size_t npages)
{
	if (npages == 0)
		return NULL;
	return object_alloc(npages, npages, NULL);
}

struct vm_object *vm_object_create_growable(size_t npages, size_t *account)
{
	return object_alloc(npages, 0, account);
}

void vm_object_get(struct vm_object *obj) { ref_get(&obj->ref); }

static void account_add(struct vm_object *obj, long pages)
{
	if (obj->account)
		__atomic_add_fetch(obj->account, (size_t)(pages * (long)PAGE_SIZE), __ATOMIC_RELAXED);
}

static void vm_object_release(struct ref *r)
{
	struct vm_object *obj = container_of(r, struct vm_object, ref);

	for (size_t i = 0; i < obj->cap; i++) {
		if (obj->pages[i]) {
			frame_put(obj->pages[i]);
			account_add(obj, -1);
		}
	}
	kfree(obj->pages);
	kfree(obj);
}

void vm_object_put(struct vm_object *obj)
{
	if (obj)
		ref_put(&obj->ref, vm_object_release);
}

size_t vm_object_npages(const struct vm_object *obj) { return READ_ONCE(obj->npages); }

/* Grow pages[] to hold index. Caller holds obj->lock. */
static int grow_slots_locked(struct vm_object *obj, size_t index)
{
	size_t cap = MAX(index + 1, MIN(obj->cap * 2, obj->npages));
	struct frame **np;

	if (index < obj->cap)
		return 0;
	np = kcalloc(cap, sizeof(*np));
	if (!np)
		return -ENOMEM;
	if (obj->pages)
		memcpy(np, obj->pages, obj->cap * sizeof(*np));
	kfree(obj->pages);
	obj->pages = np;
	obj->cap = cap;
	return 0;
}

/* The frame at index, allocated zeroed when alloc. Caller holds obj->lock
 * and has checked index < npages. */
static int page_locked(struct vm_object *obj, size_t index, bool alloc, struct frame **out)
{
	*out = NULL;
	if (index >= obj->cap && !alloc)
		return 0;
	if (grow_slots_locked(obj, index))
		return -ENOMEM;
	if (!obj->pages[index] && alloc) {
		obj->pages[index] = frame_alloc_zeroed();
		if (!obj->pages[index])
			return -ENOMEM;
		account_add(obj, 1);
	}
	*out = obj->pages[index];
	return 0;
}

struct frame *vm_object_page(struct vm_object *obj, size_t index)
{
	struct frame *f = NULL;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	if (index < obj->npages)
		page_locked(obj, index, true, &f);
	spin_unlock_irqrestore(&obj->lock, flags);
	return f;
}

int vm_object_getpage(struct vm_object *obj, size_t index, bool alloc, struct frame **out)
{
	int err = -ENXIO;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	*out = NULL;
	if (index < obj->npages) {
		err = page_locked(obj, index, alloc, out);
		if (*out)
			frame_get(*out);
	}
	spin_unlock_irqrestore(&obj->lock, flags);
	return err;
}

void vm_object_set_size(struct vm_object *obj, size_t npages)
{
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	obj->npages = npages;
	for (size_t i = npages; i < obj->cap; i++) {
		struct frame *f = obj->pages[i];
		if (!f)
			continue;
		if (frame_refcount(f) == 1) {
			obj->pages[i] = NULL; /* nobody maps it */
			frame_put(f);
			account_add(obj, -1);
		} else {
			memset(frame_to_virt(f), 0, PAGE_SIZE);
		}
	}
	spin_unlock_irqrestore(&obj->lock, flags);
}

size_t vm_object_resident(struct vm_object *obj)
{
	size_t n = 0;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	for (size_t i = 0; i < obj->cap; i++)
		n += obj->pages[i] != NULL;
	spin_unlock_irqrestore(&obj->lock, flags);
	return n;
}
