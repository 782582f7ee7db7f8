/*
 * Host side of the ext4 tests (test/ext4_host.c): builds a known tree in a
 * temporary folder, makes images of it with Debian's mkfs.ext4 -d, and
 * describes the tree with the host's own stat/readlink/pread. Uses only
 * the C library (kernel headers define struct stat differently), so the
 * interface is plain types.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define HOST_PATH_MAX 512

struct host_entry {
	char path[HOST_PATH_MAX];   /* relative to the tree, "" for the root */
	unsigned mode;
	uint64_t size;
	unsigned uid, gid, nlink;
	int64_t mtime;
	char target[HOST_PATH_MAX]; /* symlinks */
	unsigned nr_children;       /* directories: entries without . and .. */
};

/* Make the test tree under a new temporary folder; return its path
 * (static storage) or NULL. big: include the 2000-entry directory and
 * the 100 MiB sparse file. */
const char *host_tree_make(bool big);
/* Remove a folder made by host_tree_make. */
void host_tree_remove(const char *dir);
/* Describe every entry of the tree (malloc'd array, *count entries). */
struct host_entry *host_tree_walk(const char *dir, size_t *count);
/* Make an image file of dir: mkfs.ext4 -q -F -d dir <opts> img size_kib,
 * then, when index is set, e2fsck -fyD to build htree indexes.
 * Return 0, or -1 when mkfs is missing or fails. */
int host_mkfs(const char *dir, const char *img, const char *opts, unsigned size_kib, bool index);
/* Set the default htree hash (tune2fs -E hash_alg=) and re-index every
 * directory with it (e2fsck -fyD). 0 or -1. */
int host_set_hash(const char *img, const char *alg);
/* Read a whole image file into malloc'd memory. */
void *host_load(const char *img, size_t *len);
/* pread of the tree's file path (relative). Return bytes or -1. */
long host_pread(const char *dir, const char *path, void *buf, size_t len, uint64_t off);
/* Byte offset of inode path's raw inode in img (debugfs imap), or -1. */
long long host_inode_offset(const char *img, const char *path);
