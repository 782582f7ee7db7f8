/*
 * Helpers shared by the disk file systems' mount code (ext4, FAT): the
 * "cannot mount" and "corrupt" messages, filling the VFS super block,
 * the busy check of an inode cache, and giving the device back.
 * Implemented in src/fs/disk_fs.c; no lock of their own.
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/printk.h>
#include <stdarg.h>

struct block_device;

/* Refuse a mount of a `type` file system on device `name`: say why, once,
 * on the console; the value is err. */
#define DISK_FS_REFUSE(err, type, name, fmt, ...)                                      \
	({                                                                            \
		pr_err("%s %s: cannot mount: " fmt "\n", type, name, ##__VA_ARGS__); \
		(err);                                                                \
	})

/* A corruption met on a mounted file system: the first one (counted in
 * *errors, atomically) is reported, later ones only counted.
 * Return: -EUCLEAN. */
int disk_fs_corrupt(const char *type, const char *name, unsigned *errors, const char *fmt,
		    va_list ap);

/* Fill a new super block of a disk file system on bd (root left to the
 * caller). */
void disk_fs_super_init(struct super_block *sb, const struct block_device *bd, unsigned long magic,
			const struct super_ops *ops, void *private, unsigned long flags);

/* The super_ops busy() of a file system whose inode cache holds the root
 * and cached_inodes inodes in all (the root included). */
bool disk_fs_busy(const struct super_block *sb, size_t cached_inodes, unsigned root_refs,
		  unsigned other_inodes);

/* Drop bd's cached blocks and the mount's reference to it (NULL: nothing). */
void disk_fs_put_device(struct block_device *bd);
