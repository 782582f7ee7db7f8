/*
 * AF_UNIX garbage collection: two sockets each queued in the other's
 * receive queue, with a pipe's write end beside them, and then closed:
 * only their own in-flight descriptors keep them alive. The next release
 * of a unix socket collects them (as Linux), which closes the pipe's write
 * end: its reader sees end of file. (Inside Ferrite the runner's leak
 * check also sees every socket and skb gone.)
 */
#include "common.h"
#include <poll.h>
#include <sys/socket.h>

static void send_fds(int sock, const int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	CHECK(sendmsg(sock, &m, 0) == 1, "sendmsg");
}

int main(void)
{
	int p[2], s[2], t[2];
	CHECK(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, s) == 0, "setup");
	int first[2] = { s[0], p[1] };
	send_fds(s[0], first, 2); /* into s[1]'s queue */
	send_fds(s[1], &s[1], 1); /* into s[0]'s queue */
	close(p[1]);
	close(s[0]);
	close(s[1]);
	/* A release of any unix socket runs the collector. */
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, t) == 0, "socketpair");
	close(t[0]);
	close(t[1]);
	struct pollfd pf = { p[0], POLLIN, 0 };
	CHECK(poll(&pf, 1, 5000) == 1, "the pipe's writer is still alive after 5 s");
	char c;
	CHECK(read(p[0], &c, 1) == 0, "end of file");
	close(p[0]);
	printf("unix_gc: ok\n");
	return 0;
}
