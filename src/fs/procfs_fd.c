/*
 * /proc/PID/fd and /proc/PID/fdinfo contents: which descriptors a
 * process has open, what each names (readlink: the path it was opened by,
 * "pipe:[ino]", "socket:[ino]", "anon_inode:[eventfd]"...), and the
 * fdinfo text (pos, flags, mnt_id, ino). procfs.c makes the directories
 * and inodes; opening /proc/PID/fd/N follows the link to the file's own
 * inode (a pipe reopens as its FIFO), as Linux's magic links do.
 * Locking: p->files is taken with a reference under p->lock (exit and
 * unshare swap it under that lock); each file with a reference under the
 * table's lock (fdtable.c). Nothing is held while formatting.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/pipe.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include "fs_internal.h"

/* Return: a new reference to pid's descriptor table, or NULL. */
static struct fd_table *pid_files_get(pid_t pid)
{
	struct process *p = process_find(pid);
	struct fd_table *t = NULL;

	if (!p)
		return NULL;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		t = p->files;
		if (t)
			fd_table_get(t);
	}
	process_put(p);
	return t;
}

struct file *procfs_fd_file(pid_t pid, int fd)
{
	struct fd_table *t = pid_files_get(pid);
	struct file *f;

	if (!t)
		return NULL;
	f = fd_table_file(t, fd);
	fd_table_put(t);
	return f;
}

int procfs_fd_next(pid_t pid, int from)
{
	struct fd_table *t = pid_files_get(pid);
	int fd;

	if (!t)
		return -1;
	fd = fd_table_next_open(t, from);
	fd_table_put(t);
	return fd;
}

/* The link text of f into buf[size] (not NUL-terminated). */
ssize_t procfs_fd_describe(struct file *f, char *buf, size_t size)
{
	struct inode *ino = f->inode;
	__free(kfree) char *tmp = kmalloc(PATH_MAX);
	size_t n;

	if (!tmp)
		return -ENOMEM;
	if (f->path && f->path_base) {
		long start = vfs_build_path(f->path_base, tmp, PATH_MAX);
		if (start < 0)
			return start;
		/* tmp + start is "/dir" (or "/") with its NUL at the end. */
		n = PATH_MAX - 1 - (size_t)start;
		memmove(tmp, tmp + start, n);
		if (n > 1)
			tmp[n++] = '/';
		else
			n = 1;
		strlcpy(tmp + n, f->path, PATH_MAX - n);
		n = strlen(tmp);
	} else if (f->path) {
		n = strlcpy(tmp, f->path, PATH_MAX);
		n = MIN(n, (size_t)PATH_MAX - 1);
	} else if (file_is_pipe(f)) {
		n = (size_t)ksnprintf(tmp, PATH_MAX, "pipe:[%lu]", (unsigned long)ino->ino);
	} else if (S_ISSOCK(ino->mode)) {
		n = (size_t)ksnprintf(tmp, PATH_MAX, "socket:[%lu]", (unsigned long)ino->ino);
	} else if (f->ops && f->ops->anon_name) {
		n = (size_t)ksnprintf(tmp, PATH_MAX, "anon_inode:%s", f->ops->anon_name);
	} else {
		n = (size_t)ksnprintf(tmp, PATH_MAX, "anon_inode:[%lu]", (unsigned long)ino->ino);
	}
	n = MIN(n, size);
	memcpy(buf, tmp, n);
	return (ssize_t)n;
}

int procfs_show_fdinfo(struct pbuf *b, pid_t pid, int fd)
{
	struct file *f = procfs_fd_file(pid, fd);
	off_t pos;
	int flags;

	if (!f)
		return -ENOENT;
	scoped_guard(spinlock, &f->lock) {
		pos = f->pos;
		flags = f->flags;
	}
	/* Linux prints the access mode in the flags, and O_CLOEXEC. */
	flags &= ~O_ACCMODE;
	if ((f->mode & FMODE_READ) && (f->mode & FMODE_WRITE))
		flags |= O_RDWR;
	else if (f->mode & FMODE_WRITE)
		flags |= O_WRONLY;
	pbuf_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t0\nino:\t%lu\n", (long long)pos,
		    (unsigned)flags, (unsigned long)f->inode->ino);
	file_put(f);
	return 0;
}
