/*
 * Benchmarks of single system calls and of process/thread life cycles:
 * getppid, clock_gettime, sched_yield ping-pong, sigaction (without and with
 * the old action returned), signal delivery,
 * fork+exit+wait, fork+execve+wait, pthread create+join.
 *
 * The yield ping-pong shares one word between two processes through a
 * MAP_SHARED mapping; everything else is single-process or parent/child with
 * wait. No locks: each benchmark owns its state for its duration.
 */
#include "bench.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int64_t bench_getppid(long iters)
{
	int64_t t0 = now_ns();

	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	return now_ns() - t0;
}

/* What programs see: glibc's clock_gettime (the vDSO where the kernel has one). */
static int64_t bench_clock_gettime(long iters)
{
	struct timespec ts;
	int64_t t0 = now_ns();

	for (long i = 0; i < iters; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return now_ns() - t0;
}

/*
 * Two processes pass a turn back and forth, yielding while it is not theirs:
 * one iteration is a round trip, at least two context switches.
 */
static int64_t bench_yield_pingpong(long iters)
{
	volatile int *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int64_t t0, t;
	int status;

	if (turn == MAP_FAILED) {
		bench_error("yield_pingpong", "mmap");
		return BENCH_FAILED;
	}
	*turn = 0;
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("yield_pingpong", "fork");
		munmap((void *)turn, 4096);
		return BENCH_FAILED;
	}
	if (pid == 0) {
		for (long i = 0; i < iters; i++) {
			while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 1)
				sched_yield();
			__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 0)
			sched_yield();
	}
	t = now_ns() - t0;
	waitpid(pid, &status, 0);
	munmap((void *)turn, 4096);
	return t;
}

static void empty_handler(int sig)
{
	(void)sig;
}

static void other_handler(int sig)
{
	(void)sig;
}

static int64_t bench_sigaction(long iters)
{
	struct sigaction sa[2] = { { .sa_handler = empty_handler },
				   { .sa_handler = other_handler } };
	int64_t t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		if (sigaction(SIGUSR1, &sa[i & 1], NULL)) {
			bench_error("sigaction", "sigaction");
			return BENCH_FAILED;
		}
	}
	t0 = now_ns() - t0;
	signal(SIGUSR1, SIG_DFL);
	return t0;
}

/* The same with the old action returned, as glibc's signal() does. */
static int64_t bench_sigaction_old(long iters)
{
	struct sigaction sa[2] = { { .sa_handler = empty_handler },
				   { .sa_handler = other_handler } };
	struct sigaction old;
	int64_t t0;

	sigaction(SIGUSR1, &sa[1], NULL); /* the first exchange gets it back */
	t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		if (sigaction(SIGUSR1, &sa[i & 1], &old)) {
			bench_error("sigaction_old", "sigaction");
			return BENCH_FAILED;
		}
	}
	t0 = now_ns() - t0;
	signal(SIGUSR1, SIG_DFL);
	if (old.sa_handler != empty_handler && old.sa_handler != other_handler) {
		bench_error("sigaction_old", "old action");
		return BENCH_FAILED;
	}
	return t0;
}

static volatile sig_atomic_t caught;

static void counting_handler(int sig)
{
	(void)sig;
	caught++;
}

/* kill(self) -> handler runs -> sigreturn: one delivery per iteration. */
static int64_t bench_signal_delivery(long iters)
{
	struct sigaction sa = { .sa_handler = counting_handler };
	pid_t self = getpid();
	int64_t t0, t;

	if (sigaction(SIGUSR1, &sa, NULL)) {
		bench_error("signal_delivery", "sigaction");
		return BENCH_FAILED;
	}
	caught = 0;
	t0 = now_ns();
	for (long i = 0; i < iters; i++)
		kill(self, SIGUSR1);
	t = now_ns() - t0;
	signal(SIGUSR1, SIG_DFL);
	if (caught != iters) {
		bench_error("signal_delivery", "handler count mismatch");
		return BENCH_FAILED;
	}
	return t;
}

static int64_t bench_fork_exit(long iters)
{
	int64_t t0 = now_ns();
	int status;

	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
			bench_error("fork_exit_wait", "fork/waitpid");
			return BENCH_FAILED;
		}
	}
	return now_ns() - t0;
}

static int64_t bench_fork_exec(long iters)
{
	int64_t t0 = now_ns();
	int status;

	for (long i = 0; i < iters; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			bench_exec_self("--exit");
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
			bench_error("fork_exec_wait", "fork/execve/waitpid");
			return BENCH_FAILED;
		}
	}
	return now_ns() - t0;
}

static void *thread_body(void *arg)
{
	return arg;
}

static int64_t bench_thread(long iters)
{
	int64_t t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		pthread_t th;
		void *ret;

		if (pthread_create(&th, NULL, thread_body, NULL) ||
		    pthread_join(th, &ret)) {
			bench_error("thread_create_join", "pthread_create/join");
			return BENCH_FAILED;
		}
	}
	return now_ns() - t0;
}

const struct bench bench_proc_table[] = {
	{ "null_syscall", "ns", 20000, bench_getppid, 0 },
	{ "clock_gettime", "ns", 20000, bench_clock_gettime, 0 },
	{ "yield_pingpong", "ns", 2000, bench_yield_pingpong, 0 },
	{ "sigaction", "ns", 10000, bench_sigaction, 0 },
	{ "sigaction_old", "ns", 10000, bench_sigaction_old, 0 },
	{ "signal_delivery", "ns", 2000, bench_signal_delivery, 0 },
	{ "fork_exit_wait", "ns", 100, bench_fork_exit, 0 },
	{ "fork_exec_wait", "ns", 40, bench_fork_exec, 0 },
	{ "thread_create_join", "ns", 400, bench_thread, 0 },
	{ 0 },
};
