/*
 * Signal handlers run and return: SA_SIGINFO with sigqueue (si_pid,
 * si_code, si_value) and kill (SI_USER), the mask while a handler runs,
 * FP registers survive a handler, SA_RESETHAND, and invalid requests
 * (SIGKILL/SIGSTOP cannot be caught, out-of-range numbers) give EINVAL.
 * Late signals (check_late_signals): a signal unblocked by sigprocmask runs
 * its handler before sigprocmask returns; signals sent by another thread
 * or process while the target spins in user mode are delivered; a
 * process-directed signal blocked by one thread goes to another.
 */
#include "common.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>

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

/* --- late signals --- */

static volatile sig_atomic_t late_hits;
static volatile pid_t late_tid;

static void on_late(int signo)
{
	(void)signo;
	late_tid = (pid_t)syscall(SYS_gettid);
	late_hits++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spin in user mode (no syscalls but the clock) until late_hits reaches
 * want or 5 s pass. Return whether it did. */
static int spin_for_hits(int want)
{
	double end = now_s() + 5.0;

	while (late_hits < want)
		if (now_s() > end)
			return 0;
	return 1;
}

struct late_arg {
	pthread_t target;
	volatile int ready;
	int process_directed;
};

/* Wait for the main thread to spin, then signal it (pthread_kill) or the
 * process (kill). */
static void *late_sender(void *p)
{
	struct late_arg *a = p;

	while (!a->ready)
		sched_yield();
	usleep(20000);
	if (a->process_directed)
		kill(getpid(), SIGUSR1);
	else
		pthread_kill(a->target, SIGUSR1);
	return NULL;
}

/* A thread that leaves SIGUSR1 unblocked and spins until it took it. */
static void *late_taker(void *p)
{
	volatile int *ready = p;

	*ready = 1;
	spin_for_hits(late_hits + 1);
	return NULL;
}

static void check_late_signals(void)
{
	sigset_t usr1, none;
	pthread_t th;
	struct late_arg a;

	signal(SIGUSR1, on_late);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);

	/* Unblocking a pending signal delivers it before sigprocmask returns. */
	CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0, "block");
	CHECK(raise(SIGUSR1) == 0, "raise");
	CHECK(late_hits == 0, "blocked signal ran its handler");
	CHECK(sigprocmask(SIG_UNBLOCK, &usr1, NULL) == 0, "unblock");
	CHECK(late_hits == 1, "unblocked signal not delivered at once (%d)", (int)late_hits);

	/* Thread-directed and process-directed, from another thread, while
	 * the target spins in user mode. */
	for (int pd = 0; pd < 2; pd++) {
		int want = late_hits + 1;

		a = (struct late_arg){ .target = pthread_self(), .process_directed = pd };
		CHECK(pthread_create(&th, NULL, late_sender, &a) == 0, "pthread_create");
		a.ready = 1;
		CHECK(spin_for_hits(want), "signal from a thread (%s) not delivered",
		      pd ? "kill" : "pthread_kill");
		CHECK(pthread_join(th, NULL) == 0, "pthread_join");
	}

	/* From another process, while the target spins. */
	{
		int want = late_hits + 1, status;
		pid_t parent = getpid(), child = fork();

		CHECK(child >= 0, "fork");
		if (child == 0) {
			usleep(20000);
			kill(parent, SIGUSR1);
			_exit(0);
		}
		CHECK(spin_for_hits(want), "signal from another process not delivered");
		CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status), "child");
	}

	/* Process-directed, blocked by this thread: the other thread takes it. */
	{
		volatile int ready = 0;
		int want = late_hits + 1;
		pid_t me = (pid_t)syscall(SYS_gettid);

		CHECK(pthread_create(&th, NULL, late_taker, (void *)&ready) == 0, "pthread_create");
		CHECK(pthread_sigmask(SIG_BLOCK, &usr1, NULL) == 0, "block");
		while (!ready)
			sched_yield();
		CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
		CHECK(spin_for_hits(want), "no thread took the process-directed signal");
		CHECK(late_tid != me, "the blocking thread took the signal");
		CHECK(pthread_join(th, NULL) == 0, "pthread_join");
		CHECK(pthread_sigmask(SIG_SETMASK, &none, NULL) == 0, "unblock");
	}
	signal(SIGUSR1, SIG_DFL);
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

	check_late_signals();
	printf("signal_handler: ok\n");
	return 0;
}
