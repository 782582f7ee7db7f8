/*
 * Requests: submitting bios to a device's queue, completing them from the
 * driver's interrupt, waiting for them, and the synchronous sector helpers.
 *
 * Locking and the wake-up argument: bio_submit puts the bio on
 * bd->queue.pending and offers pending bios to the driver, all under
 * bd->queue.lock (irq-saving: the interrupt handler takes it too). The
 * driver's interrupt handler takes the same lock to reap its ring, drops
 * it, then calls bio_complete for each finished bio. bio_complete stores
 * status, then sets done with release order, then wakes bio->wait;
 * bio_wait tests done (acquire) after queueing itself on bio->wait
 * (wait_event), so either it sees done or the wake-up finds it queued.
 * After done is set the completer no longer touches the bio except for
 * the wake-up, which the waiter's finish_wait serialises with (it takes
 * bio->wait.lock), so the bio may live on the waiter's stack.
 */
#include <ferrite/fault_inject.h>
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <hal/hal_mmu.h>

void bio_init(struct bio *bio, enum bio_op op, uint64_t sector)
{
	bio->op = op;
	bio->sector = sector;
	bio->nr_vecs = 0;
	bio->status = 0;
	bio->done = false;
	bio->end_io = NULL;
	bio->private = NULL;
	bio->bdev = NULL;
	waitqueue_init(&bio->wait);
	list_init(&bio->node);
}

size_t bio_bytes(const struct bio *bio)
{
	size_t n = 0;
	for (unsigned i = 0; i < bio->nr_vecs; i++)
		n += bio->vecs[i].len;
	return n;
}

int bio_add_kernel(struct bio *bio, void *kva, size_t len)
{
	uintptr_t va = (uintptr_t)kva;

	while (len) {
		size_t chunk = MIN(len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));

		if (bio->nr_vecs == BIO_MAX_VECS)
			return -E2BIG;
		bio->vecs[bio->nr_vecs++] =
			(struct bio_vec){ virt_to_phys((void *)va), (uint32_t)chunk };
		va += chunk;
		len -= chunk;
	}
	return 0;
}

void blk_queue_run_locked(struct block_device *bd)
{
	struct request_queue *q = &bd->queue;

	assert_locked(&q->lock);
	while (!list_empty(&q->pending)) {
		struct bio *bio = list_first_entry(&q->pending, struct bio, node);
		if (bd->ops->queue_rq(bd, bio))
			break; /* ring full: the next completion runs the queue again */
		list_del(&bio->node);
		q->in_flight++;
	}
}

void bio_submit(struct block_device *bd, struct bio *bio)
{
	bio->bdev = bd;
	bio->done = false;
	if (bio->op == BIO_FLUSH && !(bd->flags & BLKDEV_FLUSH)) {
		/* Write-through device: completed writes are already durable. */
		bio_complete(bio, 0);
		return;
	}
	if (bio->op != BIO_FLUSH && !bio->nr_vecs) {
		bio_complete(bio, 0);
		return;
	}
	if (bio->nr_vecs > bd->max_vecs) {
		bio_complete(bio, -EINVAL);
		return;
	}
	if (bio->op == BIO_WRITE && (bd->flags & BLKDEV_RDONLY)) {
		bio_complete(bio, -EROFS);
		return;
	}
	if (bio->op != BIO_FLUSH &&
	    (bio->sector > bd->nr_sectors ||
	     (bio_bytes(bio) >> SECTOR_SHIFT) > bd->nr_sectors - bio->sector)) {
		bio_complete(bio, -EIO);
		return;
	}
	if (fault_inject_site(FI_BIO)) { /* failslab=...,bio: a device error */
		bio_complete(bio, -EIO);
		return;
	}
	guard_irqsave(&bd->queue.lock);
	list_add_tail(&bio->node, &bd->queue.pending);
	blk_queue_run_locked(bd);
}

void bio_complete(struct bio *bio, int status)
{
	struct block_device *bd = bio->bdev;

	if (bd) {
		uint64_t *c = bio->op == BIO_READ ? &bd->stat_reads
			      : bio->op == BIO_WRITE ? &bd->stat_writes : &bd->stat_flushes;
		__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
		if (bio->op != BIO_FLUSH)
			__atomic_fetch_add(bio->op == BIO_READ ? &bd->stat_read_sectors
							       : &bd->stat_write_sectors,
					   bio_bytes(bio) >> SECTOR_SHIFT, __ATOMIC_RELAXED);
		if (status)
			__atomic_fetch_add(&bd->stat_errors, 1, __ATOMIC_RELAXED);
	}
	bio->status = status;
	if (bio->end_io) {
		/* The submitter learns of completion through end_io alone. */
		__atomic_store_n(&bio->done, true, __ATOMIC_RELEASE);
		bio->end_io(bio);
		return;
	}
	/* Hold the wait queue's lock across setting done and the wake-up, so
	 * the waiter cannot see done, return and free the bio in between. */
	unsigned long flags = spin_lock_irqsave(&bio->wait.lock);
	__atomic_store_n(&bio->done, true, __ATOMIC_RELEASE);
	wake_up_all_locked(&bio->wait);
	spin_unlock_irqrestore(&bio->wait.lock, flags);
}

int bio_wait(struct bio *bio)
{
	wait_event_io(&bio->wait, __atomic_load_n(&bio->done, __ATOMIC_ACQUIRE));
	return bio->status;
}

/* ---- synchronous helpers ---- */

static int blkdev_rw(struct block_device *bd, enum bio_op op, uint64_t sector, void *buf,
		     size_t count)
{
	if (sector > bd->nr_sectors || count > bd->nr_sectors - sector)
		return -EINVAL;
	if (op == BIO_WRITE && (bd->flags & BLKDEV_RDONLY))
		return -EROFS;
	size_t per_bio = (size_t)MIN(bd->max_vecs, BIO_MAX_VECS) - 1; /* pages, unaligned start */
	size_t bytes = count << SECTOR_SHIFT;
	size_t nr_bios = (bytes + per_bio * PAGE_SIZE - 1) / (per_bio * PAGE_SIZE);
	if (!nr_bios)
		return 0;
	__free(kfree) struct bio *bios = kcalloc(nr_bios, sizeof(*bios));
	if (!bios)
		return -ENOMEM;
	/* Submit every piece, then wait for all: they are in flight together. */
	size_t done = 0;
	for (size_t i = 0; i < nr_bios; i++) {
		size_t n = MIN(bytes - done, per_bio * PAGE_SIZE);
		bio_init(&bios[i], op, sector + (done >> SECTOR_SHIFT));
		int err = bio_add_kernel(&bios[i], (char *)buf + done, n);
		BUG_ON(err); /* per_bio pages plus one for an unaligned start fit */
		bio_submit(bd, &bios[i]);
		done += n;
	}
	int status = 0;
	for (size_t i = 0; i < nr_bios; i++) {
		int err = bio_wait(&bios[i]);
		if (err && !status)
			status = err;
	}
	return status;
}

int blkdev_read(struct block_device *bd, uint64_t sector, void *buf, size_t count)
{
	return blkdev_rw(bd, BIO_READ, sector, buf, count);
}

int blkdev_write(struct block_device *bd, uint64_t sector, const void *buf, size_t count)
{
	return blkdev_rw(bd, BIO_WRITE, sector, (void *)buf, count);
}

int blkdev_flush(struct block_device *bd)
{
	struct bio bio;

	bio_init(&bio, BIO_FLUSH, 0);
	bio_submit(bd, &bio);
	return bio_wait(&bio);
}
