/*
 * Socket system calls: decode the user's descriptors, addresses, message
 * headers and option buffers into kernel copies, call the family through
 * proto_ops, and copy results back. No socket state lives here.
 */
#include <ferrite/errno.h>
#include <ferrite/file.h>
#include <ferrite/kmalloc.h>
#include <ferrite/signal.h>
#include <ferrite/socket.h>
#include <ferrite/string.h>
#include <ferrite/cpu.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>

#define UIO_MAXIOV 1024
#define SOCK_OPTMEM_MAX 20480 /* Linux's net.core.optmem_max: control data */
#define SOCKOPT_MAX 256       /* option values we keep are all small */
#define MMSG_MAX 1024         /* UIO_MAXIOV, as Linux's sendmmsg/recvmmsg */

/* The socket behind fd, with a file reference in *fp. */
static struct socket *sock_get(int fd, struct file **fp, long *err)
{
	struct file *f = fd_get(fd);

	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	struct socket *s = sock_of(f);
	if (!s) {
		file_put(f);
		*err = -ENOTSOCK;
		return NULL;
	}
	*fp = f;
	return s;
}

#define SOCK_GET(s, f, fd)                                                     \
	__free(file_put) struct file *f = NULL;                                \
	long s##_err = 0;                                                      \
	struct socket *s = sock_get(fd, &f, &s##_err);                         \
	if (!s)                                                                \
		return s##_err

static long copy_addr_in(void *k, const void __user *u, int len)
{
	if (len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	if (len && copy_from_user(k, u, (size_t)len))
		return -EFAULT;
	return 0;
}

/* Copy an address out under the (value-result) length at ulen. */
static long copy_addr_out(void __user *uaddr, int __user *ulen, const void *k, int klen)
{
	int len;

	if (get_user(len, ulen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (len > klen)
		len = klen;
	if (len && copy_to_user(uaddr, k, (size_t)len))
		return -EFAULT;
	return put_user(klen, ulen) ? -EFAULT : 0;
}

static long sock_install(struct socket *s, int flags)
{
	struct file *f = sock_alloc_file(s, flags);

	if (IS_ERR(f))
		return PTR_ERR(f);
	return fd_install(f, flags & SOCK_CLOEXEC);
}

static long split_type(int *type, int *flags)
{
	*flags = *type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	*type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return (*type & ~SOCK_TYPE_MASK) ? -EINVAL : 0;
}

long sys_socket(int family, int type, int protocol)
{
	int flags;
	struct socket *s;

	if (split_type(&type, &flags))
		return -EINVAL;
	int err;
	if (family == AF_UNIX)
		err = unix_create(type, protocol, &s);
	else if (family == AF_INET || family == AF_INET6)
		err = inet_create(family, type, protocol, &s);
	else
		return -EAFNOSUPPORT;
	if (err)
		return err;
	return sock_install(s, flags);
}

long sys_socketpair(int family, int type, int protocol, int __user *usv)
{
	int flags, fds[2];
	struct socket *a, *b;

	if (split_type(&type, &flags))
		return -EINVAL;
	if (family != AF_UNIX)
		return family == AF_INET || family == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
	int err = unix_socketpair(type, protocol, &a, &b);
	if (err)
		return err;
	struct file *fa = sock_alloc_file(a, flags);
	if (IS_ERR(fa)) {
		b->ops->release(b);
		return PTR_ERR(fa);
	}
	struct file *fb = sock_alloc_file(b, flags);
	if (IS_ERR(fb)) {
		file_put(fa);
		return PTR_ERR(fb);
	}
	fds[0] = fd_install(fa, flags & SOCK_CLOEXEC);
	if (fds[0] < 0) {
		file_put(fb);
		return fds[0];
	}
	fds[1] = fd_install(fb, flags & SOCK_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(fds[0]);
		return fds[1];
	}
	if (copy_to_user(usv, fds, sizeof(fds))) {
		fd_close(fds[0]);
		fd_close(fds[1]);
		return -EFAULT;
	}
	return 0;
}

long sys_bind(int fd, const void __user *uaddr, int len)
{
	char addr[SOCKADDR_MAX];
	SOCK_GET(s, f, fd);
	long err = copy_addr_in(addr, uaddr, len);
	return err ? err : s->ops->bind(s, addr, len);
}

long sys_connect(int fd, const void __user *uaddr, int len)
{
	char addr[SOCKADDR_MAX];
	SOCK_GET(s, f, fd);
	long err = copy_addr_in(addr, uaddr, len);
	return err ? err : s->ops->connect(s, addr, len, sock_file_nonblock(f));
}

long sys_listen(int fd, int backlog)
{
	SOCK_GET(s, f, fd);
	return s->ops->listen(s, backlog);
}

long sys_accept4(int fd, void __user *uaddr, int __user *ulen, int flags)
{
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	SOCK_GET(s, f, fd);
	struct socket *ns = s->ops->accept(s, sock_file_nonblock(f));
	if (IS_ERR(ns))
		return PTR_ERR(ns);
	struct file *nf = sock_alloc_file(ns, flags);
	if (IS_ERR(nf))
		return PTR_ERR(nf);
	if (uaddr) {
		char addr[SOCKADDR_MAX];
		int len = ns->ops->getname(ns, addr, true);
		long err = len < 0 ? len : copy_addr_out(uaddr, ulen, addr, len);
		if (err) {
			file_put(nf);
			return err;
		}
	}
	return fd_install(nf, flags & SOCK_CLOEXEC);
}

long sys_accept(int fd, void __user *uaddr, int __user *ulen)
{
	return sys_accept4(fd, uaddr, ulen, 0);
}

static long do_getname(int fd, void __user *uaddr, int __user *ulen, bool peer)
{
	char addr[SOCKADDR_MAX];
	SOCK_GET(s, f, fd);
	int len = s->ops->getname(s, addr, peer);
	if (len < 0)
		return len;
	return copy_addr_out(uaddr, ulen, addr, len);
}

long sys_getsockname(int fd, void __user *uaddr, int __user *ulen)
{
	return do_getname(fd, uaddr, ulen, false);
}

long sys_getpeername(int fd, void __user *uaddr, int __user *ulen)
{
	return do_getname(fd, uaddr, ulen, true);
}

long sys_shutdown(int fd, int how)
{
	SOCK_GET(s, f, fd);
	return s->ops->shutdown(s, how);
}

/* ---- messages ---- */

/* Import the user's iovec array (kernel copy in *iov, to kfree). */
static long import_iov(const struct user_iovec __user *uiov, size_t cnt, struct iov_iter *it)
{
	if (cnt > UIO_MAXIOV)
		return -EMSGSIZE;
	it->iov = kmalloc((cnt ? cnt : 1) * sizeof(*it->iov));
	if (!it->iov)
		return -ENOMEM;
	it->count = (unsigned)cnt;
	it->total = 0;
	if (cnt && copy_from_user(it->iov, uiov, cnt * sizeof(*it->iov)))
		return -EFAULT;
	for (size_t i = 0; i < cnt; i++) {
		if ((ssize_t)it->iov[i].iov_len < 0 || it->iov[i].iov_len > 0x7ffff000 - it->total)
			return -EINVAL;
		it->total += it->iov[i].iov_len;
	}
	return 0;
}

/* A message header's pieces in kernel form; free with kmsg_release. */
static void kmsg_release(struct kmsg *m)
{
	kfree(m->data.iov);
	kfree(m->control);
	m->data.iov = NULL;
	m->control = NULL;
}

static void send_sigpipe(long ret, unsigned flags)
{
	if (ret == -EPIPE && !(flags & MSG_NOSIGNAL))
		send_signal_task(current, SIGPIPE);
}

static long do_sendmsg(struct socket *s, struct file *f, const struct user_msghdr __user *umsg,
		       unsigned flags)
{
	struct user_msghdr h;
	struct kmsg m = { 0 };

	if (copy_from_user(&h, umsg, sizeof(h)))
		return -EFAULT;
	long err = import_iov(h.msg_iov, h.msg_iovlen, &m.data);
	if (!err && h.msg_name) {
		err = copy_addr_in(m.name, h.msg_name, h.msg_namelen);
		m.namelen = h.msg_namelen;
	}
	if (!err && h.msg_controllen) {
		if (h.msg_controllen > SOCK_OPTMEM_MAX)
			err = -ENOBUFS;
		else if (!(m.control = kmalloc(h.msg_controllen)))
			err = -ENOMEM;
		else if (copy_from_user(m.control, h.msg_control, h.msg_controllen))
			err = -EFAULT;
		m.controllen = h.msg_controllen;
	}
	if (!err) {
		err = s->ops->sendmsg(s, &m, flags, sock_file_nonblock(f));
		send_sigpipe(err, flags);
	}
	kmsg_release(&m);
	return err;
}

/* Control data we return at most (SCM_MAX_FD descriptors fit). */
#define RECV_CONTROL_MAX 4096

static long do_recvmsg(struct socket *s, struct file *f, struct user_msghdr __user *umsg,
		       unsigned flags)
{
	struct user_msghdr h;
	struct kmsg m = { 0 };

	if (copy_from_user(&h, umsg, sizeof(h)))
		return -EFAULT;
	if (h.msg_name && h.msg_namelen < 0)
		return -EINVAL;
	long err = import_iov(h.msg_iov, h.msg_iovlen, &m.data);
	if (!err && h.msg_control && h.msg_controllen) {
		m.controllen = MIN(h.msg_controllen, (size_t)RECV_CONTROL_MAX);
		if (!(m.control = kzalloc(m.controllen)))
			err = -ENOMEM;
	}
	m.cmsg_cloexec = flags & MSG_CMSG_CLOEXEC;
	if (!err)
		err = s->ops->recvmsg(s, &m, flags & ~MSG_CMSG_CLOEXEC, sock_file_nonblock(f));
	if (err >= 0) {
		int namelen = h.msg_name ? MIN(h.msg_namelen, m.namelen) : 0;
		if ((namelen && copy_to_user(h.msg_name, m.name, (size_t)namelen)) ||
		    (h.msg_name && put_user(m.namelen, &umsg->msg_namelen)) ||
		    (m.controllen && copy_to_user(h.msg_control, m.control, m.controllen)) ||
		    put_user(m.controllen, &umsg->msg_controllen) ||
		    put_user(m.flags, &umsg->msg_flags))
			err = -EFAULT;
	}
	kmsg_release(&m);
	return err;
}

long sys_sendmsg(int fd, const struct user_msghdr __user *umsg, unsigned flags)
{
	SOCK_GET(s, f, fd);
	return do_sendmsg(s, f, umsg, flags);
}

long sys_recvmsg(int fd, struct user_msghdr __user *umsg, unsigned flags)
{
	SOCK_GET(s, f, fd);
	return do_recvmsg(s, f, umsg, flags);
}

long sys_sendto(int fd, const void __user *buf, size_t len, unsigned flags,
		const void __user *uaddr, int addrlen)
{
	SOCK_GET(s, f, fd);
	struct user_iovec iov = { (void __user *)buf, MIN(len, (size_t)0x7ffff000) };
	struct kmsg m = { .data = { &iov, 1, iov.iov_len } };
	if (uaddr) {
		long err = copy_addr_in(m.name, uaddr, addrlen);
		if (err)
			return err;
		m.namelen = addrlen;
	}
	long ret = s->ops->sendmsg(s, &m, flags, sock_file_nonblock(f));
	send_sigpipe(ret, flags);
	return ret;
}

long sys_recvfrom(int fd, void __user *buf, size_t len, unsigned flags, void __user *uaddr,
		  int __user *ulen)
{
	SOCK_GET(s, f, fd);
	struct user_iovec iov = { buf, MIN(len, (size_t)0x7ffff000) };
	struct kmsg m = { .data = { &iov, 1, iov.iov_len } };
	long ret = s->ops->recvmsg(s, &m, flags, sock_file_nonblock(f));
	if (ret >= 0 && uaddr) {
		long err = copy_addr_out(uaddr, ulen, m.name, m.namelen);
		if (err)
			return err;
	}
	return ret;
}

long sys_sendmmsg(int fd, struct user_mmsghdr __user *vec, unsigned vlen, unsigned flags)
{
	SOCK_GET(s, f, fd);
	unsigned done = 0;
	long err = 0;

	vlen = MIN(vlen, (unsigned)MMSG_MAX);
	for (; done < vlen; done++) {
		err = do_sendmsg(s, f, &vec[done].msg_hdr, flags);
		if (err < 0)
			break;
		if (put_user((unsigned)err, &vec[done].msg_len)) {
			err = -EFAULT;
			break;
		}
	}
	return done ? (long)done : err;
}

long sys_recvmmsg(int fd, struct user_mmsghdr __user *vec, unsigned vlen, unsigned flags,
		  void __user *timeout)
{
	SOCK_GET(s, f, fd);
	unsigned done = 0;
	long err = 0;

	if (timeout)
		return -EINVAL; /* Linux checks it only after a receive; rarely used */
	vlen = MIN(vlen, (unsigned)MMSG_MAX);
	for (; done < vlen; done++) {
		err = do_recvmsg(s, f, &vec[done].msg_hdr, flags & ~MSG_WAITFORONE);
		if (err < 0)
			break;
		if (put_user((unsigned)err, &vec[done].msg_len)) {
			err = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
	}
	return done ? (long)done : err;
}

/* ---- options ---- */

long sys_setsockopt(int fd, int level, int name, const void __user *uval, int len)
{
	char val[SOCKOPT_MAX];
	SOCK_GET(s, f, fd);
	if (len < 0)
		return -EINVAL;
	if (len > SOCKOPT_MAX)
		len = SOCKOPT_MAX; /* every option we keep is smaller */
	if (len && copy_from_user(val, uval, (size_t)len))
		return -EFAULT;
	return sock_setsockopt(s, level, name, val, len);
}

long sys_getsockopt(int fd, int level, int name, void __user *uval, int __user *ulen)
{
	char val[SOCKOPT_MAX];
	int len;
	SOCK_GET(s, f, fd);
	if (get_user(len, ulen))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	len = MIN(len, SOCKOPT_MAX);
	long err = sock_getsockopt(s, level, name, val, &len);
	if (err)
		return err;
	if ((len && copy_to_user(uval, val, (size_t)len)) || put_user(len, ulen))
		return -EFAULT;
	return 0;
}
