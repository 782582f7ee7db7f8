/*
 * TCP sockets: connect (SYN, and the wait for the handshake), listen and
 * accept, sending within the peer's window, receiving (MSG_PEEK,
 * MSG_WAITALL, window updates as the reader makes room), shutdown, poll,
 * options, and close (FIN, or RST when unread data is dropped or
 * SO_LINGER is 0). The state machine on arriving segments is in
 * tcp_input.c; locking in inet_internal.h.
 */
#include <ferrite/poll.h>
#include <ferrite/string.h>
#include <hal/hal_timer.h>
#include "tcp.h"

/* ---- connect ---- */

/* Send (or send again) s's SYN. */
static int tcp_send_syn(struct inet_sock *s, bool again)
{
	struct pkb *p = pkb_alloc(0);

	if (!p)
		return -ENOMEM;
	scoped_guard(spinlock, &s->lock) {
		if (s->state != TCP_SYN_SENT) {
			pkb_free(p);
			return 0;
		}
		if (again)
			s->snd_nxt = s->snd_una; /* the same SYN */
		tcp_fill(s, p, TCP_SYN);
		p->h.wnd = tcp_window(s);
	}
	return ip_output(p);
}

bool tcp_syn_timeout(struct inet_sock *s)
{
	if (READ_ONCE(s->state) != TCP_SYN_SENT)
		return true; /* over: tcp_syn_due drops the timer */
	if (s->syn_retries >= TCP_SYN_RETRIES)
		return false;
	tcp_send_syn(s, true);
	return true;
}

static bool tcp_connect_over(struct inet_sock *s)
{
	return READ_ONCE(s->state) != TCP_SYN_SENT;
}

/* The result of a finished connection attempt (consumes the error). */
static int tcp_connect_result(struct inet_sock *s)
{
	guard(spinlock)(&s->lock);
	if (s->state == TCP_SYN_SENT)
		return -EALREADY;
	if (s->err) {
		int err = -s->err;
		s->err = 0;
		return err;
	}
	return s->state == TCP_CLOSED ? -ECONNREFUSED : 0;
}

static int tcp_wait_connect(struct inet_sock *s)
{
	scoped_guard(spinlock, &s->lock)
		s->connecting = false;
	uint64_t deadline = sock_deadline(s->sock.sndtimeo_ns);

	/* The reaper resends the SYN (tcp_syn_timeout). */
	long err = wait_event_timeout_interruptible(&s->wait, tcp_connect_over(s), deadline);
	if (err == -ETIMEDOUT)
		return -EINPROGRESS; /* Linux, when SO_SNDTIMEO ends it */
	if (err)
		return (int)err;
	return tcp_connect_result(s);
}

static int tcp_connect(struct socket *sock, const void *uaddr, int len, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	struct inet_addr dst, src;
	uint16_t dport, family;

	if (len < (int)sizeof(family))
		return -EINVAL;
	memcpy(&family, uaddr, sizeof(family));
	if (family == AF_UNSPEC) {
		/* Disconnect: reset a connection, as Linux's tcp_disconnect. */
		if (READ_ONCE(s->state) != TCP_CLOSED && READ_ONCE(s->state) != TCP_LISTEN)
			tcp_abort(s);
		return 0;
	}
	int err = inet_addr_in(s, uaddr, len, &dst, &dport, false);
	if (err)
		return err;
	int wait = 0;
	scoped_guard(spinlock, &s->lock) {
		/* As Linux's inet_stream_connect: a non-blocking connect's
		 * outcome is reported once by the next connect. */
		bool connecting = s->connecting;
		s->connecting = false;
		if (s->state == TCP_SYN_SENT) {
			s->connecting = true;
			if (nonblock)
				return -EALREADY;
			wait = 1;
		} else if (s->state == TCP_CLOSED && connecting) {
			err = s->err ? -s->err : -ECONNABORTED;
			s->err = 0;
			return err;
		} else if (s->state != TCP_CLOSED) {
			return connecting && s->state != TCP_LISTEN ? 0 : -EISCONN;
		}
	}
	if (wait)
		return tcp_wait_connect(s);
	inet_any_to_loopback(&dst);
	if ((err = inet_pick_source(&dst, &src)))
		return err;
	if (!dport)
		return -ECONNREFUSED; /* nobody listens on port 0 */
	if ((err = inet_hash_connect(s, &src, &dst, dport)))
		return err;
	scoped_guard(spinlock, &s->lock) {
		if (s->state != TCP_CLOSED)
			return -EALREADY; /* a racing connect */
		s->state = TCP_SYN_SENT;
		s->err = 0;
		s->shutdown = 0;
		s->snd_una = s->snd_nxt = tcp_new_isn();
		s->rcv_bytes = 0;
	}
	if ((err = tcp_send_syn(s, false))) {
		tcp_done(s);
		return err;
	}
	tcp_syn_timer_start(s);
	if (nonblock) {
		scoped_guard(spinlock, &s->lock)
			s->connecting = true;
		return -EINPROGRESS; /* even when it is over already, as Linux */
	}
	return tcp_wait_connect(s);
}

/* ---- listen and accept ---- */

static int tcp_listen(struct socket *sock, int backlog)
{
	struct inet_sock *s = inet_sk(sock);

	if ((unsigned)backlog > INET_SOMAXCONN)
		backlog = INET_SOMAXCONN;
	enum tcp_state st = READ_ONCE(s->state);
	if (st != TCP_CLOSED && st != TCP_LISTEN)
		return -EINVAL;
	if (!READ_ONCE(s->hashed)) {
		struct inet_addr any = { 0 };
		if (sock->family == AF_INET)
			inet_addr_from_v4(&any, 0);
		int err = inet_hash_bind(s, &any, 0);
		if (err && err != -EINVAL)
			return err;
	}
	if (st == TCP_CLOSED) {
		int err = inet_listen_check(s);
		if (err)
			return err;
	}
	scoped_guard(spinlock, &s->lock) {
		if (s->state != TCP_CLOSED && s->state != TCP_LISTEN)
			return -EINVAL;
		s->backlog = (unsigned)backlog;
		s->state = TCP_LISTEN;
	}
	return 0;
}

static struct socket *tcp_accept(struct socket *sock, bool nonblock)
{
	struct inet_sock *l = inet_sk(sock);
	uint64_t deadline = sock_deadline(l->sock.rcvtimeo_ns);

	for (;;) {
		scoped_guard(spinlock, &l->lock) {
			if (l->state != TCP_LISTEN)
				return ERR_PTR(-EINVAL);
			if (!list_empty(&l->acceptq)) {
				struct inet_sock *c =
					list_first_entry(&l->acceptq, struct inet_sock, accept_node);
				list_del(&c->accept_node);
				l->nr_accept--;
				return &c->sock; /* the queue's reference moves to the file */
			}
		}
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		long err = wait_event_timeout_interruptible(
			&l->wait, !list_empty(&l->acceptq) || READ_ONCE(l->state) != TCP_LISTEN,
			deadline);
		if (err)
			return ERR_PTR(sock_sleep_error(err, l->sock.rcvtimeo_ns));
	}
}

/* ---- sending ---- */

/* May s send now, or is there news a sender must see? */
static bool tcp_send_ready(struct inet_sock *s)
{
	enum tcp_state st = READ_ONCE(s->state);

	return (int32_t)(READ_ONCE(s->snd_right) - READ_ONCE(s->snd_nxt)) > 0 || READ_ONCE(s->err) ||
	       (READ_ONCE(s->shutdown) & SEND_SHUTDOWN) ||
	       (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT && st != TCP_SYN_SENT);
}

static ssize_t tcp_sendmsg(struct socket *sock, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	size_t total = m->data.total, sent = 0;
	uint64_t deadline = sock_deadline(s->sock.sndtimeo_ns);
	long err = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_DONTWAIT)
		nonblock = true;
	for (;;) {
		long room = 0;
		scoped_guard(spinlock, &s->lock) {
			if (s->err) {
				err = -s->err;
				s->err = 0;
			} else if (s->shutdown & SEND_SHUTDOWN) {
				err = -EPIPE;
			} else if (s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT) {
				room = (int32_t)(s->snd_right - s->snd_nxt);
			} else if (s->state != TCP_SYN_SENT) {
				err = -EPIPE; /* not connected (Linux: EPIPE, not ENOTCONN) */
			}
		}
		if (err || sent == total)
			break;
		if (room <= 0) {
			if (nonblock) {
				err = -EAGAIN;
				break;
			}
			err = wait_event_timeout_interruptible(&s->wait, tcp_send_ready(s), deadline);
			if (err) {
				err = sock_sleep_error(err, s->sock.sndtimeo_ns);
				break;
			}
			continue;
		}
		/* One segment under sendlock (segments leave in sequence
		 * order); the wait above is outside it, so shutdown and other
		 * senders are not held up by a full window. */
		if ((err = mutex_lock_interruptible(&s->sendlock)))
			break;
		scoped_guard(spinlock, &s->lock)
			room = (int32_t)(s->snd_right - s->snd_nxt);
		if (room <= 0) {
			mutex_unlock(&s->sendlock);
			continue; /* another sender took it */
		}
		size_t chunk = MIN(MIN(total - sent, (size_t)room), (size_t)TCP_MSS);
		struct pkb *p = pkb_alloc(chunk);
		if (!p) {
			mutex_unlock(&s->sendlock);
			err = -ENOMEM;
			break;
		}
		if (iov_iter_copy_from(p->data, &m->data, sent, chunk)) {
			mutex_unlock(&s->sendlock);
			pkb_free(p);
			err = -EFAULT;
			break;
		}
		scoped_guard(spinlock, &s->lock) {
			if ((s->state == TCP_ESTABLISHED || s->state == TCP_CLOSE_WAIT) &&
			    !(s->shutdown & SEND_SHUTDOWN))
				tcp_fill(s, p, TCP_ACK | TCP_PSH);
			else
				pkb_free(take_ptr(p)); /* reset or shut meanwhile: next round says */
		}
		if (p) {
			ip_output(p);
			sent += chunk;
		}
		mutex_unlock(&s->sendlock);
	}
	return sent ? (ssize_t)sent : err;
}

/* ---- receiving ---- */

/* After a read: tell the peer about the room made, when it is worth it
 * (a zero window must always reopen: a blocked sender waits for this). */
static void tcp_maybe_window_update(struct inet_sock *s)
{
	bool update;

	scoped_guard(spinlock, &s->lock) {
		uint32_t edge = s->rcv_nxt + tcp_window(s);
		uint32_t step = MIN((uint32_t)READ_ONCE(s->rcvbuf) / 2, (uint32_t)TCP_MSS);
		update = (s->state == TCP_ESTABLISHED || s->state == TCP_FIN_WAIT1 ||
			  s->state == TCP_FIN_WAIT2) &&
			 seq_after(edge, s->rcv_adv) && edge - s->rcv_adv >= step;
	}
	if (update)
		tcp_send_ack(s);
}

static bool tcp_recv_ready(struct inet_sock *s)
{
	return !list_empty(&s->rcvq) || READ_ONCE(s->err) ||
	       (READ_ONCE(s->shutdown) & RCV_SHUTDOWN) || READ_ONCE(s->state) == TCP_CLOSED;
}

/* The queued pkb holding unread byte number at (0: the next), or NULL. */
static struct pkb *tcp_find_locked(struct inet_sock *s, size_t at, size_t *off)
{
	struct pkb *p;

	list_for_each_entry(p, &s->rcvq, node) {
		size_t avail = p->len - p->off;
		if (at < avail) {
			*off = p->off + at;
			return p;
		}
		at -= avail;
	}
	return NULL;
}

static ssize_t tcp_recvmsg(struct socket *sock, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	size_t total = m->data.total, copied = 0;
	bool peek = flags & MSG_PEEK;
	size_t target = (flags & MSG_WAITALL) && !peek ? total : 1;
	uint64_t deadline = sock_deadline(s->sock.rcvtimeo_ns);
	long err = 0;

	if (flags & MSG_OOB)
		return -EINVAL; /* Linux: no urgent data here */
	if (flags & MSG_DONTWAIT)
		nonblock = true;
	m->namelen = 0;
	m->controllen = 0;
	if ((err = mutex_lock_interruptible(&s->iolock)))
		return err;
	while (copied < total) {
		struct pkb *p = NULL;
		size_t off = 0;
		bool eof = false;
		scoped_guard(spinlock, &s->lock) {
			if (s->state == TCP_LISTEN) {
				err = -ENOTCONN;
				break;
			}
			p = tcp_find_locked(s, peek ? copied : 0, &off);
			if (p)
				break;
			if (copied >= target) {
				eof = true;
			} else if (s->err) {
				if (!copied) {
					err = -s->err;
					s->err = 0;
				}
				eof = true;
			} else if (s->shutdown & RCV_SHUTDOWN) {
				eof = true;
			} else if (s->state == TCP_CLOSED) {
				err = s->rport ? 0 : -ENOTCONN;
				eof = true;
			} else if (s->state == TCP_SYN_SENT && nonblock) {
				err = -EAGAIN;
			}
		}
		if (err || eof)
			break;
		if (!p) {
			if (nonblock) {
				err = copied ? 0 : -EAGAIN;
				break;
			}
			tcp_maybe_window_update(s);
			err = wait_event_timeout_interruptible(&s->wait, tcp_recv_ready(s), deadline);
			if (err) {
				err = sock_sleep_error(err, s->sock.rcvtimeo_ns);
				if (copied)
					err = 0;
				break;
			}
			continue;
		}
		/* The pkb stays put: we hold iolock, senders only append. */
		size_t n = MIN(p->len - off, total - copied);
		if (iov_iter_copy_to(&m->data, copied, p->data + off, n)) {
			err = -EFAULT;
			break;
		}
		copied += n;
		if (peek)
			continue;
		bool used = false;
		scoped_guard(spinlock, &s->lock) {
			p->off += n;
			s->rcv_bytes -= n;
			if (p->off == p->len) {
				list_del(&p->node);
				used = true;
			}
		}
		if (used)
			pkb_free(p);
	}
	if (copied && !peek)
		tcp_maybe_window_update(s);
	mutex_unlock(&s->iolock);
	return copied ? (ssize_t)copied : err;
}

/* ---- shutdown, poll ---- */

/* Send our FIN (caller holds s->sendlock): ESTABLISHED -> FIN_WAIT1,
 * CLOSE_WAIT -> LAST_ACK. */
static void tcp_send_fin(struct inet_sock *s)
{
	struct pkb *p = pkb_alloc(0);

	scoped_guard(spinlock, &s->lock) {
		s->shutdown |= SEND_SHUTDOWN;
		if (!p || (s->state != TCP_ESTABLISHED && s->state != TCP_CLOSE_WAIT &&
			   s->state != TCP_SYN_RECV)) {
			pkb_free(take_ptr(p));
			break;
		}
		s->state = s->state == TCP_CLOSE_WAIT ? TCP_LAST_ACK : TCP_FIN_WAIT1;
		tcp_fill(s, p, TCP_FIN | TCP_ACK);
	}
	wake_up_all(&s->wait);
	if (p)
		ip_output(p);
}

static void tcp_close_listener(struct inet_sock *s);

static int tcp_shutdown(struct socket *sock, int how)
{
	struct inet_sock *s = inet_sk(sock);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	unsigned mode = (unsigned)how + 1;
	enum tcp_state st = READ_ONCE(s->state);
	if (st == TCP_CLOSED)
		return -ENOTCONN;
	if (st == TCP_LISTEN) {
		if (mode & RCV_SHUTDOWN)
			tcp_close_listener(s);
		return 0;
	}
	if (mode & RCV_SHUTDOWN) {
		scoped_guard(spinlock, &s->lock)
			s->shutdown |= RCV_SHUTDOWN;
		wake_up_all(&s->wait);
	}
	if (mode & SEND_SHUTDOWN) {
		mutex_lock(&s->sendlock);
		tcp_send_fin(s);
		mutex_unlock(&s->sendlock);
	}
	return 0;
}

static unsigned tcp_poll(struct socket *sock, struct poll_table *pt)
{
	struct inet_sock *s = inet_sk(sock);
	unsigned mask = 0;

	poll_wait(&s->wait, pt);
	guard(spinlock)(&s->lock);
	enum tcp_state st = s->state;
	if (st == TCP_LISTEN)
		return list_empty(&s->acceptq) ? 0 : POLLIN | POLLRDNORM;
	/* As Linux's tcp_poll. */
	if (s->shutdown == SHUTDOWN_MASK || st == TCP_CLOSED)
		mask |= POLLHUP;
	if (s->shutdown & RCV_SHUTDOWN)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (st != TCP_SYN_SENT && st != TCP_SYN_RECV) {
		if (s->rcv_bytes)
			mask |= POLLIN | POLLRDNORM;
		if ((s->shutdown & SEND_SHUTDOWN) || st == TCP_CLOSED ||
		    (int32_t)(s->snd_right - s->snd_nxt) > 0)
			mask |= POLLOUT | POLLWRNORM;
	}
	if (s->err)
		mask |= POLLERR;
	return mask;
}

/* ---- options ---- */

static int tcp_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	struct inet_sock *s = inet_sk(sock);
	int v;

	if (level != IPPROTO_TCP)
		return inet_common_setsockopt(sock, level, name, val, len);
	if (len < (int)sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	switch (name) {
	case TCP_NODELAY:
		/* Nothing waits to coalesce here: every send goes out at once. */
		s->nodelay = v != 0;
		return 0;
	case TCP_KEEPIDLE: case TCP_KEEPINTVL: case TCP_KEEPCNT:
		return v < 1 ? -EINVAL : 0; /* accepted; keepalives never fire on lo */
	case TCP_MAXSEG: case TCP_CORK: case TCP_QUICKACK:
		return 0;
	}
	return -ENOPROTOOPT;
}

static int tcp_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	struct inet_sock *s = inet_sk(sock);
	int v;

	if (level != IPPROTO_TCP)
		return inet_common_getsockopt(sock, level, name, val, len);
	switch (name) {
	case TCP_NODELAY: v = s->nodelay; break;
	case TCP_MAXSEG: v = TCP_MSS; break;
	case TCP_KEEPIDLE: v = 7200; break;
	case TCP_KEEPINTVL: v = 75; break;
	case TCP_KEEPCNT: v = 9; break;
	case TCP_CORK: case TCP_QUICKACK: v = 0; break;
	default: return -ENOPROTOOPT;
	}
	if (*len < 0)
		return -EINVAL;
	*len = MIN(*len, (int)sizeof(v));
	memcpy(val, &v, (size_t)*len);
	return 0;
}

/* ---- close ---- */

/* Stop listening: reset the connections nobody accepted. */
static void tcp_close_listener(struct inet_sock *s)
{
	struct list_head q = LIST_HEAD_INIT(q);

	scoped_guard(spinlock, &s->lock) {
		if (s->state != TCP_LISTEN)
			return;
		s->state = TCP_CLOSED;
		while (!list_empty(&s->acceptq))
			list_move_tail(s->acceptq.next, &q);
		s->nr_accept = 0;
	}
	wake_up_all(&s->wait);
	inet_unhash(s);
	while (!list_empty(&q)) {
		struct inet_sock *c = list_first_entry(&q, struct inet_sock, accept_node);
		list_del(&c->accept_node);
		scoped_guard(spinlock, &c->lock)
			c->orphan = true;
		tcp_abort(c);
		inet_sock_put(c); /* the queue's reference */
	}
}

static void tcp_release(struct socket *sock)
{
	struct inet_sock *s = inet_sk(sock);
	struct list_head q = LIST_HEAD_INIT(q);
	bool unread, abort = false, tw;

	tcp_close_listener(s);
	mutex_lock(&s->sendlock);
	scoped_guard(spinlock, &s->lock) {
		s->orphan = true;
		unread = s->rcv_bytes != 0;
		while (!list_empty(&s->rcvq))
			list_move_tail(s->rcvq.next, &q);
		s->rcv_bytes = 0;
		s->shutdown |= RCV_SHUTDOWN;
		abort = unread || (s->linger.l_onoff && !s->linger.l_linger);
		tw = s->state == TCP_TIME_WAIT;
	}
	while (!list_empty(&q)) {
		struct pkb *p = list_first_entry(&q, struct pkb, node);
		list_del(&p->node);
		pkb_free(p);
	}
	enum tcp_state st = READ_ONCE(s->state);
	if (tw)
		inet_count_dead(s); /* the reaper ends it */
	else if (st == TCP_CLOSED || st == TCP_SYN_SENT)
		tcp_done(s);
	else if (abort)
		tcp_abort(s);
	else
		tcp_send_fin(s); /* a connection that already sent its FIN goes on */
	mutex_unlock(&s->sendlock);
	inet_sock_put(s); /* the file's reference */
}

const struct proto_ops tcp_ops = {
	.bind = inet_bind,
	.connect = tcp_connect,
	.listen = tcp_listen,
	.accept = tcp_accept,
	.getname = inet_getname,
	.sendmsg = tcp_sendmsg,
	.recvmsg = tcp_recvmsg,
	.shutdown = tcp_shutdown,
	.poll = tcp_poll,
	.setsockopt = tcp_setsockopt,
	.getsockopt = tcp_getsockopt,
	.ioctl = inet_ioctl,
	.release = tcp_release,
};
