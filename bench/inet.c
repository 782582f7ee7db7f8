/*
 * Loopback networking: TCP ping-pong round trip (1 byte, TCP_NODELAY),
 * TCP bandwidth (64 KiB writes) and UDP ping-pong round trip (1 byte),
 * each between two processes over 127.0.0.1.
 *
 * Each benchmark owns its sockets and child for its duration.
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

#define CHUNK (64 * 1024)

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

/* The child echoes 1 byte per op from sv[1]; the parent pings on sv[0]. */
static int64_t pingpong(const char *name, int sv[2], long iters)
{
	char buf[1] = { 1 };
	int64_t t0, t = 0;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		bench_error(name, "fork");
		return BENCH_FAILED;
	}
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], buf, 1) == 1)
			if (write(sv[1], buf, 1) != 1)
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (write(sv[0], buf, 1) != 1 || read(sv[0], buf, 1) != 1) {
			bench_error(name, "write/read");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return t;
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
	int sv[2], status;
	int64_t t0, t = 0;
	char *buf = malloc(CHUNK);

	if (!buf || tcp_pair(sv)) {
		bench_error("tcp_bandwidth", "malloc/socket/connect");
		free(buf);
		return errno == EAFNOSUPPORT ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	memset(buf, 0x5a, CHUNK);
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("tcp_bandwidth", "fork");
		free(buf);
		return BENCH_FAILED;
	}
	if (pid == 0) {
		size_t want = (size_t)iters * CHUNK;
		while (want) {
			ssize_t r = read(sv[1], buf, CHUNK);
			if (r <= 0)
				_exit(1);
			want -= (size_t)r;
		}
		_exit(write(sv[1], "k", 1) == 1 ? 0 : 1);
	}
	t0 = now_ns();
	for (long i = 0; i < iters && !t; i++) {
		size_t off = 0;
		while (off < CHUNK) {
			ssize_t w = write(sv[0], buf + off, CHUNK - off);
			if (w <= 0) {
				bench_error("tcp_bandwidth", "write");
				t = BENCH_FAILED;
				break;
			}
			off += (size_t)w;
		}
	}
	char k;
	if (!t && read(sv[0], &k, 1) != 1) {
		bench_error("tcp_bandwidth", "read");
		t = BENCH_FAILED;
	}
	if (!t)
		t = now_ns() - t0;
	close(sv[0]);
	close(sv[1]);
	waitpid(pid, &status, 0);
	free(buf);
	return t;
}

const struct bench bench_inet_table[] = {
	{ "tcp_pingpong", "ns", 2000, bench_tcp_pingpong, 0 },
	{ "tcp_bandwidth", "MiB/s", 200, bench_tcp_bandwidth, CHUNK },
	{ "udp_pingpong", "ns", 2000, bench_udp_pingpong, 0 },
	{ 0 },
};
