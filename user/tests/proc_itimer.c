/*
 * alarm, setitimer and getitimer (issue 8, item 12): ITIMER_REAL sends
 * SIGALRM after wall-clock time (once, or every interval), ITIMER_VIRTUAL
 * SIGVTALRM and ITIMER_PROF SIGPROF after CPU time; getitimer reads what is
 * left; alarm returns the seconds left of the previous one; the default
 * action kills; a child of fork starts with no timer and execve keeps them;
 * bad arguments give EINVAL/EFAULT.
 */
#include "common.h"
#include <sys/time.h>
#include <time.h>

extern char **environ;

static volatile sig_atomic_t got[65];

static void on_signal(int sig)
{
	got[sig]++;
}

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(sig, &sa, NULL) == 0, "sigaction(%d)", sig);
}

static void arm(int which, long value_us, long interval_us)
{
	struct itimerval v = {
		.it_interval = { interval_us / 1000000, interval_us % 1000000 },
		.it_value = { value_us / 1000000, value_us % 1000000 },
	};
	CHECK(setitimer(which, &v, NULL) == 0, "setitimer(%d)", which);
}

static long left_us(int which)
{
	struct itimerval v;

	CHECK(getitimer(which, &v) == 0, "getitimer(%d)", which);
	return v.it_value.tv_sec * 1000000L + v.it_value.tv_usec;
}

static void test_alarm(void)
{
	CHECK(alarm(0) == 0, "alarm(0) with none armed");
	CHECK(alarm(5) == 0, "alarm(5)");
	long us = left_us(ITIMER_REAL);
	CHECK(us > 4000000 && us <= 5000000, "alarm(5) left %ld us", us);
	CHECK(alarm(2) == 5, "alarm(2) after alarm(5)");
	CHECK(alarm(0) == 2, "alarm(0) after alarm(2)");
	CHECK(left_us(ITIMER_REAL) == 0, "alarm(0) left the timer armed");
}

/* One-shot and periodic ITIMER_REAL, waking pause(). */
static void test_real(void)
{
	struct itimerval v, old;

	catch(SIGALRM);
	got[SIGALRM] = 0;
	double start = now_ms();
	arm(ITIMER_REAL, 50000, 0);
	while (!got[SIGALRM] && now_ms() - start < 5000)
		pause();
	double took = now_ms() - start;
	CHECK(got[SIGALRM] == 1, "one-shot ITIMER_REAL: %d SIGALRM", got[SIGALRM]);
	CHECK(took >= 49 && took < 2000, "one-shot ITIMER_REAL after %.1f ms", took);
	CHECK(left_us(ITIMER_REAL) == 0, "one-shot ITIMER_REAL still armed");

	got[SIGALRM] = 0;
	start = now_ms();
	arm(ITIMER_REAL, 20000, 20000);
	CHECK(getitimer(ITIMER_REAL, &v) == 0, "getitimer");
	CHECK(v.it_interval.tv_sec == 0 && v.it_interval.tv_usec == 20000,
	      "interval %ld.%06ld", (long)v.it_interval.tv_sec, (long)v.it_interval.tv_usec);
	CHECK(v.it_value.tv_sec == 0 && v.it_value.tv_usec > 0 && v.it_value.tv_usec <= 20000,
	      "value %ld.%06ld", (long)v.it_value.tv_sec, (long)v.it_value.tv_usec);
	while (got[SIGALRM] < 3 && now_ms() - start < 5000)
		pause();
	took = now_ms() - start;
	CHECK(got[SIGALRM] >= 3, "periodic ITIMER_REAL: %d SIGALRM", got[SIGALRM]);
	CHECK(took >= 59, "three periods of 20 ms in %.1f ms", took);
	memset(&v, 0, sizeof(v));
	CHECK(setitimer(ITIMER_REAL, &v, &old) == 0, "disarm");
	CHECK(old.it_interval.tv_usec == 20000, "old interval %ld", (long)old.it_interval.tv_usec);
	CHECK(left_us(ITIMER_REAL) == 0, "disarmed ITIMER_REAL still armed");
}

/* ITIMER_VIRTUAL / ITIMER_PROF: CPU time, spent spinning here. */
static void test_cpu(int which, int sig)
{
	catch(sig);
	got[sig] = 0;
	arm(which, 30000, 0);
	long us = left_us(which);
	/* Linux adds a tick to the CPU timers (at most 10 ms at 100 Hz). */
	CHECK(us > 0 && us <= 40000, "timer %d left %ld us", which, us);
	double start = now_ms();
	while (!got[sig] && now_ms() - start < 10000)
		;
	CHECK(got[sig] == 1, "timer %d: signal %d not sent after %.0f ms", which, sig,
	      now_ms() - start);
	CHECK(now_ms() - start >= 25, "timer %d fired after %.1f ms", which, now_ms() - start);
	CHECK(left_us(which) == 0, "one-shot timer %d still armed", which);
}

static void die_by_alarm(void *arg)
{
	(void)arg;
	signal(SIGALRM, SIG_DFL);
	arm(ITIMER_REAL, 10000, 0);
	for (;;)
		pause();
}

static void test_errors(void)
{
	struct itimerval v = { .it_value = { 0, 1000000 } };

	CHECK_ERRNO(setitimer(ITIMER_REAL, &v, NULL), EINVAL);
	v.it_value.tv_usec = -1;
	CHECK_ERRNO(setitimer(ITIMER_REAL, &v, NULL), EINVAL);
	v.it_value.tv_usec = 0;
	v.it_value.tv_sec = -1;
	CHECK_ERRNO(setitimer(ITIMER_PROF, &v, NULL), EINVAL);
	CHECK_ERRNO(setitimer((__itimer_which_t)7, &v, NULL), EINVAL);
	CHECK_ERRNO(getitimer((__itimer_which_t)-1, &v), EINVAL);
	CHECK_ERRNO(getitimer(ITIMER_REAL, launder_ptr(8)), EFAULT);
}

/* fork: the child has no timer; execve: the timer stays. */
static void test_fork_exec(const char *self)
{
	int status;

	arm(ITIMER_REAL, 10000000, 0);
	arm(ITIMER_VIRTUAL, 10000000, 0);
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (left_us(ITIMER_REAL) != 0 || left_us(ITIMER_VIRTUAL) != 0)
			_exit(2);
		arm(ITIMER_REAL, 8000000, 0);
		char *const argv[] = { (char *)self, "check-exec", NULL };
		test_execve(self, argv, environ);
		_exit(3);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork/exec child status 0x%x",
	      status);
	arm(ITIMER_REAL, 0, 0);
	arm(ITIMER_VIRTUAL, 0, 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "check-exec") == 0) {
		long us = left_us(ITIMER_REAL);
		return us > 0 && us <= 8000000 ? 0 : 4;
	}
	test_alarm();
	test_real();
	test_cpu(ITIMER_VIRTUAL, SIGVTALRM);
	test_cpu(ITIMER_PROF, SIGPROF);
	expect_killed_by(run_in_child(die_by_alarm, NULL), SIGALRM, "ITIMER_REAL, no handler");
	test_errors();
	test_fork_exec(argv[0]);
	return 0;
}
