/*
 * x86_64 4-level page tables. A struct hal_pt is the direct-map address of
 * a PML4 page; entries 256..511 (the kernel half) are copied from the
 * kernel's PML4 and point at shared PDPTs, so kernel mappings are the same
 * in every address space. Table pages come from frame_alloc_zeroed() and go
 * back with frame_put(). Locking: the caller (src/mm) holds the address
 * space's lock; the HAL keeps no state of its own. TLB shootdown to other
 * CPUs is not needed yet (one CPU).
 */
#include <ferrite/fault_inject.h>
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define PTE_P (1UL << 0)
#define PTE_W (1UL << 1)
#define PTE_U (1UL << 2)
#define PTE_PS (1UL << 7)
#define PTE_PROTNONE (1UL << 9) /* software: mapped but inaccessible */
#define PTE_NX (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL
#define KERNEL_HALF 256

static bool nx_enabled(void)
{
	return rdmsr(MSR_EFER) & EFER_NXE;
}

static uint64_t *kernel_pml4(void)
{
	return boot_pml4;
}

static uint64_t *pml4_of(struct hal_pt *pt)
{
	return pt ? (uint64_t *)pt : kernel_pml4();
}

static phys_addr_t table_phys(const uint64_t *table)
{
	if (table == kernel_pml4())
		return kimage_to_phys(table);
	return virt_to_phys(table);
}

struct hal_pt *hal_pt_create(void)
{
	struct frame *f = fault_inject_site(FI_PGTABLE) ? NULL : frame_alloc_zeroed();
	uint64_t *pml4;

	if (!f)
		return NULL;
	pml4 = frame_to_virt(f);
	for (int i = KERNEL_HALF; i < 512; i++)
		pml4[i] = kernel_pml4()[i];
	return (struct hal_pt *)pml4;
}

/* Free a table of the given level (1: leaves) and the tables below it.
 * Upper-level entries are 0 when absent, so eight absent ones are skipped
 * with one test (most of a table is empty). */
static void free_table(uint64_t *table, int level)
{
	for (int i = 0; level > 1 && i < 512; i += 8) {
		if (!(table[i] | table[i + 1] | table[i + 2] | table[i + 3] | table[i + 4] |
		      table[i + 5] | table[i + 6] | table[i + 7]))
			continue;
		for (int j = i; j < i + 8; j++)
			if ((table[j] & PTE_P) && !(table[j] & PTE_PS))
				free_table(phys_to_virt(table[j] & PTE_ADDR), level - 1);
	}
	frame_put(phys_to_frame(virt_to_phys(table)));
}

void hal_pt_destroy(struct hal_pt *pt)
{
	uint64_t *pml4 = pml4_of(pt);

	if (!pt)
		return;
	for (int i = 0; i < KERNEL_HALF; i++)
		if (pml4[i] & PTE_P)
			free_table(phys_to_virt(pml4[i] & PTE_ADDR), 3);
	frame_put(phys_to_frame(virt_to_phys(pml4)));
}

/* Return the level-1 entry for va, allocating tables when alloc is set. */
static uint64_t *walk(struct hal_pt *pt, uintptr_t va, bool alloc)
{
	uint64_t *table = pml4_of(pt);

	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &table[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!alloc)
				return NULL;
			struct frame *f = fault_inject_site(FI_PGTABLE) ? NULL : frame_alloc_zeroed();
			if (!f)
				return NULL;
			/* Leaves decide the access; the upper levels allow all. */
			*e = frame_to_phys(f) | PTE_P | PTE_W | (va < DIRECT_MAP_BASE ? PTE_U : 0);
		} else if (*e & PTE_PS) {
			return NULL; /* inside a boot huge page: not ours to edit */
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & 511];
}

static uint64_t make_pte(phys_addr_t pa, unsigned prot)
{
	uint64_t pte = (pa & PTE_ADDR);

	if (!(prot & (HAL_PROT_READ | HAL_PROT_WRITE | HAL_PROT_EXEC)))
		return pte | PTE_PROTNONE; /* x86 has no present-but-no-access */
	pte |= PTE_P;
	if (prot & HAL_PROT_WRITE)
		pte |= PTE_W;
	if (prot & HAL_PROT_USER)
		pte |= PTE_U;
	if (!(prot & HAL_PROT_EXEC) && nx_enabled())
		pte |= PTE_NX;
	return pte;
}

static bool pte_mapped(uint64_t pte)
{
	return pte & (PTE_P | PTE_PROTNONE);
}

static bool va_ok(uintptr_t va)
{
	return va < hal_user_max || va >= DIRECT_MAP_BASE;
}

int hal_pt_map(struct hal_pt *pt, uintptr_t va, phys_addr_t pa, unsigned prot)
{
	if (!va_ok(va))
		return -EINVAL;
	uint64_t *pte = walk(pt, va & PAGE_MASK, true);
	if (!pte)
		return -ENOMEM;
	bool was = pte_mapped(*pte);
	*pte = make_pte(pa, prot);
	if (was) {
		hal_tlb_flush_page(va);
		smp_tlb_shootdown(pt);
	}
	return 0;
}

/* The leaf entry mapping user address va (present or PROT_NONE), or NULL. */
static uint64_t *mapped_pte(struct hal_pt *pt, uintptr_t va)
{
	if (!va_ok(va))
		return NULL;
	uint64_t *pte = walk(pt, va & PAGE_MASK, false);
	return pte && pte_mapped(*pte) ? pte : NULL;
}

bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va)
{
	uint64_t *pte = mapped_pte(pt, va);
	if (!pte)
		return false;
	*pte = 0;
	hal_tlb_flush_page(va);
	smp_tlb_shootdown(pt);
	return true;
}

static unsigned pte_prot(uint64_t pte)
{
	unsigned p = 0;

	if (pte & PTE_P) {
		p = HAL_PROT_READ;
		if (pte & PTE_W)
			p |= HAL_PROT_WRITE;
		if (!(pte & PTE_NX))
			p |= HAL_PROT_EXEC;
		if (pte & PTE_U)
			p |= HAL_PROT_USER;
	}
	return p;
}

bool hal_pt_translate(struct hal_pt *pt, uintptr_t va, phys_addr_t *pa, unsigned *prot)
{
	uint64_t *pte = mapped_pte(pt, va);
	if (!pte)
		return false;
	if (pa)
		*pa = (*pte & PTE_ADDR) | (va & ~PAGE_MASK);
	if (prot)
		*prot = pte_prot(*pte);
	return true;
}

struct range_walk {
	hal_walk_fn fn;
	void *arg;
	bool active; /* pt is this CPU's current table: flush changed entries */
	struct hal_pt *pt; /* other CPUs running it flush too (smp_tlb_shootdown) */
};

/* A leaf-table visitor: [start, end) lies inside one leaf table. */
typedef int (*leaf_fn)(uint64_t *table, uintptr_t start, uintptr_t end, void *ctx);

/* Index range [*first, return) of the leaf entries for [start, end). */
static unsigned leaf_span(uintptr_t start, uintptr_t end, unsigned *first)
{
	*first = (start >> 12) & 511;
	return *first + (unsigned)((end - start + PAGE_SIZE - 1) >> 12);
}

/* Absent leaves are 0: true when the eight entries at aligned i are. */
static __always_inline bool eight_absent(const uint64_t *table, unsigned i, unsigned n)
{
	const uint64_t *e = &table[i];

	return !(i & 7) && i + 8 <= n && !(e[0] | e[1] | e[2] | e[3] | e[4] | e[5] | e[6] | e[7]);
}

/* hal_pt_walk_range's leaf visitor: a tight scan for present entries (most
 * of a VMA's range is usually absent), fn on each. */
static int walk_leaves(uint64_t *table, uintptr_t start, uintptr_t end, void *ctx)
{
	struct range_walk *w = ctx;
	uintptr_t base = start & ~((1UL << 21) - 1);
	unsigned i, n = leaf_span(start, end, &i);

	for (; i < n; i++) {
		uint64_t *e = &table[i];
		if (eight_absent(table, i, n)) {
			i += 7;
			continue;
		}
		if (!pte_mapped(*e))
			continue;
		uintptr_t va = base + ((uintptr_t)i << 12);
		unsigned old = pte_prot(*e), prot = old;
		int err = w->fn(w->arg, va, *e & PTE_ADDR, &prot);
		if (err < 0)
			return err;
		if (err == HAL_WALK_UNMAP)
			*e = 0;
		else if (prot != old)
			*e = make_pte(*e & PTE_ADDR, prot);
		if (err == HAL_WALK_UNMAP || prot != old) {
			if (w->active)
				hal_tlb_flush_page(va);
			/* Before the next page's callback drops this one's frame. */
			smp_tlb_shootdown(w->pt);
		}
	}
	return 0;
}

/* Visit the leaf tables under table (entries spanning 1 << shift) that
 * [start, end) touches, skipping absent tables whole. */
static int walk_range(uint64_t *table, int shift, uintptr_t start, uintptr_t end, leaf_fn leaves,
		      void *ctx)
{
	uintptr_t span = 1UL << shift;

	while (start < end) {
		uint64_t *e = &table[(start >> shift) & 511];
		uintptr_t next = (start & ~(span - 1)) + span;
		int err = 0;

		if (next > end || next < start)
			next = end;
		if ((*e & PTE_P) && !(*e & PTE_PS)) {
			uint64_t *sub = phys_to_virt(*e & PTE_ADDR);
			err = shift == 21 ? leaves(sub, start, next, ctx)
					  : walk_range(sub, shift - 9, start, next, leaves, ctx);
		}
		if (err)
			return err;
		start = next;
	}
	return 0;
}

static bool pt_active(struct hal_pt *pt)
{
	return read_cr3() == table_phys(pml4_of(pt));
}

int hal_pt_walk_range(struct hal_pt *pt, uintptr_t start, uintptr_t end, hal_walk_fn fn,
		      void *arg)
{
	struct range_walk w = { fn, arg, false, pt };

	if (!pt)
		return 0; /* the kernel table has no user pages */
	if (end > hal_user_max)
		end = hal_user_max;
	w.active = pt_active(pt);
	return walk_range(pml4_of(pt), 39, start & PAGE_MASK, end, walk_leaves, &w);
}

struct share_walk {
	struct hal_pt *child;
	bool cow;
	bool active; /* the parent is this CPU's current table */
};

/* hal_pt_share_range's leaf visitor: copy the mapped entries of one parent
 * leaf table into the child's (allocated on the first one), a frame
 * reference per page, write access removed from both when copy-on-write. */
static int share_leaves(uint64_t *table, uintptr_t start, uintptr_t end, void *ctx)
{
	struct share_walk *s = ctx;
	uintptr_t base = start & ~((1UL << 21) - 1);
	uint64_t *child = NULL;
	unsigned i, n = leaf_span(start, end, &i);

	for (; i < n; i++) {
		uint64_t pte = table[i];
		if (eight_absent(table, i, n)) {
			i += 7;
			continue;
		}
		if (!pte_mapped(pte))
			continue;
		uintptr_t va = base + ((uintptr_t)i << 12);
		if (!child) {
			child = walk(s->child, va, true);
			if (!child)
				return -ENOMEM;
			child -= i; /* the leaf table itself */
		}
		frame_get(phys_to_frame(pte & PTE_ADDR));
		if (s->cow && (pte & PTE_W)) {
			pte &= ~PTE_W;
			table[i] = pte;
			if (s->active)
				hal_tlb_flush_page(va);
		}
		child[i] = pte;
	}
	return 0;
}

int hal_pt_share_range(struct hal_pt *parent, struct hal_pt *child, uintptr_t start,
		       uintptr_t end, bool cow)
{
	struct share_walk s = { child, cow, false };
	int err;

	if (!parent || !child)
		return 0;
	if (end > hal_user_max)
		end = hal_user_max;
	s.active = pt_active(parent);
	err = walk_range(pml4_of(parent), 39, start & PAGE_MASK, end, share_leaves, &s);
	if (cow) /* the parent's other CPUs lose write access too */
		smp_tlb_shootdown(parent);
	return err;
}

bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot)
{
	uint64_t *pte = mapped_pte(pt, va);
	if (!pte)
		return false;
	*pte = make_pte(*pte & PTE_ADDR, prot);
	hal_tlb_flush_page(va);
	smp_tlb_shootdown(pt);
	return true;
}

void hal_pt_activate(struct hal_pt *pt)
{
	phys_addr_t pa = table_phys(pml4_of(pt));

	if (read_cr3() != pa)
		write_cr3(pa);
}

void hal_tlb_flush_page(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

void hal_tlb_flush_all(void)
{
	write_cr3(read_cr3());
}
