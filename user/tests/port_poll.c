/*
 * Ports: poll() on a port's receive right (POLLIN once a message is queued,
 * also when it arrives while poll sleeps), POLLOUT on a send right, and
 * POLLHUP once the port is destroyed. Ferrite only.
 */
#include <poll.h>
#include "common.h"
#include "port_util.h"

int main(void)
{
	struct ferrite_port_msg m;
	struct pollfd pfd;
	char buf[16];
	int port, conn, status;
	pid_t pid;

	port_require_ferrite();
	port = port_create("test.poll", 0);
	CHECK(port >= 0, "port_create");
	conn = port_connect("test.poll", 0);
	CHECK(conn >= 0, "port_connect");

	pfd = (struct pollfd){ .fd = port, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 0, "empty port is not readable");
	pfd = (struct pollfd){ .fd = conn, .events = POLLOUT };
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT), "send right writable");

	CHECK(port_send(conn, 7, "hi", 2, 0) == 0, "send");
	pfd = (struct pollfd){ .fd = port, .events = POLLIN };
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN), "readable: 0x%x", pfd.revents);
	CHECK(port_recv(port, &m, buf, sizeof(buf), 0, NULL) == 2 && m.type == 7, "recv");
	CHECK(poll(&pfd, 1, 0) == 0, "drained");

	/* A message sent while poll sleeps wakes it. */
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(100 * 1000);
		_exit(port_send(conn, 8, "late", 4, 0) ? 1 : 0);
	}
	pfd = (struct pollfd){ .fd = port, .events = POLLIN };
	CHECK(poll(&pfd, 1, 5000) == 1 && (pfd.revents & POLLIN), "woken by a send: 0x%x", pfd.revents);
	CHECK(port_recv(port, &m, buf, sizeof(buf), 0, NULL) == 4 && m.type == 8, "recv late");
	CHECK(waitpid(pid, &status, 0) == pid && status == 0, "child");

	/* Destroyed: the send right sees POLLHUP. */
	close(port);
	pfd = (struct pollfd){ .fd = conn, .events = POLLOUT };
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP), "hangup: 0x%x", pfd.revents);
	close(conn);
	return 0;
}
