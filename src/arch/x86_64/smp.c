/*
 * x86_64 multiprocessor bring-up and IPIs through the local APIC (xAPIC
 * registers, or x2APIC MSRs where the CPU has them: apic.c). CPUs come from the ACPI MADT
 * (enabled Local APIC and x2APIC entries, boot CPU first), start with
 * INIT-SIPI-SIPI at the real-mode trampoline (trampoline.S) copied to
 * X86_TRAMP_BASE, and set up their own GDT/TSS (IST stack), IDT, FPU,
 * SYSCALL MSRs, GS base and LAPIC timer before they join the scheduler.
 * Locking: the trampoline page and its parameters are used by one
 * starting CPU at a time (smp_init starts them one after the other); the
 * ICR (a register pair in xAPIC mode) is this CPU's own, written with
 * interrupts off.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_cpu.h>
#include <hal/hal_mmu.h>
#include <hal/hal_timer.h>
#include "x86.h"

#define X86_TRAMP_BASE 0x8000

extern const char x86_tramp_start[], x86_tramp_end[], x86_tramp_params[];

struct tramp_params {
	uint64_t cr3, efer, stack, arg, entry;
};

/* The table the trampoline turns paging on with: the kernel's, plus
 * slot 0 = an identity map of the first 2 MiB, executable (the direct map
 * is NX, wx.c), for the jump. Below 4 GiB (it is in the image), as a
 * 32-bit CR3 load needs. */
static uint64_t tramp_pml4[512] __aligned(4096);
static uint64_t tramp_pdpt[512] __aligned(4096);
static uint64_t tramp_pd[512] __aligned(4096);

void x86_secondary_main(struct cpu *c) __noreturn;

struct madt_entry {
	uint8_t type, len;
} __packed;

/* A firmware may list a CPU as both a Local APIC and an x2APIC entry. */
static bool hwid_listed(const unsigned long *hwids, unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (hwids[i] == id)
			return true;
	return false;
}

unsigned hal_smp_cpus(unsigned long *hwids, unsigned max)
{
	const uint8_t *madt = acpi_find_table("APIC");
	uint32_t self = this_x86_cpu()->lapic_id, len;
	unsigned n = 0;

	if (!max)
		return 0;
	hwids[n++] = self;
	if (!madt)
		return n;
	memcpy(&len, madt + 4, 4);
	for (uint32_t off = 44; off + 2 <= len && n < max;) {
		const uint8_t *e = madt + off;
		uint32_t id, flags;

		if (e[1] < 2)
			break;
		if (e[0] == 0 && e[1] >= 8) { /* Processor Local APIC */
			id = e[3];
			memcpy(&flags, e + 4, 4);
		} else if (e[0] == 9 && e[1] >= 16) { /* Processor Local x2APIC */
			memcpy(&id, e + 4, 4);
			memcpy(&flags, e + 8, 4);
		} else {
			off += e[1];
			continue;
		}
		/* xAPIC destinations are 8 bits: larger ids need x2APIC mode. */
		if ((flags & 1) && id != self && (id < 255 || x2apic_mode) &&
		    !hwid_listed(hwids, n, id))
			hwids[n++] = id;
		off += e[1];
	}
	return n;
}

static void icr_send(uint32_t apic_id, uint32_t low)
{
	unsigned long flags = hal_irq_save();

	lapic_send_icr(apic_id, low);
	hal_irq_restore(flags);
}

static void delay_us(uint64_t us)
{
	uint64_t end = hal_time_ns() + us * 1000;

	while (hal_time_ns() < end)
		hal_cpu_relax();
}

int hal_cpu_start(struct cpu *c, unsigned long hwid, uintptr_t stack_top)
{
	size_t size = x86_tramp_end - x86_tramp_start;
	uint8_t *page = phys_to_virt(X86_TRAMP_BASE);
	struct tramp_params *p = (void *)(page + (x86_tramp_params - x86_tramp_start));
	struct x86_cpu *xc = &x86_cpus[c->id];

	xc->self = xc;
	xc->id = c->id;
	xc->lapic_id = (uint32_t)hwid;
	memcpy(tramp_pml4, boot_pml4, sizeof(tramp_pml4));
	tramp_pd[0] = 0x83; /* 0..2 MiB: present, writable, 2 MiB, executable */
	tramp_pdpt[0] = kimage_to_phys(tramp_pd) | 0x03;
	tramp_pml4[0] = kimage_to_phys(tramp_pdpt) | 0x03;
	memcpy(page, x86_tramp_start, size);
	p->cr3 = kimage_to_phys(tramp_pml4);
	p->efer = rdmsr(MSR_EFER);
	p->stack = stack_top;
	p->arg = (uintptr_t)c;
	p->entry = (uintptr_t)x86_secondary_main;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	icr_send((uint32_t)hwid, 0x4500); /* INIT, assert */
	delay_us(10000);
	for (int i = 0; i < 2; i++) {
		icr_send((uint32_t)hwid, 0x4600 | (X86_TRAMP_BASE >> 12)); /* SIPI */
		delay_us(200);
	}
	return 0;
}

/* First C code of a secondary CPU, on its stack, paging on (trampoline). */
void x86_secondary_main(struct cpu *c)
{
	struct x86_cpu *xc = &x86_cpus[c->id];

	/* Per-CPU block first: hal_cpu_id() (spinlocks) reads it. */
	wrmsr(MSR_GS_BASE, (uintptr_t)xc);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	write_cr3(kimage_to_phys(boot_pml4)); /* without the identity slot */
	gdt_init(xc);
	idt_load();
	fpu_init();
	syscall_init();
	x86_protect_cpu_init(); /* SMEP/SMAP/UMIP as on the boot CPU */
	x86_mce_cpu_init();
	lapic_init();
	hal_cpu_set_self(c);
	smp_secondary_main(c);
}

void hal_send_ipi(unsigned cpu)
{
	icr_send(x86_cpus[cpu].lapic_id, VEC_IPI);
}
