/*
 * /tests/runner: runs every guest test as a child, one after the other, and
 * prints "PASS name" or "FAIL name (status ...)" for each, then a closing
 * "tests: N passed, N failed". scripts/run-tests.sh parses these lines.
 *
 * Booted as init (pid 1, with init=/tests/runner) it also reaps orphans and
 * powers the machine off at the end. Elsewhere (on Linux, by
 * scripts/linux-check.sh) it just exits 0 if all passed. argv[1], if given,
 * is the directory holding the tests (default /tests).
 */
#define _GNU_SOURCE
#include "common.h"
#include <stdbool.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <time.h>

extern char **environ;

/* The tests, in run order: generated from the user/tests GROUP.tests files. */
static const char *const tests[] = {
#include "test_list.h"
};

/* Exit status of a test that cannot run here (it needs Ferrite). */
#define EXIT_SKIP 77

static bool running_on_ferrite(void)
{
	struct utsname u;
	return uname(&u) == 0 && strstr(u.release, "ferrite") != NULL;
}

static double now_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "status %d: exited with %d", status, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "status %d: killed by signal %d (%s)", status, WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %d", status);
}

/* Run one test; return its wait status, or -1 if it could not be started. */
static int run_one(const char *dir, const char *name)
{
	char path[256];
	int status;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		printf("runner: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char *const argv[] = { path, NULL };
		test_execve(path, argv, environ);
		printf("runner: exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid_t got = wait(&status);
		if (got == pid)
			return status;
		if (got < 0 && errno != EINTR) {
			printf("runner: wait: %s\n", strerror(errno));
			return -1;
		}
		/* Anything else is an orphan reaped on the way (we may be pid 1). */
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tests";
	int passed = 0, failed = 0, skipped = 0;
	bool ferrite = running_on_ferrite();
	char why[128];

	if (getpid() == 1) {
		printf("Ferrite test runner: pid 1\n");
		if (!getenv("PATH"))
			setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	}
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		printf("RUN %s\n", tests[i]);
		double start = now_seconds();
		int status = run_one(dir, tests[i]);
		double took = now_seconds() - start;
		if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("PASS %s (%.2f s)\n", tests[i], took);
			passed++;
		} else if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP && !ferrite) {
			printf("SKIP %s (needs Ferrite)\n", tests[i]);
			skipped++;
		} else {
			if (status < 0)
				snprintf(why, sizeof(why), "not started");
			else
				describe(status, why, sizeof(why));
			printf("FAIL %s (%s)\n", tests[i], why);
			failed++;
		}
		fflush(stdout);
	}
	printf("tests: %d passed, %d failed, %d skipped\n", passed, failed, skipped);
	fflush(NULL);

	if (getpid() == 1) {
		sync();
		reboot(RB_POWER_OFF);
		printf("runner: reboot: %s\n", strerror(errno));
		for (;;)
			pause();
	}
	return failed ? 1 : 0;
}
