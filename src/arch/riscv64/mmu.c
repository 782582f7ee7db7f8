/*
 * Sv39 page tables. A struct hal_pt * is the kernel virtual address of the
 * root table page; its slots 256..511 are copied from rv_kernel_root, so all
 * address spaces share the kernel half (which never changes after boot).
 * Table pages come from frame_alloc_zeroed() and return with frame_put().
 * Leaves get A and D set up front so no hardware update is needed.
 * Locking: the owner of the page table (struct mm, mm->lock) serialises.
 * TLB: local sfence.vma only; remote shootdown comes with SMP bring-up.
 */
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
			struct frame *f = frame_alloc_zeroed();
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
	struct frame *f = frame_alloc_zeroed();

	if (!f)
		return NULL;
	uint64_t *root = frame_to_virt(f);
	memcpy(&root[PT_ENTRIES / 2], &rv_kernel_root[PT_ENTRIES / 2],
	       PT_ENTRIES / 2 * sizeof(uint64_t));
	return (struct hal_pt *)root;
}

static void free_table(uint64_t *table, int level, unsigned n)
{
	for (unsigned i = 0; i < n && level > 0; i++) {
		uint64_t pte = table[i];
		if ((pte & PTE_V) && !(pte & PTE_LEAF_MASK))
			free_table(phys_to_virt(pte_phys(pte)), level - 1, PT_ENTRIES);
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
	if (was_present)
		hal_tlb_flush_page(va);
	return 0;
}

bool hal_pt_unmap(struct hal_pt *pt, uintptr_t va)
{
	uint64_t *pte = walk(root_of(pt), va, false);

	if (!pte || !pte_present(*pte))
		return false;
	*pte = 0;
	hal_tlb_flush_page(va);
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

bool hal_pt_protect(struct hal_pt *pt, uintptr_t va, unsigned prot)
{
	uint64_t *pte = walk(root_of(pt), va, false);

	if (!pte || !pte_present(*pte))
		return false;
	*pte = pte_make(pte_phys(*pte), prot_to_pte(prot));
	hal_tlb_flush_page(va);
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
