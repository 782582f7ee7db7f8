/*
 * Kernel W^X on x86_64 (docs/reliability.md, "Self-protection"). The boot
 * tables (boot.S) map the image and the direct map through the same page
 * directories of writable, executable 2 MiB pages. x86_wx_init() gives the
 * image its own 4 KiB page tables: text read-only and executable, rodata
 * read-only, data and bss writable, both without execute; and it sets NX on
 * the whole direct map (RAM, the heap, every kernel stack), whose pages over
 * the image lose write access for the text and rodata too, so no writable
 * alias of the code remains. Page tables above the leaves allow all; the
 * leaves decide. Runs once on the boot CPU before any other CPU starts and
 * before the first user address space copies the kernel half; afterwards
 * these tables are read only. The page below the boot stack is left out
 * of the image mapping: the boot and idle stack's guard (boot.S). Without NX (EFER.NXE clear: bit 63 would be
 * reserved) only the write protection applies.
 */
#include <ferrite/printk.h>
#include <hal/hal_boot.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define PG_P (1UL << 0)
#define PG_W (1UL << 1)
#define PG_PS (1UL << 7)
#define PG_NX (1UL << 63)
#define PG_ADDR 0x000ffffffffff000UL
#define CHUNK (1UL << 21)
#define IMAGE_CHUNKS 16 /* the image (with the first MiB) within 32 MiB */

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

static uint64_t image_pd[512] __aligned(4096);
static uint64_t image_pt[IMAGE_CHUNKS][512] __aligned(4096);
static uint64_t alias_pt[IMAGE_CHUNKS][512] __aligned(4096);

/* The leaf bits for physical page pa of the image's 2 MiB chunks. */
static uint64_t image_leaf(phys_addr_t pa, uint64_t nx, bool alias)
{
	uintptr_t va = KERNEL_VMA + pa;

	if (!alias && va >= (uintptr_t)boot_stack_guard && va < (uintptr_t)boot_stack)
		return 0; /* the boot stack's guard page: absent */
	if (va >= (uintptr_t)__kernel_start && va < (uintptr_t)__text_end)
		return alias ? PG_P | nx : PG_P; /* text: RX here, R in the direct map */
	if (va >= (uintptr_t)__text_end && va < (uintptr_t)__rodata_end)
		return PG_P | nx;
	return PG_P | PG_W | nx;
}

void x86_wx_init(void)
{
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PG_NX : 0;
	unsigned chunks = (unsigned)((kimage_to_phys(__kernel_end) + CHUNK - 1) / CHUNK);

	if (chunks > IMAGE_CHUNKS)
		panic("W^X: the kernel image needs %u 2 MiB chunks, %u fit", chunks, IMAGE_CHUNKS);
	/* The image: PML4[511] -> PDPT[510] -> image_pd. */
	for (unsigned i = 0; i < 512; i++) {
		phys_addr_t base = (phys_addr_t)i * CHUNK;
		if (i >= chunks) {
			image_pd[i] = base | PG_P | PG_W | PG_PS | nx;
			continue;
		}
		for (unsigned j = 0; j < 512; j++) {
			phys_addr_t pa = base + ((phys_addr_t)j << 12);
			image_pt[i][j] = pa | image_leaf(pa, nx, false);
			alias_pt[i][j] = pa | image_leaf(pa, nx, true);
		}
		image_pd[i] = kimage_to_phys(image_pt[i]) | PG_P | PG_W;
	}
	uint64_t *pdpt_high = phys_to_virt(boot_pml4[511] & PG_ADDR);
	pdpt_high[510] = kimage_to_phys(image_pd) | PG_P | PG_W;
	write_cr3(read_cr3()); /* running from image_pd from here on */

	/* The direct map (boot.S's and direct_map_extend's directories):
	 * no execution anywhere, and the image's chunks by 4 KiB pages. */
	for (unsigned g = 0; g < DIRECT_MAP_MAX >> 30; g++) {
		if (!(boot_pdpt_low[g] & PG_P))
			continue;
		uint64_t *pd = phys_to_virt(boot_pdpt_low[g] & PG_ADDR);
		for (unsigned i = 0; i < 512; i++) {
			if (g == 0 && i < chunks)
				pd[i] = kimage_to_phys(alias_pt[i]) | PG_P | PG_W;
			else if (pd[i] & PG_P)
				pd[i] |= nx;
		}
	}
	write_cr3(read_cr3());
	pr_info("x86: kernel W^X: text %luK RX, rodata %luK R, data %luK RW%s; direct map %s\n",
		(unsigned long)(__text_end - __kernel_start) >> 10,
		(unsigned long)(__rodata_end - __text_end) >> 10,
		(unsigned long)(__kernel_end - __rodata_end) >> 10, nx ? "+NX" : "",
		nx ? "NX" : "executable (no NX on this CPU)");
}
