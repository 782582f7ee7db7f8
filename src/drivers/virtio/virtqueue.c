/*
 * Split virtqueues (virtio 1.x section 2.7): a descriptor table, the
 * available ring the driver fills and the used ring the device fills.
 *
 * Lock: every function runs under the owning driver's lock (virtio-blk:
 * its block device's queue lock, irq-saving), so one CPU at a time touches
 * the driver-side fields. The device runs concurrently: the driver writes
 * descriptors and the avail ring entry, then (write barrier) the avail
 * index; it reads the used index, then (read barrier) the entries.
 * Before the doorbell a full barrier orders the avail index store before
 * reading the device's "no notify" flag and before the MMIO write.
 */
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <hal/hal_io.h>
#include "virtio.h"

#define VRING_USED_F_NO_NOTIFY 1
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_ALIGN PAGE_SIZE

static size_t vring_used_offset(unsigned size)
{
	return ALIGN_UP(16 * size + 6 + 2 * size, VRING_ALIGN);
}

static size_t vring_bytes(unsigned size)
{
	return vring_used_offset(size) + ALIGN_UP(6 + 8 * size, VRING_ALIGN);
}

struct virtqueue *virtqueue_create(struct virtio_device *vd, unsigned idx, unsigned max_size)
{
	unsigned dev_max = vd->ops->queue_max(vd, idx);
	unsigned size = 1;

	if (!dev_max)
		return NULL;
	while (size * 2 <= MIN(dev_max, max_size))
		size *= 2;
	__free(kfree) struct virtqueue *vq = kzalloc(sizeof(*vq));
	if (!vq)
		return NULL;
	vq->tokens = kcalloc(size, sizeof(void *));
	if (!vq->tokens)
		return NULL;
	size_t bytes = vring_bytes(size);
	unsigned order = 0;
	while ((PAGE_SIZE << order) < bytes)
		order++;
	vq->ring_mem = pages_alloc(order);
	if (!vq->ring_mem) {
		kfree(vq->tokens);
		return NULL;
	}
	memset(vq->ring_mem, 0, PAGE_SIZE << order);
	vq->ring_order = order;
	vq->vd = vd;
	vq->index = idx;
	vq->size = size;
	vq->desc = vq->ring_mem;
	vq->avail = (struct vring_avail *)((char *)vq->ring_mem + 16 * size);
	vq->used = (struct vring_used *)((char *)vq->ring_mem + vring_used_offset(size));
	for (unsigned i = 0; i + 1 < size; i++)
		vq->desc[i].next = (uint16_t)(i + 1);
	vq->free_head = 0;
	vq->num_free = size;
	return take_ptr(vq);
}

void virtqueue_destroy(struct virtqueue *vq)
{
	if (!vq)
		return;
	pages_free(vq->ring_mem, vq->ring_order);
	kfree(vq->tokens);
	kfree(vq);
}

int virtqueue_add(struct virtqueue *vq, const struct vq_buf *bufs, unsigned n, void *token)
{
	if (!n || n > vq->num_free)
		return -ENOSPC;
	uint16_t head = vq->free_head, i = head, last = head;
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &vq->desc[i];
		d->addr = bufs[k].addr;
		d->len = bufs[k].len;
		d->flags = (bufs[k].write ? VRING_DESC_F_WRITE : 0) |
			   (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		last = i;
		i = d->next;
	}
	vq->free_head = vq->desc[last].next;
	vq->num_free -= n;
	vq->tokens[head] = token;

	uint16_t avail_idx = vq->avail->idx;
	vq->avail->ring[avail_idx & (vq->size - 1)] = head;
	hal_wmb(); /* descriptors and ring entry before the index */
	WRITE_ONCE(vq->avail->idx, (uint16_t)(avail_idx + 1));
	return head;
}

void virtqueue_kick(struct virtqueue *vq)
{
	hal_mb(); /* avail->idx before reading used->flags and the doorbell */
	if (!(READ_ONCE(vq->used->flags) & VRING_USED_F_NO_NOTIFY))
		vq->vd->ops->notify(vq->vd, vq);
}

void *virtqueue_get_used(struct virtqueue *vq, uint32_t *len)
{
	if (vq->last_used == READ_ONCE(vq->used->idx))
		return NULL;
	hal_rmb(); /* the index before the entry it publishes */
	struct vring_used_elem *e = &vq->used->ring[vq->last_used & (vq->size - 1)];
	uint32_t head = READ_ONCE(e->id);
	if (len)
		*len = READ_ONCE(e->len);
	vq->last_used++;
	if (head >= vq->size || !vq->tokens[head])
		return NULL; /* a confused device: ignore the entry */
	void *token = vq->tokens[head];
	vq->tokens[head] = NULL;
	/* Return the chain to the free list. */
	uint16_t i = (uint16_t)head;
	unsigned n = 1;
	while (vq->desc[i].flags & VRING_DESC_F_NEXT) {
		i = vq->desc[i].next;
		n++;
	}
	vq->desc[i].next = vq->free_head;
	vq->free_head = (uint16_t)head;
	vq->num_free += n;
	return token;
}
