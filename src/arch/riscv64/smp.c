/*
 * riscv64 multiprocessor bring-up and IPIs through the SBI: harts come
 * from the FDT (/cpus/cpu@N reg; any ids, the boot hart any of them),
 * start with HSM hart_start at rv_secondary_entry (head.S) with a start
 * block giving the kernel's satp, the stack and the struct cpu; IPIs are
 * SBI send_ipi and arrive as supervisor software interrupts.
 * Locking: start blocks are written by the boot hart before hart_start
 * and read once by their hart; rv_cpus[id] belongs to hart id afterwards.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "pte.h"
#include "riscv.h"

#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_LEGACY_SEND_IPI 0x04

extern char _start[];

/* Read by rv_secondary_entry with paging off: keep the offsets. */
struct rv_start_block {
	unsigned long satp;     /* 0 */
	uintptr_t stack_top;    /* 8 */
	struct cpu *cpu;        /* 16 */
	uintptr_t high;         /* 24: virtual address to continue at */
};
static struct rv_start_block start_blocks[MAX_CPUS];

void rv_secondary_main(struct cpu *c) __noreturn;
void rv_secondary_high(void);

/* Physical address of a kernel image symbol. */
static phys_addr_t kimage_phys(const void *p)
{
	return (uintptr_t)p - (uintptr_t)_start + rv_kernel_load_pa;
}

unsigned hal_smp_cpus(unsigned long *hwids, unsigned max)
{
	unsigned n = 0;

	if (max)
		hwids[n++] = rv_boot_hartid;
	for (int i = 0; i < rv_devices.nr_harts && n < max; i++)
		if (rv_devices.harts[i] != rv_boot_hartid)
			hwids[n++] = rv_devices.harts[i];
	if (n > 1 && !sbi_probe(SBI_EXT_HSM)) {
		pr_warn("riscv64: no SBI HSM extension, the other harts stay parked\n");
		n = 1;
	}
	return n;
}

int hal_cpu_start(struct cpu *c, unsigned long hwid, uintptr_t stack_top)
{
	struct rv_start_block *b = &start_blocks[c->id];
	struct sbiret r;

	rv_cpu_set_hartid(c->id, hwid);
	b->satp = SATP_SV39 | (rv_kernel_root_pa >> 12);
	b->stack_top = stack_top;
	b->cpu = c;
	b->high = (uintptr_t)rv_secondary_high;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r = sbi_call(SBI_EXT_HSM, 0, hwid, kimage_phys(rv_secondary_entry), kimage_phys(b));
	return r.error ? -EIO : 0;
}

/* First C code of a secondary hart, paging on, on its stack (head.S). */
void rv_secondary_main(struct cpu *c)
{
	csr_write(sscratch, 0);
	hal_cpu_set_self(c);
	plic_init_hart(rv_cpu_this()->hartid);
	csr_set(sie, SIE_SSIE); /* IPIs; the timer joins in hal_timer_start() */
	smp_secondary_main(c);
}

void hal_send_ipi(unsigned cpu)
{
	unsigned long hart = rv_hartid_of(cpu);
	struct sbiret r = sbi_call(SBI_EXT_IPI, 0, 1, hart, 0);

	if (r.error) { /* an old SBI: the legacy call takes a mask pointer */
		unsigned long mask = 1UL << hart;
		sbi_call(SBI_EXT_LEGACY_SEND_IPI, 0, (unsigned long)&mask, 0, 0);
	}
}

/* The supervisor software interrupt (an IPI). */
void rv_ipi_interrupt(void)
{
	csr_clear(sip, SIE_SSIE);
	smp_ipi_interrupt();
}
