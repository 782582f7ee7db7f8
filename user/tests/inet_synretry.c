/*
 * TCP connect to a listener whose backlog is full: the SYN is dropped and
 * sent again (after 1 s, then backing off, as Linux), so the connection
 * completes once the listener accepts and makes room. Non-blocking
 * (EINPROGRESS, no POLLOUT while the backlog is full, POLLOUT and
 * SO_ERROR 0 after an accept) and blocking (another process accepts while
 * connect waits).
 */
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_FILL 16

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int so_error(int s)
{
	int e = -1;
	socklen_t len = sizeof(e);
	CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &len) == 0, "SO_ERROR");
	return e;
}

static bool writable(int s, int ms)
{
	struct pollfd p = { s, POLLOUT, 0 };
	int r = poll(&p, 1, ms);
	CHECK(r >= 0, "poll");
	return r == 1 && (p.revents & POLLOUT);
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(l >= 0 && bind(l, (void *)&a, sizeof(a)) == 0 && listen(l, 1) == 0 &&
	      getsockname(l, (void *)&a, &alen) == 0, "listener");

	/* Fill the backlog: connect until one stays in progress. */
	int conns[MAX_FILL], n = 0, pending = -1;
	while (n < MAX_FILL) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		CHECK(c >= 0, "socket");
		int r = connect(c, (void *)&a, sizeof(a));
		CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect");
		if (!writable(c, 300)) {
			pending = c;
			break;
		}
		CHECK(so_error(c) == 0, "connection %d", n);
		conns[n++] = c;
	}
	CHECK(pending >= 0 && n >= 1, "the backlog never filled (%d connections)", n);
	CHECK(!writable(pending, 0) && so_error(pending) == 0, "still in progress");
	char c;
	CHECK_ERRNO(recv(pending, &c, 1, 0), EAGAIN);

	/* Make room: the SYN sent again gets through. */
	double t0 = now_s();
	int acc = accept(l, NULL, NULL);
	CHECK(acc >= 0, "accept");
	close(acc);
	CHECK(writable(pending, 5000), "connect did not complete after the accept");
	double dt = now_s() - t0;
	CHECK(dt < 4.5, "took %.2f s", dt);
	CHECK(so_error(pending) == 0, "SO_ERROR after completion");
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	CHECK(getpeername(pending, (void *)&peer, &plen) == 0 && peer.sin_port == a.sin_port,
	      "getpeername");
	CHECK(send(pending, "late", 4, 0) == 4, "send");

	/* The listener now holds the others and the late one; find its bytes. */
	CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	bool found = false;
	int s;
	while ((s = accept(l, NULL, NULL)) >= 0) {
		char buf[8];
		if (recv(s, buf, sizeof(buf), MSG_DONTWAIT) == 4 && !memcmp(buf, "late", 4))
			found = true;
		close(s);
	}
	CHECK(errno == EAGAIN, "accept until empty");
	CHECK(found, "the late connection reached the listener");
	CHECK(fcntl(l, F_SETFL, 0) == 0, "blocking again");

	/* Full again, then a blocking connect while another process accepts. */
	close(pending);
	for (int i = 0; i < n; i++)
		close(conns[i]);
	n = 0;
	pending = -1;
	while (n < MAX_FILL) {
		int c2 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		int r = connect(c2, (void *)&a, sizeof(a));
		CHECK(r == 0 || errno == EINPROGRESS, "non-blocking connect");
		if (!writable(c2, 300)) {
			close(c2); /* closing a connect in progress: nothing leaks */
			pending = 0;
			break;
		}
		conns[n++] = c2;
	}
	CHECK(pending == 0, "the backlog never filled again");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(300000);
		int x = accept(l, NULL, NULL);
		_exit(x >= 0 ? 0 : 1);
	}
	int b = socket(AF_INET, SOCK_STREAM, 0);
	t0 = now_s();
	CHECK(connect(b, (void *)&a, sizeof(a)) == 0, "blocking connect");
	dt = now_s() - t0;
	CHECK(dt > 0.2 && dt < 4.5, "blocking connect took %.2f s", dt);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the accepting child");
	close(b);
	for (int i = 0; i < n; i++)
		close(conns[i]);
	close(l);
	puts("inet_synretry: ok");
	return 0;
}
