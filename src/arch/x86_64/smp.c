/*
 * x86_64 multiprocessor bring-up and IPIs. Not done yet: only the boot CPU
 * runs (the MADT's other CPUs are not started), so no IPI is ever needed.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <hal/hal_cpu.h>
#include "x86.h"

unsigned hal_smp_cpus(unsigned long *hwids, unsigned max)
{
	if (!max)
		return 0;
	hwids[0] = this_x86_cpu()->lapic_id;
	return 1;
}

int hal_cpu_start(struct cpu *c, unsigned long hwid, uintptr_t stack_top)
{
	(void)c, (void)hwid, (void)stack_top;
	return -ENODEV;
}

void hal_send_ipi(unsigned cpu)
{
	(void)cpu;
}
