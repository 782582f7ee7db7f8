/*
 * Helper (not a test): start-up cost of Debian's python3 and bash, for
 * scripts/bench/debian-startup.sh. "debian_spawn ROOT N" chroots into ROOT
 * (a Debian sysroot, scripts/fetch-debian-programs.sh), then runs
 * `python3 -c pass` and `bash -c true` N times each after one warm-up run
 * (fork, execve, wait; output to /dev/null) and prints the mean
 * nanoseconds per run from CLOCK_MONOTONIC: under QEMU's -icount shift=0
 * these are instructions. Without arguments (as init or rdinit):
 * ROOT /debian, N 10 (or the number in /etc/startup-runs), then it powers
 * the machine off, so the same archive serves Ferrite and Linux.
 */
#include "common.h"
#include <fcntl.h>
#include <stdbool.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

static long long now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void spawn(char *const argv[])
{
	/* PYTHONHASHSEED: Linux's random pool is not ready this early in a
	 * boot, and python would fail to seed its hash (the same for both) */
	static char *const envp[] = { "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "PYTHONHASHSEED=0", NULL };
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		dup2(fd, 1);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	CHECK(waitpid(pid, &status, 0) == pid && status == 0, "%s: status 0x%x", argv[0], status);
}

static void measure(const char *what, char *const argv[], int n)
{
	spawn(argv); /* warm-up: page cache, first faults */
	long long start = now_ns();
	for (int i = 0; i < n; i++)
		spawn(argv);
	printf("STARTUP %s: %lld ns per run (%d runs)\n", what, (now_ns() - start) / n, n);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "/debian";
	int n = argc > 2 ? atoi(argv[2]) : 10;
	/* as init: N from /etc/startup-runs when there is one (profiling
	 * boots two archives that differ only in N) */
	FILE *runs = argc > 2 ? NULL : fopen("/etc/startup-runs", "r");
	if (runs) {
		if (fscanf(runs, "%d", &n) != 1)
			n = 10;
		fclose(runs);
	}
	bool as_init = getpid() == 1;

	CHECK(n > 0, "usage: debian_spawn [ROOT [N]]");
	CHECK(chroot(root) == 0 && chdir("/") == 0, "chroot %s", root);
	mkdir("/dev", 0755);
	mknod("/dev/null", S_IFCHR | 0666, makedev(1, 3)); /* may exist already */
	mknod("/dev/urandom", S_IFCHR | 0666, makedev(1, 9));
	measure("python3 -c pass", (char *const[]){ "/usr/bin/python3", "-c", "pass", NULL }, n);
	measure("bash -c true", (char *const[]){ "/bin/bash", "-c", "true", NULL }, n);
	puts("STARTUP_DONE");
	fflush(stdout);
	if (as_init) {
		sync();
		reboot(RB_POWER_OFF);
	}
	return 0;
}
