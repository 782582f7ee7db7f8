/*
 * Block devices: allocation, naming (vda, vdb, ...), the registry that
 * /dev/vdX and mount find them in, and reference counting.
 * Lock: registry_lock guards the list and the name counter (written when a
 * driver registers a device, read on open). A device is never unregistered
 * yet (no hot-unplug); blkdev_put frees one that was never registered.
 */
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/printk.h>
#include <ferrite/string.h>
#include <ferrite/vfs.h>

/* vda .. vdz: 26 disks (Linux goes on with vdaa; nobody attaches that many). */
#define BLKDEV_MAX 26

static struct spinlock registry_lock = SPINLOCK_INIT("blkdev_registry");
static LIST_HEAD(registry);  /* Lock: registry_lock */
static unsigned nr_registered; /* Lock: registry_lock */

struct block_device *blkdev_alloc(void)
{
	struct block_device *bd = kzalloc(sizeof(*bd));

	if (!bd)
		return NULL;
	ref_init(&bd->ref);
	spin_init(&bd->queue.lock, "blk_queue");
	list_init(&bd->queue.pending);
	list_init(&bd->registry_node);
	bd->logical_block_size = SECTOR_SIZE;
	bd->physical_block_size = SECTOR_SIZE;
	bd->max_vecs = BIO_MAX_VECS;
	return bd;
}

static void blkdev_release(struct ref *r)
{
	kfree(container_of(r, struct block_device, ref));
}

void blkdev_put(struct block_device *bd)
{
	ref_put(&bd->ref, blkdev_release);
}

int blkdev_register(struct block_device *bd)
{
	guard(spinlock)(&registry_lock);
	if (nr_registered == BLKDEV_MAX)
		return -ENOSPC;
	ksnprintf(bd->name, sizeof(bd->name), "vd%c", 'a' + nr_registered);
	bd->dev = MKDEV(VIRTBLK_MAJOR, VIRTBLK_MINORS * nr_registered);
	nr_registered++;
	list_add_tail(&bd->registry_node, &registry);
	return 0;
}

struct block_device *blkdev_lookup(dev_t dev)
{
	struct block_device *bd;

	guard(spinlock)(&registry_lock);
	list_for_each_entry(bd, &registry, registry_node)
		if (bd->dev == dev && ref_get_unless_zero(&bd->ref))
			return bd;
	return NULL;
}

void blkdev_for_each(void (*fn)(struct block_device *bd, void *arg), void *arg)
{
	struct block_device *bd;

	/* Devices are never removed, so the list may be walked unlocked once
	 * each entry is published; fn may sleep (it creates /dev nodes). */
	list_for_each_entry(bd, &registry, registry_node)
		fn(bd, arg);
}
