/*
 * Message ports as files: the receive right (FMODE_READ | FMODE_WRITE: it
 * receives, replies, destroys, and may send to itself) and send rights
 * (FMODE_WRITE). Each file holds one port reference; releasing the
 * receive-right file destroys the port.
 *
 * poll: POLLIN on the receive right while a message is queued, POLLOUT on
 * either while there is room, POLLHUP | POLLERR once the port is dead.
 * Locking: only port->lock, briefly, after poll_wait() registration.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/poll.h>
#include <ferrite/port.h>
#include <ferrite/vfs.h>
#include "port_internal.h"

static unsigned port_poll(struct file *f, struct poll_table *pt)
{
	struct port *p = f->private;
	unsigned mask = 0;

	/* Register before testing, so a change in between still wakes us. */
	if (f->mode & FMODE_READ)
		poll_wait(&p->recv_wait, pt);
	poll_wait(&p->send_wait, pt);
	guard(spinlock)(&p->lock);
	if (p->dead)
		return POLLHUP | POLLERR;
	if ((f->mode & FMODE_READ) && !list_empty(&p->queue))
		mask |= POLLIN | POLLRDNORM;
	if (p->nr_msgs < FERRITE_PORT_QUEUE_MAX)
		mask |= POLLOUT | POLLWRNORM;
	return mask;
}

static void port_file_release(struct file *f)
{
	struct port *p = f->private;

	if (f->mode & FMODE_READ)
		port_destroy(p);
	f->private = NULL;
	port_put(p);
}

const struct file_ops port_fops = {
	.poll = port_poll,
	.release = port_file_release,
};

int port_fd_install(struct port *p, bool recv, unsigned flags)
{
	struct file *f = file_alloc(NULL, &port_fops, recv ? O_RDWR : O_WRONLY);

	if (IS_ERR(f)) {
		if (recv)
			port_destroy(p);
		port_put(p);
		return (int)PTR_ERR(f);
	}
	f->private = p; /* released with the file from now on */
	return fd_install(f, (flags & FERRITE_PORT_CLOEXEC) ? O_CLOEXEC : 0);
}
