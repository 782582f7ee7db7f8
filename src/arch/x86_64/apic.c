/*
 * Interrupt controllers: the legacy 8259 pair is remapped out of the way
 * and masked; the local APIC takes the timer and EOIs; the IOAPIC routes
 * ISA IRQs (COM1) to the boot CPU. Both are reached through the direct map
 * (their 3..4 GiB MMIO window is mapped uncached at boot). The IOAPIC's
 * index/data pair is guarded by ioapic_lock.
 */
#include <ferrite/spinlock.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define IOAPIC_PHYS 0xfec00000UL /* the default address on q35 and pc */
#define LAPIC_ID 0x20
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_TPR 0x080
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LVT_MASKED (1u << 16)
#define LVT_DELIVERY_NMI (4u << 8)

static volatile uint32_t *lapic;
static struct spinlock ioapic_lock = SPINLOCK_INIT("ioapic");

void pic_disable(void)
{
	/* ICW1..4: cascade, vectors 0xe0/0xe8, then mask every line. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

uint32_t lapic_read(unsigned reg) { return lapic[reg / 4]; }
void lapic_write(unsigned reg, uint32_t v) { lapic[reg / 4] = v; }

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	wrmsr(MSR_APIC_BASE, base | (1UL << 11)); /* global enable */
	lapic = phys_to_virt(base & 0xfffff000UL);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	/* LINT1 carries the board's NMI on PCs (what ACPI's MADT local APIC
	 * NMI entries say; QEMU's monitor "nmi" arrives there): NMI delivery,
	 * unmasked, as Linux sets it. trap.c counts and reports them. */
	lapic_write(LAPIC_LVT_LINT1, LVT_DELIVERY_NMI);
	lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
	lapic_write(LAPIC_TIMER_LVT, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS); /* software enable */
	this_x86_cpu()->lapic_id = lapic_read(LAPIC_ID) >> 24;
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	volatile uint32_t *io = phys_to_virt(IOAPIC_PHYS);
	io[0] = reg;
	io[4] = v;
}

/* Edge-triggered, active high, fixed delivery to one APIC: ISA defaults. */
void ioapic_route(unsigned irq, unsigned vector, uint32_t dest_apic_id)
{
	guard(spinlock)(&ioapic_lock);
	ioapic_write(0x10 + 2 * irq + 1, dest_apic_id << 24);
	ioapic_write(0x10 + 2 * irq, vector);
}
