/*
 * Job control: SIGSTOP stops a child (waitpid WUNTRACED sees it and the
 * parent gets SIGCHLD with CLD_STOPPED), SIGCONT resumes it (WCONTINUED),
 * a stopped child still dies of SIGKILL; SIGTSTP with a handler is caught.
 */
#include "common.h"
#include <time.h>

static volatile int chld_codes[8];
static volatile int nchld;

static void on_chld(int signo, siginfo_t *si, void *uc)
{
	(void)signo;
	(void)uc;
	if (nchld < 8)
		chld_codes[nchld] = si->si_code;
	nchld++;
}

static volatile sig_atomic_t tstp;
static void on_tstp(int signo)
{
	(void)signo;
	tstp = 1;
}

int main(void)
{
	struct sigaction sa;
	int status;
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	CHECK(sigaction(SIGCHLD, &sa, NULL) == 0, "sigaction");

	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		for (;;)
			pause();
	}
	CHECK(setpgid(pid, pid) == 0, "setpgid");
	CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP");
	CHECK(waitpid(pid, &status, WUNTRACED) == pid, "waitpid WUNTRACED");
	CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGSTOP, "status 0x%x", status);
	CHECK(waitpid(pid, &status, WUNTRACED | WNOHANG) == 0, "stop reported twice");
	CHECK(kill(-pid, SIGCONT) == 0, "SIGCONT to the group");
	CHECK(waitpid(pid, &status, WCONTINUED) == pid, "waitpid WCONTINUED");
	CHECK(WIFCONTINUED(status), "status 0x%x", status);
	CHECK(kill(pid, SIGSTOP) == 0, "SIGSTOP again");
	CHECK(waitpid(pid, &status, WUNTRACED) == pid && WIFSTOPPED(status), "stopped again");
	CHECK(kill(pid, SIGKILL) == 0, "SIGKILL");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	expect_killed_by(status, SIGKILL, "stopped child");
	CHECK(nchld >= 3 && chld_codes[0] == CLD_STOPPED && chld_codes[1] == CLD_CONTINUED,
	      "SIGCHLD codes: %d of them, %d %d", nchld, chld_codes[0], chld_codes[1]);

	/* A caught SIGTSTP does not stop. */
	signal(SIGTSTP, on_tstp);
	CHECK(raise(SIGTSTP) == 0 && tstp == 1, "SIGTSTP handler");
	printf("signal_stop: ok\n");
	return 0;
}
