/*
 * Mount points: a small table mapping an inode of one file system (a
 * directory, or any file for a bind) to the root of another (procfs on
 * /proc, disks from mount(2)) or to a directory or file of any file
 * system (MS_BIND). Path resolution calls vfs_mount_cross() after each
 * lookup step and vfs_mount_covered() for ".." at a mounted root.
 *
 * Mounts are keyed by inode, not by (mount, dentry) as in Linux: a bind
 * shows what is mounted inside its source too (every bind is MS_REC),
 * and a read-only flag belongs to the file system, not to one mount.
 *
 * Lazy unmount (MNT_DETACH): the entry, and the mounts inside that file
 * system, leave the table at once; when it was the file system's last
 * mount and something still uses it, its super block goes on the
 * detached list (sb->detached set) and is freed by the reaper thread, or
 * by the next mount(2), once busy() says nothing uses it. inode_put of
 * an inode of a detached file system kicks the reaper.
 *
 * Lock: mount_lock (spinlock) guards the table and the detached list.
 * Crossing takes the mounted root's reference under it, so umount, which
 * checks "not busy" and removes the entry under the same lock, cannot
 * race with a new crossing into the file system it frees. The freeing
 * happens after the lock is dropped (nothing can reach the file system
 * any more).
 * Order: mount_lock -> a file system's own spinlocks (its busy() check).
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/pagecache.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/printk.h>
#include <ferrite/waitqueue.h>
#include <ferrite/kmalloc.h>

#define MOUNT_MAX 32

struct mount {
	struct inode *mountpoint; /* reference: the covered inode; NULL = free slot */
	struct super_block *sb;   /* the file system mounted */
	struct inode *root;       /* reference: what lookups see (sb->root, a
				     bind's source, or a directory of sb for the
				     root-on-disk binds) */
	uint64_t seq;             /* later mounts on one inode cover earlier ones */
	bool bind;                /* MS_BIND: may share sb with other mounts */
	struct mount_info info;   /* what /proc/mounts shows */
};

static struct mount mounts[MOUNT_MAX]; /* Lock: mount_lock */
static uint64_t mount_seq;             /* Lock: mount_lock */
static struct spinlock mount_lock = SPINLOCK_INIT("mount");
static struct mount_info root_info;    /* the disk root, when root= mounted one */
static dev_t root_dev;                 /* its device (0: the initramfs is the root) */
static struct super_block *root_sb;    /* and its file system (remount changes ro/rw) */

/* Lazily unmounted file systems still in use. Lock: mount_lock */
static struct super_block *detached[MOUNT_MAX];
static struct waitqueue detached_wq = WAITQUEUE_INIT(detached_wq);
static unsigned long detached_kicks; /* atomic */
static bool reaper_started;          /* Lock: mount_lock */

/* Cover dir (consumed) with root (consumed), an inode of sb. */
static int mount_add(struct inode *dir, struct super_block *sb, struct inode *root,
		     const struct mount_info *info, bool bind)
{
	struct mount *free = NULL;
	int err = 0;

	spin_lock(&mount_lock);
	if (!bind && sb->ops && root_dev && sb->dev == root_dev)
		err = -EBUSY;
	for (int i = 0; i < MOUNT_MAX && !err; i++) {
		if (!mounts[i].mountpoint) {
			if (!free)
				free = &mounts[i];
		} else if (!bind && sb->ops && mounts[i].sb->ops && mounts[i].sb->dev == sb->dev) {
			err = -EBUSY; /* one file system per device */
		}
	}
	if (!err && !free)
		err = -ENOMEM; /* the table is full */
	if (err) {
		spin_unlock(&mount_lock);
		inode_put(dir);
		inode_put(root);
		return err;
	}
	free->mountpoint = dir;
	free->sb = sb;
	free->root = root;
	free->seq = ++mount_seq;
	free->bind = bind;
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
	return mount_add(dir, sb, sb->root, info, false);
}

int vfs_bind_inode(struct inode *dir, struct inode *root)
{
	return mount_add(dir, root->sb, root, NULL, false);
}

int vfs_bind_mount(struct inode *dir, struct inode *what, const struct mount_info *info)
{
	if (S_ISDIR(dir->mode) != S_ISDIR(what->mode)) {
		inode_put(dir);
		inode_put(what);
		return -ENOTDIR;
	}
	/* /proc/mounts names the source and type of the file system bound */
	struct mount_info bound = *info;
	spin_lock(&mount_lock);
	const struct mount *shown = NULL;
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].sb == what->sb && mounts[i].info.type[0] &&
		    (!shown || mounts[i].seq < shown->seq))
			shown = &mounts[i];
	const struct mount_info *from = shown ? &shown->info : what->sb == root_sb ? &root_info : NULL;
	if (from) {
		memcpy(bound.source, from->source, sizeof(bound.source));
		memcpy(bound.type, from->type, sizeof(bound.type));
	}
	spin_unlock(&mount_lock);
	if (!from) {
		const char *name = what->sb == vfs_root->sb	  ? "rootfs"
				   : what->sb->magic == 0x9fa0 /* procfs */ ? "proc"
									 : "none";
		ksnprintf(bound.source, sizeof(bound.source), "%s", name);
		ksnprintf(bound.type, sizeof(bound.type), "%s", name);
	}
	return mount_add(dir, what->sb, what, &bound, true);
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

/* The mountinfo id of the mount that shows sb, the oldest one that is
 * not a bind (1: the root file system, 2: procfs). Caller holds
 * mount_lock. */
static unsigned mount_id_of_sb_locked(const struct super_block *sb)
{
	const struct mount *best = NULL;

	if (sb == vfs_root->sb)
		return 1;
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].sb == sb && !mounts[i].bind &&
		    (!best || mounts[i].seq < best->seq))
			best = &mounts[i];
	if (!best || best->seq > UINT32_MAX)
		return 1;
	return best->info.type[0] ? 10 + (unsigned)best->seq : 2;
}

size_t vfs_mounts_list(struct mount_info *out, size_t max)
{
	size_t n = 0;

	guard(spinlock)(&mount_lock);
	if (root_dev && max) {
		out[n] = root_info;
		out[n].readonly = root_sb->flags & MS_RDONLY;
		out[n].id = 1;
		out[n].parent = 1;
		out[n++].dev = root_dev;
	}
	/* oldest first, as Linux lists them */
	uint64_t last = 0;
	while (n < max) {
		const struct mount *m = NULL;
		for (int i = 0; i < MOUNT_MAX; i++)
			if (mounts[i].mountpoint && mounts[i].info.type[0] && mounts[i].seq > last &&
			    (!m || mounts[i].seq < m->seq))
				m = &mounts[i];
		if (!m)
			break;
		last = m->seq;
		out[n] = m->info;
		out[n].readonly = m->sb->flags & MS_RDONLY;
		out[n].id = 10 + (unsigned)m->seq;
		out[n].parent = mount_id_of_sb_locked(m->mountpoint->sb);
		out[n].dev = m->sb->dev;
		if (!out[n].root[0])
			ksnprintf(out[n].root, sizeof(out[n].root), "/");
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

/* The oldest (newest when newest is set) mount whose root is ino, or
 * NULL. Caller holds mount_lock. */
static struct mount *mount_of_root_locked(const struct inode *ino, bool newest)
{
	struct mount *pick = NULL;

	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].root == ino &&
		    (!pick || (newest ? mounts[i].seq > pick->seq : mounts[i].seq < pick->seq)))
			pick = &mounts[i];
	return pick;
}

struct inode *vfs_mount_covered(struct inode *ino)
{
	guard(spinlock)(&mount_lock);
	struct mount *m = mount_of_root_locked(ino, false);
	if (!m || !S_ISDIR(ino->mode))
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
	for (int i = 0; i < MOUNT_MAX; i++)
		if (detached[i] && detached[i]->dev == dev)
			return true;
	return false;
}

/* How many mounts show sb. Caller holds mount_lock. */
static unsigned mounts_of_sb_locked(const struct super_block *sb)
{
	unsigned n = 0;

	for (int i = 0; i < MOUNT_MAX; i++)
		n += mounts[i].mountpoint && mounts[i].sb == sb;
	return n;
}

/* The inodes removed entries held, put after mount_lock is dropped. */
struct umount_puts {
	struct inode *ino[2 * MOUNT_MAX + 2];
	unsigned n;
	struct super_block *free[MOUNT_MAX]; /* file systems to free */
	unsigned nfree;
	bool detached;                       /* one went on the detached list */
};

static void puts_add(struct umount_puts *p, struct inode *ino)
{
	if (ino)
		p->ino[p->n++] = ino;
}

/* How many distinct inodes of sb but its root p holds. */
static unsigned puts_others(const struct umount_puts *p, const struct super_block *sb)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n; i++) {
		bool dup = false;
		for (unsigned j = 0; j < i && !dup; j++)
			dup = p->ino[j] == p->ino[i];
		n += !dup && p->ino[i]->sb == sb && p->ino[i] != sb->root;
	}
	return n;
}

/* How many references to sb's root p holds. */
static unsigned puts_root_refs(const struct umount_puts *p, const struct super_block *sb)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n; i++)
		n += p->ino[i] == sb->root;
	return n;
}

/* Take m out of the table. Caller holds mount_lock. */
static void mount_remove_locked(struct mount *m, struct umount_puts *p)
{
	puts_add(p, m->mountpoint);
	puts_add(p, m->root);
	m->mountpoint = NULL;
	m->root = NULL;
	m->sb = NULL;
}

static void detached_add_locked(struct super_block *sb)
{
	for (int i = 0; i < MOUNT_MAX; i++)
		if (!detached[i]) {
			detached[i] = sb;
			__atomic_store_n(&sb->detached, true, __ATOMIC_RELEASE);
			return;
		}
	/* cannot happen: a detached sb had a slot in the mount table */
	pr_warn("mount: detached list full, file system on %u:%u kept\n", MAJOR(sb->dev),
		MINOR(sb->dev));
}

/* A disk file system that the table no longer shows (not the root). */
static bool sb_unshown_locked(const struct super_block *sb)
{
	return sb->ops && sb != root_sb && !mounts_of_sb_locked(sb);
}

/*
 * Detach m and, when it was the last mount of its (disk) file system,
 * everything mounted inside that file system; such a file system is
 * freed (into p) when nothing but p uses it, else put on the detached
 * list. Caller holds mount_lock.
 */
static void mount_detach_locked(struct mount *m, struct umount_puts *p)
{
	struct super_block *sb = m->sb;

	mount_remove_locked(m, p);
	if (!sb_unshown_locked(sb))
		return;
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].mountpoint->sb == sb)
			mount_detach_locked(&mounts[i], p);
	/* the root is also held by sb itself */
	if (sb->ops->busy(sb, 1 + puts_root_refs(p, sb), puts_others(p, sb))) {
		detached_add_locked(sb);
		p->detached = true;
	} else {
		p->free[p->nfree++] = sb;
	}
}

/* Would a plain umount of m leave a file system in use? Caller holds
 * mount_lock; p holds the caller's references. */
static bool mount_busy_locked(struct mount *m, struct umount_puts *p)
{
	struct super_block *sb = m->sb;

	if (mount_on_locked(m->root))
		return true; /* something is mounted on it */
	if (!sb->ops || sb == root_sb || mounts_of_sb_locked(sb) > 1)
		return false; /* the file system stays: nothing to free */
	for (int i = 0; i < MOUNT_MAX; i++)
		if (mounts[i].mountpoint && mounts[i].mountpoint->sb == sb)
			return true; /* mounts inside it */
	unsigned n = p->n;
	puts_add(p, m->mountpoint);
	puts_add(p, m->root);
	bool busy = sb->ops->busy(sb, 1 + puts_root_refs(p, sb), puts_others(p, sb));
	p->n = n;
	return busy;
}

static void super_free(struct super_block *sb)
{
	inode_put(sb->root); /* the super block's: the last one */
	sb->root = NULL;
	sb->ops->put_super(sb);
}

static void puts_finish(struct umount_puts *p)
{
	for (unsigned i = 0; i < p->n; i++)
		inode_put(p->ino[i]);
	for (unsigned i = 0; i < p->nfree; i++)
		super_free(p->free[i]);
}

void vfs_reap_detached(void)
{
	struct super_block *done[MOUNT_MAX];
	unsigned n = 0;

	spin_lock(&mount_lock);
	for (int i = 0; i < MOUNT_MAX; i++)
		if (detached[i] && !detached[i]->ops->busy(detached[i], 1, 0)) {
			done[n++] = detached[i];
			detached[i] = NULL;
		}
	spin_unlock(&mount_lock);
	for (unsigned i = 0; i < n; i++)
		super_free(done[i]);
}

void vfs_detached_kick(void)
{
	__atomic_add_fetch(&detached_kicks, 1, __ATOMIC_RELEASE);
	wake_up_all(&detached_wq);
}

static void reaper_thread(void *arg)
{
	unsigned long seen = 0;

	(void)arg;
	for (;;) {
		(void)wait_event_interruptible(
			&detached_wq, __atomic_load_n(&detached_kicks, __ATOMIC_ACQUIRE) != seen);
		seen = __atomic_load_n(&detached_kicks, __ATOMIC_ACQUIRE);
		vfs_reap_detached();
	}
}

/* The file system of a lazy unmount is still in use: start the reaper. */
static void reaper_start(void)
{
	spin_lock(&mount_lock);
	bool first = !reaper_started;
	reaper_started = true;
	spin_unlock(&mount_lock);
	if (first) {
		struct task *t = kthread_create("mount-reaper", reaper_thread, NULL);
		if (IS_ERR(t))
			pr_warn("mount: no reaper thread (%ld): detached file systems are freed "
				"at the next mount\n",
				PTR_ERR(t));
	}
}

int vfs_umount(struct inode *mountpoint, struct inode *root, bool lazy)
{
	/* Pages changed through mappings first: the dirty list holds their
	 * inodes, which would keep the file system busy. */
	pagecache_sync(NULL);
	struct umount_puts *p = kzalloc(sizeof(*p));

	if (!p) {
		if (mountpoint)
			inode_put(mountpoint);
		if (root)
			inode_put(root);
		return -ENOMEM;
	}
	/* the caller's references, put last */
	puts_add(p, mountpoint);
	puts_add(p, root);

	spin_lock(&mount_lock);
	struct mount *m;
	if (mountpoint) {
		m = mount_on_locked(mountpoint);
		/* mount(2) on a mount point covers the mounted root */
		for (struct mount *up; m && (up = mount_on_locked(m->root));)
			m = up;
	} else {
		m = mount_of_root_locked(root, true);
	}
	int err = 0;
	if (!m)
		err = -EINVAL;
	else if (!m->info.type[0])
		err = -EBUSY; /* a built-in mount (procfs, the root-on-disk binds) */
	else if (!lazy && mount_busy_locked(m, p))
		err = -EBUSY;
	else
		mount_detach_locked(m, p);
	spin_unlock(&mount_lock);

	puts_finish(p);
	bool start = p->detached;
	kfree(p);
	if (start)
		reaper_start();
	return err;
}
