/*
 * TCP input: the state machine run on each arriving segment. On the
 * loopback nothing is lost or reordered within one direction (each
 * sender holds its sendlock while segments go out, and delivery is
 * synchronous), so an in-order segment is queued as it is and anything
 * else is answered with an ACK and dropped. Every segment from a
 * synchronized peer acknowledges, so the sender's window edge
 * (snd_right = ack + wnd, never moved left) tells it how much more it may
 * send: flow control by the receiver's window.
 *
 * A listener answers a SYN with a child socket in SYN_RECV (counted in
 * nr_pending against the backlog); the child moves to the listener's
 * accept queue when the handshake's ACK arrives.
 */
#include <ferrite/string.h>
#include "tcp.h"

/* A SYN for listener l: make the child, send SYN-ACK. */
static void tcp_listen_rcv(struct inet_sock *l, struct pkb *p)
{
	if (p->h.flags & TCP_RST)
		return;
	if ((p->h.flags & TCP_ACK) || !(p->h.flags & TCP_SYN)) {
		tcp_send_reset_reply(p);
		return;
	}
	scoped_guard(spinlock, &l->lock) {
		if (l->state != TCP_LISTEN)
			return;
		/* Full: drop the SYN (the connector tries again), as Linux. */
		if (l->nr_accept + l->nr_pending > l->backlog)
			return;
		l->nr_pending++;
	}
	struct inet_sock *c = inet_sock_alloc(l->sock.family, SOCK_STREAM, IPPROTO_TCP);
	struct pkb *synack = pkb_alloc(0);
	if (!c || !synack) {
		pkb_free(synack);
		if (c)
			inet_sock_put(c);
		scoped_guard(spinlock, &l->lock)
			l->nr_pending--;
		return;
	}
	c->rcvbuf = READ_ONCE(l->rcvbuf);
	c->sndbuf = READ_ONCE(l->sndbuf);
	c->nodelay = l->nodelay;
	c->keepalive = l->keepalive;
	c->linger = l->linger;
	c->v6only = l->v6only;
	c->ttl = l->ttl;
	c->laddr = p->h.daddr;
	c->lport = p->h.dport;
	c->raddr = p->h.saddr;
	c->rport = p->h.sport;
	inet_sock_get(l);
	c->parent = l;
	c->state = TCP_SYN_RECV;
	c->rcv_nxt = p->h.seq + 1;
	c->snd_una = c->snd_nxt = tcp_new_isn();
	c->snd_right = c->snd_una + 1 + p->h.wnd;
	inet_hash_child(c);
	scoped_guard(spinlock, &c->lock)
		tcp_fill(c, synack, TCP_SYN | TCP_ACK);
	inet_sock_put(c); /* the table holds it now */
	ip_output(synack);
}

/* The handshake's ACK reached child c: hand it to its listener. */
static void tcp_child_established(struct inet_sock *c)
{
	struct inet_sock *l;
	bool queued = false;

	scoped_guard(spinlock, &c->lock) {
		l = c->parent;
		c->parent = NULL;
	}
	if (!l)
		return;
	scoped_guard(spinlock, &l->lock) {
		l->nr_pending--;
		if (l->state == TCP_LISTEN) {
			inet_sock_get(c); /* the accept queue's */
			list_add_tail(&c->accept_node, &l->acceptq);
			l->nr_accept++;
			queued = true;
		}
	}
	wake_up_all(&l->wait);
	inet_sock_put(l);
	if (!queued)
		tcp_abort(c); /* the listener closed meanwhile */
}

/* What tcp_process() asks its caller to do once s->lock is dropped. */
enum {
	ACT_ACK = 1,         /* send an ACK */
	ACT_WAKE = 2,        /* wake s's waiters */
	ACT_QUEUED = 4,      /* p is on s's receive queue now */
	ACT_ESTABLISHED = 8, /* a child finished its handshake */
	ACT_REPLY_RST = 16,  /* answer p with an RST */
	ACT_ABORT = 32,      /* reset the connection */
	ACT_DONE = 64,       /* the connection is over */
	ACT_TIME_WAIT = 128, /* enter TIME_WAIT */
};

/* The state machine for one segment; caller holds s->lock. */
static unsigned tcp_process(struct inet_sock *s, struct pkb *p)
{
	const struct pkb_hdr *h = &p->h;
	enum tcp_state st = s->state;
	unsigned act = 0;

	if (st == TCP_CLOSED || st == TCP_LISTEN)
		return 0; /* lost a race with close */
	if (st == TCP_SYN_SENT) {
		if ((h->flags & TCP_ACK) && h->ack != s->snd_nxt)
			return (h->flags & TCP_RST) ? 0 : ACT_REPLY_RST;
		if (h->flags & TCP_RST) {
			if (!(h->flags & TCP_ACK))
				return 0;
			s->err = ECONNREFUSED;
			return ACT_DONE;
		}
		if ((h->flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
			return 0;
		s->rcv_nxt = h->seq + 1;
		s->snd_una = h->ack;
		s->snd_right = h->ack + h->wnd;
		s->state = TCP_ESTABLISHED;
		return ACT_ACK | ACT_WAKE;
	}
	if (h->flags & TCP_RST) {
		/* Linux's tcp_reset: EPIPE once we had the peer's FIN. */
		if (st != TCP_TIME_WAIT && st != TCP_SYN_RECV)
			s->err = st == TCP_CLOSE_WAIT ? EPIPE : ECONNRESET;
		return ACT_DONE;
	}
	if (h->flags & TCP_SYN)
		return ACT_ACK; /* a synchronized connection ignores SYNs */
	if (!(h->flags & TCP_ACK))
		return 0;
	/* The acknowledgement and the peer's window. */
	if (seq_after(h->ack, s->snd_una) && !seq_after(h->ack, s->snd_nxt))
		s->snd_una = h->ack;
	if (seq_after(h->ack + h->wnd, s->snd_right)) {
		s->snd_right = h->ack + h->wnd;
		act |= ACT_WAKE;
	}
	bool fin_acked = tcp_fin_sent(st) && s->snd_una == s->snd_nxt;
	if (st == TCP_SYN_RECV && s->snd_una == s->snd_nxt) {
		s->state = st = TCP_ESTABLISHED;
		act |= ACT_ESTABLISHED;
	} else if (st == TCP_FIN_WAIT1 && fin_acked) {
		s->state = st = TCP_FIN_WAIT2;
		act |= ACT_WAKE;
	} else if (st == TCP_CLOSING && fin_acked) {
		return act | ACT_TIME_WAIT;
	} else if (st == TCP_LAST_ACK && fin_acked) {
		return act | ACT_DONE;
	}
	if (st == TCP_TIME_WAIT)
		return (h->flags & TCP_FIN) ? ACT_ACK : 0; /* a repeated FIN */
	/* Data, in order. */
	bool receiving = st == TCP_ESTABLISHED || st == TCP_FIN_WAIT1 || st == TCP_FIN_WAIT2;
	if (p->len) {
		if (!receiving || h->seq != s->rcv_nxt)
			return act | ACT_ACK;
		if (s->orphan)
			return ACT_ABORT; /* data for a closed socket: Linux resets */
		s->rcv_nxt += (uint32_t)p->len;
		s->rcv_bytes += p->len;
		list_add_tail(&p->node, &s->rcvq);
		act |= ACT_QUEUED | ACT_WAKE | ACT_ACK;
	}
	/* The peer's FIN, after its data. */
	if ((h->flags & TCP_FIN) && receiving && h->seq + (uint32_t)p->len == s->rcv_nxt) {
		s->rcv_nxt++;
		s->shutdown |= RCV_SHUTDOWN;
		act |= ACT_ACK | ACT_WAKE;
		if (st == TCP_ESTABLISHED)
			s->state = TCP_CLOSE_WAIT;
		else if (st == TCP_FIN_WAIT1 && !fin_acked)
			s->state = TCP_CLOSING;
		else
			act |= ACT_TIME_WAIT;
	}
	return act;
}

/* A segment for a connection (any state but LISTEN). */
static void tcp_conn_rcv(struct inet_sock *s, struct pkb *p)
{
	struct pkb *ack = pkb_alloc(0);
	unsigned act;

	scoped_guard(spinlock, &s->lock) {
		act = tcp_process(s, p);
		if ((act & ACT_ACK) && ack)
			tcp_fill(s, ack, TCP_ACK);
		else
			act &= ~ACT_ACK;
	}
	if (act & ACT_REPLY_RST)
		tcp_send_reset_reply(p);
	if (!(act & ACT_QUEUED))
		pkb_free(p);
	if (!(act & ACT_ACK))
		pkb_free(take_ptr(ack));
	if (act & ACT_WAKE)
		wake_up_all(&s->wait);
	if (ack)
		ip_output(ack);
	if (act & ACT_ESTABLISHED)
		tcp_child_established(s);
	if (act & ACT_ABORT)
		tcp_abort(s);
	else if (act & ACT_DONE)
		tcp_done(s);
	else if (act & ACT_TIME_WAIT)
		tcp_time_wait(s);
}

void tcp_rcv(struct pkb *p)
{
	__free(inet_sock_put) struct inet_sock *s =
		inet_lookup(IPPROTO_TCP, &p->h.saddr, p->h.sport, &p->h.daddr, p->h.dport);

	if (!s || (READ_ONCE(s->state) == TCP_CLOSED)) {
		tcp_send_reset_reply(p);
		pkb_free(p);
		return;
	}
	if (READ_ONCE(s->state) == TCP_LISTEN && !s->rport) {
		tcp_listen_rcv(s, p);
		pkb_free(p);
		return;
	}
	tcp_conn_rcv(s, p);
}
