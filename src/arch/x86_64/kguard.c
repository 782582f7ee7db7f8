/*
 * Guard pages in the x86_64 direct map (hal_kernel_guard_page, for the
 * page below each kernel stack, src/proc/task.c). The direct map is made
 * of 2 MiB pages (boot.S, directmap.c); x86_direct_map_split() maps all
 * RAM by 4 KiB pages once at boot (hal_arch_init, before the first
 * process: a page table per 2 MiB, 2 MiB of tables per GiB), so a guard
 * only flips a present bit and never allocates (no failure under memory
 * pressure, no table that would look like a leak in /proc/ferrite/counters).
 * The page directories are shared by every address space (their PDPT is),
 * so a change is seen everywhere. Lock: none needed: each guard page
 * belongs to one stack block, whose owner alone flips it.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <hal/hal_boot.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define PG_P (1UL << 0)
#define PG_W (1UL << 1)
#define PG_PS (1UL << 7)
#define PG_PAT_LARGE (1UL << 12)
#define PG_ADDR 0x000ffffffffff000UL
#define CHUNK (1UL << 21)

/* The directory entry mapping direct-map physical address pa, or NULL. */
static uint64_t *pd_entry(phys_addr_t pa)
{
	uint64_t pdpt_e;

	if (pa >= DIRECT_MAP_MAX)
		return NULL;
	pdpt_e = boot_pdpt_low[pa >> 30];
	if (!(pdpt_e & PG_P))
		return NULL;
	return (uint64_t *)phys_to_virt(pdpt_e & PG_ADDR) + ((pa >> 21) & 511);
}

void x86_direct_map_split(const struct boot_info *info)
{
	unsigned tables = 0;

	for (int r = 0; r < info->nr_usable; r++) {
		phys_addr_t end = info->usable[r].base + info->usable[r].size;
		for (phys_addr_t c = info->usable[r].base & ~(CHUNK - 1); c < end; c += CHUNK) {
			uint64_t *pd_e = pd_entry(c);
			if (!pd_e || !(*pd_e & PG_PS))
				continue; /* split already (the image's chunks: wx.c) */
			struct frame *f = frame_alloc_zeroed();
			if (!f) {
				pr_warn("x86: no memory to split the direct map: stacks above %llx "
					"have no guard page\n", (unsigned long long)c);
				return;
			}
			/* The same mappings: the large page's bits but PS (and
			 * its PAT bit, which RAM does not use). */
			uint64_t *pt = frame_to_virt(f);
			uint64_t bits = *pd_e & ~PG_ADDR & ~(PG_PS | PG_PAT_LARGE);
			for (unsigned i = 0; i < 512; i++)
				pt[i] = (c + ((phys_addr_t)i << 12)) | bits;
			*pd_e = frame_to_phys(f) | PG_P | PG_W;
			tables++;
		}
	}
	hal_tlb_flush_all();
	pr_info("x86: direct map of RAM by 4 KiB pages (%u tables) for kernel stack guards\n",
		tables);
}

int hal_kernel_guard_page(void *va, bool guard)
{
	phys_addr_t pa = virt_to_phys(va);
	uint64_t *pd_e = pd_entry(pa);

	if (!pd_e || (*pd_e & PG_PS) || !(*pd_e & PG_P))
		return -ENOMEM; /* not split at boot: no guard */
	uint64_t *pte = (uint64_t *)phys_to_virt(*pd_e & PG_ADDR) + ((pa >> 12) & 511);
	if (guard)
		__atomic_and_fetch(pte, ~PG_P, __ATOMIC_RELAXED);
	else
		__atomic_or_fetch(pte, PG_P, __ATOMIC_RELAXED);
	hal_tlb_flush_page((uintptr_t)va);
	return 0;
}
