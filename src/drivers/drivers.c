/*
 * Driver start-up: every transport scans its bus once, at boot, on the
 * boot CPU, before any process exists (kmain). No locking.
 */
#include <ferrite/drivers.h>
#include "virtio/virtio.h"

void drivers_init(void)
{
	virtio_mmio_scan(); /* riscv64: the FDT's virtio,mmio slots */
	virtio_pci_scan();  /* x86_64: the PCI bus */
}
