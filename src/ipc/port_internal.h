/*
 * Message ports: what the port*.c files share (not an interface for the
 * rest of the kernel; that is include/ferrite/port.h).
 */
#pragma once
#include <ferrite/port.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>

/*
 * Return: b's message, set up for size (<= PORT_MSG_SMALL) payload bytes
 * sent by the current process (inline: once per send, call and reply).
 * Never linked: node stays unset (a heap copy gets its own).
 */
static inline struct port_msg *port_msg_stage(struct port_msg_buf *b, size_t size)
{
	struct port_msg *m = &b->msg;

	m->small = false;
	m->on_stack = true;
	m->type = 0;
	m->size = size;
	m->sender = current->proc->pid;
	m->call = NULL;
	m->token = 0;
	return m;
}

/* A receiver blocked in port_recv (on its kernel stack). */
struct port_rcv {
	struct list_head node;  /* in port->receivers; Lock: port->lock */
	struct task *task;
	size_t cap;             /* largest payload it accepts */
	struct port_msg *msg;   /* handed over by a sender; Lock: port->lock */
	struct port_msg_buf *inbox; /* where a small one is copied, or NULL */
};

/*
 * What a sleeper offering inbox (NULL: none) is handed for m (p->lock
 * held): a copy in the inbox when it fits, else m itself, a message on a
 * stack being first copied to the heap. Return: that message, or NULL (no
 * memory). Unless it is m, m stays the giver's to free.
 */
struct port_msg *port_msg_handover_locked(struct port *p, struct port_msg_buf *inbox,
					  struct port_msg *m);

/*
 * A task the fast path woke late (reference held): its wait condition was
 * changed under p->lock, but the wake-up was left to sched_yield_to, which
 * wakes and runs it in one pass. Every other way out must still wake it.
 * Its sleep loop tolerates the wake-up arriving late (spurious, when
 * something else woke it first).
 */
static inline void port_wake_put(struct task **t)
{
	if (*t) {
		sched_wakeup(*t);
		task_put(*t);
		*t = NULL;
	}
}

/* Make every blocked receiver look at the port again (p->lock held). */
void port_wake_receivers_locked(struct port *p);
long port_recv_then(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
		    struct task *next, struct port_msg_buf *inbox, struct port_msg **out);
/* A queued message goes to a receiver: give a call its reply right. */
void port_take_locked(struct port *p, struct port_msg *m);
/*
 * Queue m (m->call set for a call) or hand it to a blocked receiver. When
 * target is not NULL, that receiver is returned in *target with a new
 * reference and NOT woken yet (port_wake_put or sched_yield_to must), else
 * it is woken here. Sleeps for room unless FERRITE_PORT_NONBLOCK. m is not
 * consumed on error.
 */
long port_enqueue(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns,
		  struct task **target);
/* Make call c DONE with error (0: reply is the reply message) and wake its
 * caller (p->lock held). */
void port_call_finish_locked(struct port *p, struct port_call *c, int error,
			     struct port_msg *reply);
/*
 * port_recv, but next (a task woken late, reference consumed; NULL: none)
 * is woken on the way: when recv has to sleep with no deadline, next runs
 * straight away (sched_yield_to) instead of an ordinary schedule() (the
 * reply half of reply_recv).
 */
