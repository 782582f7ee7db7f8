/*
 * Message ports: call, reply and reply_recv, with the direct-switch fast
 * path.
 *
 * A caller's struct port_call lives on its kernel stack for the whole
 * call. Its state moves under port->lock: QUEUED (the request waits in the
 * queue) -> RECEIVED (a receiver holds the one-shot reply right, c->token,
 * and c is on port->calls) -> DONE (replied, right dropped: -EPIPE, or port
 * destroyed while queued: -EIDRM). The caller sleeps only after seeing c
 * not DONE under port->lock and only leaves after seeing DONE (or
 * unlinking c itself) under port->lock, so c is never touched after it is
 * gone. Whoever makes it DONE wakes the caller: while still holding
 * port->lock (port_call_finish_locked), or, for a reply, after dropping it
 * with a task reference taken under it (reply_deliver, then
 * sched_yield_to or port_wake_put). A caller that gives up (signal,
 * timeout) withdraws its request or its reply right, so a later reply
 * gets -ENOENT.
 *
 * Fast path (seL4 style, docs/ports.md): each step is a guard; when one
 * does not hold, the slow path (wake up + ordinary schedule) is taken.
 * The queue's send and receive loops (port_enqueue, port_recv_then; their
 * locking is described in port_msg.c) live here too, so that call and
 * reply_recv compile to one function each with them inline.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/port.h>
#include <ferrite/task.h>
#include "port_internal.h"

/*
 * Make c DONE (p->lock held) without waking its caller yet. Setting the
 * state is the last access to c (a release store): a woken caller that
 * sees DONE may leave without taking p->lock (call_wait_locked), so c and
 * the caller's task must not be touched after it.
 */
static __always_inline void call_done_locked(struct port *p, struct port_call *c,
					     int error, struct port_msg *reply)
{
	assert_locked(&p->lock);
	c->error = error;
	c->reply = reply;
	c->msg = NULL;
	__atomic_store_n(&c->state, PORT_CALL_DONE, __ATOMIC_RELEASE);
}

void port_call_finish_locked(struct port *p, struct port_call *c, int error,
			     struct port_msg *reply)
{
	/* Wake first: the caller is alive until it sees DONE. Woken early,
	 * it blocks on p->lock (held here) before it looks at c again. */
	sched_wakeup(c->caller);
	call_done_locked(p, c, error, reply);
}

/* call_wait_locked's result: c is DONE and p->lock is NOT held. */
#define CALL_DONE_UNLOCKED 1

/*
 * Sleep until c is DONE, the deadline passes or a signal comes; return
 * with p->lock held (0, -EINTR or -ETIMEDOUT), or CALL_DONE_UNLOCKED when
 * woken with c DONE (an acquire load: its finisher is done with c and our
 * task, call_done_locked), without taking the lock. *target, when not NULL, is
 * the receiver the request was handed to, not woken yet (reference): run
 * on the fast path and dropped here, else left for the caller to wake
 * after dropping p->lock (port_wake_put).
 *
 * No lost wake-up: the caller marks itself sleeping under p->lock only
 * while c is not DONE, and whoever makes c DONE does it under p->lock and
 * then wakes the caller (port_call_finish_locked, or the replier's
 * sched_yield_to after reply_deliver).
 */
static __always_inline long call_wait_locked(struct port *p, struct port_call *c, struct task **target,
			     uint64_t deadline_ns)
{
	struct task *self = current;
	long err = 0;

	for (;;) {
		spin_lock(&p->lock);
		if (c->state == PORT_CALL_DONE || err)
			break; /* lock held */
		WRITE_ONCE(self->state, TASK_INTERRUPTIBLE);
		spin_unlock(&p->lock);
		if (port_signal_pending(self)) {
			err = -EINTR; /* the request may have been seen: no restart */
		} else if (*target && !deadline_ns) {
			/* Fast path: the receiver got our request while we
			 * hold the CPU; wake it and run it now instead of
			 * whatever is queued (a timed call sleeps the
			 * ordinary way). */
			sched_yield_to(*target);
			task_put(*target);
			*target = NULL;
		} else {
			port_wake_put(target);
			if (!schedule_timeout(deadline_ns) && deadline_ns)
				err = -ETIMEDOUT;
		}
		WRITE_ONCE(self->state, TASK_RUNNING);
		if (__atomic_load_n(&c->state, __ATOMIC_ACQUIRE) == PORT_CALL_DONE)
			return CALL_DONE_UNLOCKED; /* the fast path's return */
	}
	return err;
}

/* ---- send and receive (port_enqueue, port_recv_then), here to be inline
 * in call and reply_recv; their protocol is described in port_msg.c ---- */

static bool port_has_room(struct port *p)
{
	guard(spinlock)(&p->lock);
	return p->nr_msgs < FERRITE_PORT_QUEUE_MAX || p->dead;
}

/* port_enqueue (its contract: port_internal.h), inline in call. */
static __always_inline long enqueue(struct port *p, struct port_msg *m, unsigned flags,
				    uint64_t deadline_ns, struct task **target)
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

			given = port_msg_handover_big_locked(p, m); /* a heap copy when on a stack */
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

long port_enqueue(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns,
		  struct task **target)
{
	return enqueue(p, m, flags, deadline_ns, target);
}

/*
 * Take what is there for receiver r (p->lock held): a message handed to
 * it, EIDRM, or the head of the queue. Return: 1 while there is nothing,
 * else 0 (*out set) or -errno.
 */
static __always_inline long recv_take_locked(struct port *p, struct port_rcv *r, struct port_msg **out)
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

/*
 * A blocked receiver sleeps on p->receivers itself (not on recv_wait,
 * which is for pollers): it marks itself sleeping under p->lock while
 * registered, and whoever hands it a message, queues one or destroys the
 * port does so under p->lock and then wakes it, so no wake-up is lost.
 * Inline in reply_recv.
 */
static __always_inline long recv_then(struct port *p, size_t cap, unsigned flags,
				      uint64_t deadline_ns, struct task *next,
				      struct port_msg_buf *inbox, struct port_msg **out)
{
	struct port_rcv r; /* field by field: no zeroing of the whole */
	struct task *self = current;
	long err = 0;

	r.task = self;
	r.cap = cap;
	r.msg = NULL;
	r.inbox = inbox;
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
			if (port_signal_pending(self)) {
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

long port_recv_then(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
		    struct task *next, struct port_msg_buf *inbox, struct port_msg **out)
{
	return recv_then(p, cap, flags, deadline_ns, next, inbox, out);
}

/* ---- call and reply ---- */

long port_call(struct port *p, struct port_msg *req, size_t reply_cap, unsigned flags,
	       uint64_t deadline_ns, struct port_msg **reply)
{
	return port_call_into(p, req, reply_cap, flags, deadline_ns, NULL, reply);
}

long port_call_into(struct port *p, struct port_msg *req, size_t reply_cap, unsigned flags,
		    uint64_t deadline_ns, struct port_msg_buf *inbox, struct port_msg **reply)
{
	struct port_call c; /* field by field: error, reply and token are
			     * written before they are read (DONE, taken) */
	struct port_msg *withdrawn = NULL;
	struct task *target = NULL;
	long err;

	c.caller = current;
	c.state = PORT_CALL_QUEUED;
	c.msg = NULL;
	c.reply_cap = reply_cap;
	c.inbox = inbox;
	list_init(&c.node);
	req->call = &c;
	err = enqueue(p, req, flags, deadline_ns, &target);
	if (err) {
		port_msg_free(req);
		return err;
	}
	err = call_wait_locked(p, &c, &target, deadline_ns);
	if (err == CALL_DONE_UNLOCKED) {
		/* Woken with the outcome. */
		port_wake_put(&target); /* not run: a signal came first */
		err = c.error;
		if (!err)
			*reply = c.reply;
		return err;
	}
	switch (c.state) {
	case PORT_CALL_DONE:
		/* Finished: the outcome wins over a late signal. */
		err = c.error;
		if (!err)
			*reply = c.reply;
		break;
	case PORT_CALL_QUEUED:
		withdrawn = c.msg;
		list_del(&withdrawn->node);
		p->nr_msgs--;
		break;
	case PORT_CALL_RECEIVED:
		list_del(&c.node); /* the reply right dies with us */
		break;
	}
	spin_unlock(&p->lock);
	port_wake_put(&target); /* when not run on the fast path */
	if (withdrawn) {
		port_msg_free(withdrawn);
		wake_up_all(&p->send_wait);
	}
	return err;
}

/* Return: the received call holding reply right token, or NULL (p->lock held). */
static __always_inline struct port_call *find_call_locked(struct port *p, unsigned long token)
{
	struct port_call *c;

	list_for_each_entry(c, &p->calls, node)
		if (c->token == token)
			return c;
	return NULL;
}

/*
 * Use the reply right token with m (consumed on success, copied into the
 * caller's inbox when small): make its call DONE. The caller is returned
 * with a new reference in *caller, not woken yet (sched_yield_to or
 * port_wake_put must). Return: 0, -ENOENT, -EMSGSIZE
 * (the right stays usable), -EIDRM or -ENOMEM.
 */
static __always_inline long reply_deliver(struct port *p, unsigned long token, struct port_msg *m,
			  struct task **caller)
{
	struct port_msg *given = NULL;
	struct port_call *c;

	scoped_guard(spinlock, &p->lock) {
		if (p->dead)
			return -EIDRM;
		c = find_call_locked(p, token);
		if (!c)
			return -ENOENT;
		if (m->size > c->reply_cap)
			return -EMSGSIZE;
		given = port_msg_handover_locked(p, c->inbox, m);
		if (!given)
			return -ENOMEM;
		list_del(&c->node);
		list_init(&c->node);
		*caller = c->caller;
		task_get(*caller);
		call_done_locked(p, c, 0, given); /* woken late, by the replier */
	}
	if (given != m)
		port_msg_free(m);
	return 0;
}

long port_reply(struct port *p, unsigned long token, struct port_msg *m)
{
	struct task *caller;
	long err = reply_deliver(p, token, m, &caller);

	if (err) {
		port_msg_free(m);
		return err;
	}
	/* Fast path: the caller we just woke runs next on this CPU. */
	sched_yield_to(caller);
	task_put(caller);
	return 0;
}

long port_reply_recv(struct port *p, unsigned long token, struct port_msg *m, size_t cap,
		     unsigned flags, uint64_t deadline_ns, struct port_msg_buf *inbox,
		     struct port_msg **out)
{
	struct task *caller = NULL;

	if (token) {
		long err = reply_deliver(p, token, m, &caller);

		if (err) {
			port_msg_free(m);
			return err;
		}
	} else if (m) {
		port_msg_free(m);
	}
	/* Fast path: when nothing is queued we sleep in recv and the caller
	 * just woken runs next, one switch for both halves. */
	long err = recv_then(p, cap, flags, deadline_ns, caller, inbox, out);

	/* A restart would reply again with a used right: after a reply, a
	 * signal ends the call with -EINTR. */
	if (token && err == -ERESTARTSYS)
		err = -EINTR;
	return err;
}

void port_drop_reply(struct port *p, unsigned long token)
{
	struct port_call *c;

	guard(spinlock)(&p->lock);
	c = find_call_locked(p, token);
	if (c) {
		list_del(&c->node);
		list_init(&c->node);
		port_call_finish_locked(p, c, -EPIPE, NULL);
	}
}
