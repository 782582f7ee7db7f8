/*
 * Host tests: split virtqueues (src/drivers/virtio/virtqueue.c), the
 * block layer (src/block/) and virtio-blk (virtio_blk.c), against a
 * virtio-blk device emulated in memory through a fake transport.
 *
 * The fake is single-threaded: the device works when the driver sleeps
 * (fake_sleep_hook): it consumes the available ring, does the I/O on a
 * RAM disk, fills the used ring and raises its "interrupt" (the handler
 * the driver attached). Physical addresses are host pointers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/kmalloc.h>
#include <ferrite/vfs.h>
#include "../src/drivers/virtio/virtio.h"
#include "fake/fake.h"
#include "fake/fake_task.h"

#define DISK_SECTORS 4096 /* 2 MiB */
#define BAD_SECTOR 4000   /* the fake device fails requests touching it */

struct fake_dev {
	struct virtio_device vd;
	uint8_t status;
	uint64_t offered, accepted;
	unsigned queue_max;
	struct virtqueue *vq;
	void (*irq)(void *);
	void *irq_arg;
	int notifies, requests, flushes, max_in_flight;
	uint16_t seen_avail;
	uint8_t *disk;
};

static struct fake_dev *dev_of(struct virtio_device *vd) { return container_of(vd, struct fake_dev, vd); }
static uint8_t f_get_status(struct virtio_device *vd) { return dev_of(vd)->status; }
static void f_set_status(struct virtio_device *vd, uint8_t s) { dev_of(vd)->status = s; }
static uint64_t f_get_features(struct virtio_device *vd) { return dev_of(vd)->offered; }
static void f_set_features(struct virtio_device *vd, uint64_t f) { dev_of(vd)->accepted = f; }
static unsigned f_queue_max(struct virtio_device *vd, unsigned idx) { return idx ? 0 : dev_of(vd)->queue_max; }
static int f_queue_setup(struct virtio_device *vd, struct virtqueue *vq) { dev_of(vd)->vq = vq; return 0; }
static void f_notify(struct virtio_device *vd, struct virtqueue *vq) { dev_of(vd)->notifies++; }
static int f_irq_attach(struct virtio_device *vd, void (*fn)(void *), void *arg)
{
	dev_of(vd)->irq = fn;
	dev_of(vd)->irq_arg = arg;
	return 0;
}
static void f_read_config(struct virtio_device *vd, unsigned off, void *buf, unsigned len)
{
	uint8_t cfg[32] = { 0 };
	uint64_t cap = DISK_SECTORS;
	uint32_t seg_max = 32;
	memcpy(cfg, &cap, 8);
	memcpy(cfg + 12, &seg_max, 4);
	assert_true(off + len <= sizeof(cfg));
	memcpy(buf, cfg + off, len);
}

static const struct virtio_transport_ops fake_ops = {
	.get_status = f_get_status, .set_status = f_set_status,
	.get_features = f_get_features, .set_features = f_set_features,
	.read_config = f_read_config, .queue_max = f_queue_max,
	.queue_setup = f_queue_setup, .notify = f_notify, .irq_attach = f_irq_attach,
};

static struct fake_dev *current_dev;

/* The device side: serve every available chain, then interrupt. */
static void device_run(void)
{
	struct fake_dev *d = current_dev;
	struct virtqueue *vq = d->vq;
	int in_flight = (uint16_t)(vq->avail->idx - d->seen_avail);

	if (in_flight > d->max_in_flight)
		d->max_in_flight = in_flight;
	while (d->seen_avail != vq->avail->idx) {
		uint16_t head = vq->avail->ring[d->seen_avail % vq->size];
		struct vring_desc *desc = &vq->desc[head];
		struct { uint32_t type, reserved; uint64_t sector; } *hdr = (void *)(uintptr_t)desc->addr;
		assert_int_equal(desc->len, 16);
		assert_false(desc->flags & VRING_DESC_F_WRITE);
		uint64_t pos = hdr->sector * 512;
		uint32_t written = 0;
		bool bad = false;
		while (desc->flags & VRING_DESC_F_NEXT) {
			struct vring_desc *next = &vq->desc[desc->next];
			if (!(next->flags & VRING_DESC_F_NEXT)) {
				/* The status byte. */
				assert_int_equal(next->len, 1);
				assert_true(next->flags & VRING_DESC_F_WRITE);
				*(uint8_t *)(uintptr_t)next->addr = bad ? 1 : 0;
				written++;
				break;
			}
			assert_true(pos + next->len <= DISK_SECTORS * 512ull);
			if (pos / 512 <= BAD_SECTOR && (pos + next->len) / 512 > BAD_SECTOR)
				bad = true;
			if (hdr->type == 0) { /* IN */
				assert_true(next->flags & VRING_DESC_F_WRITE);
				memcpy((void *)(uintptr_t)next->addr, d->disk + pos, next->len);
				written += next->len;
			} else {
				assert_int_equal(hdr->type, 1);
				assert_false(next->flags & VRING_DESC_F_WRITE);
				memcpy(d->disk + pos, (void *)(uintptr_t)next->addr, next->len);
			}
			pos += next->len;
			desc = next;
		}
		if (hdr->type == 4)
			d->flushes++;
		d->requests++;
		/* Complete out of order is allowed; in order is enough here. */
		vq->used->ring[vq->used->idx % vq->size] = (struct vring_used_elem){ head, written };
		vq->used->idx++;
		d->seen_avail++;
	}
	d->irq(d->irq_arg);
	fake_sleep_hook = device_run; /* serve the next sleep too */
}

static struct block_device *bd_of(struct fake_dev *d)
{
	struct block_device *bd = blkdev_lookup(MKDEV(VIRTBLK_MAJOR, 0));
	assert_non_null(bd);
	blkdev_put(bd);
	return bd;
}

static struct fake_dev *dev; /* vda, probed once for the whole run */

static int group_setup(void **state)
{
	fake_mm_init(32UL << 20);
	fake_task_init();
	dev = kzalloc(sizeof(*dev));
	dev->disk = pages_alloc(9); /* 2 MiB */
	assert_true(dev && dev->disk);
	for (unsigned i = 0; i < DISK_SECTORS * 512; i++)
		dev->disk[i] = (uint8_t)(i / 512 * 7 + i % 512);
	dev->queue_max = 64;
	dev->offered = (1ull << 2) | (1ull << 9) | (1ull << VIRTIO_F_VERSION_1) | (1ull << 40);
	dev->vd.ops = &fake_ops;
	dev->vd.id = VIRTIO_ID_BLOCK;
	strcpy(dev->vd.where, "fake");
	/* virtio_blk_probe takes the device over (it stays for the run). */
	assert_int_equal(virtio_blk_probe(&dev->vd), 0);
	current_dev = dev;
	return 0;
}

static int setup(void **state)
{
	current_dev = dev;
	fake_sleep_hook = device_run;
	fake_signal_pending = false;
	dev->requests = dev->flushes = dev->max_in_flight = 0;
	return 0;
}

static int teardown(void **state)
{
	fake_sleep_hook = NULL;
	return 0;
}

static void test_probe_negotiates(void **state)
{
	struct block_device *bd = bd_of(dev);

	assert_string_equal(bd->name, "vda");
	assert_int_equal(bd->nr_sectors, DISK_SECTORS);
	/* Unknown feature bit 40 is refused; VERSION_1, SEG_MAX, FLUSH taken. */
	assert_int_equal(dev->accepted, (1ull << 2) | (1ull << 9) | (1ull << VIRTIO_F_VERSION_1));
	assert_true(dev->status & VIRTIO_STATUS_DRIVER_OK);
	assert_true(dev->status & VIRTIO_STATUS_FEATURES_OK);
	assert_true(bd->flags & BLKDEV_FLUSH);
	assert_false(bd->flags & BLKDEV_RDONLY);
	assert_int_equal(dev->vq->size, 64);
}

static void test_read_write_roundtrip(void **state)
{
	struct block_device *bd = bd_of(dev);
	uint8_t *buf = kmalloc(3 * 512), *back = kmalloc(3 * 512);

	assert_int_equal(blkdev_read(bd, 10, buf, 3), 0);
	for (unsigned i = 0; i < 3 * 512; i++)
		assert_int_equal(buf[i], (uint8_t)((10 + i / 512) * 7 + i % 512));
	memset(buf, 0xa5, 3 * 512);
	assert_int_equal(blkdev_write(bd, 20, buf, 3), 0);
	assert_memory_equal(dev->disk + 20 * 512, buf, 3 * 512);
	assert_int_equal(blkdev_read(bd, 20, back, 3), 0);
	assert_memory_equal(back, buf, 3 * 512);
	kfree(buf);
	kfree(back);
}

/* 1 MiB: several bios, more descriptors than the ring has (pending path). */
static void test_large_read_splits(void **state)
{
	struct block_device *bd = bd_of(dev);
	size_t n = 2048;
	uint8_t *buf = pages_alloc(8);

	assert_non_null(buf);
	assert_int_equal(blkdev_read(bd, 1, buf, n), 0);
	assert_memory_equal(buf, dev->disk + 512, n * 512);
	assert_true(dev->requests >= 8);
	assert_true(dev->max_in_flight >= 1);
	assert_int_equal(bd->queue.in_flight, 0);
	assert_true(list_empty(&bd->queue.pending));
	pages_free(buf, 8);
}

/* Several bios submitted at once are in flight together. */
static void test_async_in_flight(void **state)
{
	struct block_device *bd = bd_of(dev);
	struct bio *bios = kcalloc(4, sizeof(*bios));
	uint8_t *buf = kmalloc(4 * 512);

	for (int i = 0; i < 4; i++) {
		bio_init(&bios[i], BIO_READ, 100 + i);
		assert_int_equal(bio_add_kernel(&bios[i], buf + i * 512, 512), 0);
		bio_submit(bd, &bios[i]);
	}
	assert_int_equal(bd->queue.in_flight, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(bio_wait(&bios[i]), 0);
	assert_int_equal(dev->max_in_flight, 4);
	assert_memory_equal(buf, dev->disk + 100 * 512, 4 * 512);
	kfree(bios);
	kfree(buf);
}

static void test_flush_and_errors(void **state)
{
	struct block_device *bd = bd_of(dev);
	uint8_t *buf = kmalloc(2 * 512);

	assert_int_equal(blkdev_flush(bd), 0);
	assert_int_equal(dev->flushes, 1);
	/* The device fails the request: EIO, counted. */
	uint64_t errors = bd->stat_errors;
	assert_int_equal(blkdev_read(bd, BAD_SECTOR - 1, buf, 2), -EIO);
	assert_int_equal(bd->stat_errors, errors + 1);
	/* Past the end: refused before the device sees it. */
	int before = dev->requests;
	assert_int_equal(blkdev_read(bd, DISK_SECTORS - 1, buf, 2), -EINVAL);
	assert_int_equal(dev->requests, before);
	struct bio bio;
	bio_init(&bio, BIO_READ, DISK_SECTORS);
	assert_int_equal(bio_add_kernel(&bio, buf, 512), 0);
	bio_submit(bd, &bio);
	assert_int_equal(bio_wait(&bio), -EIO);
	/* More segments than the device takes: refused. */
	uint8_t *pages = pages_alloc(2);
	unsigned max = bd->max_vecs;
	bd->max_vecs = 2;
	bio_init(&bio, BIO_READ, 0);
	assert_int_equal(bio_add_kernel(&bio, pages + 4096 - 512, 4096 + 1024), 0);
	assert_int_equal(bio.nr_vecs, 3);
	bio_submit(bd, &bio);
	assert_int_equal(bio_wait(&bio), -EINVAL);
	bd->max_vecs = max;
	assert_int_equal(dev->requests, before);
	pages_free(pages, 2);
	kfree(buf);
}

static void test_readonly_device(void **state)
{
	struct block_device *bd = bd_of(dev);
	uint8_t *buf = kzalloc(512);

	bd->flags |= BLKDEV_RDONLY;
	int before = dev->requests;
	assert_int_equal(blkdev_write(bd, 1, buf, 1), -EROFS);
	struct bio bio;
	bio_init(&bio, BIO_WRITE, 1);
	assert_int_equal(bio_add_kernel(&bio, buf, 512), 0);
	bio_submit(bd, &bio);
	assert_int_equal(bio_wait(&bio), -EROFS);
	bd->flags &= ~BLKDEV_RDONLY;
	assert_int_equal(dev->requests, before); /* the device saw nothing */
	assert_int_equal(dev->disk[512], 7);     /* still the pattern */
	kfree(buf);
}

/* The ring by itself: chains, the free list, a full ring, the used ring. */
static void test_virtqueue_ring(void **state)
{
	struct fake_dev d = { .queue_max = 8 };
	d.vd.ops = &fake_ops;
	struct virtqueue *vq = virtqueue_create(&d.vd, 0, 1024);
	int tokens[3];
	struct vq_buf bufs[3] = { { 0x1000, 16, false }, { 0x2000, 512, true }, { 0x3000, 1, true } };

	assert_non_null(vq);
	assert_int_equal(vq->size, 8);
	int h0 = virtqueue_add(vq, bufs, 3, &tokens[0]);
	int h1 = virtqueue_add(vq, bufs, 3, &tokens[1]);
	assert_true(h0 >= 0 && h1 >= 0 && h0 != h1);
	assert_int_equal(virtqueue_add(vq, bufs, 3, &tokens[2]), -ENOSPC);
	assert_int_equal(vq->num_free, 2);
	assert_int_equal(vq->avail->idx, 2);
	assert_int_equal(vq->avail->ring[0], h0);
	assert_int_equal(vq->desc[h0].flags, VRING_DESC_F_NEXT);
	uint16_t second = vq->desc[h0].next;
	assert_int_equal(vq->desc[second].flags, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE);
	assert_int_equal(vq->desc[second].addr, 0x2000);
	virtqueue_kick(vq);
	assert_int_equal(d.notifies, 1);
	vq->used->flags = 1; /* the device asks not to be notified */
	virtqueue_kick(vq);
	assert_int_equal(d.notifies, 1);
	assert_null(virtqueue_get_used(vq, NULL));
	/* The device finishes the second chain first. */
	vq->used->ring[0] = (struct vring_used_elem){ (uint32_t)h1, 513 };
	vq->used->idx = 1;
	uint32_t len = 0;
	assert_ptr_equal(virtqueue_get_used(vq, &len), &tokens[1]);
	assert_int_equal(len, 513);
	assert_int_equal(vq->num_free, 5);
	assert_int_equal(virtqueue_add(vq, bufs, 3, &tokens[2]), h1); /* reused */
	/* A confused device: an id that is no chain head is ignored. */
	vq->used->ring[1] = (struct vring_used_elem){ 77, 0 };
	vq->used->idx = 2;
	assert_null(virtqueue_get_used(vq, NULL));
	virtqueue_destroy(vq);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_probe_negotiates),
		T(test_read_write_roundtrip),
		T(test_large_read_splits),
		T(test_async_in_flight),
		T(test_flush_and_errors),
		T(test_readonly_device),
		T(test_virtqueue_ring),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
