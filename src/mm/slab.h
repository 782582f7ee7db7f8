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
#ifdef FERRITE_DEBUG
	/* Empty slabs kept back from the frame allocator, newest first, at
	 * most SLAB_QUARANTINE: their poison is checked when they leave
	 * (slab.c). Lock: lock */
	struct list_head empty;
	unsigned nr_empty;
#endif
};

void slab_cache_init(struct slab_cache *c, const char *name, size_t obj_size);
/* Return: an object of c->obj_size bytes (contents undefined) or NULL. */
void *slab_alloc(struct slab_cache *c);
/* Free obj, which must come from slab_alloc(c) with c its cache. */
void slab_free(void *obj);
/* Up to n (at most SLAB_BULK_MAX) objects of c into objs under one lock
 * hold; return how many (fewer on ENOMEM). */
#define SLAB_BULK_MAX 16
unsigned slab_alloc_bulk(struct slab_cache *c, void **objs, unsigned n);
/* Free n (at most SLAB_BULK_MAX) objects, all of cache c, under one lock hold. */
void slab_free_bulk(struct slab_cache *c, void *const *objs, unsigned n);
/* The cache an object came from (obj must lie in a slab page). */
struct slab_cache *slab_cache_of(const void *obj);

#ifdef FERRITE_DEBUG
/*
 * Debug builds: a free object holds its free-list link in its first word,
 * SLAB_FREE_MAGIC in its second, and SLAB_POISON in every byte after.
 * slab_alloc checks the poison (a write after free is reported, with
 * "BUG:"); kmalloc.c replaces the magic with its own while the object is
 * allocated. slab_check_cache walks every slab of c under its lock and
 * calls check on each object (free: whether it is free); returns the
 * number of bad objects check reported.
 */
#define SLAB_FREE_MAGIC 0xf7eef7eef7eef7eeull
#define SLAB_POISON 0x6b
#define SLAB_DEBUG_HEADER 16 /* the link and the magic */
unsigned slab_check_cache(struct slab_cache *c, bool (*check)(void *obj, bool free));
/* Report poison bytes of the free object obj that were overwritten. */
bool slab_check_poison(struct slab_cache *c, void *obj, const char *when);
/* Check and give back every empty slab c keeps; return the number of bad
 * objects found. */
unsigned slab_drain_empty(struct slab_cache *c);
#endif
