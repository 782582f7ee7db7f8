/*
 * kmalloc: sizes up to 2048 bytes come from power-of-two slab caches;
 * bigger ones are page runs from pages_alloc() whose head frame is flagged
 * FRAME_KMALLOC and keeps the order, so kfree() needs no size.
 * Locking: the slab caches have their own locks; live_bytes is atomic.
 *
 * Per-CPU magazines (release kernels built with -DKMALLOC_MAGAZINES=1;
 * off by default, see below): each CPU keeps up to
 * KMALLOC_MAG_SIZE free objects of each class in its struct kmalloc_mag;
 * kmalloc and kfree pop and push there under that CPU's magazine lock
 * (uncontended: only kmalloc_drain_all takes another CPU's), and move
 * KMALLOC_MAG_BATCH objects to or from the slab cache under one cache lock
 * hold. The magazine lock is a leaf: the slab cache is called with it
 * dropped (a slab refill may reclaim page-cache pages, which kfrees).
 * An object in a magazine is free (live_bytes leaves it out) but keeps its
 * slab page: kmalloc_drain_all gives every magazine back, and the
 * counters file calls it, so frames_free stays exact for leak checks.
 *
 * Debug builds (FERRITE_DEBUG) wrap every slab object: a 16-byte header
 * (the requested size, KMALLOC_LIVE_MAGIC), the caller's bytes, then a red
 * zone of KMALLOC_REDZONE bytes (at least 8) to the end of the object.
 * kfree checks the mark (a double or wild free) and the red zone (a write
 * past the requested size); slab.c poisons freed objects and checks the
 * poison when one is handed out again (a write after free), and an empty
 * slab's objects before the page goes back (kmalloc_drain_empty). Page-run
 * allocations are not wrapped. kmalloc_check_all() (/proc/ferrite/
 * kmalloc_check) checks every object of every cache. Each finding is a
 * "BUG: kmalloc:" line, which fails a test run.
 */
#include "slab.h"
#include <ferrite/cpu.h>
#include <ferrite/fault_inject.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/ksyms.h>
#include <ferrite/errno.h>
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

static void mags_init(void);

void kmalloc_init(void)
{
	for (int i = 0; i < KMALLOC_NR_CLASSES; i++)
		slab_cache_init(&kmalloc_caches[i], cache_names[i], 1UL << (KMALLOC_MIN_SHIFT + i));
	mags_init();
	kmalloc_ready = true;
}

static int size_class(size_t size)
{
	int i = 0;

	while ((1UL << (KMALLOC_MIN_SHIFT + i)) < size)
		i++;
	return i;
}

#ifdef FERRITE_DEBUG
#define KMALLOC_LIVE_MAGIC 0xa110ca7eda110ca7ull
#define KMALLOC_REDZONE 0xcc
#define KMALLOC_DEBUG_EXTRA (SLAB_DEBUG_HEADER + 8) /* header, least red zone */

static void *debug_wrap(struct slab_cache *c, void *obj, size_t size)
{
	uint64_t *h = obj;

	h[0] = size;
	h[1] = KMALLOC_LIVE_MAGIC;
	memset((char *)obj + SLAB_DEBUG_HEADER + size, KMALLOC_REDZONE,
	       c->obj_size - SLAB_DEBUG_HEADER - size);
	return (char *)obj + SLAB_DEBUG_HEADER;
}

/* A live object's red zone; false (and reported) when written. */
static bool check_redzone(struct slab_cache *c, void *obj, uintptr_t ip)
{
	uint64_t *h = obj;
	size_t size = h[0];
	const uint8_t *b = obj;

	if (size > c->obj_size - SLAB_DEBUG_HEADER) {
		kprintf("BUG: kmalloc: object %p of %s: its size word is overwritten (%#lx)\n",
			(char *)obj + SLAB_DEBUG_HEADER, c->name, (unsigned long)size);
		return false;
	}
	for (size_t i = SLAB_DEBUG_HEADER + size; i < c->obj_size; i++) {
		if (b[i] == KMALLOC_REDZONE)
			continue;
		uintptr_t off = 0;
		const char *sym = ip ? ksym_lookup(ip, &off) : NULL;
		kprintf("BUG: kmalloc: red zone overwritten: object %p of %s (%zu bytes asked), "
			"byte %zu past the end is 0x%02x%s%s\n",
			(char *)obj + SLAB_DEBUG_HEADER, c->name, size,
			i - SLAB_DEBUG_HEADER - size, b[i], sym ? ", freed by " : "", sym ? sym : "");
		return false;
	}
	return true;
}

static bool check_object(void *obj, bool free)
{
	struct slab_cache *c = slab_cache_of(obj);

	if (free)
		return slab_check_poison(c, obj, "found by kmalloc_check");
	if (((uint64_t *)obj)[1] != KMALLOC_LIVE_MAGIC) {
		kprintf("BUG: kmalloc: allocated object %p of %s lost its mark\n",
			(char *)obj + SLAB_DEBUG_HEADER, c->name);
		return false;
	}
	return check_redzone(c, obj, 0);
}

unsigned kmalloc_check_all(void)
{
	unsigned bad = 0;

	for (int i = 0; i < KMALLOC_NR_CLASSES; i++)
		bad += slab_check_cache(&kmalloc_caches[i], check_object);
	pr_info("kmalloc_check: %u bad objects\n", bad);
	return bad;
}
unsigned kmalloc_drain_empty(void)
{
	unsigned bad = 0;

	for (int i = 0; i < KMALLOC_NR_CLASSES; i++)
		bad += slab_drain_empty(&kmalloc_caches[i]);
	return bad;
}

int kmalloc_check_store(const char *text, size_t len)
{
	(void)text;
	(void)len;
	return kmalloc_check_all() ? -EIO : 0;
}

/* Before other CPUs and the tick: nothing else allocates meanwhile, so a
 * freed object is the next one its cache hands out. */
void kmalloc_selftest(void)
{
	unsigned found = 0;
	/* Keeps the slab alive: an empty slab goes back to the frame allocator. */
	char *pin = kmalloc(20);
	if (!pin)
		return;

	pr_info("kmalloc selftest: a write one byte past a 20-byte object\n");
	char *p = kmalloc(20);
	if (!p)
		goto out;
	p[20] = 'x';
	found += !check_redzone(slab_cache_of(p), p - SLAB_DEBUG_HEADER, 0);
	p[20] = (char)KMALLOC_REDZONE; /* kfree would report it again */
	kfree(p);

	pr_info("kmalloc selftest: a write after kfree\n");
	p = kmalloc(20);
	if (!p)
		goto out;
	kfree(p);
	p[4] = 'x'; /* a use after free */
	found += kmalloc_check_all() == 1;
	char *q = kmalloc(20); /* the same object: reported again at allocation */
	if (q != p)
		kprintf("BUG: kmalloc selftest: the freed object was not reused\n");
	kfree(q);

	/* 1500 bytes and the debug header fill a 2048-byte object, alone in
	 * its slab page: kfree empties the slab, which the debug build keeps
	 * back and checks when it is given back. */
	pr_info("kmalloc selftest: a write into a wholly freed slab\n");
	p = kmalloc(1500);
	if (!p)
		goto out;
	kfree(p);
	p[100] = 'x';
	found += kmalloc_drain_empty() == 1;

	pr_info("kmalloc selftest: kfree twice\n");
	p = kmalloc(20);
	if (!p)
		goto out;
	kfree(p);
	kfree(p); /* reported (and ignored) */
	/* The boot test (run-tests.sh) also wants the four report lines. */
	if (found == 3)
		pr_info("kmalloc selftest: done\n");
	else
		kprintf("BUG: kmalloc selftest: %u of 3 checks found their fault\n", found);
out:
	kfree(pin);
}
#else
#define KMALLOC_DEBUG_EXTRA 0
#endif

/* Debug builds leave the magazines out, so that every free is poisoned and
 * every allocation checked by slab.c; so do host tests (they compare free
 * frame counts right after kfree). */
/*
 * Off by default: with the magazines on, the runner's leak check saw
 * frames_free one page lower after smp_threads at -smp 4 in about half the
 * runs (never lower still on repeats, kmalloc_bytes unchanged), as if the
 * reordered frees left one more slab page partly used; until that is
 * understood, the leak check's exactness wins over the ~5% fork+exit gain.
 */
#ifndef KMALLOC_MAGAZINES
#define KMALLOC_MAGAZINES 0
#endif

#if KMALLOC_MAGAZINES && !defined(FERRITE_DEBUG) && !defined(FERRITE_HOST)
#define KMALLOC_MAG_SIZE 16
#define KMALLOC_MAG_BATCH 8
_Static_assert(KMALLOC_MAG_SIZE <= SLAB_BULK_MAX, "a drain is one bulk free");

struct kmalloc_mag {
	struct spinlock lock;
	unsigned n[KMALLOC_NR_CLASSES];                    /* Lock: lock */
	void *objs[KMALLOC_NR_CLASSES][KMALLOC_MAG_SIZE]; /* Lock: lock; newest last */
} __aligned(64);

static struct kmalloc_mag kmalloc_mags[MAX_CPUS];

static void mags_init(void)
{
	for (unsigned c = 0; c < MAX_CPUS; c++)
		spin_init(&kmalloc_mags[c].lock, "kmalloc_mag");
}

static void *mag_alloc(int cls)
{
	struct kmalloc_mag *m = &kmalloc_mags[hal_cpu_id()];
	void *batch[KMALLOC_MAG_BATCH];
	void *p = NULL;
	unsigned long flags = spin_lock_irqsave(&m->lock);

	if (m->n[cls])
		p = m->objs[cls][--m->n[cls]];
	spin_unlock_irqrestore(&m->lock, flags);
	if (p)
		return p;
	/* Empty: a batch from the cache, one for the caller, the rest kept. */
	unsigned got = slab_alloc_bulk(&kmalloc_caches[cls], batch, KMALLOC_MAG_BATCH);
	if (!got)
		return NULL;
	p = batch[--got];
	m = &kmalloc_mags[hal_cpu_id()];
	flags = spin_lock_irqsave(&m->lock);
	while (got && m->n[cls] < KMALLOC_MAG_SIZE)
		m->objs[cls][m->n[cls]++] = batch[--got];
	spin_unlock_irqrestore(&m->lock, flags);
	if (got) /* filled meanwhile (an interrupt's kfree) */
		slab_free_bulk(&kmalloc_caches[cls], batch, got);
	return p;
}

static void mag_free(int cls, void *p)
{
	struct kmalloc_mag *m = &kmalloc_mags[hal_cpu_id()];
	void *batch[KMALLOC_MAG_BATCH];
	unsigned out = 0;
	unsigned long flags = spin_lock_irqsave(&m->lock);

	if (m->n[cls] == KMALLOC_MAG_SIZE) {
		/* Full: the oldest half goes back to the cache. */
		out = KMALLOC_MAG_BATCH;
		memcpy(batch, m->objs[cls], sizeof(batch));
		memmove(m->objs[cls], m->objs[cls] + out,
			(KMALLOC_MAG_SIZE - out) * sizeof(void *));
		m->n[cls] -= out;
	}
	m->objs[cls][m->n[cls]++] = p;
	spin_unlock_irqrestore(&m->lock, flags);
	if (out)
		slab_free_bulk(&kmalloc_caches[cls], batch, out);
}

void kmalloc_drain_all(void)
{
	void *batch[KMALLOC_MAG_SIZE];

	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct kmalloc_mag *m = &kmalloc_mags[c];
		for (int cls = 0; cls < KMALLOC_NR_CLASSES; cls++) {
			unsigned long flags = spin_lock_irqsave(&m->lock);
			unsigned n = m->n[cls];
			memcpy(batch, m->objs[cls], n * sizeof(void *));
			m->n[cls] = 0;
			spin_unlock_irqrestore(&m->lock, flags);
			if (n)
				slab_free_bulk(&kmalloc_caches[cls], batch, n);
		}
	}
}
#else
static void mags_init(void) {}
static void *mag_alloc(int cls) { return slab_alloc(&kmalloc_caches[cls]); }
static void mag_free(int cls, void *p)
{
	(void)cls;
	slab_free(p);
}
void kmalloc_drain_all(void) {}
#endif

void *kmalloc(size_t size)
{
	BUG_ON(!kmalloc_ready);
	if (fault_inject_fail())
		return NULL;
	if (size == 0)
		size = 1;
	if (size + KMALLOC_DEBUG_EXTRA <= (1UL << KMALLOC_MAX_SHIFT)) {
		int cls = size_class(size + KMALLOC_DEBUG_EXTRA);
		struct slab_cache *c = &kmalloc_caches[cls];
		void *p = mag_alloc(cls);
		if (p)
			__atomic_fetch_add(&live_bytes, c->obj_size, __ATOMIC_RELAXED);
#ifdef FERRITE_DEBUG
		if (p)
			p = debug_wrap(c, p, size);
#endif
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
		struct slab_cache *c = slab_cache_of(p);
		size_t sz = c->obj_size;
#ifdef FERRITE_DEBUG
		p = (char *)p - SLAB_DEBUG_HEADER;
		if (((uint64_t *)p)[1] != KMALLOC_LIVE_MAGIC) {
			kprintf("BUG: kmalloc: kfree(%p) of an object that is not allocated "
				"(double free?) in %s\n", (char *)p + SLAB_DEBUG_HEADER, c->name);
			return; /* leave it alone: freeing it twice corrupts the list */
		}
		check_redzone(c, p, (uintptr_t)__builtin_return_address(0));
#endif
		mag_free((int)(c - kmalloc_caches), p);
		__atomic_fetch_sub(&live_bytes, sz, __ATOMIC_RELAXED);
		return;
	}
	BUG_ON(!(f->flags & FRAME_KMALLOC) || !IS_ALIGNED((uintptr_t)p, PAGE_SIZE));
	unsigned order = f->order;
	__atomic_fetch_sub(&live_bytes, PAGE_SIZE << order, __ATOMIC_RELAXED);
	pages_free(p, order);
}

size_t kmalloc_live_bytes(void) { return __atomic_load_n(&live_bytes, __ATOMIC_RELAXED); }
