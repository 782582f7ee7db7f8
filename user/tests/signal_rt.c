/*
 * Real-time signals queue every instance with its value and are delivered
 * lowest number first, in sending order per number; standard signals
 * coalesce.
 */
#include "common.h"

static int order[16], values[16];
static volatile int n;

static void on_sig(int signo, siginfo_t *si, void *uc)
{
	(void)uc;
	if (n < 16) {
		order[n] = signo;
		values[n] = si->si_value.sival_int;
	}
	n++;
}

int main(void)
{
	struct sigaction sa;
	sigset_t set;
	int r1 = SIGRTMIN + 1, r0 = SIGRTMIN;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO;
	/* One handler at a time: otherwise frames for several pending signals
	 * stack up and the last one taken runs first. */
	sigfillset(&sa.sa_mask);
	CHECK(sigaction(r0, &sa, NULL) == 0 && sigaction(r1, &sa, NULL) == 0 &&
	      sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	sigemptyset(&set);
	sigaddset(&set, r0);
	sigaddset(&set, r1);
	sigaddset(&set, SIGUSR1);
	CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block");
	for (int i = 1; i <= 3; i++)
		CHECK(sigqueue(getpid(), r1, (union sigval){ .sival_int = i }) == 0, "sigqueue");
	CHECK(sigqueue(getpid(), r0, (union sigval){ .sival_int = 9 }) == 0, "sigqueue");
	CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 5 }) == 0, "sigqueue");
	CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 6 }) == 0, "sigqueue");
	CHECK(n == 0, "delivered while blocked");
	CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0, "unblock");
	CHECK(n == 5, "%d deliveries, want 5", n);
	if (under_qemu_user()) { /* qemu-user queues signals in its own order */
		printf("signal_rt: ok (order not checked under qemu-user)\n");
		return 0;
	}
	CHECK(order[0] == SIGUSR1 && values[0] == 5, "first: %d/%d", order[0], values[0]);
	CHECK(order[1] == r0 && values[1] == 9, "second: %d/%d", order[1], values[1]);
	for (int i = 0; i < 3; i++)
		CHECK(order[2 + i] == r1 && values[2 + i] == i + 1, "rt %d: %d/%d", i, order[2 + i],
		      values[2 + i]);
	printf("signal_rt: ok\n");
	return 0;
}
