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

struct fs_context *fs_context_create(void)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	ref_init(&fs->ref);
	spin_init(&fs->lock, "fs_context");
	fs->umask = 022;
	fs->cwd = vfs_root;
	if (fs->cwd)
		inode_get(fs->cwd);
	return fs;
}

struct fs_context *fs_context_clone(struct fs_context *src)
{
	struct fs_context *fs = kzalloc(sizeof(*fs));

	if (!fs)
		return NULL;
	ref_init(&fs->ref);
	spin_init(&fs->lock, "fs_context");
	guard(spinlock)(&src->lock);
	fs->umask = src->umask;
	fs->cwd = src->cwd;
	if (fs->cwd)
		inode_get(fs->cwd);
	fs->root = src->root;
	if (fs->root)
		inode_get(fs->root);
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

struct inode *fs_cwd_get(void)
{
	struct fs_context *fs = current_fs();
	struct inode *cwd = NULL;

	if (fs) {
		guard(spinlock)(&fs->lock);
		cwd = fs->cwd;
		if (cwd)
			inode_get(cwd);
	}
	if (!cwd) {
		cwd = vfs_root;
		inode_get(cwd);
	}
	return cwd;
}

struct inode *fs_root_get(void)
{
	struct fs_context *fs = current_fs();
	struct inode *root = NULL;

	/* Fast path, no lock: a process that never called chroot. A racing
	 * chroot of a CLONE_FS sibling is ordered either way, as on Linux. */
	if (fs && READ_ONCE(fs->root)) {
		guard(spinlock)(&fs->lock);
		root = fs->root;
		if (root)
			inode_get(root);
	}
	if (!root) {
		root = vfs_root;
		inode_get(root);
	}
	return root;
}

/* Make dir (reference consumed) the root of the current process. */
int fs_set_root(struct inode *dir)
{
	struct fs_context *fs = current_fs();
	struct inode *old;

	if (!fs) {
		inode_put(dir);
		return -ESRCH;
	}
	spin_lock(&fs->lock);
	old = fs->root;
	WRITE_ONCE(fs->root, dir);
	spin_unlock(&fs->lock);
	if (old)
		inode_put(old);
	return 0;
}

/* Make dir (reference consumed) the cwd of the current process. */
int fs_set_cwd(struct inode *dir)
{
	struct fs_context *fs = current_fs();
	struct inode *old;

	if (!fs) {
		inode_put(dir);
		return -ESRCH;
	}
	spin_lock(&fs->lock);
	old = fs->cwd;
	fs->cwd = dir;
	spin_unlock(&fs->lock);
	if (old)
		inode_put(old);
	return 0;
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
