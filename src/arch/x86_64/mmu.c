/*
 * x86_64 4-level page tables. A struct hal_pt is the direct-map address of
 * a PML4 page; entries 256..511 (the kernel half) are copied from the
 * kernel's PML4 and point at shared PDPTs, so kernel mappings are the same
 * in every address space. Table pages come from frame_alloc_zeroed() and go
 * back with frame_put(). Locking: the caller (src/mm) holds the address
 * space's lock; the HAL keeps no state of its own. TLB shootdown to other
 * CPUs is not needed yet (one CPU).
 */
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
	struct frame *f = frame_alloc_zeroed();
	uint64_t *pml4;

	if (!f)
		return NULL;
	pml4 = frame_to_virt(f);
	for (int i = KERNEL_HALF; i < 512; i++)
		pml4[i] = kernel_pml4()[i];
	return (struct hal_pt *)pml4;
}

static void free_table(uint64_t *table, int level)
{
	if (level > 1) {
		for (int i = 0; i < 512; i++)
			if ((table[i] & PTE_P) && !(table[i] & PTE_PS))
				free_table(phys_to_virt(table[i] & PTE_ADDR), level - 1);
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
			struct frame *f = frame_alloc_zeroed();
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
	if (was)
		hal_tlb_flush_page(va);
	return 0;
}

bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va)
{
	if (!va_ok(va))
		return false;
	uint64_t *pte = walk(pt, va & PAGE_MASK, false);
	if (!pte || !pte_mapped(*pte))
		return false;
	*pte = 0;
	hal_tlb_flush_page(va);
	return true;
}

bool hal_pt_translate(struct hal_pt *pt, uintptr_t va, phys_addr_t *pa, unsigned *prot)
{
	if (!va_ok(va))
		return false;
	uint64_t *pte = walk(pt, va & PAGE_MASK, false);
	if (!pte || !pte_mapped(*pte))
		return false;
	if (pa)
		*pa = (*pte & PTE_ADDR) | (va & ~PAGE_MASK);
	if (prot) {
		unsigned p = 0;
		if (*pte & PTE_P) {
			p = HAL_PROT_READ;
			if (*pte & PTE_W)
				p |= HAL_PROT_WRITE;
			if (!(*pte & PTE_NX))
				p |= HAL_PROT_EXEC;
			if (*pte & PTE_U)
				p |= HAL_PROT_USER;
		}
		*prot = p;
	}
	return true;
}

bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot)
{
	if (!va_ok(va))
		return false;
	uint64_t *pte = walk(pt, va & PAGE_MASK, false);
	if (!pte || !pte_mapped(*pte))
		return false;
	*pte = make_pte(*pte & PTE_ADDR, prot);
	hal_tlb_flush_page(va);
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
