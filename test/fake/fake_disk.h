/*
 * A fake block device over a disk image in host memory, for the ext4 and
 * FAT host tests: reads and writes are memcpy, counted; writes can be made
 * to fail (EIO) and the device read-only (BLKDEV_RDONLY). The jbd2 test has
 * its own, with a volatile write cache it can cut.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <ferrite/block.h>

struct fake_disk {
	struct block_device bd;
	unsigned char *data;
	size_t len;
	unsigned reads, writes, flushes;
	bool fail_writes;
};

/* A device named vdtest (254:0) over len bytes at data (not copied). */
void fake_disk_init(struct fake_disk *d, unsigned char *data, size_t len);
