/*
 * HAL: what drivers need from the machine. The drivers themselves
 * (src/drivers/) are portable; the arch supplies register mappings,
 * interrupt delivery and the list of buses it knows.
 *
 * DMA: both machines have no IOMMU, so a device address is the physical
 * address of direct-map memory (virt_to_phys / frame_to_phys).
 * Interrupt handlers run with interrupts off, on the CPU that took the
 * interrupt; they may take irq-saving spinlocks and wake wait queues, never
 * sleep. Everything here is set up at boot by one CPU.
 */
#pragma once
#include <ferrite/types.h>

/* Map size bytes of device registers at physical pa, uncached where the
 * arch distinguishes. Return: the kernel address, or NULL when it cannot. */
void *hal_ioremap(phys_addr_t pa, size_t size);

typedef void (*hal_irq_fn)(void *arg);

/* Route the platform interrupt line irq (riscv64: PLIC source number) to
 * fn(arg). Level-triggered lines: fn must quiet its device. Return 0,
 * -EBUSY (line taken) or -ENODEV (no such line / no controller). */
int hal_irq_attach(unsigned irq, hal_irq_fn fn, void *arg);

/* A message-signalled interrupt (PCI MSI or MSI-X): a device that writes data
 * to addr runs fn(arg). Return 0 with *addr and *data, or -ENODEV/-ENOSPC. */
int hal_msi_alloc(hal_irq_fn fn, void *arg, uint64_t *addr, uint32_t *data);

/* virtio-mmio register windows the firmware described (riscv64: the FDT's
 * "virtio,mmio" nodes), in ascending address order. */
struct hal_mmio_slot {
	phys_addr_t base;
	uint64_t size;
	unsigned irq;
};
/* Fill up to max slots; return how many there are (may exceed max). */
int hal_virtio_mmio_slots(struct hal_mmio_slot *out, int max);

/*
 * PCI configuration space (x86_64: ECAM from ACPI MCFG, else ports
 * 0xCF8/0xCFC). hal_pci_buses() is 0 when the machine has no PCI the
 * kernel can reach. width is 1, 2 or 4 and off aligned to it.
 */
unsigned hal_pci_buses(void);
uint32_t hal_pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width);
void hal_pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width,
		   uint32_t v);
