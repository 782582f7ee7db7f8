/*
 * Message ports: call and reply, with the direct-switch fast path.
 *
 * A caller's struct port_call lives on its kernel stack for the whole
 * call. Its state moves under port->lock: QUEUED (the request waits in the
 * queue) -> RECEIVED (a receiver holds the one-shot reply right, c->token,
 * and c is on port->calls) -> DONE (replied, right dropped: -EPIPE, or port
 * destroyed while queued: -EIDRM). Whoever makes it DONE wakes the caller
 * while still holding port->lock (port_call_finish_locked), and the caller
 * sleeps only after seeing c not DONE under port->lock and only leaves
 * after seeing DONE
 * (or unlinking c itself) under port->lock, so c is never touched after it
 * is gone. A caller that gives up (signal, timeout) withdraws its request
 * or its reply right, so a later reply gets -ENOENT.
 *
 * Fast path (seL4 style): each step below is a guard; when one does not
 * hold, the slow path (wake up + ordinary schedule) is taken instead.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/port.h>
#include <ferrite/task.h>
#include "port_internal.h"

void port_call_finish_locked(struct port *p, struct port_call *c, int error,
			     struct port_msg *reply)
{
	assert_locked(&p->lock);
	c->state = PORT_CALL_DONE;
	c->error = error;
	c->reply = reply;
	c->msg = NULL;
	/* The caller cannot leave before it takes p->lock and sees DONE, so
	 * c->caller is alive here. */
	sched_wakeup(c->caller);
}

/*
 * Sleep until c is DONE, the deadline passes or a signal comes; return
 * with p->lock held (0, -EINTR or -ETIMEDOUT). target, when not NULL, is
 * the receiver the request was handed to (reference, dropped here).
 *
 * No lost wake-up: the caller marks itself sleeping under p->lock only
 * while c is not DONE, and whoever makes c DONE does it under p->lock and
 * then wakes the caller (port_call_finish_locked).
 */
static long call_wait_locked(struct port *p, struct port_call *c, struct task *target,
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
		if (signal_pending_current()) {
			err = -EINTR; /* the request may have been seen: no restart */
		} else if (target && !deadline_ns) {
			/* Fast path: the receiver got our request while we
			 * hold the CPU; run it next instead of whatever is
			 * queued (a timed call sleeps the ordinary way). */
			sched_yield_to(target);
		} else if (!schedule_timeout(deadline_ns) && deadline_ns) {
			err = -ETIMEDOUT;
		}
		WRITE_ONCE(self->state, TASK_RUNNING);
		if (target) {
			task_put(target);
			target = NULL;
		}
	}
	if (target)
		task_put(target);
	return err;
}

long port_call(struct port *p, struct port_msg *req, size_t reply_cap, unsigned flags,
	       uint64_t deadline_ns, struct port_msg **reply)
{
	struct port_call c = {
		.caller = current,
		.state = PORT_CALL_QUEUED,
		.reply_cap = reply_cap,
	};
	struct port_msg *withdrawn = NULL;
	struct task *target = NULL;
	long err;

	list_init(&c.node);
	req->call = &c;
	err = port_enqueue(p, req, flags, deadline_ns, &target);
	if (err) {
		port_msg_free(req);
		return err;
	}
	err = call_wait_locked(p, &c, target, deadline_ns);
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
	if (withdrawn) {
		port_msg_free(withdrawn);
		wake_up_all(&p->send_wait);
	}
	return err;
}

long port_reply(struct port *p, unsigned long token, struct port_msg *m)
{
	struct task *caller = NULL;
	struct port_call *c;
	long err = -ENOENT;

	scoped_guard(spinlock, &p->lock) {
		if (p->dead) {
			err = -EIDRM;
			break;
		}
		list_for_each_entry(c, &p->calls, node) {
			if (c->token != token)
				continue;
			if (m->size > c->reply_cap) {
				err = -EMSGSIZE;
				break;
			}
			list_del(&c->node);
			list_init(&c->node);
			caller = c->caller;
			task_get(caller);
			port_call_finish_locked(p, c, 0, m);
			err = 0;
			break;
		}
	}
	if (err) {
		port_msg_free(m);
		return err;
	}
	/* Fast path: the caller we just woke runs next on this CPU. */
	sched_yield_to(caller);
	task_put(caller);
	return 0;
}

void port_drop_reply(struct port *p, unsigned long token)
{
	struct port_call *c;

	guard(spinlock)(&p->lock);
	list_for_each_entry(c, &p->calls, node) {
		if (c->token == token) {
			list_del(&c->node);
			list_init(&c->node);
			port_call_finish_locked(p, c, -EPIPE, NULL);
			return;
		}
	}
}
