/*
 * vm_object: a refcounted array of frames indexed by page offset, the
 * backing store of MAP_SHARED anonymous memory, System V shm segments and
 * ramfs regular files (whose object IS the file data, so read/write and
 * MAP_SHARED mappings see the same frames).
 *
 * Fixed objects (vm_object_create) span npages from the start. Growable
 * objects (vm_object_create_growable) start empty; vm_object_set_size moves
 * their end. Either way the slot table (a two-level table, see
 * mm_internal.h) grows when a page is first allocated, so a large sparse
 * object costs nothing until touched and no allocation is proportional to
 * its size. Shrinking frees the pages
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

#define VM_LEAF_SLOTS (PAGE_SIZE / sizeof(struct frame *))

static struct vm_object *object_alloc(size_t npages, size_t *account)
{
	struct vm_object *obj = kzalloc(sizeof(*obj));

	if (!obj)
		return NULL;
	ref_init(&obj->ref);
	spin_init(&obj->lock, "vm_object");
	obj->npages = npages;
	obj->account = account;
	return obj;
}

struct vm_object *vm_object_create(size_t npages)
{
	if (npages == 0)
		return NULL;
	return object_alloc(npages, NULL);
}

struct vm_object *vm_object_create_growable(size_t npages, size_t *account)
{
	return object_alloc(npages, account);
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

	if (obj->inode || obj->lru.next)
		vm_object_cache_forget(obj);

	for (size_t l = 0; l < obj->nleaves; l++) {
		struct frame **leaf = obj->leaves[l];
		if (!leaf)
			continue;
		for (size_t i = 0; i < VM_LEAF_SLOTS; i++) {
			if (leaf[i]) {
				vm_object_clean_locked(obj, leaf[i]);
				frame_put(leaf[i]);
				account_add(obj, -1);
			}
		}
		kfree(leaf);
	}
	kfree(obj->leaves);
	kfree(obj);
}

void vm_object_put(struct vm_object *obj)
{
	if (obj)
		ref_put(&obj->ref, vm_object_release);
}

size_t vm_object_npages(const struct vm_object *obj) { return READ_ONCE(obj->npages); }

/* The slot of index: NULL when its leaf does not exist and !make (or on
 * ENOMEM). Caller holds obj->lock. */
struct frame **vm_object_slot_locked(struct vm_object *obj, size_t index, bool make)
{
	size_t l = index / VM_LEAF_SLOTS;

	if (l >= obj->nleaves) {
		if (!make)
			return NULL;
		size_t n = MAX(l + 1, obj->nleaves * 2);
		struct frame ***nl = kcalloc(n, sizeof(*nl));
		if (!nl)
			return NULL;
		if (obj->leaves)
			memcpy(nl, obj->leaves, obj->nleaves * sizeof(*nl));
		kfree(obj->leaves);
		obj->leaves = nl;
		obj->nleaves = n;
	}
	if (!obj->leaves[l]) {
		if (!make)
			return NULL;
		obj->leaves[l] = kzalloc(VM_LEAF_SLOTS * sizeof(struct frame *));
		if (!obj->leaves[l])
			return NULL;
	}
	return &obj->leaves[l][index % VM_LEAF_SLOTS];
}

/* The frame at index, allocated zeroed when alloc. Caller holds obj->lock
 * and has checked index < npages. */
static int page_locked(struct vm_object *obj, size_t index, bool alloc, struct frame **out)
{
	struct frame **slot = vm_object_slot_locked(obj, index, alloc);

	*out = NULL;
	if (!slot)
		return alloc ? -ENOMEM : 0;
	if (!*slot && alloc) {
		*slot = frame_alloc_zeroed();
		if (!*slot)
			return -ENOMEM;
		account_add(obj, 1);
	}
	*out = *slot;
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
	for (size_t i = npages; i < obj->nleaves * VM_LEAF_SLOTS; i++) {
		struct frame **slot = vm_object_slot_locked(obj, i, false);
		if (!slot) { /* no leaf: skip to the next one */
			i = ALIGN_UP(i + 1, VM_LEAF_SLOTS) - 1;
			continue;
		}
		struct frame *f = *slot;
		if (!f)
			continue;
		vm_object_clean_locked(obj, f); /* past the end: nothing to write */
		if (frame_refcount(f) == 1) {
			*slot = NULL; /* nobody maps it */
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

	for (size_t l = 0; l < obj->nleaves; l++)
		for (size_t i = 0; obj->leaves[l] && i < VM_LEAF_SLOTS; i++)
			n += obj->leaves[l][i] != NULL;
	spin_unlock_irqrestore(&obj->lock, flags);
	return n;
}
