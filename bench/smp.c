/*
 * Benchmarks added for the SMP tables (issue 11, docs/benchmarks.md):
 * a signal ping-pong between two processes (sigqueue + sigwaitinfo, the
 * signal round trip of the cross-CPU table) and anonymous page faults (map
 * 64 pages, write one byte to each, unmap: one operation is one page, the
 * map and unmap amortised; the page-fault row of the contention table).
 *
 * Each benchmark owns its mapping and child for its duration; no locks.
 */
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAULT_PAGES 64

static int64_t bench_signal_pingpong(long iters)
{
	sigset_t set, old;
	siginfo_t si;
	int64_t t0, t = 0;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid_t pid = fork();
	if (pid < 0) {
		bench_error("signal_pingpong", "fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		return BENCH_FAILED;
	}
	if (pid == 0) {
		pid_t parent = getppid();
		union sigval v = { 0 };

		bench_pin_partner();
		for (long i = 0; i < iters; i++)
			if (sigwaitinfo(&set, &si) != SIGUSR1 || sigqueue(parent, SIGUSR2, v))
				_exit(1);
		_exit(0);
	}
	union sigval v = { 0 };
	t0 = now_ns();
	for (long i = 0; i < iters; i++) {
		if (sigqueue(pid, SIGUSR1, v) || sigwaitinfo(&set, &si) != SIGUSR2) {
			bench_error("signal_pingpong", "sigqueue/sigwaitinfo");
			t = BENCH_FAILED;
			kill(pid, SIGKILL);
			break;
		}
	}
	if (!t)
		t = now_ns() - t0;
	waitpid(pid, &status, 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return t;
}

/* iters page faults, in mappings of FAULT_PAGES pages (iters rounded up). */
static int64_t bench_page_fault(long iters)
{
	long page = sysconf(_SC_PAGESIZE);
	int64_t t0 = now_ns();

	for (long done = 0; done < iters; done += FAULT_PAGES) {
		volatile char *p = mmap(NULL, FAULT_PAGES * page, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			bench_error("page_fault", "mmap");
			return BENCH_FAILED;
		}
		for (long i = 0; i < FAULT_PAGES; i++)
			p[i * page] = 1;
		munmap((void *)p, FAULT_PAGES * page);
	}
	return now_ns() - t0;
}

const struct bench bench_smp_table[] = {
	{ "signal_pingpong", "ns", 2000, bench_signal_pingpong, 0 },
	{ "page_fault", "ns", 6400, bench_page_fault, 0 },
	{ 0 },
};
