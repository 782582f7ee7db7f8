/*
 * AF_INET/AF_INET6 UDP on the loopback: message boundaries, MSG_TRUNC
 * (flag out and in), MSG_PEEK, zero-length datagrams, source addresses,
 * connected sockets (ECONNREFUSED after a port unreachable, AF_UNSPEC
 * dissolving), EDESTADDRREQ, EMSGSIZE, FIONREAD, poll, IPv4-mapped
 * senders on an AF_INET6 socket; the socket-level options every family
 * shares (SO_RCVTIMEO/SO_SNDTIMEO, SO_TYPE, SO_DOMAIN) on a UDP socket.
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* SO_RCVTIMEO: a receive gives up with EAGAIN at the deadline; the value
 * reads back; bad values are refused; SO_TYPE and SO_DOMAIN. */
static void socket_level_options(int r)
{
	struct timeval tv = { 0, 100000 }, got;
	socklen_t len = sizeof(got);
	char buf[4];

	CHECK(setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO");
	CHECK(getsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &got, &len) == 0 && len == sizeof(got) &&
	      got.tv_sec == 0 && got.tv_usec == 100000, "SO_RCVTIMEO reads back");
	double t0 = now_s();
	CHECK_ERRNO(recv(r, buf, sizeof(buf), 0), EAGAIN);
	double dt = now_s() - t0;
	CHECK(dt >= 0.09 && dt < 5, "the receive timed out after %.3f s", dt);
	tv = (struct timeval){ 0, 0 };
	CHECK(setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO off");
	tv.tv_usec = 1000000;
	CHECK_ERRNO(setsockopt(r, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
	CHECK_ERRNO(setsockopt(r, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv) - 1), EINVAL);
	tv = (struct timeval){ 2, 500000 };
	len = sizeof(got);
	CHECK(setsockopt(r, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 &&
	      getsockopt(r, SOL_SOCKET, SO_SNDTIMEO, &got, &len) == 0 && got.tv_sec == 2 &&
	      got.tv_usec == 500000, "SO_SNDTIMEO");
	int v = 0;
	len = sizeof(v);
	CHECK(getsockopt(r, SOL_SOCKET, SO_TYPE, &v, &len) == 0 && v == SOCK_DGRAM, "SO_TYPE");
	CHECK(getsockopt(r, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET, "SO_DOMAIN");
}

static int bound4(struct sockaddr_in *a)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(s >= 0, "socket");
	*a = (struct sockaddr_in){ .sin_family = AF_INET };
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(*a);
	CHECK(bind(s, (void *)a, sizeof(*a)) == 0 && getsockname(s, (void *)a, &len) == 0, "bind");
	return s;
}

int main(void)
{
	struct sockaddr_in ra, sa;
	int r = bound4(&ra), s = bound4(&sa);
	char buf[100];

	socket_level_options(r);
	/* Boundaries: three sends, three receives. */
	CHECK(sendto(s, "one", 3, 0, (void *)&ra, sizeof(ra)) == 3, "send 1");
	CHECK(sendto(s, "", 0, 0, (void *)&ra, sizeof(ra)) == 0, "send empty");
	CHECK(sendto(s, "three33", 7, 0, (void *)&ra, sizeof(ra)) == 7, "send 3");
	int n = -1;
	CHECK(ioctl(r, FIONREAD, &n) == 0 && n == 3, "FIONREAD: the first datagram (%d)", n);
	struct pollfd p = { r, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "POLLIN");
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	CHECK(recvfrom(r, buf, sizeof(buf), MSG_PEEK, (void *)&from, &fl) == 3, "peek");
	CHECK(fl == sizeof(from) && from.sin_port == sa.sin_port &&
	      from.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "source address");
	CHECK(recv(r, buf, sizeof(buf), 0) == 3 && !memcmp(buf, "one", 3), "one");
	CHECK(recv(r, buf, sizeof(buf), 0) == 0, "empty datagram");
	/* Truncation: the rest of the datagram is gone. */
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK(recvmsg(r, &mh, 0) == 4 && (mh.msg_flags & MSG_TRUNC) && !memcmp(buf, "thre", 4),
	      "truncated");
	CHECK_ERRNO(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK(sendto(s, "abcdef", 6, 0, (void *)&ra, sizeof(ra)) == 6, "send");
	CHECK(recv(r, buf, 2, MSG_TRUNC) == 6, "MSG_TRUNC gives the real length");

	/* Large datagrams keep their size and bytes; too large is EMSGSIZE. */
	static char big[65507], got[65507];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	CHECK(sendto(s, big, sizeof(big), 0, (void *)&ra, sizeof(ra)) == sizeof(big), "big");
	CHECK(recv(r, got, sizeof(got), 0) == sizeof(got) && !memcmp(big, got, sizeof(big)), "big back");
	static char toobig[65508];
	CHECK_ERRNO(sendto(s, toobig, sizeof(toobig), 0, (void *)&ra, sizeof(ra)), EMSGSIZE);

	/* Connected: default destination, refused when nobody listens. */
	CHECK_ERRNO(send(s, "x", 1, 0), EDESTADDRREQ);
	CHECK(connect(s, (void *)&ra, sizeof(ra)) == 0, "connect");
	CHECK(send(s, "hi", 2, 0) == 2 && recv(r, buf, sizeof(buf), 0) == 2, "connected send");
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	CHECK(getpeername(s, (void *)&peer, &pl) == 0 && peer.sin_port == ra.sin_port, "peer");
	struct sockaddr_in gone = ra;
	close(r);
	CHECK(send(s, "lost", 4, 0) == 4, "send to a closed port");
	CHECK_ERRNO(recv(s, buf, sizeof(buf), 0), ECONNREFUSED);
	struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
	CHECK(connect(s, (void *)&unspec, sizeof(unspec)) == 0, "dissolve");
	CHECK_ERRNO(getpeername(s, (void *)&peer, &pl), ENOTCONN);
	CHECK(sendto(s, "x", 1, 0, (void *)&gone, sizeof(gone)) == 1, "unconnected: no error");
	CHECK_ERRNO(recv(s, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERRNO(sendto(s, "x", 1, 0, (void *)&gone, sizeof(gone) - 1), EINVAL);
	CHECK_ERRNO(sendto(s, "x", 1, 0, launder_ptr(16), sizeof(gone)), EFAULT);
	CHECK_ERRNO(listen(s, 1), EOPNOTSUPP);
	close(s);

	/* AF_INET6 socket on ::, an IPv4 sender shows IPv4-mapped. */
	int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	socklen_t l6 = sizeof(a6);
	CHECK(bind(r6, (void *)&a6, sizeof(a6)) == 0 && getsockname(r6, (void *)&a6, &l6) == 0, "bind6");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = a6.sin6_port };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(sendto(s, "v4", 2, 0, (void *)&to, sizeof(to)) == 2, "v4 to dual stack");
	struct sockaddr_in6 f6;
	l6 = sizeof(f6);
	CHECK(recvfrom(r6, buf, sizeof(buf), 0, (void *)&f6, &l6) == 2 && l6 == sizeof(f6) &&
	      IN6_IS_ADDR_V4MAPPED(&f6.sin6_addr), "mapped source");
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	a6.sin6_addr = in6addr_loopback;
	CHECK(sendto(s6, "v6", 2, 0, (void *)&a6, sizeof(a6)) == 2, "send6");
	l6 = sizeof(f6);
	CHECK(recvfrom(r6, buf, sizeof(buf), 0, (void *)&f6, &l6) == 2 &&
	      IN6_IS_ADDR_LOOPBACK(&f6.sin6_addr), "::1 source");
	close(s6);
	close(s);
	close(r6);
	return 0;
}
