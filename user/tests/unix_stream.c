/*
 * AF_UNIX stream sockets: socketpair, path and abstract names, listen /
 * connect / accept, the backlog, shutdown and EOF, EPIPE, MSG_PEEK /
 * MSG_WAITALL / MSG_DONTWAIT, FIONREAD, options (SO_TYPE, SO_PEERCRED,
 * SO_SNDBUF, SO_RCVTIMEO), poll, and 1 MiB between two processes with a
 * checksum. The errors are Linux's.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static void pair_basics(void)
{
	int sv[2];
	char buf[64];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	CHECK(fcntl(sv[0], F_GETFD) == FD_CLOEXEC, "SOCK_CLOEXEC");
	CHECK(write(sv[0], "hello", 5) == 5, "write");
	CHECK(send(sv[0], " world", 6, 0) == 6, "send");
	int n = 0;
	CHECK(ioctl(sv[1], FIONREAD, &n) == 0 && n == 11, "FIONREAD %d", n);
	CHECK(recv(sv[1], buf, sizeof(buf), MSG_PEEK) == 11, "peek across writes");
	CHECK(recv(sv[1], buf, 3, 0) == 3 && !memcmp(buf, "hel", 3), "partial read");
	CHECK(read(sv[1], buf, sizeof(buf)) == 8 && !memcmp(buf, "lo world", 8), "the rest");
	CHECK_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	int type = 0;
	socklen_t len = sizeof(type);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM,
	      "SO_TYPE");
	struct ucred cred;
	len = sizeof(cred);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
		      len == sizeof(cred) && cred.pid == getpid() && cred.uid == geteuid(),
	      "SO_PEERCRED");
	int v = 10000;
	CHECK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) == 0, "SO_SNDBUF");
	len = sizeof(v);
	CHECK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v == 20000,
	      "SO_SNDBUF doubles (%d)", v);
	struct timeval tv = { 0, 30000 };
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO");
	CHECK_ERRNO(recv(sv[1], buf, 1, 0), EAGAIN);
	CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	int dir = open("/", O_RDONLY);
	CHECK_ERRNO(getsockname(dir, (struct sockaddr *)buf, &len), ENOTSOCK);
	close(dir);
	/* MSG_WAITALL gathers two writes. */
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		write(sv[0], "ab", 2);
		usleep(30000);
		write(sv[0], "cd", 2);
		_exit(0);
	}
	tv.tv_usec = 0;
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	CHECK(recv(sv[1], buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "abcd", 4), "MSG_WAITALL");
	waitpid(pid, NULL, 0);
	/* Shutdown: the peer reads EOF; writes fail with EPIPE. */
	CHECK(shutdown(sv[0], SHUT_WR) == 0, "shutdown");
	CHECK(read(sv[1], buf, 1) == 0, "EOF after SHUT_WR");
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	struct pollfd p = { sv[1], POLLIN | POLLRDHUP, 0 };
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLRDHUP), "POLLRDHUP");
	close(sv[0]);
	p.events = POLLIN;
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "POLLHUP after close");
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(write(sv[1], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(sv[1]);
	CHECK_ERRNO(socket(AF_UNIX, 4 /* SOCK_RDM */, 0), ESOCKTNOSUPPORT);
	int raw = socket(AF_UNIX, SOCK_RAW, 0); /* Linux: a datagram socket */
	len = sizeof(type);
	CHECK(raw >= 0 && getsockopt(raw, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
		      type == SOCK_DGRAM,
	      "SOCK_RAW is SOCK_DGRAM");
	close(raw);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
	if (!under_qemu_user()) /* qemu-user drops unknown type bits */
		CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
}

static void path_names(void)
{
	struct sockaddr_un a, got;
	char path[64], buf[16];
	snprintf(path, sizeof(path), "/tmp/unix_stream.%d", getpid());
	unlink(path);
	socklen_t alen = path_addr(&a, path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(l >= 0, "socket");
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), ENOENT);
	CHECK(bind(l, (struct sockaddr *)&a, alen) == 0, "bind");
	struct stat st;
	CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "a socket inode");
	CHECK_ERRNO(open(path, O_RDONLY), ENXIO);
	CHECK_ERRNO(bind(l, (struct sockaddr *)&a, alen), EADDRINUSE);
	struct sockaddr_un a2;
	char path2[64];
	snprintf(path2, sizeof(path2), "/tmp/unix_stream2.%d", getpid());
	socklen_t alen2 = path_addr(&a2, path2);
	CHECK_ERRNO(bind(l, (struct sockaddr *)&a2, alen2), EINVAL);
	CHECK_ERRNO(stat(path2, &st), ENOENT); /* the failed bind left no node */
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(bind(other, (struct sockaddr *)&a, alen), EADDRINUSE);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
	CHECK(listen(l, 5) == 0, "listen");
	CHECK(fcntl(l, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	CHECK(connect(c, (struct sockaddr *)&a, alen) == 0, "connect");
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, alen), EISCONN);
	struct pollfd p = { l, POLLIN, 0 };
	CHECK(poll(&p, 1, 1000) == 1 && p.revents == POLLIN, "listener readable");
	socklen_t glen = sizeof(got);
	int s = accept4(l, (struct sockaddr *)&got, &glen, SOCK_CLOEXEC);
	CHECK(s >= 0, "accept4");
	CHECK(glen == sizeof(sa_family_t) && got.sun_family == AF_UNIX, "unnamed peer (%d)", glen);
	glen = sizeof(got);
	CHECK(getsockname(s, (struct sockaddr *)&got, &glen) == 0 && glen == alen &&
		      !strcmp(got.sun_path, path),
	      "accepted socket has the listener's name");
	glen = sizeof(got);
	CHECK(getpeername(c, (struct sockaddr *)&got, &glen) == 0 && !strcmp(got.sun_path, path),
	      "getpeername");
	glen = sizeof(got);
	CHECK_ERRNO(getpeername(l, (struct sockaddr *)&got, &glen), ENOTCONN);
	CHECK(write(c, "ping", 4) == 4 && read(s, buf, 4) == 4 && !memcmp(buf, "ping", 4), "data");
	/* Unlinking the name keeps the connections; new connects fail. */
	CHECK(unlink(path) == 0, "unlink");
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(c2, (struct sockaddr *)&a, alen), ENOENT);
	CHECK(write(s, "pong", 4) == 4 && read(c, buf, 4) == 4, "still connected");
	/* A path that is not a socket. */
	snprintf(path, sizeof(path), "/tmp/unix_stream_file.%d", getpid());
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	alen = path_addr(&a, path);
	CHECK_ERRNO(connect(c2, (struct sockaddr *)&a, alen), ECONNREFUSED);
	unlink(path);
	close(c2), close(s), close(c), close(other), close(l);
}

static void abstract_and_backlog(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "ferrite-test-%d", getpid());
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				     strlen(a.sun_path + 1));
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(bind(l, (struct sockaddr *)&a, alen) == 0, "bind abstract");
	CHECK(listen(l, 1) == 0, "listen 1");
	int cs[8], n = 0;
	for (; n < 8; n++) {
		cs[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(cs[n], (struct sockaddr *)&a, alen) < 0) {
			CHECK(errno == EAGAIN, "connect to a full backlog: errno %d", errno);
			close(cs[n]);
			break;
		}
	}
	CHECK(n == 2, "backlog 1 queues 2 connections, got %d", n);
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);
	CHECK(getsockname(s, (struct sockaddr *)&got, &glen) == 0 && glen == alen &&
		      got.sun_path[0] == 0 && !memcmp(got.sun_path, a.sun_path, alen - 2),
	      "abstract name");
	close(s);
	for (int i = 0; i < n; i++)
		close(cs[i]);
	close(l);
	/* Autobind: bind with the family alone. */
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK(bind(u, (struct sockaddr *)&a, sizeof(sa_family_t)) == 0, "autobind");
	glen = sizeof(got);
	CHECK(getsockname(u, (struct sockaddr *)&got, &glen) == 0 && glen == 8 &&
		      got.sun_path[0] == 0,
	      "autobind name of 5 hex digits (len %d)", glen);
	close(u);
}

static void bulk(void)
{
	enum { TOTAL = 1 << 20 };
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[1]);
		static unsigned char chunk[7919];
		unsigned sum = 0;
		for (size_t done = 0; done < TOTAL;) {
			size_t n = TOTAL - done < sizeof(chunk) ? TOTAL - done : sizeof(chunk);
			for (size_t i = 0; i < n; i++) {
				chunk[i] = (unsigned char)((done + i) * 131 + 7);
				sum = sum * 31 + chunk[i];
			}
			ssize_t w = write(sv[0], chunk, n);
			if (w <= 0)
				_exit(2);
			done += (size_t)w;
			if ((size_t)w < n)
				_exit(3);
		}
		_exit(write(sv[0], &sum, sizeof(sum)) == sizeof(sum) ? 0 : 4);
	}
	close(sv[0]);
	static unsigned char buf[65536];
	unsigned sum = 0;
	size_t got = 0;
	while (got < TOTAL) {
		size_t want = TOTAL - got < sizeof(buf) ? TOTAL - got : sizeof(buf);
		ssize_t r = read(sv[1], buf, want);
		CHECK(r > 0, "read at %zu", got);
		for (ssize_t i = 0; i < r; i++) {
			CHECK(buf[i] == (unsigned char)((got + (size_t)i) * 131 + 7), "byte %zu",
			      got + (size_t)i);
			sum = sum * 31 + buf[i];
		}
		got += (size_t)r;
	}
	unsigned theirs;
	CHECK(recv(sv[1], &theirs, sizeof(theirs), MSG_WAITALL) == sizeof(theirs) && theirs == sum,
	      "checksum");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "writer status %#x", status);
	CHECK(read(sv[1], buf, 1) == 0, "EOF");
	close(sv[1]);
}

int main(void)
{
	pair_basics();
	path_names();
	abstract_and_backlog();
	bulk();
	printf("unix_stream: ok\n");
	return 0;
}
