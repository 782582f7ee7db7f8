/*
 * Helpers shared by Ferrite's guest tests (user/tests/).
 *
 * Every test is an ordinary static POSIX program: it prints why it failed
 * and exits non-zero, or exits 0 on success. The same binary runs on Linux
 * (natively, or under qemu-user) and inside Ferrite. Single-threaded unless
 * a test says otherwise; nothing here takes locks.
 */
#ifndef FERRITE_USER_TESTS_COMMON_H
#define FERRITE_USER_TESTS_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Report a failed expectation with its place and errno, then exit(1). */
#define FAIL(...)                                                              \
	do {                                                                   \
		int saved_errno_ = errno;                                      \
		printf("%s:%d: FAIL: ", __FILE__, __LINE__);                   \
		printf(__VA_ARGS__);                                           \
		printf(" (errno %d: %s)\n", saved_errno_, strerror(saved_errno_)); \
		fflush(stdout);                                                \
		exit(1);                                                       \
	} while (0)

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond))                                                   \
			FAIL(__VA_ARGS__);                                     \
	} while (0)

/* A syscall that must fail with -1 and this errno. */
#define CHECK_ERRNO(call, err)                                                 \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		CHECK(r_ == -1 && errno == (err), "%s returned %ld, want -1/%s", \
		      #call, r_, #err);                                        \
	} while (0)

/* Hide a constant pointer from the compiler, so it cannot warn about it. */
static inline void *launder_ptr(unsigned long value)
{
	void *volatile p = (void *)value;
	return p;
}

/*
 * Run fn in a forked child that exits 0 when fn returns; return the raw
 * wait status. Used to observe children that die by a signal.
 */
static inline int run_in_child(void (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		fn(arg);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid(%d)", (int)pid);
	return status;
}

static inline void expect_killed_by(int status, int sig, const char *what)
{
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == sig,
	      "%s: want death by signal %d, got status 0x%x", what, sig, status);
}

/*
 * execve, or, when FERRITE_TEST_EXEC_PREFIX names a qemu-user binary (as
 * scripts/linux-check.sh sets for riscv64 programs on an x86_64 machine
 * without binfmt_misc), execve of that emulator with "-0 argv0 path args".
 * qemu-user hands its environment to the program in reverse order, so the
 * environment is reversed here to arrive as given.
 */
static inline int test_execve(const char *path, char *const argv[], char *const envp[])
{
	const char *prefix = getenv("FERRITE_TEST_EXEC_PREFIX");
	char *qargv[64], *qenvp[256];
	int n = 0, nenv = 0;

	if (!prefix || !*prefix)
		return execve(path, argv, envp);
	qargv[n++] = (char *)prefix;
	qargv[n++] = "-0";
	qargv[n++] = argv[0];
	qargv[n++] = (char *)path;
	for (int i = 1; argv[i] && n < 63; i++)
		qargv[n++] = argv[i];
	qargv[n] = NULL;
	while (envp[nenv] && nenv < 255)
		nenv++;
	for (int i = 0; i < nenv; i++)
		qenvp[i] = envp[nenv - 1 - i];
	qenvp[nenv] = NULL;
	return execve(prefix, qargv, qenvp);
}

/* Seconds on CLOCK_MONOTONIC, for timing a test's waits. */
static inline double monotonic_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* The CPU helpers need <sched.h>'s GNU part: present when this header
 * comes first (a header included before it without _GNU_SOURCE hides it). */
#ifdef CPU_SETSIZE
/* Pin the calling thread to one CPU. */
static inline void pin_to_cpu(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	CHECK(sched_setaffinity(0, sizeof(s), &s) == 0, "pin to CPU %d", cpu);
}

/*
 * The caller's affinity mask into *all, and its two lowest CPUs into
 * *first and *second (both the same CPU when the mask holds one): the
 * prologue of the SMP tests, which put two threads on different CPUs.
 */
static inline void two_cpus(cpu_set_t *all, int *first, int *second)
{
	*first = *second = -1;
	CHECK(sched_getaffinity(0, sizeof(*all), all) == 0, "sched_getaffinity");
	for (int c = 0; c < CPU_SETSIZE && *second < 0; c++) {
		if (!CPU_ISSET(c, all))
			continue;
		if (*first < 0)
			*first = c;
		else
			*second = c;
	}
	CHECK(*first >= 0, "no CPU in the mask");
	if (*second < 0)
		*second = *first; /* one CPU: the same checks, on it */
}
#endif

/* Set by scripts/linux-check.sh when the tests run under qemu-user. */
static inline int under_qemu_user(void)
{
	return getenv("FERRITE_TEST_QEMU_USER") != NULL;
}

#endif
