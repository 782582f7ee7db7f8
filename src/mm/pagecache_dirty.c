/*
 * Write-back of page cache pages changed through MAP_SHARED mappings.
 *
 * A clean cache page is mapped read-only in shared mappings (pte_prot_for),
 * so the first write to it faults: vm_object_cache_dirty() (pagecache.c)
 * sets frame->dirty and puts the object on the dirty list, whose entry
 * holds a reference to the inode, so munmap, close and exit lose nothing.
 * Reclaim keeps dirty pages.
 *
 * pagecache_writeback_range() takes the dirty pages of a range, clearing
 * their bits under obj->lock; makes every shared mapping of the object
 * read-only again, so a write from then on faults and dirties the page
 * anew (it is written next time); then hands each page to the file
 * system's iops->writeback, which allocates blocks for holes and writes
 * the data before the metadata that points at it, as write(2) does, and
 * writes nothing past i_size. The first error of an object is kept in
 * obj->wb_err until fsync or msync reports it (as Linux's errseq).
 *
 * Who writes back: msync(MS_SYNC), fsync, fdatasync, sync_file_range,
 * sync, syncfs and umount, each waiting for the write; the flusher thread
 * every FLUSH_PERIOD_NS for objects dirty longer than DIRTY_EXPIRE_NS
 * (MS_ASYNC wakes it at once); and a task whose write fault finds more
 * than DIRTY_RATIO percent of RAM dirty writes back the oldest object
 * itself before it returns to user mode.
 *
 * Locking: obj->wb_lock (a mutex: one write-back of an object at a time,
 * so MS_SYNC waits for one under way) > the file system's locks >
 * mm->lock > obj->lock > pagecache_dirty_lock. The caller of a write-back
 * holds a reference to the inode, so the list's reference is never the
 * last one dropped here.
 */
#include "mm_internal.h"
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <ferrite/vfs.h>
#include <ferrite/waitqueue.h>
#include <hal/hal_timer.h>

#define NS_PER_SEC 1000000000ull
#define DIRTY_EXPIRE_NS (5 * NS_PER_SEC) /* Linux: 30 s */
#define FLUSH_PERIOD_NS (1 * NS_PER_SEC)
#define DIRTY_RATIO 10 /* percent of RAM a task may leave dirty */
#define WB_BATCH 32    /* pages taken per pass (one read-only walk) */
#define LEAF_SLOTS (PAGE_SIZE / sizeof(struct frame *))

static struct waitqueue flush_wait = WAITQUEUE_INIT(flush_wait);
static bool flush_all;       /* atomic: MS_ASYNC asked for everything */
static bool flusher_started; /* atomic */

/* Take up to WB_BATCH dirty pages of obj from *next below last, clean
 * them and hold a frame reference each. Return how many. */
static size_t take_dirty(struct vm_object *obj, size_t *next, size_t last, struct frame **f,
			 size_t *index)
{
	size_t n = 0;
	unsigned long flags = spin_lock_irqsave(&obj->lock);
	size_t i = *next, end = MIN(last, obj->npages);

	for (; i < end && n < WB_BATCH && obj->ndirty; i++) {
		struct frame **slot = vm_object_slot_locked(obj, i, false);
		if (!slot) { /* no leaf: skip to the next one */
			i = ALIGN_UP(i + 1, LEAF_SLOTS) - 1;
			continue;
		}
		if (*slot && (*slot)->dirty) {
			vm_object_clean_locked(obj, *slot);
			frame_get(*slot);
			f[n] = *slot;
			index[n++] = i;
		}
	}
	*next = obj->ndirty ? i : last;
	spin_unlock_irqrestore(&obj->lock, flags);
	return n;
}

/* After a write-back: a clean object leaves the dirty list (its inode
 * reference dropped); one dirtied again meanwhile goes to the tail. */
static void dirty_list_update(struct vm_object *obj)
{
	struct inode *put = NULL;
	unsigned long flags = spin_lock_irqsave(&obj->lock);

	spin_lock(&pagecache_dirty_lock);
	if (!list_empty(&obj->dirty_node)) {
		if (!obj->ndirty) {
			list_del(&obj->dirty_node);
			list_init(&obj->dirty_node);
			put = obj->inode;
		} else {
			list_move_tail(&obj->dirty_node, &pagecache_dirty_list);
			obj->dirty_since = hal_time_ns();
			obj->dirty_ticket = __atomic_add_fetch(&pagecache_dirty_clock, 1, __ATOMIC_RELAXED);
		}
	}
	spin_unlock(&pagecache_dirty_lock);
	spin_unlock_irqrestore(&obj->lock, flags);
	if (put)
		inode_put(put); /* not the last: the caller holds one */
}

int pagecache_writeback_range(struct inode *ino, size_t first, size_t last)
{
	struct vm_object *obj = __atomic_load_n(&ino->pages, __ATOMIC_ACQUIRE);
	struct frame *f[WB_BATCH];
	size_t index[WB_BATCH];
	int err = 0;

	if (!obj || !READ_ONCE(obj->ndirty))
		return 0;
	mutex_lock(&obj->wb_lock);
	for (size_t next = first; next < last;) {
		size_t n = take_dirty(obj, &next, last, f, index);
		if (!n)
			break;
		pagecache_wrprotect(obj);
		for (size_t i = 0; i < n; i++) {
			int e = ino->iops && ino->iops->writeback
					? ino->iops->writeback(ino, (uint64_t)index[i] << PAGE_SHIFT,
							       frame_to_virt(f[i]), PAGE_SIZE)
					: -EIO;
			if (e && !err)
				err = e;
			frame_put(f[i]);
		}
	}
	if (err) {
		unsigned long flags = spin_lock_irqsave(&obj->lock);
		if (!obj->wb_err)
			obj->wb_err = err;
		spin_unlock_irqrestore(&obj->lock, flags);
	}
	dirty_list_update(obj);
	mutex_unlock(&obj->wb_lock);
	return err;
}

int pagecache_writeback_error(struct inode *ino)
{
	struct vm_object *obj = __atomic_load_n(&ino->pages, __ATOMIC_ACQUIRE);

	if (!obj)
		return 0;
	unsigned long flags = spin_lock_irqsave(&obj->lock);
	int err = obj->wb_err;
	obj->wb_err = 0;
	spin_unlock_irqrestore(&obj->lock, flags);
	return err;
}

int pagecache_fsync(struct inode *ino)
{
	pagecache_writeback_range(ino, 0, SIZE_MAX);
	return pagecache_writeback_error(ino);
}

/* The inode (new reference) of the oldest object on the dirty list that
 * joined it before ticket and became dirty no later than expired, of sb
 * unless NULL; or NULL. */
static struct inode *oldest_dirty(const struct super_block *sb, uint64_t ticket, uint64_t expired)
{
	struct inode *ino = NULL;
	struct vm_object *obj;
	unsigned long flags = spin_lock_irqsave(&pagecache_dirty_lock);

	list_for_each_entry(obj, &pagecache_dirty_list, dirty_node) {
		if (obj->dirty_ticket < ticket && obj->dirty_since <= expired &&
		    (!sb || obj->inode->sb == sb)) {
			ino = obj->inode; /* alive: the list holds a reference */
			inode_get(ino);
			break;
		}
	}
	spin_unlock_irqrestore(&pagecache_dirty_lock, flags);
	return ino;
}

/* Write back up to max objects of sb (NULL: all) dirty since expired or
 * earlier. Objects dirtied again during the walk wait for the next one.
 * Return the first error. */
static int writeback_list(const struct super_block *sb, uint64_t expired, size_t max)
{
	uint64_t ticket = __atomic_add_fetch(&pagecache_dirty_clock, 1, __ATOMIC_RELAXED);
	int err = 0;

	for (size_t n = 0; n < max; n++) {
		struct inode *ino = oldest_dirty(sb, ticket, expired);
		if (!ino)
			break;
		int e = pagecache_writeback_range(ino, 0, SIZE_MAX);
		if (e && !err)
			err = e;
		inode_put(ino);
	}
	return err;
}

int pagecache_sync(const struct super_block *sb)
{
	return writeback_list(sb, UINT64_MAX, SIZE_MAX);
}

static void flusher_thread(void *arg)
{
	(void)arg;
	for (;;) {
		wait_event_timeout_interruptible(&flush_wait, READ_ONCE(flush_all),
						 hal_time_ns() + FLUSH_PERIOD_NS);
		bool all = __atomic_exchange_n(&flush_all, false, __ATOMIC_ACQ_REL);
		uint64_t now = hal_time_ns();
		writeback_list(NULL, all ? UINT64_MAX : now - MIN(now, DIRTY_EXPIRE_NS), SIZE_MAX);
	}
}

/* Started by the first write fault of a shared file page (no lock held). */
static void flusher_start(void)
{
	if (READ_ONCE(flusher_started) || __atomic_exchange_n(&flusher_started, true, __ATOMIC_ACQ_REL))
		return;
	struct task *t = kthread_create("pagecache-flush", flusher_thread, NULL);
	if (IS_ERR(t))
		pr_warn("pagecache: no flusher thread (%ld): mapped writes reach the disk at "
			"msync, fsync, sync and umount only\n",
			PTR_ERR(t));
}

void pagecache_kick_flusher(void)
{
	__atomic_store_n(&flush_all, true, __ATOMIC_RELEASE);
	wake_up_all(&flush_wait);
}

void pagecache_balance_dirty(void)
{
	if (!__atomic_load_n(&pagecache_dirty_count, __ATOMIC_RELAXED))
		return;
	flusher_start();
	if (__atomic_load_n(&pagecache_dirty_count, __ATOMIC_RELAXED) >
	    frames_total_count() * DIRTY_RATIO / 100)
		writeback_list(NULL, UINT64_MAX, 1);
}
