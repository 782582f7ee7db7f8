/*
 * Character devices: a small registry from device number to file ops, and
 * the memory devices /dev/null, zero, full, random and urandom.
 * Lock: chrdev_lock guards the registry (written at boot, read on open).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/string.h>
#include <hal/hal_timer.h>
#include "fs_internal.h"

#define CHRDEV_MAX 32

static struct spinlock chrdev_lock = SPINLOCK_INIT("chrdev");
static struct {
	dev_t dev;
	const struct file_ops *ops;
} chrdevs[CHRDEV_MAX]; /* Lock: chrdev_lock */
static int nr_chrdevs;  /* Lock: chrdev_lock */

int chrdev_register(dev_t dev, const struct file_ops *ops)
{
	guard(spinlock)(&chrdev_lock);
	for (int i = 0; i < nr_chrdevs; i++)
		if (chrdevs[i].dev == dev)
			return -EBUSY;
	if (nr_chrdevs == CHRDEV_MAX)
		return -ENOMEM;
	chrdevs[nr_chrdevs].dev = dev;
	chrdevs[nr_chrdevs].ops = ops;
	nr_chrdevs++;
	return 0;
}

int chrdev_open(struct inode *ino, struct file *f)
{
	const struct file_ops *ops = NULL;

	scoped_guard(spinlock, &chrdev_lock) {
		for (int i = 0; i < nr_chrdevs; i++)
			if (chrdevs[i].dev == ino->rdev)
				ops = chrdevs[i].ops;
	}
	if (!ops)
		return -ENXIO;
	f->ops = ops;
	return ops->open ? ops->open(ino, f) : 0;
}

const struct file_ops chrdev_fops = {
	.open = chrdev_open,
};

/* ---- memory devices (major 1, as on Linux) ---- */

static ssize_t null_read(struct file *f, const struct iobuf *b, off_t *pos)
{
	return 0;
}

static ssize_t null_write(struct file *f, const struct iobuf *b, off_t *pos)
{
	return (ssize_t)b->len;
}

static ssize_t zero_read(struct file *f, const struct iobuf *b, off_t *pos)
{
	int err = iobuf_zero(b, 0, b->len);
	return err ? err : (ssize_t)b->len;
}

static ssize_t full_write(struct file *f, const struct iobuf *b, off_t *pos)
{
	return -ENOSPC;
}

static off_t mem_lseek(struct file *f, off_t off, int whence)
{
	return 0;
}

static unsigned mem_poll(struct file *f, struct poll_table *pt)
{
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

/* xorshift64* seeded from the clock: not cryptographic, but never blocks. */
static uint64_t rng_state; /* Lock: rng_lock */
static struct spinlock rng_lock = SPINLOCK_INIT("rng");

static uint64_t rng_next(void)
{
	guard(spinlock)(&rng_lock);
	if (!rng_state)
		rng_state = (hal_time_ns() ^ hal_boot_realtime_ns() ^ 0x9e3779b97f4a7c15ull) | 1;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static ssize_t random_read(struct file *f, const struct iobuf *b, off_t *pos)
{
	char chunk[64];
	size_t done = 0;

	while (done < b->len) {
		size_t n = MIN(sizeof(chunk), b->len - done);
		for (size_t i = 0; i < n; i += 8) {
			uint64_t r = rng_next();
			memcpy(chunk + i, &r, MIN(8, n - i));
		}
		if (iobuf_copy_to(b, done, chunk, n))
			return done ? (ssize_t)done : -EFAULT;
		done += n;
	}
	return (ssize_t)done;
}

static ssize_t random_write(struct file *f, const struct iobuf *b, off_t *pos)
{
	uint64_t mix = 0;
	if (b->len >= 8 && !iobuf_copy_from(&mix, b, 0, 8)) {
		guard(spinlock)(&rng_lock);
		rng_state ^= mix | 1;
	}
	return (ssize_t)b->len;
}

static const struct file_ops null_fops = {
	.read = null_read, .write = null_write, .lseek = mem_lseek, .poll = mem_poll,
};
static const struct file_ops zero_fops = {
	.read = zero_read, .write = null_write, .lseek = mem_lseek, .poll = mem_poll,
};
static const struct file_ops full_fops = {
	.read = zero_read, .write = full_write, .lseek = mem_lseek, .poll = mem_poll,
};
static const struct file_ops random_fops = {
	.read = random_read, .write = random_write, .lseek = mem_lseek, .poll = mem_poll,
};

void devices_register(void)
{
	chrdev_register(MKDEV(1, 3), &null_fops);
	chrdev_register(MKDEV(1, 5), &zero_fops);
	chrdev_register(MKDEV(1, 7), &full_fops);
	chrdev_register(MKDEV(1, 8), &random_fops);
	chrdev_register(MKDEV(1, 9), &random_fops);
}
