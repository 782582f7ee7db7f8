/*
 * TCP output: filling a segment's header from the connection's sequence
 * numbers (under s->lock), lone ACKs and resets, and the end of a
 * connection (CLOSED and TIME_WAIT, with the reaper thread that ends
 * TIME_WAIT). Segments are sent after s->lock is dropped (see
 * inet_internal.h).
 *
 * tcp_tw_lock guards the TIME_WAIT list and the SYN resend list, which
 * hold a reference to each socket on them; it is taken alone or inside
 * nothing. One kernel thread, the reaper, ends TIME_WAITs and resends
 * SYNs when they are due.
 */
#include <ferrite/random.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <hal/hal_timer.h>
#include "tcp.h"

static struct spinlock tcp_tw_lock = SPINLOCK_INIT("tcp_tw");
static struct list_head tcp_tw_list = LIST_HEAD_INIT(tcp_tw_list); /* Lock: tcp_tw_lock */
static struct list_head tcp_syn_list = LIST_HEAD_INIT(tcp_syn_list); /* Lock: tcp_tw_lock */
static struct waitqueue tcp_tw_wait = WAITQUEUE_INIT(tcp_tw_wait);

uint32_t tcp_window(const struct inet_sock *s)
{
	long room = (long)READ_ONCE(s->rcvbuf) - (long)s->rcv_bytes;

	return room > 0 ? (uint32_t)room : 0;
}

void tcp_fill(struct inet_sock *s, struct pkb *p, uint8_t flags)
{
	assert_locked(&s->lock);
	p->h.proto = IPPROTO_TCP;
	p->h.saddr = s->laddr;
	p->h.daddr = s->raddr;
	p->h.sport = s->lport;
	p->h.dport = s->rport;
	p->h.flags = flags;
	p->h.seq = s->snd_nxt;
	s->snd_nxt += (uint32_t)p->len + !!(flags & TCP_SYN) + !!(flags & TCP_FIN);
	if (flags & TCP_ACK) {
		p->h.ack = s->rcv_nxt;
		p->h.wnd = tcp_window(s);
		s->rcv_adv = s->rcv_nxt + p->h.wnd;
	}
}

uint32_t tcp_new_isn(void)
{
	return (uint32_t)random_u64();
}

void tcp_send_ack(struct inet_sock *s)
{
	struct pkb *p = pkb_alloc(0);

	if (!p)
		return;
	scoped_guard(spinlock, &s->lock) {
		if (!tcp_synchronized(s->state) || s->state == TCP_TIME_WAIT) {
			pkb_free(p);
			return;
		}
		tcp_fill(s, p, TCP_ACK);
	}
	ip_output(p);
}

void tcp_send_reset_reply(const struct pkb *orig)
{
	if (orig->h.flags & TCP_RST)
		return;
	struct pkb *p = pkb_alloc(0);
	if (!p)
		return;
	p->h.proto = IPPROTO_TCP;
	p->h.saddr = orig->h.daddr;
	p->h.daddr = orig->h.saddr;
	p->h.sport = orig->h.dport;
	p->h.dport = orig->h.sport;
	if (orig->h.flags & TCP_ACK) {
		p->h.seq = orig->h.ack;
		p->h.flags = TCP_RST;
	} else {
		p->h.ack = orig->h.seq + (uint32_t)orig->len + !!(orig->h.flags & TCP_SYN) +
			   !!(orig->h.flags & TCP_FIN);
		p->h.flags = TCP_RST | TCP_ACK;
	}
	ip_output(p);
}

void tcp_done(struct inet_sock *s)
{
	struct inet_sock *parent;
	bool on_tw = false, on_syn = false;

	scoped_guard(spinlock, &s->lock) {
		s->state = TCP_CLOSED;
		s->shutdown = SHUTDOWN_MASK;
		parent = s->parent;
		s->parent = NULL;
	}
	scoped_guard(spinlock, &tcp_tw_lock) {
		if (!list_empty(&s->tw_node)) {
			list_del(&s->tw_node);
			on_tw = true;
		}
		if (!list_empty(&s->syn_node)) {
			list_del(&s->syn_node);
			on_syn = true;
		}
	}
	if (on_syn)
		inet_sock_put(s); /* the caller has its own reference */
	if (parent) {
		/* A connection that never reached its listener's queue. */
		scoped_guard(spinlock, &parent->lock)
			parent->nr_pending--;
		inet_sock_put(parent);
	}
	wake_up_all(&s->wait);
	if (READ_ONCE(s->orphan))
		inet_count_dead(s);
	inet_unhash(s);
	if (on_tw)
		inet_sock_put(s);
}

void tcp_abort(struct inet_sock *s)
{
	struct pkb *p = pkb_alloc(0);

	scoped_guard(spinlock, &s->lock) {
		if (p && tcp_synchronized(s->state) && s->state != TCP_TIME_WAIT) {
			tcp_fill(s, p, TCP_RST | TCP_ACK);
		} else {
			pkb_free(p);
			p = NULL;
		}
		s->state = TCP_CLOSED;
	}
	if (p)
		ip_output(p);
	tcp_done(s);
}

void tcp_time_wait(struct inet_sock *s)
{
	bool orphan;

	scoped_guard(spinlock, &s->lock) {
		s->state = TCP_TIME_WAIT;
		orphan = s->orphan;
	}
	if (orphan)
		inet_count_dead(s);
	scoped_guard(spinlock, &tcp_tw_lock) {
		if (!list_empty(&s->tw_node))
			return;
		s->tw_expires = hal_time_ns() + TCP_TIMEWAIT_NS;
		inet_sock_get(s); /* the list's */
		list_add_tail(&s->tw_node, &tcp_tw_list);
	}
	wake_up_all(&tcp_tw_wait);
}

void tcp_syn_timer_start(struct inet_sock *s)
{
	scoped_guard(spinlock, &tcp_tw_lock) {
		/* On the loopback the handshake is usually over already. */
		if (!list_empty(&s->syn_node) || READ_ONCE(s->state) != TCP_SYN_SENT)
			return;
		s->syn_retries = 0;
		s->syn_expires = hal_time_ns() + TCP_SYN_RTO_NS;
		inet_sock_get(s); /* the list's */
		list_add_tail(&s->syn_node, &tcp_syn_list);
	}
	wake_up_all(&tcp_tw_wait);
}

/* One due SYN resend, if any: resend it and schedule the next (the
 * timeout doubles), or give up. Whether one was handled; *next: the
 * earliest resend still to come (0: none). */
static bool tcp_syn_due(uint64_t now, uint64_t *next)
{
	struct inet_sock *s = NULL, *it;

	*next = 0;
	scoped_guard(spinlock, &tcp_tw_lock) {
		list_for_each_entry(it, &tcp_syn_list, syn_node) {
			if (it->syn_expires <= now) {
				s = it;
				list_del(&s->syn_node); /* its reference is ours */
				break;
			}
			if (!*next || it->syn_expires < *next)
				*next = it->syn_expires;
		}
	}
	if (!s)
		return false;
	if (!tcp_syn_timeout(s)) {
		scoped_guard(spinlock, &s->lock) {
			if (s->state == TCP_SYN_SENT)
				s->err = ETIMEDOUT;
		}
		tcp_done(s);
	} else {
		scoped_guard(spinlock, &tcp_tw_lock) {
			if (list_empty(&s->syn_node) && READ_ONCE(s->state) == TCP_SYN_SENT) {
				s->syn_retries++;
				s->syn_expires = now + (TCP_SYN_RTO_NS << s->syn_retries);
				list_add_tail(&s->syn_node, &tcp_syn_list);
				s = NULL; /* the list keeps the reference */
			}
		}
	}
	if (s)
		inet_sock_put(s);
	return true;
}

/* The reaper: ends each TIME_WAIT when it expires (the list is in expiry
 * order: every entry waits the same time), and resends due SYNs. */
static void tcp_tw_reaper(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t now = hal_time_ns(), next = 0, syn_next;
		struct inet_sock *s = NULL;
		if (tcp_syn_due(now, &syn_next))
			continue;
		scoped_guard(spinlock, &tcp_tw_lock) {
			if (!list_empty(&tcp_tw_list)) {
				s = list_first_entry(&tcp_tw_list, struct inet_sock, tw_node);
				if (s->tw_expires <= now)
					list_del(&s->tw_node); /* its reference is ours */
				else {
					next = s->tw_expires;
					s = NULL;
				}
			}
		}
		if (s) {
			tcp_done(s);
			inet_sock_put(s);
			continue;
		}
		if (syn_next && (!next || syn_next < next))
			next = syn_next;
		if (next)
			(void)wait_event_timeout_interruptible(&tcp_tw_wait, false, next);
		else
			(void)wait_event_interruptible(&tcp_tw_wait, !list_empty(&tcp_tw_list) ||
								     !list_empty(&tcp_syn_list));
	}
}

void tcp_init(void)
{
	struct task *t = kthread_create("tcp_timewait", tcp_tw_reaper, NULL);

	if (IS_ERR(t))
		panic("tcp: cannot start the TIME_WAIT reaper");
}
