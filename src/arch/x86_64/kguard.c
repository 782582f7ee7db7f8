/*
 * Guard pages in the x86_64 direct map (hal_kernel_guard_page, for the
 * page below each kernel stack, src/proc/task.c). The direct map is made
 * of 2 MiB pages (boot.S, directmap.c); the first guard in one splits it
 * into a page table of the same 4 KiB mappings, which stays. The page
 * directories are shared by every address space (their PDPT is), so the
 * change is seen everywhere. Lock: guard_lock serialises splits and PTE
 * updates (IRQ-safe: stacks are freed from any context).
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/spinlock.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define PG_P (1UL << 0)
#define PG_W (1UL << 1)
#define PG_PS (1UL << 7)
#define PG_PAT_LARGE (1UL << 12)
#define PG_ADDR 0x000ffffffffff000UL

static struct spinlock guard_lock = SPINLOCK_INIT("kguard");

int hal_kernel_guard_page(void *va, bool guard)
{
	phys_addr_t pa = virt_to_phys(va);
	uint64_t *pdpt_e = &boot_pdpt_low[pa >> 30];
	struct frame *spare = NULL; /* a table for a split, allocated unlocked */
	unsigned long flags;

	if (pa >= DIRECT_MAP_MAX || !(*pdpt_e & PG_P))
		return -EINVAL;
	uint64_t *pd_e = (uint64_t *)phys_to_virt(*pdpt_e & PG_ADDR) + ((pa >> 21) & 511);
again:
	flags = spin_lock_irqsave(&guard_lock);
	if ((*pd_e & PG_PS) && guard) {
		if (!spare) {
			spin_unlock_irqrestore(&guard_lock, flags);
			spare = frame_alloc_zeroed();
			if (!spare)
				return -ENOMEM;
			goto again;
		}
		/* The same mappings by 4 KiB pages: the large page's bits but
		 * PS (and its PAT bit, which RAM does not use). */
		uint64_t *pt = frame_to_virt(spare);
		uint64_t bits = *pd_e & ~PG_ADDR & ~(PG_PS | PG_PAT_LARGE);
		phys_addr_t base = *pd_e & PG_ADDR & ~((1UL << 21) - 1);
		for (unsigned i = 0; i < 512; i++)
			pt[i] = (base + ((phys_addr_t)i << 12)) | bits;
		*pd_e = frame_to_phys(spare) | PG_P | PG_W;
		spare = NULL;
		hal_tlb_flush_all();
	}
	if (!(*pd_e & PG_PS)) { /* (never guarded: nothing to restore) */
		uint64_t *pte = (uint64_t *)phys_to_virt(*pd_e & PG_ADDR) + ((pa >> 12) & 511);
		if (guard)
			*pte &= ~PG_P;
		else
			*pte |= PG_P;
		hal_tlb_flush_page((uintptr_t)va);
	}
	spin_unlock_irqrestore(&guard_lock, flags);
	if (spare) /* another CPU split it meanwhile */
		frame_put(spare);
	return 0;
}
