/*
 * Interrupt controllers: the legacy 8259 pair is remapped out of the way
 * and masked; the local APIC takes the timer and EOIs; the IOAPIC routes
 * ISA IRQs (COM1) to the boot CPU. The IOAPIC is reached through the direct
 * map (the 3..4 GiB MMIO window is mapped uncached at boot); its
 * index/data pair is guarded by ioapic_lock.
 *
 * The local APIC runs in x2APIC mode when the CPU has it (CPUID.1:ECX bit
 * 21; QEMU 8.1+ TCG with -cpu max or +x2apic, KVM) and the command line
 * does not say "nox2apic": its registers are then MSRs 0x800 + reg/16 and
 * the ID register holds the whole 32-bit id. Otherwise the xAPIC MMIO page.
 * The boot CPU decides (its first lapic_init, before any other CPU
 * starts); every other CPU follows, since all must use one mode.
 */
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <hal/hal_boot.h>
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
#define APIC_BASE_EXTD (1UL << 10) /* x2APIC mode */
#define APIC_BASE_EN (1UL << 11)   /* global enable */
#define MSR_X2APIC_BASE 0x800
#define MSR_X2APIC_ICR 0x830
#define CPUID1_ECX_X2APIC (1u << 21)

static volatile uint32_t *lapic; /* xAPIC mode: the MMIO page */
bool x2apic_mode;                /* set once by the boot CPU's lapic_init */
static bool mode_chosen;

/* The word "nox2apic" on the command line, as Linux spells it. */
static bool x2apic_disabled(void)
{
	const char *p = x86_boot_info()->cmdline;

	while (*p) {
		while (*p == ' ')
			p++;
		const char *end = p;
		while (*end && *end != ' ')
			end++;
		if (end - p == 8 && !strncmp(p, "nox2apic", 8))
			return true;
		p = end;
	}
	return false;
}

static void choose_mode(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	x2apic_mode = (c & CPUID1_ECX_X2APIC) && !x2apic_disabled();
	mode_chosen = true;
	pr_info("x86: local APIC in %s mode\n", x2apic_mode ? "x2APIC" : "xAPIC");
}
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

uint32_t lapic_read(unsigned reg)
{
	if (x2apic_mode)
		return (uint32_t)rdmsr(MSR_X2APIC_BASE + reg / 16);
	return lapic[reg / 4];
}

void lapic_write(unsigned reg, uint32_t v)
{
	if (x2apic_mode)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		lapic[reg / 4] = v;
}

void lapic_send_icr(uint32_t apic_id, uint32_t low)
{
	if (x2apic_mode) {
		/* The MSR write is not serialising: order this CPU's earlier
		 * stores (a TLB request, a queued task) before the IPI, as
		 * Linux's weak_wrmsr_fence does. One 64-bit write, no
		 * delivery-status bit to wait for. */
		__asm__ volatile("mfence; lfence" ::: "memory");
		wrmsr(MSR_X2APIC_ICR, (uint64_t)apic_id << 32 | low);
		return;
	}
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, low);
	while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
		__asm__ volatile("pause");
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

void lapic_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (!mode_chosen)
		choose_mode();
	/* Enable first; x2APIC mode is entered from an enabled xAPIC (and
	 * never left: clearing EXTD alone faults). */
	base |= APIC_BASE_EN;
	wrmsr(MSR_APIC_BASE, base);
	if (x2apic_mode)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	else
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
	uint32_t id = lapic_read(LAPIC_ID);
	this_x86_cpu()->lapic_id = x2apic_mode ? id : id >> 24;
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
