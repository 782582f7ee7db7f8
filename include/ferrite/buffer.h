/*
 * The block cache: fixed-size blocks of a block device, kept in memory
 * for the file systems' metadata (src/fs/buffer.c). A file system asks
 * for a block with bread() and gives it back with brelse(); it never sees
 * a bio. Shaped so a later page cache can sit beside it (file data) and a
 * write-back path can add a dirty state without changing the callers.
 *
 * Ownership: a buffer is owned by the cache; bread() returns it with one
 * user count ("a borrowed buffer"), brelse() gives that back. A clean
 * buffer with no users may be evicted at any time (least recently used
 * first) once the cache holds more than its budget. Each buffer holds a
 * reference on its block device.
 *
 * Writing: a caller that changed b->data (holding a user count) calls
 * mark_buffer_dirty(b). A dirty buffer is never evicted before it has
 * been written: the write-back thread (every BCACHE_WRITEBACK_MS), and
 * sync_buffer() / bcache_sync_device() write it. A write that fails
 * leaves the buffer dirty and is reported (-EIO) to the next
 * bcache_sync_device() of that device.
 *
 * The journal (src/fs/jbd2, wt-jbd2): b->jbd_pinned set means "the
 * journal owns this buffer's next write": the write-back thread and
 * bcache_sync_device() skip it (it stays dirty, cached and unevictable)
 * until the journal clears the flag with buffer_set_jbd_pinned(b, false)
 * (after its commit block is durable); sync_buffer() still writes it when
 * the journal itself asks. Set and clear it only through
 * buffer_set_jbd_pinned() (it takes the cache lock).
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
	/* Lock: bcache lock */
	bool dirty;                /* data differs from the disk; on the dirty list */
	bool jbd_pinned;           /* the journal owns the write (see above) */
	struct list_head dirty_node;
};

#define BCACHE_WRITEBACK_MS 5000

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
/* Drop every unused buffer of bd (umount, after bcache_sync_device; a
 * dirty buffer still there is dropped with a console warning). Return how
 * many are still in use (0 when the caller held none). */
size_t bcache_drop_device(struct block_device *bd);
/* Counters for tests and /proc: buffers and bytes cached. */
size_t bcache_nr_buffers(void);
size_t bcache_bytes(void);
/* Budget in bytes of unused buffers kept (tests make it small). */
void bcache_set_budget(size_t bytes);

/* b (a borrowed buffer) was changed: write it back later. */
void mark_buffer_dirty(struct buffer *b);
/* Write b now if it is dirty (also when jbd_pinned) and wait.
 * Return 0 or -EIO. May sleep. */
int sync_buffer(struct buffer *b);
/* Write every dirty buffer of bd that the journal does not own, then
 * FLUSH the device. Return 0, or -EIO when a write (this one or a
 * background one since the last call) failed. May sleep. */
int bcache_sync_device(struct block_device *bd);
/* Write every dirty unpinned buffer of every device (the write-back
 * thread's pass, and sync(2)). Return 0 or the first error. */
int bcache_sync_all(void);
/* The journal takes (pinned true) or gives back a buffer's write. */
void buffer_set_jbd_pinned(struct buffer *b, bool pinned);
/* Dirty buffers in the cache (tests, /proc). */
size_t bcache_nr_dirty(void);
/* Start the write-back kernel thread once (the first read-write mount). */
void bcache_writeback_start(void);
