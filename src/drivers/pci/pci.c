/*
 * PCI bus scan: every bus the HAL can reach, every device and function,
 * brute force (QEMU's q35 and pc put everything on bus 0; bridges keep
 * their secondary buses within the range scanned). Boot-time only.
 */
#include <ferrite/printk.h>
#include "pci.h"

void pci_scan(void (*fn)(const struct pci_dev *p))
{
	unsigned buses = hal_pci_buses();

	for (unsigned bus = 0; bus < buses; bus++) {
		for (unsigned dev = 0; dev < 32; dev++) {
			for (unsigned f = 0; f < 8; f++) {
				struct pci_dev p = { (uint8_t)bus, (uint8_t)dev, (uint8_t)f, 0, 0 };
				uint32_t id = pci_read(&p, PCI_VENDOR_ID, 4);
				if ((id & 0xffff) == 0xffff) {
					if (f == 0)
						break; /* no device */
					continue;
				}
				p.vendor = (uint16_t)id;
				p.device = (uint16_t)(id >> 16);
				fn(&p);
				if (f == 0 && !(pci_read(&p, PCI_HEADER_TYPE, 1) & 0x80))
					break; /* single-function */
			}
		}
	}
}

phys_addr_t pci_bar_address(const struct pci_dev *p, unsigned bar)
{
	if (bar > 5)
		return 0;
	uint32_t lo = pci_read(p, PCI_BAR0 + 4 * bar, 4);
	if (lo & 1)
		return 0; /* I/O space */
	phys_addr_t a = lo & ~0xfu;
	if (((lo >> 1) & 3) == 2 && bar < 5)
		a |= (phys_addr_t)pci_read(p, PCI_BAR0 + 4 * (bar + 1), 4) << 32;
	return a;
}

unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from)
{
	if (!(pci_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST))
		return 0;
	unsigned off = from ? pci_read(p, from + 1, 1) : pci_read(p, PCI_CAP_PTR, 1);
	for (int guard = 0; off >= 0x40 && off < 0x100 && guard < 48; guard++) {
		off &= ~3u;
		if (pci_read(p, off, 1) == id)
			return off;
		off = pci_read(p, off + 1, 1);
	}
	return 0;
}

void pci_enable_device(const struct pci_dev *p)
{
	uint32_t cmd = pci_read(p, PCI_COMMAND, 2);
	pci_write(p, PCI_COMMAND, 2,
		  cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
}
