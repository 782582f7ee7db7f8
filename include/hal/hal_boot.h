/*
 * HAL: what the boot loader told us. The arch entry code fills a boot_info
 * (from the FDT on riscv64, multiboot/PVH on x86_64) and calls kmain().
 */
#pragma once
#include <ferrite/types.h>

#define BOOT_MAX_REGIONS 32
#define BOOT_CMDLINE_MAX 512

struct mem_region {
	phys_addr_t base;
	uint64_t size;
};

struct boot_info {
	struct mem_region usable[BOOT_MAX_REGIONS]; /* RAM the kernel may use */
	int nr_usable;
	/* Inside usable RAM but taken: kernel image, boot page tables, FDT,
	 * initrd, firmware. The frame allocator skips these. */
	struct mem_region reserved[BOOT_MAX_REGIONS];
	int nr_reserved;
	phys_addr_t initrd_start, initrd_end; /* 0, 0 when none */
	char cmdline[BOOT_CMDLINE_MAX];
};

/* Portable entry point, src/kmain.c. Called on the boot CPU with interrupts
 * off, the direct map active and the console usable. */
void kmain(struct boot_info *info) __noreturn;

/* Arch: set up traps, interrupt controllers and the timer; after the frame
 * allocator and kmalloc work. */
void hal_arch_init(void);
/* The boot CPU's stack, KSTACK_SIZE bytes, which becomes its idle task's
 * stack (sched_init); the arch leaves the page below it, boot_stack_guard,
 * out of its image mapping (wx.c), so an overflow is reported as on a task
 * stack (src/proc/protect.c). */
extern char boot_stack[], boot_stack_guard[];
/* Arch name for uname(2): "riscv64" or "x86_64". */
extern const char hal_arch_name[];
