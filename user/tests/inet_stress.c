/*
 * TCP on the loopback at volume: 1,000 connections opened, used and
 * closed (both close orders), and 64 MiB through one connection with a
 * checksum, in odd-sized writes and reads, the reader slower than the
 * writer so the receiver's window throttles the sender.
 */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

static int listener(int *port)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(l >= 0 && setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0, "socket");
	CHECK(bind(l, (void *)&a, sizeof(a)) == 0 && listen(l, 64) == 0, "bind/listen");
	CHECK(getsockname(l, (void *)&a, &len) == 0, "getsockname");
	*port = ntohs(a.sin_port);
	return l;
}

static int dial(int port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(c >= 0 && connect(c, (void *)&a, sizeof(a)) == 0, "connect");
	return c;
}

static void many_connections(void)
{
	int port, l = listener(&port);
	for (int i = 0; i < 1000; i++) {
		int c = dial(port);
		int s = accept(l, NULL, NULL);
		CHECK(s >= 0, "accept %d", i);
		CHECK(write(c, &i, sizeof(i)) == sizeof(i), "write %d", i);
		int got = -1;
		CHECK(read(s, &got, sizeof(got)) == sizeof(got) && got == i, "read %d", i);
		if (i & 1) {
			close(c);
			CHECK(read(s, &got, 1) == 0, "EOF %d", i);
			close(s);
		} else {
			close(s);
			CHECK(read(c, &got, 1) == 0, "EOF %d", i);
			close(c);
		}
	}
	close(l);
}

static uint64_t fnv(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

#define TOTAL (64u << 20)

static void bulk(void)
{
	int port, l = listener(&port);
	int fds[2];
	CHECK(pipe(fds) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int c = dial(port);
		static unsigned char buf[100003];
		uint64_t h = 0xcbf29ce484222325ULL, x = 1;
		size_t sent = 0;
		while (sent < TOTAL) {
			size_t n = sizeof(buf) - (sent / 7) % 5000;
			if (n > TOTAL - sent)
				n = TOTAL - sent;
			for (size_t i = 0; i < n; i++) {
				x = x * 6364136223846793005ULL + 1442695040888963407ULL;
				buf[i] = (unsigned char)(x >> 56);
			}
			h = fnv(h, buf, n);
			ssize_t w = write(c, buf, n);
			if (w != (ssize_t)n)
				_exit(2);
			sent += n;
		}
		close(c);
		if (write(fds[1], &h, sizeof(h)) != sizeof(h))
			_exit(3);
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	CHECK(s >= 0, "accept");
	static unsigned char buf[70001];
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t got = 0;
	ssize_t n;
	while ((n = read(s, buf, sizeof(buf) - (got % 3000))) > 0) {
		h = fnv(h, buf, n);
		got += n;
	}
	CHECK(n == 0 && got == TOTAL, "got %zu bytes", got);
	uint64_t want;
	CHECK(read(fds[0], &want, sizeof(want)) == sizeof(want), "sender's checksum");
	CHECK(want == h, "checksums differ");
	int st;
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "sender %x", st);
	close(s);
	close(l);
}

int main(void)
{
	many_connections();
	bulk();
	return 0;
}
