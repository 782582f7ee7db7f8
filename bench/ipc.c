/*
 * Round trips and bandwidth over pipes and futexes: pipe ping-pong (1 byte,
 * two processes), pipe bandwidth (64 KiB writes), futex ping-pong (two
 * threads of one process, private futexes).
 *
 * Each benchmark owns its pipes, words and child for its duration; the two
 * futex words are written only with atomics.
 */
#include "bench.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (64 * 1024)

static int read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			return -1;
		}
		done += r;
	}
	return 0;
}

static int64_t bench_pipe_pingpong(long iters)
{
	int to_child[2], to_parent[2], status;
	int64_t t0, t = 0;
	char c = 'x';

	if (pipe(to_child) || pipe(to_parent)) {
		bench_error("pipe_pingpong", "pipe");
		return BENCH_FAILED;
	}
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("pipe_pingpong", "fork");
		return BENCH_FAILED;
	}
	if (pid == 0) {
		bench_pin_partner();
		close(to_child[1]);
		close(to_parent[0]);
		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(to_child[0]);
	close(to_parent[1]);
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1) {
			bench_error("pipe_pingpong", "write/read");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	close(to_child[1]);
	close(to_parent[0]);
	waitpid(pid, &status, 0);
	return t;
}

/* The child reads iters * 64 KiB, then answers one byte: the clock stops
 * when every byte has reached the reader. */
static int64_t bench_pipe_bandwidth(long iters)
{
	int data[2], done[2], status;
	int64_t t0, t = 0;
	char *buf = malloc(CHUNK);

	if (!buf || pipe(data) || pipe(done)) {
		bench_error("pipe_bandwidth", "malloc/pipe");
		free(buf);
		return BENCH_FAILED;
	}
	memset(buf, 0x5a, CHUNK);
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("pipe_bandwidth", "fork");
		free(buf);
		return BENCH_FAILED;
	}
	if (pid == 0) {
		close(data[1]);
		close(done[0]);
		for (long i = 0; i < iters; i++)
			if (read_full(data[0], buf, CHUNK))
				_exit(1);
		_exit(write(done[1], "k", 1) == 1 ? 0 : 1);
	}
	close(data[0]);
	close(done[1]);
	t0 = now_ns();
	for (long i = 0; i < iters && !t; i++) {
		size_t off = 0;

		while (off < CHUNK) {
			ssize_t w = write(data[1], buf + off, CHUNK - off);
			if (w <= 0) {
				bench_error("pipe_bandwidth", "write");
				t = BENCH_FAILED;
				break;
			}
			off += w;
		}
	}
	char k;
	if (!t && read(done[0], &k, 1) != 1) {
		bench_error("pipe_bandwidth", "read ack");
		t = BENCH_FAILED;
	}
	if (!t)
		t = now_ns() - t0;
	close(data[1]);
	close(done[0]);
	waitpid(pid, &status, 0);
	free(buf);
	return t;
}

struct futex_pair {
	int ping; /* written by the main thread */
	int pong; /* written by the partner */
	long iters;
};

static long futex_op(int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op | FUTEX_PRIVATE_FLAG, val, NULL, NULL, 0);
}

/* Sleep until *word == want (it only grows). */
static void futex_wait_for(int *word, int want)
{
	int cur;

	while ((cur = __atomic_load_n(word, __ATOMIC_ACQUIRE)) != want)
		futex_op(word, FUTEX_WAIT, cur);
}

static void *futex_partner(void *arg)
{
	struct futex_pair *p = arg;

	bench_pin_partner();
	for (int i = 1; i <= p->iters; i++) {
		futex_wait_for(&p->ping, i);
		__atomic_store_n(&p->pong, i, __ATOMIC_RELEASE);
		futex_op(&p->pong, FUTEX_WAKE, 1);
	}
	return NULL;
}

static int64_t bench_futex_pingpong(long iters)
{
	struct futex_pair p = { .ping = 0, .pong = 0, .iters = iters };
	pthread_t th;
	int64_t t0, t;

	if (pthread_create(&th, NULL, futex_partner, &p)) {
		bench_error("futex_pingpong", "pthread_create");
		return BENCH_FAILED;
	}
	t0 = now_ns();
	for (int i = 1; i <= iters; i++) {
		__atomic_store_n(&p.ping, i, __ATOMIC_RELEASE);
		futex_op(&p.ping, FUTEX_WAKE, 1);
		futex_wait_for(&p.pong, i);
	}
	t = now_ns() - t0;
	pthread_join(th, NULL);
	return t;
}

const struct bench bench_ipc_table[] = {
	{ "pipe_pingpong", "ns", 2000, bench_pipe_pingpong, 0 },
	{ "pipe_bandwidth", "MiB/s", 200, bench_pipe_bandwidth, CHUNK },
	{ "futex_pingpong", "ns", 2000, bench_futex_pingpong, 0 },
	{ 0 },
};
