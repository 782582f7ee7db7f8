/*
 * The virtio-pci transport, modern interface (virtio 1.x section 4.1):
 * the common, notify, ISR and device configuration structures found
 * through vendor capabilities, interrupts by MSI-X. Transitional devices
 * (ids 0x1000..0x103f, type in the subsystem id) are driven through the
 * same modern capabilities; a legacy-only device is listed and left alone.
 * Locking: as virtio_mmio.c (probe on one CPU, then the driver's lock).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_dev.h>
#include <hal/hal_io.h>
#include "../pci/pci.h"
#include "virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4

/* Capability cfg_type values. */
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* Common configuration offsets. */
#define COMMON_DFSELECT 0x00
#define COMMON_DF 0x04
#define COMMON_GFSELECT 0x08
#define COMMON_GF 0x0c
#define COMMON_MSIX 0x10
#define COMMON_STATUS 0x14
#define COMMON_Q_SELECT 0x16
#define COMMON_Q_SIZE 0x18
#define COMMON_Q_MSIX 0x1a
#define COMMON_Q_ENABLE 0x1c
#define COMMON_Q_NOFF 0x1e
#define COMMON_Q_DESC 0x20
#define COMMON_Q_DRIVER 0x28
#define COMMON_Q_DEVICE 0x30

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000

struct pci_transport {
	struct pci_dev pci;
	volatile uint8_t *common, *notify, *device;
	uint32_t notify_mult;
	unsigned msix_cap;
};

static inline struct pci_transport *tp(struct virtio_device *vd) { return vd->transport; }

static uint8_t vp_get_status(struct virtio_device *vd)
{
	return io_read8(tp(vd)->common + COMMON_STATUS);
}

static void vp_set_status(struct virtio_device *vd, uint8_t s)
{
	io_write8(tp(vd)->common + COMMON_STATUS, s);
	if (!s) /* a reset completes when status reads back 0 */
		while (io_read8(tp(vd)->common + COMMON_STATUS))
			;
}

static uint64_t vp_get_features(struct virtio_device *vd)
{
	volatile uint8_t *c = tp(vd)->common;
	io_write32(c + COMMON_DFSELECT, 0);
	uint64_t f = io_read32(c + COMMON_DF);
	io_write32(c + COMMON_DFSELECT, 1);
	return f | (uint64_t)io_read32(c + COMMON_DF) << 32;
}

static void vp_set_features(struct virtio_device *vd, uint64_t f)
{
	volatile uint8_t *c = tp(vd)->common;
	io_write32(c + COMMON_GFSELECT, 0);
	io_write32(c + COMMON_GF, (uint32_t)f);
	io_write32(c + COMMON_GFSELECT, 1);
	io_write32(c + COMMON_GF, (uint32_t)(f >> 32));
}

static void vp_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	virtio_config_read(tp(vd)->device, off, buf, len);
}

static unsigned vp_queue_max(struct virtio_device *vd, unsigned idx)
{
	io_write16(tp(vd)->common + COMMON_Q_SELECT, (uint16_t)idx);
	return io_read16(tp(vd)->common + COMMON_Q_SIZE);
}

static int vp_queue_setup(struct virtio_device *vd, struct virtqueue *vq)
{
	struct pci_transport *t = tp(vd);
	volatile uint8_t *c = t->common;

	io_write16(c + COMMON_Q_SELECT, (uint16_t)vq->index);
	if (io_read16(c + COMMON_Q_ENABLE))
		return -EBUSY;
	io_write16(c + COMMON_Q_SIZE, (uint16_t)vq->size);
	/* Every queue on MSI-X vector 0 (read back: the device may refuse). */
	io_write16(c + COMMON_Q_MSIX, 0);
	if (io_read16(c + COMMON_Q_MSIX) != 0)
		return -EIO;
	io_write64_split(c + COMMON_Q_DESC, vq_desc_pa(vq));
	io_write64_split(c + COMMON_Q_DRIVER, vq_avail_pa(vq));
	io_write64_split(c + COMMON_Q_DEVICE, vq_used_pa(vq));
	vq->notify_addr = (void *)(t->notify + (uintptr_t)io_read16(c + COMMON_Q_NOFF) * t->notify_mult);
	io_write16(c + COMMON_Q_ENABLE, 1);
	return 0;
}

static void vp_notify(struct virtio_device *vd, struct virtqueue *vq)
{
	io_write16(vq->notify_addr, (uint16_t)vq->index);
}

/* MSI-X table entry 0 gets one message for all queues; the configuration
 * change interrupt stays off (NO_VECTOR). */
static int vp_irq_attach(struct virtio_device *vd, void (*fn)(void *), void *arg)
{
	struct pci_transport *t = tp(vd);
	const struct pci_dev *p = &t->pci;
	uint64_t addr;
	uint32_t data;

	if (!t->msix_cap)
		return -ENODEV;
	uint32_t table = pci_read(p, t->msix_cap + 4, 4);
	phys_addr_t bar = pci_bar_address(p, table & 7);
	if (!bar)
		return -ENODEV;
	volatile uint8_t *entry = hal_ioremap(bar + (table & ~7u), 16);
	if (!entry)
		return -ENOMEM;
	int err = hal_msi_alloc(fn, arg, &addr, &data);
	if (err)
		return err;
	uint16_t ctrl = (uint16_t)pci_read(p, t->msix_cap + 2, 2);
	pci_write(p, t->msix_cap + 2, 2, (ctrl | MSIX_ENABLE | MSIX_MASKALL));
	io_write32(entry + 0, (uint32_t)addr);
	io_write32(entry + 4, (uint32_t)(addr >> 32));
	io_write32(entry + 8, data);
	io_write32(entry + 12, 0); /* unmasked */
	pci_write(p, t->msix_cap + 2, 2, (ctrl | MSIX_ENABLE) & ~MSIX_MASKALL);
	io_write16(t->common + COMMON_MSIX, VIRTIO_MSI_NO_VECTOR);
	return 0;
}

static const struct virtio_transport_ops pci_ops = {
	.get_status = vp_get_status,
	.set_status = vp_set_status,
	.get_features = vp_get_features,
	.set_features = vp_set_features,
	.read_config = vp_read_config,
	.queue_max = vp_queue_max,
	.queue_setup = vp_queue_setup,
	.notify = vp_notify,
	.irq_attach = vp_irq_attach,
};

/* Map the structure a virtio vendor capability at off describes. */
static volatile uint8_t *map_cap(const struct pci_dev *p, unsigned off)
{
	unsigned bar = pci_read(p, off + 4, 1);
	uint32_t where = pci_read(p, off + 8, 4), len = pci_read(p, off + 12, 4);
	phys_addr_t base = pci_bar_address(p, bar);

	if (!base || !len)
		return NULL;
	return hal_ioremap(base + where, len);
}

static void virtio_pci_probe(const struct pci_dev *p)
{
	uint32_t id;

	if (p->vendor != VIRTIO_PCI_VENDOR || p->device < 0x1000 || p->device > 0x107f)
		return;
	id = p->device >= 0x1040 ? p->device - 0x1040u : pci_read(p, PCI_SUBSYSTEM_ID, 2);
	struct pci_transport *t = kzalloc(sizeof(*t));
	struct virtio_device *vd = kzalloc(sizeof(*vd));
	if (!t || !vd) {
		kfree(t);
		kfree(vd);
		return;
	}
	t->pci = *p;
	vd->ops = &pci_ops;
	vd->transport = t;
	vd->id = id;
	ksnprintf(vd->where, sizeof(vd->where), "pci %02x:%02x.%u", p->bus, p->dev, p->fn);
	for (unsigned off = pci_find_cap(p, PCI_CAP_ID_VENDOR, 0); off;
	     off = pci_find_cap(p, PCI_CAP_ID_VENDOR, off)) {
		unsigned type = pci_read(p, off + 3, 1);
		if (type == CAP_COMMON && !t->common)
			t->common = map_cap(p, off);
		else if (type == CAP_NOTIFY && !t->notify) {
			t->notify = map_cap(p, off);
			t->notify_mult = pci_read(p, off + 16, 4);
		} else if (type == CAP_DEVICE && !t->device)
			t->device = map_cap(p, off);
	}
	t->msix_cap = pci_find_cap(p, PCI_CAP_ID_MSIX, 0);
	if (!t->common || !t->notify || !t->device) {
		vd->legacy = true;
		pr_info("virtio: %s: %s device (type %u), legacy-only, no driver\n", vd->where,
			virtio_id_name(id), id);
		kfree(vd);
		kfree(t);
		return;
	}
	if (id == VIRTIO_ID_BLOCK)
		pci_enable_device(p); /* others are left exactly as found */
	virtio_device_found(vd);
}

void virtio_pci_scan(void)
{
	pci_scan(virtio_pci_probe);
}
