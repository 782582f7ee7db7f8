/*
 * vm_object: a refcounted array of frames indexed by page offset, the
 * backing store of MAP_SHARED anonymous memory and System V shm segments.
 * The object holds one reference to each of its frames; mappings take their
 * own. Lock: obj->lock guards the pages array (taken under mm->lock).
 */
#include "mm_internal.h"
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>

struct vm_object *vm_object_create(size_t npages)
{
	if (npages == 0)
		return NULL;
	__free(kfree) struct vm_object *obj = kzalloc(sizeof(*obj));
	if (!obj)
		return NULL;
	obj->pages = kcalloc(npages, sizeof(*obj->pages));
	if (!obj->pages)
		return NULL;
	ref_init(&obj->ref);
	spin_init(&obj->lock, "vm_object");
	obj->npages = npages;
	return take_ptr(obj);
}

void vm_object_get(struct vm_object *obj) { ref_get(&obj->ref); }

static void vm_object_release(struct ref *r)
{
	struct vm_object *obj = container_of(r, struct vm_object, ref);

	for (size_t i = 0; i < obj->npages; i++)
		if (obj->pages[i])
			frame_put(obj->pages[i]);
	kfree(obj->pages);
	kfree(obj);
}

void vm_object_put(struct vm_object *obj)
{
	if (obj)
		ref_put(&obj->ref, vm_object_release);
}

size_t vm_object_npages(const struct vm_object *obj) { return obj->npages; }

struct frame *vm_object_page(struct vm_object *obj, size_t index)
{
	if (index >= obj->npages)
		return NULL;
	unsigned long flags = spin_lock_irqsave(&obj->lock);
	if (!obj->pages[index])
		obj->pages[index] = frame_alloc_zeroed();
	struct frame *f = obj->pages[index];
	spin_unlock_irqrestore(&obj->lock, flags);
	return f;
}

size_t vm_object_resident(struct vm_object *obj)
{
	size_t n = 0;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	for (size_t i = 0; i < obj->npages; i++)
		n += obj->pages[i] != NULL;
	spin_unlock_irqrestore(&obj->lock, flags);
	return n;
}
