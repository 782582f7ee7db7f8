/*
 * Per-process fs context: the current directory, the root directory
 * (chroot) and the umask, shared by CLONE_FS. Lock: fs->lock guards cwd,
 * root and umask; the old cwd or root is put after the lock is dropped.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include <ferrite/cpu.h>
#include "fs_internal.h"

struct fs_context *current_fs(void)
{
	struct task *t = current;
	return t && t->proc ? t->proc->fs : NULL;
}

/* A new context with no directories and umask 022. Return: new reference. */
static struct fs_context *fs_context_alloc(void)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	ref_init(&fs->ref);
	spin_init(&fs->lock, "fs_context");
	fs->umask = 022;
	return fs;
}

/* Store a new reference to dir (may be NULL) in *slot. */
static void slot_init(struct inode **slot, struct inode *dir)
{
	*slot = dir;
	if (dir)
		inode_get(dir);
}

struct fs_context *fs_context_create(void)
{
	struct fs_context *fs = fs_context_alloc();

	if (fs)
		slot_init(&fs->cwd, vfs_root);
	return fs;
}

struct fs_context *fs_context_clone(struct fs_context *src)
{
	struct fs_context *fs = fs_context_alloc();

	if (!fs)
		return NULL;
	guard(spinlock)(&src->lock);
	fs->umask = src->umask;
	slot_init(&fs->cwd, src->cwd);
	slot_init(&fs->root, src->root);
	return fs;
}

void fs_context_get(struct fs_context *fs)
{
	ref_get(&fs->ref);
}

static void fs_context_release(struct ref *r)
{
	struct fs_context *fs = container_of(r, struct fs_context, ref);

	if (fs->cwd)
		inode_put(fs->cwd);
	if (fs->root)
		inode_put(fs->root);
	kfree(fs);
}

void fs_context_put(struct fs_context *fs)
{
	ref_put(&fs->ref, fs_context_release);
}

/* Return: new reference to *slot (fs->cwd or fs->root) of fs (may be
 * NULL), or to vfs_root when either is NULL. Fast path, no lock: an empty
 * slot (a process that never called chroot). A racing chroot or chdir of
 * a CLONE_FS sibling is ordered either way, as on Linux. */
static struct inode *slot_get(struct fs_context *fs, struct inode *const *slot)
{
	if (fs && READ_ONCE(*slot)) {
		guard(spinlock)(&fs->lock);
		struct inode *dir = *slot;
		if (dir) {
			inode_get(dir);
			return dir;
		}
	}
	inode_get(vfs_root);
	return vfs_root;
}

struct inode *fs_cwd_get(void)
{
	struct fs_context *fs = current_fs();

	return slot_get(fs, fs ? &fs->cwd : NULL);
}

struct inode *fs_root_get(void)
{
	struct fs_context *fs = current_fs();

	return slot_get(fs, fs ? &fs->root : NULL);
}

/* Put dir (reference consumed) in *slot (fs->cwd or fs->root) of the
 * current process; the old one is put after the lock is dropped. */
static int slot_set(struct fs_context *fs, struct inode **slot, struct inode *dir)
{
	struct inode *old;

	if (!fs) {
		inode_put(dir);
		return -ESRCH;
	}
	spin_lock(&fs->lock);
	old = *slot;
	WRITE_ONCE(*slot, dir); /* fs_root_get() reads it without the lock */
	spin_unlock(&fs->lock);
	if (old)
		inode_put(old);
	return 0;
}

/* Make dir (reference consumed) the root of the current process. */
int fs_set_root(struct inode *dir)
{
	struct fs_context *fs = current_fs();

	return slot_set(fs, fs ? &fs->root : NULL, dir);
}

/* Make dir (reference consumed) the cwd of the current process. */
int fs_set_cwd(struct inode *dir)
{
	struct fs_context *fs = current_fs();

	return slot_set(fs, fs ? &fs->cwd : NULL, dir);
}

mode_t fs_umask(void)
{
	struct fs_context *fs = current_fs();

	if (!fs)
		return 0; /* kernel-internal creation uses exact modes */
	return READ_ONCE(fs->umask);
}

mode_t fs_set_umask(mode_t mask)
{
	struct fs_context *fs = current_fs();
	mode_t old;

	if (!fs)
		return 0; /* kernel-internal creation uses exact modes */
	guard(spinlock)(&fs->lock);
	old = fs->umask;
	fs->umask = mask & 0777;
	return old;
}
