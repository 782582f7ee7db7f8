/*
 * Harnesses shared by the descriptor benchmarks (event.c, inet.c): a
 * ping-pong between two processes and a one-way 64 KiB stream, each over
 * descriptors the caller made and closes afterwards.
 */
#include "bench.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int64_t bench_pingpong(const char *name, int ping_w, int ping_r, int pong_w, int pong_r, size_t n,
		       long iters, int child_close)
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
		if (child_close >= 0)
			close(child_close);
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

int64_t bench_stream_bandwidth(const char *name, int sv[2], long iters)
{
	int status;
	int64_t t0, t = 0;
	char *buf = malloc(BENCH_CHUNK);

	if (!buf) {
		bench_error(name, "malloc");
		return BENCH_FAILED;
	}
	memset(buf, 0x5a, BENCH_CHUNK);
	pid_t pid = fork();
	if (pid < 0) {
		bench_error(name, "fork");
		free(buf);
		return BENCH_FAILED;
	}
	if (pid == 0) {
		bench_pin_partner();
		size_t want = (size_t)iters * BENCH_CHUNK;
		while (want) {
			ssize_t r = read(sv[1], buf, BENCH_CHUNK);
			if (r <= 0)
				_exit(1);
			want -= (size_t)r;
		}
		_exit(write(sv[1], "k", 1) == 1 ? 0 : 1);
	}
	t0 = now_ns();
	for (long i = 0; i < iters && !t; i++) {
		size_t off = 0;
		while (off < BENCH_CHUNK) {
			ssize_t w = write(sv[0], buf + off, BENCH_CHUNK - off);
			if (w <= 0) {
				bench_error(name, "write");
				t = BENCH_FAILED;
				break;
			}
			off += (size_t)w;
		}
	}
	char k;
	if (!t && read(sv[0], &k, 1) != 1) {
		bench_error(name, "read");
		t = BENCH_FAILED;
	}
	if (!t)
		t = now_ns() - t0;
	if (t < 0)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	free(buf);
	return t;
}
