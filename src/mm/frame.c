/*
 * The physical frame allocator: a binary buddy allocator (orders 0 to
 * FRAME_MAX_ORDER) over one struct frame per page of RAM between the lowest
 * and highest usable address. The struct frame array itself is carved out
 * of usable RAM at init.
 *
 * Single pages go through a per-CPU cache first (frame_pcps[]): a short
 * LIFO list of free frames the CPU refills from and drains to the buddy
 * lists FRAME_PCP_BATCH frames at a time, so the common frame_alloc and
 * frame_put take no shared lock.
 *
 * Locking: frame_lock (irqsave) guards the free lists, FRAME_FREE/order of
 * free blocks and nr_free. Each cache has its own lock (irqsave), taken by
 * its CPU and, rarely, by frame_pcp_drain_all on another CPU; order:
 * pcp->lock, then frame_lock. Refcounts are atomic and need no lock.
 * Invariant: a block on free_lists[o] has its head flagged FRAME_FREE with
 * order o, refcount 0, and starts at a pfn offset aligned to 2^o.
 * Invariant: a cached frame has refcount 0, order 0 and no FRAME_FREE (so
 * the buddy merge leaves it alone); free frames = nr_free + the caches'
 * counts, and refill and drain change both under frame_lock, so
 * frames_free_count (which sums them under frame_lock) counts a frame in
 * transit exactly once.
 */
#include <ferrite/cpu.h>
#include <ferrite/fault_inject.h>
#include <ferrite/frame.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <hal/hal_boot.h>
#include <hal/hal_mmu.h>

static struct spinlock frame_lock = SPINLOCK_INIT("frame");
static struct list_head free_lists[FRAME_MAX_ORDER + 1]; /* Lock: frame_lock */
static size_t nr_free;                                  /* Lock: frame_lock */
static size_t nr_total;

static struct frame *frames; /* frames[i] describes pfn base_pfn + i */
static uint64_t base_pfn, nr_frames;

static inline uint64_t frame_index(const struct frame *f) { return (uint64_t)(f - frames); }

phys_addr_t frame_to_phys(const struct frame *f)
{
	return (base_pfn + frame_index(f)) << PAGE_SHIFT;
}

struct frame *phys_to_frame(phys_addr_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pfn < base_pfn || pfn - base_pfn >= nr_frames)
		return NULL;
	return &frames[pfn - base_pfn];
}

void *frame_to_virt(const struct frame *f) { return phys_to_virt(frame_to_phys(f)); }

/* Put the block at index idx of order on the free lists, merging buddies. */
static void free_block_locked(uint64_t idx, unsigned order)
{
	while (order < FRAME_MAX_ORDER) {
		uint64_t buddy = idx ^ (1UL << order);
		struct frame *b;

		if (buddy + (1UL << order) > nr_frames)
			break;
		b = &frames[buddy];
		if (!(b->flags & FRAME_FREE) || b->order != order)
			break;
		list_del(&b->node);
		b->flags &= ~FRAME_FREE;
		idx &= ~(1UL << order);
		order++;
	}
	frames[idx].flags |= FRAME_FREE;
	frames[idx].order = order;
	list_add(&frames[idx].node, &free_lists[order]);
}

static struct frame *alloc_block_locked(unsigned order)
{
	unsigned o = order;

	while (o <= FRAME_MAX_ORDER && list_empty(&free_lists[o]))
		o++;
	if (o > FRAME_MAX_ORDER)
		return NULL;
	struct frame *f = list_first_entry(&free_lists[o], struct frame, node);
	list_del(&f->node);
	f->flags &= ~FRAME_FREE;
	/* Split: give the upper halves back. */
	while (o > order) {
		o--;
		struct frame *upper = f + (1UL << o);
		upper->flags |= FRAME_FREE;
		upper->order = o;
		list_add(&upper->node, &free_lists[o]);
	}
	f->order = order;
	return f;
}

/* The per-CPU frame caches. BATCH frames move per refill or drain; a
 * cache holding more than HIGH gives BATCH back (the coldest). */
#define FRAME_PCP_BATCH 16
#define FRAME_PCP_HIGH 48

struct frame_pcp {
	struct spinlock lock;
	struct list_head list; /* Lock: lock; most recently freed first */
	unsigned count;        /* Lock: lock and frame_lock to change; read under frame_lock */
} __aligned(64);

static struct frame_pcp frame_pcps[MAX_CPUS];

/* Move up to BATCH frames from the buddy lists to pcp. Lock: pcp->lock. */
static void pcp_refill_locked(struct frame_pcp *pcp)
{
	unsigned n = 0;

	spin_lock(&frame_lock);
	for (; n < FRAME_PCP_BATCH; n++) {
		struct frame *f = alloc_block_locked(0);
		if (!f)
			break;
		list_add_tail(&f->node, &pcp->list);
	}
	nr_free -= n;
	WRITE_ONCE(pcp->count, pcp->count + n);
	spin_unlock(&frame_lock);
}

/* Give up to n of pcp's coldest frames back to the buddy lists; return how
 * many. Lock: pcp->lock. */
static unsigned pcp_drain_locked(struct frame_pcp *pcp, unsigned n)
{
	unsigned done = 0;

	spin_lock(&frame_lock);
	for (; done < n && !list_empty(&pcp->list); done++) {
		struct frame *f = list_entry(pcp->list.prev, struct frame, node);
		list_del(&f->node);
		free_block_locked(frame_index(f), 0);
	}
	nr_free += done;
	WRITE_ONCE(pcp->count, pcp->count - done);
	spin_unlock(&frame_lock);
	return done;
}

static struct frame *pcp_alloc(void)
{
	struct frame_pcp *pcp = &frame_pcps[hal_cpu_id()];
	struct frame *f = NULL;
	unsigned long flags = spin_lock_irqsave(&pcp->lock);

	if (list_empty(&pcp->list))
		pcp_refill_locked(pcp);
	if (!list_empty(&pcp->list)) {
		f = list_first_entry(&pcp->list, struct frame, node);
		list_del(&f->node);
		WRITE_ONCE(pcp->count, pcp->count - 1);
	}
	spin_unlock_irqrestore(&pcp->lock, flags);
	return f;
}

static void pcp_free(struct frame *f)
{
	struct frame_pcp *pcp = &frame_pcps[hal_cpu_id()];
	unsigned long flags = spin_lock_irqsave(&pcp->lock);

	list_add(&f->node, &pcp->list);
	WRITE_ONCE(pcp->count, pcp->count + 1);
	if (pcp->count > FRAME_PCP_HIGH)
		pcp_drain_locked(pcp, FRAME_PCP_BATCH);
	spin_unlock_irqrestore(&pcp->lock, flags);
}

size_t frame_pcp_drain_all(void)
{
	size_t n = 0;

	for (unsigned c = 0; c < MAX_CPUS; c++) {
		struct frame_pcp *pcp = &frame_pcps[c];
		unsigned long flags = spin_lock_irqsave(&pcp->lock);
		n += pcp_drain_locked(pcp, pcp->count);
		spin_unlock_irqrestore(&pcp->lock, flags);
	}
	return n;
}

void (*frame_reclaim_hook)(size_t pages);

static struct frame *alloc_block(unsigned order)
{
	if (order == 0)
		return pcp_alloc();
	unsigned long flags = spin_lock_irqsave(&frame_lock);
	struct frame *f = alloc_block_locked(order);
	if (f)
		nr_free -= 1UL << order;
	spin_unlock_irqrestore(&frame_lock, flags);
	return f;
}

static struct frame *alloc_pages_frame(unsigned order)
{
	struct frame *f;
	bool drained = false;

	if (order > FRAME_MAX_ORDER || fault_inject_fail())
		return NULL;
	for (int tries = 0;; tries++) {
		f = alloc_block(order);
		if (f)
			break;
		/* Memory pressure: first the other CPUs' cached frames (they
		 * may also complete a larger buddy block), then the page cache. */
		if (!drained) {
			drained = true;
			if (frame_pcp_drain_all())
				continue;
		}
		void (*reclaim)(size_t) = READ_ONCE(frame_reclaim_hook);
		if (!reclaim || tries >= 3)
			break;
		reclaim((1UL << order) * 64); /* the page cache gives clean pages back */
	}
	if (!f)
		return NULL;
	f->flags &= ~(FRAME_SLAB | FRAME_KMALLOC);
	__atomic_store_n(&f->refcount, 1, __ATOMIC_RELAXED);
	return f;
}

static void free_pages_frame(struct frame *f, unsigned order)
{
	BUG_ON(f->flags & (FRAME_FREE | FRAME_RESERVED));
	f->flags &= ~(FRAME_SLAB | FRAME_KMALLOC);
	if (order == 0) {
		pcp_free(f);
		return;
	}
	unsigned long flags = spin_lock_irqsave(&frame_lock);
	free_block_locked(frame_index(f), order);
	nr_free += 1UL << order;
	spin_unlock_irqrestore(&frame_lock, flags);
}

struct frame *frame_alloc(void) { return alloc_pages_frame(0); }

struct frame *frame_alloc_zeroed(void)
{
	struct frame *f = frame_alloc();

	if (f)
		memset(frame_to_virt(f), 0, PAGE_SIZE);
	return f;
}

void frame_get(struct frame *f)
{
	int old = __atomic_fetch_add(&f->refcount, 1, __ATOMIC_RELAXED);
	BUG_ON(old <= 0);
}

void frame_put(struct frame *f)
{
	int old = __atomic_fetch_sub(&f->refcount, 1, __ATOMIC_ACQ_REL);
	BUG_ON(old <= 0);
	if (old == 1)
		free_pages_frame(f, f->order);
}

int frame_refcount(const struct frame *f) { return __atomic_load_n(&f->refcount, __ATOMIC_RELAXED); }

void *pages_alloc(unsigned order)
{
	struct frame *f = alloc_pages_frame(order);

	return f ? frame_to_virt(f) : NULL;
}

void pages_free(void *va, unsigned order)
{
	struct frame *f;

	if (!va)
		return;
	f = phys_to_frame(virt_to_phys(va));
	BUG_ON(!f || f->order != order);
	frame_put(f);
}

/* Cached frames count as free (the leak counters compare this number). */
size_t frames_free_count(void)
{
	unsigned long flags = spin_lock_irqsave(&frame_lock);
	size_t n = nr_free;
	for (unsigned c = 0; c < MAX_CPUS; c++)
		n += READ_ONCE(frame_pcps[c].count);
	spin_unlock_irqrestore(&frame_lock, flags);
	return n;
}

size_t frames_total_count(void) { return nr_total; }

size_t frames_release_reserved(phys_addr_t start, phys_addr_t end)
{
	size_t n = 0;

	for (phys_addr_t pa = ALIGN_UP(start, PAGE_SIZE); pa + PAGE_SIZE <= end; pa += PAGE_SIZE) {
		struct frame *f = phys_to_frame(pa);
		if (!f || !(f->flags & FRAME_RESERVED))
			continue;
		unsigned long flags = spin_lock_irqsave(&frame_lock);
		f->flags = 0;
		free_block_locked(frame_index(f), 0);
		nr_free++;
		nr_total++;
		spin_unlock_irqrestore(&frame_lock, flags);
		n++;
	}
	return n;
}

/* Return true when [pa, pa + PAGE_SIZE) touches a reserved region. */
static bool page_reserved(const struct boot_info *info, phys_addr_t pa)
{
	for (int i = 0; i < info->nr_reserved; i++) {
		const struct mem_region *r = &info->reserved[i];
		if (pa < r->base + r->size && r->base < pa + PAGE_SIZE)
			return true;
	}
	return false;
}

/* Find a page-aligned run of `bytes` inside usable RAM that avoids every
 * reserved region, for the frame array. */
static phys_addr_t find_array_space(const struct boot_info *info, uint64_t bytes)
{
	for (int i = 0; i < info->nr_usable; i++) {
		const struct mem_region *u = &info->usable[i];
		phys_addr_t start = ALIGN_UP(u->base, PAGE_SIZE);
		phys_addr_t end = ALIGN_DOWN(u->base + u->size, PAGE_SIZE);

		for (phys_addr_t pa = start; pa + bytes <= end;) {
			phys_addr_t p;
			for (p = pa; p < pa + bytes; p += PAGE_SIZE)
				if (page_reserved(info, p))
					break;
			if (p >= pa + bytes)
				return pa;
			pa = p + PAGE_SIZE; /* restart after the reserved page */
		}
	}
	return 0;
}

void frame_allocator_init(const struct boot_info *info)
{
	phys_addr_t lo = ~(phys_addr_t)0, hi = 0;

	for (int o = 0; o <= FRAME_MAX_ORDER; o++)
		list_init(&free_lists[o]);
	for (unsigned c = 0; c < MAX_CPUS; c++) {
		spin_init(&frame_pcps[c].lock, "frame_pcp");
		list_init(&frame_pcps[c].list);
		frame_pcps[c].count = 0;
	}
	for (int i = 0; i < info->nr_usable; i++) {
		const struct mem_region *u = &info->usable[i];
		if (u->size < PAGE_SIZE)
			continue;
		lo = MIN(lo, ALIGN_UP(u->base, PAGE_SIZE));
		hi = MAX(hi, ALIGN_DOWN(u->base + u->size, PAGE_SIZE));
	}
	if (hi <= lo)
		panic("frame: no usable memory");
	/* Align the base so buddy offsets are aligned physical addresses. */
	lo = ALIGN_DOWN(lo, PAGE_SIZE << FRAME_MAX_ORDER);
	base_pfn = lo >> PAGE_SHIFT;
	nr_frames = (hi - lo) >> PAGE_SHIFT;

	uint64_t array_bytes = ALIGN_UP(nr_frames * sizeof(struct frame), PAGE_SIZE);
	phys_addr_t array_pa = find_array_space(info, array_bytes);
	if (!array_pa)
		panic("frame: no room for %lu frame descriptors", (unsigned long)nr_frames);
	frames = phys_to_virt(array_pa);
	for (uint64_t i = 0; i < nr_frames; i++) {
		frames[i] = (struct frame){ .flags = FRAME_RESERVED };
		list_init(&frames[i].node);
	}

	unsigned long flags = spin_lock_irqsave(&frame_lock);
	for (int i = 0; i < info->nr_usable; i++) {
		const struct mem_region *u = &info->usable[i];
		phys_addr_t start = ALIGN_UP(u->base, PAGE_SIZE);
		phys_addr_t end = ALIGN_DOWN(u->base + u->size, PAGE_SIZE);

		for (phys_addr_t pa = start; pa < end; pa += PAGE_SIZE) {
			if (pa >= array_pa && pa < array_pa + array_bytes)
				continue;
			if (page_reserved(info, pa))
				continue;
			struct frame *f = phys_to_frame(pa);
			if (!(f->flags & FRAME_RESERVED))
				continue; /* overlapping usable regions */
			f->flags = 0;
			free_block_locked(frame_index(f), 0);
			nr_free++;
			nr_total++;
		}
	}
	spin_unlock_irqrestore(&frame_lock, flags);
}
