/*
 * ipctest: a demo of Ferrite's message ports. The parent creates a named
 * port and forks a server that owns it; a client process connects by name
 * and exchanges N request/response messages (call/reply, an echo that
 * upper-cases the text and checksums it), printing what happens. Then the
 * client asks the server to stop and the demo checks that the port is gone.
 *
 * usage: ipctest [N]   (default 10; the first 5 exchanges are printed)
 * Exit status 0 on success.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "../tests/port_util.h"

#define PORT_NAME "ipctest.echo"
#define MSG_ECHO 1
#define MSG_STOP 2
#define SHOW 5

static int server(int port)
{
	char buf[FERRITE_PORT_MSG_MAX];
	struct ferrite_port_msg m;
	unsigned served = 0;

	printf("[server %d] listening on port \"%s\" (fd %d)\n", getpid(), PORT_NAME, port);
	fflush(stdout);
	for (;;) {
		long n = port_recv(port, &m, buf, sizeof(buf), 0, NULL);

		if (n < 0) {
			printf("[server] recv failed: %s\n", strerror(errno));
			return 1;
		}
		if (m.type == MSG_STOP) {
			printf("[server] stop from pid %ld after %u requests\n", m.sender, served);
			port_reply(port, m.token, MSG_STOP, NULL, 0);
			return 0;
		}
		for (long i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		if (served < SHOW) {
			printf("[server] request %u from pid %ld: %ld bytes, reply token %lu\n",
			       served, m.sender, n, m.token);
			fflush(stdout);
		}
		if (port_reply(port, m.token, MSG_ECHO, buf, (unsigned long)n) < 0) {
			printf("[server] reply failed: %s\n", strerror(errno));
			return 1;
		}
		served++;
	}
}

static int client(unsigned rounds)
{
	char req[128], rep[FERRITE_PORT_MSG_MAX];
	struct ferrite_port_msg m;
	struct timespec t0, t1;
	int conn = -1;

	/* The server may still be starting: retry the name a few times. */
	for (int i = 0; i < 100 && conn < 0; i++) {
		conn = port_connect(PORT_NAME, 0);
		if (conn < 0)
			usleep(10000);
	}
	if (conn < 0) {
		printf("[client] connect \"%s\": %s\n", PORT_NAME, strerror(errno));
		return 1;
	}
	printf("[client %d] connected to \"%s\" (send right, fd %d)\n", getpid(), PORT_NAME, conn);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < rounds; i++) {
		int len = snprintf(req, sizeof(req), "hello port, message %u", i);
		long n = port_call(conn, MSG_ECHO, req, (unsigned long)len, &m, rep, sizeof(rep), 0, NULL);

		if (n != len || m.type != MSG_ECHO) {
			printf("[client] call %u: got %ld (%s)\n", i, n, n < 0 ? strerror(errno) : "bad reply");
			return 1;
		}
		for (int j = 0; j < len; j++) {
			if (rep[j] != (char)toupper((unsigned char)req[j])) {
				printf("[client] call %u: reply differs at byte %d\n", i, j);
				return 1;
			}
		}
		if (i < SHOW) {
			printf("[client] sent \"%s\" -> got \"%.*s\" (checksum %08x)\n",
			       req, len, rep, port_sum(rep, (size_t)len));
			fflush(stdout);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3;
	printf("[client] %u round trips OK, %.1f us per call/reply\n", rounds, rounds ? us / rounds : 0.0);
	if (port_call(conn, MSG_STOP, NULL, 0, &m, rep, sizeof(rep), 0, NULL) < 0) {
		printf("[client] stop: %s\n", strerror(errno));
		return 1;
	}
	close(conn);
	return 0;
}

static int wait_ok(pid_t pid, const char *who)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		printf("ipctest: %s failed (status 0x%x)\n", who, status);
		return 0;
	}
	return 1;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 10;
	pid_t srv, cli;
	int port, ok;

	setvbuf(stdout, NULL, _IOLBF, 0);
	port = port_create(PORT_NAME, 0);
	if (port < 0) {
		printf("ipctest: port_create: %s (ports need Ferrite)\n", strerror(errno));
		return 1;
	}
	printf("ipctest: created port \"%s\", %u request/response messages\n", PORT_NAME, rounds);
	fflush(stdout);
	srv = fork();
	if (srv == 0)
		_exit(server(port));
	close(port); /* the server now holds the only receive right */
	cli = fork();
	if (cli == 0)
		_exit(client(rounds));
	ok = wait_ok(cli, "client");
	ok &= wait_ok(srv, "server");
	if (ok && port_connect(PORT_NAME, 0) < 0 && errno == ENOENT)
		printf("ipctest: server gone, port \"%s\" destroyed\n", PORT_NAME);
	else
		ok = 0;
	printf("ipctest: %s\n", ok ? "OK" : "FAILED");
	return ok ? 0 : 1;
}
