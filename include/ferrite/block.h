/*
 * The block layer: block devices, their request queues, and bios (one
 * request: an operation on a run of 512-byte sectors with its buffers).
 * Implemented in src/block/; drivers (src/drivers/) register devices, the
 * file systems and /dev/vdX (src/fs/blkdev_file.c) submit bios. See
 * docs/block.md for the whole design.
 *
 * Ownership:
 *   struct block_device  refcounted (blkdev_get/put); the registry holds
 *                        one reference for as long as the device exists.
 *   struct bio           owned by its submitter. Between bio_submit() and
 *                        its completion the block layer and the driver
 *                        borrow it (and the buffers its vecs name); the
 *                        submitter must not free or reuse either before
 *                        bio_wait() returns or end_io has been called.
 *
 * Locking:
 *   bd->queue.lock  (irq-saving spinlock) the pending list, the in-flight
 *                   count and the driver's ring; the driver's queue_rq and
 *                   its interrupt handler's ring work run under it.
 *   Completions (end_io, waking the bio's waiter) run after the driver
 *   has dropped the queue lock, in interrupt context: end_io must not
 *   sleep.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>

#define SECTOR_SHIFT 9
#define SECTOR_SIZE (1u << SECTOR_SHIFT)

/* Linux's major for virtio-blk disks: /dev/vda is (254, 0), vdb (254, 16). */
#define VIRTBLK_MAJOR 254
#define VIRTBLK_MINORS 16

/* Segments per bio: 32 pages = 128 KiB. */
#define BIO_MAX_VECS 32

enum bio_op {
	BIO_READ,  /* device -> memory */
	BIO_WRITE, /* memory -> device */
	BIO_FLUSH, /* make every completed write durable; no data */
};

/* One piece of the buffer, inside one page of direct-map memory (so a
 * driver never has to split it: every device takes a page per segment). */
struct bio_vec {
	phys_addr_t addr;
	uint32_t len; /* <= PAGE_SIZE; the bio's total is a multiple of SECTOR_SIZE */
};

struct block_device;

struct bio {
	enum bio_op op;
	uint64_t sector;  /* first 512-byte sector */
	unsigned nr_vecs;
	struct bio_vec vecs[BIO_MAX_VECS];
	/* Completion: set once by bio_complete(). */
	int status;       /* 0, or -EIO */
	bool done;        /* atomic (release after status) */
	void (*end_io)(struct bio *bio); /* may be NULL; interrupt context */
	void *private;    /* the submitter's */
	struct waitqueue wait;           /* bio_wait() sleeps here */
	struct block_device *bdev;       /* set by bio_submit */
	struct list_head node;           /* Lock: bdev->queue.lock while queued */
};

/* Bytes the bio moves. */
size_t bio_bytes(const struct bio *bio);
/* Prepare bio for op at sector with no buffer yet. */
void bio_init(struct bio *bio, enum bio_op op, uint64_t sector);
/* Append [kva, kva + len) of direct-map memory, one vec per page it
 * touches. Return 0 or -E2BIG when the vecs run out. */
int bio_add_kernel(struct bio *bio, void *kva, size_t len);

/* What a driver provides. Called with bd->queue.lock held, interrupts off. */
struct block_device_ops {
	/* Start bio on the device. Return 0 (the driver completes it later
	 * with bio_complete), or -EBUSY when the ring is full: the bio stays
	 * pending and is offered again after the next completion. */
	int (*queue_rq)(struct block_device *bd, struct bio *bio);
};

#define BLKDEV_RDONLY 0x1 /* the device refuses writes */
#define BLKDEV_FLUSH 0x2  /* it has a volatile write cache: FLUSH means something */

struct request_queue {
	struct spinlock lock;
	struct list_head pending; /* bios not yet given to the driver; Lock: lock */
	unsigned in_flight;       /* bios the driver holds; Lock: lock */
};

struct block_device {
	struct ref ref;
	char name[16];            /* "vda" */
	dev_t dev;                /* MKDEV(VIRTBLK_MAJOR, 16 * index) */
	uint64_t nr_sectors;      /* capacity in 512-byte sectors */
	unsigned logical_block_size;  /* BLKSSZGET */
	unsigned physical_block_size; /* BLKPBSZGET */
	unsigned max_vecs;        /* segments the driver takes per bio */
	unsigned flags;           /* BLKDEV_* */
	const struct block_device_ops *ops;
	void *driver_data;
	struct request_queue queue;
	struct list_head registry_node; /* Lock: the registry lock */
	/* Counters (atomic), for leak checks, the bench and /proc/diskstats:
	 * completed requests, and the 512-byte sectors they moved. */
	uint64_t stat_reads, stat_writes, stat_flushes, stat_errors;
	uint64_t stat_read_sectors, stat_write_sectors;
};

/* A zeroed device with one reference and an empty queue; the driver fills
 * in capacity, sizes, flags and ops, then calls blkdev_register. */
struct block_device *blkdev_alloc(void);
/* Name it (vda, vdb, ... in registration order), give it its dev_t and
 * list it. The registry keeps the caller's reference. Return 0 or -ENOSPC. */
int blkdev_register(struct block_device *bd);
static inline void blkdev_get(struct block_device *bd) { ref_get(&bd->ref); }
void blkdev_put(struct block_device *bd);
/* Return: new reference to the device numbered dev, or NULL. */
struct block_device *blkdev_lookup(dev_t dev);
/* Call fn for each registered device, in registration order. */
void blkdev_for_each(void (*fn)(struct block_device *bd, void *arg), void *arg);

/* Queue bio on bd (a FLUSH on a device without a write cache and an empty
 * bio complete at once; a bio past the end, or with more than bd->max_vecs
 * vecs, completes with -EIO / -EINVAL). Never sleeps; may be called with
 * spinlocks held. */
void bio_submit(struct block_device *bd, struct bio *bio);
/* Sleep (uninterruptibly) until bio has completed; return its status. */
int bio_wait(struct bio *bio);
/* Driver side: bio is finished (status 0 or -EIO). Call without the queue
 * lock; wakes the waiter and runs end_io. */
void bio_complete(struct bio *bio, int status);
/* Driver side, queue lock held: the driver gave back a bio (in_flight--)
 * and has room again: start pending bios. */
void blk_queue_run_locked(struct block_device *bd);

/*
 * Synchronous helpers for callers that just want sectors: read or write
 * count sectors at sector from/to buf (direct-map kernel memory), split
 * into as many bios as needed, all in flight together. Return 0, -EIO,
 * -EROFS (write to a read-only device) or -EINVAL (past the end).
 */
int blkdev_read(struct block_device *bd, uint64_t sector, void *buf, size_t count);
int blkdev_write(struct block_device *bd, uint64_t sector, const void *buf, size_t count);
/* FLUSH and wait: every write completed before is durable. */
int blkdev_flush(struct block_device *bd);
