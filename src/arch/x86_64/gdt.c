/*
 * Per-CPU GDT and TSS. Selector order is Linux's, the one SYSCALL/SYSRET
 * need (STAR, syscall.c): kernel CS, kernel DS = CS + 8; for SYSRET from
 * base 0x20: user DS = base + 8, user 64-bit CS = base + 16.
 *   0x08 unused   0x10 kernel code   0x18 kernel data
 *   0x20 user32 code (placeholder)   0x28 user data   0x30 user code
 *   0x40 TSS (16 bytes)
 * TSS.rsp0 is the running task's kernel stack top (hal_set_kernel_stack);
 * IST1..3 are private stacks for #DF, NMI and #MC, per CPU. Each CPU
 * touches only its own.
 */
#include <ferrite/cpu.h>
#include <hal/hal_context.h>
#include "x86.h"

#define IST_STACK_SIZE 8192
/* Per CPU: IST1 #DF, IST2 NMI, IST3 #MC (idt.c), so each runs on a known
 * good stack whatever rsp was (a kernel stack overflow into its guard
 * page becomes a #DF reported there instead of a triple fault). A #DF or
 * #MC from the kernel panics; an NMI from the kernel returns and must not
 * fault (a nested NMI would reuse the stack). Entries from user mode move
 * to the task's stack (entry.S). */
static uint8_t ist_stacks[MAX_CPUS][X86_IST_COUNT][IST_STACK_SIZE] __aligned(16);

void gdt_init(struct x86_cpu *c)
{
	uint64_t tss = (uintptr_t)&c->tss;
	struct {
		uint16_t limit;
		uint64_t base;
	} __packed ptr = { sizeof(c->gdt) - 1, (uintptr_t)c->gdt };

	c->gdt[0] = 0;
	c->gdt[1] = 0;
	c->gdt[2] = 0x00af9a000000ffffUL; /* kernel code, 64-bit */
	c->gdt[3] = 0x00cf92000000ffffUL; /* kernel data */
	c->gdt[4] = 0x00cffa000000ffffUL; /* user 32-bit code (never used) */
	c->gdt[5] = 0x00cff2000000ffffUL; /* user data */
	c->gdt[6] = 0x00affa000000ffffUL; /* user code, 64-bit */
	c->gdt[7] = 0;
	/* 64-bit available TSS descriptor */
	c->gdt[8] = (sizeof(c->tss) - 1) | ((tss & 0xffffff) << 16) | (0x89UL << 40) |
		    (((tss >> 24) & 0xff) << 56);
	c->gdt[9] = tss >> 32;

	c->tss.iomap_base = sizeof(c->tss); /* no I/O permission bitmap */
	for (int i = 0; i < X86_IST_COUNT; i++)
		c->tss.ist[i] = (uintptr_t)ist_stacks[c->id][i] + IST_STACK_SIZE;

	__asm__ volatile("lgdt %0" ::"m"(ptr));
	/* Reload CS with a far return, then the data segments. Loading GS
	 * may clear its base on some CPUs: put the per-CPU pointer back. */
	uint64_t gs_base = rdmsr(MSR_GS_BASE);
	__asm__ volatile("pushq %0\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %1, %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 :
			 : "i"((uint64_t)KERNEL_CS), "i"(KERNEL_DS)
			 : "rax", "memory");
	wrmsr(MSR_GS_BASE, gs_base);
	__asm__ volatile("ltr %w0" ::"r"(TSS_SEL));
}

void hal_set_kernel_stack(uintptr_t kstack_top)
{
	struct x86_cpu *c = this_x86_cpu();

	c->kstack_top = kstack_top;
	c->tss.rsp[0] = kstack_top;
}
