/*
 * The block cache: fixed-size blocks of a block device, kept in memory
 * for the file systems' metadata (src/fs/buffer.c). A file system asks
 * for a block with bread() and gives it back with brelse(); it never sees
 * a bio. Shaped so a later page cache can sit beside it (file data) and a
 * write-back path can add a dirty state without changing the callers.
 *
 * Ownership: a buffer is owned by the cache; bread() returns it with one
 * user count ("a borrowed buffer"), brelse() gives that back. A buffer
 * with no users may be evicted at any time (least recently used first)
 * once the cache holds more than its budget. Each buffer holds a
 * reference on its block device.
 *
 * The data is read-only for callers today (nothing writes back yet).
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/list.h>
#include <ferrite/mutex.h>

struct block_device;

struct buffer {
	struct block_device *bd; /* reference */
	uint64_t block;          /* in units of size */
	unsigned size;           /* 512..4096, a power of two */
	void *data;              /* size bytes, direct-map memory (DMA) */
	/* Lock: bcache lock */
	unsigned users;
	struct list_head hash_node;
	struct list_head lru_node; /* on the LRU list iff users == 0 */
	/* Lock: io_lock (held while the block is read) */
	struct mutex io_lock;
	bool uptodate;             /* data holds the block (release-published) */
};

/*
 * Return: the buffer holding block (of size bytes) of bd, read from the
 * device if needed, with one user count; or ERR_PTR(-EIO) (device error,
 * or the block is past the end of the device), -EINVAL (bad size) or
 * -ENOMEM. May sleep.
 */
struct buffer *bread(struct block_device *bd, uint64_t block, unsigned size);
/* Give back a user count taken by bread(). NULL and ERR_PTR are ignored. */
void brelse(struct buffer *b);
DEFINE_FREE(brelse, struct buffer *, brelse(_T))
/* Drop every unused buffer of bd (umount). Return how many are still in
 * use (0 when the caller held none). */
size_t bcache_drop_device(struct block_device *bd);
/* Counters for tests and /proc: buffers and bytes cached. */
size_t bcache_nr_buffers(void);
size_t bcache_bytes(void);
/* Budget in bytes of unused buffers kept (tests make it small). */
void bcache_set_budget(size_t bytes);
