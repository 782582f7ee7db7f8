/*
 * The direct map beyond the boot page tables' 4 GiB: usable RAM above
 * 4 GiB (q35 puts everything past 2 or 3 GiB there) is mapped with 2 MiB
 * pages through page directories from a static pool, so no allocator is
 * needed. Runs once on the boot CPU before kmain; nothing to lock.
 */
#include <ferrite/printk.h>
#include "x86.h"

#define GIB (1UL << 30)
#define EXTRA_PDS (DIRECT_MAP_MAX / GIB - DIRECT_MAP_SIZE / GIB)

static uint64_t extra_pd[EXTRA_PDS][512] __aligned(4096);

void direct_map_extend(const struct boot_info *info)
{
	phys_addr_t top = DIRECT_MAP_SIZE;

	for (int i = 0; i < info->nr_usable; i++)
		top = MAX(top, info->usable[i].base + info->usable[i].size);
	for (phys_addr_t gb = DIRECT_MAP_SIZE; gb < top; gb += GIB) {
		uint64_t *pd = extra_pd[gb / GIB - DIRECT_MAP_SIZE / GIB];
		for (int j = 0; j < 512; j++)
			pd[j] = (gb + ((phys_addr_t)j << 21)) | 0x83; /* P, W, 2 MiB */
		boot_pdpt_low[gb / GIB] = kimage_to_phys(pd) | 0x03;
	}
	write_cr3(read_cr3());
}
