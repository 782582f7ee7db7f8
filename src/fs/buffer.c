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
 * The budget bounds the unused buffers only: buffers in use are bounded
 * by their users (a file system holds a few at a time).
 */
#include <ferrite/buffer.h>
#include <ferrite/block.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/spinlock.h>
#include <ferrite/printk.h>

#define BCACHE_HASH 256
#define BCACHE_DEFAULT_BUDGET (4u << 20)

static struct spinlock bcache_lock = SPINLOCK_INIT("bcache");
static struct list_head hash[BCACHE_HASH];  /* Lock: bcache_lock */
static struct list_head lru = { &lru, &lru }; /* oldest first; Lock: bcache_lock */
static bool hash_ready;                      /* Lock: bcache_lock */
static size_t nr_buffers, bytes_cached, bytes_unused; /* Lock: bcache_lock */
static size_t budget = BCACHE_DEFAULT_BUDGET;         /* Lock: bcache_lock */

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
			if (b->users++ == 0) {
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
	if (--b->users == 0) {
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
