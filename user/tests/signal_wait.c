/*
 * Waiting for signals: sigsuspend swaps the mask atomically, returns EINTR
 * after the handler and puts the old mask back; sigtimedwait takes a
 * pending blocked signal with its siginfo, and times out with EAGAIN.
 */
#include "common.h"
#include <time.h>

static volatile sig_atomic_t hits;

static void on_usr1(int signo)
{
	(void)signo;
	hits++;
}

int main(void)
{
	struct sigaction sa;
	sigset_t block, empty, cur;
	siginfo_t si;
	pid_t pid;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	CHECK(sigprocmask(SIG_BLOCK, &block, NULL) == 0, "block");

	/* The child signals us while SIGUSR1 is blocked: no wake-up is lost. */
	pid_t parent = getpid();
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		kill(parent, SIGUSR1);
		_exit(0);
	}
	sigemptyset(&empty);
	errno = 0;
	CHECK(sigsuspend(&empty) == -1 && errno == EINTR, "sigsuspend");
	CHECK(hits == 1, "handler ran %d times", (int)hits);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2), "mask not restored");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");

	/* sigtimedwait: a pending one is returned at once with its info. */
	CHECK(kill(getpid(), SIGUSR2) == 0, "kill");
	struct timespec ts = { 0, 50 * 1000000L };
	memset(&si, 0, sizeof(si));
	CHECK(sigtimedwait(&block, &si, &ts) == SIGUSR2, "sigtimedwait pending");
	CHECK(si.si_signo == SIGUSR2 && si.si_code == SI_USER && si.si_pid == getpid(),
	      "siginfo %d %d %d", si.si_signo, si.si_code, si.si_pid);
	/* ... and nothing pending: EAGAIN after the timeout. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	errno = 0;
	CHECK(sigtimedwait(&block, &si, &ts) == -1 && errno == EAGAIN, "sigtimedwait timeout");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(dt >= 0.04 && dt < 2.0, "timed out after %.3f s", dt);
	ts.tv_nsec = 2000000000L;
	CHECK_ERRNO(sigtimedwait(&block, &si, &ts), EINVAL);
	CHECK(hits == 1, "handler ran for a waited signal");
	printf("signal_wait: ok\n");
	return 0;
}
