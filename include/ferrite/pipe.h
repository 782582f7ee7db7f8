/*
 * Pipes and FIFOs (src/ipc/pipe*.c), with Linux's semantics (man 7 pipe).
 *
 * A pipe is two struct files (read end, write end) sharing one refcounted
 * struct pipe_inner (private to src/ipc). All openers of one FIFO inode
 * share one pipe_inner too. The inner's lock is a leaf lock: nothing else
 * is taken while it is held, and user memory is never touched under it.
 */
#pragma once
#include <ferrite/types.h>

struct file;

#define PIPE_BUF 4096              /* writes up to this size are atomic */
#define PIPE_DEF_SIZE (64 * 1024)  /* default ring size */
#define PIPE_MAX_SIZE (1024 * 1024) /* F_SETPIPE_SZ upper bound */

/*
 * Create an anonymous pipe. flags: O_NONBLOCK and/or O_CLOEXEC (the latter
 * is only checked here; the caller applies it to the descriptors).
 * Return: 0 with *rd and *wr new file references, or -EINVAL/-ENOMEM.
 */
int pipe_create(int flags, struct file **rd, struct file **wr);

/* fcntl F_GETPIPE_SZ / F_SETPIPE_SZ on f. Return the (new) ring size in
 * bytes, or -EBADF (not a pipe), -EINVAL, -EPERM (> PIPE_MAX_SIZE),
 * -EBUSY (the content does not fit), -ENOMEM. */
long pipe_fcntl(struct file *f, int cmd, unsigned long arg);

/* True when f is an end of a pipe or an open FIFO. */
bool file_is_pipe(const struct file *f);

/* Live struct pipe_inner objects (leak checks). */
size_t pipes_count_live(void);

/* Install the FIFO open hook in the VFS (vfs_fifo_ops). Called at boot. */
void fifo_init(void);
