/*
 * Ports: call/reply between two processes over a named port, 1000 round
 * trips of varying sizes with checksums, plus plain sends and the name
 * registry (EEXIST, ENOENT). Ferrite only.
 */
#include "common.h"
#include "port_util.h"

#define ROUNDS 1000

struct req {
	unsigned seq, sum;
	unsigned char data[2048];
};

static void server(int port)
{
	static struct req r;
	struct ferrite_port_msg m;

	for (;;) {
		long n = port_recv(port, &m, &r, sizeof(r), 0, NULL);

		if (n < 0)
			_exit(10);
		if (m.type == 99 && m.token == 0)
			_exit(0); /* plain "stop" message */
		if (m.type != 1 || m.token == 0 || (size_t)n < 8 || m.sender != getppid())
			_exit(11);
		if (port_sum(r.data, (size_t)n - 8) != r.sum)
			_exit(12);
		/* Echo it back reversed, with the type answering the seq. */
		for (size_t i = 0; i < ((size_t)n - 8) / 2; i++) {
			unsigned char t = r.data[i];
			r.data[i] = r.data[n - 8 - 1 - i];
			r.data[n - 8 - 1 - i] = t;
		}
		r.sum = port_sum(r.data, (size_t)n - 8);
		if (port_reply(port, m.token, 1000 + r.seq, &r, (unsigned long)n))
			_exit(13);
		if (port_reply(port, m.token, 0, NULL, 0) != -1 || errno != ENOENT)
			_exit(14); /* one-shot */
	}
}

int main(void)
{
	static struct req q, a;
	struct ferrite_port_msg m;
	int port, conn, status;
	pid_t pid;

	port_require_ferrite();
	port = port_create("test.echo", 0);
	CHECK(port >= 0, "port_create");
	CHECK_ERRNO(port_create("test.echo", 0), EEXIST);
	CHECK_ERRNO(port_connect("test.nobody", 0), ENOENT);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		server(port);
	close(port); /* the child keeps the receive right */
	conn = port_connect("test.echo", 0);
	CHECK(conn >= 0, "port_connect");
	for (unsigned i = 0; i < ROUNDS; i++) {
		size_t len = 1 + (i * 37) % sizeof(q.data);

		for (size_t j = 0; j < len; j++)
			q.data[j] = (unsigned char)(i * 7 + j * 13);
		q.seq = i;
		q.sum = port_sum(q.data, len);
		long n = port_call(conn, 1, &q, 8 + len, &m, &a, sizeof(a), 0, NULL);
		CHECK(n == (long)(8 + len), "call %u returned %ld", i, n);
		CHECK(m.type == 1000 + (long)i, "reply type %ld for %u", m.type, i);
		CHECK(m.sender == pid, "reply sender %ld", m.sender);
		CHECK(a.sum == port_sum(a.data, len), "reply checksum %u", i);
		for (size_t j = 0; j < len; j++)
			CHECK(a.data[j] == q.data[len - 1 - j], "reply byte %zu of %u", j, i);
	}
	/* A send right cannot receive, reply or destroy. */
	CHECK_ERRNO(port_recv(conn, &m, &a, sizeof(a), FERRITE_PORT_NONBLOCK, NULL), EPERM);
	CHECK_ERRNO(port_reply(conn, 1, 0, NULL, 0), EPERM);
	CHECK_ERRNO(port_destroy(conn), EPERM);
	CHECK(port_send(conn, 99, "stop", 4, 0) == 0, "send stop");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "server status 0x%x", status);
	/* The server's exit destroyed the port. */
	CHECK_ERRNO(port_send(conn, 1, "x", 1, 0), EIDRM);
	CHECK_ERRNO(port_connect("test.echo", 0), ENOENT);
	close(conn);
	return 0;
}
