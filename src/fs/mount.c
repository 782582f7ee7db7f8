/*
 * Mount points: a small table mapping a directory inode of one file
 * system to the root of another (procfs on /proc, disks from mount(2)).
 * Path resolution calls vfs_mount_cross() after each lookup step and
 * vfs_mount_covered() for ".." at a mounted root.
 *
 * Lock: mount_lock (spinlock) guards the table. Crossing takes the
 * mounted root's reference under it, so umount, which checks "not busy"
 * and removes the entry under the same lock, cannot race with a new
 * crossing into the file system it frees. The freeing happens after the
 * lock is dropped (nothing can reach the file system any more).
 * Order: mount_lock -> a file system's own spinlocks (its busy() check).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>

#define MOUNT_MAX 16

struct mount {
	struct inode *mountpoint; /* reference: the covered directory; NULL = free slot */
	struct super_block *sb;   /* the file system mounted */
	struct inode *root;       /* reference: what lookups see (sb->root, or a
				     directory of sb for the root-on-disk binds) */
	uint64_t seq;             /* later mounts on one directory cover earlier ones */
	struct mount_info info;   /* what /proc/mounts shows */
};

static struct mount mounts[MOUNT_MAX]; /* Lock: mount_lock */
static uint64_t mount_seq;             /* Lock: mount_lock */
static struct spinlock mount_lock = SPINLOCK_INIT("mount");
static struct mount_info root_info;    /* the disk root, when root= mounted one */
static dev_t root_dev;                 /* its device (0: the initramfs is the root) */
static struct super_block *root_sb;    /* and its file system (remount changes ro/rw) */

/* Cover dir (consumed) with root (consumed), a directory of sb. */
static int mount_add(struct inode *dir, struct super_block *sb, struct inode *root,
		     const struct mount_info *info)
{
	struct mount *free = NULL;

	spin_lock(&mount_lock);
	if (sb->ops && root_dev && sb->dev == root_dev) {
		spin_unlock(&mount_lock);
		inode_put(dir);
		inode_put(root);
		return -EBUSY;
	}
	for (int i = 0; i < MOUNT_MAX; i++) {
		if (!mounts[i].mountpoint) {
			if (!free)
				free = &mounts[i];
		} else if (sb->ops && mounts[i].sb->ops && mounts[i].sb->dev == sb->dev) {
			free = NULL; /* one mount per device */
			spin_unlock(&mount_lock);
			inode_put(dir);
			inode_put(root);
			return -EBUSY;
		}
	}
	if (!free) {
		spin_unlock(&mount_lock);
		inode_put(dir);
		inode_put(root);
		return -EBUSY;
	}
	free->mountpoint = dir;
	free->sb = sb;
	free->root = root;
	free->seq = ++mount_seq;
	if (info)
		free->info = *info;
	else
		memset(&free->info, 0, sizeof(free->info));
	spin_unlock(&mount_lock);
	return 0;
}

int vfs_mount_inode(struct inode *dir, struct super_block *sb, const struct mount_info *info)
{
	inode_get(sb->root);
	int err = mount_add(dir, sb, sb->root, info);
	if (err)
		return err;
	return 0;
}

int vfs_bind_inode(struct inode *dir, struct inode *root)
{
	return mount_add(dir, root->sb, root, NULL);
}

void vfs_set_root(struct super_block *sb, const struct mount_info *info)
{
	guard(spinlock)(&mount_lock);
	root_dev = sb->dev;
	root_sb = sb;
	root_info = *info;
}

int vfs_mount_at(const char *path, struct super_block *sb)
{
	struct inode *dir = vfs_lookup_from(vfs_root, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);

	if (IS_ERR(dir))
		return (int)PTR_ERR(dir);
	return vfs_mount_inode(dir, sb, NULL);
}

size_t vfs_mounts_list(struct mount_info *out, size_t max)
{
	size_t n = 0;

	guard(spinlock)(&mount_lock);
	if (root_dev && max) {
		out[n] = root_info;
		out[n++].readonly = root_sb->flags & MS_RDONLY;
	}
	for (int i = 0; i < MOUNT_MAX && n < max; i++) {
		if (!mounts[i].mountpoint || !mounts[i].info.type[0])
			continue;
		out[n] = mounts[i].info;
		out[n].readonly = mounts[i].sb->flags & MS_RDONLY;
		n++;
	}
	return n;
}

/* The newest mount on ino, or NULL. Caller holds mount_lock. */
static struct mount *mount_on_locked(const struct inode *ino)
{
	struct mount *top = NULL;

	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint == ino && (!top || mounts[i].seq > top->seq))
			top = &mounts[i];
	return top;
}

struct inode *vfs_mount_cross(struct inode *ino)
{
	for (int depth = 0; depth < MOUNT_MAX; depth++) {
		struct inode *root = NULL;

		spin_lock(&mount_lock);
		struct mount *m = mount_on_locked(ino);
		if (m) {
			root = m->root;
			inode_get(root);
		}
		spin_unlock(&mount_lock);
		if (!root)
			break;
		inode_put(ino);
		ino = root;
	}
	return ino;
}

/* The mount whose root is ino, or NULL. Caller holds mount_lock. */
static struct mount *mount_of_root_locked(const struct inode *ino)
{
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].root == ino)
			return &mounts[i];
	return NULL;
}

struct inode *vfs_mount_covered(struct inode *ino)
{
	guard(spinlock)(&mount_lock);
	struct mount *m = mount_of_root_locked(ino);
	if (!m)
		return NULL;
	inode_get(m->mountpoint);
	return m->mountpoint;
}

bool vfs_dev_mounted(dev_t dev)
{
	guard(spinlock)(&mount_lock);
	if (root_dev && dev == root_dev)
		return true;
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].sb->ops && mounts[i].sb->dev == dev)
			return true;
	return false;
}

int vfs_umount_root(struct inode *root)
{
	struct inode *covered;
	struct super_block *sb;

	spin_lock(&mount_lock);
	struct mount *m = mount_of_root_locked(root);
	if (!m || !m->sb->ops || m->root != m->sb->root) {
		/* not a mount root, or a built-in file system (procfs, the
		 * root-on-disk binds) */
		spin_unlock(&mount_lock);
		inode_put(root);
		return m ? -EBUSY : -EINVAL;
	}
	if (mount_on_locked(root) || m->sb->ops->busy(m->sb)) {
		spin_unlock(&mount_lock);
		inode_put(root);
		return -EBUSY;
	}
	covered = m->mountpoint;
	sb = m->sb;
	struct inode *mroot = m->root;
	m->mountpoint = NULL;
	m->sb = NULL;
	m->root = NULL;
	spin_unlock(&mount_lock);

	inode_put(root);     /* the caller's */
	inode_put(mroot);    /* the mount's */
	inode_put(covered);
	inode_put(sb->root); /* the super block's: the last one */
	sb->root = NULL;
	sb->ops->put_super(sb);
	return 0;
}
