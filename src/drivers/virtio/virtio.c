/*
 * Virtio core: binding a found device to its driver, and the status and
 * feature handshake every driver goes through (virtio 1.x section 3.1).
 * Runs at boot, one device at a time; no locking.
 */
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include "virtio.h"

const char *virtio_id_name(uint32_t id)
{
	switch (id) {
	case VIRTIO_ID_NET: return "net";
	case VIRTIO_ID_BLOCK: return "block";
	case VIRTIO_ID_CONSOLE: return "console";
	case VIRTIO_ID_RNG: return "rng";
	case 5: return "balloon";
	case 8: return "scsi";
	case 9: return "9p";
	case 16: return "gpu";
	case 18: return "input";
	case 19: return "vsock";
	default: return "unknown";
	}
}

void virtio_device_found(struct virtio_device *vd)
{
	int err = -ENODEV;

	if (vd->id == VIRTIO_ID_BLOCK)
		err = virtio_blk_probe(vd);
	if (err == -ENODEV) {
		/* Listed once, left alone: its status is not touched. */
		pr_info("virtio: %s: %s device (type %u)%s, no driver\n", vd->where,
			virtio_id_name(vd->id), vd->id, vd->legacy ? " legacy" : "");
	} else if (err) {
		pr_err("virtio: %s: %s device: error %d\n", vd->where, virtio_id_name(vd->id), err);
	}
	if (err)
		kfree(vd); /* the transport state stays: it is a few bytes, once */
}

int virtio_negotiate(struct virtio_device *vd, uint64_t wanted)
{
	const struct virtio_transport_ops *ops = vd->ops;

	ops->set_status(vd, 0); /* reset */
	ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t offered = ops->get_features(vd);
	if (!vd->legacy) {
		if (!(offered & (1ull << VIRTIO_F_VERSION_1))) {
			virtio_failed(vd);
			return -ENODEV;
		}
		wanted |= 1ull << VIRTIO_F_VERSION_1;
	} else {
		wanted &= 0xffffffffull; /* legacy has 32 feature bits */
	}
	vd->features = offered & wanted;
	ops->set_features(vd, vd->features);
	if (vd->legacy)
		return 0;
	ops->set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_FEATURES_OK);
	if (!(ops->get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_failed(vd);
		return -ENODEV;
	}
	return 0;
}

void virtio_driver_ok(struct virtio_device *vd)
{
	uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK;
	if (!vd->legacy)
		s |= VIRTIO_STATUS_FEATURES_OK;
	vd->ops->set_status(vd, s);
}

void virtio_failed(struct virtio_device *vd)
{
	vd->ops->set_status(vd, vd->ops->get_status(vd) | VIRTIO_STATUS_FAILED);
}
