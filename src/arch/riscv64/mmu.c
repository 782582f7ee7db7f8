/*
 * Sv39 page tables. A struct hal_pt * is the kernel virtual address of the
 * root table page; its slots 256..511 are copied from rv_kernel_root, so all
 * address spaces share the kernel half (which never changes after boot).
 * Table pages come from frame_alloc_zeroed() and return with frame_put().
 * Leaves get A and D set up front so no hardware update is needed.
 * Locking: the owner of the page table (struct mm, mm->lock) serialises.
 * TLB: a local flush, then smp_tlb_shootdown() for the other CPUs running
 * the table (src/proc/smp.c), before the caller may free the frame.
 */
#include <ferrite/fault_inject.h>
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/string.h>
#include <hal/hal_mmu.h>
#include "pte.h"
#include "riscv.h"

uintptr_t hal_direct_map_offset = DIRECT_MAP_BASE;
const uintptr_t hal_user_max = 0x4000000000UL;

#define PT_ENTRIES 512

static inline unsigned vpn(uintptr_t va, int level)
{
	return (va >> (12 + 9 * level)) & 0x1ff;
}

static uint64_t *root_of(struct hal_pt *pt)
{
	return pt ? (uint64_t *)pt : rv_kernel_root;
}

static phys_addr_t table_phys(const uint64_t *table)
{
	if (table == rv_kernel_root)
		return rv_kernel_root_pa;
	return virt_to_phys(table);
}

/* Return the level-0 entry for va, creating tables when alloc is true. */
static uint64_t *walk(uint64_t *root, uintptr_t va, bool alloc)
{
	uint64_t *table = root;

	for (int level = 2; level > 0; level--) {
		uint64_t *pte = &table[vpn(va, level)];
		if (*pte & PTE_V) {
			if (*pte & PTE_LEAF_MASK)
				return NULL; /* a huge page: not ours to split */
		} else {
			if (!alloc)
				return NULL;
			struct frame *f = fault_inject_site(FI_PGTABLE) ? NULL : frame_alloc_zeroed();
			if (!f)
				return NULL;
			*pte = pte_make(frame_to_phys(f), PTE_V);
		}
		table = phys_to_virt(pte_phys(*pte));
	}
	return &table[vpn(va, 0)];
}

static uint64_t prot_to_pte(unsigned prot)
{
	uint64_t flags = PTE_A | PTE_D;

	if (prot & HAL_PROT_READ)
		flags |= PTE_R;
	if (prot & HAL_PROT_WRITE)
		flags |= PTE_R | PTE_W; /* W without R is reserved */
	if (prot & HAL_PROT_EXEC)
		flags |= PTE_X;
	if (prot & HAL_PROT_USER)
		flags |= PTE_U;
	else
		flags |= PTE_G;
	if (!(flags & PTE_LEAF_MASK))
		return flags | PTE_SW_NONE; /* PROT_NONE: present, not valid */
	return flags | PTE_V;
}

static unsigned pte_to_prot(uint64_t pte)
{
	unsigned prot = 0;

	if (pte & PTE_R)
		prot |= HAL_PROT_READ;
	if (pte & PTE_W)
		prot |= HAL_PROT_WRITE;
	if (pte & PTE_X)
		prot |= HAL_PROT_EXEC;
	if (pte & PTE_U)
		prot |= HAL_PROT_USER;
	return prot;
}

static inline bool pte_present(uint64_t pte)
{
	return pte & (PTE_V | PTE_SW_NONE);
}

struct hal_pt *hal_pt_create(void)
{
	struct frame *f = fault_inject_site(FI_PGTABLE) ? NULL : frame_alloc_zeroed();

	if (!f)
		return NULL;
	uint64_t *root = frame_to_virt(f);
	memcpy(&root[PT_ENTRIES / 2], &rv_kernel_root[PT_ENTRIES / 2],
	       PT_ENTRIES / 2 * sizeof(uint64_t));
	return (struct hal_pt *)root;
}

/* Free a table of the given level (0: leaves) and the tables below it;
 * n (a multiple of 8) entries are looked at. Non-leaf entries are 0 when
 * absent, so eight absent ones are skipped with one test. */
static void free_table(uint64_t *table, int level, unsigned n)
{
	for (unsigned i = 0; level > 0 && i < n; i += 8) {
		if (!(table[i] | table[i + 1] | table[i + 2] | table[i + 3] | table[i + 4] |
		      table[i + 5] | table[i + 6] | table[i + 7]))
			continue;
		for (unsigned j = i; j < i + 8; j++) {
			uint64_t pte = table[j];
			if ((pte & PTE_V) && !(pte & PTE_LEAF_MASK))
				free_table(phys_to_virt(pte_phys(pte)), level - 1, PT_ENTRIES);
		}
	}
	frame_put(phys_to_frame(virt_to_phys(table)));
}

void hal_pt_destroy(struct hal_pt *pt)
{
	if (!pt)
		return;
	/* Only the user half (slots 0..255) has tables of this address space. */
	free_table(root_of(pt), 2, PT_ENTRIES / 2);
}

int hal_pt_map(struct hal_pt *pt, uintptr_t va, phys_addr_t pa, unsigned prot)
{
	uint64_t *pte = walk(root_of(pt), va, true);

	if (!pte)
		return -ENOMEM;
	bool was_present = pte_present(*pte);
	*pte = pte_make(pa, prot_to_pte(prot));
	if (was_present) {
		hal_tlb_flush_page(va);
		smp_tlb_shootdown(pt);
	}
	return 0;
}

bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va)
{
	uint64_t *pte = walk(root_of(pt), va, false);

	if (!pte || !pte_present(*pte))
		return false;
	*pte = 0;
	hal_tlb_flush_page(va);
	smp_tlb_shootdown(pt);
	return true;
}

bool hal_pt_translate(struct hal_pt *pt, uintptr_t va, phys_addr_t *pa, unsigned *prot)
{
	uint64_t *pte = walk(root_of(pt), va, false);

	if (!pte || !pte_present(*pte))
		return false;
	if (pa)
		*pa = pte_phys(*pte) | (va & (PAGE_SIZE - 1));
	if (prot)
		*prot = pte_to_prot(*pte);
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
	*first = vpn(start, 0);
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
		if (!pte_present(*e))
			continue;
		uintptr_t va = base + ((uintptr_t)i << 12);
		unsigned old = pte_to_prot(*e), prot = old;
		int err = w->fn(w->arg, va, pte_phys(*e), &prot);
		if (err < 0)
			return err;
		if (err == HAL_WALK_UNMAP)
			*e = 0;
		else if (prot != old)
			*e = pte_make(pte_phys(*e), prot_to_pte(prot));
		if (err == HAL_WALK_UNMAP || prot != old) {
			if (w->active)
				hal_tlb_flush_page(va);
			/* Before the next page's callback drops this one's frame. */
			smp_tlb_shootdown(w->pt);
		}
	}
	return 0;
}

/* Visit the leaf tables under table (level 1 or 2) that [start, end)
 * touches, skipping absent tables whole. */
static int walk_range(uint64_t *table, int level, uintptr_t start, uintptr_t end, leaf_fn leaves,
		      void *ctx)
{
	int shift = 12 + 9 * level;
	uintptr_t span = 1UL << shift;

	while (start < end) {
		uint64_t *e = &table[vpn(start, level)];
		uintptr_t next = (start & ~(span - 1)) + span;
		int err = 0;

		if (next > end || next < start)
			next = end;
		if ((*e & PTE_V) && !(*e & PTE_LEAF_MASK)) {
			uint64_t *sub = phys_to_virt(pte_phys(*e));
			err = level == 1 ? leaves(sub, start, next, ctx)
					 : walk_range(sub, level - 1, start, next, leaves, ctx);
		}
		if (err)
			return err;
		start = next;
	}
	return 0;
}

static bool pt_active(struct hal_pt *pt)
{
	return (csr_read(satp) & ((1UL << 44) - 1)) == (table_phys(root_of(pt)) >> 12);
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
	return walk_range(root_of(pt), 2, start & ~(uintptr_t)(PAGE_SIZE - 1), end, walk_leaves,
			  &w);
}

struct share_walk {
	uint64_t *child_root;
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
		if (!pte_present(pte))
			continue;
		uintptr_t va = base + ((uintptr_t)i << 12);
		if (!child) {
			child = walk(s->child_root, va, true);
			if (!child)
				return -ENOMEM;
			child -= i; /* the leaf table itself */
		}
		frame_get(phys_to_frame(pte_phys(pte)));
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
	struct share_walk s = { NULL, cow, false };
	int err;

	if (!parent || !child)
		return 0;
	if (end > hal_user_max)
		end = hal_user_max;
	s.child_root = root_of(child);
	s.active = pt_active(parent);
	err = walk_range(root_of(parent), 2, start & ~(uintptr_t)(PAGE_SIZE - 1), end,
			 share_leaves, &s);
	if (cow) /* the parent's other CPUs lose write access too */
		smp_tlb_shootdown(parent);
	return err;
}

bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot)
{
	uint64_t *pte = walk(root_of(pt), va, false);

	if (!pte || !pte_present(*pte))
		return false;
	*pte = pte_make(pte_phys(*pte), prot_to_pte(prot));
	hal_tlb_flush_page(va);
	smp_tlb_shootdown(pt);
	return true;
}

void hal_pt_activate(struct hal_pt *pt)
{
	unsigned long satp = SATP_SV39 | (table_phys(root_of(pt)) >> 12);

	if (csr_read(satp) == satp)
		return;
	csr_write(satp, satp);
	__asm__ volatile("sfence.vma" ::: "memory");
}

void hal_tlb_flush_page(uintptr_t va)
{
	__asm__ volatile("sfence.vma %0, zero" ::"r"(va) : "memory");
}

void hal_tlb_flush_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}
