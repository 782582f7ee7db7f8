/*
 * hal_dev.h for x86_64 (QEMU q35 and pc): register mappings, PCI
 * configuration space (ECAM from ACPI MCFG on q35, ports 0xCF8/0xCFC
 * otherwise) and message-signalled interrupts on vectors VEC_MSI_BASE..
 * delivered to the boot CPU's local APIC.
 *
 * Mappings: below 4 GiB the boot direct map already covers device memory
 * (its 3..4 GiB hole uncached; QEMU's own devices below that ignore the
 * memory type). Above 4 GiB (a 64-bit BAR the firmware put high) a window
 * of 2 MiB uncached pages is built in the direct map's page directory
 * pointer table, which every address space shares.
 * Locking: dev_lock guards the window and the vector table; both are
 * written at boot and the vector table is read by the interrupt path.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/printk.h>
#include <ferrite/spinlock.h>
#include <ferrite/string.h>
#include <hal/hal_dev.h>
#include <hal/hal_mmu.h>
#include "x86.h"

#define GIB (1UL << 30)
#define MIB2 (2UL << 20)
/* PDPT slots 256..511 of the direct map's table: 256 GiB of window. */
#define WINDOW_FIRST_SLOT 256
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80

static struct spinlock dev_lock = SPINLOCK_INIT("x86_dev");
static uint64_t window_next = (uint64_t)WINDOW_FIRST_SLOT * GIB; /* Lock: dev_lock */

void *hal_ioremap(phys_addr_t pa, size_t size)
{
	if (!size || pa + size < pa)
		return NULL;
	if (pa + size <= DIRECT_MAP_SIZE)
		return phys_to_virt(pa);

	phys_addr_t first = ALIGN_DOWN(pa, MIB2), last = ALIGN_UP(pa + size, MIB2);
	guard(spinlock)(&dev_lock);
	uint64_t va_off = window_next;
	if (va_off + (last - first) > 512 * GIB)
		return NULL;
	for (phys_addr_t p = first; p < last; p += MIB2) {
		uint64_t off = va_off + (p - first);
		uint64_t *slot = &boot_pdpt_low[off / GIB];
		if (!(*slot & PTE_P)) {
			struct frame *fr = frame_alloc_zeroed();
			if (!fr)
				return NULL;
			*slot = frame_to_phys(fr) | PTE_P | PTE_W;
		}
		uint64_t *pd = phys_to_virt(*slot & ~0xfffUL);
		pd[(off / MIB2) % 512] = p | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT;
	}
	window_next += last - first;
	return (void *)(DIRECT_MAP_BASE + va_off + (pa - first));
}

int hal_irq_attach(unsigned irq, hal_irq_fn fn, void *arg)
{
	return -ENODEV; /* PCI devices use MSI-X (hal_msi_alloc) */
}

static struct {
	hal_irq_fn fn;
	void *arg;
} msi_handlers[VEC_MSI_COUNT]; /* Lock: dev_lock (writers); set before use */

int hal_msi_alloc(hal_irq_fn fn, void *arg, uint64_t *addr, uint32_t *data)
{
	guard(spinlock)(&dev_lock);
	for (unsigned i = 0; i < VEC_MSI_COUNT; i++) {
		if (msi_handlers[i].fn)
			continue;
		msi_handlers[i].arg = arg;
		__atomic_store_n(&msi_handlers[i].fn, fn, __ATOMIC_RELEASE);
		/* Fixed delivery, physical destination: this CPU's APIC. */
		*addr = 0xfee00000ull | ((uint64_t)this_x86_cpu()->lapic_id << 12);
		*data = VEC_MSI_BASE + i; /* edge-triggered */
		return 0;
	}
	return -ENOSPC;
}

void x86_msi_interrupt(unsigned vec)
{
	unsigned i = vec - VEC_MSI_BASE;
	hal_irq_fn fn = __atomic_load_n(&msi_handlers[i].fn, __ATOMIC_ACQUIRE);

	if (fn)
		fn(msi_handlers[i].arg);
}

int hal_virtio_mmio_slots(struct hal_mmio_slot *out, int max)
{
	return 0;
}

/* ---- PCI configuration space ---- */

struct mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __packed;

static volatile uint8_t *ecam;   /* bus start_bus at offset 0 */
static unsigned ecam_start, pci_nr_buses;
static bool pci_probed;
static struct spinlock pci_port_lock = SPINLOCK_INIT("pci_cf8");

unsigned hal_pci_buses(void)
{
	if (pci_probed)
		return pci_nr_buses;
	pci_probed = true;
	pci_nr_buses = 256; /* ports 0xCF8/0xCFC reach every bus */
	const uint8_t *mcfg = acpi_find_table("MCFG");
	if (mcfg) {
		uint32_t len;
		memcpy(&len, mcfg + 4, 4);
		/* 36-byte header, 8 reserved bytes, then entries: segment 0's. */
		for (uint32_t off = 44; off + sizeof(struct mcfg_entry) <= len; off += 16) {
			struct mcfg_entry e;
			memcpy(&e, mcfg + off, sizeof(e));
			if (e.segment || e.end_bus < e.start_bus)
				continue;
			unsigned n = e.end_bus - e.start_bus + 1u;
			ecam = hal_ioremap(e.base + ((uint64_t)e.start_bus << 20), (size_t)n << 20);
			if (ecam) {
				ecam_start = e.start_bus;
				pci_nr_buses = e.start_bus + n;
				pr_info("pci: ECAM at %llx, buses %u-%u\n", (unsigned long long)e.base,
					e.start_bus, e.end_bus);
			}
			break;
		}
	}
	if (!ecam)
		pr_info("pci: configuration through ports 0xcf8/0xcfc\n");
	return pci_nr_buses;
}

static volatile void *ecam_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return ecam + (((bus - ecam_start) << 20) | (dev << 15) | (fn << 12) | off);
}

static uint32_t port_addr(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

uint32_t hal_pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width)
{
	if (bus >= pci_nr_buses || dev >= 32 || fn >= 8 || off >= (ecam ? 4096u : 256u))
		return ~0u;
	if (ecam && bus >= ecam_start) {
		volatile void *a = ecam_addr(bus, dev, fn, off);
		return width == 1 ? *(volatile uint8_t *)a
		       : width == 2 ? *(volatile uint16_t *)a : *(volatile uint32_t *)a;
	}
	uint32_t v;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &pci_port_lock, 0 })) {
		outl(0xcf8, port_addr(bus, dev, fn, off));
		v = inl(0xcfc);
	}
	v >>= 8 * (off & 3);
	return width == 4 ? v : v & ((1u << (8 * width)) - 1);
}

void hal_pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width,
		   uint32_t v)
{
	if (bus >= pci_nr_buses || dev >= 32 || fn >= 8 || off >= (ecam ? 4096u : 256u))
		return;
	if (ecam && bus >= ecam_start) {
		volatile void *a = ecam_addr(bus, dev, fn, off);
		if (width == 1)
			*(volatile uint8_t *)a = (uint8_t)v;
		else if (width == 2)
			*(volatile uint16_t *)a = (uint16_t)v;
		else
			*(volatile uint32_t *)a = v;
		return;
	}
	guard_irqsave(&pci_port_lock);
	outl(0xcf8, port_addr(bus, dev, fn, off));
	if (width == 4) {
		outl(0xcfc, v);
	} else {
		/* Narrow writes: merge into the dword (no side-effect registers
		 * are written this way by the drivers). */
		uint32_t shift = 8 * (off & 3), mask = ((1u << (8 * width)) - 1) << shift;
		uint32_t old = inl(0xcfc);
		outl(0xcfc, (old & ~mask) | ((v << shift) & mask));
	}
}
