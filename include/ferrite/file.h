/*
 * Open files, file descriptor tables and per-process fs context. Owned by
 * src/fs. The struct file / inode internals live in include/ferrite/vfs.h.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/cleanup.h>

struct file;
struct inode;

/* Open path (relative to current cwd unless absolute) with open(2) flags.
 * Return: new reference or ERR_PTR(-errno). */
struct file *vfs_open(const char *path, int flags, mode_t mode);
/* Read from a file into kernel memory at offset off (does not move f->pos). */
ssize_t kernel_read(struct file *f, void *buf, size_t n, off_t off);
void file_get(struct file *f);
void file_put(struct file *f);
/* True when the file may be executed by the current process (regular + x). */
bool file_is_executable(struct file *f);

/* Slots of a descriptor table: the ceiling of RLIMIT_NOFILE (Linux's
 * fs.nr_open). */
#define NR_OPEN_MAX 1024

/* fd tables (shared by CLONE_FILES). */
struct fd_table *fd_table_create(void);
/* Return: a copy with every open file referenced again (fork). */
struct fd_table *fd_table_clone(struct fd_table *t);
void fd_table_get(struct fd_table *t);
void fd_table_put(struct fd_table *t);
/* execve: close the descriptors marked FD_CLOEXEC. */
void fd_table_close_on_exec(struct fd_table *t);
/* Install f (reference consumed) at the lowest free fd below the
 * RLIMIT_NOFILE soft limit; return fd or -EMFILE. */
int fd_install(struct file *f, int flags /* O_CLOEXEC */);
/* Close fd of the current process. 0 or -EBADF. */
int fd_close(int fd);
/*
 * For calls that must tell user space their descriptors before the files
 * are visible (pipe2: the numbers are copied out first, so a fault leaves
 * nothing to undo, and no other thread can meet a half-made pair):
 * fd_reserve takes the lowest free number (or -EMFILE), fd_install_reserved
 * fills it (f consumed), fd_unreserve gives it back.
 */
int fd_reserve(void);
void fd_install_reserved(int fd, struct file *f, int flags);
void fd_unreserve(int fd);

/*
 * Return: new reference to the file at fd of the current process, or NULL
 * (Linux's fdget): an O_PATH descriptor counts as none, so every call that
 * reads, writes, polls or otherwise uses the object answers EBADF.
 */
struct file *fd_get(int fd);
/* As fd_get, O_PATH descriptors included (fdget_raw): for the calls that
 * use only the descriptor or its inode (dup, fcntl, fstat, fchdir, dirfd). */
struct file *fd_get_raw(int fd);
/*
 * A descriptor looked up for the length of one system call (Linux's fdget):
 * no reference is taken while the fd table cannot change under the caller
 * (the table is not shared with another process and the caller's process
 * has one thread: only the caller could close the fd). counted tells
 * whether fd_put_light must drop a reference.
 */
struct fd_ref {
	struct file *file; /* NULL: no such descriptor */
	bool counted;
};
struct fd_ref fd_get_light(int fd);
static inline void fd_put_light(struct fd_ref r)
{
	if (r.counted)
		file_put(r.file);
}
DEFINE_FREE(fd_put_light, struct fd_ref, fd_put_light(_T))

/* cwd and umask (shared by CLONE_FS). */
struct fs_context *fs_context_create(void);
struct fs_context *fs_context_clone(struct fs_context *fs);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);

/* Boot: mount the root in-memory fs, unpack an initramfs (cpio newc,
 * optionally gzip), create /dev nodes. */
void vfs_init(void);
int initramfs_unpack(const void *data, size_t len);
void console_init(void);
/* After drivers_init: block device node ops, /dev/vdX for every disk. */
void blkdev_files_init(void);
/* Counts for leak checks. */
size_t files_count_live(void);
