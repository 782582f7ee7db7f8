/*
 * Event descriptors and AF_UNIX sockets: eventfd ping-pong (two
 * processes, two counters), AF_UNIX stream and datagram ping-pong (1 byte,
 * socketpair), AF_UNIX stream bandwidth (64 KiB writes), and epoll_wait
 * with 1,000 registered eventfds of which one is ready.
 *
 * Each benchmark owns its descriptors and child for its duration.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define EPOLL_FDS 1000

/* Ping-pong over a pair of descriptors: the child echoes n bytes per op
 * from rd to wr; the parent writes to ping and waits for pong. */
static int64_t pingpong(const char *name, int ping_w, int ping_r, int pong_w, int pong_r,
			size_t n, long iters)
{
	char buf[8] = { 1 };
	int64_t t0, t = 0;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		bench_error(name, "fork");
		return BENCH_FAILED;
	}
	if (pid == 0) {
		bench_pin_partner();
		while (read(ping_r, buf, n) == (ssize_t)n)
			if (write(pong_w, buf, n) != (ssize_t)n)
				_exit(1);
		_exit(0);
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (write(ping_w, buf, n) != (ssize_t)n || read(pong_r, buf, n) != (ssize_t)n) {
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

static int64_t bench_eventfd_pingpong(long iters)
{
	int a = eventfd(0, 0), b = eventfd(0, 0);

	if (a < 0 || b < 0) {
		bench_error("eventfd_pingpong", "eventfd");
		return errno == ENOSYS ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int64_t t = pingpong("eventfd_pingpong", a, a, b, b, 8, iters);
	close(a);
	close(b);
	return t;
}

static int64_t socket_pingpong(const char *name, int type, long iters)
{
	int sv[2];

	if (socketpair(AF_UNIX, type, 0, sv)) {
		bench_error(name, "socketpair");
		return errno == ENOSYS || errno == EAFNOSUPPORT ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int64_t t = pingpong(name, sv[0], sv[1], sv[1], sv[0], 1, iters);
	close(sv[0]);
	close(sv[1]);
	return t;
}

static int64_t bench_unix_stream_pingpong(long iters)
{
	return socket_pingpong("unix_stream_pingpong", SOCK_STREAM, iters);
}

static int64_t bench_unix_dgram_pingpong(long iters)
{
	return socket_pingpong("unix_dgram_pingpong", SOCK_DGRAM, iters);
}

/* The child reads iters * 64 KiB, then answers one byte. */
static int64_t bench_unix_bandwidth(long iters)
{
	int sv[2], status;
	int64_t t0, t = 0;
	char *buf = malloc(CHUNK);

	if (!buf || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		bench_error("unix_bandwidth", "malloc/socketpair");
		free(buf);
		return BENCH_FAILED;
	}
	memset(buf, 0x5a, CHUNK);
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("unix_bandwidth", "fork");
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
				bench_error("unix_bandwidth", "write");
				t = BENCH_FAILED;
				break;
			}
			off += (size_t)w;
		}
	}
	char k;
	if (!t && read(sv[0], &k, 1) != 1) {
		bench_error("unix_bandwidth", "read");
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

/* epoll_wait over EPOLL_FDS eventfds, one of them ready (level-triggered:
 * every call reports it). */
static int64_t bench_epoll_wait_1000(long iters)
{
	static int fds[EPOLL_FDS];
	int ep = epoll_create1(0);
	int64_t t = 0;

	if (ep < 0) {
		bench_error("epoll_wait_1000", "epoll_create1");
		return errno == ENOSYS ? BENCH_UNSUPPORTED : BENCH_FAILED;
	}
	int n = 0;
	for (; n < EPOLL_FDS; n++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)n };
		fds[n] = eventfd(0, 0);
		if (fds[n] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fds[n], &ev)) {
			bench_error("epoll_wait_1000", "eventfd/epoll_ctl");
			t = BENCH_FAILED;
			break;
		}
	}
	uint64_t one = 1;
	if (!t && write(fds[EPOLL_FDS / 2], &one, sizeof(one)) != sizeof(one)) {
		bench_error("epoll_wait_1000", "write");
		t = BENCH_FAILED;
	}
	if (!t) {
		struct epoll_event out[4];
		int64_t t0 = now_ns();
		for (long i = 0; i < iters; i++) {
			if (epoll_wait(ep, out, 4, 0) != 1) {
				bench_error("epoll_wait_1000", "epoll_wait");
				t = BENCH_FAILED;
				break;
			}
		}
		if (!t)
			t = now_ns() - t0;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(ep);
	return t;
}

const struct bench bench_event_table[] = {
	{ "eventfd_pingpong", "ns", 2000, bench_eventfd_pingpong, 0 },
	{ "unix_stream_pingpong", "ns", 2000, bench_unix_stream_pingpong, 0 },
	{ "unix_dgram_pingpong", "ns", 2000, bench_unix_dgram_pingpong, 0 },
	{ "unix_bandwidth", "MiB/s", 200, bench_unix_bandwidth, CHUNK },
	{ "epoll_wait_1000", "ns", 10000, bench_epoll_wait_1000, 0 },
	{ 0 },
};
