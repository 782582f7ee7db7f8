/*
 * AF_INET/AF_INET6 internals, shared by inet_sock.c (life cycle, the port
 * table, addresses, options), udp.c and tcp*.c.
 *
 * Locking:
 *   inet_table_lock (spinlock)  the port table: every socket with a port
 *   s->iolock (mutex)           one receiver at a time on s's queue
 *   s->sendlock (mutex, TCP)    one sender at a time: segments leave in order
 *   s->lock (spinlock)          s's state, addresses once hashed, queues,
 *                               sequence numbers, shutdown, err
 * inet_table_lock may be taken before one s->lock (lookups take a
 * reference and drop the table lock first, so in practice they nest only
 * in the conflict checks, which read fields stable while hashed). Two
 * sockets' locks are never held together, and nothing is sent, copied
 * to or from user memory, or slept on under a spinlock: delivery on the
 * loopback device is synchronous (the receiver's protocol runs inside the
 * sender's ip_output), so a packet is always built under the lock and sent
 * after dropping it.
 *
 * Ownership: a socket is referenced by its file, by the port table while
 * hashed, by a listener's accept queue (connections not accepted yet) and
 * by whoever is delivering a packet to it. A TCP socket whose file is
 * closed (an orphan) lives on in the table until the connection is over.
 */
#pragma once
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/list.h>
#include <ferrite/mutex.h>
#include <ferrite/net.h>
#include <ferrite/ref.h>
#include <ferrite/socket.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>
#include <uapi/in.h>

#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

#define INET_EPHEMERAL_LOW 32768 /* net.ipv4.ip_local_port_range */
#define INET_EPHEMERAL_HIGH 60999
#define INET_SOMAXCONN 4096
#define TCP_DEFAULT_RCVBUF 131072 /* net.ipv4.tcp_rmem[1] */
#define TCP_DEFAULT_SNDBUF 16384  /* net.ipv4.tcp_wmem[1] */
#define UDP_DEFAULT_BUF 212992    /* net.core.[rw]mem_default */
#define INET_MAX_BUF 425984       /* 2 * net.core.[rw]mem_max */
#define INET_MIN_SNDBUF 4608
#define INET_MIN_RCVBUF 2304
/* Payload of one TCP segment: a 64 KiB write is one segment. */
#define TCP_MSS 65536
#define UDP_MAX_PAYLOAD4 65507
#define UDP_MAX_PAYLOAD6 65527
/*
 * TIME_WAIT: on the loopback device no segment can arrive after the
 * connection's last one (delivery is synchronous and lossless), so 2 MSL
 * guards nothing here; a connection stays in TIME_WAIT briefly, holding
 * its port as Linux does, and a reaper thread frees it.
 */
#define TCP_TIMEWAIT_NS 50000000ULL

enum tcp_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECV,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT1,
	TCP_FIN_WAIT2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
};

struct inet_sock {
	struct socket sock;        /* first: the generic socket */
	struct ref ref;
	struct spinlock lock;
	int proto;                 /* IPPROTO_TCP or IPPROTO_UDP */
	/* Addresses (IPv4 kept mapped). Written under inet_table_lock and
	 * lock together; stable while hashed except by connect/disconnect. */
	struct inet_addr laddr, raddr;
	uint16_t lport, rport;     /* host order; 0: none */
	bool hashed;               /* in the port table; Lock: inet_table_lock */
	bool bind_explicit;        /* bound by bind(), not picked by connect */
	struct list_head hash_node;/* Lock: inet_table_lock */
	struct list_head rcvq;     /* struct pkb; Lock: lock */
	size_t rcv_bytes;          /* unread payload; Lock: lock */
	unsigned shutdown;         /* Lock: lock */
	int err;                   /* pending SO_ERROR (positive); Lock: lock */
	bool orphan;               /* the file is closed; Lock: lock */
	struct waitqueue wait;     /* readers, writers, acceptors, connectors */
	struct mutex iolock, sendlock;
	/* Options: single words, written without a lock. */
	int rcvbuf, sndbuf;
	bool reuseaddr, reuseport, keepalive, nodelay, v6only, broadcast;
	struct linger linger;
	int ttl, tos;
	/* TCP; Lock: lock */
	enum tcp_state state;
	uint32_t snd_una, snd_nxt, snd_right; /* snd_right: peer's window edge */
	uint32_t rcv_nxt, rcv_adv;            /* rcv_adv: our advertised edge */
	struct inet_sock *parent;  /* SYN_RECV child: its listener (reference) */
	struct list_head acceptq;  /* listener: established children */
	struct list_head accept_node;
	unsigned backlog, nr_accept, nr_pending; /* pending: SYN_RECV children */
	uint64_t tw_expires;       /* TIME_WAIT end; Lock: tcp_tw_lock */
	struct list_head tw_node;  /* Lock: tcp_tw_lock */
	uint64_t syn_expires;      /* SYN_SENT: the next resend of the SYN */
	struct list_head syn_node; /* on the SYN resend list; Lock: tcp_tw_lock */
	unsigned syn_retries;      /* SYNs sent again so far; Lock: tcp_tw_lock */
	bool counted;              /* in inet_socks_live */
	bool connecting;           /* a non-blocking connect not reported yet; Lock: lock */
};

static inline struct inet_sock *inet_sk(struct socket *s)
{
	return container_of(s, struct inet_sock, sock);
}

/* ---- addresses (ip.c) ---- */
static inline bool inet_addr_eq(const struct inet_addr *a, const struct inet_addr *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}
bool inet_addr_is_v4(const struct inet_addr *a);       /* ::ffff:0:0/96 */
bool inet_addr_is_any(const struct inet_addr *a);      /* :: or ::ffff:0.0.0.0 */
bool inet_addr_is_loopback(const struct inet_addr *a); /* ::1 or 127/8 */
void inet_addr_from_v4(struct inet_addr *a, uint32_t be_addr);
/* Parse a user sockaddr for socket s into addr/port (host order). */
int inet_addr_in(const struct inet_sock *s, const void *uaddr, int len, struct inet_addr *addr,
		 uint16_t *port, bool for_bind);
/* Write addr/port as s's family's sockaddr; return its length. */
int inet_addr_out(const struct inet_sock *s, const struct inet_addr *addr, uint16_t port,
		  void *out);
/* A wildcard destination means this host: 127.0.0.1 or ::1. */
void inet_any_to_loopback(struct inet_addr *a);
/* The source address for reaching dst (a loopback address), or -errno. */
int inet_pick_source(const struct inet_addr *dst, struct inet_addr *src);

/* ---- sockets and the port table (inet_sock.c) ---- */
void inet_sock_get(struct inet_sock *s);
void inet_sock_put(struct inet_sock *s);
DEFINE_FREE(inet_sock_put, struct inet_sock *, if (_T) inet_sock_put(_T))
struct inet_sock *inet_sock_alloc(int family, int type, int proto);
/* Give s port (0: an ephemeral one) and put it in the table. */
int inet_hash_bind(struct inet_sock *s, const struct inet_addr *addr, uint16_t port);
void inet_unhash(struct inet_sock *s);
/* Connect s to dst:dport from src (unless bound to an address): hash it
 * on an ephemeral port if it has none; -EADDRNOTAVAIL when the 4-tuple is
 * taken or no port is left. */
int inet_hash_connect(struct inet_sock *s, const struct inet_addr *src, const struct inet_addr *dst,
		      uint16_t dport);
/* Hash a new connection (a listener's child) with its addresses set. */
void inet_hash_child(struct inet_sock *s);
/* The socket a packet to daddr:dport from saddr:sport belongs to, with a
 * reference: a connected one first, then a listening/bound one. */
struct inet_sock *inet_lookup(int proto, const struct inet_addr *saddr, uint16_t sport,
			      const struct inet_addr *daddr, uint16_t dport);
/* Check that no other listener holds s's port (listen's second check). */
int inet_listen_check(struct inet_sock *s);
void inet_count_dead(struct inet_sock *s);
int inet_common_setsockopt(struct socket *sock, int level, int name, const void *val, int len);
int inet_common_getsockopt(struct socket *sock, int level, int name, void *val, int *len);
int inet_getname(struct socket *sock, void *out, bool peer);
int inet_bind(struct socket *sock, const void *addr, int len);
long inet_ioctl(struct socket *sock, unsigned cmd, unsigned long arg);

/* ---- UDP (udp.c) ---- */
extern const struct proto_ops udp_ops;
void udp_rcv(struct pkb *p);
void udp_err(struct pkb *p); /* an ICMP port unreachable */
/* ---- ICMP (ip.c) ---- */
void icmp_send_unreach(const struct pkb *orig);

/* ---- TCP (tcp.c, tcp_input.c, tcp_output.c; the rest in tcp.h) ---- */
extern const struct proto_ops tcp_ops;
void tcp_rcv(struct pkb *p);
/* Start the TIME_WAIT reaper (at boot). */
void tcp_init(void);
/* Counters for leak checks. */
size_t inet_socks_count_live(void);
