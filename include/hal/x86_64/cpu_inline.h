/*
 * x86_64: the HAL's hot CPU accessors, inlined (included by hal/hal_cpu.h).
 * The per-CPU pointer is read through GS (struct x86_cpu in
 * src/arch/x86_64/x86.h; the offsets below are checked by static_assert in
 * src/arch/x86_64/cpu.c). Only this CPU's state is touched; no locks.
 */
#pragma once
#include <ferrite/types.h>

#define HAL_X86_PERCPU_CPU 24 /* offsetof(struct x86_cpu, cpu) */
#define HAL_X86_PERCPU_ID 40  /* offsetof(struct x86_cpu, id) */
#define HAL_X86_RFLAGS_IF (1UL << 9)

struct cpu;

static inline unsigned long hal_irq_save(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags;
}

static inline void hal_irq_restore(unsigned long flags)
{
	if (flags & HAL_X86_RFLAGS_IF)
		__asm__ volatile("sti" ::: "memory");
}

static inline void hal_irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hal_irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }

static inline bool hal_irq_enabled(void)
{
	unsigned long flags;
	__asm__ volatile("pushfq; popq %0" : "=r"(flags));
	return flags & HAL_X86_RFLAGS_IF;
}

static inline void hal_cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

/* volatile: a task may move to another CPU across any call. */
static inline unsigned hal_cpu_id(void)
{
	unsigned id;
	__asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(HAL_X86_PERCPU_ID));
	return id;
}

static inline struct cpu *hal_cpu_self(void)
{
	struct cpu *c;
	__asm__ volatile("movq %%gs:%c1, %0" : "=r"(c) : "i"(HAL_X86_PERCPU_CPU));
	return c;
}
