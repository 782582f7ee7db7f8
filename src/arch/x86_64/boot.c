/*
 * x86_boot_main: the first C code on the boot CPU, entered from boot.S in
 * 64-bit mode on the boot stack with the boot page tables. It makes the CPU
 * usable (per-CPU GS, GDT/TSS, IDT, FPU, SYSCALL), reads the multiboot info
 * before anything can overwrite it, drops the identity map and calls kmain.
 * Boot CPU only, interrupts off; nothing to lock.
 */
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_boot.h>
#include <hal/hal_mmu.h>
#include "x86.h"

const char hal_arch_name[] = "x86_64";
uintptr_t hal_direct_map_offset = DIRECT_MAP_BASE;
const uintptr_t hal_user_max = 0x00007ffffffff000UL;

static struct boot_info boot_info;

void x86_boot_main(uint32_t magic, uint32_t mbi) __noreturn;

const struct boot_info *x86_boot_info(void)
{
	return &boot_info;
}

void x86_boot_main(uint32_t magic, uint32_t mbi)
{
	struct x86_cpu *c = &x86_cpus[0];

	/* Per-CPU block first: hal_cpu_id() (spinlocks) reads it. */
	c->self = c;
	c->id = 0;
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);

	serial_init();
	gdt_init(c);
	idt_init();
	fpu_init();
	syscall_init();

	multiboot_parse(magic, mbi, &boot_info);
	direct_map_extend(&boot_info);

	/* The identity map was only for the jump to the higher half. */
	boot_pml4[0] = 0;
	write_cr3(read_cr3());
	x86_wx_init();
	x86_protect_init(); /* SMEP/SMAP/UMIP: the kernel no longer needs low pages */
	x86_mce_cpu_init(); /* machine checks raise #MC (mce.c) */

	timer_calibrate();
	kmain(&boot_info);
}
