/*
 * Message ports: what the port*.c files share (not an interface for the
 * rest of the kernel; that is include/ferrite/port.h).
 */
#pragma once
#include <ferrite/file.h>
#include <ferrite/port.h>
#include <ferrite/sched.h>
#include <ferrite/task.h>
#include <ferrite/user_return.h>
#include <ferrite/vfs.h>

/* The operations of port files (port_file.c): they mark a file a port's. */
extern const struct file_ops port_fops;

/*
 * Return: the port behind fd, or ERR_PTR(-EBADF); *recv tells whether fd
 * is the receive right. The port lives as long as the file looked up in
 * *ref (fd_get_light: a reference only when the fd table is shared),
 * which the caller releases with fd_put_light. Inline: once per syscall.
 */
static __always_inline struct port *port_from_fd(int fd, bool *recv, struct fd_ref *ref)
{
	struct fd_ref r = fd_get_light(fd);

	if (!r.file)
		return ERR_PTR(-EBADF);
	if (r.file->ops != &port_fops) {
		fd_put_light(r);
		return ERR_PTR(-EBADF);
	}
	*recv = r.file->mode & FMODE_READ;
	*ref = r; /* the file (its port reference) keeps the port alive */
	return r.file->private;
}

/*
 * signal_pending_current() for a port sleeper that has just marked itself
 * sleeping, cheap words first: a signal that can interrupt the current
 * task (deliverable, a kill, an exit or a stop) implies its work word is
 * set (include/ferrite/user_return.h: producers set it after the
 * condition's store and before waking), so a clear word skips the full
 * scan. The fence orders our state store before the word's load, as the
 * producer's set before its look at our state: either it sees us
 * sleeping and wakes us, or we see the word.
 */
static inline bool port_signal_pending(struct task *self)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&self->work, __ATOMIC_RELAXED))
		return false;
	return signal_pending_current();
}

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
 * dst becomes a copy of small message src (both with room for
 * PORT_MSG_SMALL bytes, data 8-byte aligned: copied by whole words, a
 * small payload needs no memcpy call), not linked anywhere.
 */
static __always_inline void msg_copy_small(struct port_msg *dst, const struct port_msg *src)
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

/* port_msg_handover_locked when m does not go to an inbox: m itself, or a
 * heap copy of it when it is on a stack (NULL: no memory). */
struct port_msg *port_msg_handover_big_locked(struct port *p, struct port_msg *m);

/*
 * What a sleeper offering inbox (NULL: none) is handed for m (p->lock
 * held): a copy in the inbox when it fits, else m itself, a message on a
 * stack being first copied to the heap. Return: that message, or NULL (no
 * memory). Unless it is m, m stays the giver's to free. Inline: once per
 * call and per reply.
 */
static __always_inline struct port_msg *
port_msg_handover_locked(struct port *p, struct port_msg_buf *inbox, struct port_msg *m)
{
	assert_locked(&p->lock);
	if (inbox && m->size <= PORT_MSG_SMALL) {
		inbox->msg.small = false;
		inbox->msg.on_stack = true;
		msg_copy_small(&inbox->msg, m);
		return &inbox->msg;
	}
	return port_msg_handover_big_locked(p, m);
}

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
/*
 * port_recv, but next (a task woken late, reference consumed; NULL: none)
 * is woken on the way: when recv has to sleep with no deadline, next runs
 * straight away (sched_yield_to) instead of an ordinary schedule() (the
 * reply half of reply_recv); a small message lands in inbox (NULL: none).
 * Defined in port_call.c with port_enqueue, inline in call and reply_recv.
 */
long port_recv_then(struct port *p, size_t cap, unsigned flags, uint64_t deadline_ns,
		    struct task *next, struct port_msg_buf *inbox, struct port_msg **out);
/* The message leaves the queue for a receiver: a call's reply right is
 * born now (caller holds p->lock). */
static __always_inline void port_take_locked(struct port *p, struct port_msg *m)
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
