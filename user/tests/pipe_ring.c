/*
 * A ring of 8 processes joined by pipes passes a token carrying data around
 * many times; every hop adds to it and the checksum at the end must match.
 */
#include "common.h"

#define NPROC 8
#define ROUNDS 200
#define PAYLOAD 1000

struct token {
	unsigned round, hops;
	unsigned sum;
	unsigned char data[PAYLOAD];
};

static int read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static unsigned data_sum(const struct token *t)
{
	unsigned s = 0;
	for (int i = 0; i < PAYLOAD; i++)
		s = s * 31 + t->data[i];
	return s;
}

/* Member i reads from pipe i and writes to pipe (i + 1) % NPROC. */
static int member(int id, int in, int out)
{
	struct token t;

	for (;;) {
		if (read_full(in, &t, sizeof(t)))
			return 0; /* ring closed */
		if (t.sum != data_sum(&t))
			return 3;
		t.hops++;
		for (int i = 0; i < PAYLOAD; i++)
			t.data[i] = (unsigned char)(t.data[i] + id + 1);
		t.sum = data_sum(&t);
		if (write(out, &t, sizeof(t)) != (ssize_t)sizeof(t))
			return 4;
	}
}

int main(void)
{
	int p[NPROC][2];
	pid_t pids[NPROC];
	struct token t;
	int status;

	alarm(60);
	for (int i = 0; i < NPROC; i++)
		CHECK(pipe(p[i]) == 0, "pipe");
	for (int i = 1; i < NPROC; i++) {
		pids[i] = fork();
		CHECK(pids[i] >= 0, "fork");
		if (pids[i] == 0) {
			int in = p[i][0], out = p[(i + 1) % NPROC][1];
			for (int j = 0; j < NPROC; j++) {
				if (p[j][0] != in)
					close(p[j][0]);
				if (p[j][1] != out)
					close(p[j][1]);
			}
			_exit(member(i, in, out));
		}
	}
	int in = p[0][0], out = p[1][1];
	for (int j = 0; j < NPROC; j++) {
		if (p[j][0] != in)
			close(p[j][0]);
		if (p[j][1] != out)
			close(p[j][1]);
	}

	memset(&t, 0, sizeof(t));
	for (int i = 0; i < PAYLOAD; i++)
		t.data[i] = (unsigned char)i;
	unsigned char expect[PAYLOAD];
	memcpy(expect, t.data, PAYLOAD);
	t.sum = data_sum(&t);
	for (unsigned r = 0; r < ROUNDS; r++) {
		t.round = r;
		CHECK(write(out, &t, sizeof(t)) == (ssize_t)sizeof(t), "write token");
		CHECK(read_full(in, &t, sizeof(t)) == 0, "read token");
		CHECK(t.round == r && t.hops == (r + 1) * (NPROC - 1), "round %u hops %u", t.round, t.hops);
		CHECK(t.sum == data_sum(&t), "checksum round %u", r);
		/* Members 1..7 each added id+1: 2+3+...+8 = 35 per round. */
		for (int i = 0; i < PAYLOAD; i++)
			expect[i] = (unsigned char)(expect[i] + 35);
		CHECK(memcmp(expect, t.data, PAYLOAD) == 0, "payload round %u", r);
	}
	close(out);
	for (int i = 1; i < NPROC; i++) {
		CHECK(waitpid(pids[i], &status, 0) == pids[i], "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "member %d status 0x%x", i, status);
	}
	close(in);
	return 0;
}
