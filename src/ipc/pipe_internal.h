/*
 * Private to src/ipc/pipe*.c: the object shared by the ends of one pipe
 * (or all openers of one FIFO).
 *
 * Locks: inner->lock (spinlock) guards the ring indices and the counts
 * below. It is a leaf lock and never held across user copies, allocation
 * or sleeping; the wait queues have their own locks. A FIFO's inner is
 * also reachable from the FIFO table (pipe_fifo.c, fifo_lock ->
 * inner->lock).
 * User memory is copied straight to and from the ring, outside inner->lock:
 * rd_mutex makes one reader at a time the owner of the bytes held (it
 * copies them out, then consumes them under inner->lock), wr_mutex one
 * writer at a time the owner of the free space (it fills it, then
 * publishes the bytes under inner->lock). The two regions never overlap,
 * so a reader and a writer copy at the same time. Neither mutex is held
 * while waiting for data or room. Resizing the ring (buf, cap) takes
 * both. Order: rd_mutex -> wr_mutex -> inner->lock.
 *
 * Invariant: 0 <= len <= cap, cap is a power of two >= PAGE_SIZE, and the
 * bytes held are buf[(head + i) & (cap - 1)] for i < len.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/ref.h>
#include <ferrite/spinlock.h>
#include <ferrite/mutex.h>
#include <ferrite/list.h>
#include <ferrite/waitqueue.h>
#include <ferrite/vfs.h>
#include <ferrite/pipe.h>

struct pipe_inner {
	struct ref ref;          /* one per open end (struct file) */
	struct spinlock lock;
	struct mutex rd_mutex;   /* one reader copying out at a time */
	struct mutex wr_mutex;   /* one writer copying in at a time */
	char *buf;               /* Lock: lock + rd_mutex + wr_mutex to change;
				    kmalloc'd, cap bytes */
	size_t cap;              /* Lock: as buf */
	size_t head;             /* Lock: lock; index of the oldest byte */
	size_t len;              /* Lock: lock; bytes held */
	unsigned readers;        /* Lock: lock; open read ends */
	unsigned writers;        /* Lock: lock; open write ends */
	unsigned r_counter;      /* Lock: lock; read opens ever (FIFO rendezvous) */
	unsigned w_counter;      /* Lock: lock; write opens ever */
	struct waitqueue rd_wait; /* readers wait for data / a writer to open */
	struct waitqueue wr_wait; /* writers wait for room / a reader to open */
	struct inode *fifo;      /* FIFO inode (borrowed) or NULL; Lock: fifo_lock */
	/* An anonymous pipe reachable through /proc/PID/fd (fifo_register):
	 * its opens never wait for a partner (Linux's is_pipe). Set once
	 * before it is published. */
	bool anon;
	struct list_head fifo_node; /* in the FIFO table; Lock: fifo_lock */
};

/* Return: a new inner (refcount 1, no readers or writers) or NULL. */
struct pipe_inner *pipe_inner_alloc(void);
void pipe_inner_put(struct pipe_inner *p);

/* Read/write/poll/release shared by anonymous pipes and FIFOs. */
ssize_t pipe_read(struct file *f, const struct iobuf *buf, off_t *pos);
ssize_t pipe_write(struct file *f, const struct iobuf *buf, off_t *pos);
unsigned pipe_poll(struct file *f, struct poll_table *pt);
long pipe_ioctl(struct file *f, unsigned cmd, unsigned long arg);
void pipe_release(struct file *f);

/* Remove p from the FIFO table (pipe_fifo.c); called on the last put. */
void fifo_forget(struct pipe_inner *p);
/* An anonymous pipe joins the FIFO table under its pipefs inode, so an
 * open of that inode (/proc/PID/fd/N) finds it as a FIFO's would. */
void fifo_register(struct pipe_inner *p, struct inode *ino);

extern const struct file_ops pipe_fops;
extern const struct file_ops fifo_fops;
