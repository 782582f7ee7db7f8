/*
 * The virtual file system: inodes, open files, their operations, and the
 * path-level calls the syscalls use. Owned by src/fs.
 *
 * Ownership: inodes and files are refcounted (inode_get/put, file_get/put).
 * A lookup returns a new inode reference; a file holds one on its inode.
 *
 * Locking:
 *   superblock->ns_lock   (a sleeping rwlock) a file system's name space (directory entries,
 *                         nlink, rename); never held across user copies.
 *   inode->lock           size, times, mode/owner and the data of a file.
 *   file->lock            pos and flags.
 *   Order: ns_lock -> inode->lock. User memory is never touched with any of
 *   them held (copies go through a bounce buffer), so a page fault may
 *   read files (mmap) without deadlock.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/errno.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/rwlock.h>
#include <ferrite/list.h>
#include <ferrite/file.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>

#define PATH_MAX 4096
#define NAME_MAX 255
#define SYMLOOP_MAX 40

struct inode;
struct file;
struct dir_context;
struct iattr;
struct kstat;
struct poll_table; /* opaque; the poll/select issue defines it */
struct vm_object;

/* ---- buffers: user or kernel memory behind one descriptor ---- */
struct iobuf {
	char *ptr;   /* user pointer when user is true */
	size_t len;
	bool user;
};
static inline struct iobuf iobuf_user(void __user *p, size_t n)
{
	return (struct iobuf){ (char *)p, n, true };
}
static inline struct iobuf iobuf_kernel(void *p, size_t n)
{
	return (struct iobuf){ (char *)p, n, false };
}
/* Copy n bytes from src into the buffer at byte offset at. 0 or -EFAULT. */
int iobuf_copy_to(const struct iobuf *b, size_t at, const void *src, size_t n);
/* Copy n bytes at byte offset at of the buffer into dst. 0 or -EFAULT. */
int iobuf_copy_from(void *dst, const struct iobuf *b, size_t at, size_t n);
/* Zero n bytes of the buffer at offset at. 0 or -EFAULT. */
int iobuf_zero(const struct iobuf *b, size_t at, size_t n);
/* As iobuf_copy_to/from, but a fault ends the copy early: return the bytes
 * copied (n, or fewer; 0 when [at, at+n) is not inside the buffer). */
size_t iobuf_copy_to_upto(const struct iobuf *b, size_t at, const void *src, size_t n);
size_t iobuf_copy_from_upto(void *dst, const struct iobuf *b, size_t at, size_t n);

/* ---- super blocks ---- */
/* statfs(2) in one place (sys_stat.c converts it). */
struct kstatfs {
	long type, bsize, frsize, namelen, flags;
	uint64_t blocks, bfree, bavail, files, ffree;
	int fsid[2];
};
#define ST_RDONLY 0x0001
#define ST_VALID 0x0020

struct super_block;
/* What a mountable file system provides (ramfs and procfs have none). */
struct super_ops {
	void (*statfs)(struct super_block *sb, struct kstatfs *st);
	/* Is anything in use beyond root_refs references to the root and
	 * other_inodes other inodes that the caller accounts for (held by
	 * sb, the mount table and the caller)?
	 * Called under the mount table lock: must not sleep. */
	bool (*busy)(struct super_block *sb, unsigned root_refs, unsigned other_inodes);
	/* Unmounted and not busy: free the file system (sb->root already put). */
	void (*put_super)(struct super_block *sb);
	/* The VFS changed an inode's mode, owner or times (chmod, chown,
	 * utimensat): write them. Called without locks held. May be NULL. */
	void (*dirty_inode)(struct inode *ino);
	/* syncfs/sync: make everything written so far durable. May be NULL. */
	int (*sync_fs)(struct super_block *sb);
	/* MS_REMOUNT: switch MS_RDONLY to what flags say. 0 or -errno.
	 * NULL: a read-only file system stays read-only. */
	int (*remount)(struct super_block *sb, unsigned long flags);
	/* stat's st_blocks (512-byte units allocated). NULL: from the size. */
	long (*inode_blocks)(struct inode *ino);
};

struct super_block {
	struct rwlock ns_lock; /* sleeping: lookups share it, changes take it alone */
	dev_t dev;
	unsigned long magic;    /* statfs f_type */
	uint64_t next_ino;      /* atomic */
	struct inode *root;     /* reference */
	void *private;
	const struct super_ops *ops; /* NULL for the built-in file systems */
	unsigned long flags;    /* MS_RDONLY; set before the sb is mounted */
	bool detached;          /* atomic: lazily unmounted (MNT_DETACH), freed
				   once nothing uses it (src/fs/mount.c) */
};
#define MS_RDONLY 0x1

/* Is ino on a file system mounted read-only (its data and attributes
 * cannot change: -EROFS)? */
static inline bool inode_is_readonly(const struct inode *ino);

/* ---- inodes ---- */
struct inode_ops {
	/* Return: new reference to the child named name (".." included;
	 * the VFS handles "."), or ERR_PTR(-ENOENT). */
	struct inode *(*lookup)(struct inode *dir, const char *name, size_t len);
	/* Create a node of any type (regular, dir, char device, fifo).
	 * Return: new reference or ERR_PTR (-EEXIST when name exists). */
	struct inode *(*create)(struct inode *dir, const char *name, size_t len,
				mode_t mode, dev_t rdev);
	struct inode *(*symlink)(struct inode *dir, const char *name, size_t len,
				 const char *target);
	int (*link)(struct inode *dir, const char *name, size_t len, struct inode *target);
	int (*unlink)(struct inode *dir, const char *name, size_t len);
	int (*rmdir)(struct inode *dir, const char *name, size_t len);
	int (*rename)(struct inode *odir, const char *oname, size_t olen,
		      struct inode *ndir, const char *nname, size_t nlen, unsigned flags);
	/* Copy the link target into buf (kernel). Return length or -errno. */
	ssize_t (*readlink)(struct inode *ino, char *buf, size_t size);
	/* Optional, a "magic" link (/proc/PID/fd/N): following it gives this
	 * inode (new reference or ERR_PTR) instead of walking readlink's text. */
	struct inode *(*get_link)(struct inode *link);
	int (*truncate)(struct inode *ino, off_t size);
	/* Walk the directory from ctx->pos (see struct dir_context). */
	int (*iterate)(struct inode *dir, struct dir_context *ctx);
	/* Optional: chmod, chown and utimensat of a file system that stores
	 * attributes its own way (FAT): check the change (-EPERM for what it
	 * cannot hold), apply it to the inode and write it. NULL: the VFS
	 * sets the inode's fields. */
	int (*setattr)(struct inode *ino, const struct iattr *ia);
	/* Page-cached files (ext4, FAT): read npages pages of the file from
	 * page index on into buf (kernel memory, zeroed by the caller; bytes
	 * past the end of file stay zero). 0 or -errno. Takes the file
	 * system's locks. */
	int (*read_pages)(struct inode *ino, uint64_t index, void *buf, size_t npages);
	/* Page cache write-back (<ferrite/pagecache.h>): write n bytes of src
	 * (a cached page changed through a shared mapping) at byte pos to the
	 * device, allocating blocks for holes; never past i_size (the bytes
	 * beyond it are dropped) and without copying into the cache. Data
	 * before the metadata that points at it, as write(2). 0 or -errno. */
	int (*writeback)(struct inode *ino, uint64_t pos, const void *src, size_t n);
};

/* An attribute change (inode_ops.setattr): the IATTR_* bits in valid say
 * which fields mean something; uid/gid (uid_t)-1 are "unchanged" too. */
#define IATTR_MODE 0x1
#define IATTR_UID 0x2
#define IATTR_GID 0x4
#define IATTR_ATIME 0x8
#define IATTR_MTIME 0x10
struct iattr {
	unsigned valid;
	mode_t mode; /* permission bits only */
	uid_t uid;
	gid_t gid;
	struct timespec64 atime, mtime;
};

struct inode {
	struct ref ref;
	struct spinlock lock;
	mode_t mode;   /* Lock: lock (type bits never change) */
	ino_t ino;
	unsigned nlink; /* Lock: sb->ns_lock */
	uid_t uid;     /* Lock: lock */
	gid_t gid;     /* Lock: lock */
	off_t size;    /* Lock: lock */
	struct timespec64 atime, mtime, ctime; /* Lock: lock */
	dev_t rdev;
	const struct inode_ops *iops;
	const struct file_ops *fops; /* default ops for open() */
	struct super_block *sb;
	void *private; /* owned by the file system */
	void (*destroy)(struct inode *ino); /* fs hook: free private */
	struct vm_object *pages; /* page cache (<ferrite/pagecache.h>), owned; set once */
};

static inline bool inode_is_readonly(const struct inode *ino)
{
	return ino->sb && (ino->sb->flags & MS_RDONLY);
}

/* Tell the file system that attributes of ino changed (no lock held). */
static inline void inode_mark_dirty(struct inode *ino)
{
	if (ino->sb && ino->sb->ops && ino->sb->ops->dirty_inode)
		ino->sb->ops->dirty_inode(ino);
}

/* Return: a new inode with refcount 1, or NULL. */
struct inode *inode_alloc(struct super_block *sb, mode_t mode);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
DEFINE_FREE(inode_put, struct inode *, if (!IS_ERR_OR_NULL(_T)) inode_put(_T))
/* Current wall-clock time for timestamps. */
struct timespec64 vfs_now(void);
/* Set mtime and ctime to now (caller holds ino->lock or owns ino). */
void inode_touch(struct inode *ino);
size_t inodes_count_live(void);

/* ---- directory walking ---- */
struct dir_context {
	/* Return false to stop (buffer full). */
	bool (*emit)(struct dir_context *ctx, const char *name, size_t len,
		     ino_t ino, unsigned dtype);
	off_t pos; /* cookie: 0 = start; the fs advances it per entry */
};

/* ---- open files ---- */
struct file_ops {
	/* Optional: an anonymous file's kind as /proc/PID/fd shows it,
	 * "anon_inode:[name]" (eventfd, eventpoll, timerfd...). */
	const char *anon_name;
	/* Called once when a file is opened on an inode (may replace
	 * f->ops, e.g. char devices). */
	int (*open)(struct inode *ino, struct file *f);
	/* Read/write at *pos, advancing it. Return bytes or -errno. */
	ssize_t (*read)(struct file *f, const struct iobuf *buf, off_t *pos);
	ssize_t (*write)(struct file *f, const struct iobuf *buf, off_t *pos);
	/* NULL: generic_lseek for seekable files; files that cannot seek set
	 * FMODE_STREAM and get -ESPIPE. */
	off_t (*lseek)(struct file *f, off_t off, int whence);
	long (*ioctl)(struct file *f, unsigned cmd, unsigned long arg);
	/* Return the ready event mask (POLLIN...); pt may be NULL. */
	unsigned (*poll)(struct file *f, struct poll_table *pt);
	int (*iterate)(struct file *f, struct dir_context *ctx);
	/* Last reference dropped. */
	void (*release)(struct file *f);
	/* Return: a new reference to the vm_object that holds the file's
	 * pages (mmap shares its frames), or ERR_PTR. NULL op: file mappings
	 * get private copies read at fault time, MAP_SHARED|PROT_WRITE fails. */
	struct vm_object *(*mmap_object)(struct file *f);
	/* fsync/fdatasync: make the file's written data durable. NULL: the
	 * file lives in memory only and there is nothing to do. */
	int (*fsync)(struct file *f, bool datasync);
	/* fallocate(2) on a regular file opened for writing, the arguments
	 * checked (mode 0 or FALLOC_FL_KEEP_SIZE, off >= 0, len > 0). NULL:
	 * -EOPNOTSUPP. */
	long (*fallocate)(struct file *f, int mode, off_t off, off_t len);
};

#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_STREAM 0x4 /* no seeking, pos ignored (tty, pipe, socket) */
#define FMODE_PATH 0x8   /* O_PATH: only fd-level operations */

#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP 0x2000

struct file {
	struct ref ref;
	struct spinlock lock;
	struct inode *inode;  /* reference; never NULL (anon_inode.c) */
	const struct file_ops *ops;
	unsigned mode;        /* FMODE_* */
	int flags;            /* open flags (O_APPEND, O_NONBLOCK...); Lock: lock */
	off_t pos;            /* Lock: lock */
	void *private;        /* owned by ops (released in ops->release) */
	struct list_head ep_links; /* epoll items watching this file; Lock: lock */
	/* The path open(2) was given (kmalloc'd, or NULL) and, when it was
	 * relative, a reference to the directory it started from: what
	 * /proc/PID/fd/N shows (procfs_fd.c). Set once before the file is
	 * installed, then read-only. */
	char *path;
	struct inode *path_base;
};

/* Return: a new file (refcount 1) on ino (a reference is taken) with ops,
 * or ERR_PTR. ino NULL (ports, eventfd, epoll): the shared anonymous inode
 * (pipes bring their own pipefs inode). */
struct file *file_alloc(struct inode *ino, const struct file_ops *ops, int flags);
DEFINE_FREE(file_put, struct file *, if (!IS_ERR_OR_NULL(_T)) file_put(_T))

ssize_t vfs_read(struct file *f, const struct iobuf *buf);
ssize_t vfs_write(struct file *f, const struct iobuf *buf);
ssize_t vfs_pread(struct file *f, const struct iobuf *buf, off_t off);
ssize_t vfs_pwrite(struct file *f, const struct iobuf *buf, off_t off);
off_t vfs_lseek(struct file *f, off_t off, int whence);
off_t generic_lseek(struct file *f, off_t off, int whence);
/* Write into a file from kernel memory at off. */
ssize_t kernel_write(struct file *f, const void *buf, size_t n, off_t off);

/* ---- paths ---- */
/* Lookup flags */
#define LOOKUP_FOLLOW 0x1    /* follow a final symlink */
#define LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
#define LOOKUP_EMPTY 0x4     /* "" means the dirfd itself (AT_EMPTY_PATH) */
/* openat2's RESOLVE_* (docs/vfs.md): they hold through every symlink. */
#define LOOKUP_NO_SYMLINKS 0x10   /* any symlink to follow: ELOOP */
#define LOOKUP_NO_MAGICLINKS 0x20 /* a /proc magic link to follow: ELOOP */
#define LOOKUP_NO_XDEV 0x40       /* leaving the start's file system: EXDEV */
#define LOOKUP_BENEATH 0x80       /* leaving the dirfd's tree: EXDEV */
#define LOOKUP_IN_ROOT 0x100      /* the dirfd is "/" of this lookup */
#define LOOKUP_RESOLVE                                                             \
	(LOOKUP_NO_SYMLINKS | LOOKUP_NO_MAGICLINKS | LOOKUP_NO_XDEV | LOOKUP_BENEATH | \
	 LOOKUP_IN_ROOT)
#define LOOKUP_SCOPED (LOOKUP_BENEATH | LOOKUP_IN_ROOT)

/*
 * Resolve path (kernel string) relative to dirfd (AT_FDCWD or an open
 * directory). Return: new reference to the inode, or ERR_PTR(-errno).
 */
struct inode *vfs_lookup_at(int dirfd, const char *path, unsigned lookup_flags);
/* path as an absolute path (joined to the cwd's), final symlinks followed:
 * 0 or -errno (sys_dir.c). For /proc/PID/exe. */
int vfs_absolute_path(const char *path, char *out, size_t size);
/* Like vfs_lookup_at, relative to an inode rather than an fd. */
struct inode *vfs_lookup_from(struct inode *base, const char *path, unsigned lookup_flags);

/* Result of resolving all but the last component. */
struct path_parent {
	struct inode *dir;   /* reference (NULL on error) */
	const char *name;    /* points into the caller's path; len may be 0 */
	size_t len;
	bool trailing_slash;
};
/* 0 or -errno; on success the caller owns p->dir (path_parent_put). */
int vfs_lookup_parent(int dirfd, const char *path, struct path_parent *p);
/* The same with LOOKUP_RESOLVE flags (openat2). */
int vfs_lookup_parent_flags(int dirfd, const char *path, struct path_parent *p, unsigned flags);
void path_parent_put(struct path_parent *p);

/* The root inode (reference held by the VFS). */
extern struct inode *vfs_root;

/* Path-level operations (kernel strings). 0/-errno unless noted. */
struct file *vfs_open_at(int dirfd, const char *path, int flags, mode_t mode);
/* vfs_open_at with LOOKUP_RESOLVE flags for every lookup it makes. */
struct file *vfs_open_at_resolve(int dirfd, const char *path, int flags, mode_t mode,
				 unsigned resolve);
struct file *vfs_open_inode(struct inode *ino, int flags);
int vfs_mknod_at(int dirfd, const char *path, mode_t mode, dev_t rdev);
int vfs_mkdir_at(int dirfd, const char *path, mode_t mode);
int vfs_unlink_at(int dirfd, const char *path);
int vfs_rmdir_at(int dirfd, const char *path);
int vfs_symlink_at(const char *target, int dirfd, const char *path);
int vfs_link_at(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
/* Kernel-internal rename flag: a name had a trailing slash (both must be dirs). */
#define RENAME_TRAILING_SLASH 0x80000000u
int vfs_rename_at(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned flags);
ssize_t vfs_readlink_at(int dirfd, const char *path, char *buf, size_t size);
int vfs_truncate_inode(struct inode *ino, off_t size);
void vfs_getattr(struct inode *ino, struct kstat *st);
/* Directory iteration for getdents on an open directory. */
int vfs_iterate(struct file *f, struct dir_context *ctx);

/* ---- discretionary access control (src/fs/permission.c) ---- */
#define MAY_EXEC 1 /* = X_OK */
#define MAY_WRITE 2 /* = W_OK */
#define MAY_READ 4 /* = R_OK */
struct cred;
/* Mode bits against the owner, group and other of ino for the file-system
 * ids of current; fsuid 0 passes everything but exec of a file with no x
 * bit (CAP_DAC_OVERRIDE). 0 or -EACCES. */
int inode_permission(struct inode *ino, int mask /* MAY_* */);
/* The same for the given ids (access(2) checks with the real ones). */
int inode_permission_as(struct inode *ino, int mask, const struct cred *c);
/* fsuid owns ino, or is 0 (CAP_FOWNER): chmod, utimes with times, ... */
bool inode_owner_or_root(struct inode *ino);
/* Adding a name to dir: write and search on it. 0 or -EACCES. */
int may_create(struct inode *dir);
/* Removing or renaming victim in dir: write and search on dir, and in a
 * sticky dir only the owner of dir or of victim (or root). 0, -EACCES or
 * -EPERM. */
int may_delete(struct inode *dir, struct inode *victim);
/* Opening ino with open flags: the access mode (and O_TRUNC) against its
 * mode bits. 0 or -EACCES (-EPERM for O_NOATIME of someone else's file). */
int may_open(struct inode *ino, int flags);
/* A new inode in dir gets current's fsuid and fsgid (dir's gid, and
 * for a directory the set-gid bit, when dir is set-gid). Filesystems call
 * it when they make an inode for a name. */
void inode_init_owner(struct inode *ino, const struct inode *dir);
/* execve's open: a regular file with exec permission, read or not.
 * Return: new file, or ERR_PTR (-EACCES...). */
struct file *vfs_open_exec(const char *path);

/* Attributes in one place, converted to struct stat / statx by syscalls. */
struct kstat {
	dev_t dev;
	ino_t ino;
	mode_t mode;
	unsigned nlink;
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	off_t size;
	long blksize;
	long blocks;
	struct timespec64 atime, mtime, ctime;
};

/* ---- character devices ---- */
#define MKDEV(ma, mi) (((dev_t)(ma) << 20) | (dev_t)(mi))
#define MAJOR(d) ((unsigned)((d) >> 20))
#define MINOR(d) ((unsigned)((d) & 0xfffff))
/* Linux's user-visible encoding (stat st_rdev). */
static inline uint64_t dev_encode(dev_t d)
{
	uint64_t ma = MAJOR(d), mi = MINOR(d);
	return (mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & ~0xffull) << 12) | ((ma & ~0xfffull) << 32);
}
static inline dev_t dev_decode(uint64_t u)
{
	unsigned ma = (unsigned)(((u >> 8) & 0xfff) | ((u >> 32) & ~0xfffull));
	unsigned mi = (unsigned)((u & 0xff) | ((u >> 12) & ~0xffull));
	return MKDEV(ma, mi);
}
/* Register the file ops of a char device number. 0 or -EBUSY/-ENOMEM. */
int chrdev_register(dev_t dev, const struct file_ops *ops);
/* file_ops.open of a char device inode: switch f to the device's ops. */
int chrdev_open(struct inode *ino, struct file *f);

/* ---- inodes of unnamed files (src/fs/anon_inode.c) ---- */
/* Return: a new pipefs inode (S_IFIFO | 0600, the caller's ids), or NULL. */
struct inode *pipefs_inode_new(void);
/* Return: a new sockfs inode (S_IFSOCK | 0777, the caller's ids), or NULL. */
struct inode *sockfs_inode_new(void);
/* Return: a new reference to the inode all other anonymous files share
 * (mode 0600, no type, as Linux's anon_inodefs), or NULL. */
struct inode *anon_inode_get(void);
/* Boot: make the shared inode now (not in the first test's leak count). */
void anon_inode_init(void);

/* ---- mount points (src/fs/mount.c) ---- */
/* Cover the directory at path (absolute) with sb's root. 0 or -errno. */
int vfs_mount_at(const char *path, struct super_block *sb);
/* What /proc/mounts says of a mount made by mount(2). */
struct mount_info {
	char source[64]; /* "/dev/vda" */
	char path[256];  /* absolute path of the mount point (truncated) */
	char root[256];  /* mountinfo's root: what is mounted, inside its
			    file system ("/" but for binds) */
	char type[16];   /* "ext4"; "" for the built-in mounts (not listed) */
	bool readonly;
	/* filled in by vfs_mounts_list (mountinfo) */
	unsigned id, parent; /* mount ids: 1 the root, 2 /proc, then 10+ */
	dev_t dev;
};
/* Cover dir (reference consumed) with sb's root (sb consumed on success);
 * info (may be NULL) is what /proc/mounts shows. */
int vfs_mount_inode(struct inode *dir, struct super_block *sb, const struct mount_info *info);
/* Cover dir (consumed) with root (consumed), a directory of another file
 * system: the root-on-disk boot shows the initramfs's /dev, /proc and /tmp
 * in the disk's tree this way. */
int vfs_bind_inode(struct inode *dir, struct inode *root);
/* The root file system is now sb (root=): /proc/mounts lists it and its
 * device cannot be mounted again. */
void vfs_set_root(struct super_block *sb, const struct mount_info *info);
/* root= on the command line (src/fs/root_mount.c). vfs_root_setup (kmain,
 * no I/O) remembers it; vfs_root_mount, called by the first task before it
 * executes init (interrupts on: the disk can complete), mounts that disk
 * as / and, when init= was not given, sets path to /sbin/init. */
void vfs_root_setup(const char *cmdline, bool init_given);
void vfs_root_mount(char *path, size_t size);
/* Copy up to max mount(2) mounts into out, oldest first. Return how many. */
size_t vfs_mounts_list(struct mount_info *out, size_t max);
/* mount(2) MS_BIND: cover dir (consumed) with what (consumed), a directory
 * or, when dir is not one, a file of any file system. 0 or -errno. */
int vfs_bind_mount(struct inode *dir, struct inode *what, const struct mount_info *info);
/* umount2(2): remove the newest mount on mountpoint (consumed) or, when
 * mountpoint is NULL, the newest whose root is root (consumed). lazy
 * (MNT_DETACH): the mount and those inside it leave the tree at once and
 * the file system is freed when its last user goes; else -EBUSY while it
 * is in use. 0, -EINVAL (not a mount point), -EBUSY. */
int vfs_umount(struct inode *mountpoint, struct inode *root, bool lazy);
/* Free lazily unmounted file systems nobody uses any more (mount(2) calls
 * it before it looks whether a device is in use). */
void vfs_reap_detached(void);
/* inode_put of an inode of a detached file system: look again soon. */
void vfs_detached_kick(void);
/* Is a file system on dev mounted (or detached and still in use)? */
bool vfs_dev_mounted(dev_t dev);
/* Path walking: ino (reference consumed) or, when it is a mount point, a
 * new reference to the mounted root. */
struct inode *vfs_mount_cross(struct inode *ino);
/* When ino is the root of a mounted file system: a new reference to the
 * directory it covers (for ".." and getcwd), else NULL. */
struct inode *vfs_mount_covered(struct inode *ino);

/* ---- ramfs ---- */
struct super_block *ramfs_create_sb(void);
/* Bytes of file data ramfs holds (leak checks). */
size_t ramfs_data_bytes(void);

/* ---- cpio (pure streaming parser, src/fs/cpio.c) ---- */
struct cpio_entry {
	const char *name;   /* NUL-terminated, valid until the entry ends */
	size_t namelen;     /* without the NUL */
	mode_t mode;
	uint32_t ino, devmajor, devminor; /* hard links share all three */
	uint32_t uid, gid, nlink, mtime;
	uint32_t rdevmajor, rdevminor;
	size_t size;        /* bytes of data that follow */
};
/* What the parser calls, in order, for each entry but the trailer: begin,
 * data for each run of its bytes (none when size is 0), end. A negative
 * return stops the parse with that error. */
struct cpio_ops {
	int (*begin)(void *ctx, const struct cpio_entry *e);
	int (*data)(void *ctx, const void *buf, size_t len);
	void (*end)(void *ctx);
};
enum cpio_state { CPIO_HEADER, CPIO_NAME, CPIO_NAME_PAD, CPIO_DATA, CPIO_DATA_PAD, CPIO_DONE };
struct cpio_stream {
	const struct cpio_ops *ops;
	void *ctx;
	enum cpio_state state;
	bool stop_at_trailer; /* feed stops after the trailer (and its pad) */
	bool in_entry;        /* begin called, end not yet */
	bool trailer;         /* the current entry is "TRAILER!!!" */
	uint64_t pos;         /* stream offset: headers are 4-byte aligned */
	size_t need;          /* bytes left of the current piece (state) */
	size_t got;           /* bytes of header or name collected */
	struct cpio_entry e;
	char hdr[110];
	char name[PATH_MAX + 1];
};
/* Start parsing at stream offset pos (alignment counts from offset 0). */
void cpio_stream_init(struct cpio_stream *s, const struct cpio_ops *ops, void *ctx,
		      uint64_t pos, bool stop_at_trailer);
/* Parse the next len bytes. Return the bytes consumed (less than len only
 * once the trailer is passed with stop_at_trailer), or -EINVAL for a
 * corrupt archive, or an ops error. Zero bytes between archives are skipped. */
long cpio_stream_feed(struct cpio_stream *s, const void *buf, size_t len);
/* The input ended: 0 at an entry boundary, -EINVAL when truncated (an open
 * entry is ended first). */
int cpio_stream_finish(struct cpio_stream *s);

/* ---- inflate (src/fs/inflate.c) ---- */
/* Receives the decoded bytes in order; 0 or -errno (stops the decode). */
typedef int (*inflate_sink_fn)(void *ctx, const void *buf, size_t len);
/* Decode one gzip member (RFC 1952) at src, streaming the output to sink.
 * Return 0 with *consumed (header to trailer), -EINVAL for a corrupt or
 * truncated member (after the sink got what decoded), -ENOMEM, or the
 * sink's error. */
int gunzip_stream(const void *src, size_t len, inflate_sink_fn sink, void *ctx, size_t *consumed);
/* Raw DEFLATE (RFC 1951), the same way; *in_used gets the input bytes used. */
int inflate_stream(const void *src, size_t len, inflate_sink_fn sink, void *ctx, size_t *in_used);

/* ---- the console tty (src/fs/tty.c) ---- */
/* Foreground process group of the console, 0 when none (signals issue). */
pid_t tty_console_fg_pgrp(void);
/* Set by the signals code: deliver sig to process group pgrp when the
 * console receives ^C/^\\/^Z (called from interrupt context). */
extern void (*tty_isig_hook)(pid_t pgrp, int sig);
/* FIFO file ops, set by the pipe code; mknod(S_IFIFO) is -ENOSYS until then. */
extern const struct file_ops *vfs_fifo_ops;
/* Block device node ops (src/fs/blkdev_file.c); mknod(S_IFBLK) is -EPERM
 * until set. blkdev_files_init sets it and makes /dev/vdX for each disk. */
extern const struct file_ops *vfs_blkdev_ops;
