/*
 * Signal handlers run and return: SA_SIGINFO with sigqueue (si_pid,
 * si_code, si_value) and kill (SI_USER), the mask while a handler runs,
 * FP registers survive a handler, SA_RESETHAND, and invalid requests
 * (SIGKILL/SIGSTOP cannot be caught, out-of-range numbers) give EINVAL.
 */
#include "common.h"
#include <sys/syscall.h>

static volatile sig_atomic_t hits;
static volatile int got_pid, got_code, got_value, got_signo;
static volatile int usr1_blocked_inside, usr2_blocked_inside;

static void on_info(int signo, siginfo_t *si, void *uc)
{
	sigset_t cur;
	volatile double x = 1.0;

	(void)uc;
	for (int i = 0; i < 10; i++)
		x = x * 3.0 + 0.5; /* clobber FP registers */
	hits++;
	got_signo = signo;
	got_pid = si->si_pid;
	got_code = si->si_code;
	got_value = si->si_value.sival_int;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	usr1_blocked_inside = sigismember(&cur, SIGUSR1);
	usr2_blocked_inside = sigismember(&cur, SIGUSR2);
}

static void on_plain(int signo)
{
	(void)signo;
	hits++;
}

int main(void)
{
	struct sigaction sa, old;
	sigset_t cur;
	volatile double f = 2.5;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_plain;
	CHECK_ERRNO(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERRNO(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
	CHECK_ERRNO(kill(getpid(), 65), EINVAL);
	CHECK_ERRNO(kill(getpid(), -1), EINVAL);

	sa.sa_sigaction = on_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");

	union sigval v = { .sival_int = 4242 };
	CHECK(sigqueue(getpid(), SIGUSR1, v) == 0, "sigqueue");
	CHECK(hits == 1, "handler ran %d times", (int)hits);
	CHECK(got_signo == SIGUSR1 && got_code == SI_QUEUE && got_pid == getpid() &&
	      got_value == 4242, "siginfo: signo %d code %d pid %d value %d", got_signo,
	      got_code, got_pid, got_value);
	/* qemu-user does not show the guest's handler mask to sigprocmask. */
	CHECK(under_qemu_user() || (usr1_blocked_inside && usr2_blocked_inside),
	      "mask inside the handler");
	sigprocmask(SIG_BLOCK, NULL, &cur);
	CHECK(!sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2), "mask restored");
	CHECK(f == 2.5, "FP register clobbered");

	CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
	CHECK(hits == 2 && got_code == SI_USER && got_pid == getpid(), "kill siginfo code %d",
	      got_code);

	/* SA_RESETHAND: one run, then back to SIG_DFL. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_plain;
	sa.sa_flags = SA_RESETHAND;
	CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction");
	CHECK(raise(SIGUSR2) == 0, "raise");
	CHECK(hits == 3, "resethand handler ran");
	CHECK(sigaction(SIGUSR2, NULL, &old) == 0 && old.sa_handler == SIG_DFL,
	      "SA_RESETHAND left the handler");

	/* Ignored signals vanish. */
	signal(SIGUSR2, SIG_IGN);
	CHECK(raise(SIGUSR2) == 0, "raise ignored");
	printf("signal_handler: ok\n");
	return 0;
}
