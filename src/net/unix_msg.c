/*
 * AF_UNIX messages: stream bytes and datagram/seqpacket messages, with
 * their control data (SCM_RIGHTS, SCM_CREDENTIALS).
 *
 * A sender copies the payload from user memory into a new skb with no lock
 * held, charges it to its own wmem (bounded by SO_SNDBUF: the sender
 * sleeps on its own queue until receivers free its skbs), then takes the
 * receiver's lock only to check the receiver and link the skb. A receiver
 * holds its iolock (one receiver at a time), so the skbs at the head of
 * its queue stay put while it copies them out without the spinlock;
 * senders only append. Descriptors in flight are file references owned by
 * the skb: received, they move into the receiver's fd table; dropped with
 * the skb (a queue freed on close), they are put.
 */
#include <ferrite/string.h>
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include "unix_internal.h"

static size_t skbs_live; /* atomic */

size_t unix_skbs_count_live(void)
{
	return __atomic_load_n(&skbs_live, __ATOMIC_RELAXED);
}

/* ---- control data ---- */

struct unix_scm {
	struct file **fds; /* kmalloc'd; a reference each */
	unsigned nfds;
	struct ucred cred;
};

static void scm_release(struct unix_scm *scm)
{
	for (unsigned i = 0; i < scm->nfds; i++)
		file_put(scm->fds[i]);
	kfree(scm->fds);
	scm->fds = NULL;
	scm->nfds = 0;
}

static int scm_add_fds(struct unix_scm *scm, const int *fds, unsigned n)
{
	if (!n)
		return 0;
	if (scm->nfds + n > SCM_MAX_FD)
		return -EINVAL;
	struct file **grown = kmalloc((scm->nfds + n) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	memcpy(grown, scm->fds, scm->nfds * sizeof(*grown));
	kfree(scm->fds);
	scm->fds = grown;
	for (unsigned i = 0; i < n; i++) {
		int fd;
		memcpy(&fd, &fds[i], sizeof(fd));
		struct file *f = fd_get_raw(fd); /* O_PATH too, as Linux (fget_raw) */
		if (!f)
			return -EBADF;
		scm->fds[scm->nfds++] = f;
	}
	return 0;
}

/* May the caller claim these credentials? (Linux: its own, or privileged.) */
static bool scm_cred_allowed(const struct ucred *c)
{
	struct process *p = current->proc;

	if (p->euid == 0)
		return true;
	return c->pid == p->pid && (c->uid == p->uid || c->uid == p->euid || c->uid == p->suid) &&
	       (c->gid == p->gid || c->gid == p->egid || c->gid == p->sgid);
}

/* Parse the sender's control messages. On error, scm holds nothing. */
static int scm_parse(const struct kmsg *m, struct unix_scm *scm)
{
	size_t off = 0;
	int err = 0;

	scm->cred = unix_current_cred();
	while (!err && m->controllen - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr c;
		memcpy(&c, m->control + off, sizeof(c));
		if (c.cmsg_len < sizeof(c) || c.cmsg_len > m->controllen - off ||
		    c.cmsg_level != SOL_SOCKET) {
			err = -EINVAL;
			break;
		}
		const char *data = m->control + off + CMSG_HDRLEN;
		size_t dlen = c.cmsg_len - CMSG_HDRLEN;
		switch (c.cmsg_type) {
		case SCM_RIGHTS:
			err = scm_add_fds(scm, (const int *)data, (unsigned)(dlen / sizeof(int)) > SCM_MAX_FD
								  ? SCM_MAX_FD + 1
								  : (unsigned)(dlen / sizeof(int)));
			break;
		case SCM_CREDENTIALS:
			if (c.cmsg_len != CMSG_LEN(sizeof(struct ucred))) {
				err = -EINVAL;
				break;
			}
			memcpy(&scm->cred, data, sizeof(scm->cred));
			if (!scm_cred_allowed(&scm->cred))
				err = -EPERM;
			break;
		default:
			err = -EINVAL;
		}
		off += CMSG_ALIGN(c.cmsg_len);
	}
	if (err)
		scm_release(scm);
	return err;
}

/* Append one control message to m's buffer; MSG_CTRUNC when it does not fit. */
static bool put_cmsg(struct kmsg *m, size_t *used, int type, const void *data, size_t len)
{
	if (!m->control || m->controllen - *used < CMSG_LEN(len)) {
		m->flags |= MSG_CTRUNC;
		return false;
	}
	struct cmsghdr c = { .cmsg_len = CMSG_LEN(len), .cmsg_level = SOL_SOCKET, .cmsg_type = type };
	memcpy(m->control + *used, &c, sizeof(c));
	memcpy(m->control + *used + CMSG_HDRLEN, data, len);
	*used += MIN(CMSG_SPACE(len), m->controllen - *used);
	return true;
}

/*
 * Give the receiver skb's control data: credentials when it asked for
 * them, the descriptors as new fds. A peek installs new references and
 * leaves the skb's; a receive moves them (those that do not fit are put).
 */
static __attribute__((noinline)) void scm_deliver_slow(struct unix_sock *u, struct kmsg *m,
							 struct unix_skb *skb, bool peek)
{
	size_t used = 0;

	if (READ_ONCE(u->passcred))
		put_cmsg(m, &used, SCM_CREDENTIALS, &skb->cred, sizeof(skb->cred));
	if (skb->nfds) {
		size_t room = m->control && m->controllen - used > CMSG_HDRLEN
				      ? (m->controllen - used - CMSG_HDRLEN) / sizeof(int)
				      : 0;
		unsigned n = (unsigned)MIN(room, (size_t)skb->nfds), done = 0;
		int fds[SCM_MAX_FD];
		for (; done < n; done++) {
			file_get(skb->fds[done]);
			int fd = fd_install(skb->fds[done], m->cmsg_cloexec ? O_CLOEXEC : 0);
			if (fd < 0) {
				file_put(skb->fds[done]);
				break;
			}
			fds[done] = fd;
		}
		if (done < skb->nfds)
			m->flags |= MSG_CTRUNC;
		if (done)
			put_cmsg(m, &used, SCM_RIGHTS, fds, done * sizeof(int));
		if (!peek) {
			for (unsigned i = 0; i < skb->nfds; i++) {
				unix_inflight(skb->fds[i], -1);
				file_put(skb->fds[i]);
			}
			skb->nfds = 0;
		}
	}
	m->controllen = used;
}

/* Most messages carry no descriptors to a receiver without SO_PASSCRED. */
static inline void scm_deliver(struct unix_sock *u, struct kmsg *m, struct unix_skb *skb, bool peek)
{
	if (skb->nfds || READ_ONCE(u->passcred))
		scm_deliver_slow(u, m, skb, peek);
	else
		m->controllen = 0;
}

/* ---- skbs ---- */

static void skb_init(struct unix_skb *skb, size_t len)
{
	list_init(&skb->node);
	skb->owner = NULL;
	skb->from = NULL;
	skb->cred = (struct ucred){ 0 };
	skb->fds = NULL;
	skb->nfds = 0;
	skb->len = len;
	skb->off = 0;
}

/* A new skb for len bytes (at least UNIX_SKB_SMALL of room). */
static struct unix_skb *skb_alloc(size_t len)
{
	struct unix_skb *skb = kmalloc(sizeof(*skb) + MAX(len, (size_t)UNIX_SKB_SMALL));

	if (!skb)
		return NULL;
	skb_init(skb, len);
	__atomic_add_fetch(&skbs_live, 1, __ATOMIC_RELAXED);
	return skb;
}

static void skb_release(struct unix_skb *skb)
{
	kfree(skb);
	__atomic_sub_fetch(&skbs_live, 1, __ATOMIC_RELAXED);
}

void unix_drop_spare(struct unix_sock *u)
{
	struct unix_skb *skb = __atomic_exchange_n(&u->spare, NULL, __ATOMIC_ACQUIRE);

	if (skb)
		skb_release(skb);
}

/*
 * Give len bytes of owner's send buffer back; keep skb (when not NULL,
 * small, and owner has no spare and is alive) as owner's spare: its next
 * small send reuses it. Whether skb was kept.
 */
static bool wmem_uncharge(struct unix_sock *owner, size_t len, struct unix_skb *skb)
{
	size_t sndbuf = (size_t)READ_ONCE(owner->sndbuf);
	size_t before = __atomic_fetch_sub(&owner->wmem, len, __ATOMIC_SEQ_CST), after = before - len;
	bool kept = false;

	/* A spare stored just as owner dies is freed with owner (the last
	 * unix_sock_put), not leaked. */
	if (skb && len <= UNIX_SKB_SMALL && !READ_ONCE(owner->dead)) {
		struct unix_skb *none = NULL;
		kept = __atomic_compare_exchange_n(&owner->spare, &none, skb, false,
						   __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	}
	/* Wake the owner's queue only when this crosses a threshold a waiter
	 * is waiting for: below SO_SNDBUF (a blocked sender) or to a quarter
	 * of it (POLLOUT). Its readers sleep there too and would wake for
	 * nothing on every message. */
	if ((before >= sndbuf && after < sndbuf) || (before * 4 > sndbuf && after * 4 <= sndbuf))
		wake_up_all(&owner->wait);
	return kept;
}

void unix_skb_free(struct unix_skb *skb)
{
	struct unix_sock *owner = skb->owner;

	for (unsigned i = 0; i < skb->nfds; i++) {
		unix_inflight(skb->fds[i], -1);
		file_put(skb->fds[i]);
	}
	kfree(skb->fds);
	unix_addr_put(skb->from);
	if (owner) {
		bool kept = wmem_uncharge(owner, skb->len, skb);
		unix_sock_put(owner); /* the last put frees the spare too */
		if (kept)
			return;
	}
	skb_release(skb);
}

long unix_inq(struct unix_sock *u)
{
	guard(spinlock)(&u->lock);
	if (u->sock.type == SOCK_STREAM)
		return (long)u->rcv_bytes;
	if (list_empty(&u->rcvq))
		return 0;
	return (long)list_first_entry(&u->rcvq, struct unix_skb, node)->len;
}

/*
 * Wait until u may queue len more bytes (wmem below SO_SNDBUF), then
 * charge them; in the same lock round take u's spare skb into *spare
 * when spare is not NULL. 0, -EAGAIN, -EPIPE (u shut down), or a
 * signal's error.
 */
static long charge_wmem(struct unix_sock *u, size_t len, bool nonblock, struct unix_skb **spare)
{
	uint64_t deadline = 0;

	for (bool first = true;; first = false) {
		scoped_guard(spinlock, &u->lock) {
			if (u->shutdown & SEND_SHUTDOWN)
				return -EPIPE;
			if (READ_ONCE(u->wmem) < (size_t)READ_ONCE(u->sndbuf)) {
				__atomic_add_fetch(&u->wmem, len, __ATOMIC_RELAXED);
				if (spare && READ_ONCE(u->spare))
					*spare = __atomic_exchange_n(&u->spare, NULL,
								     __ATOMIC_ACQUIRE);
				return 0;
			}
		}
		if (nonblock)
			return -EAGAIN;
		if (first)
			deadline = sock_deadline(u->sock.sndtimeo_ns);
		long err = wait_event_timeout_interruptible(
			&u->wait,
			READ_ONCE(u->wmem) < (size_t)READ_ONCE(u->sndbuf) ||
				(READ_ONCE(u->shutdown) & SEND_SHUTDOWN),
			deadline);
		if (err)
			return sock_sleep_error(err, u->sock.sndtimeo_ns);
	}
}

/* A new skb of len bytes from m's payload at offset at, charged to u
 * (a small one is u's spare when it has one). */
static struct unix_skb *skb_from_user(struct unix_sock *u, const struct kmsg *m, size_t at,
				      size_t len, bool nonblock, long *err)
{
	struct unix_skb *skb = NULL;

	*err = charge_wmem(u, len, nonblock, len <= UNIX_SKB_SMALL ? &skb : NULL);
	if (*err)
		return NULL;
	if (skb)
		skb_init(skb, len);
	else
		skb = skb_alloc(len);
	if (!skb) {
		wmem_uncharge(u, len, NULL);
		*err = -ENOMEM;
		return NULL;
	}
	unix_sock_get(u);
	skb->owner = u;
	if (iov_iter_copy_from(skb->data, &m->data, at, len)) {
		*err = -EFAULT;
		unix_skb_free(skb);
		return NULL;
	}
	return skb;
}

static void skb_take_scm(struct unix_skb *skb, struct unix_scm *scm)
{
	skb->cred = scm->cred;
	skb->fds = take_ptr(scm->fds);
	skb->nfds = scm->nfds;
	scm->nfds = 0;
	for (unsigned i = 0; i < skb->nfds; i++)
		unix_inflight(skb->fds[i], +1);
}

/* ---- streams ---- */

ssize_t unix_stream_sendmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *peer;
	struct unix_scm scm = { 0 };
	size_t total = m->data.total, sent = 0;
	long err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	nonblock |= flags & MSG_DONTWAIT;
	scoped_guard(spinlock, &u->lock) {
		if (m->namelen)
			return u->state == UNIX_CONNECTED ? -EISCONN : -EOPNOTSUPP;
		if (u->shutdown & SEND_SHUTDOWN)
			return -EPIPE;
		if (u->state != UNIX_CONNECTED || !u->peer)
			return -ENOTCONN;
		peer = u->peer;
		unix_sock_get(peer);
	}
	err = m->controllen ? scm_parse(m, &scm) : (scm.cred = unix_current_cred(), 0);
	while (!err && sent < total) {
		/* Pieces of at most half the send buffer, so two can be in flight. */
		size_t chunk = MIN(total - sent, MAX((size_t)READ_ONCE(u->sndbuf) / 2, (size_t)4096));
		chunk = MIN(chunk, (size_t)65536);
		struct unix_skb *skb = skb_from_user(u, m, sent, chunk, nonblock, &err);
		if (!skb)
			break;
		if (!sent)
			skb_take_scm(skb, &scm);
		else
			skb->cred = scm.cred;
		scoped_guard(spinlock, &peer->lock) {
			if (peer->dead || (peer->shutdown & RCV_SHUTDOWN)) {
				err = -EPIPE;
			} else {
				list_add_tail(&skb->node, &peer->rcvq);
				peer->rcv_bytes += chunk;
				peer->rcv_msgs++;
			}
		}
		if (err) {
			unix_skb_free(skb);
			break;
		}
		wake_up_all(&peer->wait);
		sent += chunk;
	}
	scm_release(&scm);
	unix_sock_put(peer);
	return sent ? (ssize_t)sent : err;
}

/* The skb after cur in u's queue (cur NULL: the first), or NULL. Caller
 * holds u->lock. */
static struct unix_skb *skb_next(struct unix_sock *u, struct unix_skb *cur)
{
	struct list_head *n = cur ? cur->node.next : u->rcvq.next;

	return n == &u->rcvq ? NULL : list_entry(n, struct unix_skb, node);
}

static bool rcv_ready(struct unix_sock *u)
{
	return !list_empty(&u->rcvq) || READ_ONCE(u->err) ||
	       (READ_ONCE(u->shutdown) & RCV_SHUTDOWN);
}

/* Sleep for data with iolock dropped; it is held again on return. */
static long wait_rcv(struct unix_sock *u, uint64_t deadline)
{
	mutex_unlock(&u->iolock);
	long err = wait_event_timeout_interruptible(&u->wait, rcv_ready(u), deadline);
	mutex_lock(&u->iolock);
	return err ? sock_sleep_error(err, u->sock.rcvtimeo_ns) : 0;
}

/* Nothing queued: the error to return now (0: wait; 1: end of file).
 * Caller holds iolock and u->lock. */
static long rcv_empty_error(struct unix_sock *u, bool nonblock)
{
	if (!list_empty(&u->rcvq))
		return 0;
	if (u->err) {
		long err = -u->err;
		u->err = 0;
		return err;
	}
	if (u->shutdown & RCV_SHUTDOWN)
		return 1; /* end of file */
	return nonblock ? -EAGAIN : 0;
}

ssize_t unix_stream_recvmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	size_t total = m->data.total, copied = 0;
	bool peek = flags & MSG_PEEK;
	size_t target = (flags & MSG_WAITALL) ? total : 1;
	uint64_t deadline = sock_deadline(u->sock.rcvtimeo_ns);
	size_t room = m->control ? m->controllen : 0;
	long err = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (READ_ONCE(u->state) != UNIX_CONNECTED)
		return -EINVAL;
	if (!total)
		return 0;
	nonblock |= flags & MSG_DONTWAIT;
	m->controllen = 0;
	if (mutex_lock_interruptible(&u->iolock))
		return -ERESTARTSYS;
	/* A peek walks the queue without consuming: pos is the skb it reads,
	 * pos_off the bytes of it already copied. */
	struct unix_skb *pos = NULL;
	size_t pos_off = 0;
	bool scm_done = false;
	while (copied < total) {
		struct unix_skb *skb;
		size_t start;
		long why = 0;
		scoped_guard(spinlock, &u->lock) {
			if (!peek) {
				skb = skb_next(u, NULL);
			} else if (pos && pos_off < pos->len - pos->off) {
				skb = pos;
			} else if ((skb = skb_next(u, pos))) {
				pos = skb;
				pos_off = 0;
			}
			start = skb ? skb->off + (peek ? pos_off : 0) : 0;
			if (!skb && !copied)
				why = rcv_empty_error(u, nonblock); /* same lock round */
		}
		if (!skb) {
			if (copied >= target)
				break;
			if (why) {
				err = why == 1 ? 0 : why;
				break;
			}
			if (nonblock && copied)
				break;
			err = wait_rcv(u, deadline);
			if (err)
				break;
			continue;
		}
		/* Descriptors travel with their own bytes: stop before them. */
		if (copied && skb->nfds)
			break;
		size_t n = MIN(skb->len - start, total - copied);
		if (iov_iter_copy_to(&m->data, copied, skb->data + start, n)) {
			err = -EFAULT;
			break;
		}
		bool had_fds = skb->nfds != 0;
		if (!scm_done) {
			m->controllen = room;
			scm_deliver(u, m, skb, peek);
			scm_done = true;
		}
		copied += n;
		if (peek) {
			pos_off += n;
		} else {
			struct unix_skb *done = NULL;
			scoped_guard(spinlock, &u->lock) {
				skb->off += n;
				u->rcv_bytes -= n;
				if (skb->off == skb->len) {
					list_del(&skb->node);
					u->rcv_msgs--;
					done = skb;
				}
			}
			if (done)
				unix_skb_free(done);
		}
		if (had_fds)
			break;
	}
	mutex_unlock(&u->iolock);
	return copied ? (ssize_t)copied : err;
}

/* ---- datagrams and sequenced packets ---- */

/* Link skb on dest's queue. 0, or -EAGAIN (full: caller waits), or an
 * error for a dest that cannot take it. */
static long dgram_enqueue(struct unix_sock *dest, struct unix_sock *u, struct unix_skb *skb,
			  bool seqpacket)
{
	guard(spinlock)(&dest->lock);
	if (dest->dead)
		return seqpacket ? -EPIPE : -ECONNREFUSED;
	if (!seqpacket && dest->peer && dest->peer != u)
		return -EPERM; /* connected to someone else */
	if (dest->shutdown & RCV_SHUTDOWN)
		return -EPIPE;
	if (!seqpacket && dest->peer != u && dest->rcv_msgs > UNIX_MAX_DGRAM_QLEN)
		return -EAGAIN;
	list_add_tail(&skb->node, &dest->rcvq);
	dest->rcv_bytes += skb->len;
	dest->rcv_msgs++;
	return 0;
}

static bool dgram_room(struct unix_sock *dest)
{
	return READ_ONCE(dest->dead) || READ_ONCE(dest->rcv_msgs) <= UNIX_MAX_DGRAM_QLEN ||
	       (READ_ONCE(dest->shutdown) & RCV_SHUTDOWN);
}

/* The peer we sent to died: a datagram socket forgets it (Linux). */
static void dgram_forget_peer(struct unix_sock *u, struct unix_sock *dest)
{
	struct unix_sock *old = NULL;

	scoped_guard(spinlock, &u->lock) {
		if (u->peer == dest) {
			old = u->peer;
			u->peer = NULL;
			u->state = UNIX_UNCONNECTED;
		}
	}
	if (old)
		unix_sock_put(old);
}

ssize_t unix_dgram_sendmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *dest = NULL;
	bool seqpacket = s->type == SOCK_SEQPACKET;
	size_t len = m->data.total;
	struct unix_scm scm = { 0 };
	long err;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	nonblock |= flags & MSG_DONTWAIT;
	if (seqpacket) {
		if (READ_ONCE(u->state) != UNIX_CONNECTED)
			return -ENOTCONN;
		m->namelen = 0;
	}
	if (len > (size_t)READ_ONCE(u->sndbuf) - 32)
		return -EMSGSIZE;
	if (m->namelen) {
		err = unix_check_name(m->name, m->namelen);
		if (err < 0)
			return err;
		dest = unix_find((const struct sockaddr_un *)m->name, m->namelen);
		if (IS_ERR(dest))
			return PTR_ERR(dest);
	} else {
		scoped_guard(spinlock, &u->lock) {
			if ((dest = u->peer))
				unix_sock_get(dest);
		}
		if (!dest)
			return -ENOTCONN;
	}
	uint64_t deadline = sock_deadline(u->sock.sndtimeo_ns);
	err = m->controllen ? scm_parse(m, &scm) : (scm.cred = unix_current_cred(), 0);
	struct unix_skb *skb = err ? NULL : skb_from_user(u, m, 0, len, nonblock, &err);
	if (!skb)
		goto out;
	skb_take_scm(skb, &scm);
	skb->from = unix_addr_of(u);
	while ((err = dgram_enqueue(dest, u, skb, seqpacket)) == -EAGAIN && !nonblock) {
		err = wait_event_timeout_interruptible(&dest->wait, dgram_room(dest), deadline);
		if (err) {
			err = sock_sleep_error(err, u->sock.sndtimeo_ns);
			break;
		}
	}
	if (err) {
		if (err == -ECONNREFUSED)
			dgram_forget_peer(u, dest);
		unix_skb_free(skb);
		goto out;
	}
	wake_up_all(&dest->wait);
	err = (long)len;
out:
	scm_release(&scm);
	unix_sock_put(dest);
	return err;
}

ssize_t unix_dgram_recvmsg(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	bool peek = flags & MSG_PEEK;
	uint64_t deadline = sock_deadline(u->sock.rcvtimeo_ns);
	size_t room = m->control ? m->controllen : 0;
	struct unix_skb *skb;
	long err = 0;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET && READ_ONCE(u->state) != UNIX_CONNECTED)
		return -ENOTCONN;
	nonblock |= flags & MSG_DONTWAIT;
	m->controllen = 0;
	m->namelen = 0;
	if (mutex_lock_interruptible(&u->iolock))
		return -ERESTARTSYS;
	for (;;) {
		long why = 0;
		scoped_guard(spinlock, &u->lock) {
			skb = skb_next(u, NULL);
			if (skb && !peek) {
				list_del(&skb->node);
				u->rcv_msgs--;
				u->rcv_bytes -= skb->len;
			} else if (!skb) {
				why = rcv_empty_error(u, nonblock);
			}
		}
		if (skb)
			break;
		if (why) {
			mutex_unlock(&u->iolock);
			return why == 1 ? 0 : why;
		}
		err = wait_rcv(u, deadline);
		if (err) {
			mutex_unlock(&u->iolock);
			return err;
		}
	}
	if (!peek)
		wake_up_all(&u->wait); /* room for datagram senders */
	size_t n = MIN(skb->len, m->data.total);
	if (iov_iter_copy_to(&m->data, 0, skb->data, n)) {
		err = -EFAULT;
	} else {
		if (skb->len > m->data.total)
			m->flags |= MSG_TRUNC;
		if (skb->from) {
			m->namelen = skb->from->len;
			memcpy(m->name, &skb->from->name, (size_t)m->namelen);
		}
		m->controllen = room;
		scm_deliver(u, m, skb, peek);
		err = (flags & MSG_TRUNC) ? (long)skb->len : (long)n;
	}
	if (!peek)
		unix_skb_free(skb);
	mutex_unlock(&u->iolock);
	return err;
}
