/*
 * AF_UNIX internals, shared by unix.c (life cycle, names, connections,
 * poll, options) and unix_msg.c (messages, control data).
 *
 * Locking (see also the top of unix.c):
 *   unix_table_lock (spinlock)  the table of bound names
 *   u->iolock (mutex)           one receiver at a time on u's queue
 *   u->lock (spinlock)          u's state, peer, queues, shutdown, err
 * Two sockets' locks are never held at once; a sender takes its own lock,
 * drops it, then takes the receiver's. Nothing sleeps or copies user
 * memory under u->lock.
 *
 * Waiting: everyone waiting on u sleeps on u->wait: its receivers (for
 * data), its senders (for send-buffer room: the bytes u has queued
 * anywhere, u->wmem, fall as receivers consume them), its acceptors, and
 * datagram senders waiting for room in u's queue. Every change that can
 * end a wait wakes the queue.
 */
#pragma once
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/list.h>
#include <ferrite/mutex.h>
#include <ferrite/ref.h>
#include <ferrite/socket.h>
#include <ferrite/spinlock.h>
#include <ferrite/waitqueue.h>

enum unix_state {
	UNIX_UNCONNECTED, /* new, or a datagram socket without a peer */
	UNIX_LISTENING,
	UNIX_CONNECTED,   /* stream/seqpacket with a peer; dgram with a default peer */
	UNIX_CLOSED,      /* was connected, the peer is gone (or we are) */
};

#define RCV_SHUTDOWN 1
#define SEND_SHUTDOWN 2
#define SHUTDOWN_MASK 3

#define UNIX_MAX_DGRAM_QLEN 10   /* Linux's net.unix.max_dgram_qlen default */
#define UNIX_DEFAULT_BUF 212992  /* net.core.[rw]mem_default */
#define UNIX_MAX_BUF 425984      /* 2 * net.core.[rw]mem_max */
#define UNIX_MIN_SNDBUF 4608
#define UNIX_MIN_RCVBUF 2304
#define UNIX_SOMAXCONN 4096
#define UNIX_SKB_SMALL 128 /* data bytes of every small skb (spares are small) */

/* A bound name: abstract (name[0] == 0) or a path with its inode. */
struct unix_addr {
	struct ref ref;
	int len;                 /* bytes of name used, family included */
	struct sockaddr_un name;
	struct inode *inode;     /* reference, for path names */
};

/* One queued message (datagram/seqpacket) or piece of a stream. */
struct unix_skb {
	struct list_head node;   /* on the receiver's rcvq; Lock: receiver->lock */
	struct unix_sock *owner; /* reference: the sender, charged len in wmem */
	struct unix_addr *from;  /* reference or NULL: the sender's name (dgram) */
	struct ucred cred;
	struct file **fds;       /* SCM_RIGHTS in flight: a reference each */
	unsigned nfds;
	size_t len, off;         /* off: bytes a stream reader consumed */
	char data[];
};

struct unix_sock {
	struct socket sock;       /* first: the generic socket */
	struct ref ref;           /* the file's; each peer's; each queued skb's owner */
	struct spinlock lock;
	enum unix_state state;    /* Lock: lock */
	struct unix_sock *peer;   /* reference; Lock: lock */
	struct list_head rcvq;    /* struct unix_skb; Lock: lock */
	size_t rcv_bytes;         /* unread bytes in rcvq; Lock: lock */
	unsigned rcv_msgs;        /* skbs in rcvq; Lock: lock */
	struct list_head acceptq; /* embryos (listening); Lock: lock */
	struct list_head accept_node; /* an embryo's place in acceptq */
	unsigned backlog, nr_accept;  /* Lock: lock */
	size_t wmem;              /* bytes this socket has queued anywhere; atomic:
				     charged under lock, given back without it */
	struct unix_skb *spare;   /* a freed small skb of ours, for our next send
				     (no kmalloc/kfree per message); atomic */
	unsigned shutdown;        /* RCV_SHUTDOWN | SEND_SHUTDOWN; Lock: lock */
	int err;                  /* pending SO_ERROR (positive errno); Lock: lock */
	bool dead;                /* released; Lock: lock */
	struct unix_addr *addr;   /* bound name (reference); Lock: unix_table_lock */
	struct list_head bound_node; /* Lock: unix_table_lock */
	struct waitqueue wait;
	struct mutex iolock;
	/* Options; written by setsockopt, read without a lock (single words). */
	int sndbuf, rcvbuf;
	bool passcred;
	struct ucred peercred;    /* SO_PEERCRED; set before the socket is visible */
	bool peercred_set;
	/* Garbage collection (unix_gc.c); Lock: unix_gc_lock. */
	unsigned inflight;        /* references to our file in skbs */
	struct list_head gc_node; /* on the in-flight list while inflight > 0 */
	long gc_refs;
	bool gc_candidate, gc_reachable;
};

static inline struct unix_sock *unix_sk(struct socket *s)
{
	return container_of(s, struct unix_sock, sock);
}

void unix_sock_get(struct unix_sock *u);
void unix_sock_put(struct unix_sock *u);
void unix_addr_put(struct unix_addr *a);
DEFINE_FREE(unix_addr_put, struct unix_addr *, unix_addr_put(_T))
/* u's bound name with a reference, or NULL. */
struct unix_addr *unix_addr_of(struct unix_sock *u);
/* The bound socket for a name, with a reference; ERR_PTR(-ECONNREFUSED,
 * -ENOENT...) otherwise. */
struct unix_sock *unix_find(const struct sockaddr_un *name, int len);
/* Check and normalise a user's sockaddr_un; return its used length. */
int unix_check_name(const void *addr, int len);
/* The current process's credentials (SCM_CREDENTIALS: real ids). */
struct ucred unix_current_cred(void);

/* unix_gc.c: count a unix socket's file going into (+1) or out of (-1)
 * an skb (other files are ignored); collect unreachable sockets. */
void unix_inflight(struct file *f, int delta);
void unix_gc(void);

/* unix_msg.c */
ssize_t unix_stream_sendmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
ssize_t unix_stream_recvmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
ssize_t unix_dgram_sendmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
ssize_t unix_dgram_recvmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
/* Free an skb that is on no queue: drop its files, uncharge its owner
 * (a small one may stay as the owner's spare). */
void unix_skb_free(struct unix_skb *skb);
/* Free u's spare skb, if any (u is being released or freed). */
void unix_drop_spare(struct unix_sock *u);
/* The first queued skb's readable bytes (FIONREAD/SIOCINQ). */
long unix_inq(struct unix_sock *u);
