/*
 * Sockets (src/net/): a socket is a file whose private data is a struct
 * socket; the protocol family supplies its operations (AF_UNIX:
 * src/net/unix*.c). The system calls (src/net/sys_socket.c) decode user
 * structures into a struct kmsg and call the family with kernel data only,
 * except for the payload, which moves through an iov_iter of user
 * buffers.
 */
#pragma once
#include <ferrite/types.h>
#include <ferrite/vfs.h>
#include <hal/hal_timer.h>
#include <uapi/socket.h>

struct socket;
struct poll_table;

/* The payload of one send or receive: user buffers, copied piecewise. */
struct iov_iter {
	struct user_iovec *iov; /* kernel copy of the user's array */
	unsigned count;
	size_t total; /* sum of the lengths */
};
/* Copy n bytes at offset at of the iterator's buffers from/to kernel
 * memory. 0 or -EFAULT. */
int iov_iter_copy_to(const struct iov_iter *it, size_t at, const void *src, size_t n);
int iov_iter_copy_from(void *dst, const struct iov_iter *it, size_t at, size_t n);

#define SOCKADDR_MAX 128 /* sizeof(struct sockaddr_storage) */

/* One sendmsg/recvmsg, in kernel terms. */
struct kmsg {
	char name[SOCKADDR_MAX]; /* send: destination; recv: source */
	int namelen;             /* send: 0 = none; recv: set by the family */
	struct iov_iter data;
	char *control;           /* kernel buffer of controllen bytes, or NULL */
	size_t controllen;       /* recv: in: room; out: used */
	unsigned flags;          /* recv out: MSG_TRUNC, MSG_CTRUNC, MSG_EOR */
	bool cmsg_cloexec;       /* recv: MSG_CMSG_CLOEXEC */
};

struct proto_ops {
	int (*bind)(struct socket *s, const void *addr, int len);
	int (*connect)(struct socket *s, const void *addr, int len, bool nonblock);
	int (*listen)(struct socket *s, int backlog);
	/* Return: the accepted connection (a new socket) or ERR_PTR. */
	struct socket *(*accept)(struct socket *s, bool nonblock);
	/* Write the own (peer: the peer's) address; return its length or -errno. */
	int (*getname)(struct socket *s, void *addr, bool peer);
	ssize_t (*sendmsg)(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
	ssize_t (*recvmsg)(struct socket *s, struct kmsg *m, unsigned flags, bool nonblock);
	int (*shutdown)(struct socket *s, int how);
	unsigned (*poll)(struct socket *s, struct poll_table *pt);
	/* SOL_SOCKET options the generic layer does not keep itself. */
	int (*setsockopt)(struct socket *s, int level, int name, const void *val, int len);
	int (*getsockopt)(struct socket *s, int level, int name, void *val, int *len);
	/* FIONREAD and friends; -ENOTTY when unknown. */
	long (*ioctl)(struct socket *s, unsigned cmd, unsigned long arg);
	void (*release)(struct socket *s);
};

struct socket {
	const struct proto_ops *ops;
	int family, type, protocol;
	struct file *file; /* borrowed back pointer, set by sock_alloc_file */
	/* SO_RCVTIMEO/SO_SNDTIMEO (0: forever); written by setsockopt, read
	 * without a lock (single words). */
	uint64_t rcvtimeo_ns, sndtimeo_ns;
};

/* Return: a new file for s (whose ownership moves to the file), or
 * ERR_PTR (then s is released). */
struct file *sock_alloc_file(struct socket *s, int flags /* SOCK_NONBLOCK */);
/* The socket behind f, or NULL (-ENOTSOCK) for any other file. */
struct socket *sock_of(struct file *f);
/* Whether f is non-blocking now (O_NONBLOCK may change with fcntl). */
bool sock_file_nonblock(struct file *f);

/* setsockopt/getsockopt with val in kernel memory: the socket-level
 * options every family shares (SO_RCVTIMEO, SO_SNDTIMEO, SO_TYPE,
 * SO_DOMAIN) here, the rest by the family's proto_ops. */
int sock_setsockopt(struct socket *s, int level, int name, const void *val, int len);
int sock_getsockopt(struct socket *s, int level, int name, void *val, int *len);
/* An absolute deadline for a socket timeout (0: none, wait forever). */
static inline uint64_t sock_deadline(uint64_t timeo_ns)
{
	return timeo_ns ? hal_time_ns() + timeo_ns : 0;
}
/* Map a socket sleep's result: a timeout is EAGAIN; a signal restarts only
 * without a timeout (Linux's sock_intr_errno). */
long sock_sleep_error(long err, uint64_t timeo_ns);

/* Families. */
int unix_create(int type, int protocol, struct socket **out);
int unix_socketpair(int type, int protocol, struct socket **a, struct socket **b);
int inet_create(int family, int type, int protocol, struct socket **out);
/* Boot: the network devices (lo). */
void inet_init(void);
/* After init is spawned (a kernel thread must not take pid 1): TCP's
 * TIME_WAIT reaper. */
void inet_start_threads(void);
/* Counts for leak checks. */
size_t sockets_count_live(void);
size_t unix_skbs_count_live(void);
size_t inet_socks_count_live(void);
size_t pkbs_count_live(void);
