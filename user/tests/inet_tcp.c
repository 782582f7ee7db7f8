/*
 * AF_INET/AF_INET6 TCP on the loopback: echo between processes, names,
 * MSG_PEEK/MSG_WAITALL/MSG_DONTWAIT, FIONREAD, shutdown and end of file,
 * EPIPE/SIGPIPE, ECONNREFUSED, RST on close with unread data and with
 * SO_LINGER 0, non-blocking connect (EINPROGRESS, POLLOUT, SO_ERROR),
 * EADDRINUSE and SO_REUSEADDR, IPv4-mapped addresses on AF_INET6, options.
 */
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>

static struct sockaddr_in lo4(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listener on 127.0.0.1, an ephemeral port; its port in *port. */
static int listener4(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 0, "socket");
	struct sockaddr_in a = lo4(0);
	socklen_t len = sizeof(a);
	CHECK(bind(l, (void *)&a, sizeof(a)) == 0, "bind");
	CHECK(listen(l, 16) == 0, "listen");
	CHECK(getsockname(l, (void *)&a, &len) == 0 && len == sizeof(a), "getsockname");
	CHECK(a.sin_family == AF_INET && a.sin_port != 0 &&
	      a.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "listener name");
	*port = ntohs(a.sin_port);
	return l;
}

static int connect4(int port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(c >= 0, "socket");
	struct sockaddr_in a = lo4(port);
	CHECK(connect(c, (void *)&a, sizeof(a)) == 0, "connect to %d", port);
	return c;
}

static void test_echo(void)
{
	int port, l = listener4(&port);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int s = accept(l, NULL, NULL);
		char buf[256];
		ssize_t n;
		if (s < 0)
			_exit(2);
		while ((n = read(s, buf, sizeof(buf))) > 0)
			if (write(s, buf, n) != n)
				_exit(3);
		_exit(n == 0 ? 0 : 4);
	}
	int c = connect4(port);
	for (int i = 0; i < 100; i++) {
		char msg[64], back[64];
		int len = snprintf(msg, sizeof(msg), "message %d", i);
		CHECK(write(c, msg, len) == len, "write");
		CHECK(recv(c, back, len, MSG_WAITALL) == len, "read back");
		CHECK(!memcmp(msg, back, len), "echo differs");
	}
	struct sockaddr_in me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	CHECK(getsockname(c, (void *)&me, &ml) == 0 && getpeername(c, (void *)&peer, &pl) == 0,
	      "names");
	CHECK(peer.sin_port == htons(port) && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
	      "peer name");
	CHECK(ntohs(me.sin_port) != 0 && me.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "own name");
	CHECK(shutdown(c, SHUT_WR) == 0, "shutdown");
	char b;
	CHECK(read(c, &b, 1) == 0, "EOF after the server closes");
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "server status %x", st);
	close(c);
	close(l);
}

/* accept's address, PEEK, FIONREAD, DONTWAIT, WAITALL over two writes. */
static void test_flags(void)
{
	int port, l = listener4(&port);
	int c = connect4(port);
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	int s = accept(l, (void *)&from, &fl);
	CHECK(s >= 0 && fl == sizeof(from) && from.sin_family == AF_INET, "accept");
	struct sockaddr_in me;
	socklen_t ml = sizeof(me);
	CHECK(getsockname(c, (void *)&me, &ml) == 0 && me.sin_port == from.sin_port, "ports agree");
	char buf[32];
	CHECK_ERRNO(recv(s, buf, 1, MSG_DONTWAIT), EAGAIN);
	CHECK(write(c, "hello", 5) == 5 && write(c, "world", 5) == 5, "write");
	int n = -1;
	CHECK(ioctl(s, FIONREAD, &n) == 0 && n == 10, "FIONREAD %d", n);
	CHECK(recv(s, buf, 3, MSG_PEEK) == 3 && !memcmp(buf, "hel", 3), "peek");
	CHECK(recv(s, buf, 7, MSG_PEEK) == 7 && !memcmp(buf, "hellowo", 7), "peek across writes");
	CHECK(recv(s, buf, 10, MSG_WAITALL) == 10 && !memcmp(buf, "helloworld", 10), "waitall");
	CHECK(ioctl(s, FIONREAD, &n) == 0 && n == 0, "FIONREAD after");
	struct pollfd p = { s, POLLIN | POLLOUT, 0 };
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLOUT, "poll writable only: %x", p.revents);
	CHECK(shutdown(c, SHUT_WR) == 0, "shutdown");
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLRDHUP)) , "poll EOF: %x", p.revents);
	CHECK(read(s, buf, sizeof(buf)) == 0, "EOF");
	close(s);
	CHECK(read(c, buf, sizeof(buf)) == 0, "EOF at the client");
	close(c);
	close(l);
}

static void test_refused_and_reset(void)
{
	int port, l = listener4(&port);
	close(l); /* nobody on port now */
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo4(port);
	CHECK_ERRNO(connect(c, (void *)&a, sizeof(a)), ECONNREFUSED);
	close(c);

	/* Close with unread data: RST; the peer sees ECONNRESET, then EPIPE. */
	l = listener4(&port);
	c = connect4(port);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	CHECK(write(c, "unread", 6) == 6, "write");
	close(s);
	char b[8];
	CHECK_ERRNO(read(c, b, sizeof(b)), ECONNRESET);
	CHECK(read(c, b, sizeof(b)) == 0, "EOF after the reset");
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(send(c, "x", 1, 0), EPIPE);
	close(c);

	/* SO_LINGER 0: abortive close. */
	c = connect4(port);
	s = accept(l, NULL, NULL);
	struct linger lg = { 1, 0 };
	CHECK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER");
	close(s);
	struct pollfd p = { c, POLLIN, 0 };
	CHECK(poll(&p, 1, 1000) == 1 && (p.revents & POLLERR) && (p.revents & POLLHUP),
	      "poll after RST: %x", p.revents);
	int err = 0;
	socklen_t el = sizeof(err);
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == ECONNRESET,
	      "SO_ERROR %d", err);
	close(c);

	/* Orderly close, then writing into it: EPIPE and SIGPIPE. */
	c = connect4(port);
	s = accept(l, NULL, NULL);
	close(s);
	CHECK(read(c, b, 1) == 0, "EOF");
	CHECK(write(c, "a", 1) == 1, "the first write after the peer's close still goes");
	CHECK_ERRNO(write(c, "b", 1), EPIPE); /* the RST came back at once on lo */
	signal(SIGPIPE, SIG_DFL);
	close(c);
	close(l);
}

static void sigpipe_child(void *arg)
{
	int port, l = listener4(&port);
	int c = connect4(port);
	int s = accept(l, NULL, NULL);
	shutdown(c, SHUT_WR);
	write(c, "x", 1);
	(void)s;
	(void)arg;
}

static void test_nonblocking_connect(void)
{
	int port, l = listener4(&port);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = lo4(port);
	int r = connect(c, (void *)&a, sizeof(a));
	CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect: %d", r);
	struct pollfd p = { c, POLLOUT, 0 };
	CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLOUT), "POLLOUT %x", p.revents);
	int err = -1;
	socklen_t el = sizeof(err);
	CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0, "SO_ERROR %d", err);
	CHECK(connect(c, (void *)&a, sizeof(a)) == 0, "a second connect reports success once");
	CHECK_ERRNO(connect(c, (void *)&a, sizeof(a)), EISCONN);
	int s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	CHECK(s >= 0 && (fcntl(s, F_GETFL) & O_NONBLOCK) && (fcntl(s, F_GETFD) & FD_CLOEXEC),
	      "accept4 flags");
	char b;
	CHECK_ERRNO(read(s, &b, 1), EAGAIN);
	CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0, "F_SETFL");
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	close(s);
	close(c);
	close(l);

	/* To a closed port: refused, reported through SO_ERROR. */
	l = listener4(&port);
	close(l);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	a = lo4(port);
	r = connect(c, (void *)&a, sizeof(a));
	if (r < 0 && errno == EINPROGRESS) {
		p.fd = c;
		p.events = POLLOUT;
		CHECK(poll(&p, 1, 2000) == 1 && (p.revents & POLLERR), "POLLERR %x", p.revents);
		CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == ECONNREFUSED,
		      "SO_ERROR %d", err);
	} else {
		CHECK(r < 0 && errno == ECONNREFUSED, "refused: %d", r);
	}
	close(c);
}

static void test_addresses(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo4(0);
	CHECK_ERRNO(bind(s, (void *)&a, sizeof(a) - 1), EINVAL);
	a.sin_family = AF_INET6;
	CHECK_ERRNO(bind(s, (void *)&a, sizeof(a)), EAFNOSUPPORT);
	a = lo4(0);
	a.sin_addr.s_addr = inet_addr("10.1.2.3");
	CHECK_ERRNO(bind(s, (void *)&a, sizeof(a)), EADDRNOTAVAIL);
	CHECK_ERRNO(connect(s, (void *)&a, sizeof(a) - 1), EINVAL);
	CHECK_ERRNO(bind(s, launder_ptr(8), sizeof(a)), EFAULT);
	CHECK_ERRNO(getpeername(s, (void *)&a, &(socklen_t){ sizeof(a) }), ENOTCONN);
	char b;
	CHECK_ERRNO(recv(s, &b, 1, 0), ENOTCONN);
	a = lo4(0);
	CHECK(bind(s, (void *)&a, sizeof(a)) == 0, "bind");
	CHECK_ERRNO(bind(s, (void *)&a, sizeof(a)), EINVAL);
	socklen_t len = sizeof(a);
	CHECK(getsockname(s, (void *)&a, &len) == 0, "getsockname");
	int t = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_ERRNO(bind(t, (void *)&a, sizeof(a)), EADDRINUSE);
	int one = 1;
	CHECK(setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	      setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "SO_REUSEADDR");
	CHECK(bind(t, (void *)&a, sizeof(a)) == 0, "bind with SO_REUSEADDR");
	CHECK(listen(s, 1) == 0, "listen");
	CHECK_ERRNO(listen(t, 1), EADDRINUSE);
	close(t);
	/* SO_REUSEPORT: two listeners on one port. */
	t = socket(AF_INET, SOCK_STREAM, 0);
	int u = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(setsockopt(t, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0 &&
	      setsockopt(u, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) == 0, "SO_REUSEPORT");
	struct sockaddr_in z = lo4(0);
	CHECK(bind(t, (void *)&z, sizeof(z)) == 0, "bind");
	len = sizeof(z);
	CHECK(getsockname(t, (void *)&z, &len) == 0, "name");
	CHECK(bind(u, (void *)&z, sizeof(z)) == 0 && listen(t, 1) == 0 && listen(u, 1) == 0,
	      "two SO_REUSEPORT listeners");
	close(t);
	close(u);
	close(s);
	/* Options. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	int v = 1;
	len = sizeof(v);
	CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
	      getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len) == 0 && v == 1, "TCP_NODELAY");
	CHECK(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) == 0 &&
	      getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len) == 0 && v == 1, "SO_KEEPALIVE");
	CHECK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_STREAM, "SO_TYPE");
	CHECK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0 && v == IPPROTO_TCP,
	      "SO_PROTOCOL");
	CHECK_ERRNO(setsockopt(s, IPPROTO_TCP, 9999, &one, sizeof(one)), ENOPROTOOPT);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(send(s, "x", 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	a = lo4(80);
	a.sin_addr.s_addr = inet_addr("192.0.2.1");
	close(s);
	/* Only lo here: no route elsewhere. (A Linux host may have one.) */
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct utsname un;
	if (uname(&un) == 0 && strstr(un.release, "ferrite"))
		CHECK_ERRNO(connect(s, (void *)&a, sizeof(a)), ENETUNREACH);
	close(s);
	CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	CHECK_ERRNO(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	int sv[2];
	CHECK_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
}

/* AF_INET6: ::1, and an IPv4 client reaching a dual-stack listener. */
static void test_ipv6(void)
{
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(l >= 0, "socket6");
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	socklen_t len = sizeof(a);
	CHECK(bind(l, (void *)&a, sizeof(a)) == 0 && listen(l, 4) == 0, "bind/listen ::");
	CHECK(getsockname(l, (void *)&a, &len) == 0 && len == sizeof(a), "name6");
	int port = ntohs(a.sin6_port);

	int c = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 one = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				    .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	CHECK(connect(c, (void *)&one, sizeof(one)) == 0, "connect ::1");
	struct sockaddr_in6 from;
	len = sizeof(from);
	int s = accept(l, (void *)&from, &len);
	CHECK(s >= 0 && len == sizeof(from) && IN6_IS_ADDR_LOOPBACK(&from.sin6_addr), "accept6");
	CHECK(write(c, "six", 3) == 3, "write6");
	char b[4];
	CHECK(read(s, b, 3) == 3 && !memcmp(b, "six", 3), "read6");
	close(s);
	close(c);

	int c4 = connect4(port);
	len = sizeof(from);
	s = accept(l, (void *)&from, &len);
	CHECK(s >= 0 && from.sin6_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&from.sin6_addr),
	      "an IPv4 peer shows as ::ffff:127.0.0.1");
	CHECK(from.sin6_addr.s6_addr[12] == 127 && from.sin6_addr.s6_addr[15] == 1, "mapped address");
	close(s);
	close(c4);

	/* IPV6_V6ONLY: IPv4 clients are refused. */
	int l6 = socket(AF_INET6, SOCK_STREAM, 0), on = 1;
	CHECK(setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == 0, "V6ONLY");
	a.sin6_port = 0;
	a.sin6_addr = in6addr_any;
	len = sizeof(a);
	CHECK(bind(l6, (void *)&a, sizeof(a)) == 0 && listen(l6, 1) == 0 &&
	      getsockname(l6, (void *)&a, &len) == 0, "v6only listener");
	c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a4 = lo4(ntohs(a.sin6_port));
	CHECK_ERRNO(connect(c4, (void *)&a4, sizeof(a4)), ECONNREFUSED);
	close(c4);
	close(l6);
	close(l);
}

/* A sender blocked on a full window is released by a shutdown from
 * another process sharing the socket. */
static void test_blocked_sender_shutdown(void)
{
	int port, l = listener4(&port);
	int c = connect4(port);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(200000);
		_exit(shutdown(c, SHUT_RDWR) == 0 ? 0 : 1);
	}
	static char big[8 << 20];
	signal(SIGPIPE, SIG_IGN);
	ssize_t n = write(c, big, sizeof(big));
	CHECK((n > 0 && n < (ssize_t)sizeof(big)) || (n < 0 && errno == EPIPE),
	      "the blocked write ends: %zd", n);
	signal(SIGPIPE, SIG_DFL);
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "shutdown");
	close(s);
	close(c);
	close(l);
}

int main(void)
{
	test_echo();
	test_flags();
	test_refused_and_reset();
	expect_killed_by(run_in_child(sigpipe_child, NULL), SIGPIPE, "write after shutdown");
	test_nonblocking_connect();
	test_addresses();
	test_ipv6();
	test_blocked_sender_shutdown();
	return 0;
}
