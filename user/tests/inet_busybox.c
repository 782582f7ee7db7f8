/*
 * busybox's network tools on the loopback: `ifconfig lo` shows it up with
 * 127.0.0.1, and `nc -l -p PORT` receives what `nc 127.0.0.1 PORT` sends
 * from its standard input. Skipped (77) where /bin/busybox is missing.
 */
#include "common.h"
#include <fcntl.h>
#include <time.h>

#define BUSYBOX "/bin/busybox"
#define PORT "40123"

/* Run busybox argv with stdin from in_fd (or /dev/null), stdout to out_fd. */
static pid_t spawn(char *const argv[], int in_fd, int out_fd)
{
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (in_fd < 0)
			in_fd = open("/dev/null", O_RDONLY);
		dup2(in_fd, 0);
		dup2(out_fd, 1);
		execv(BUSYBOX, argv);
		_exit(127);
	}
	return pid;
}

/* Everything from fd until end of file. */
static size_t slurp(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	return got;
}

static int wait_exit(pid_t pid)
{
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	return st;
}

int main(void)
{
	if (access(BUSYBOX, X_OK))
		return 77;
	char out[4096];
	int p[2];

	CHECK(pipe(p) == 0, "pipe");
	pid_t pid = spawn((char *const[]){ "ifconfig", "lo", NULL }, -1, p[1]);
	close(p[1]);
	slurp(p[0], out, sizeof(out));
	close(p[0]);
	int st = wait_exit(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ifconfig lo: %x", st);
	CHECK(strstr(out, "127.0.0.1") && strstr(out, "UP") && strstr(out, "LOOPBACK"),
	      "ifconfig lo said: %s", out);

	int srv[2], cli[2];
	CHECK(pipe(srv) == 0 && pipe(cli) == 0, "pipes");
	pid_t server = spawn((char *const[]){ "nc", "-l", "-p", PORT, NULL }, -1, srv[1]);
	close(srv[1]);
	/* The client retries until the server listens. */
	pid_t client = -1;
	for (int tries = 0; tries < 100; tries++) {
		int in[2];
		CHECK(pipe(in) == 0, "pipe");
		CHECK(write(in[1], "hello over nc\n", 14) == 14, "write");
		close(in[1]);
		client = spawn((char *const[]){ "nc", "127.0.0.1", PORT, NULL }, in[0], cli[1]);
		close(in[0]);
		st = wait_exit(client);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			break;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nc client: %x", st);
	close(cli[1]);
	close(cli[0]);
	slurp(srv[0], out, sizeof(out));
	st = wait_exit(server);
	CHECK(!strcmp(out, "hello over nc\n"), "the server got \"%s\"", out);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "nc server: %x", st);
	return 0;
}
