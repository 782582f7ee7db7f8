/*
 * The virtio-mmio transport (virtio 1.x section 4.2): version 1 (legacy,
 * QEMU's default: page-frame queue addresses, 32 feature bits) and version
 * 2 (modern: 64-bit queue addresses, QueueReady). Slots come from the HAL
 * (the FDT's "virtio,mmio" nodes); empty ones read device id 0.
 * Locking: registers are touched at probe time (one CPU) and then only by
 * the driver under its own lock (notify) or by the interrupt handler
 * (InterruptStatus/ACK, which only it uses).
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <hal/hal_dev.h>
#include <hal/hal_io.h>
#include "virtio.h"

#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_DEVICE_FEATURES 0x010
#define MMIO_DEVICE_FEATURES_SEL 0x014
#define MMIO_DRIVER_FEATURES 0x020
#define MMIO_DRIVER_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028 /* legacy */
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c /* legacy */
#define MMIO_QUEUE_PFN 0x040   /* legacy */
#define MMIO_QUEUE_READY 0x044
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_INTERRUPT_STATUS 0x060
#define MMIO_INTERRUPT_ACK 0x064
#define MMIO_STATUS 0x070
#define MMIO_QUEUE_DESC 0x080
#define MMIO_QUEUE_DRIVER 0x090
#define MMIO_QUEUE_DEVICE 0x0a0
#define MMIO_CONFIG 0x100

#define MMIO_MAGIC_VALUE 0x74726976 /* "virt" */
#define MAX_SLOTS 32

struct mmio_transport {
	volatile uint8_t *regs;
	unsigned irq;
	void (*handler)(void *);
	void *handler_arg;
};

static inline volatile uint8_t *reg(struct virtio_device *vd, unsigned off)
{
	return ((struct mmio_transport *)vd->transport)->regs + off;
}

static uint8_t mmio_get_status(struct virtio_device *vd)
{
	return (uint8_t)io_read32(reg(vd, MMIO_STATUS));
}

static void mmio_set_status(struct virtio_device *vd, uint8_t s)
{
	io_write32(reg(vd, MMIO_STATUS), s);
}

static uint64_t mmio_get_features(struct virtio_device *vd)
{
	io_write32(reg(vd, MMIO_DEVICE_FEATURES_SEL), 0);
	uint64_t f = io_read32(reg(vd, MMIO_DEVICE_FEATURES));
	if (!vd->legacy) {
		io_write32(reg(vd, MMIO_DEVICE_FEATURES_SEL), 1);
		f |= (uint64_t)io_read32(reg(vd, MMIO_DEVICE_FEATURES)) << 32;
	}
	return f;
}

static void mmio_set_features(struct virtio_device *vd, uint64_t f)
{
	io_write32(reg(vd, MMIO_DRIVER_FEATURES_SEL), 0);
	io_write32(reg(vd, MMIO_DRIVER_FEATURES), (uint32_t)f);
	if (!vd->legacy) {
		io_write32(reg(vd, MMIO_DRIVER_FEATURES_SEL), 1);
		io_write32(reg(vd, MMIO_DRIVER_FEATURES), (uint32_t)(f >> 32));
	}
}

static void mmio_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	virtio_config_read(reg(vd, MMIO_CONFIG), off, buf, len);
}

static unsigned mmio_queue_max(struct virtio_device *vd, unsigned idx)
{
	io_write32(reg(vd, MMIO_QUEUE_SEL), idx);
	return io_read32(reg(vd, MMIO_QUEUE_NUM_MAX));
}

static int mmio_queue_setup(struct virtio_device *vd, struct virtqueue *vq)
{
	io_write32(reg(vd, MMIO_QUEUE_SEL), vq->index);
	io_write32(reg(vd, MMIO_QUEUE_NUM), vq->size);
	if (vd->legacy) {
		if (io_read32(reg(vd, MMIO_QUEUE_PFN)))
			return -EBUSY;
		/* Written here, after the reset that may clear it. */
		io_write32(reg(vd, MMIO_GUEST_PAGE_SIZE), PAGE_SIZE);
		io_write32(reg(vd, MMIO_QUEUE_ALIGN), PAGE_SIZE);
		io_write32(reg(vd, MMIO_QUEUE_PFN), (uint32_t)(vq_desc_pa(vq) >> PAGE_SHIFT));
		return 0;
	}
	if (io_read32(reg(vd, MMIO_QUEUE_READY)))
		return -EBUSY;
	io_write64_split(reg(vd, MMIO_QUEUE_DESC), vq_desc_pa(vq));
	io_write64_split(reg(vd, MMIO_QUEUE_DRIVER), vq_avail_pa(vq));
	io_write64_split(reg(vd, MMIO_QUEUE_DEVICE), vq_used_pa(vq));
	io_write32(reg(vd, MMIO_QUEUE_READY), 1);
	return 0;
}

static void mmio_notify(struct virtio_device *vd, struct virtqueue *vq)
{
	io_write32(reg(vd, MMIO_QUEUE_NOTIFY), vq->index);
}

/* The PLIC line: acknowledge what the device reports, then run the driver
 * (bit 0: used buffers; bit 1: configuration change, nothing to do). */
static void mmio_interrupt(void *arg)
{
	struct virtio_device *vd = arg;
	struct mmio_transport *t = vd->transport;
	uint32_t status = io_read32(reg(vd, MMIO_INTERRUPT_STATUS));

	io_write32(reg(vd, MMIO_INTERRUPT_ACK), status);
	if (status & 1)
		t->handler(t->handler_arg);
}

static int mmio_irq_attach(struct virtio_device *vd, void (*fn)(void *), void *arg)
{
	struct mmio_transport *t = vd->transport;

	t->handler = fn;
	t->handler_arg = arg;
	return hal_irq_attach(t->irq, mmio_interrupt, vd);
}

static const struct virtio_transport_ops mmio_ops = {
	.get_status = mmio_get_status,
	.set_status = mmio_set_status,
	.get_features = mmio_get_features,
	.set_features = mmio_set_features,
	.read_config = mmio_read_config,
	.queue_max = mmio_queue_max,
	.queue_setup = mmio_queue_setup,
	.notify = mmio_notify,
	.irq_attach = mmio_irq_attach,
};

static void mmio_probe_slot(const struct hal_mmio_slot *slot)
{
	volatile uint8_t *regs = hal_ioremap(slot->base, MAX(slot->size, 0x200));

	if (!regs || io_read32(regs + MMIO_MAGIC) != MMIO_MAGIC_VALUE)
		return;
	uint32_t version = io_read32(regs + MMIO_VERSION);
	uint32_t id = io_read32(regs + MMIO_DEVICE_ID);
	if (!id)
		return; /* an empty slot */
	if (version != 1 && version != 2) {
		pr_warn("virtio-mmio@%llx: version %u not supported\n",
			(unsigned long long)slot->base, version);
		return;
	}
	struct mmio_transport *t = kzalloc(sizeof(*t));
	struct virtio_device *vd = kzalloc(sizeof(*vd));
	if (!t || !vd) {
		kfree(t);
		kfree(vd);
		return;
	}
	t->regs = regs;
	t->irq = slot->irq;
	vd->ops = &mmio_ops;
	vd->transport = t;
	vd->id = id;
	vd->legacy = version == 1;
	ksnprintf(vd->where, sizeof(vd->where), "virtio-mmio@%llx",
		  (unsigned long long)slot->base);
	virtio_device_found(vd);
}

void virtio_mmio_scan(void)
{
	struct hal_mmio_slot slots[MAX_SLOTS];
	int n = hal_virtio_mmio_slots(slots, MAX_SLOTS);

	for (int i = 0; i < MIN(n, MAX_SLOTS); i++)
		mmio_probe_slot(&slots[i]);
}
