/*
 * Slab caches: one page per slab, header first, objects after it. A slab
 * that becomes empty is returned to the frame allocator at once, so memory
 * taken by kmalloc comes back when it is freed.
 * Lock: cache->lock (irqsave) for the lists and the slab headers.
 * Debug builds poison free objects and check the poison when they are
 * handed out again (slab.h). There an empty slab is not given back at
 * once: it waits on the cache's empty list (at most SLAB_QUARANTINE, the
 * oldest leaving first; reused before a new page is taken) and every
 * object's poison is checked when it leaves, so a write into a wholly
 * freed slab is caught too (slab_drain_empty, also at each read of
 * /proc/ferrite/counters, which keeps its frames_free exact).
 */
#include "slab.h"
#include <ferrite/cleanup.h>
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_mmu.h>

struct slab {
	struct list_head node; /* in cache->partial or cache->full */
	struct slab_cache *cache;
	void *free;     /* first free object; each free object starts with the next */
	unsigned inuse; /* allocated objects */
	unsigned pad;
};

#define SLAB_HEADER_SIZE ALIGN_UP(sizeof(struct slab), 16)

void slab_cache_init(struct slab_cache *c, const char *name, size_t obj_size)
{
	spin_init(&c->lock, name);
	c->name = name;
	c->obj_size = ALIGN_UP(MAX(obj_size, sizeof(void *)), sizeof(void *));
	c->objs_per_slab = (PAGE_SIZE - SLAB_HEADER_SIZE) / c->obj_size;
	BUG_ON(c->objs_per_slab == 0);
	list_init(&c->partial);
	list_init(&c->full);
	c->nr_slabs = 0;
#ifdef FERRITE_DEBUG
	list_init(&c->empty);
	c->nr_empty = 0;
#endif
}

static struct slab *slab_of(const void *obj)
{
	return (struct slab *)ALIGN_DOWN((uintptr_t)obj, PAGE_SIZE);
}

struct slab_cache *slab_cache_of(const void *obj) { return slab_of(obj)->cache; }

#ifdef FERRITE_DEBUG
static void poison(struct slab_cache *c, void *obj)
{
	((uint64_t *)obj)[1] = SLAB_FREE_MAGIC;
	memset((char *)obj + SLAB_DEBUG_HEADER, SLAB_POISON, c->obj_size - SLAB_DEBUG_HEADER);
}

bool slab_check_poison(struct slab_cache *c, void *obj, const char *when)
{
	const uint8_t *b = obj;
	size_t first = 0, n = 0;

	if (((uint64_t *)obj)[1] != SLAB_FREE_MAGIC) {
		kprintf("BUG: kmalloc: free object %p of %s lost its free mark (%s)\n", obj,
			c->name, when);
		return false;
	}
	/* Word by word (objects are multiples of 8 bytes); bytes only when a
	 * word differs. */
	for (size_t w = SLAB_DEBUG_HEADER; w < c->obj_size; w += 8) {
		if (*(const uint64_t *)(b + w) == 0x6b6b6b6b6b6b6b6bull)
			continue;
		for (size_t i = w; i < w + 8; i++) {
			if (b[i] != SLAB_POISON) {
				if (!n++)
					first = i;
			}
		}
	}
	if (!n)
		return true;
	kprintf("BUG: kmalloc: use after free: object %p of %s written after kfree (%s): "
		"%zu bytes, first at offset %zu (0x%02x)\n", obj, c->name, when, n,
		first - SLAB_DEBUG_HEADER, b[first]);
	return false;
}

unsigned slab_check_cache(struct slab_cache *c, bool (*check)(void *obj, bool free))
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct list_head *lists[3] = { &c->partial, &c->full, &c->empty };
	unsigned bad = 0;

	for (int l = 0; l < 3; l++) {
		struct slab *s;
		list_for_each_entry(s, lists[l], node) {
			char *base = (char *)s + SLAB_HEADER_SIZE;
			for (unsigned i = 0; i < c->objs_per_slab; i++) {
				void *obj = base + i * c->obj_size;
				bool free = false;
				for (void **f = s->free; f; f = *f)
					if ((void *)f == obj) {
						free = true;
						break;
					}
				if (!check(obj, free))
					bad++;
			}
		}
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return bad;
}

#define SLAB_QUARANTINE 2

/* Every object of the empty slab s: still poisoned? Return the bad ones. */
static unsigned check_empty_slab(struct slab_cache *c, struct slab *s, const char *when)
{
	char *base = (char *)s + SLAB_HEADER_SIZE;
	unsigned bad = 0;

	for (unsigned i = 0; i < c->objs_per_slab; i++)
		bad += !slab_check_poison(c, base + i * c->obj_size, when);
	return bad;
}

/* Take the oldest empty slab off c's list, checked; the caller frees its
 * frame (outside the lock) or reuses it. */
static struct slab *empty_take_oldest(struct slab_cache *c, const char *when, unsigned *bad)
{
	assert_locked(&c->lock);
	struct slab *s = list_entry(c->empty.prev, struct slab, node);
	list_del(&s->node);
	c->nr_empty--;
	*bad += check_empty_slab(c, s, when);
	return s;
}

unsigned slab_drain_empty(struct slab_cache *c)
{
	unsigned bad = 0;

	for (;;) {
		struct slab *s = NULL;
		scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &c->lock, 0 })) {
			if (c->nr_empty) {
				s = empty_take_oldest(c, "found when its empty slab was freed", &bad);
				c->nr_slabs--;
			}
		}
		if (!s)
			return bad;
		frame_put(phys_to_frame(virt_to_phys(s)));
	}
}
#else
#define poison(c, obj) ((void)0)
#endif

/* A fresh slab with every object on its free list; NULL on ENOMEM. */
static struct slab *slab_new(struct slab_cache *c)
{
	struct frame *f = frame_alloc();

	if (!f)
		return NULL;
	f->flags |= FRAME_SLAB;
	struct slab *s = frame_to_virt(f);
	s->cache = c;
	s->inuse = 0;
	s->free = NULL;
	char *base = (char *)s + SLAB_HEADER_SIZE;
	for (unsigned i = c->objs_per_slab; i-- > 0;) {
		void **obj = (void **)(base + i * c->obj_size);
		poison(c, obj);
		*obj = s->free;
		s->free = obj;
	}
	list_init(&s->node);
	return s;
}

/* One object from c's first partial slab (a new slab when none).
 * Lock: c->lock. */
static void *slab_alloc_locked(struct slab_cache *c)
{
	struct slab *s;

	if (list_empty(&c->partial)) {
#ifdef FERRITE_DEBUG
		if (c->nr_empty) { /* checked, then used again */
			unsigned bad = 0;
			s = empty_take_oldest(c, "found when its empty slab was reused", &bad);
			list_add(&s->node, &c->partial);
			goto have_partial;
		}
#endif
		/* Allocate outside the lock would be nicer, but frame_lock is a
		 * leaf lock and never takes a cache lock, so nesting is safe. */
		s = slab_new(c);
		if (!s)
			return NULL;
		list_add(&s->node, &c->partial);
		c->nr_slabs++;
	}
#ifdef FERRITE_DEBUG
have_partial:
#endif
	s = list_first_entry(&c->partial, struct slab, node);
	void **obj = s->free;
#ifdef FERRITE_DEBUG
	slab_check_poison(c, obj, "found at allocation"); /* reported; used anyway */
#endif
	s->free = *obj;
	s->inuse++;
	if (!s->free)
		list_move_tail(&s->node, &c->full);
	return obj;
}

void *slab_alloc(struct slab_cache *c)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	void *obj = slab_alloc_locked(c);
	spin_unlock_irqrestore(&c->lock, flags);
	return obj;
}

/* s has just become empty: the frame to give back, or NULL when kept. */
static struct frame *slab_became_empty(struct slab_cache *c, struct slab *s)
{
#ifdef FERRITE_DEBUG
	/* Kept back; past the quarantine the oldest kept one leaves, checked. */
	list_del(&s->node);
	list_add(&s->node, &c->empty);
	if (++c->nr_empty <= SLAB_QUARANTINE)
		return NULL;
	unsigned bad = 0;
	s = empty_take_oldest(c, "found when its empty slab was freed", &bad);
#else
	list_del(&s->node);
#endif
	c->nr_slabs--;
	return phys_to_frame(virt_to_phys(s));
}

unsigned slab_alloc_bulk(struct slab_cache *c, void **objs, unsigned n)
{
	unsigned long flags = spin_lock_irqsave(&c->lock);
	unsigned got = 0;

	while (got < n && (objs[got] = slab_alloc_locked(c)))
		got++;
	spin_unlock_irqrestore(&c->lock, flags);
	return got;
}

/* Put p back on its slab; return the slab's frame when the slab became
 * empty (the caller frees it once the lock is dropped), else NULL.
 * Lock: c->lock, c being p's cache. */
static struct frame *slab_free_locked(struct slab_cache *c, void *p)
{
	struct slab *s = slab_of(p);

	BUG_ON(s->cache != c);
	BUG_ON(((uintptr_t)p - (uintptr_t)s - SLAB_HEADER_SIZE) % c->obj_size);
	BUG_ON(s->inuse == 0);
	if (!s->free)
		list_move_tail(&s->node, &c->partial); /* was full */
	poison(c, p);
	*(void **)p = s->free;
	s->free = p;
	if (--s->inuse)
		return NULL;
	return slab_became_empty(c, s);
}

void slab_free(void *p)
{
	struct slab_cache *c = slab_of(p)->cache;
	unsigned long flags = spin_lock_irqsave(&c->lock);
	struct frame *to_free = slab_free_locked(c, p);

	spin_unlock_irqrestore(&c->lock, flags);
	if (to_free)
		frame_put(to_free);
}

void slab_free_bulk(struct slab_cache *c, void *const *objs, unsigned n)
{
	struct frame *to_free[SLAB_BULK_MAX];
	unsigned nr_free = 0;

	BUG_ON(n > SLAB_BULK_MAX);
	unsigned long flags = spin_lock_irqsave(&c->lock);
	for (unsigned i = 0; i < n; i++) {
		struct frame *f = slab_free_locked(c, objs[i]);
		if (f)
			to_free[nr_free++] = f;
	}
	spin_unlock_irqrestore(&c->lock, flags);
	while (nr_free)
		frame_put(to_free[--nr_free]);
}
