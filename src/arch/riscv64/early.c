/*
 * The boot page tables, built before paging is on. This code runs at the
 * physical load address: it may only reach globals through pc-relative
 * addressing (the medany model does that) and must not call other code or
 * use anything holding a link-time address (no switch tables, no pointers
 * in data). Runs once, on the boot hart, with nothing else alive.
 */
#include <hal/hal_mmu.h>
#include "riscv.h"
#include "pte.h"

uint64_t rv_kernel_root[512] __aligned(4096);
static uint64_t kernel_l1[512] __aligned(4096);
phys_addr_t rv_kernel_root_pa;
phys_addr_t rv_kernel_load_pa;

/*
 * Root slots 256.. map physical 0..DIRECT_MAP_GIB GiB (RAM and MMIO) with
 * 1 GiB pages at DIRECT_MAP_BASE. Slot 510 points to kernel_l1, whose 2 MiB
 * pages map KERNEL_VIRT_BASE + 2 MiB onwards to the load address.
 * Return: the satp value that turns this on.
 */
unsigned long boot_paging_setup(phys_addr_t load_pa)
{
	phys_addr_t root_pa = (phys_addr_t)(uintptr_t)rv_kernel_root;
	phys_addr_t l1_pa = (phys_addr_t)(uintptr_t)kernel_l1;
	uint64_t leaf = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G;

	for (unsigned i = 0; i < DIRECT_MAP_GIB; i++)
		rv_kernel_root[256 + i] = pte_make((phys_addr_t)i << 30, leaf);
	for (unsigned i = 1; i < 512; i++)
		kernel_l1[i] = pte_make(load_pa + ((phys_addr_t)(i - 1) << 21), leaf | PTE_X);
	rv_kernel_root[510] = pte_make(l1_pa, PTE_V | PTE_G);

	rv_kernel_root_pa = root_pa;
	rv_kernel_load_pa = load_pa;
	return SATP_SV39 | (root_pa >> 12);
}
