/*
 * virtio-blk (virtio 1.x section 5.2): one request queue per disk, a
 * request per bio as a descriptor chain (header, data pieces, status
 * byte), many in flight, completion by interrupt.
 *
 * Locking: the ring and the request slots are guarded by the block
 * device's queue lock (bd->queue.lock, irq-saving). queue_rq runs under
 * it (the block layer holds it); the interrupt handler takes it to reap
 * finished chains and start pending bios, and completes the bios after
 * dropping it (bio.c explains the wake-up).
 */
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include "virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10

#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0

/* Configuration layout offsets. */
#define CFG_CAPACITY 0
#define CFG_SIZE_MAX 8
#define CFG_SEG_MAX 12
#define CFG_BLK_SIZE 20
#define CFG_PHYS_BLOCK_EXP 24

#define VBLK_QUEUE_SIZE 128
/* Descriptors one request may use: header, data, status. */
#define VBLK_MAX_DESCS (BIO_MAX_VECS + 2)

struct virtio_blk_outhdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* One per descriptor head: what the device reads and writes besides the
 * data. Lives in kmalloc memory (direct map, DMA-able); 32 bytes, so
 * neither field crosses a page. */
struct vblk_req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
	struct bio *bio;
};
_Static_assert(sizeof(struct vblk_req) == 32, "vblk_req stays inside a page");

struct virtio_blk {
	struct virtio_device *vd;
	struct virtqueue *vq;     /* Lock: bd->queue.lock */
	struct block_device *bd;
	struct vblk_req *reqs;    /* [vq->size], indexed by head; Lock: bd->queue.lock */
};

static int vblk_queue_rq(struct block_device *bd, struct bio *bio)
{
	struct virtio_blk *vb = bd->driver_data;
	struct virtqueue *vq = vb->vq;
	struct vq_buf bufs[VBLK_MAX_DESCS];
	unsigned n = 0;

	assert_locked(&bd->queue.lock);
	/* The chain's head is the first free descriptor: its slot is ours. */
	struct vblk_req *req = &vb->reqs[vq->free_head];
	req->hdr.type = bio->op == BIO_READ ? VIRTIO_BLK_T_IN
			: bio->op == BIO_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
	req->hdr.reserved = 0;
	req->hdr.sector = bio->op == BIO_FLUSH ? 0 : bio->sector;
	req->status = 0xff;
	req->bio = bio;
	bufs[n++] = (struct vq_buf){ virt_to_phys(&req->hdr), sizeof(req->hdr), false };
	/* Invariant: nr_vecs <= bd->max_vecs <= BIO_MAX_VECS (bio_submit), and
	 * a vec is at most a page, which size_max allows (probe). */
	for (unsigned i = 0; i < bio->nr_vecs; i++)
		bufs[n++] = (struct vq_buf){ bio->vecs[i].addr, bio->vecs[i].len, bio->op == BIO_READ };
	bufs[n++] = (struct vq_buf){ virt_to_phys(&req->status), 1, true };
	if (virtqueue_add(vq, bufs, n, req) < 0)
		return -EBUSY;
	virtqueue_kick(vq);
	return 0;
}

static const struct block_device_ops vblk_ops = {
	.queue_rq = vblk_queue_rq,
};

/* The device finished chains: reap them, start what is pending, then
 * complete the bios outside the lock. */
static void vblk_interrupt(void *arg)
{
	struct virtio_blk *vb = arg;
	struct block_device *bd = vb->bd;
	struct vblk_req *req;
	LIST_HEAD(done);

	unsigned long flags = spin_lock_irqsave(&bd->queue.lock);
	while ((req = virtqueue_get_used(vb->vq, NULL))) {
		struct bio *bio = req->bio;
		bio->status = req->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
		req->bio = NULL;
		list_add_tail(&bio->node, &done);
		bd->queue.in_flight--;
	}
	blk_queue_run_locked(bd);
	spin_unlock_irqrestore(&bd->queue.lock, flags);

	struct bio *bio, *next;
	list_for_each_entry_safe(bio, next, &done, node) {
		list_del(&bio->node);
		if (bio->status)
			pr_warn("virtio-blk: %s: %s of sector %llu failed\n", bd->name,
				bio->op == BIO_READ ? "read" : bio->op == BIO_WRITE ? "write" : "flush",
				(unsigned long long)bio->sector);
		bio_complete(bio, bio->status);
	}
}

static uint32_t cfg32(struct virtio_device *vd, unsigned off)
{
	uint32_t v;
	vd->ops->read_config(vd, off, &v, 4);
	return v;
}

int virtio_blk_probe(struct virtio_device *vd)
{
	uint64_t wanted = (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
			  (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
			  (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_TOPOLOGY);
	int err = virtio_negotiate(vd, wanted);
	if (err)
		return err == -ENODEV ? -EIO : err;

	struct virtio_blk *vb = kzalloc(sizeof(*vb));
	struct block_device *bd = blkdev_alloc();
	if (!vb || !bd) {
		kfree(vb);
		if (bd)
			blkdev_put(bd);
		virtio_failed(vd);
		return -ENOMEM;
	}
	vb->vd = vd;
	vb->bd = bd;
	vd->ops->read_config(vd, CFG_CAPACITY, &bd->nr_sectors, 8);
	/* A segment is at most a page (struct bio_vec): a device must take that. */
	if (virtio_has(vd, VIRTIO_BLK_F_SIZE_MAX) && cfg32(vd, CFG_SIZE_MAX) < PAGE_SIZE) {
		pr_err("virtio-blk: %s: segments of %u bytes are too small\n", vd->where,
		       cfg32(vd, CFG_SIZE_MAX));
		kfree(vb);
		blkdev_put(bd);
		virtio_failed(vd);
		return -EIO;
	}
	unsigned max_vecs = BIO_MAX_VECS;
	if (virtio_has(vd, VIRTIO_BLK_F_SEG_MAX))
		max_vecs = MIN(max_vecs, MAX(cfg32(vd, CFG_SEG_MAX), 2u));
	if (virtio_has(vd, VIRTIO_BLK_F_BLK_SIZE)) {
		uint32_t bs = cfg32(vd, CFG_BLK_SIZE);
		if (bs >= SECTOR_SIZE && bs <= PAGE_SIZE && !(bs & (bs - 1)))
			bd->logical_block_size = bd->physical_block_size = bs;
	}
	if (virtio_has(vd, VIRTIO_BLK_F_TOPOLOGY)) {
		uint8_t exp;
		vd->ops->read_config(vd, CFG_PHYS_BLOCK_EXP, &exp, 1);
		if (exp <= 3)
			bd->physical_block_size = bd->logical_block_size << exp;
	}
	if (virtio_has(vd, VIRTIO_BLK_F_RO))
		bd->flags |= BLKDEV_RDONLY;
	if (virtio_has(vd, VIRTIO_BLK_F_FLUSH))
		bd->flags |= BLKDEV_FLUSH;
	bd->ops = &vblk_ops;
	bd->driver_data = vb;

	vb->vq = virtqueue_create(vd, 0, VBLK_QUEUE_SIZE);
	if (!vb->vq)
		goto fail;
	/* A chain (header, data, status) must fit the ring. */
	bd->max_vecs = MIN(max_vecs, vb->vq->size - 2);
	if (bd->max_vecs < 2)
		goto fail;
	vb->reqs = kcalloc(vb->vq->size, sizeof(*vb->reqs));
	if (!vb->reqs)
		goto fail;
	if (vd->ops->irq_attach(vd, vblk_interrupt, vb) || vd->ops->queue_setup(vd, vb->vq))
		goto fail;
	virtio_driver_ok(vd);
	if (blkdev_register(bd))
		goto fail;
	vd->driver_data = vb;
	pr_info("virtio-blk: %s: %llu sectors (%llu MiB), %s%s%s%s\n", bd->name,
		(unsigned long long)bd->nr_sectors, (unsigned long long)(bd->nr_sectors >> 11),
		vd->where, vd->legacy ? ", legacy" : "", bd->flags & BLKDEV_RDONLY ? ", read-only" : "",
		bd->flags & BLKDEV_FLUSH ? ", write cache (flush)" : "");
	return 0;
fail:
	/* The device may hold the ring address: reset it before freeing. */
	vd->ops->set_status(vd, 0);
	kfree(vb->reqs);
	virtqueue_destroy(vb->vq);
	kfree(vb);
	blkdev_put(bd);
	return -EIO;
}
