/*
 * A shell pipeline: /bin/sh -c 'seq 1 1000 | grep 7 | wc -l' must print
 * 271 (the numbers 1..1000 with a digit 7), read here through a pipe.
 */
#include "common.h"

int main(void)
{
	int p[2], status;
	char buf[64];

	alarm(60);
	CHECK(pipe(p) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		char *const argv[] = { "sh", "-c", "seq 1 1000 | grep 7 | wc -l", NULL };
		char *const envp[] = { "PATH=/bin:/usr/bin:/sbin:/usr/sbin", NULL };
		execve("/bin/sh", argv, envp); /* the host's own sh under qemu-user too */
		_exit(100);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while (n < sizeof(buf) - 1 && (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "sh status 0x%x", status);
	CHECK(atoi(buf) == 271, "pipeline printed '%s'", buf);
	return 0;
}
