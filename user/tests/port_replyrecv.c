/*
 * Ports: reply_recv, the server's reply and next receive in one call.
 * Errors first in one process (flags, rights, unknown token, bad headers,
 * empty queue, timeout: nothing is received after a failed reply), then a
 * client process making 500 calls of varying sizes that the server answers
 * with reply_recv, and the reply rules: a too large reply leaves the right
 * usable, a used right is gone (ENOENT), token 0 only receives; a signal
 * after the reply gives EINTR even with SA_RESTART; the one-copy layouts
 * (adjacent headers, a buffer right after its header); small payloads at
 * every alignment and bad small payloads (the inline copies); a signal
 * ending a call blocked after its request was received. Ferrite only.
 */
#include "common.h"
#include "port_util.h"

#define ROUNDS 500

struct req {
	unsigned seq, sum;
	unsigned char data[600];
};

static void errors_alone(void)
{
	struct ferrite_port_msg m;
	struct timespec zero = { 0, 0 };
	char buf[16];
	void *bad = (void *)16;
	int port = port_create("test.rr.alone", 0), conn;

	CHECK(port >= 0, "port_create");
	conn = port_connect("test.rr.alone", 0);
	CHECK(conn >= 0, "port_connect");
	CHECK_ERRNO(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0x80, NULL), EINVAL);
	CHECK_ERRNO(port_reply_recv(conn, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, NULL), EPERM);
	CHECK_ERRNO(port_reply_recv(-1, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, NULL), EBADF);
	CHECK_ERRNO(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf),
				    FERRITE_PORT_NONBLOCK, NULL), EAGAIN);
	CHECK_ERRNO(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, &zero), ETIMEDOUT);
	/* Token 0: only a receive; a plain message carries no right. */
	CHECK(port_send(conn, 5, "abc", 3, 0) == 0, "send");
	CHECK(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, NULL) == 3, "recv");
	CHECK(m.type == 5 && m.token == 0 && !memcmp(buf, "abc", 3), "plain message");
	/* A failed reply receives nothing: the message stays queued. */
	CHECK(port_send(conn, 6, "q", 1, 0) == 0, "send q");
	CHECK_ERRNO(port_reply_recv(port, 4242, 0, "r", 1, &m, buf, sizeof(buf), 0, NULL), ENOENT);
	CHECK_ERRNO(syscall(__NR_ferrite_port_reply_recv, port, 4242UL, bad, &m, 0u, NULL), EFAULT);
	CHECK_ERRNO(syscall(__NR_ferrite_port_reply_recv, port, 0UL, NULL, bad, 0u, NULL), EFAULT);
	CHECK_ERRNO(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, bad), EFAULT);
	CHECK(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, NULL) == 1 &&
	      m.type == 6 && buf[0] == 'q', "q still queued");
	close(conn);
	close(port);
}

/*
 * Small payloads (copied without a call, word by word when aligned) of
 * every size up to 64 bytes from and to every byte alignment, sent to
 * ourselves; a bad small payload: EFAULT before anything is queued or
 * replied.
 */
static void small_payloads(void)
{
	static char src[80] __attribute__((aligned(8))), dst[80] __attribute__((aligned(8)));
	struct ferrite_port_msg m;
	int port = port_create("test.rr.small", 0), conn;
	char buf[8];

	CHECK(port >= 0, "port_create");
	conn = port_connect("test.rr.small", 0);
	CHECK(conn >= 0, "port_connect");
	for (size_t size = 1; size <= 64; size++) {
		for (size_t off = 0; off < 8; off++) {
			for (size_t i = 0; i < size; i++)
				src[off + i] = (char)(size * 7 + off * 3 + i);
			memset(dst, 0, sizeof(dst));
			CHECK(port_send(conn, 7, src + off, size, 0) == 0, "send %zu@%zu", size, off);
			CHECK(port_recv(port, &m, dst + (7 - off), 64, 0, NULL) == (long)size &&
			      m.type == 7 && !memcmp(dst + (7 - off), src + off, size) &&
			      dst[7 - off + size] == 0, "recv %zu@%zu", size, 7 - off);
		}
	}
	CHECK_ERRNO(port_call(conn, 1, (void *)16, 8, &m, buf, sizeof(buf), 0, NULL), EFAULT);
	CHECK_ERRNO(port_call(conn, 1, (void *)-8UL, 16, &m, buf, sizeof(buf), 0, NULL), EFAULT);
	CHECK_ERRNO(port_reply_recv(port, 4242, 0, (void *)16, 8, &m, buf, sizeof(buf),
				    FERRITE_PORT_NONBLOCK, NULL), EFAULT);
	CHECK_ERRNO(port_recv(port, &m, buf, sizeof(buf), FERRITE_PORT_NONBLOCK, NULL), EAGAIN);
	close(conn);
	close(port);
}

/* Headers next to each other, buffers right after their header. */
struct call_io {
	struct ferrite_port_msg q, r;
	long rbuf[2];
};
struct serve_io {
	struct ferrite_port_msg rep, m;
	long mbuf[2];
};

/*
 * The layouts the kernel moves in one copy (docs/ports.md): a call's
 * adjacent headers with the reply buffer after its header, reply_recv's
 * adjacent headers (both orders) with the receive buffer after its
 * header; then a message larger than the one-copy limit.
 */
static void adjacent_layouts(void)
{
	static struct { struct ferrite_port_msg h; char buf[128]; } big;
	struct serve_io s;
	struct ferrite_port_msg pair[2];
	char text[100];
	int port = port_create("test.rr.adj", 0), status;
	long answer = 0;
	pid_t pid;

	CHECK(port >= 0, "port_create");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct call_io c = { .rbuf = { -1, -1 } };
		long req = 41;
		int conn = port_connect("test.rr.adj", 0);

		c.q = (struct ferrite_port_msg){ .type = 7, .data = (unsigned long)&req,
						 .size = sizeof(req) };
		c.r = (struct ferrite_port_msg){ .data = (unsigned long)c.rbuf,
						 .size = sizeof(c.rbuf) };
		if (conn < 0 || syscall(__NR_ferrite_port_call, conn, &c.q, &c.r, 0u, NULL) != 8)
			_exit(40);
		if (c.r.type != 8 || c.r.size != 8 || c.r.token || c.rbuf[0] != 42 ||
		    c.rbuf[1] != -1 || c.r.data != (unsigned long)c.rbuf)
			_exit(41);
		memset(text, 'x', sizeof(text));
		_exit(port_send(conn, 9, text, sizeof(text), 0) ? 42 : 0);
	}
	s.m = (struct ferrite_port_msg){ .data = (unsigned long)s.mbuf, .size = sizeof(s.mbuf) };
	s.mbuf[1] = -1;
	CHECK(syscall(__NR_ferrite_port_reply_recv, port, 0UL, NULL, &s.m, 0u, NULL) == 8,
	      "receive into the buffer after the header");
	CHECK(s.m.type == 7 && s.m.size == 8 && s.m.token && s.mbuf[0] == 41 && s.mbuf[1] == -1 &&
	      s.m.data == (unsigned long)s.mbuf && s.m.sender == pid, "adjacent receive");
	answer = s.mbuf[0] + 1;
	s.rep = (struct ferrite_port_msg){ .type = 8, .data = (unsigned long)&answer,
					   .size = sizeof(answer) };
	big.h = (struct ferrite_port_msg){ .data = (unsigned long)big.buf, .size = sizeof(big.buf) };
	/* Adjacent headers the other way round: m first, rep after it. */
	pair[0] = big.h;
	pair[1] = s.rep;
	CHECK(syscall(__NR_ferrite_port_reply_recv, port, s.m.token, &pair[1], &pair[0], 0u,
		      NULL) == 100, "reply, then a large message");
	CHECK(pair[0].type == 9 && pair[0].size == 100 && big.buf[0] == 'x' && big.buf[99] == 'x',
	      "large message");
	/* A used right with adjacent headers: ENOENT, nothing received. */
	CHECK_ERRNO(syscall(__NR_ferrite_port_reply_recv, port, s.m.token, &s.rep, &s.m, 0u, NULL),
		    ENOENT);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "adjacent child status 0x%x", status);
	close(port);
}

/* The client: ROUNDS calls, then one accepting a 4-byte reply, then stop. */
static void client(void)
{
	static struct req q, a;
	struct ferrite_port_msg m;
	int conn = port_connect("test.rr", 0);
	int small = 0;

	if (conn < 0)
		_exit(20);
	for (unsigned i = 0; i < ROUNDS; i++) {
		size_t len = 1 + (i * 41) % sizeof(q.data);

		for (size_t j = 0; j < len; j++)
			q.data[j] = (unsigned char)(i * 5 + j * 11);
		q.seq = i;
		q.sum = port_sum(q.data, len);
		if (port_call(conn, 1, &q, 8 + len, &m, &a, sizeof(a), 0, NULL) != (long)(8 + len))
			_exit(21);
		if (m.type != 1000 + (long)i || a.seq != i || a.sum != q.sum + 1 ||
		    memcmp(a.data, q.data, len))
			_exit(22);
	}
	if (port_call(conn, 2, "big?", 4, &m, &small, sizeof(small), 0, NULL) != 4 ||
	    small != 0x1234)
		_exit(23);
	if (port_send(conn, 99, "stop", 4, 0))
		_exit(24);
	_exit(0);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

/*
 * A signal while reply_recv waits after its reply: EINTR even with
 * SA_RESTART (a restart would reply again with the used right).
 */
static void signal_after_reply(int port)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	struct ferrite_port_msg m;
	int status, conn, v = 0;
	char buf[8];
	pid_t pid;

	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		conn = port_connect("test.rr", 0);
		if (conn < 0 || port_call(conn, 4, "sig", 3, &m, &v, sizeof(v), 0, NULL) != sizeof(v))
			_exit(30);
		kill(getppid(), SIGUSR1);
		_exit(v == 77 ? 0 : 31);
	}
	CHECK(port_reply_recv(port, 0, 0, NULL, 0, &m, buf, sizeof(buf), 0, NULL) == 3 &&
	      m.type == 4 && m.token, "receive the call");
	v = 77;
	CHECK_ERRNO(port_reply_recv(port, m.token, 5, &v, sizeof(v), &m, buf, sizeof(buf), 0, NULL),
		    EINTR);
	CHECK(got_usr1, "handler ran");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "signal child status 0x%x", status);
}

/*
 * A signal to a caller blocked after its request was received: EINTR
 * (the request was seen, no restart) and the reply right is gone.
 */
static void call_interrupted(int port)
{
	struct ferrite_port_msg m;
	int status, conn, v;
	char buf[8];
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		got_usr1 = 0;
		if (sigaction(SIGUSR1, &sa, NULL))
			_exit(40);
		conn = port_connect("test.rr", 0);
		if (conn < 0)
			_exit(41);
		errno = 0;
		if (port_call(conn, 6, "wait", 4, &m, &v, sizeof(v), 0, NULL) != -1 ||
		    errno != EINTR)
			_exit(42);
		_exit(got_usr1 ? 0 : 43);
	}
	CHECK(port_recv(port, &m, buf, sizeof(buf), 0, NULL) == 4 && m.type == 6 && m.token,
	      "receive the call");
	CHECK(kill(pid, SIGUSR1) == 0, "kill");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "caller status 0x%x", status);
	v = 1;
	CHECK_ERRNO(port_reply(port, m.token, 6, &v, sizeof(v)), ENOENT);
}

int main(void)
{
	static struct req in, out;
	struct ferrite_port_msg m;
	unsigned long token = 0;
	long n, out_len = 0, type = 0;
	int port, status, answer = 0x1234;
	pid_t pid;

	port_require_ferrite();
	errors_alone();
	small_payloads();
	adjacent_layouts();
	port = port_create("test.rr", 0);
	CHECK(port >= 0, "port_create");
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		client();
	for (unsigned i = 0; i < ROUNDS; i++) {
		n = port_reply_recv(port, token, type, &out, (unsigned long)out_len, &m, &in,
				    sizeof(in), 0, NULL);
		CHECK(n >= 9 && m.type == 1 && m.token && m.sender == pid, "request %u: %ld", i, n);
		CHECK(in.seq == i && in.sum == port_sum(in.data, (size_t)n - 8), "request %u data", i);
		memcpy(&out, &in, (size_t)n);
		out.sum++;
		out_len = n;
		type = 1000 + in.seq;
		token = m.token;
	}
	/* The last answer goes with the receive of the small-buffer call. */
	n = port_reply_recv(port, token, type, &out, (unsigned long)out_len, &m, &in, sizeof(in), 0,
			    NULL);
	CHECK(n == 4 && m.type == 2 && m.token && m.token != token, "small call: %ld", n);
	token = m.token;
	/* Too large for the caller: EMSGSIZE, nothing received, right usable. */
	CHECK_ERRNO(port_reply_recv(port, token, 3, &out, 8, &m, &in, sizeof(in), 0, NULL),
		    EMSGSIZE);
	CHECK(port_reply_recv(port, token, 3, &answer, sizeof(answer), &m, &in, sizeof(in), 0,
			      NULL) == 4, "reply + recv stop");
	CHECK(m.type == 99 && m.token == 0, "stop message");
	/* The right was used once. */
	CHECK_ERRNO(port_reply_recv(port, token, 3, &answer, sizeof(answer), &m, &in, sizeof(in),
				    FERRITE_PORT_NONBLOCK, NULL), ENOENT);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client status 0x%x", status);
	signal_after_reply(port);
	call_interrupted(port);
	close(port);
	return 0;
}
