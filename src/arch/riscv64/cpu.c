/*
 * riscv64 CPU control: interrupt flag, idle, the per-CPU pointer (tp in
 * kernel mode), halt and the frame-pointer backtrace.
 * Locking: only this CPU's state is touched; nothing shared.
 */
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <hal/hal_boot.h>
#include <hal/hal_cpu.h>
#include "riscv.h"

const char hal_arch_name[] = "riscv64";

static struct rv_cpu rv_cpus[MAX_CPUS];
unsigned long rv_boot_hartid;

/* hal_irq_*, hal_cpu_relax, hal_cpu_id and hal_cpu_self are inline:
 * include/hal/riscv64/cpu_inline.h. */
_Static_assert(offsetof(struct cpu, id) == 0, "cpu_inline.h");
_Static_assert(SSTATUS_SIE == HAL_RV_SSTATUS_SIE, "cpu_inline.h");

/* wfi wakes on a pending interrupt even while they are masked, so waiting
 * first and enabling afterwards loses no wake-up. */
void hal_cpu_idle(void)
{
	__asm__ volatile("wfi" ::: "memory");
	csr_set(sstatus, SSTATUS_SIE);
}

void hal_cpu_set_self(struct cpu *cpu)
{
	struct rv_cpu *rc = &rv_cpus[cpu->id];

	rc->cpu = cpu;
	if (cpu->id == 0)
		rc->hartid = rv_boot_hartid;
	__asm__ volatile("mv tp, %0" ::"r"(cpu) : "memory");
}

void rv_cpu_set_hartid(unsigned id, unsigned long hartid)
{
	rv_cpus[id].hartid = hartid;
}

unsigned long rv_hartid_of(unsigned id)
{
	return rv_cpus[id].hartid;
}

struct rv_cpu *rv_cpu_this(void)
{
	return &rv_cpus[hal_cpu_id()];
}

void hal_set_kernel_stack(uintptr_t kstack_top)
{
	rv_cpu_this()->kstack_top = kstack_top;
}

void hal_halt(void)
{
	csr_clear(sstatus, SSTATUS_SIE);
	for (;;)
		__asm__ volatile("wfi");
}

/*
 * With frame pointers, s0 is the caller's sp at entry; fp[-1] holds ra and
 * fp[-2] the caller's s0. Kernel stacks (and the boot stack) are
 * KSTACK_SIZE bytes aligned to KSTACK_SIZE, which gives the walk its bounds.
 */
void hal_backtrace(void (*fn)(uintptr_t pc, void *arg), void *arg)
{
	uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
	uintptr_t lo = ALIGN_DOWN(fp, KSTACK_SIZE), hi = lo + KSTACK_SIZE;

	for (int depth = 0; depth < 64; depth++) {
		if (fp < lo + 16 || fp > hi || !IS_ALIGNED(fp, 8))
			break;
		uintptr_t ra = ((uintptr_t *)fp)[-1];
		uintptr_t prev = ((uintptr_t *)fp)[-2];
		if (ra < 0xffffffff80000000UL)
			break;
		fn(ra, arg);
		if (prev <= fp)
			break;
		fp = prev;
	}
}
