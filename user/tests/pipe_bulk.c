/*
 * A three-process pipeline moves 4 MiB: a producer writes pseudo-random
 * blocks of odd sizes, a relay copies them with differently sized reads,
 * the consumer checks length and checksum against the producer's.
 */
#include "common.h"

#define TOTAL (4u << 20)

static unsigned rng = 12345;
static unsigned next(void) { rng = rng * 1103515245u + 12345u; return rng >> 8; }

static void produce(int fd)
{
	static unsigned char buf[7919];
	size_t sent = 0;

	while (sent < TOTAL) {
		size_t n = 1 + next() % sizeof(buf);
		if (n > TOTAL - sent)
			n = TOTAL - sent;
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)((sent + i) * 131 + ((sent + i) >> 12));
		for (size_t off = 0; off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w <= 0)
				_exit(2);
			off += (size_t)w;
		}
		sent += n;
	}
}

static void relay(int in, int out)
{
	static char buf[65536];
	for (;;) {
		ssize_t r = read(in, buf, 1 + next() % sizeof(buf));
		if (r < 0)
			_exit(3);
		if (r == 0)
			return;
		for (ssize_t off = 0; off < r;) {
			ssize_t w = write(out, buf + off, (size_t)(r - off));
			if (w <= 0)
				_exit(4);
			off += w;
		}
	}
}

int main(void)
{
	int a[2], b[2], status;
	static unsigned char buf[32768];

	alarm(120);
	CHECK(pipe(a) == 0 && pipe(b) == 0, "pipe");
	pid_t prod = fork();
	CHECK(prod >= 0, "fork");
	if (prod == 0) {
		close(a[0]); close(b[0]); close(b[1]);
		produce(a[1]);
		_exit(0);
	}
	pid_t rel = fork();
	CHECK(rel >= 0, "fork");
	if (rel == 0) {
		close(a[1]); close(b[0]);
		rng = 999;
		relay(a[0], b[1]);
		_exit(0);
	}
	close(a[0]); close(a[1]); close(b[1]);

	size_t got = 0;
	for (;;) {
		ssize_t r = read(b[0], buf, sizeof(buf));
		CHECK(r >= 0, "read");
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			size_t k = got + (size_t)i;
			CHECK(buf[i] == (unsigned char)(k * 131 + (k >> 12)), "byte %zu", k);
		}
		got += (size_t)r;
	}
	CHECK(got == TOTAL, "got %zu bytes", got);
	CHECK(waitpid(prod, &status, 0) == prod && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "producer 0x%x", status);
	CHECK(waitpid(rel, &status, 0) == rel && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "relay 0x%x", status);
	return 0;
}
