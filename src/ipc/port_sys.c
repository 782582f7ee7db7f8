/*
 * Message ports: the extension syscalls (numbers in include/uapi/ferrite_port.h,
 * listed in src/syscall/port.list). They copy headers and payloads between
 * user memory and kernel messages, then call port_msg.c / port_call.c. No
 * lock is held here; user memory is only touched outside the port lock.
 * The port is kept alive by its file (port_from_fd: a light lookup,
 * referenced only when the fd table is shared), held for the whole call.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/port.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vfs.h>
#include <hal/hal_timer.h>
#include <uapi/time.h>
#include "port_internal.h"

#define NS_PER_SEC 1000000000ULL

/* Relative timeout -> monotonic deadline (0: none). */
static long get_deadline_slow(const struct timespec __user *uts, uint64_t *deadline)
{
	struct timespec ts;

	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= (long)NS_PER_SEC)
		return -EINVAL;
	if ((unsigned long)ts.tv_sec > 100UL * 365 * 24 * 3600)
		return 0; /* a century: forever */
	*deadline = hal_time_ns() + (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
	return 0;
}

/* get_deadline_slow, no call for the common NULL (wait forever). */
static inline long get_deadline(const struct timespec __user *uts, uint64_t *deadline)
{
	*deadline = 0;
	return uts ? get_deadline_slow(uts, deadline) : 0;
}

/*
 * copy_{from,to}_user for a small size that is not a compile-time
 * constant (a small payload, with or without its header): n in
 * (0, UACCESS_INLINE_MAX], for which uaccess.h's inline range check holds
 * as for a constant, so no out-of-line call. Same results.
 */
#define PORT_COPY_INLINE_MAX UACCESS_INLINE_MAX
_Static_assert(sizeof(struct ferrite_port_msg) + PORT_MSG_SMALL <= PORT_COPY_INLINE_MAX,
	       "a small message and its header are copied inline");

static __always_inline int copy_from_user_small(void *dst, const void __user *src, size_t n)
{
	return uaccess_small_range_ok((uintptr_t)src, n) &&
			       !hal_user_copy(dst, (const void *)src, n)
		       ? 0
		       : -EFAULT;
}

static __always_inline int copy_to_user_small(void __user *dst, const void *src, size_t n)
{
	return uaccess_small_range_ok((uintptr_t)dst, n) && !hal_user_copy((void *)dst, src, n)
		       ? 0
		       : -EFAULT;
}

/* Build a kernel message from a user header (type, data, size): staged in
 * *stage when small, else allocated. */
static __always_inline long msg_from_user(const struct ferrite_port_msg *h, struct port_msg_buf *stage,
			  struct port_msg **out)
{
	if (h->size > FERRITE_PORT_MSG_MAX)
		return -EMSGSIZE;
	if (h->size <= PORT_MSG_SMALL) {
		/* Small: staged on the stack, copied in without a call. */
		struct port_msg *m = port_msg_stage(stage, h->size);

		if (h->size && copy_from_user_small(m->data, (const void __user *)h->data, h->size))
			return -EFAULT;
		m->type = h->type;
		*out = m;
		return 0;
	}
	__free(port_msg_free) struct port_msg *m = port_msg_alloc(h->size);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(m->data, (const void __user *)h->data, h->size))
		return -EFAULT;
	m->type = h->type;
	*out = take_ptr(m);
	return 0;
}

/*
 * Read the headers at ua and ub (a call's two arguments) into two[], *a
 * and *b pointing at them: in one copy when they lie next to each other in
 * user memory.
 */
static __always_inline long headers_from_user(struct ferrite_port_msg two[2],
			      const struct ferrite_port_msg __user *ua,
			      const struct ferrite_port_msg __user *ub,
			      struct ferrite_port_msg **a, struct ferrite_port_msg **b)
{
	bool a_first = ub == ua + 1;

	if (a_first || ua == ub + 1) {
		*a = &two[!a_first];
		*b = &two[a_first];
		return copy_from_user(two, a_first ? ua : ub, 2 * sizeof(two[0])) ? -EFAULT : 0;
	}
	*a = &two[0];
	*b = &two[1];
	if (copy_from_user(*a, ua, sizeof(two[0])) || copy_from_user(*b, ub, sizeof(two[0])))
		return -EFAULT;
	return 0;
}

/* A header followed by a small payload, written out in one copy. */
struct msg_out {
	struct ferrite_port_msg h;
	uint64_t data[PORT_MSG_SMALL / 8];
};

/*
 * Copy m out into the user buffer buf and the header at uh: in one copy
 * when the buffer follows the header in user memory and m is small.
 */
static __always_inline long msg_to_user(struct port_msg *m, unsigned long buf, struct ferrite_port_msg __user *uh)
{
	struct msg_out out;

	out.h.type = m->type;
	out.h.data = buf;
	out.h.size = m->size;
	out.h.sender = m->sender;
	out.h.token = m->token;
	if (m->size <= PORT_MSG_SMALL && buf == (unsigned long)(uh + 1)) {
		const uint64_t *from = (const uint64_t *)m->data; /* room for SMALL */

		for (size_t i = 0; i < (m->size + 7) / 8; i++)
			out.data[i] = from[i];
		if (copy_to_user_small(uh, &out, sizeof(out.h) + m->size))
			return -EFAULT;
		return (long)m->size;
	}
	if (m->size && copy_to_user((void __user *)buf, m->data, m->size))
		return -EFAULT;
	if (copy_to_user(uh, &out.h, sizeof(out.h)))
		return -EFAULT;
	return (long)m->size;
}

static long get_name(const char __user *uname, char *name)
{
	long n = strncpy_from_user(name, uname, FERRITE_PORT_NAME_MAX);

	if (n < 0)
		return n;
	return n ? 0 : -EINVAL;
}

long sys_ferrite_port_create(const char __user *uname, unsigned flags)
{
	char name[FERRITE_PORT_NAME_MAX];
	struct port *p;

	if (flags & ~(FERRITE_PORT_CLOEXEC | FERRITE_PORT_MODE_MASK))
		return -EINVAL;
	if (uname) {
		long err = get_name(uname, name);
		if (err)
			return err;
	}
	unsigned mode = (flags & FERRITE_PORT_MODE_MASK) >> 16;
	p = port_create(uname ? name : NULL, mode ? mode : 0666);
	flags &= ~FERRITE_PORT_MODE_MASK;
	if (IS_ERR(p))
		return PTR_ERR(p);
	return port_fd_install(p, true, flags);
}

long sys_ferrite_port_connect(const char __user *uname, unsigned flags)
{
	char name[FERRITE_PORT_NAME_MAX];
	struct port *p;
	long err;

	if (flags & ~FERRITE_PORT_CLOEXEC)
		return -EINVAL;
	if (!uname)
		return -EFAULT;
	err = get_name(uname, name);
	if (err)
		return err;
	p = port_lookup(name);
	if (IS_ERR(p))
		return PTR_ERR(p);
	/* Connecting gets a send right: the w bits of the port's mode for
	 * the caller's euid/egid (and groups), as ipc_perm; euid 0 passes. */
	struct cred c = { READ_ONCE(current->proc->euid), READ_ONCE(current->proc->egid) };
	unsigned bits = p->mode;
	if (c.uid == p->uid)
		bits >>= 6;
	else if (cred_in_group(&c, p->gid))
		bits >>= 3;
	if (!(bits & 2) && c.uid != 0) {
		port_put(p);
		return -EACCES;
	}
	return port_fd_install(p, false, flags);
}

/*
 * The port behind fd for a port syscall, in the order of checks every one
 * of them makes: -EINVAL for flags other than FERRITE_PORT_NONBLOCK, -EBADF
 * for an fd that is not a port, -EPERM for a send right where the receive
 * right is needed. The file is in *f (the caller's fd_put_light) whenever
 * the lookup succeeded.
 */
static __always_inline struct port *port_fd(int fd, unsigned flags, bool need_recv,
					    struct fd_ref *f)
{
	struct port *p;
	bool recv;

	if (flags & ~FERRITE_PORT_NONBLOCK)
		return ERR_PTR(-EINVAL);
	p = port_from_fd(fd, &recv, f);
	if (!IS_ERR(p) && need_recv && !recv)
		return ERR_PTR(-EPERM);
	return p;
}

long sys_ferrite_port_send(int fd, const struct ferrite_port_msg __user *uh, unsigned flags)
{
	struct ferrite_port_msg h;
	struct port_msg_buf stage;
	struct port_msg *m;
	long err;

	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, flags, false, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (copy_from_user(&h, uh, sizeof(h)))
		return -EFAULT;
	err = msg_from_user(&h, &stage, &m);
	if (err)
		return err;
	return port_send(p, m, flags, 0);
}

/*
 * The receiving half of recv and reply_recv: receive into the buffer of
 * header h (read from uh) and copy the message out.
 */
static __always_inline long recv_to_user(struct port *p, unsigned long token, struct port_msg *reply,
			 struct ferrite_port_msg *h, struct ferrite_port_msg __user *uh,
			 unsigned flags, uint64_t deadline)
{
	struct port_msg_buf inbox;
	struct port_msg *m;
	long err;

	err = port_reply_recv(p, token, reply, MIN(h->size, (unsigned long)FERRITE_PORT_MSG_MAX),
			      flags, deadline, &inbox, &m);
	if (err)
		return err;
	err = msg_to_user(m, h->data, uh);
	if (err < 0 && m->token)
		port_drop_reply(p, m->token); /* the caller learns: -EPIPE */
	port_msg_free_in(p, m);
	return err;
}

long sys_ferrite_port_recv(int fd, struct ferrite_port_msg __user *uh, unsigned flags,
			   const struct timespec __user *timeout)
{
	struct ferrite_port_msg h;
	uint64_t deadline;
	long err;

	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, flags, true, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (copy_from_user(&h, uh, sizeof(h)))
		return -EFAULT;
	err = get_deadline(timeout, &deadline);
	if (err)
		return err;
	return recv_to_user(p, 0, NULL, &h, uh, flags, deadline);
}

/*
 * reply (when token is not 0) then recv, in one call. Flags, timeout and
 * both headers are checked before the reply; an error after a successful
 * reply is the receive's (the right is then used up).
 */
long sys_ferrite_port_reply_recv(int fd, unsigned long token,
				 const struct ferrite_port_msg __user *urep,
				 struct ferrite_port_msg __user *uh, unsigned flags,
				 const struct timespec __user *timeout)
{
	struct ferrite_port_msg two[2], *h = &two[0], *rh;
	struct port_msg_buf stage;
	struct port_msg *reply = NULL;
	uint64_t deadline;
	long err;

	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, flags, true, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (token ? headers_from_user(two, uh, urep, &h, &rh) : copy_from_user(h, uh, sizeof(*h)))
		return -EFAULT;
	err = get_deadline(timeout, &deadline);
	if (err)
		return err;
	if (token) {
		err = msg_from_user(rh, &stage, &reply);
		if (err)
			return err;
	}
	return recv_to_user(p, token, reply, h, uh, flags, deadline);
}

long sys_ferrite_port_call(int fd, const struct ferrite_port_msg __user *ureq,
			   struct ferrite_port_msg __user *urep, unsigned flags,
			   const struct timespec __user *timeout)
{
	struct ferrite_port_msg two[2], *h, *rh;
	struct port_msg_buf stage, inbox;
	struct port_msg *m, *r = NULL;
	uint64_t deadline;
	long err;

	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, flags, false, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (headers_from_user(two, ureq, urep, &h, &rh) || copy_to_user(urep, rh, sizeof(*rh)))
		return -EFAULT; /* before sending: the reply header must be usable */
	err = get_deadline(timeout, &deadline);
	if (err)
		return err;
	err = msg_from_user(h, &stage, &m);
	if (err)
		return err;
	err = port_call_into(p, m, MIN(rh->size, (unsigned long)FERRITE_PORT_MSG_MAX), flags,
			     deadline, &inbox, &r);
	if (err)
		return err;
	r->token = 0;
	err = msg_to_user(r, rh->data, urep);
	port_msg_free_in(p, r);
	return err;
}

long sys_ferrite_port_reply(int fd, unsigned long token, const struct ferrite_port_msg __user *uh)
{
	struct ferrite_port_msg h;
	struct port_msg_buf stage;
	struct port_msg *m;
	long err;

	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, 0, true, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	if (copy_from_user(&h, uh, sizeof(h)))
		return -EFAULT;
	err = msg_from_user(&h, &stage, &m);
	if (err)
		return err;
	return port_reply(p, token, m);
}

long sys_ferrite_port_destroy(int fd)
{
	__free(fd_put_light) struct fd_ref f = { NULL, false };
	struct port *p = port_fd(fd, 0, true, &f);
	if (IS_ERR(p))
		return PTR_ERR(p);
	return port_destroy(p) ? 0 : -EIDRM;
}
