/*
 * UDP: datagrams with their boundaries. A send builds one pkb with the
 * payload and hands it to IP; on the loopback the receiving socket's
 * udp_rcv() runs at once and queues it (or drops it when the receive
 * buffer is full, as Linux does). With no socket on the port, an ICMP
 * port unreachable comes back and a connected sender's next call fails
 * with ECONNREFUSED. Receivers take s->iolock, so the head datagram stays
 * put while it is copied out without the spinlock.
 */
#include <ferrite/poll.h>
#include <ferrite/string.h>
#include "inet_internal.h"

static int udp_autobind(struct inet_sock *s)
{
	if (READ_ONCE(s->hashed))
		return 0;
	struct inet_addr any = { 0 };
	if (s->sock.family == AF_INET)
		inet_addr_from_v4(&any, 0);
	int err = inet_hash_bind(s, &any, 0);
	return err == -EINVAL ? 0 : err; /* bound meanwhile: fine */
}

static int udp_connect(struct socket *sock, const void *uaddr, int len, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	struct inet_addr addr, src;
	uint16_t port, family;

	(void)nonblock;
	if (len < (int)sizeof(family))
		return -EINVAL;
	memcpy(&family, uaddr, sizeof(family));
	if (family == AF_UNSPEC) {
		/* Dissolve the association; an automatic local address goes. */
		guard(spinlock)(&s->lock);
		s->rport = 0;
		memset(&s->raddr, 0, sizeof(s->raddr));
		return 0;
	}
	int err = inet_addr_in(s, uaddr, len, &addr, &port, false);
	if (err)
		return err;
	inet_any_to_loopback(&addr); /* Linux: the wildcard means this host */
	err = inet_pick_source(&addr, &src);
	if (err)
		return err;
	err = udp_autobind(s);
	if (err)
		return err;
	guard(spinlock)(&s->lock);
	if (inet_addr_is_any(&s->laddr) && !s->bind_explicit)
		s->laddr = src;
	s->raddr = addr;
	s->rport = port;
	s->err = 0;
	return 0;
}

static ssize_t udp_sendmsg(struct socket *sock, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	struct inet_addr daddr, saddr;
	uint16_t dport, sport;
	size_t len = m->data.total;

	(void)nonblock;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->namelen) {
		int err = inet_addr_in(s, m->name, m->namelen, &daddr, &dport, false);
		if (err)
			return err;
		if (!dport)
			return -EINVAL;
	}
	int err = udp_autobind(s);
	if (err)
		return err;
	scoped_guard(spinlock, &s->lock) {
		if (s->err && !m->namelen) {
			err = -s->err;
			s->err = 0;
			return err;
		}
		if (s->shutdown & SEND_SHUTDOWN)
			return -EPIPE;
		if (!m->namelen) {
			if (!s->rport)
				return -EDESTADDRREQ;
			daddr = s->raddr;
			dport = s->rport;
		}
		saddr = s->laddr;
		sport = s->lport;
	}
	if (len > (inet_addr_is_v4(&daddr) ? UDP_MAX_PAYLOAD4 : UDP_MAX_PAYLOAD6))
		return -EMSGSIZE;
	inet_any_to_loopback(&daddr);
	if (inet_addr_is_any(&saddr) && (err = inet_pick_source(&daddr, &saddr)))
		return err;
	if (!inet_addr_is_loopback(&daddr))
		return -ENETUNREACH;
	struct pkb *p = pkb_alloc(len);
	if (!p)
		return -ENOMEM;
	if (len && iov_iter_copy_from(p->data, &m->data, 0, len)) {
		pkb_free(p);
		return -EFAULT;
	}
	p->h.proto = IPPROTO_UDP;
	p->h.saddr = saddr;
	p->h.daddr = daddr;
	p->h.sport = sport;
	p->h.dport = dport;
	err = ip_output(p);
	return err ? err : (ssize_t)len;
}

void udp_rcv(struct pkb *p)
{
	__free(inet_sock_put) struct inet_sock *s =
		inet_lookup(IPPROTO_UDP, &p->h.saddr, p->h.sport, &p->h.daddr, p->h.dport);

	if (!s) {
		icmp_send_unreach(p);
		pkb_free(p);
		return;
	}
	scoped_guard(spinlock, &s->lock) {
		if (s->rcv_bytes + p->len > (size_t)READ_ONCE(s->rcvbuf) ||
		    (s->shutdown & RCV_SHUTDOWN)) {
			pkb_free(p); /* full: dropped, as Linux */
			return;
		}
		list_add_tail(&p->node, &s->rcvq);
		s->rcv_bytes += p->len;
	}
	wake_up_all(&s->wait);
}

void udp_err(struct pkb *p)
{
	/* p answers a datagram sent from daddr:sport to saddr:dport. */
	__free(inet_sock_put) struct inet_sock *s =
		inet_lookup(IPPROTO_UDP, &p->h.saddr, p->h.dport, &p->h.daddr, p->h.sport);

	if (s && s->rport == p->h.dport && inet_addr_eq(&s->raddr, &p->h.saddr)) {
		scoped_guard(spinlock, &s->lock)
			s->err = ECONNREFUSED;
		wake_up_all(&s->wait);
	}
	pkb_free(p);
}

static ssize_t udp_recvmsg(struct socket *sock, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct inet_sock *s = inet_sk(sock);
	uint64_t deadline = sock_deadline(s->sock.rcvtimeo_ns);
	struct pkb *p = NULL;
	long err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (flags & MSG_DONTWAIT)
		nonblock = true;
	if ((err = mutex_lock_interruptible(&s->iolock)))
		return err;
	for (;;) {
		scoped_guard(spinlock, &s->lock) {
			if (s->err) {
				err = -s->err;
				s->err = 0;
			} else if (!list_empty(&s->rcvq)) {
				p = list_first_entry(&s->rcvq, struct pkb, node);
			} else if (s->shutdown & RCV_SHUTDOWN) {
				err = 1; /* end of file: 0 bytes */
			}
		}
		if (p || err)
			break;
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		err = wait_event_timeout_interruptible(
			&s->wait, !list_empty(&s->rcvq) || READ_ONCE(s->err) ||
					  (READ_ONCE(s->shutdown) & RCV_SHUTDOWN),
			deadline);
		if (err) {
			err = sock_sleep_error(err, s->sock.rcvtimeo_ns);
			break;
		}
	}
	if (!p) {
		mutex_unlock(&s->iolock);
		return err == 1 ? 0 : err;
	}
	size_t n = MIN(p->len, m->data.total);
	err = n ? iov_iter_copy_to(&m->data, 0, p->data, n) : 0;
	if (!err) {
		if (n < p->len)
			m->flags |= MSG_TRUNC;
		m->namelen = inet_addr_out(s, &p->h.saddr, p->h.sport, m->name);
		m->controllen = 0;
		err = (flags & MSG_TRUNC) ? (long)p->len : (long)n;
		if (!(flags & MSG_PEEK)) {
			scoped_guard(spinlock, &s->lock) {
				list_del(&p->node);
				s->rcv_bytes -= p->len;
			}
			pkb_free(p);
		}
	}
	mutex_unlock(&s->iolock);
	return err;
}

static int udp_shutdown(struct socket *sock, int how)
{
	struct inet_sock *s = inet_sk(sock);

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	scoped_guard(spinlock, &s->lock) {
		if (!s->rport)
			return -ENOTCONN;
		s->shutdown |= (unsigned)how + 1;
	}
	wake_up_all(&s->wait);
	return 0;
}

static unsigned udp_poll(struct socket *sock, struct poll_table *pt)
{
	struct inet_sock *s = inet_sk(sock);
	unsigned mask = POLLOUT | POLLWRNORM | POLLWRBAND;

	poll_wait(&s->wait, pt);
	guard(spinlock)(&s->lock);
	if (s->err)
		mask |= POLLERR;
	if (!list_empty(&s->rcvq))
		mask |= POLLIN | POLLRDNORM;
	if (s->shutdown & RCV_SHUTDOWN)
		mask |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (s->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	return mask;
}

static int udp_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

static struct socket *udp_accept(struct socket *sock, bool nonblock)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static void udp_release(struct socket *sock)
{
	struct inet_sock *s = inet_sk(sock);
	struct list_head q = LIST_HEAD_INIT(q);

	inet_unhash(s);
	scoped_guard(spinlock, &s->lock) {
		while (!list_empty(&s->rcvq))
			list_move_tail(s->rcvq.next, &q);
		s->rcv_bytes = 0;
		s->shutdown = SHUTDOWN_MASK;
	}
	while (!list_empty(&q)) {
		struct pkb *p = list_first_entry(&q, struct pkb, node);
		list_del(&p->node);
		pkb_free(p);
	}
	inet_count_dead(s);
	inet_sock_put(s);
}

const struct proto_ops udp_ops = {
	.bind = inet_bind,
	.connect = udp_connect,
	.listen = udp_listen,
	.accept = udp_accept,
	.getname = inet_getname,
	.sendmsg = udp_sendmsg,
	.recvmsg = udp_recvmsg,
	.shutdown = udp_shutdown,
	.poll = udp_poll,
	.setsockopt = inet_common_setsockopt,
	.getsockopt = inet_common_getsockopt,
	.ioctl = inet_ioctl,
	.release = udp_release,
};
