/*
 * Garbage collection of AF_UNIX sockets that only their own descriptors in
 * flight keep alive: a socket sent over itself (or a ring of sockets each
 * queued in the next) and then closed everywhere has no descriptor left,
 * but its file is referenced by an skb in a queue that nobody can read.
 *
 * Every unix socket whose file sits in some skb counts those references
 * (inflight). A run (as Linux's, when a unix socket is released) looks at
 * the sockets all of whose file references are in flight (candidates),
 * subtracts the references that candidates' own queues hold, and marks
 * reachable every candidate with a reference left (one in a live queue)
 * and, transitively, every candidate in a reachable one's queue. The rest
 * can never be read: their queues are emptied, which puts the files and
 * releases the sockets.
 *
 * Lock: unix_gc_lock (a leaf above the sockets' locks: it takes u->lock
 * inside, never the other way) guards inflight, gc_node and the scratch
 * fields. unix_gc_mutex lets one run at a time (a release during a run's
 * own freeing does not start another).
 */
#include <ferrite/mutex.h>
#include "unix_internal.h"

static struct spinlock unix_gc_lock = SPINLOCK_INIT("unix_gc");
static LIST_HEAD(inflight_socks); /* Lock: unix_gc_lock */
static DEFINE_MUTEX(unix_gc_mutex);

static struct unix_sock *unix_of_file(struct file *f)
{
	struct socket *s = sock_of(f);

	return s && s->family == AF_UNIX ? unix_sk(s) : NULL;
}

void unix_inflight(struct file *f, int delta)
{
	struct unix_sock *u = unix_of_file(f);

	if (!u)
		return;
	guard(spinlock)(&unix_gc_lock);
	u->inflight += delta;
	if (delta > 0 && u->inflight == (unsigned)delta)
		list_add_tail(&u->gc_node, &inflight_socks);
	else if (!u->inflight)
		list_del(&u->gc_node);
}

/* Call fn(x, arg) for every candidate whose file is in one of u's queues
 * (its own and, listening, its embryos'). Caller holds unix_gc_lock. */
static void scan_queue(struct unix_sock *u, void (*fn)(struct unix_sock *x, bool *changed),
		       bool *changed)
{
	struct unix_skb *skb;
	struct unix_sock *e;

	guard(spinlock)(&u->lock);
	list_for_each_entry(skb, &u->rcvq, node)
		for (unsigned i = 0; i < skb->nfds; i++) {
			struct unix_sock *x = unix_of_file(skb->fds[i]);
			if (x && x->gc_candidate)
				fn(x, changed);
		}
	list_for_each_entry(e, &u->acceptq, accept_node) {
		scoped_guard(spinlock, &e->lock) {
			list_for_each_entry(skb, &e->rcvq, node)
				for (unsigned i = 0; i < skb->nfds; i++) {
					struct unix_sock *x = unix_of_file(skb->fds[i]);
					if (x && x->gc_candidate)
						fn(x, changed);
				}
		}
	}
}

static void drop_internal_ref(struct unix_sock *x, bool *changed)
{
	x->gc_refs--;
}

static void mark_reachable(struct unix_sock *x, bool *changed)
{
	if (!x->gc_reachable) {
		x->gc_reachable = true;
		*changed = true;
	}
}

/* Move u's queued skbs (and its embryos') to out. */
static void take_queue(struct unix_sock *u, struct list_head *out)
{
	guard(spinlock)(&u->lock);
	while (!list_empty(&u->rcvq))
		list_move_tail(u->rcvq.next, out);
	u->rcv_bytes = 0;
	u->rcv_msgs = 0;
}

void unix_gc(void)
{
	struct unix_sock *u;
	LIST_HEAD(garbage);
	bool changed = true;

	if (list_empty(&inflight_socks) || !mutex_trylock(&unix_gc_mutex))
		return;
	scoped_guard(spinlock, &unix_gc_lock) {
		list_for_each_entry(u, &inflight_socks, gc_node) {
			u->gc_candidate = ref_read(&u->sock.file->ref) == (int)u->inflight;
			u->gc_refs = u->inflight;
			u->gc_reachable = false;
		}
		list_for_each_entry(u, &inflight_socks, gc_node)
			if (u->gc_candidate)
				scan_queue(u, drop_internal_ref, &changed);
		list_for_each_entry(u, &inflight_socks, gc_node)
			if (u->gc_candidate && u->gc_refs > 0)
				u->gc_reachable = true;
		while (changed) {
			changed = false;
			list_for_each_entry(u, &inflight_socks, gc_node)
				if (u->gc_candidate && u->gc_reachable)
					scan_queue(u, mark_reachable, &changed);
		}
		list_for_each_entry(u, &inflight_socks, gc_node) {
			if (!u->gc_candidate || u->gc_reachable)
				continue;
			take_queue(u, &garbage);
			struct unix_sock *e;
			scoped_guard(spinlock, &u->lock)
				list_for_each_entry(e, &u->acceptq, accept_node)
					take_queue(e, &garbage);
		}
	}
	/* Freeing puts the files: the sockets go, whose releases find this
	 * run still holding the mutex and do not start another. */
	while (!list_empty(&garbage)) {
		struct unix_skb *skb = list_first_entry(&garbage, struct unix_skb, node);
		list_del(&skb->node);
		unix_skb_free(skb);
	}
	mutex_unlock(&unix_gc_mutex);
}
