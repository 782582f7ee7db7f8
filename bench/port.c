/*
 * Ferrite message ports: call/reply round trip between two processes
 * (include/uapi/ferrite_port.h). The child creates a named port and serves
 * exactly `iters` calls (reply_recv: the reply and the next receive in one
 * system call); the parent connects by name and calls. On a kernel
 * without ports (Linux: the extension numbers are ENOSYS) the benchmark is
 * reported as unsupported.
 *
 * The payload is one long each way, like msg_pingpong. Both sides lay
 * their headers out as docs/ports.md suggests for small messages: the two
 * headers of a call or reply_recv next to each other, and a receive
 * buffer right after its header, so the kernel moves each in one copy.
 */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#if __has_include("uapi/ferrite_port.h")
#include "uapi/ferrite_port.h"

/*
 * The server receives and replies in one call (reply_recv): the reply to
 * the previous request, then the next request. The last reply goes alone.
 */
static void port_server(int ready_fd, const char *name, long iters)
{
	struct {
		struct ferrite_port_msg rep, m;
		long payload; /* m's buffer, right after it */
	} io;
	struct ferrite_port_msg *m = &io.m, *rep = &io.rep;
	long answer = 0;
	unsigned long token = 0;
	int fd = syscall(__NR_ferrite_port_create, name, 0u);

	if (fd < 0) {
		char c = errno == ENOSYS ? 'n' : 'e';
		(void)!write(ready_fd, &c, 1);
		_exit(1);
	}
	(void)!write(ready_fd, "y", 1);
	for (long i = 0; i < iters; i++) {
		*rep = (struct ferrite_port_msg){ .type = 2, .data = (unsigned long)&answer,
						  .size = sizeof(answer) };
		*m = (struct ferrite_port_msg){ .data = (unsigned long)&io.payload,
						.size = sizeof(io.payload) };
		if (syscall(__NR_ferrite_port_reply_recv, fd, token, rep, m, 0u, NULL) < 0)
			_exit(2);
		answer = io.payload + 1;
		token = m->token;
	}
	*rep = (struct ferrite_port_msg){ .type = 2, .data = (unsigned long)&answer,
					  .size = sizeof(answer) };
	if (syscall(__NR_ferrite_port_reply, fd, token, rep) < 0)
		_exit(3);
	syscall(__NR_ferrite_port_destroy, fd);
	_exit(0);
}

static int64_t bench_port_call(long iters)
{
	static int seq;
	char name[FERRITE_PORT_NAME_MAX], c = 0;
	int ready[2], status, fd;
	int64_t t0, t = 0;
	long req = 0;
	struct {
		struct ferrite_port_msg q, r;
		long rep; /* r's buffer, right after it */
	} io;

	snprintf(name, sizeof(name), "bench-%d-%d", (int)getpid(), seq++);
	if (pipe(ready)) {
		bench_error("port_call_reply", "pipe");
		return BENCH_FAILED;
	}
	pid_t pid = fork();
	if (pid == 0) {
		bench_pin_partner();
		close(ready[0]);
		port_server(ready[1], name, iters);
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1 || c != 'y') {
		close(ready[0]);
		if (pid > 0)
			waitpid(pid, &status, 0);
		if (c == 'n')
			return BENCH_UNSUPPORTED;
		bench_error("port_call_reply", "server start");
		return BENCH_FAILED;
	}
	close(ready[0]);
	fd = syscall(__NR_ferrite_port_connect, name, 0u);
	if (fd < 0) {
		bench_error("port_call_reply", "connect");
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return BENCH_FAILED;
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		io.q = (struct ferrite_port_msg){ .type = 1, .data = (unsigned long)&req,
						  .size = sizeof(req) };
		io.r = (struct ferrite_port_msg){ .data = (unsigned long)&io.rep,
						  .size = sizeof(io.rep) };
		req = i;
		if (syscall(__NR_ferrite_port_call, fd, &io.q, &io.r, 0u, NULL) < 0 ||
		    io.rep != i + 1) {
			bench_error("port_call_reply", "call");
			t = BENCH_FAILED;
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	close(fd);
	if (t < 0)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return t;
}
#else
static int64_t bench_port_call(long iters)
{
	(void)iters;
	return BENCH_UNSUPPORTED;
}
#endif

const struct bench bench_port_table[] = {
	{ "port_call_reply", "ns", 2000, bench_port_call, 0 },
	{ 0 },
};
