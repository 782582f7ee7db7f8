/*
 * Message ports: messages, the queue, send and receive.
 *
 * Locking: the queue, nr_msgs, the blocked receivers (struct port_rcv on
 * their kernel stacks) and the call states change under port->lock. A
 * sleeper waits with wait_event_timeout_interruptible whose condition takes
 * port->lock; every change that can make a condition true is made under
 * port->lock and followed by a wake-up of the queue (or, for a hand-off to
 * a blocked receiver, a direct sched_wakeup of it), so no wake-up is lost.
 * The queue wake-up is skipped when the queue had no waiter at the time of
 * the change: sampled under port->lock, which every sleeper and poller
 * takes to test its condition after queueing itself, so a waiter is either
 * seen there or sees the change.
 *
 * Hand-off: when a receiver is already blocked and nothing is queued, a
 * sender gives its message straight to that receiver (it never enters the
 * queue), and port_call then switches straight to it (port_call.c).
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/port.h>
#include <ferrite/task.h>
#include "port_internal.h"

/*
 * Small messages (the common call/reply case) are recycled through a few
 * spares kept in the port (p->spare, under p->lock) instead of kmalloc:
 * each is allocated with room for PORT_MSG_SMALL bytes and marked small.
 * The spares die with the port (port_msg_spares_free).
 */
#define PORT_MSG_SMALL 64

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
	list_init(&m->node);
	m->type = 0;
	m->size = size;
	m->sender = current->proc->pid;
	m->call = NULL;
	m->token = 0;
	return m;
}

void port_msg_free(struct port_msg *m)
{
	kfree(m);
}

struct port_msg *port_msg_alloc_in(struct port *p, size_t size)
{
	struct port_msg *m = NULL;

	if (size <= PORT_MSG_SMALL) {
		spin_lock(&p->lock);
		if (p->nr_spare)
			m = p->spare[--p->nr_spare];
		spin_unlock(&p->lock);
	}
	if (!m)
		return port_msg_alloc(size);
	list_init(&m->node);
	m->type = 0;
	m->size = size;
	m->sender = current->proc->pid;
	m->call = NULL;
	m->token = 0;
	return m;
}

void port_msg_free_in(struct port *p, struct port_msg *m)
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

/* The message leaves the queue for a receiver: a call's reply right is
 * born now (caller holds p->lock). */
void port_take_locked(struct port *p, struct port_msg *m)
{
	struct port_call *c = m->call;

	assert_locked(&p->lock);
	if (!c)
		return;
	c->state = PORT_CALL_RECEIVED;
	c->msg = NULL;
	c->token = m->token = p->next_token++;
	list_add_tail(&c->node, &p->calls);
	m->call = NULL;
}

static bool port_has_room(struct port *p)
{
	guard(spinlock)(&p->lock);
	return p->nr_msgs < FERRITE_PORT_QUEUE_MAX || p->dead;
}

long port_enqueue(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns,
		  struct task **target)
{
	for (;;) {
		struct port_rcv *r;
		long err;

		spin_lock(&p->lock);
		if (p->dead) {
			spin_unlock(&p->lock);
			return -EIDRM;
		}
		/* Hand-off: a receiver waits, nothing is queued ahead of us
		 * (FIFO order), and the message fits its buffer. */
		r = list_empty(&p->receivers) ? NULL
			: list_first_entry(&p->receivers, struct port_rcv, node);
		if (r && list_empty(&p->queue) && m->size <= r->cap) {
			list_del(&r->node);
			list_init(&r->node);
			port_take_locked(p, m);
			r->msg = m;
			sched_wakeup(r->task);
			if (target) {
				task_get(r->task);
				*target = r->task;
			}
			spin_unlock(&p->lock);
			return 0;
		}
		if (p->nr_msgs < FERRITE_PORT_QUEUE_MAX) {
			bool wake = waitqueue_active(&p->recv_wait);

			list_add_tail(&m->node, &p->queue);
			p->nr_msgs++;
			if (m->call) {
				m->call->state = PORT_CALL_QUEUED;
				m->call->msg = m;
			}
			spin_unlock(&p->lock);
			if (wake)
				wake_up_all(&p->recv_wait);
			return 0;
		}
		spin_unlock(&p->lock);
		if (flags & FERRITE_PORT_NONBLOCK)
			return -EAGAIN;
		err = wait_event_timeout_interruptible(&p->send_wait, port_has_room(p), deadline_ns);
		if (err)
			return err;
	}
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

static bool port_recv_ready(struct port *p, struct port_rcv *r)
{
	guard(spinlock)(&p->lock);
	return r->msg || p->dead || !list_empty(&p->queue);
}

long port_recv(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
	       struct port_msg **out)
{
	struct port_rcv r = { .task = current, .cap = cap, .msg = NULL };
	long err = 0;

	list_init(&r.node);
	for (;;) {
		struct port_msg *m;

		spin_lock(&p->lock);
		if (!list_empty(&r.node)) {
			list_del(&r.node);
			list_init(&r.node);
		}
		if (r.msg) {
			/* Handed to us: ours even if a signal came too. */
			spin_unlock(&p->lock);
			*out = r.msg;
			return 0;
		}
		if (p->dead) {
			spin_unlock(&p->lock);
			return -EIDRM;
		}
		if (!list_empty(&p->queue)) {
			m = list_first_entry(&p->queue, struct port_msg, node);
			if (m->size > cap) {
				spin_unlock(&p->lock);
				return -EMSGSIZE;
			}
			bool wake = waitqueue_active(&p->send_wait);

			list_del(&m->node);
			p->nr_msgs--;
			port_take_locked(p, m);
			spin_unlock(&p->lock);
			if (wake)
				wake_up_all(&p->send_wait);
			*out = m;
			return 0;
		}
		if (err || (flags & FERRITE_PORT_NONBLOCK)) {
			spin_unlock(&p->lock);
			return err ? err : -EAGAIN;
		}
		list_add_tail(&r.node, &p->receivers);
		spin_unlock(&p->lock);
		err = wait_event_timeout_interruptible(&p->recv_wait, port_recv_ready(p, &r), deadline_ns);
	}
}
