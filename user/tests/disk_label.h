/*
 * Finding a test's disk by its label among /dev/vda../dev/vdh, whatever
 * order the runner attached the disks in (scripts/run-tests.sh gives each
 * guest run several). Returns a static path, or NULL when none matches.
 */
#pragma once
#include "common.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first /dev/vdX whose bytes at off match the predicate. */
static const char *disk_find(off_t off, size_t len,
			     int (*match)(const unsigned char *b, const char *label),
			     const char *label)
{
	static char dev[16];
	unsigned char b[1024];

	for (char c = 'a'; c <= 'h'; c++) {
		snprintf(dev, sizeof(dev), "/dev/vd%c", c);
		int fd = open(dev, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t n = pread(fd, b, len, off);
		close(fd);
		if (n == (ssize_t)len && match(b, label))
			return dev;
	}
	return NULL;
}

/* ext4: the superblock (at 1024) has the magic and s_volume_name. */
static inline int disk_ext4_label_is(const unsigned char *sb, const char *label)
{
	return sb[0x38] == 0x53 && sb[0x39] == 0xef && !memcmp(sb + 0x78, label, strlen(label) + 1);
}

/* FAT32: the boot sector's signature, label at 71 and "FAT32   " at 82. */
static inline int disk_fat32_label_is(const unsigned char *bs, const char *label)
{
	return bs[510] == 0x55 && bs[511] == 0xAA && !memcmp(bs + 82, "FAT32   ", 8) &&
	       !memcmp(bs + 71, label, 11);
}

static inline const char *disk_find_ext4(const char *label)
{
	return disk_find(1024, 1024, disk_ext4_label_is, label);
}

static inline const char *disk_find_fat32(const char *label)
{
	return disk_find(0, 512, disk_fat32_label_is, label);
}

/* Where a file-system test works: dev (found by label) mounted as fstype
 * at mnt inside Ferrite, or a fresh directory from the mkdtemp template
 * tmpl when there is no such disk (on Linux). */
static inline const char *disk_test_dir(const char *dev, const char *fstype, const char *mnt,
					char *tmpl)
{
	if (dev) {
		mkdir(mnt, 0755);
		CHECK(mount(dev, mnt, fstype, 0, NULL) == 0, "mount %s on %s", dev, mnt);
		return mnt;
	}
	CHECK(mkdtemp(tmpl), "mkdtemp");
	return tmpl;
}
