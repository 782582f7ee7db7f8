/*
 * The block cache (see include/ferrite/buffer.h): a hash table keyed by
 * (device, block size, block) and one LRU list of the buffers nobody uses.
 *
 * Locking: bcache_lock (spinlock) guards the hash table, the LRU list, the
 * counters and every buffer's users count. A buffer's io_lock (a sleeping
 * mutex) is taken by the first bread() that finds it not up to date and
 * held across the device read; others wanting the same block sleep on it,
 * then see uptodate. A buffer with users > 0 is never freed; eviction
 * takes only buffers with users == 0 (they are on the LRU list), and does
 * so under bcache_lock, so a lookup either finds a buffer and counts
 * itself in, or does not find it. Memory is freed after the lock.
 * The budget bounds the unused clean buffers only: buffers in use are
 * bounded by their users (a file system holds a few at a time), dirty ones
 * by write-back.
 *
 * Write-back: a dirty buffer is on the dirty list (bcache_lock), never on
 * the LRU list: a buffer is on the LRU list iff users == 0 && !dirty. A
 * writer takes a user count, then, holding io_lock (so one write of a
 * block is in flight at a time), clears dirty under bcache_lock and writes
 * the data; a change made meanwhile marks it dirty again, so it is
 * written again later. A failed write marks it dirty again. Buffers the
 * journal pinned (jbd_pinned) are skipped by bulk write-back.
 */
#include <ferrite/buffer.h>
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/spinlock.h>
#include <ferrite/printk.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>

#define BCACHE_HASH 256
#define BCACHE_DEFAULT_BUDGET (4u << 20)

static struct spinlock bcache_lock = SPINLOCK_INIT("bcache");
static struct list_head hash[BCACHE_HASH];  /* Lock: bcache_lock */
static struct list_head lru = { &lru, &lru }; /* oldest first; Lock: bcache_lock */
static bool hash_ready;                      /* Lock: bcache_lock */
static size_t nr_buffers, bytes_cached, bytes_unused; /* Lock: bcache_lock */
static size_t budget = BCACHE_DEFAULT_BUDGET;         /* Lock: bcache_lock */
static struct list_head dirty_list = { &dirty_list, &dirty_list }; /* Lock: bcache_lock */
static size_t nr_dirty;                                /* Lock: bcache_lock */

static struct list_head *bucket(struct block_device *bd, uint64_t block, unsigned size)
{
	uint64_t h = (uint64_t)(uintptr_t)bd ^ (block * 0x9e3779b97f4a7c15ull) ^ size;

	h ^= h >> 29;
	return &hash[h % BCACHE_HASH];
}

static void buffer_free(struct buffer *b)
{
	blkdev_put(b->bd);
	kfree(b->data);
	kfree(b);
}

/* Unlink the unused buffer b; caller holds bcache_lock and frees it after. */
static void evict_locked(struct buffer *b)
{
	list_del(&b->lru_node);
	list_del(&b->hash_node);
	nr_buffers--;
	bytes_cached -= b->size;
	bytes_unused -= b->size;
}

/* Move unused buffers over the budget onto *out (freed by the caller). */
static void trim_locked(struct list_head *out)
{
	while (bytes_unused > budget && !list_empty(&lru)) {
		struct buffer *b = list_first_entry(&lru, struct buffer, lru_node);
		evict_locked(b);
		list_add_tail(&b->lru_node, out);
	}
}

static void free_list(struct list_head *l)
{
	while (!list_empty(l)) {
		struct buffer *b = list_first_entry(l, struct buffer, lru_node);
		list_del(&b->lru_node);
		buffer_free(b);
	}
}

static struct buffer *find_locked(struct block_device *bd, uint64_t block, unsigned size)
{
	struct buffer *b;

	list_for_each_entry(b, bucket(bd, block, size), hash_node) {
		if (b->bd == bd && b->block == block && b->size == size) {
			if (b->users++ == 0 && !b->dirty) {
				list_del(&b->lru_node);
				bytes_unused -= b->size;
			}
			return b;
		}
	}
	return NULL;
}

/* Return: the cached or a new buffer with one user, or NULL (no memory). */
static struct buffer *getblk(struct block_device *bd, uint64_t block, unsigned size)
{
	struct buffer *b, *nb;

	spin_lock(&bcache_lock);
	if (!hash_ready) {
		for (int i = 0; i < BCACHE_HASH; i++)
			list_init(&hash[i]);
		hash_ready = true;
	}
	b = find_locked(bd, block, size);
	spin_unlock(&bcache_lock);
	if (b)
		return b;

	nb = kzalloc(sizeof(*nb));
	if (!nb)
		return NULL;
	nb->data = kmalloc(size);
	if (!nb->data) {
		kfree(nb);
		return NULL;
	}
	nb->bd = bd;
	nb->block = block;
	nb->size = size;
	nb->users = 1;
	mutex_init(&nb->io_lock);
	list_init(&nb->lru_node);
	list_init(&nb->dirty_node);

	spin_lock(&bcache_lock);
	b = find_locked(bd, block, size); /* someone else may have made it */
	if (!b) {
		blkdev_get(bd);
		list_add(&nb->hash_node, bucket(bd, block, size));
		nr_buffers++;
		bytes_cached += size;
		b = take_ptr(nb);
	}
	spin_unlock(&bcache_lock);
	if (nb) {
		kfree(nb->data);
		kfree(nb);
	}
	return b;
}

struct buffer *bread(struct block_device *bd, uint64_t block, unsigned size)
{
	struct buffer *b;
	int err = 0;

	if (size < SECTOR_SIZE || size > 4096 || (size & (size - 1)))
		return ERR_PTR(-EINVAL);
	if (block > bd->nr_sectors / (size / SECTOR_SIZE) ||
	    (block + 1) * (size / SECTOR_SIZE) > bd->nr_sectors)
		return ERR_PTR(-EIO);
	b = getblk(bd, block, size);
	if (!b)
		return ERR_PTR(-ENOMEM);
	if (__atomic_load_n(&b->uptodate, __ATOMIC_ACQUIRE))
		return b;
	mutex_lock(&b->io_lock);
	if (!b->uptodate) {
		err = blkdev_read(bd, block * (size / SECTOR_SIZE), b->data, size / SECTOR_SIZE);
		if (!err)
			__atomic_store_n(&b->uptodate, true, __ATOMIC_RELEASE);
	}
	mutex_unlock(&b->io_lock);
	if (err) {
		brelse(b); /* not up to date: the next bread tries again */
		return ERR_PTR(err == -EINVAL ? -EIO : err);
	}
	return b;
}

void brelse(struct buffer *b)
{
	struct list_head dead;

	if (IS_ERR_OR_NULL(b))
		return;
	list_init(&dead);
	spin_lock(&bcache_lock);
	BUG_ON(b->users == 0);
	if (--b->users == 0 && !b->dirty) {
		list_add_tail(&b->lru_node, &lru);
		bytes_unused += b->size;
		trim_locked(&dead);
	}
	spin_unlock(&bcache_lock);
	free_list(&dead);
}

size_t bcache_drop_device(struct block_device *bd)
{
	struct list_head dead;
	size_t busy = 0;

	list_init(&dead);
	spin_lock(&bcache_lock);
	for (int i = 0; hash_ready && i < BCACHE_HASH; i++) {
		struct buffer *b, *tmp;
		list_for_each_entry_safe(b, tmp, &hash[i], hash_node) {
			if (b->bd != bd)
				continue;
			if (b->users) {
				busy++;
				continue;
			}
			if (b->dirty) {
				pr_warn("bcache %s: block %llu dropped before it was written\n",
					bd->name, (unsigned long long)b->block);
				list_del(&b->dirty_node);
				nr_dirty--;
				b->dirty = false;
				list_add_tail(&b->lru_node, &lru); /* evict_locked unlinks it */
				bytes_unused += b->size;
			}
			evict_locked(b);
			list_add_tail(&b->lru_node, &dead);
		}
	}
	spin_unlock(&bcache_lock);
	free_list(&dead);
	return busy;
}

size_t bcache_nr_buffers(void)
{
	guard(spinlock)(&bcache_lock);
	return nr_buffers;
}

size_t bcache_bytes(void)
{
	guard(spinlock)(&bcache_lock);
	return bytes_cached;
}

void bcache_set_budget(size_t bytes)
{
	struct list_head dead;

	list_init(&dead);
	spin_lock(&bcache_lock);
	budget = bytes;
	trim_locked(&dead);
	spin_unlock(&bcache_lock);
	free_list(&dead);
}

void mark_buffer_dirty(struct buffer *b)
{
	guard(spinlock)(&bcache_lock);
	BUG_ON(b->users == 0); /* the caller holds the buffer */
	if (!b->dirty) {
		b->dirty = true;
		list_add_tail(&b->dirty_node, &dirty_list);
		nr_dirty++;
	}
}

void buffer_set_jbd_pinned(struct buffer *b, bool pinned)
{
	guard(spinlock)(&bcache_lock);
	b->jbd_pinned = pinned;
}

size_t bcache_nr_dirty(void)
{
	guard(spinlock)(&bcache_lock);
	return nr_dirty;
}

/* Write b (the caller holds a user count) if it is dirty and, unless
 * force, not pinned by the journal. Return 0 or -EIO. */
static int write_one(struct buffer *b, bool force)
{
	int err;

	mutex_lock(&b->io_lock);
	spin_lock(&bcache_lock);
	if (!b->dirty || (b->jbd_pinned && !force)) {
		spin_unlock(&bcache_lock);
		mutex_unlock(&b->io_lock);
		return 0;
	}
	b->dirty = false;
	list_del(&b->dirty_node);
	list_init(&b->dirty_node);
	nr_dirty--;
	spin_unlock(&bcache_lock);
	err = blkdev_write(b->bd, b->block * (b->size / SECTOR_SIZE), b->data, b->size / SECTOR_SIZE);
	if (err) {
		spin_lock(&bcache_lock);
		if (!b->dirty) {
			b->dirty = true;
			list_add_tail(&b->dirty_node, &dirty_list);
			nr_dirty++;
		}
		spin_unlock(&bcache_lock);
		pr_err("bcache %s: writing block %llu failed (%d)\n", b->bd->name,
		       (unsigned long long)b->block, err);
		err = -EIO;
	}
	mutex_unlock(&b->io_lock);
	return err;
}

int sync_buffer(struct buffer *b)
{
	return write_one(b, true);
}

#define SYNC_BATCH 32

/* Write the dirty unpinned buffers of bd (NULL: of every device), a batch
 * at a time: each is held by a user count while it is written. */
static int write_dirty(struct block_device *bd)
{
	struct buffer *batch[SYNC_BATCH];
	unsigned long long pass_limit;
	int err = 0;

	spin_lock(&bcache_lock);
	pass_limit = nr_dirty + SYNC_BATCH; /* buffers dirtied meanwhile wait for the next pass */
	spin_unlock(&bcache_lock);
	while (pass_limit) {
		size_t n = 0;
		struct buffer *b;

		spin_lock(&bcache_lock);
		list_for_each_entry(b, &dirty_list, dirty_node) {
			if ((bd && b->bd != bd) || b->jbd_pinned)
				continue;
			if (b->users++ == 0 && !b->dirty) /* cannot happen: dirty */
				BUG_ON(1);
			batch[n++] = b;
			if (n == SYNC_BATCH)
				break;
		}
		spin_unlock(&bcache_lock);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			int e = write_one(batch[i], false);
			if (e && !err)
				err = e;
			brelse(batch[i]);
		}
		if (err)
			break; /* a failing device: report, do not spin on it */
		pass_limit = pass_limit > n ? pass_limit - n : 0;
	}
	return err;
}

int bcache_sync_device(struct block_device *bd)
{
	int err = write_dirty(bd);
	int ferr = blkdev_flush(bd);

	return err ? err : (ferr ? -EIO : 0);
}

int bcache_sync_all(void)
{
	return write_dirty(NULL);
}

static void writeback_thread(void *arg)
{
	(void)arg;
	for (;;) {
		sched_sleep_ns((uint64_t)BCACHE_WRITEBACK_MS * 1000000ull);
		bcache_sync_all();
	}
}

void bcache_writeback_start(void)
{
	static bool started; /* Lock: bcache_lock */

	spin_lock(&bcache_lock);
	bool first = !started;
	started = true;
	spin_unlock(&bcache_lock);
	if (first) {
		struct task *t = kthread_create("bcache-writeback", writeback_thread, NULL);
		if (IS_ERR(t))
			pr_warn("bcache: no write-back thread (%ld): only sync writes back\n", PTR_ERR(t));
	}
}
