/*
 * Virtio (OASIS virtio 1.x, with the legacy 0.9.5 interface where the
 * transport is legacy): devices, transports and split virtqueues. Private
 * to src/drivers/. Drivers see a struct virtio_device and a transport-
 * neutral set of calls; virtio_mmio.c and virtio_pci.c implement them.
 */
#pragma once
#include <ferrite/types.h>
#include <hal/hal_io.h>
#include <hal/hal_mmu.h>

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128

/* Transport-level feature bits. */
#define VIRTIO_F_VERSION_1 32

/* Device types. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

struct virtio_device;
struct virtqueue;

struct virtio_transport_ops {
	uint8_t (*get_status)(struct virtio_device *vd);
	void (*set_status)(struct virtio_device *vd, uint8_t status); /* 0 resets */
	uint64_t (*get_features)(struct virtio_device *vd);
	void (*set_features)(struct virtio_device *vd, uint64_t features);
	/* Device-specific configuration, little-endian fields. */
	void (*read_config)(struct virtio_device *vd, unsigned off, void *buf, unsigned len);
	/* Largest ring the device takes for queue idx; 0 when it has none. */
	unsigned (*queue_max)(struct virtio_device *vd, unsigned idx);
	/* Tell the device where vq lives and enable it. 0 or -errno. */
	int (*queue_setup)(struct virtio_device *vd, struct virtqueue *vq);
	void (*notify)(struct virtio_device *vd, struct virtqueue *vq);
	/* Route the device's interrupts to fn(arg) (after the transport has
	 * acknowledged them). 0 or -errno. */
	int (*irq_attach)(struct virtio_device *vd, void (*fn)(void *), void *arg);
};

struct virtio_device {
	const struct virtio_transport_ops *ops;
	void *transport;       /* the transport's own state */
	uint32_t id;           /* device type, VIRTIO_ID_* */
	bool legacy;           /* the pre-1.0 interface: no VERSION_1 */
	uint64_t features;     /* negotiated */
	char where[40];        /* "virtio-mmio@10008000", "pci 00:03.0", for messages */
	void *driver_data;
};

/*
 * Read a device configuration field of len bytes at regs + off with the
 * access width virtio requires (8-, 16- or 32-bit for fields of that size,
 * 64-bit fields as two 32-bit reads); other lengths byte by byte.
 */
static inline void virtio_config_read(const volatile uint8_t *regs, unsigned off, void *buf,
				      unsigned len)
{
	if (len == 2 && !(off & 1)) {
		uint16_t v = io_read16(regs + off);
		__builtin_memcpy(buf, &v, 2);
	} else if ((len == 4 || len == 8) && !(off & 3)) {
		for (unsigned i = 0; i < len; i += 4) {
			uint32_t v = io_read32(regs + off + i);
			__builtin_memcpy((uint8_t *)buf + i, &v, 4);
		}
	} else {
		for (unsigned i = 0; i < len; i++)
			((uint8_t *)buf)[i] = io_read8(regs + off + i);
	}
}

static inline bool virtio_has(const struct virtio_device *vd, unsigned bit)
{
	return vd->features & (1ull << bit);
}

/* A transport found a device: bind a driver or list it once and leave it
 * alone. Takes ownership of vd (freed when no driver wants it). */
void virtio_device_found(struct virtio_device *vd);
/*
 * Driver side of initialisation (virtio 1.x section 3.1): reset, ACKNOWLEDGE,
 * DRIVER, negotiate (the device's features & wanted; VERSION_1 added for a
 * non-legacy transport), FEATURES_OK. Return 0 or -ENODEV (the device
 * refused: status FAILED set).
 */
int virtio_negotiate(struct virtio_device *vd, uint64_t wanted);
/* Queues are set up: DRIVER_OK. */
void virtio_driver_ok(struct virtio_device *vd);
void virtio_failed(struct virtio_device *vd);
const char *virtio_id_name(uint32_t id);

/* Drivers (one probe per device type). */
int virtio_blk_probe(struct virtio_device *vd);

/* Transports' bus scans (drivers_init). */
void virtio_mmio_scan(void);
void virtio_pci_scan(void);

/* ---- split virtqueues (virtqueue.c) ---- */

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/*
 * One ring, in one physically contiguous allocation laid out as legacy
 * virtio requires (the descriptors, the available ring, then the used ring
 * at the next page), which a 1.x device accepts as well.
 * Lock: the owning driver's lock (virtio-blk: the block device's queue
 * lock) for every call below.
 */
struct virtqueue {
	struct virtio_device *vd;
	unsigned index;
	unsigned size;          /* a power of two */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	void *ring_mem;         /* pages_alloc'ed, ring_order */
	unsigned ring_order;
	uint16_t free_head;     /* first free descriptor (chained through next) */
	unsigned num_free;
	uint16_t last_used;     /* next used-ring entry to reap */
	void **tokens;          /* per head descriptor: the caller's token */
	void *notify_addr;      /* the transport's doorbell (virtio-pci) */
};

static inline phys_addr_t vq_desc_pa(const struct virtqueue *vq) { return virt_to_phys(vq->desc); }
static inline phys_addr_t vq_avail_pa(const struct virtqueue *vq) { return virt_to_phys(vq->avail); }
static inline phys_addr_t vq_used_pa(const struct virtqueue *vq) { return virt_to_phys(vq->used); }

/* One buffer of a chain: device-readable, or device-writable when write. */
struct vq_buf {
	phys_addr_t addr;
	uint32_t len;
	bool write;
};

/* Return: a ring of at most max_size entries for queue idx of vd, or NULL. */
struct virtqueue *virtqueue_create(struct virtio_device *vd, unsigned idx, unsigned max_size);
void virtqueue_destroy(struct virtqueue *vq);
/* Chain bufs[0..n) and make it available with token (not NULL). Return the
 * head descriptor index, or -ENOSPC when fewer than n descriptors are free. */
int virtqueue_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *token);
/* Let the device know about added chains (unless it asked not to). */
void virtqueue_kick(struct virtqueue *vq);
/* Next chain the device has finished: its token (its descriptors freed)
 * and the bytes the device wrote in *len, or NULL when none is left. */
void *virtqueue_get_used(struct virtqueue *vq, uint32_t *len);
