/*
 * SMP: a process-directed signal to a process whose thread waits for it in
 * sigwaitinfo (so the signal is blocked) wakes that thread at once, on
 * another CPU where there is one: 200 sigqueue round trips between two
 * processes pinned to different CPUs, each value checked, must take well
 * under the 10 ms per wake-up of a missed wake-up (found by the cross-CPU
 * signal_pingpong benchmark: 20 ms per round trip before the fix).
 */
#include "common.h"
#include <sched.h>
#include <time.h>

#define ROUNDS 200

static void pin(int cpu, int ncpus)
{
	cpu_set_t set;

	if (ncpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	CHECK(sched_setaffinity(0, sizeof(set), &set) == 0, "sched_setaffinity");
}

int main(void)
{
	cpu_set_t all;
	sigset_t set;
	siginfo_t si;
	int ncpus = 1, status;

	if (sched_getaffinity(0, sizeof(all), &all) == 0)
		ncpus = CPU_COUNT(&all);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "sigprocmask");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pin(1, ncpus);
		for (int i = 0; i < ROUNDS; i++) {
			CHECK(sigwaitinfo(&set, &si) == SIGUSR1, "child: sigwaitinfo");
			CHECK(si.si_value.sival_int == i, "child: value %d, want %d",
			      si.si_value.sival_int, i);
			union sigval v = { .sival_int = -i };
			CHECK(sigqueue(getppid(), SIGUSR2, v) == 0, "child: sigqueue");
		}
		_exit(0);
	}
	pin(0, ncpus);
	double t0 = monotonic_seconds();
	for (int i = 0; i < ROUNDS; i++) {
		union sigval v = { .sival_int = i };
		CHECK(sigqueue(pid, SIGUSR1, v) == 0, "sigqueue");
		CHECK(sigwaitinfo(&set, &si) == SIGUSR2, "sigwaitinfo");
		CHECK(si.si_value.sival_int == -i && si.si_pid == pid, "answer %d from %d for %d",
		      si.si_value.sival_int, (int)si.si_pid, i);
	}
	double took = monotonic_seconds() - t0;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status 0x%x", status);
	/* A missed wake-up costs a 10 ms slice on each side: 4 s in all. */
	CHECK(took < 1.5, "%d round trips took %.2f s", ROUNDS, took);
	return 0;
}
