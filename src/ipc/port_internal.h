/*
 * Message ports: what the port*.c files share (not an interface for the
 * rest of the kernel; that is include/ferrite/port.h).
 */
#pragma once
#include <ferrite/port.h>

/* A receiver blocked in port_recv (on its kernel stack). */
struct port_rcv {
	struct list_head node;  /* in port->receivers; Lock: port->lock */
	struct task *task;
	size_t cap;             /* largest payload it accepts */
	struct port_msg *msg;   /* handed over by a sender; Lock: port->lock */
};

/* A queued message goes to a receiver: give a call its reply right. */
void port_take_locked(struct port *p, struct port_msg *m);
/*
 * Queue m (m->call set for a call) or hand it to a blocked receiver, whose
 * task is then returned with a new reference in *target (when target is
 * not NULL). Sleeps for room unless FERRITE_PORT_NONBLOCK. m is not
 * consumed on error.
 */
long port_enqueue(struct port *p, struct port_msg *m, unsigned flags, uint64_t deadline_ns,
		  struct task **target);
/* Make call c DONE with error (0: reply is the reply message) and wake its
 * caller (p->lock held). */
void port_call_finish_locked(struct port *p, struct port_call *c, int error,
			     struct port_msg *reply);
