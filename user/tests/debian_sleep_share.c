/*
 * One copy of a program's text however many run it (issue 9, the page
 * cache): ten Debian `sleep`s (dynamically linked, from the Debian disk,
 * an ext4 file system inside Ferrite) run at once, and the memory they
 * take together is measured from MemFree in /proc/meminfo. Their text
 * (sleep's and libc's) comes from the page cache, so each process costs
 * only its private pages: inside Ferrite the ten must take less than
 * SHARE_LIMIT_KIB each on average (x86_64: 321 KiB with the cache, 778
 * KiB before it, when each process read its own copy of the text it
 * touched). Prints the figure; skipped as the other debian_* tests are.
 */
#include "debian_common.h"
#include <signal.h>
#include <sys/wait.h>

#define NSLEEP 10
#define SHARE_LIMIT_KIB 400

static long mem_free_kib(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY);
	CHECK(fd >= 0, "open /proc/meminfo");
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	CHECK(n > 0, "read /proc/meminfo");
	buf[n] = 0;
	char *p = strstr(buf, "MemFree:");
	CHECK(p, "MemFree in /proc/meminfo");
	return strtol(p + 8, NULL, 10);
}

static pid_t spawn_sleep(const char *secs)
{
	static char *const envp[] = { "PATH=/usr/bin:/bin", "LANG=C", NULL };
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = { "/usr/bin/sleep", (char *)secs, NULL };
		if (chroot(debian_top) != 0 || chdir("/") != 0)
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	return pid;
}

int main(void)
{
	(void)debian_expect;
	(void)debian_run;
	int st = debian_setup();
	if (st)
		return st;
	/* Once first, so the cache holds the text before the measurement. */
	pid_t pid = spawn_sleep("0");
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "sleep 0: status 0x%x", st);

	pid_t pids[NSLEEP];
	long before = mem_free_kib();
	for (int i = 0; i < NSLEEP; i++)
		pids[i] = spawn_sleep("3");
	usleep(1500 * 1000); /* all started and asleep */
	long after = mem_free_kib();
	for (int i = 0; i < NSLEEP; i++) {
		CHECK(waitpid(pids[i], &st, 0) == pids[i], "wait");
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sleep %d: status 0x%x", i, st);
	}
	long used = before - after;
	printf("debian_sleep_share: %d concurrent sleeps took %ld KiB (%ld KiB each)\n", NSLEEP,
	       used, used / NSLEEP);
	debian_teardown();
	/* Linux's MemFree moves with everything else on the machine: the
	 * bound is Ferrite's (an idle guest; without the cache it was 778). */
	if (access("/proc/ferrite/counters", F_OK) == 0)
		CHECK(used / NSLEEP < SHARE_LIMIT_KIB, "%ld KiB per sleep, limit %d",
		      used / NSLEEP, SHARE_LIMIT_KIB);
	return 0;
}
