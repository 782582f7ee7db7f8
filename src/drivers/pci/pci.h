/*
 * PCI: the bus scan and configuration-space helpers drivers use. Config
 * space itself is reached through the HAL (hal_pci_read/write). Private to
 * src/drivers/. Boot-time only; no locking.
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_dev.h>

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_ID 0x2e
#define PCI_CAP_PTR 0x34

#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4
#define PCI_COMMAND_INTX_DISABLE 0x400
#define PCI_STATUS_CAP_LIST 0x10

#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
};

static inline uint32_t pci_read(const struct pci_dev *p, unsigned off, unsigned width)
{
	return hal_pci_read(p->bus, p->dev, p->fn, off, width);
}
static inline void pci_write(const struct pci_dev *p, unsigned off, unsigned width, uint32_t v)
{
	hal_pci_write(p->bus, p->dev, p->fn, off, width, v);
}

/* Call fn for every function present, in bus/device/function order. */
void pci_scan(void (*fn)(const struct pci_dev *p));
/* Physical address of memory BAR bar (64-bit BARs joined), 0 when it is an
 * I/O BAR or unassigned. */
phys_addr_t pci_bar_address(const struct pci_dev *p, unsigned bar);
/* Config offset of the first capability with id at or after offset from
 * (0: from the start of the list), 0 when none. */
unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from);
/* Memory decoding and bus mastering on, legacy INTx off. */
void pci_enable_device(const struct pci_dev *p);
