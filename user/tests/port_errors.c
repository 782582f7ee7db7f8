/*
 * Ports: bad input and limits. Non-blocking EAGAIN on a full port, receive
 * timeout (ETIMEDOUT), EMSGSIZE for payloads over 4096 bytes and for too
 * small receive buffers, EFAULT for bad pointers, EBADF/EINVAL/EPERM,
 * ENAMETOOLONG, and the per-process port limit (ENOSPC). Ferrite only.
 */
#include <fcntl.h>
#include <time.h>
#include "common.h"
#include "port_util.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	static char big[FERRITE_PORT_MSG_MAX + 16];
	struct ferrite_port_msg m;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	void *bad = launder_ptr(16);
	char buf[64];
	int port, fds[FERRITE_PORT_PER_PROC_MAX + 1], n = 0;
	double t0;

	port_require_ferrite();
	port = port_create(NULL, FERRITE_PORT_CLOEXEC);
	CHECK(port >= 0, "port_create");
	CHECK(fcntl(port, F_GETFD) == FD_CLOEXEC, "cloexec");

	/* Full port: EAGAIN without blocking; the queue keeps its order. */
	for (int i = 0; i < FERRITE_PORT_QUEUE_MAX; i++)
		CHECK(port_send(port, i, &i, sizeof(i), FERRITE_PORT_NONBLOCK) == 0, "send %d", i);
	CHECK_ERRNO(port_send(port, 0, "x", 1, FERRITE_PORT_NONBLOCK), EAGAIN);
	for (int i = 0; i < FERRITE_PORT_QUEUE_MAX; i++) {
		int v = -1;
		CHECK(port_recv(port, &m, &v, sizeof(v), FERRITE_PORT_NONBLOCK, NULL) == sizeof(v), "recv %d", i);
		CHECK(m.type == i && v == i, "message %d: type %ld value %d", i, m.type, v);
	}
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), FERRITE_PORT_NONBLOCK, NULL), EAGAIN);

	/* Timeouts. */
	t0 = now();
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), 0, &ts), ETIMEDOUT);
	CHECK(now() - t0 >= 0.09, "timeout too short: %f", now() - t0);
	struct timespec zero = { 0, 0 }, badts = { 0, 1000000000 };
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), 0, &zero), ETIMEDOUT);
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), 0, &badts), EINVAL);
	CHECK_ERRNO(port_call(port, 1, "q", 1, &m, buf, sizeof(buf), 0, &ts), ETIMEDOUT);
	/* The timed-out request was withdrawn. */
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), FERRITE_PORT_NONBLOCK, NULL), EAGAIN);

	/* Sizes. */
	CHECK(port_send(port, 1, big, FERRITE_PORT_MSG_MAX, 0) == 0, "send 4096");
	CHECK_ERRNO(port_send(port, 1, big, FERRITE_PORT_MSG_MAX + 1, 0), EMSGSIZE);
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), 0, NULL), EMSGSIZE); /* stays queued */
	CHECK(port_recv(port, &m, big, sizeof(big), 0, NULL) == FERRITE_PORT_MSG_MAX, "recv 4096");

	/* Bad pointers. */
	CHECK_ERRNO(syscall(__NR_ferrite_port_send, port, bad, 0), EFAULT);
	CHECK_ERRNO(port_send(port, 1, bad, 10, 0), EFAULT);
	CHECK_ERRNO(syscall(__NR_ferrite_port_recv, port, bad, 0, NULL), EFAULT);
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), 0, bad), EFAULT);
	CHECK_ERRNO(syscall(__NR_ferrite_port_call, port, bad, &m, 0, NULL), EFAULT);
	CHECK_ERRNO(syscall(__NR_ferrite_port_reply, port, 1, bad), EFAULT);
	CHECK_ERRNO(port_create(bad, 0), EFAULT);
	CHECK_ERRNO(port_connect(bad, 0), EFAULT);
	CHECK_ERRNO(port_connect(NULL, 0), EFAULT);
	/* A message whose payload cannot be stored is consumed: EFAULT. */
	CHECK(port_send(port, 1, "abc", 3, 0) == 0, "send");
	CHECK_ERRNO(port_recv(port, &m, bad, sizeof(buf), 0, NULL), EFAULT);

	/* Bad descriptors, flags, names, tokens. */
	CHECK_ERRNO(port_send(12345, 1, "x", 1, 0), EBADF);
	CHECK_ERRNO(port_send(0, 1, "x", 1, 0), EBADF); /* not a port */
	CHECK_ERRNO(port_recv(-1, &m, buf, sizeof(buf), 0, NULL), EBADF);
	CHECK_ERRNO(port_send(port, 1, "x", 1, 0x80), EINVAL);
	CHECK_ERRNO(port_create(NULL, 0x80), EINVAL);
	CHECK_ERRNO(port_create("", 0), EINVAL);
	CHECK_ERRNO(port_create("a-name-that-is-much-too-long-for-ports", 0), ENAMETOOLONG);
	CHECK_ERRNO(port_reply(port, 4242, 0, NULL, 0), ENOENT);

	/* Limits: FERRITE_PORT_PER_PROC_MAX live ports per process. */
	close(port);
	for (n = 0; n < FERRITE_PORT_PER_PROC_MAX; n++) {
		fds[n] = port_create(NULL, 0);
		CHECK(fds[n] >= 0, "port %d", n);
	}
	CHECK_ERRNO(port_create(NULL, 0), ENOSPC);
	/* A destroyed port stops counting; its fd then says EIDRM. */
	CHECK(port_destroy(fds[0]) == 0, "destroy");
	CHECK_ERRNO(port_destroy(fds[0]), EIDRM);
	CHECK_ERRNO(port_send(fds[0], 1, "x", 1, 0), EIDRM);
	CHECK_ERRNO(port_recv(fds[0], &m, buf, sizeof(buf), 0, NULL), EIDRM);
	fds[n] = port_create(NULL, 0);
	CHECK(fds[n] >= 0, "port after destroy");
	for (int i = 0; i <= n; i++)
		close(fds[i]);
	return 0;
}
