/*
 * Loopback networking: TCP ping-pong round trip (1 byte, TCP_NODELAY),
 * TCP bandwidth (64 KiB writes) and UDP ping-pong round trip (1 byte),
 * each between two processes over 127.0.0.1.
 *
 * Each benchmark owns its sockets and child for its duration; the
 * ping-pong and bandwidth harnesses are harness.c's.
 */
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


static struct sockaddr_in loopback(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A connected TCP pair over 127.0.0.1 in sv; 0, or -1 with errno. */
static int tcp_pair(int sv[2])
{
	struct sockaddr_in a = loopback();
	socklen_t len = sizeof(a);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0)
		return -1;
	sv[0] = sv[1] = -1;
	if (bind(l, (void *)&a, sizeof(a)) || listen(l, 1) || getsockname(l, (void *)&a, &len) ||
	    (sv[0] = socket(AF_INET, SOCK_STREAM, 0)) < 0 || connect(sv[0], (void *)&a, sizeof(a)) ||
	    (sv[1] = accept(l, NULL, NULL)) < 0) {
		int e = errno;
		close(l);
		if (sv[0] >= 0)
			close(sv[0]);
		errno = e;
		return -1;
	}
	close(l);
	setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(sv[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

/* Two UDP sockets on 127.0.0.1 connected to each other. */
static int udp_pair(int sv[2])
{
	struct sockaddr_in a[2];

	for (int i = 0; i < 2; i++) {
		socklen_t len = sizeof(a[i]);
		a[i] = loopback();
		sv[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (sv[i] < 0 || bind(sv[i], (void *)&a[i], sizeof(a[i])) ||
		    getsockname(sv[i], (void *)&a[i], &len))
			return -1;
	}
	if (connect(sv[0], (void *)&a[1], sizeof(a[1])) || connect(sv[1], (void *)&a[0], sizeof(a[0])))
		return -1;
	return 0;
}

static int64_t pingpong(const char *name, int sv[2], long iters)
{
	return bench_pingpong(name, sv[0], sv[1], sv[1], sv[0], 1, iters, sv[0]);
}

static int64_t bench_tcp_pingpong(long iters)
{
	int sv[2];

	if (tcp_pair(sv)) {
		bench_error("tcp_pingpong", "socket/connect");
		return errno == EAFNOSUPPORT ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int64_t t = pingpong("tcp_pingpong", sv, iters);
	close(sv[0]);
	close(sv[1]);
	return t;
}

static int64_t bench_udp_pingpong(long iters)
{
	int sv[2] = { -1, -1 };

	if (udp_pair(sv)) {
		bench_error("udp_pingpong", "socket/bind/connect");
		close(sv[0]);
		close(sv[1]);
		return errno == EAFNOSUPPORT ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int64_t t = pingpong("udp_pingpong", sv, iters);
	close(sv[0]);
	close(sv[1]);
	return t;
}

/* The child reads iters * 64 KiB, then answers one byte. */
static int64_t bench_tcp_bandwidth(long iters)
{
	int sv[2];

	if (tcp_pair(sv)) {
		bench_error("tcp_bandwidth", "socket/connect");
		return errno == EAFNOSUPPORT ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int64_t t = bench_stream_bandwidth("tcp_bandwidth", sv, iters);
	close(sv[0]);
	close(sv[1]);
	return t;
}

const struct bench bench_inet_table[] = {
	{ "tcp_pingpong", "ns", 2000, bench_tcp_pingpong, 0 },
	{ "tcp_bandwidth", "MiB/s", 200, bench_tcp_bandwidth, BENCH_CHUNK },
	{ "udp_pingpong", "ns", 2000, bench_udp_pingpong, 0 },
	{ 0 },
};
