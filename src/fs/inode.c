/*
 * Inode lifetime: allocation, references, timestamps. An inode is freed by
 * the last inode_put(); the file system's destroy hook frees its private
 * data first. The live count is atomic; no other shared state here.
 */
#include <ferrite/vfs.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include <hal/hal_timer.h>

static size_t inodes_live; /* atomic */

struct timespec64 vfs_now(void)
{
	uint64_t ns = hal_boot_realtime_ns() + hal_time_ns();
	return (struct timespec64){ (int64_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
}

void inode_touch(struct inode *ino)
{
	ino->mtime = ino->ctime = vfs_now();
}

struct inode *inode_alloc(struct super_block *sb, mode_t mode)
{
	struct inode *ino = kzalloc(sizeof(*ino));

	if (!ino)
		return NULL;
	ref_init(&ino->ref);
	spin_init(&ino->lock, "inode");
	ino->mode = mode;
	ino->nlink = 1;
	ino->sb = sb;
	ino->ino = sb ? __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_RELAXED) : 0;
	ino->atime = ino->mtime = ino->ctime = vfs_now();
	__atomic_add_fetch(&inodes_live, 1, __ATOMIC_RELAXED);
	return ino;
}

void inode_get(struct inode *ino)
{
	ref_get(&ino->ref);
}

static void inode_release(struct ref *r)
{
	struct inode *ino = container_of(r, struct inode, ref);

	pagecache_release(ino);
	if (ino->destroy)
		ino->destroy(ino);
	kfree(ino);
	__atomic_sub_fetch(&inodes_live, 1, __ATOMIC_RELAXED);
}

void inode_put(struct inode *ino)
{
	/* read before the put: our reference keeps the sb alive until then */
	bool detached = ino->sb && __atomic_load_n(&ino->sb->detached, __ATOMIC_ACQUIRE);

	ref_put(&ino->ref, inode_release);
	if (unlikely(detached))
		vfs_detached_kick(); /* its last user may have gone (mount.c) */
}

size_t inodes_count_live(void)
{
	return __atomic_load_n(&inodes_live, __ATOMIC_RELAXED);
}

void vfs_getattr(struct inode *ino, struct kstat *st)
{
	guard(spinlock)(&ino->lock);
	memset(st, 0, sizeof(*st));
	st->dev = ino->sb ? ino->sb->dev : 0;
	st->ino = ino->ino;
	st->mode = ino->mode;
	st->nlink = READ_ONCE(ino->nlink);
	st->uid = ino->uid;
	st->gid = ino->gid;
	st->rdev = ino->rdev;
	st->size = ino->size;
	st->blksize = PAGE_SIZE;
	if (ino->sb && ino->sb->ops && ino->sb->ops->inode_blocks)
		st->blocks = ino->sb->ops->inode_blocks(ino);
	else
		st->blocks = (long)(ALIGN_UP((uint64_t)ino->size, PAGE_SIZE) / 512);
	st->atime = ino->atime;
	st->mtime = ino->mtime;
	st->ctime = ino->ctime;
}
