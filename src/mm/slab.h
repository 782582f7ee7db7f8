/*
 * Slab caches (private to src/mm): fixed-size objects packed in single pages.
 * Each page starts with a struct slab header; the free objects of a slab form
 * a singly linked list threaded through the objects themselves.
 * Lock: cache->lock (irqsave) guards the cache's lists and every slab in it.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/spinlock.h>

struct slab_cache {
	struct spinlock lock;
	size_t obj_size;
	unsigned objs_per_slab;
	struct list_head partial; /* Lock: lock; slabs with free objects */
	struct list_head full;    /* Lock: lock */
	size_t nr_slabs;          /* Lock: lock */
	const char *name;
};

void slab_cache_init(struct slab_cache *c, const char *name, size_t obj_size);
/* Return: an object of c->obj_size bytes (contents undefined) or NULL. */
void *slab_alloc(struct slab_cache *c);
/* Free obj, which must come from slab_alloc(c) with c its cache. */
void slab_free(void *obj);
/* The cache an object came from (obj must lie in a slab page). */
struct slab_cache *slab_cache_of(const void *obj);
