/*
 * Helper (not a test): start-up cost of programs. "dyn_spawn N PROG..."
 * runs each PROG N times (fork, execve, wait; output to /dev/null) and
 * prints the mean nanoseconds per run from CLOCK_MONOTONIC. Booted under
 * QEMU with -icount shift=0 the guest clock advances one nanosecond per
 * instruction, so the numbers are instructions per run. Without
 * arguments (as init=/tests/dyn_spawn): 20 runs each of /tests/dyn_hello_static
 * and /tests/dyn_hello, twice.
 */
#include "common.h"
#include <fcntl.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	static char *defaults[] = { "dyn_spawn", "20", "/tests/dyn_hello_static", "/tests/dyn_hello",
				    "/tests/dyn_hello_static", "/tests/dyn_hello", NULL };
	if (argc == 1) {
		argv = defaults;
		argc = 6;
	}
	int n = atoi(argv[1]);

	CHECK(n > 0 && argc > 2, "usage: dyn_spawn N PROG...");
	for (int p = 2; p < argc; p++) {
		long long start = now_ns();
		for (int i = 0; i < n; i++) {
			int status;
			pid_t pid = fork();
			CHECK(pid >= 0, "fork");
			if (pid == 0) {
				int fd = open("/dev/null", O_WRONLY);
				dup2(fd, 1);
				char *const cargv[] = { argv[p], NULL };
				char *const cenvp[] = { NULL };
				execve(argv[p], cargv, cenvp);
				_exit(127);
			}
			CHECK(waitpid(pid, &status, 0) == pid && status == 0, "%s: status 0x%x",
			      argv[p], status);
		}
		printf("spawn %s: %lld ns per run (%d runs)\n", argv[p], (now_ns() - start) / n, n);
	}
	return 0;
}
