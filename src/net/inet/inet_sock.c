/*
 * AF_INET/AF_INET6 sockets: creation, the port table (bind, ephemeral
 * ports, SO_REUSEADDR/SO_REUSEPORT, lookups for arriving packets), names,
 * the options TCP and UDP share and their ioctls. Locking and ownership
 * are described in inet_internal.h.
 *
 * The port table is an array of buckets by local port; a bucket lists
 * every socket holding a port in it: bound, listening, connected,
 * embryonic or in TIME_WAIT.
 */
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <hal/hal_timer.h>
#include "inet_internal.h"

#define INET_HASH_SIZE 256
#define FIONREAD 0x541B
#define SIOCOUTQ 0x5411

static struct spinlock inet_table_lock = SPINLOCK_INIT("inet_table");
static struct list_head inet_hash[INET_HASH_SIZE]; /* Lock: inet_table_lock */
static bool inet_hash_ready;                        /* Lock: inet_table_lock */
static uint16_t inet_next_ephemeral = INET_EPHEMERAL_LOW; /* Lock: inet_table_lock */
static size_t inet_socks_live; /* atomic: sockets not yet dead or in TIME_WAIT */

size_t inet_socks_count_live(void)
{
	return __atomic_load_n(&inet_socks_live, __ATOMIC_RELAXED);
}

static struct list_head *inet_bucket(uint16_t port)
{
	if (!inet_hash_ready) {
		for (int i = 0; i < INET_HASH_SIZE; i++)
			list_init(&inet_hash[i]);
		inet_hash_ready = true;
	}
	return &inet_hash[port % INET_HASH_SIZE];
}

void inet_sock_get(struct inet_sock *s)
{
	ref_get(&s->ref);
}

static void inet_sock_free(struct ref *r)
{
	struct inet_sock *s = container_of(r, struct inet_sock, ref);

	/* Invariant: the table and every queue hold references. */
	BUG_ON(s->hashed || !list_empty(&s->rcvq) || !list_empty(&s->tw_node) ||
	       !list_empty(&s->syn_node));
	inet_count_dead(s);
	kfree(s);
}

void inet_sock_put(struct inet_sock *s)
{
	ref_put(&s->ref, inet_sock_free);
}

/* s no longer counts as live (dead, or a TIME_WAIT leftover). */
void inet_count_dead(struct inet_sock *s)
{
	if (__atomic_exchange_n(&s->counted, false, __ATOMIC_RELAXED))
		__atomic_sub_fetch(&inet_socks_live, 1, __ATOMIC_RELAXED);
}

struct inet_sock *inet_sock_alloc(int family, int type, int proto)
{
	struct inet_sock *s = kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->sock.ops = proto == IPPROTO_TCP ? &tcp_ops : &udp_ops;
	s->sock.family = family;
	s->sock.type = type;
	s->sock.protocol = proto;
	s->proto = proto;
	ref_init(&s->ref);
	spin_init(&s->lock, "inet_sock");
	list_init(&s->hash_node);
	list_init(&s->rcvq);
	list_init(&s->acceptq);
	list_init(&s->accept_node);
	list_init(&s->tw_node);
	list_init(&s->syn_node);
	waitqueue_init(&s->wait);
	mutex_init(&s->iolock);
	mutex_init(&s->sendlock);
	s->rcvbuf = proto == IPPROTO_TCP ? TCP_DEFAULT_RCVBUF : UDP_DEFAULT_BUF;
	s->sndbuf = proto == IPPROTO_TCP ? TCP_DEFAULT_SNDBUF : UDP_DEFAULT_BUF;
	s->ttl = 64;
	if (family == AF_INET)
		inet_addr_from_v4(&s->laddr, 0);
	s->raddr = s->laddr;
	s->state = TCP_CLOSED;
	s->counted = true;
	__atomic_add_fetch(&inet_socks_live, 1, __ATOMIC_RELAXED);
	return s;
}

int inet_create(int family, int type, int protocol, struct socket **out)
{
	int proto;

	if (type == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP))
		proto = IPPROTO_TCP;
	else if (type == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP))
		proto = IPPROTO_UDP;
	else if (type == SOCK_STREAM || type == SOCK_DGRAM)
		return -EPROTONOSUPPORT;
	else if (type == SOCK_RAW)
		return current->proc->euid ? -EPERM : -EPROTONOSUPPORT; /* no raw sockets */
	else
		return -ESOCKTNOSUPPORT;
	struct inet_sock *s = inet_sock_alloc(family, type, proto);
	if (!s)
		return -ENOMEM;
	*out = &s->sock;
	return 0;
}

/* ---- the port table ---- */

/* Does a packet to daddr reach a socket bound to s's local address? */
static bool inet_laddr_match(const struct inet_sock *s, const struct inet_addr *daddr)
{
	if (inet_addr_eq(&s->laddr, daddr))
		return true;
	if (!inet_addr_is_any(&s->laddr))
		return false;
	if (s->sock.family == AF_INET)
		return inet_addr_is_v4(daddr);
	return !inet_addr_is_v4(daddr) || !s->v6only;
}

/* Could a and b's local addresses receive the same packet? */
static bool inet_laddr_overlap(const struct inet_sock *a, const struct inet_sock *b)
{
	if (!inet_addr_is_any(&a->laddr))
		return inet_laddr_match(b, &a->laddr);
	if (!inet_addr_is_any(&b->laddr))
		return inet_laddr_match(a, &b->laddr);
	/* Both wildcards: they overlap unless one is v4 and the other v6only. */
	bool a4 = a->sock.family == AF_INET, b4 = b->sock.family == AF_INET;
	return a4 == b4 || !(a4 ? b->v6only : a->v6only);
}

/* May s take port beside other (both wanting it)? Caller holds the table lock. */
static bool inet_port_shareable(const struct inet_sock *s, const struct inet_sock *o)
{
	if (o == s || o->proto != s->proto || !inet_laddr_overlap(s, o))
		return true;
	if (s->reuseport && o->reuseport)
		return true;
	if (s->reuseaddr && o->reuseaddr)
		return s->proto == IPPROTO_UDP || READ_ONCE(o->state) != TCP_LISTEN;
	/* A connection in TIME_WAIT yields to SO_REUSEADDR. */
	return s->reuseaddr && READ_ONCE(o->state) == TCP_TIME_WAIT;
}

static bool inet_port_free_locked(struct inet_sock *s, uint16_t port)
{
	struct inet_sock *o;

	list_for_each_entry(o, inet_bucket(port), hash_node)
		if (o->lport == port && !inet_port_shareable(s, o))
			return false;
	return true;
}

/* An ephemeral port nobody of s's protocol uses at all. */
static uint16_t inet_pick_port_locked(struct inet_sock *s)
{
	unsigned range = INET_EPHEMERAL_HIGH - INET_EPHEMERAL_LOW + 1;

	for (unsigned i = 0; i < range; i++) {
		uint16_t port = inet_next_ephemeral;
		inet_next_ephemeral = port == INET_EPHEMERAL_HIGH ? INET_EPHEMERAL_LOW : port + 1;
		struct inet_sock *o;
		bool used = false;
		list_for_each_entry(o, inet_bucket(port), hash_node)
			if (o->lport == port && o->proto == s->proto)
				used = true;
		if (!used)
			return port;
	}
	return 0;
}

int inet_hash_bind(struct inet_sock *s, const struct inet_addr *addr, uint16_t port)
{
	guard(spinlock)(&inet_table_lock);
	if (s->hashed)
		return -EINVAL;
	struct inet_addr old = s->laddr;
	s->laddr = *addr;
	if (!port)
		port = inet_pick_port_locked(s);
	if (!port || !inet_port_free_locked(s, port)) {
		s->laddr = old;
		return port ? -EADDRINUSE : -EAGAIN;
	}
	s->lport = port;
	s->hashed = true;
	inet_sock_get(s); /* the table's reference */
	list_add_tail(&s->hash_node, inet_bucket(port));
	return 0;
}

void inet_unhash(struct inet_sock *s)
{
	scoped_guard(spinlock, &inet_table_lock) {
		if (!s->hashed)
			return;
		list_del(&s->hash_node);
		s->hashed = false;
	}
	inet_sock_put(s);
}

struct inet_sock *inet_lookup(int proto, const struct inet_addr *saddr, uint16_t sport,
			      const struct inet_addr *daddr, uint16_t dport)
{
	struct inet_sock *o, *best = NULL;
	int best_score = 0;

	guard(spinlock)(&inet_table_lock);
	list_for_each_entry(o, inet_bucket(dport), hash_node) {
		if (o->lport != dport || o->proto != proto || !inet_laddr_match(o, daddr))
			continue;
		int score;
		if (o->rport) {
			if (o->rport != sport || !inet_addr_eq(&o->raddr, saddr))
				continue;
			score = 3; /* connected: exact */
		} else if (proto == IPPROTO_TCP && READ_ONCE(o->state) != TCP_LISTEN) {
			continue; /* bound, not listening: takes no connections */
		} else {
			score = inet_addr_is_any(&o->laddr) ? 1 : 2;
		}
		if (score > best_score) {
			best = o;
			best_score = score;
		}
	}
	if (best)
		inet_sock_get(best);
	return best;
}

int inet_listen_check(struct inet_sock *s)
{
	struct inet_sock *o;

	guard(spinlock)(&inet_table_lock);
	list_for_each_entry(o, inet_bucket(s->lport), hash_node)
		if (o != s && o->lport == s->lport && o->proto == s->proto && !o->rport &&
		    READ_ONCE(o->state) == TCP_LISTEN && inet_laddr_overlap(s, o) &&
		    !(s->reuseport && o->reuseport))
			return -EADDRINUSE;
	return 0;
}

/* ---- names ---- */

int inet_bind(struct socket *sock, const void *uaddr, int len)
{
	struct inet_sock *s = inet_sk(sock);
	struct inet_addr addr;
	uint16_t port;
	int err = inet_addr_in(s, uaddr, len, &addr, &port, true);

	if (err)
		return err;
	if (!inet_addr_is_any(&addr) && !inet_addr_is_loopback(&addr))
		return -EADDRNOTAVAIL;
	if (port && port < 1024 && current->proc->euid != 0)
		return -EACCES;
	if (READ_ONCE(s->state) != TCP_CLOSED)
		return -EINVAL;
	err = inet_hash_bind(s, &addr, port);
	if (!err)
		s->bind_explicit = true;
	return err;
}

int inet_getname(struct socket *sock, void *out, bool peer)
{
	struct inet_sock *s = inet_sk(sock);
	struct inet_addr addr;
	uint16_t port;

	scoped_guard(spinlock, &s->lock) {
		if (peer) {
			if (!s->rport || s->state == TCP_SYN_SENT ||
			    (s->proto == IPPROTO_TCP && s->state == TCP_CLOSED))
				return -ENOTCONN;
			addr = s->raddr;
			port = s->rport;
		} else {
			addr = s->laddr;
			port = s->lport;
		}
	}
	return inet_addr_out(s, &addr, port, out);
}

/* ---- options ---- */

static int opt_int(const void *val, int len, int *v)
{
	if (len < (int)sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof(*v));
	return 0;
}

int inet_common_setsockopt(struct socket *sock, int level, int name, const void *val, int len)
{
	struct inet_sock *s = inet_sk(sock);
	int v = 0;

	if (level == SOL_SOCKET && name == SO_LINGER) {
		struct linger l;
		if (len < (int)sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		s->linger = l;
		return 0;
	}
	int err = opt_int(val, len, &v);
	if (err)
		return err;
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_SNDBUF:
		case SO_RCVBUF: {
			long want = (unsigned)v > INET_MAX_BUF / 2 ? INET_MAX_BUF : (long)v * 2;
			long min = name == SO_SNDBUF ? INET_MIN_SNDBUF : INET_MIN_RCVBUF;
			WRITE_ONCE(*(name == SO_SNDBUF ? &s->sndbuf : &s->rcvbuf),
				   (int)(want < min ? min : want));
			wake_up_all(&s->wait);
			return 0;
		}
		case SO_REUSEADDR: s->reuseaddr = v != 0; return 0;
		case SO_REUSEPORT: s->reuseport = v != 0; return 0;
		case SO_KEEPALIVE: s->keepalive = v != 0; return 0;
		case SO_BROADCAST: s->broadcast = v != 0; return 0;
		case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: case SO_RCVLOWAT:
		case SO_SNDLOWAT:
			return 0; /* accepted, no effect on the loopback */
		}
		return -ENOPROTOOPT;
	case IPPROTO_IP:
		if (sock->family != AF_INET)
			return -ENOPROTOOPT;
		switch (name) {
		case IP_TOS: s->tos = v & 0xff; return 0;
		case IP_TTL:
			if (v < -1 || v == 0 || v > 255)
				return -EINVAL;
			s->ttl = v < 0 ? 64 : v;
			return 0;
		case IP_RECVERR: return 0;
		}
		return -ENOPROTOOPT;
	case IPPROTO_IPV6:
		if (sock->family != AF_INET6)
			return -ENOPROTOOPT;
		switch (name) {
		case IPV6_V6ONLY:
			if (READ_ONCE(s->hashed))
				return -EINVAL;
			s->v6only = v != 0;
			return 0;
		case IPV6_UNICAST_HOPS: s->ttl = v < 0 ? 64 : v; return 0;
		}
		return -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}

int inet_common_getsockopt(struct socket *sock, int level, int name, void *val, int *len)
{
	struct inet_sock *s = inet_sk(sock);
	int v;

	if (level == SOL_SOCKET && name == SO_LINGER) {
		*len = MIN(*len, (int)sizeof(s->linger));
		memcpy(val, &s->linger, (size_t)*len);
		return 0;
	}
	switch (level) {
	case SOL_SOCKET:
		switch (name) {
		case SO_PROTOCOL: v = s->proto; break;
		case SO_SNDBUF: v = READ_ONCE(s->sndbuf); break;
		case SO_RCVBUF: v = READ_ONCE(s->rcvbuf); break;
		case SO_REUSEADDR: v = s->reuseaddr; break;
		case SO_REUSEPORT: v = s->reuseport; break;
		case SO_KEEPALIVE: v = s->keepalive; break;
		case SO_BROADCAST: v = s->broadcast; break;
		case SO_ACCEPTCONN: v = READ_ONCE(s->state) == TCP_LISTEN; break;
		case SO_ERROR:
			scoped_guard(spinlock, &s->lock) {
				v = s->err;
				s->err = 0;
			}
			break;
		case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE: v = 0; break;
		case SO_RCVLOWAT: case SO_SNDLOWAT: v = 1; break;
		default:
			return -ENOPROTOOPT;
		}
		break;
	case IPPROTO_IP:
		if (sock->family != AF_INET)
			return -EOPNOTSUPP;
		switch (name) {
		case IP_TOS: v = s->tos; break;
		case IP_TTL: v = s->ttl; break;
		default: return -ENOPROTOOPT;
		}
		break;
	case IPPROTO_IPV6:
		if (sock->family != AF_INET6)
			return -EOPNOTSUPP;
		switch (name) {
		case IPV6_V6ONLY: v = s->v6only; break;
		case IPV6_UNICAST_HOPS: v = s->ttl; break;
		default: return -ENOPROTOOPT;
		}
		break;
	default:
		return -EOPNOTSUPP;
	}
	*len = MIN(*len, (int)sizeof(v));
	memcpy(val, &v, (size_t)*len);
	return 0;
}

long inet_ioctl(struct socket *sock, unsigned cmd, unsigned long arg)
{
	struct inet_sock *s = inet_sk(sock);
	long v;

	switch (cmd) {
	case FIONREAD:
		scoped_guard(spinlock, &s->lock) {
			if (s->proto == IPPROTO_TCP && s->state == TCP_LISTEN)
				return -EINVAL;
			if (s->proto == IPPROTO_UDP)
				v = list_empty(&s->rcvq)
					    ? 0
					    : (long)list_first_entry(&s->rcvq, struct pkb, node)->len;
			else
				v = (long)s->rcv_bytes;
		}
		break;
	case SIOCOUTQ:
		v = 0; /* the loopback takes every segment at once */
		break;
	default:
		return -ENOTTY;
	}
	return put_user((int)v, (int __user *)arg) ? -EFAULT : 0;
}

/* ---- connections in the table ---- */

static bool inet_tuple_taken_locked(const struct inet_sock *s, const struct inet_addr *laddr,
				    uint16_t lport, const struct inet_addr *raddr, uint16_t rport)
{
	struct inet_sock *o;

	list_for_each_entry(o, inet_bucket(lport), hash_node)
		if (o != s && o->proto == s->proto && o->lport == lport && o->rport == rport &&
		    inet_addr_eq(&o->laddr, laddr) && inet_addr_eq(&o->raddr, raddr))
			return true;
	return false;
}

int inet_hash_connect(struct inet_sock *s, const struct inet_addr *src, const struct inet_addr *dst,
		      uint16_t dport)
{
	guard(spinlock)(&inet_table_lock);
	struct inet_addr laddr = inet_addr_is_any(&s->laddr) ? *src : s->laddr;
	if (!s->hashed) {
		/* An ephemeral port; a 4-tuple no other connection has. */
		s->laddr = laddr;
		unsigned range = INET_EPHEMERAL_HIGH - INET_EPHEMERAL_LOW + 1;
		uint16_t port = 0;
		for (unsigned i = 0; i < range && !port; i++) {
			port = inet_pick_port_locked(s);
			if (port && inet_tuple_taken_locked(s, &laddr, port, dst, dport))
				port = 0;
		}
		if (!port)
			return -EADDRNOTAVAIL;
		s->lport = port;
		s->hashed = true;
		inet_sock_get(s);
		list_add_tail(&s->hash_node, inet_bucket(port));
	} else if (inet_tuple_taken_locked(s, &laddr, s->lport, dst, dport)) {
		return -EADDRNOTAVAIL;
	}
	scoped_guard(spinlock, &s->lock) {
		s->laddr = laddr;
		s->raddr = *dst;
		s->rport = dport;
	}
	return 0;
}

void inet_hash_child(struct inet_sock *s)
{
	guard(spinlock)(&inet_table_lock);
	s->hashed = true;
	inet_sock_get(s);
	list_add_tail(&s->hash_node, inet_bucket(s->lport));
}
