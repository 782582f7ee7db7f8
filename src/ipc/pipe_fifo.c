/*
 * FIFOs (named pipes): mknod(S_IFIFO) makes an inode whose open comes here.
 * All openers of one inode share one pipe_inner, found in a small table
 * keyed by the inode; the entry goes away with the inner's last reference
 * (the open files hold the inode, so the key cannot be reused meanwhile).
 *
 * An anonymous pipe opened again through /proc/PID/fd (p->anon) never
 * waits. Otherwise opening for reading waits for a writer and opening for writing waits for
 * a reader (Linux's rendezvous: until the other side's open counter moves),
 * unless O_NONBLOCK: a read open then succeeds at once, a write open with
 * no reader fails with ENXIO. O_RDWR never waits.
 *
 * Lock order: fifo_lock -> inner->lock. A table entry whose count already
 * reached zero is skipped (ref_get_unless_zero) until its release removes it.
 */
#include <ferrite/errno.h>
#include "pipe_internal.h"

static LIST_HEAD(fifo_table);                           /* Lock: fifo_lock */
static struct spinlock fifo_lock = SPINLOCK_INIT("fifo");

/* Caller holds fifo_lock. Return: a new reference, or NULL. */
static struct pipe_inner *fifo_lookup(struct inode *ino)
{
	struct pipe_inner *p;

	list_for_each_entry(p, &fifo_table, fifo_node)
		if (p->fifo == ino && ref_get_unless_zero(&p->ref))
			return p;
	return NULL;
}

/* Return: a new reference to the inner of ino (made if needed), or NULL. */
static struct pipe_inner *fifo_get_inner(struct inode *ino)
{
	struct pipe_inner *p, *fresh;

	scoped_guard(spinlock, &fifo_lock) {
		p = fifo_lookup(ino);
	}
	if (p)
		return p;
	fresh = pipe_inner_alloc(); /* may sleep: not under fifo_lock */
	if (!fresh)
		return NULL;
	scoped_guard(spinlock, &fifo_lock) {
		p = fifo_lookup(ino); /* another opener may have won */
		if (!p) {
			fresh->fifo = ino;
			list_add_tail(&fresh->fifo_node, &fifo_table);
			return fresh;
		}
	}
	pipe_inner_put(fresh); /* never in the table: no fifo_lock taken */
	return p;
}

void fifo_register(struct pipe_inner *p, struct inode *ino)
{
	guard(spinlock)(&fifo_lock);
	p->fifo = ino;
	p->anon = true;
	list_add_tail(&p->fifo_node, &fifo_table);
}

void fifo_forget(struct pipe_inner *p)
{
	/* p->fifo is written once, before p is published in the table. */
	if (!p->fifo)
		return;
	guard(spinlock)(&fifo_lock);
	list_del(&p->fifo_node);
}

/* The other side's open counter moved away from seen. */
static bool counter_moved(struct pipe_inner *p, const unsigned *counter, unsigned seen)
{
	guard(spinlock)(&p->lock);
	return *counter != seen;
}

/* Undo the counts an interrupted open added. */
static void fifo_open_undo(struct pipe_inner *p, unsigned mode)
{
	scoped_guard(spinlock, &p->lock) {
		if (mode & FMODE_READ)
			p->readers--;
		if (mode & FMODE_WRITE)
			p->writers--;
	}
	wake_up_all(&p->rd_wait);
	wake_up_all(&p->wr_wait);
	pipe_inner_put(p);
}

static int fifo_open(struct inode *ino, struct file *f)
{
	unsigned mode = f->mode & (FMODE_READ | FMODE_WRITE);
	bool nonblock = f->flags & O_NONBLOCK;
	struct pipe_inner *p = fifo_get_inner(ino);
	unsigned partners = 0, seen = 0;
	long err = 0;

	if (!p)
		return -ENOMEM;
	scoped_guard(spinlock, &p->lock) {
		if (mode == FMODE_WRITE && nonblock && !p->readers && !p->anon) {
			err = -ENXIO;
			break;
		}
		if (mode & FMODE_READ) {
			p->readers++;
			p->r_counter++;
		}
		if (mode & FMODE_WRITE) {
			p->writers++;
			p->w_counter++;
		}
		partners = mode == FMODE_READ ? p->writers : p->readers;
		seen = mode == FMODE_READ ? p->w_counter : p->r_counter;
	}
	if (err) {
		pipe_inner_put(p);
		return (int)err;
	}
	/* A sleeping opener on the other side may now go on. */
	wake_up_all(&p->rd_wait);
	wake_up_all(&p->wr_wait);
	if (p->anon)
		; /* a pipe's end, reopened: no rendezvous, as Linux */
	else if (mode == FMODE_READ && !partners && !nonblock)
		err = wait_event_interruptible(&p->rd_wait, counter_moved(p, &p->w_counter, seen));
	else if (mode == FMODE_WRITE && !partners)
		err = wait_event_interruptible(&p->wr_wait, counter_moved(p, &p->r_counter, seen));
	if (err) {
		fifo_open_undo(p, mode);
		return (int)err;
	}
	f->private = p;
	return 0;
}

const struct file_ops fifo_fops = {
	.open = fifo_open,
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
};

void fifo_init(void)
{
	vfs_fifo_ops = &fifo_fops;
}
