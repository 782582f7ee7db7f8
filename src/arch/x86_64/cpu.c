/*
 * x86_64 CPU basics: interrupt flag, idle, per-CPU blocks (GS base), halt
 * and the frame-pointer backtrace. Per-CPU data is touched only by its CPU.
 */
#include <ferrite/cpu.h>
#include <ferrite/printk.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include "x86.h"

struct x86_cpu x86_cpus[MAX_CPUS];

_Static_assert(offsetof(struct x86_cpu, self) == 0, "entry.S");
_Static_assert(offsetof(struct x86_cpu, kstack_top) == PERCPU_KSTACK_TOP, "entry.S");
_Static_assert(offsetof(struct x86_cpu, user_rsp) == PERCPU_USER_RSP, "entry.S");

/* hal_irq_*, hal_cpu_relax, hal_cpu_id and hal_cpu_self are inline:
 * include/hal/x86_64/cpu_inline.h. */
_Static_assert(offsetof(struct x86_cpu, cpu) == HAL_X86_PERCPU_CPU, "cpu_inline.h");
_Static_assert(offsetof(struct x86_cpu, id) == HAL_X86_PERCPU_ID, "cpu_inline.h");
_Static_assert(RFLAGS_IF == HAL_X86_RFLAGS_IF, "cpu_inline.h");

/* sti takes effect after the next instruction: no wake-up is lost. */
void hal_cpu_idle(void) { __asm__ volatile("sti; hlt" ::: "memory"); }

void hal_cpu_set_self(struct cpu *cpu)
{
	this_x86_cpu()->cpu = cpu;
}

const char *const hal_elf_platform = "x86_64";

unsigned long hal_elf_hwcap(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	return d;
}

void hal_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static bool kernel_stack_addr(uintptr_t p)
{
	return p >= DIRECT_MAP_BASE && IS_ALIGNED(p, 8);
}

/* Frame pointers: [rbp] = caller's rbp, [rbp + 8] = return address. */
void hal_backtrace(void (*fn)(uintptr_t pc, void *arg), void *arg)
{
	uintptr_t *fp = __builtin_frame_address(0);

	for (int depth = 0; depth < 32 && kernel_stack_addr((uintptr_t)fp); depth++) {
		uintptr_t pc = fp[1];
		if (!pc)
			break;
		fn(pc, arg);
		if ((uintptr_t)fp[0] <= (uintptr_t)fp)
			break;
		fp = (uintptr_t *)fp[0];
	}
}
