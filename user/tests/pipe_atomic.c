/*
 * Writes of at most PIPE_BUF (4096) bytes are atomic: several writers each
 * send records of 4096 identical bytes; the reader must never see a record
 * mixed with another writer's bytes.
 */
#include "common.h"
#include <limits.h>

#define WRITERS 4
#define RECORDS 300
#define REC 4096

static int read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return (int)got;
		got += (size_t)r;
	}
	return (int)got;
}

int main(void)
{
	int p[2], status;
	pid_t pids[WRITERS];
	static unsigned char rec[REC];
	int count[WRITERS] = { 0 };

	alarm(60);
	CHECK(PIPE_BUF == REC, "PIPE_BUF %d", PIPE_BUF);
	CHECK(pipe(p) == 0, "pipe");
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		CHECK(pids[w] >= 0, "fork");
		if (pids[w] == 0) {
			close(p[0]);
			memset(rec, 'A' + w, REC);
			for (int i = 0; i < RECORDS; i++)
				if (write(p[1], rec, REC) != REC)
					_exit(2);
			_exit(0);
		}
	}
	close(p[1]);
	for (;;) {
		int n = read_full(p[0], rec, REC);
		if (n == 0)
			break;
		CHECK(n == REC, "short record %d", n);
		int w = rec[0] - 'A';
		CHECK(w >= 0 && w < WRITERS, "bad writer byte %d", rec[0]);
		for (int i = 1; i < REC; i++)
			CHECK(rec[i] == rec[0], "record from %c interleaved at %d with %c", rec[0], i, rec[i]);
		count[w]++;
	}
	for (int w = 0; w < WRITERS; w++) {
		CHECK(count[w] == RECORDS, "writer %d: %d records", w, count[w]);
		CHECK(waitpid(pids[w], &status, 0) == pids[w] && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0, "writer %d status 0x%x", w, status);
	}
	return 0;
}
