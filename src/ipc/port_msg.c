/*
 * Message ports: messages, the queue, send and receive.
 *
 * Locking: the queue, nr_msgs, the blocked receivers (struct port_rcv on
 * their kernel stacks) and the call states change under port->lock. A
 * blocked receiver sleeps registered on p->receivers, marking itself
 * sleeping under port->lock; whoever hands it a message, queues one or
 * destroys the port does so under port->lock and then wakes it
 * (sched_wakeup), so no wake-up is lost. Senders waiting for room and
 * pollers use the wait queues (wait_event_timeout_interruptible, whose
 * condition takes port->lock); a queue's wake-up is skipped when it had no
 * waiter at the time of the change: sampled under port->lock, which every
 * sleeper and poller takes to test its condition after queueing itself,
 * so a waiter is either seen there or sees the change.
 *
 * Hand-off: when a receiver is already blocked and nothing is queued, a
 * sender gives its message straight to that receiver (it never enters the
 * queue): a small one is copied into the receiver's inbox, no allocation.
 * Setting r->msg (a release store, under p->lock) is the giver's last
 * access to r and comes after its wake-up: a woken receiver that sees it
 * (an acquire load) takes the message without p->lock.
 * port_call and reply_recv then switch straight to it (port_call.c).
 * The send and receive loops themselves (port_enqueue, port_recv_then)
 * are in port_call.c, where they are inline in call and reply_recv;
 * this file keeps the messages and the plain send and receive.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/port.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include "port_internal.h"

/*
 * Small messages (the common call/reply case) travel without allocation:
 * the syscall stages them on its stack (port_msg_stage) and a blocked
 * receiver or caller offers an inbox on its stack, into which the message
 * is copied under p->lock (port_msg_handover_locked). A small message that
 * must be queued is copied into one of a few spares kept in the port
 * (p->spare, under p->lock, each with room for PORT_MSG_SMALL bytes and
 * marked small) instead of kmalloc; the spares die with the port
 * (port_msg_spares_free).
 */
static void msg_init(struct port_msg *m, size_t size)
{
	list_init(&m->node);
	m->type = 0;
	m->size = size;
	m->sender = current->proc->pid;
	m->call = NULL;
	m->token = 0;
}

struct port_msg *port_msg_alloc(size_t size)
{
	bool small = size <= PORT_MSG_SMALL;
	struct port_msg *m;

	if (size > FERRITE_PORT_MSG_MAX)
		return NULL;
	m = kmalloc(sizeof(*m) + (small ? PORT_MSG_SMALL : size));
	if (!m)
		return NULL;
	m->small = small;
	m->on_stack = false;
	msg_init(m, size);
	return m;
}

void port_msg_recycle(struct port *p, struct port_msg *m)
{
	if (m->small) {
		spin_lock(&p->lock);
		if (!p->dead && p->nr_spare < PORT_MSG_SPARES) {
			p->spare[p->nr_spare++] = m;
			m = NULL;
		}
		spin_unlock(&p->lock);
	}
	kfree(m);
}

void port_msg_spares_free(struct port *p)
{
	while (p->nr_spare)
		kfree(p->spare[--p->nr_spare]);
}

/* A heap copy of stack message m, which is small (p->lock held; a spare
 * when there is one). */
static struct port_msg *msg_to_heap_locked(struct port *p, struct port_msg *m)
{
	struct port_msg *h;

	if (p->nr_spare) {
		h = p->spare[--p->nr_spare];
	} else {
		h = port_msg_alloc(m->size);
		if (!h)
			return NULL;
	}
	msg_copy_small(h, m);
	return h;
}

struct port_msg *port_msg_handover_big_locked(struct port *p, struct port_msg *m)
{
	assert_locked(&p->lock);
	return m->on_stack ? msg_to_heap_locked(p, m) : m;
}

long port_send(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns)
{
	long err;

	m->call = NULL;
	err = port_enqueue(p, m, flags, deadline_ns, NULL);
	if (err)
		port_msg_free(m);
	return err;
}

void port_wake_receivers_locked(struct port *p)
{
	struct port_rcv *r;

	assert_locked(&p->lock);
	list_for_each_entry(r, &p->receivers, node)
		sched_wakeup(r->task);
}

long port_recv(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
	       struct port_msg **out)
{
	return port_recv_then(p, cap, flags, deadline_ns, NULL, NULL, out);
}
