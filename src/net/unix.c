/*
 * AF_UNIX sockets: life cycle, names (path names bound to a socket inode
 * in the file system, and Linux's abstract names), connections (connect
 * queues a ready-made server socket on the listener, accept hands it
 * out), shutdown, poll and options. Messages are in unix_msg.c; locking is
 * described in unix_internal.h.
 *
 * Ownership: a socket is referenced by its file, by its connected peer, by
 * a listener's accept queue (embryos) and by every skb it sent that is
 * still queued. Releasing the file marks it dead, drops its peer and
 * empties its queues; the memory goes with the last reference.
 */
#include <ferrite/string.h>
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/poll.h>
#include <hal/hal_timer.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>
#include <uapi/time.h>
#include "unix_internal.h"

#define FIONREAD 0x541B
#define SIOCOUTQ 0x5411

static struct spinlock unix_table_lock = SPINLOCK_INIT("unix_table");
static struct list_head unix_bound = LIST_HEAD_INIT(unix_bound); /* Lock: unix_table_lock */
static const struct proto_ops unix_stream_ops, unix_seqpacket_ops, unix_dgram_ops;

void unix_sock_get(struct unix_sock *u)
{
	ref_get(&u->ref);
}

static void unix_sock_free(struct ref *r)
{
	struct unix_sock *u = container_of(r, struct unix_sock, ref);

	unix_drop_spare(u);
	kfree(u);
}

void unix_sock_put(struct unix_sock *u)
{
	ref_put(&u->ref, unix_sock_free);
}

static void unix_addr_free(struct ref *r)
{
	struct unix_addr *a = container_of(r, struct unix_addr, ref);

	if (a->inode)
		inode_put(a->inode);
	kfree(a);
}

void unix_addr_put(struct unix_addr *a)
{
	if (a)
		ref_put(&a->ref, unix_addr_free);
}

struct ucred unix_current_cred(void)
{
	struct process *p = current->proc;

	return (struct ucred){ .pid = p->pid, .uid = p->uid, .gid = p->gid };
}

static struct ucred current_peercred(void)
{
	struct process *p = current->proc;

	return (struct ucred){ .pid = p->pid, .uid = p->euid, .gid = p->egid };
}


static struct unix_sock *unix_alloc(int type)
{
	struct unix_sock *u = kzalloc(sizeof(*u));

	if (!u)
		return NULL;
	u->sock.ops = type == SOCK_DGRAM	  ? &unix_dgram_ops
		      : type == SOCK_SEQPACKET ? &unix_seqpacket_ops
					       : &unix_stream_ops;
	u->sock.family = AF_UNIX;
	u->sock.type = type;
	ref_init(&u->ref);
	spin_init(&u->lock, "unix_sock");
	list_init(&u->rcvq);
	list_init(&u->acceptq);
	list_init(&u->accept_node);
	list_init(&u->bound_node);
	list_init(&u->gc_node);
	waitqueue_init(&u->wait);
	mutex_init(&u->iolock);
	u->sndbuf = UNIX_DEFAULT_BUF;
	u->rcvbuf = UNIX_DEFAULT_BUF;
	return u;
}

static int unix_check_type(int type, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	return 0;
}

int unix_create(int type, int protocol, struct socket **out)
{
	if (type == SOCK_RAW)
		type = SOCK_DGRAM; /* as Linux */
	int err = unix_check_type(type, protocol);

	if (err)
		return err;
	struct unix_sock *u = unix_alloc(type);
	if (!u)
		return -ENOMEM;
	*out = &u->sock;
	return 0;
}

/* Join a and b as connected peers (each takes a reference on the other). */
static void unix_pair(struct unix_sock *a, struct unix_sock *b)
{
	unix_sock_get(b);
	a->peer = b;
	a->state = UNIX_CONNECTED;
	unix_sock_get(a);
	b->peer = a;
	b->state = UNIX_CONNECTED;
}

int unix_socketpair(int type, int protocol, struct socket **pa, struct socket **pb)
{
	int err = unix_check_type(type, protocol);

	if (err)
		return err;
	struct unix_sock *a = unix_alloc(type), *b = unix_alloc(type);
	if (!a || !b) {
		kfree(a);
		kfree(b);
		return -ENOMEM;
	}
	unix_pair(a, b);
	a->peercred = b->peercred = current_peercred();
	a->peercred_set = b->peercred_set = true;
	*pa = &a->sock;
	*pb = &b->sock;
	return 0;
}

/* ---- names ---- */

int unix_check_name(const void *addr, int len)
{
	const struct sockaddr_un *sun = addr;

	if (len < (int)sizeof(sun->sun_family) || len > (int)sizeof(*sun))
		return -EINVAL;
	if (sun->sun_family != AF_UNIX)
		return -EINVAL;
	return len;
}

static bool unix_name_abstract(const struct sockaddr_un *name, int len)
{
	return len > (int)sizeof(name->sun_family) && name->sun_path[0] == '\0';
}

/* The NUL-terminated path of a path name (len bytes of it are used). */
static void unix_path(const struct sockaddr_un *name, int len, char *out /* 109 */)
{
	size_t n = (size_t)len - sizeof(name->sun_family);

	memcpy(out, name->sun_path, n);
	out[n] = '\0';
}

/* Caller holds unix_table_lock. */
static struct unix_sock *unix_lookup_locked(const struct sockaddr_un *name, int len,
					    struct inode *ino)
{
	struct unix_sock *u;

	list_for_each_entry(u, &unix_bound, bound_node) {
		struct unix_addr *a = u->addr;
		if (ino ? a->inode == ino
			: !a->inode && a->len == len && !memcmp(&a->name, name, (size_t)len))
			return u;
	}
	return NULL;
}

struct unix_sock *unix_find(const struct sockaddr_un *name, int len)
{
	__free(inode_put) struct inode *ino = NULL;

	if (!unix_name_abstract(name, len)) {
		char path[sizeof(name->sun_path) + 1];
		if (len <= (int)sizeof(name->sun_family))
			return ERR_PTR(-EINVAL);
		unix_path(name, len, path);
		ino = vfs_lookup_at(AT_FDCWD, path, LOOKUP_FOLLOW);
		if (IS_ERR(ino))
			return ERR_PTR(PTR_ERR(take_ptr(ino)));
		if (!S_ISSOCK(ino->mode))
			return ERR_PTR(-ECONNREFUSED);
		if (inode_permission(ino, W_OK))
			return ERR_PTR(-EACCES);
	}
	guard(spinlock)(&unix_table_lock);
	struct unix_sock *u = unix_lookup_locked(name, len, ino);
	if (!u)
		return ERR_PTR(-ECONNREFUSED);
	unix_sock_get(u);
	return u;
}

/* Publish addr as u's name unless taken (-EADDRINUSE) or u is bound (-EINVAL). */
static int unix_publish(struct unix_sock *u, struct unix_addr *addr)
{
	guard(spinlock)(&unix_table_lock);
	if (u->addr)
		return -EINVAL;
	if (unix_lookup_locked(&addr->name, addr->len, addr->inode))
		return -EADDRINUSE;
	u->addr = addr;
	list_add(&u->bound_node, &unix_bound);
	return 0;
}

/* bind with only the family: a unique abstract name "\0" + 5 hex digits. */
static int unix_autobind(struct unix_sock *u)
{
	static unsigned next; /* atomic */

	for (int tries = 0; tries < 0x100000; tries++) {
		struct unix_addr *a = kzalloc(sizeof(*a));
		if (!a)
			return -ENOMEM;
		ref_init(&a->ref);
		unsigned n = __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) & 0xfffff;
		a->name.sun_family = AF_UNIX;
		for (int i = 0; i < 5; i++)
			a->name.sun_path[1 + i] = "0123456789abcdef"[(n >> (4 * (4 - i))) & 0xf];
		a->len = (int)sizeof(a->name.sun_family) + 6;
		int err = unix_publish(u, a);
		if (err != -EADDRINUSE) {
			if (err)
				unix_addr_put(a);
			return err == -EINVAL ? 0 : err; /* already bound: fine */
		}
		unix_addr_put(a);
	}
	return -ENOSPC;
}

static int unix_bind(struct socket *s, const void *uaddr, int len)
{
	struct unix_sock *u = unix_sk(s);
	int err = unix_check_name(uaddr, len);

	if (err < 0)
		return err;
	if (len == (int)sizeof(sa_family_t))
		return READ_ONCE(u->addr) ? -EINVAL : unix_autobind(u);
	__free(kfree) struct unix_addr *a = kzalloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	ref_init(&a->ref);
	memcpy(&a->name, uaddr, (size_t)len);
	a->len = len;
	char path[sizeof(a->name.sun_path) + 1] = "";
	if (!unix_name_abstract(&a->name, len)) {
		unix_path(&a->name, len, path);
		/* Linux keeps the path up to its first NUL. */
		a->len = (int)MIN(sizeof(sa_family_t) + strlen(path) + 1, sizeof(a->name));
		/* As Linux: the node first (a taken path is EADDRINUSE even
		 * for a bound socket), removed again if the bind fails. */
		err = vfs_mknod_at(AT_FDCWD, path, S_IFSOCK | 0777, 0);
		if (err)
			return err == -EEXIST ? -EADDRINUSE : err;
		a->inode = vfs_lookup_at(AT_FDCWD, path, 0);
		if (IS_ERR(a->inode)) {
			err = (int)PTR_ERR(a->inode);
			a->inode = NULL;
			return err;
		}
	}
	err = unix_publish(u, a);
	if (err) {
		if (a->inode)
			vfs_unlink_at(AT_FDCWD, path);
		unix_addr_put(take_ptr(a));
		return err;
	}
	take_ptr(a);
	return 0;
}

static int unix_getname(struct socket *s, void *out, bool peer)
{
	struct unix_sock *u = unix_sk(s), *other = u;
	__free(unix_addr_put) struct unix_addr *a = NULL;

	if (peer) {
		guard(spinlock)(&u->lock);
		other = u->peer;
		if (!other || u->state != UNIX_CONNECTED)
			return -ENOTCONN;
		unix_sock_get(other);
	}
	scoped_guard(spinlock, &unix_table_lock) {
		a = other->addr;
		if (a)
			ref_get(&a->ref);
	}
	if (peer)
		unix_sock_put(other);
	if (!a) {
		struct sockaddr_un *sun = out;
		sun->sun_family = AF_UNIX;
		return sizeof(sa_family_t);
	}
	memcpy(out, &a->name, (size_t)a->len);
	return a->len;
}

struct unix_addr *unix_addr_of(struct unix_sock *u)
{
	guard(spinlock)(&unix_table_lock);
	if (u->addr)
		ref_get(&u->addr->ref);
	return u->addr;
}

/* ---- connections ---- */

static int unix_listen(struct socket *s, int backlog)
{
	struct unix_sock *u = unix_sk(s);

	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if ((unsigned)backlog > UNIX_SOMAXCONN)
		backlog = UNIX_SOMAXCONN;
	if (!READ_ONCE(u->addr))
		return -EINVAL; /* Linux: listen needs a bound name */
	scoped_guard(spinlock, &u->lock) {
		if (u->state != UNIX_UNCONNECTED && u->state != UNIX_LISTENING)
			return -EINVAL;
		u->backlog = (unsigned)backlog;
		u->state = UNIX_LISTENING;
	}
	u->peercred = current_peercred();
	u->peercred_set = true;
	wake_up_all(&u->wait); /* connectors waiting for room */
	return 0;
}

/* Queue embryo on the listener if there is room. Return 0, -EAGAIN (full),
 * -ECONNREFUSED (not listening). */
static int unix_enqueue_embryo(struct unix_sock *l, struct unix_sock *embryo)
{
	guard(spinlock)(&l->lock);
	if (l->state != UNIX_LISTENING || l->dead)
		return -ECONNREFUSED;
	if (l->nr_accept > l->backlog)
		return -EAGAIN;
	list_add_tail(&embryo->accept_node, &l->acceptq);
	l->nr_accept++;
	return 0;
}

static bool unix_listener_has_room(struct unix_sock *l)
{
	return READ_ONCE(l->state) != UNIX_LISTENING || READ_ONCE(l->dead) ||
	       READ_ONCE(l->nr_accept) <= READ_ONCE(l->backlog);
}

static void unix_release_sock(struct unix_sock *u, bool embryo);

static int unix_stream_connect(struct unix_sock *u, const struct sockaddr_un *name, int len,
			       bool nonblock)
{
	scoped_guard(spinlock, &u->lock) {
		if (u->state == UNIX_CONNECTED)
			return -EISCONN;
		if (u->state != UNIX_UNCONNECTED)
			return -EINVAL;
	}
	struct unix_sock *l = unix_find(name, len);
	if (IS_ERR(l))
		return (int)PTR_ERR(l);
	int err = 0;
	struct unix_sock *embryo = NULL;
	if (l->sock.type != u->sock.type) {
		err = -EPROTOTYPE;
		goto out;
	}
	embryo = unix_alloc(u->sock.type);
	if (!embryo) {
		err = -ENOMEM;
		goto out;
	}
	uint64_t deadline = sock_deadline(u->sock.sndtimeo_ns);
	embryo->peercred = current_peercred();
	embryo->peercred_set = true;
	if (l->addr) {
		guard(spinlock)(&unix_table_lock);
		if ((embryo->addr = l->addr))
			ref_get(&embryo->addr->ref);
	}
	scoped_guard(spinlock, &u->lock) {
		if (u->state != UNIX_UNCONNECTED) {
			err = u->state == UNIX_CONNECTED ? -EISCONN : -EINVAL;
			break;
		}
		unix_pair(u, embryo);
		u->peercred = l->peercred;
		u->peercred_set = true;
	}
	if (err) {
		unix_release_sock(embryo, false);
		goto out;
	}
	while ((err = unix_enqueue_embryo(l, embryo)) == -EAGAIN) {
		if (nonblock)
			break;
		err = (int)wait_event_timeout_interruptible(&l->wait, unix_listener_has_room(l),
							    deadline);
		if (err) {
			err = err == -ETIMEDOUT ? -EAGAIN : err;
			break;
		}
	}
	if (err) {
		/* Undo: u back to unconnected, the embryo goes. */
		scoped_guard(spinlock, &u->lock) {
			u->peer = NULL;
			u->state = UNIX_UNCONNECTED;
		}
		unix_sock_put(embryo); /* u's reference */
		unix_release_sock(embryo, false);
		goto out;
	}
	wake_up_all(&l->wait);
	wake_up_all(&u->wait);
out:
	unix_sock_put(l);
	return err;
}

static int unix_dgram_connect(struct unix_sock *u, const struct sockaddr_un *name, int len)
{
	struct unix_sock *other = NULL, *old;

	if (name->sun_family != AF_UNSPEC) {
		int err = unix_check_name(name, len);
		if (err < 0)
			return err;
		other = unix_find(name, len);
		if (IS_ERR(other))
			return (int)PTR_ERR(other);
		if (other->sock.type != u->sock.type) {
			unix_sock_put(other);
			return -EPROTOTYPE;
		}
	}
	scoped_guard(spinlock, &u->lock) {
		old = u->peer;
		u->peer = other; /* the lookup's reference moves here */
		u->state = other ? UNIX_CONNECTED : UNIX_UNCONNECTED;
	}
	if (old)
		unix_sock_put(old);
	wake_up_all(&u->wait);
	return 0;
}

static int unix_connect(struct socket *s, const void *addr, int len, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	const struct sockaddr_un *name = addr;

	if (len < (int)sizeof(sa_family_t))
		return -EINVAL;
	if (s->type == SOCK_DGRAM)
		return unix_dgram_connect(u, name, len);
	int err = unix_check_name(addr, len);
	if (err < 0)
		return err;
	return unix_stream_connect(u, name, len, nonblock);
}

static struct socket *unix_accept(struct socket *s, bool nonblock)
{
	struct unix_sock *l = unix_sk(s);
	uint64_t deadline = sock_deadline(l->sock.rcvtimeo_ns);

	if (s->type == SOCK_DGRAM)
		return ERR_PTR(-EOPNOTSUPP);
	for (;;) {
		scoped_guard(spinlock, &l->lock) {
			if (l->state != UNIX_LISTENING)
				return ERR_PTR(-EINVAL);
			if (!list_empty(&l->acceptq)) {
				struct unix_sock *e =
					list_first_entry(&l->acceptq, struct unix_sock, accept_node);
				list_del(&e->accept_node);
				l->nr_accept--;
				wake_up_all(&l->wait); /* room for a connector */
				return &e->sock; /* the queue's reference moves to the caller */
			}
		}
		if (nonblock)
			return ERR_PTR(-EAGAIN);
		long err = wait_event_timeout_interruptible(
			&l->wait, !list_empty(&l->acceptq) || READ_ONCE(l->state) != UNIX_LISTENING,
			deadline);
		if (err)
			return ERR_PTR(err == -ETIMEDOUT ? -EAGAIN : err);
	}
}

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_sk(s), *peer = NULL;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	unsigned mode = (unsigned)how + 1; /* SHUT_RD -> RCV, SHUT_WR -> SEND */
	scoped_guard(spinlock, &u->lock) {
		if (s->type != SOCK_DGRAM && u->state != UNIX_CONNECTED && u->state != UNIX_CLOSED)
			return -ENOTCONN;
		u->shutdown |= mode;
		if (s->type != SOCK_DGRAM && (peer = u->peer))
			unix_sock_get(peer);
	}
	wake_up_all(&u->wait);
	if (peer) {
		/* What we stop sending, the peer stops receiving, and back. */
		unsigned peer_mode = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) |
				     ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
		scoped_guard(spinlock, &peer->lock)
			peer->shutdown |= peer_mode;
		wake_up_all(&peer->wait);
		unix_sock_put(peer);
	}
	return 0;
}

/* ---- poll ---- */

static bool unix_writable(struct unix_sock *u)
{
	return READ_ONCE(u->state) != UNIX_LISTENING &&
	       (READ_ONCE(u->wmem) << 2) <= (size_t)READ_ONCE(u->sndbuf);
}

static unsigned unix_poll(struct socket *s, struct poll_table *pt)
{
	struct unix_sock *u = unix_sk(s), *peer = NULL;
	unsigned mask = 0;

	poll_wait(&u->wait, pt);
	scoped_guard(spinlock, &u->lock) {
		if (u->err)
			mask |= POLLERR;
		if (u->shutdown == SHUTDOWN_MASK)
			mask |= POLLHUP;
		if (u->shutdown & RCV_SHUTDOWN)
			mask |= POLLRDHUP | POLLIN | POLLRDNORM;
		if (!list_empty(&u->rcvq) || !list_empty(&u->acceptq))
			mask |= POLLIN | POLLRDNORM;
		if (s->type != SOCK_DGRAM && (u->state == UNIX_CLOSED || u->state == UNIX_UNCONNECTED))
			mask |= POLLHUP;
		if (s->type == SOCK_DGRAM && u->peer) {
			peer = u->peer;
			unix_sock_get(peer);
		}
	}
	if (unix_writable(u))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	if (peer) {
		/* A connected datagram socket writes only while the peer's
		 * queue has room (and hears when it gets some). */
		poll_wait(&peer->wait, pt);
		guard(spinlock)(&peer->lock);
		if (peer->rcv_msgs > UNIX_MAX_DGRAM_QLEN && peer->peer != u)
			mask &= ~(POLLOUT | POLLWRNORM | POLLWRBAND);
	}
	if (peer)
		unix_sock_put(peer);
	return mask;
}

/* ---- options and ioctls ---- */

static int unix_setsockopt(struct socket *s, int level, int name, const void *val, int len)
{
	struct unix_sock *u = unix_sk(s);

	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	if (len < (int)sizeof(int))
		return -EINVAL;
	int v;
	memcpy(&v, val, sizeof(v));
	switch (name) {
	case SO_SNDBUF:
	case SO_RCVBUF: {
		long want = (long)(unsigned)v * 2;
		long min = name == SO_SNDBUF ? UNIX_MIN_SNDBUF : UNIX_MIN_RCVBUF;
		if ((unsigned)v > UNIX_MAX_BUF / 2)
			want = UNIX_MAX_BUF;
		if (want < min)
			want = min;
		WRITE_ONCE(*(name == SO_SNDBUF ? &u->sndbuf : &u->rcvbuf), (int)want);
		if (name == SO_SNDBUF)
			wake_up_all(&u->wait);
		return 0;
	}
	case SO_PASSCRED:
		WRITE_ONCE(u->passcred, v != 0);
		return 0;
	case SO_REUSEADDR:
	case SO_REUSEPORT:
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_DEBUG:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
	case SO_RCVLOWAT:
	case SO_LINGER:
		return 0; /* accepted; no effect on AF_UNIX, as on Linux */
	}
	return -ENOPROTOOPT;
}

static int unix_getsockopt(struct socket *s, int level, int name, void *val, int *len)
{
	struct unix_sock *u = unix_sk(s);
	int v;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (name) {
	case SO_PEERCRED: {
		struct ucred c = { 0, (uint32_t)-1, (uint32_t)-1 };
		scoped_guard(spinlock, &u->lock) {
			if (u->peercred_set && (u->state == UNIX_CONNECTED || u->state == UNIX_CLOSED ||
						 u->state == UNIX_LISTENING))
				c = u->peercred;
		}
		*len = MIN(*len, (int)sizeof(c));
		memcpy(val, &c, (size_t)*len);
		return 0;
	}
	case SO_PROTOCOL: v = 0; break;
	case SO_SNDBUF: v = READ_ONCE(u->sndbuf); break;
	case SO_RCVBUF: v = READ_ONCE(u->rcvbuf); break;
	case SO_PASSCRED: v = READ_ONCE(u->passcred); break;
	case SO_ACCEPTCONN: v = READ_ONCE(u->state) == UNIX_LISTENING; break;
	case SO_ERROR:
		scoped_guard(spinlock, &u->lock) {
			v = u->err;
			u->err = 0;
		}
		break;
	case SO_REUSEADDR: case SO_REUSEPORT: case SO_KEEPALIVE: case SO_BROADCAST:
	case SO_DEBUG: case SO_DONTROUTE: case SO_OOBINLINE:
		v = 0;
		break;
	case SO_RCVLOWAT: v = 1; break;
	default:
		return -ENOPROTOOPT;
	}
	if (*len < 0)
		return -EINVAL;
	*len = MIN(*len, (int)sizeof(v));
	memcpy(val, &v, (size_t)*len);
	return 0;
}

static long unix_ioctl(struct socket *s, unsigned cmd, unsigned long arg)
{
	struct unix_sock *u = unix_sk(s);
	long v;

	switch (cmd) {
	case FIONREAD:
		if (READ_ONCE(u->state) == UNIX_LISTENING)
			return -EINVAL;
		v = unix_inq(u);
		break;
	case SIOCOUTQ:
		v = (long)READ_ONCE(u->wmem);
		break;
	default:
		return -ENOTTY;
	}
	return put_user((int)v, (int __user *)arg) ? -EFAULT : 0;
}

/* ---- release ---- */

/* embryo: a connection no one accepted (its client sees ECONNRESET). */
static void unix_release_sock(struct unix_sock *u, bool embryo)
{
	struct list_head q = LIST_HEAD_INIT(q), embryos = LIST_HEAD_INIT(embryos);
	struct unix_sock *peer;
	bool unread;

	scoped_guard(spinlock, &u->lock) {
		u->dead = true;
		u->shutdown = SHUTDOWN_MASK;
		peer = u->peer;
		u->peer = NULL;
		u->state = UNIX_CLOSED;
		unread = !list_empty(&u->rcvq);
		while (!list_empty(&u->rcvq))
			list_move_tail(u->rcvq.next, &q);
		while (!list_empty(&u->acceptq))
			list_move_tail(u->acceptq.next, &embryos);
		u->rcv_bytes = 0;
		u->rcv_msgs = 0;
		u->nr_accept = 0;
	}
	scoped_guard(spinlock, &unix_table_lock) {
		if (!list_empty(&u->bound_node))
			list_del(&u->bound_node);
	}
	unix_drop_spare(u); /* dead: no more spares are kept */
	wake_up_all(&u->wait);
	if (peer) {
		if (u->sock.type != SOCK_DGRAM) {
			scoped_guard(spinlock, &peer->lock) {
				if (peer->peer == u) {
					/* The peer keeps its state (and its pointer to
					 * u, as Linux): it reads what is left, then EOF. */
					peer->shutdown = SHUTDOWN_MASK;
					if (unread || embryo)
						peer->err = ECONNRESET;
				}
			}
		}
		wake_up_all(&peer->wait);
		unix_sock_put(peer);
	}
	while (!list_empty(&q)) {
		struct unix_skb *skb = list_first_entry(&q, struct unix_skb, node);
		list_del(&skb->node);
		unix_skb_free(skb);
	}
	while (!list_empty(&embryos)) {
		struct unix_sock *e = list_first_entry(&embryos, struct unix_sock, accept_node);
		list_del(&e->accept_node);
		unix_release_sock(e, true);
	}
	unix_addr_put(u->addr); /* unlinked above: nobody reads it now */
	u->addr = NULL;
	unix_sock_put(u);
	unix_gc(); /* as Linux: a release is when cycles in flight are collected */
}

static void unix_release(struct socket *s)
{
	unix_release_sock(unix_sk(s), false);
}

/* What every AF_UNIX type shares; sending and receiving differ. */
#define UNIX_COMMON_OPS                                                        \
	.bind = unix_bind, .connect = unix_connect, .listen = unix_listen,    \
	.accept = unix_accept, .getname = unix_getname,                        \
	.shutdown = unix_shutdown, .poll = unix_poll,                          \
	.setsockopt = unix_setsockopt, .getsockopt = unix_getsockopt,          \
	.ioctl = unix_ioctl, .release = unix_release

static const struct proto_ops unix_stream_ops = {
	UNIX_COMMON_OPS,
	.sendmsg = unix_stream_sendmsg,
	.recvmsg = unix_stream_recvmsg,
};

/* Sequenced packets: datagram messages over a connection. */
static const struct proto_ops unix_seqpacket_ops = {
	UNIX_COMMON_OPS,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
};

static const struct proto_ops unix_dgram_ops = {
	UNIX_COMMON_OPS,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
};
