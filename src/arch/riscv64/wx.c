/*
 * Kernel W^X on riscv64 (docs/reliability.md, "Self-protection"). The boot
 * tables (early.c) map the image with readable, writable, executable 2 MiB
 * pages and the direct map with readable, writable 1 GiB pages (never
 * executable). rv_wx_init() maps the image's 2 MiB chunks by 4 KiB pages:
 * text R+X, rodata R, data and bss R+W, but the page below the boot
 * stack (its guard, head.S) absent; the rest of the image window loses X. The direct map's GiB holding the image is split too, so the
 * image's text and rodata have no writable alias there. Runs once on the
 * boot hart, before other harts start and before the first user address
 * space copies the kernel half; afterwards these tables are read only
 * (but for the stack guards below).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <hal/hal_boot.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_protect.h>
#include <hal/hal_trap.h>
#include "pte.h"
#include "riscv.h"

#define CHUNK (1UL << 21)
#define GIB (1UL << 30)
#define IMAGE_CHUNKS 16 /* the image within 32 MiB */

extern char __kernel_start[], __text_end[], __rodata_end[], __kernel_end[];

static uint64_t image_l0[IMAGE_CHUNKS][512] __aligned(4096);
static uint64_t alias_l0[IMAGE_CHUNKS][512] __aligned(4096);
static uint64_t alias_l1[512] __aligned(4096);

/* The physical address of something in the image. */
static phys_addr_t image_pa(const void *p)
{
	return (uintptr_t)p - (uintptr_t)__kernel_start + rv_kernel_load_pa;
}

/* The leaf bits for the image page at offset off from its start. */
static uint64_t image_leaf(uintptr_t off, bool alias)
{
	uint64_t base = PTE_V | PTE_R | PTE_A | PTE_D | PTE_G;

	if (!alias && off >= (uintptr_t)(boot_stack_guard - __kernel_start) &&
	    off < (uintptr_t)(boot_stack - __kernel_start))
		return 0; /* the boot stack's guard page: absent (head.S) */
	if (off < (uintptr_t)(__text_end - __kernel_start))
		return alias ? base : base | PTE_X;
	if (off < (uintptr_t)(__rodata_end - __kernel_start))
		return base;
	return base | PTE_W;
}

void rv_wx_init(void)
{
	uintptr_t size = (uintptr_t)(__kernel_end - __kernel_start);
	unsigned chunks = (unsigned)((size + CHUNK - 1) / CHUNK);
	uint64_t *root = rv_kernel_root;
	uint64_t *image_l1 = phys_to_virt(pte_phys(root[510]));
	unsigned first = (unsigned)(((uintptr_t)__kernel_start >> 21) & 511);
	phys_addr_t gib_base = rv_kernel_load_pa & ~(GIB - 1);
	unsigned gib_slot = 256 + (unsigned)(rv_kernel_load_pa >> 30);
	unsigned alias_first = (unsigned)((rv_kernel_load_pa - gib_base) >> 21);
	bool alias = rv_kernel_load_pa + chunks * CHUNK <= gib_base + GIB &&
		     gib_slot < 256 + DIRECT_MAP_GIB;

	if (chunks > IMAGE_CHUNKS || first + chunks > 512)
		panic("W^X: the kernel image needs %u 2 MiB chunks, %u fit", chunks, IMAGE_CHUNKS);
	for (unsigned c = 0; c < chunks; c++)
		for (unsigned j = 0; j < 512; j++) {
			uintptr_t off = c * CHUNK + ((uintptr_t)j << 12);
			image_l0[c][j] = pte_make(rv_kernel_load_pa + off, image_leaf(off, false));
			alias_l0[c][j] = pte_make(rv_kernel_load_pa + off, image_leaf(off, true));
		}
	/* The image window: 4 KiB pages over the image, no X past it. */
	for (unsigned i = 0; i < 512; i++) {
		if (i >= first && i < first + chunks)
			image_l1[i] = pte_make(image_pa(image_l0[i - first]), PTE_V | PTE_G);
		else if (image_l1[i] & PTE_V)
			image_l1[i] &= ~PTE_X;
	}
	/* The direct map's GiB with the image: 2 MiB pages, the image's
	 * chunks by 4 KiB pages without write access to text and rodata. */
	if (alias) {
		uint64_t leaf = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D | PTE_G;
		for (unsigned i = 0; i < 512; i++) {
			if (i >= alias_first && i < alias_first + chunks)
				alias_l1[i] = pte_make(image_pa(alias_l0[i - alias_first]), PTE_V | PTE_G);
			else
				alias_l1[i] = pte_make(gib_base + (phys_addr_t)i * CHUNK, leaf);
		}
		root[gib_slot] = pte_make(image_pa(alias_l1), PTE_V | PTE_G);
	}
	__asm__ volatile("sfence.vma" ::: "memory");
	pr_info("riscv64: kernel W^X: text %luK RX, rodata %luK R, data %luK RW; direct map RW%s\n",
		(unsigned long)(__text_end - __kernel_start) >> 10,
		(unsigned long)(__rodata_end - __text_end) >> 10,
		(unsigned long)(__kernel_end - __rodata_end) >> 10,
		alias ? ", image alias read-only" : "");
}

/* The kernel table's leaf entry for va (at any level), or 0. */
static uint64_t kernel_leaf(uintptr_t va)
{
	uint64_t *table = rv_kernel_root;

	for (int level = 2; level >= 0; level--) {
		uint64_t pte = table[(va >> (12 + 9 * level)) & 511];
		if (!(pte & PTE_V))
			return 0;
		if (pte & PTE_LEAF_MASK)
			return pte;
		table = phys_to_virt(pte_phys(pte));
	}
	return 0;
}

/* A kernel fault at kernel address addr: true when the page is mapped but
 * W^X forbids the access (a store to text or rodata, a fetch from data,
 * the heap or the direct map). */
bool rv_wx_violation(unsigned long scause, uintptr_t addr)
{
	uint64_t pte;

	if (addr < DIRECT_MAP_BASE)
		return false;
	pte = kernel_leaf(addr);
	if (scause == EXC_STORE_PAGE_FAULT)
		return pte && !(pte & PTE_W);
	if (scause == EXC_INST_PAGE_FAULT)
		return pte && !(pte & PTE_X);
	return false;
}

/*
 * Guard pages in the direct map (hal_kernel_guard_page, below each kernel
 * stack, src/proc/task.c). The boot map uses 1 GiB leaves in root slots,
 * which every user root copies; rv_direct_map_split() maps all RAM by
 * 4 KiB pages once, from hal_arch_init before the first process (a table
 * per 2 MiB, 2 MiB of tables per GiB), so a guard only flips a valid bit:
 * it never allocates, so it cannot fail under memory pressure nor leave a
 * table behind that /proc/ferrite/counters would show. No lock: each
 * guard page belongs to one stack block, whose owner alone flips it.
 */
static uint64_t *split_leaf(uint64_t *e, phys_addr_t base, phys_addr_t step)
{
	struct frame *f = frame_alloc_zeroed();

	if (!f)
		return NULL;
	uint64_t *t = frame_to_virt(f);
	uint64_t bits = *e & 0x3ff;
	for (unsigned i = 0; i < 512; i++)
		t[i] = pte_make(base + (phys_addr_t)i * step, bits);
	__asm__ volatile("fence rw, rw" ::: "memory");
	*e = pte_make(frame_to_phys(f), PTE_V | PTE_G);
	return t;
}

void rv_direct_map_split(const struct boot_info *info)
{
	unsigned tables = 0;

	for (int r = 0; r < info->nr_usable; r++) {
		phys_addr_t end = info->usable[r].base + info->usable[r].size;
		for (phys_addr_t c = info->usable[r].base & ~(CHUNK - 1); c < end; c += CHUNK) {
			if ((c >> 30) >= DIRECT_MAP_GIB)
				break;
			uint64_t *root_e = &rv_kernel_root[256 + (c >> 30)];
			if ((*root_e & PTE_LEAF_MASK) &&
			    !split_leaf(root_e, c & ~(GIB - 1), CHUNK))
				goto nomem;
			uint64_t *l1_e = (uint64_t *)phys_to_virt(pte_phys(*root_e)) + ((c >> 21) & 511);
			if (!(*l1_e & PTE_LEAF_MASK))
				continue; /* split already (the image's chunks) */
			if (!split_leaf(l1_e, c, PAGE_SIZE))
				goto nomem;
			tables++;
		}
	}
	__asm__ volatile("sfence.vma" ::: "memory");
	pr_info("riscv64: direct map of RAM by 4 KiB pages (%u tables) for kernel stack guards\n",
		tables);
	return;
nomem:
	__asm__ volatile("sfence.vma" ::: "memory");
	pr_warn("riscv64: no memory to split the direct map: some stacks have no guard page\n");
}

int hal_kernel_guard_page(void *va, bool guard)
{
	uintptr_t v = (uintptr_t)va;
	uint64_t root_e = rv_kernel_root[(v >> 30) & 511];

	if (v < DIRECT_MAP_BASE || !(root_e & PTE_V) || (root_e & PTE_LEAF_MASK))
		return -ENOMEM; /* not split at boot: no guard */
	uint64_t l1_e = ((uint64_t *)phys_to_virt(pte_phys(root_e)))[(v >> 21) & 511];
	if (!(l1_e & PTE_V) || (l1_e & PTE_LEAF_MASK))
		return -ENOMEM;
	uint64_t *pte = (uint64_t *)phys_to_virt(pte_phys(l1_e)) + ((v >> 12) & 511);
	if (guard)
		__atomic_and_fetch(pte, ~PTE_V, __ATOMIC_RELAXED);
	else
		__atomic_or_fetch(pte, PTE_V, __ATOMIC_RELAXED);
	__asm__ volatile("sfence.vma %0" ::"r"(v) : "memory");
	return 0;
}

/* A kernel load or store fault at a direct-map page that is valid now: a
 * translation this hart cached before another made the page valid again
 * (a freed stack's guard). Flush and retry. */
bool rv_kernel_spurious_fault(unsigned long scause, uintptr_t addr)
{
	uint64_t pte;

	if (addr < DIRECT_MAP_BASE || (scause != EXC_LOAD_PAGE_FAULT && scause != EXC_STORE_PAGE_FAULT))
		return false;
	pte = kernel_leaf(addr);
	if (!pte || (scause == EXC_STORE_PAGE_FAULT && !(pte & PTE_W)))
		return false;
	__asm__ volatile("sfence.vma %0" ::"r"(addr) : "memory");
	return true;
}

/* Per-hart emergency stacks for a kernel stack overflow (trap.S). */
uint8_t rv_emergency_stacks[MAX_CPUS][RV_EMERGENCY_STACK_SIZE] __aligned(16);

/* rv_trap_kernel, first: a trap that trap.S moved to this hart's emergency
 * stack, because sp had run into the guard below the task's stack. The
 * old sp is the stack's top word. Reports and panics. */
void rv_emergency_check(struct trap_frame *tf)
{
	uintptr_t top = (uintptr_t)rv_emergency_stacks[hal_cpu_id()] + RV_EMERGENCY_STACK_SIZE;
	uintptr_t at = (uintptr_t)tf;

	if (at >= top || at < top - RV_EMERGENCY_STACK_SIZE)
		return;
	uintptr_t old_sp = *(uintptr_t *)(top - 8);
	kernel_stack_overflow_check(old_sp, tf->sepc);
	panic("kernel stack overflow: sp %lx at pc %lx (scause %lx stval %lx)", old_sp, tf->sepc,
	      tf->scause, tf->stval);
}
