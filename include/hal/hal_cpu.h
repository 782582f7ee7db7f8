/* HAL: the CPU itself — interrupts, idle, per-CPU data, power. */
#pragma once
#include <ferrite/types.h>

/*
 * The hot accessors below are static inline in the architecture's
 * hal/<arch>/cpu_inline.h; the host build (FERRITE_HOST) keeps them out of
 * line (test/fake/fake_hal.c).
 *
 * hal_irq_save: disable interrupts; return the previous state for
 * hal_irq_restore. hal_cpu_self: the portable per-CPU block (struct cpu,
 * include/ferrite/cpu.h) of this CPU.
 */
#if defined(FERRITE_HOST)
struct cpu;
unsigned long hal_irq_save(void);
void hal_irq_restore(unsigned long flags);
void hal_irq_enable(void);
void hal_irq_disable(void);
bool hal_irq_enabled(void);
unsigned hal_cpu_id(void);
void hal_cpu_relax(void);
struct cpu *hal_cpu_self(void);
#elif defined(__riscv)
#include <hal/riscv64/cpu_inline.h>
#elif defined(__x86_64__)
#include <hal/x86_64/cpu_inline.h>
#else
#error "unsupported architecture"
#endif

/* Wait for an interrupt with interrupts enabled (the idle loop body). */
void hal_cpu_idle(void);

/* Called once per CPU during boot with its block. */
void hal_cpu_set_self(struct cpu *cpu);

/*
 * Multiprocessor bring-up (src/arch/<arch>/smp.c; portable side in
 * src/proc/smp.c). hal_smp_cpus: the hardware ids of the CPUs present
 * (riscv64 hart ids from the FDT, x86_64 APIC ids from the MADT), the boot
 * CPU first; returns how many (at most max). hal_cpu_start: start the CPU
 * with hardware id hwid as cpu c (c->id set) on the kernel stack whose top
 * is stack_top; it sets up its traps, per-CPU pointer and interrupt
 * controller and calls smp_secondary_main(c). Return 0 or -errno.
 * hal_send_ipi: raise an inter-processor interrupt on CPU cpu, whose
 * handler calls smp_ipi_interrupt().
 */
unsigned hal_smp_cpus(unsigned long *hwids, unsigned max);
int hal_cpu_start(struct cpu *c, unsigned long hwid, uintptr_t stack_top);
void hal_send_ipi(unsigned cpu);

/* What user programs learn about the CPU at execve (auxv): AT_HWCAP as
 * Linux gives it (x86_64: CPUID.1:EDX; riscv64: the single-letter ISA
 * extensions I M A F D C every hart has), and AT_PLATFORM (NULL: none). */
unsigned long hal_elf_hwcap(void);
extern const char *const hal_elf_platform;

/* Machine power. Never return. */
void hal_poweroff(void) __noreturn;
void hal_reboot(void) __noreturn;
void hal_halt(void) __noreturn;

/* Walk the kernel call stack (frame pointers); calls fn for each return pc. */
void hal_backtrace(void (*fn)(uintptr_t pc, void *arg), void *arg);
