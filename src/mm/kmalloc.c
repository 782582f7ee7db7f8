/*
 * kmalloc: sizes up to 2048 bytes come from power-of-two slab caches;
 * bigger ones are page runs from pages_alloc() whose head frame is flagged
 * FRAME_KMALLOC and keeps the order, so kfree() needs no size.
 * Locking: the slab caches have their own locks; live_bytes is atomic.
 */
#include "slab.h"
#include <ferrite/fault_inject.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_mmu.h>

#define KMALLOC_MIN_SHIFT 4  /* 16 bytes */
#define KMALLOC_MAX_SHIFT 11 /* 2048 bytes */
#define KMALLOC_NR_CLASSES (KMALLOC_MAX_SHIFT - KMALLOC_MIN_SHIFT + 1)

static struct slab_cache kmalloc_caches[KMALLOC_NR_CLASSES];
static const char *const cache_names[KMALLOC_NR_CLASSES] = {
	"kmalloc-16", "kmalloc-32", "kmalloc-64", "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};
static size_t live_bytes; /* atomic */
static bool kmalloc_ready;

void kmalloc_init(void)
{
	for (int i = 0; i < KMALLOC_NR_CLASSES; i++)
		slab_cache_init(&kmalloc_caches[i], cache_names[i], 1UL << (KMALLOC_MIN_SHIFT + i));
	kmalloc_ready = true;
}

static int size_class(size_t size)
{
	int i = 0;

	while ((1UL << (KMALLOC_MIN_SHIFT + i)) < size)
		i++;
	return i;
}

void *kmalloc(size_t size)
{
	BUG_ON(!kmalloc_ready);
	if (fault_inject_fail())
		return NULL;
	if (size == 0)
		size = 1;
	if (size <= (1UL << KMALLOC_MAX_SHIFT)) {
		struct slab_cache *c = &kmalloc_caches[size_class(size)];
		void *p = slab_alloc(c);
		if (p)
			__atomic_fetch_add(&live_bytes, c->obj_size, __ATOMIC_RELAXED);
		return p;
	}
	unsigned order = 0;
	while ((PAGE_SIZE << order) < size) {
		if (++order > FRAME_MAX_ORDER)
			return NULL;
	}
	void *p = pages_alloc(order);
	if (!p)
		return NULL;
	phys_to_frame(virt_to_phys(p))->flags |= FRAME_KMALLOC;
	__atomic_fetch_add(&live_bytes, PAGE_SIZE << order, __ATOMIC_RELAXED);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void *kcalloc(size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total))
		return NULL;
	return kzalloc(total);
}

void kfree(void *p)
{
	if (!p)
		return;
	struct frame *f = phys_to_frame(virt_to_phys((void *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE)));
	BUG_ON(!f);
	if (f->flags & FRAME_SLAB) {
		size_t sz = slab_cache_of(p)->obj_size;
		slab_free(p);
		__atomic_fetch_sub(&live_bytes, sz, __ATOMIC_RELAXED);
		return;
	}
	BUG_ON(!(f->flags & FRAME_KMALLOC) || !IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
	unsigned order = f->order;
	__atomic_fetch_sub(&live_bytes, PAGE_SIZE << order, __ATOMIC_RELAXED);
	pages_free(p, order);
}

size_t kmalloc_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }
