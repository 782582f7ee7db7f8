/*
 * hal_dev.h for riscv64 virt: device registers sit in the direct map
 * (physical 0..64 GiB, early.c; QEMU has no memory types to choose), the
 * virtio-mmio slots come from the FDT, there is no PCI or MSI support yet
 * (virt's PCIe host is not used: its disks come as virtio-mmio).
 * Interrupt lines are PLIC sources (plic.c). Boot-time only; no locking.
 */
#include <ferrite/errno.h>
#include <hal/hal_dev.h>
#include <hal/hal_mmu.h>
#include "riscv.h"

void *hal_ioremap(phys_addr_t pa, size_t size)
{
	if (pa + size < pa || pa + size > ((phys_addr_t)DIRECT_MAP_GIB << 30))
		return NULL;
	return phys_to_virt(pa);
}

int hal_virtio_mmio_slots(struct hal_mmio_slot *out, int max)
{
	int n = rv_devices.nr_virtio;
	struct rv_virtio_slot s[RV_MAX_VIRTIO];

	/* Ascending addresses: virtio-mmio-bus.0 (the lowest) becomes vda. */
	for (int i = 0; i < n; i++) {
		s[i] = rv_devices.virtio[i];
		for (int j = i; j > 0 && s[j].base < s[j - 1].base; j--) {
			struct rv_virtio_slot t = s[j];
			s[j] = s[j - 1];
			s[j - 1] = t;
		}
	}
	for (int i = 0; i < n && i < max; i++)
		out[i] = (struct hal_mmio_slot){ s[i].base, s[i].size, s[i].irq };
	return n;
}

int hal_msi_alloc(hal_irq_fn fn, void *arg, uint64_t *addr, uint32_t *data)
{
	return -ENODEV;
}

unsigned hal_pci_buses(void)
{
	return 0;
}

uint32_t hal_pci_read(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width)
{
	return ~0u;
}

void hal_pci_write(unsigned bus, unsigned dev, unsigned fn, unsigned off, unsigned width,
		   uint32_t v)
{
}
