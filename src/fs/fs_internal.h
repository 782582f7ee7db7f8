/*
 * Private to src/fs: the fd table and fs context layouts and helpers the
 * syscall files share.
 */
#pragma once
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>

#define FD_MAX NR_OPEN_MAX

struct fd_table {
	struct ref ref;
	struct spinlock lock;
	struct file *fds[FD_MAX];             /* Lock: lock; each a reference */
	uint64_t open[FD_MAX / 64];           /* Lock: lock; bit set iff fds[i] */
	/* Lock: lock; a number handed out by fd_reserve, not yet filled:
	 * no allocation takes it, dup2 onto it is EBUSY (as Linux). */
	uint64_t reserved[FD_MAX / 64];
	uint64_t cloexec[FD_MAX / 64];        /* Lock: lock */
};

struct fs_context {
	struct ref ref;
	struct spinlock lock;
	struct inode *cwd; /* Lock: lock; reference */
	struct inode *root; /* chroot(2); NULL: vfs_root. Lock: lock; reference */
	mode_t umask;      /* Lock: lock */
};

/* The current process's tables, or NULL in early boot / host tests. */
struct fd_table *current_files(void);
struct fs_context *current_fs(void);
/* Return: new reference to the cwd (the root when there is no process). */
struct inode *fs_cwd_get(void);
/* Another process's table (/proc/PID/fd): a new reference to the file at
 * fd, or NULL; the first open descriptor >= from, or -1. */
struct file *fd_table_file(struct fd_table *t, int fd);
int fd_table_next_open(struct fd_table *t, int from);
/* Return: new reference to the current process's root directory (its
 * chroot, else vfs_root). */
struct inode *fs_root_get(void);
mode_t fs_umask(void);

/* Close fd of the current process. 0 or -EBADF. */
int fd_close(int fd);
/* Install f (reference consumed) at exactly fd (dup2). Return fd, or
 * -EBADF when fd is not below the RLIMIT_NOFILE soft limit. */
int fd_install_at(struct file *f, int fd, int flags);
/* Install at the lowest free fd >= min (F_DUPFD). Return fd, -EINVAL when
 * min is not below the limit, or -EMFILE. */
int fd_install_min(struct file *f, unsigned long min, int flags);
/* The current process's RLIMIT_NOFILE soft limit, at most FD_MAX: every
 * descriptor it is given is below it. */
unsigned fd_limit(void);
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool on);

/* Copy a user path into a kmalloc'd PATH_MAX buffer. Return it or ERR_PTR. */
char *path_from_user(const char __user *upath);
DEFINE_FREE(path_free, char *, if (!IS_ERR_OR_NULL(_T)) kfree(_T))

/* The absolute path of directory dir, built into buf[size] from its end
 * (sys_dir.c). Return the offset where it starts, or -errno. */
long vfs_build_path(struct inode *dir, char *buf, size_t size);

/* Character-device ops (devices.c, tty.c). */
void devices_register(void);
void tty_register(void);
/* /dev/rtc0 and its links (dev_rtc.c), when the HAL has a clock. */
void rtc_dev_init(void);

#define FS_DEBUG 0

/* cwd (reference consumed) and umask of the current process. */
int fs_set_cwd(struct inode *dir);
/* chroot: make dir (reference consumed) the current process's root. */
int fs_set_root(struct inode *dir);
mode_t fs_set_umask(mode_t mask);
