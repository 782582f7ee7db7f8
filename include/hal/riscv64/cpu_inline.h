/*
 * riscv64: the HAL's hot CPU accessors, inlined (included by hal/hal_cpu.h).
 * In kernel mode tp holds this CPU's struct cpu (set by hal_cpu_set_self,
 * restored by the trap entry). Only this CPU's state is touched; no locks.
 */
#pragma once
#include <ferrite/types.h>

#define HAL_RV_SSTATUS_SIE (1UL << 1)

struct cpu;

static inline unsigned long hal_irq_save(void)
{
	unsigned long flags;
	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(flags)::"memory");
	return flags & HAL_RV_SSTATUS_SIE;
}

static inline void hal_irq_restore(unsigned long flags)
{
	if (flags & HAL_RV_SSTATUS_SIE)
		__asm__ volatile("csrsi sstatus, 2" ::: "memory");
}

static inline void hal_irq_enable(void) { __asm__ volatile("csrsi sstatus, 2" ::: "memory"); }
static inline void hal_irq_disable(void) { __asm__ volatile("csrci sstatus, 2" ::: "memory"); }

static inline bool hal_irq_enabled(void)
{
	unsigned long s;
	__asm__ volatile("csrr %0, sstatus" : "=r"(s));
	return s & HAL_RV_SSTATUS_SIE;
}

static inline void hal_cpu_relax(void) { __asm__ volatile("nop" ::: "memory"); }

/* volatile: a task may move to another CPU across any call. */
static inline struct cpu *hal_cpu_self(void)
{
	struct cpu *c;
	__asm__ volatile("mv %0, tp" : "=r"(c));
	return c;
}

/* The first field of struct cpu is its id (static_assert in cpu.c); 0 before
 * hal_cpu_set_self. */
static inline unsigned hal_cpu_id(void)
{
	const unsigned *c = (const unsigned *)hal_cpu_self();
	return c ? *c : 0;
}
