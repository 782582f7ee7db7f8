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

void port_msg_free(struct port_msg *m)
{
	if (!m->on_stack)
		kfree(m);
}

void port_msg_free_in(struct port *p, struct port_msg *m)
{
	if (m->on_stack)
		return;
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

/*
 * dst becomes a copy of small message src (both with room for
 * PORT_MSG_SMALL bytes, data 8-byte aligned: copied by whole words, a
 * small payload needs no memcpy call), not linked anywhere.
 */
static void msg_copy_small(struct port_msg *dst, const struct port_msg *src)
{
	const uint64_t *from = (const uint64_t *)src->data;
	uint64_t *to = (uint64_t *)dst->data;

	list_init(&dst->node);
	dst->type = src->type;
	dst->size = src->size;
	dst->sender = src->sender;
	dst->call = src->call;
	dst->token = src->token;
	for (size_t i = 0; i < (src->size + 7) / 8; i++)
		to[i] = from[i];
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

struct port_msg *port_msg_handover_locked(struct port *p, struct port_msg_buf *inbox,
					  struct port_msg *m)
{
	assert_locked(&p->lock);
	if (inbox && m->size <= PORT_MSG_SMALL) {
		inbox->msg.small = false;
		inbox->msg.on_stack = true;
		msg_copy_small(&inbox->msg, m);
		return &inbox->msg;
	}
	return m->on_stack ? msg_to_heap_locked(p, m) : m;
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
		struct port_msg *given;
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
			given = port_msg_handover_locked(p, r->inbox, m);
			if (!given) {
				spin_unlock(&p->lock);
				return -ENOMEM;
			}
			list_del(&r->node);
			list_init(&r->node);
			port_take_locked(p, given);
			if (target) {
				/* Woken late, by the caller's switch to it. */
				task_get(r->task);
				*target = r->task;
			} else {
				sched_wakeup(r->task);
			}
			/* Last access to r (a release store): the receiver may
			 * take the message without p->lock once it sees it. */
			__atomic_store_n(&r->msg, given, __ATOMIC_RELEASE);
			spin_unlock(&p->lock);
			if (given != m)
				port_msg_free(m);
			return 0;
		}
		if (p->nr_msgs < FERRITE_PORT_QUEUE_MAX) {
			bool wake = waitqueue_active(&p->recv_wait);

			given = m->on_stack ? msg_to_heap_locked(p, m) : m;
			if (!given) {
				spin_unlock(&p->lock);
				return -ENOMEM;
			}
			list_add_tail(&given->node, &p->queue);
			p->nr_msgs++;
			if (given->call) {
				given->call->state = PORT_CALL_QUEUED;
				given->call->msg = given;
			}
			port_wake_receivers_locked(p);
			spin_unlock(&p->lock);
			if (wake)
				wake_up_all(&p->recv_wait);
			if (given != m)
				port_msg_free(m);
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

/*
 * Take what is there for receiver r (p->lock held): a message handed to
 * it, EIDRM, or the head of the queue. Return: 1 while there is nothing,
 * else 0 (*out set) or -errno.
 */
static long recv_take_locked(struct port *p, struct port_rcv *r, struct port_msg **out)
{
	struct port_msg *m;

	if (r->msg) {
		*out = r->msg; /* handed to us: ours even if a signal came too */
		return 0;
	}
	if (p->dead)
		return -EIDRM;
	if (list_empty(&p->queue))
		return 1;
	m = list_first_entry(&p->queue, struct port_msg, node);
	if (m->size > r->cap)
		return -EMSGSIZE; /* stays queued */
	list_del(&m->node);
	p->nr_msgs--;
	port_take_locked(p, m);
	*out = m;
	return 0;
}

void port_wake_receivers_locked(struct port *p)
{
	struct port_rcv *r;

	assert_locked(&p->lock);
	list_for_each_entry(r, &p->receivers, node)
		sched_wakeup(r->task);
}

/*
 * A blocked receiver sleeps on p->receivers itself (not on recv_wait,
 * which is for pollers): it marks itself sleeping under p->lock while
 * registered, and whoever hands it a message, queues one or destroys the
 * port does so under p->lock and then wakes it, so no wake-up is lost.
 */
long port_recv_then(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
		    struct task *next, struct port_msg_buf *inbox, struct port_msg **out)
{
	struct port_rcv r = { .task = current, .cap = cap, .msg = NULL, .inbox = inbox };
	struct task *self = current;
	long err = 0;

	list_init(&r.node);
	for (;;) {
		long got;
		bool wake;

		spin_lock(&p->lock);
		if (!list_empty(&r.node)) {
			list_del(&r.node);
			list_init(&r.node);
		}
		wake = waitqueue_active(&p->send_wait);
		got = recv_take_locked(p, &r, out);
		if (got == 1 && !err && !(flags & FERRITE_PORT_NONBLOCK)) {
			list_add_tail(&r.node, &p->receivers);
			WRITE_ONCE(self->state, TASK_INTERRUPTIBLE);
			spin_unlock(&p->lock);
			if (signal_pending_current()) {
				err = -ERESTARTSYS;
			} else if (next && !deadline_ns) {
				/* Fast path: wake the caller and run it now. */
				sched_yield_to(next);
				task_put(next);
				next = NULL;
			} else {
				port_wake_put(&next);
				if (!schedule_timeout(deadline_ns) && deadline_ns)
					err = -ETIMEDOUT;
			}
			WRITE_ONCE(self->state, TASK_RUNNING);
			if (__atomic_load_n(&r.msg, __ATOMIC_ACQUIRE)) {
				/* Handed over while we slept: the giver is done
				 * with r (port_enqueue), no need for p->lock. */
				port_wake_put(&next);
				*out = r.msg;
				return 0;
			}
			continue;
		}
		spin_unlock(&p->lock);
		port_wake_put(&next);
		if (got == 1)
			return err ? err : -EAGAIN;
		/* A message left the queue (not one handed over): room for a sender. */
		if (!got && !r.msg && wake)
			wake_up_all(&p->send_wait);
		return got;
	}
}

long port_recv(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
	       struct port_msg **out)
{
	return port_recv_then(p, cap, flags, deadline_ns, NULL, NULL, out);
}
