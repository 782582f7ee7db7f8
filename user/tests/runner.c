/*
 * /tests/runner: runs every guest test as a child, one after the other, and
 * prints "PASS name" or "FAIL name (status ...)" for each, then a closing
 * "tests: N passed, N failed". scripts/run-tests.sh parses these lines.
 *
 * Booted as init (pid 1, with init=/tests/runner) it also reaps orphans and
 * powers the machine off at the end. Elsewhere (on Linux, by
 * scripts/linux-check.sh) it just exits 0 if all passed. argv[1], if given,
 * is the directory holding the tests (default /tests); further arguments
 * name the tests to run (default: all; the -smp 4 suites pass a set).
 *
 * Leak check (inside Ferrite only, when /proc/ferrite/counters exists): the
 * kernel's live-object counters are read before and after each test (once
 * the child is reaped); a test that leaves any counter changed FAILs with
 * "leak: NAME before -> after". Frees that finish asynchronously (a dead
 * task's stack) get a few short retries before a difference counts, and a
 * test whose first run left counters changed runs once more: only a change
 * that repeats (a real leak, not a cache filled once) fails it. frames_free
 * may end higher than it began (a cache gave memory back), never lower.
 */
#define _GNU_SOURCE
#include "common.h"
#include <stdbool.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <fcntl.h>
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

#define COUNTERS_PATH "/proc/ferrite/counters"
#define COUNTERS_MAX 32

struct counters {
	int n;
	char name[COUNTERS_MAX][32];
	unsigned long long value[COUNTERS_MAX];
};

/* Read the kernel's counters; false when the file is missing or bad. */
static bool counters_read(struct counters *c)
{
	char buf[2048];
	ssize_t len = 0, r;
	int fd = open(COUNTERS_PATH, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (r = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len] = '\0';
	c->n = 0;
	for (char *line = strtok(buf, "\n"); line && c->n < COUNTERS_MAX; line = strtok(NULL, "\n")) {
		if (sscanf(line, "%31s %llu", c->name[c->n], &c->value[c->n]) == 2)
			c->n++;
	}
	return c->n > 0;
}

/* Describe the counters that differ into why; return their number. */
static int counters_diff(const struct counters *a, const struct counters *b, char *why,
			 size_t len)
{
	int bad = 0;
	size_t used = 0;

	why[0] = '\0';
	for (int i = 0; i < a->n && i < b->n; i++) {
		if (a->value[i] == b->value[i])
			continue;
		/* More free frames than before is a cache giving memory back
		 * (the page cache's reclaim, an evicted buffer), not a leak. */
		if (!strcmp(a->name[i], "frames_free") && b->value[i] > a->value[i])
			continue;
		bad++;
		if (used < len)
			used += snprintf(why + used, len - used, "%sleak: %s %llu -> %llu",
					 bad > 1 ? ", " : "", a->name[i], a->value[i],
					 b->value[i]);
	}
	return bad;
}

/* After a test: compare with before, letting asynchronous frees settle. */
static int leak_check(const struct counters *before, char *why, size_t len)
{
	struct counters after;
	int bad = 0;

	for (int tries = 0; tries < 20; tries++) {
		if (!counters_read(&after))
			return 0;
		bad = counters_diff(before, &after, why, len);
		if (!bad)
			return 0;
		usleep(10000);
	}
	return bad;
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
	char why[512];
	struct counters before;
	bool leak_checks = false;

	if (getpid() == 1) {
		printf("Ferrite test runner: pid 1\n");
		if (!getenv("PATH"))
			setenv("PATH", "/bin:/sbin:/usr/bin:/usr/sbin", 1);
	}
	if (ferrite && counters_read(&before)) {
		/* Warm-up: the first forks and execs, and the check itself,
		 * fill caches that stay (the runner's own heap and page
		 * tables, stdio). */
		for (int w = 0; w < 3; w++) {
			run_one(dir, "exec_helper");
			counters_read(&before);
			leak_check(&before, why, sizeof(why));
		}
		leak_checks = true;
	}
	const char *const *list = tests;
	unsigned count = sizeof(tests) / sizeof(tests[0]);
	if (argc > 2) {
		list = (const char *const *)argv + 2;
		count = (unsigned)(argc - 2);
	}
	for (unsigned i = 0; i < count; i++) {
		printf("RUN %s\n", list[i]);
		fflush(stdout);
		if (leak_checks && !counters_read(&before))
			leak_checks = false;
		double start = monotonic_seconds();
		int status = run_one(dir, list[i]);
		double took = monotonic_seconds() - start;
		int ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
		bool leaked = ok && leak_checks && leak_check(&before, why, sizeof(why));
		if (leaked) {
			/* A first run may fill a cache that stays (a lazily made
			 * table); a real leak grows again on a second run. */
			printf("runner: %s: %s; running it again\n", list[i], why);
			counters_read(&before);
			status = run_one(dir, list[i]);
			ok = status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
			leaked = ok && leak_check(&before, why, sizeof(why));
		}
		if (leaked) {
			printf("FAIL %s (%s)\n", list[i], why);
			failed++;
		} else if (ok) {
			printf("PASS %s (%.2f s)\n", list[i], took);
			passed++;
		} else if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP && !ferrite) {
			printf("SKIP %s (needs Ferrite)\n", list[i]);
			skipped++;
		} else {
			if (status < 0)
				snprintf(why, sizeof(why), "not started");
			else
				describe(status, why, sizeof(why));
			printf("FAIL %s (%s)\n", list[i], why);
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
