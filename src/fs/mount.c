/*
 * Mount points: a tiny table mapping a directory inode of one file system
 * to the root of another (procfs on /proc). Path resolution calls
 * vfs_mount_cross() after each lookup step. Entries are only ever added
 * (at boot), so readers see a stable prefix: the count is published with
 * a release store after the entry is written.
 * Lock: mount_lock serialises writers; readers take no lock.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>

#define MOUNT_MAX 8

struct mount {
	struct inode *mountpoint; /* reference: the covered directory */
	struct super_block *sb;   /* its root is what lookups see */
};

static struct mount mounts[MOUNT_MAX]; /* Lock: mount_lock (writers) */
static int nr_mounts;                  /* release-published */
static struct spinlock mount_lock = SPINLOCK_INIT("mount");

int vfs_mount_at(const char *path, struct super_block *sb)
{
	struct inode *dir = vfs_lookup_from(vfs_root, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);

	if (IS_ERR(dir))
		return (int)PTR_ERR(dir);
	guard(spinlock)(&mount_lock);
	if (nr_mounts == MOUNT_MAX) {
		inode_put(dir);
		return -EBUSY;
	}
	mounts[nr_mounts].mountpoint = dir;
	mounts[nr_mounts].sb = sb;
	__atomic_store_n(&nr_mounts, nr_mounts + 1, __ATOMIC_RELEASE);
	return 0;
}

struct inode *vfs_mount_cross(struct inode *ino)
{
	int n = __atomic_load_n(&nr_mounts, __ATOMIC_ACQUIRE);

	for (int i = 0; i < n; i++) {
		if (mounts[i].mountpoint == ino) {
			struct inode *root = mounts[i].sb->root;
			inode_get(root);
			inode_put(ino);
			return root;
		}
	}
	return ino;
}
