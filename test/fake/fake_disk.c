/*
 * The fake block device of test/fake/fake_disk.h, and the kernel calls the
 * block cache makes that have no host meaning (its write-back thread: the
 * tests sync by hand).
 */
#include <stdio.h>
#include <string.h>
#include <ferrite/errno.h>
#include <ferrite/vfs.h>
#include "fake_disk.h"

static void bd_release(struct ref *r) { (void)r; }
void blkdev_put(struct block_device *bd) { ref_put(&bd->ref, bd_release); }

int blkdev_read(struct block_device *bd, uint64_t sector, void *buf, size_t count)
{
	struct fake_disk *d = container_of(bd, struct fake_disk, bd);
	if (sector > bd->nr_sectors || count > bd->nr_sectors - sector)
		return -EINVAL;
	memcpy(buf, d->data + sector * SECTOR_SIZE, count * SECTOR_SIZE);
	d->reads++;
	return 0;
}

int blkdev_write(struct block_device *bd, uint64_t sector, const void *buf, size_t count)
{
	struct fake_disk *d = container_of(bd, struct fake_disk, bd);
	if (bd->flags & BLKDEV_RDONLY)
		return -EROFS;
	if (sector > bd->nr_sectors || count > bd->nr_sectors - sector)
		return -EINVAL;
	if (d->fail_writes)
		return -EIO;
	memcpy(d->data + sector * SECTOR_SIZE, buf, count * SECTOR_SIZE);
	d->writes++;
	return 0;
}

int blkdev_flush(struct block_device *bd)
{
	container_of(bd, struct fake_disk, bd)->flushes++;
	return 0;
}

/* No write-back thread on the host: the tests sync by hand. */
struct task *kthread_create(const char *name, void (*fn)(void *), void *arg)
{
	return ERR_PTR(-ENOSYS);
}
int sched_sleep_ns(uint64_t ns)
{
	return 0;
}

void fake_disk_init(struct fake_disk *d, unsigned char *data, size_t len)
{
	memset(d, 0, sizeof(*d));
	ref_init(&d->bd.ref);
	snprintf(d->bd.name, sizeof(d->bd.name), "vdtest");
	d->bd.dev = MKDEV(254, 0);
	d->bd.nr_sectors = len / SECTOR_SIZE;
	d->data = data;
	d->len = len;
}

