/*
 * Setting a pending signal's action to SIG_IGN discards it with its queued
 * siginfo (POSIX; Linux flushes the queue): after the handler is installed
 * again, only instances sent later arrive, each with its own si_value.
 */
#include "common.h"

static volatile int hits, last_value;

static void on_rt(int signo, siginfo_t *si, void *uc)
{
	(void)signo;
	(void)uc;
	hits++;
	last_value = si->si_value.sival_int;
}

int main(void)
{
	int sig = SIGRTMIN;
	struct sigaction sa;
	sigset_t set;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO;
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction");
	sigemptyset(&set);
	sigaddset(&set, sig);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block");

	CHECK(sigqueue(getpid(), sig, (union sigval){ .sival_int = 1 }) == 0, "sigqueue 1");
	CHECK(sigqueue(getpid(), sig, (union sigval){ .sival_int = 2 }) == 0, "sigqueue 2");
	CHECK(signal(sig, SIG_IGN) != SIG_ERR, "SIG_IGN");
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction again");
	CHECK(sigpending(&set) == 0 && !sigismember(&set, sig), "still pending after SIG_IGN");

	CHECK(sigqueue(getpid(), sig, (union sigval){ .sival_int = 3 }) == 0, "sigqueue 3");
	sigemptyset(&set);
	sigaddset(&set, sig);
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0, "unblock");
	CHECK(hits == 1 && last_value == 3, "hits %d, last value %d (want 1, 3)", hits,
	      last_value);
	return 0;
}
