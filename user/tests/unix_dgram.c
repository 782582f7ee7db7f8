/*
 * AF_UNIX datagram and seqpacket sockets: message boundaries, MSG_TRUNC,
 * sender addresses (named and unnamed), connected datagram sockets and
 * EPERM towards a socket connected elsewhere, ECONNREFUSED after the peer
 * closes, EMSGSIZE, a full receive queue (EAGAIN), and seqpacket EOF.
 */
#include "common.h"
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *fmt)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof(a->sun_path), fmt, getpid());
	unlink(a->sun_path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

static void boundaries(int type)
{
	int sv[2];
	char buf[16];
	CHECK(socketpair(AF_UNIX, type, 0, sv) == 0, "socketpair %d", type);
	CHECK(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "three", 5, 0) == 5 &&
		      send(sv[0], "", 0, 0) == 0,
	      "sends");
	CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3, "first message alone");
	struct iovec iov = { buf, 2 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	CHECK(recvmsg(sv[1], &m, 0) == 2 && (m.msg_flags & MSG_TRUNC), "truncated");
	CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 0, "empty message");
	CHECK(send(sv[0], "abcdef", 6, 0) == 6, "send");
	CHECK(recv(sv[1], buf, 2, MSG_TRUNC) == 6, "MSG_TRUNC returns the real length");
	CHECK_ERRNO(recv(sv[1], buf, 2, MSG_DONTWAIT), EAGAIN);
	static char big[300000];
	CHECK_ERRNO(send(sv[0], big, sizeof(big), 0), EMSGSIZE);
	close(sv[0]);
	if (type == SOCK_SEQPACKET) {
		CHECK(recv(sv[1], buf, sizeof(buf), 0) == 0, "seqpacket EOF");
		CHECK_ERRNO(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	} else {
		CHECK_ERRNO(send(sv[1], "x", 1, 0), ECONNREFUSED);
		CHECK_ERRNO(send(sv[1], "x", 1, 0), ENOTCONN);
	}
	close(sv[1]);
}

static void addresses(void)
{
	struct sockaddr_un a, b, from;
	socklen_t alen = path_addr(&a, "/tmp/unix_dgram_a.%d");
	socklen_t blen = path_addr(&b, "/tmp/unix_dgram_b.%d");
	int sa = socket(AF_UNIX, SOCK_DGRAM, 0), sb = socket(AF_UNIX, SOCK_DGRAM, 0);
	int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(sa, (struct sockaddr *)&a, alen) == 0 && bind(sb, (struct sockaddr *)&b, blen) == 0,
	      "binds");
	char buf[16];
	CHECK(sendto(sb, "hi", 2, 0, (struct sockaddr *)&a, alen) == 2, "sendto a");
	socklen_t flen = sizeof(from);
	CHECK(recvfrom(sa, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 2, "recvfrom");
	CHECK(flen == blen && !strcmp(from.sun_path, b.sun_path), "sender's name (%d)", flen);
	CHECK(sendto(anon, "yo", 2, 0, (struct sockaddr *)&a, alen) == 2, "sendto from unnamed");
	flen = sizeof(from);
	CHECK(recvfrom(sa, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) == 2 && flen == 0,
	      "unnamed sender: no address (%d)", flen);
	/* sa connects to sb: only sb may send to sa now. */
	CHECK(connect(sa, (struct sockaddr *)&b, blen) == 0, "connect dgram");
	CHECK_ERRNO(sendto(anon, "no", 2, 0, (struct sockaddr *)&a, alen), EPERM);
	CHECK(send(sa, "to b", 4, 0) == 4 && recv(sb, buf, sizeof(buf), 0) == 4, "connected send");
	struct sockaddr_un unspec = { .sun_family = AF_UNSPEC };
	CHECK(connect(sa, (struct sockaddr *)&unspec, sizeof(sa_family_t)) == 0, "disconnect");
	CHECK_ERRNO(send(sa, "x", 1, 0), ENOTCONN);
	/* A full queue: Linux queues max_dgram_qlen + 1 (11) datagrams. */
	int n = 0;
	while (sendto(anon, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&b, blen) == 1 && n < 100)
		n++;
	CHECK(errno == EAGAIN && n == 11, "queue full after %d (errno %d)", n, errno);
	CHECK_ERRNO(sendto(anon, "x", 1, 0, (struct sockaddr *)&unspec, sizeof(unspec)), EINVAL);
	unlink(a.sun_path);
	unlink(b.sun_path);
	CHECK_ERRNO(sendto(anon, "x", 1, 0, (struct sockaddr *)&a, alen), ENOENT);
	close(sa), close(sb), close(anon);
}

int main(void)
{
	boundaries(SOCK_DGRAM);
	boundaries(SOCK_SEQPACKET);
	addresses();
	printf("unix_dgram: ok\n");
	return 0;
}
