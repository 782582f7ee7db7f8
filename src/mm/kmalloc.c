/*
 * kmalloc: sizes up to 2048 bytes come from power-of-two slab caches;
 * bigger ones are page runs from pages_alloc() whose head frame is flagged
 * FRAME_KMALLOC and keeps the order, so kfree() needs no size.
 * Locking: the slab caches have their own locks; live_bytes is atomic.
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

void *kmalloc(size_t size)
{
	BUG_ON(!kmalloc_ready);
	if (fault_inject_fail())
		return NULL;
	if (size == 0)
		size = 1;
	if (size + KMALLOC_DEBUG_EXTRA <= (1UL << KMALLOC_MAX_SHIFT)) {
		struct slab_cache *c = &kmalloc_caches[size_class(size + KMALLOC_DEBUG_EXTRA)];
		void *p = slab_alloc(c);
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
		size_t sz = slab_cache_of(p)->obj_size;
#ifdef FERRITE_DEBUG
		struct slab_cache *c = slab_cache_of(p);
		p = (char *)p - SLAB_DEBUG_HEADER;
		if (((uint64_t *)p)[1] != KMALLOC_LIVE_MAGIC) {
			kprintf("BUG: kmalloc: kfree(%p) of an object that is not allocated "
				"(double free?) in %s\n", (char *)p + SLAB_DEBUG_HEADER, c->name);
			return; /* leave it alone: freeing it twice corrupts the list */
		}
		check_redzone(c, p, (uintptr_t)__builtin_return_address(0));
#endif
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
