/*
 * POSIX timers (timer_create and friends): a one-shot SIGEV_SIGNAL timer
 * delivers its signal with SI_TIMER and the caller's sigval; a periodic
 * timer keeps firing (read with sigwaitinfo); SIGEV_NONE only counts;
 * SIGEV_THREAD_ID targets one thread; glibc's SIGEV_THREAD runs a
 * function; timer_gettime / the old value / timer_delete; the errors.
 */
#include "common.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

static volatile sig_atomic_t fired;
static volatile int fired_code;
static volatile intptr_t fired_value;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	fired_code = si->si_code;
	fired_value = (intptr_t)si->si_value.sival_ptr;
	fired = 1;
}

static void one_shot_signal(void)
{
	struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1,
			       .sigev_value.sival_ptr = (void *)0x1234 };
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "timer_create");
	struct itimerspec its = { .it_value = { 0, 20000000 } }, cur;
	CHECK(timer_settime(t, 0, &its, NULL) == 0, "timer_settime");
	CHECK(timer_gettime(t, &cur) == 0 && cur.it_value.tv_nsec > 0, "armed");
	for (int i = 0; i < 200 && !fired; i++)
		usleep(5000);
	CHECK(fired && fired_code == SI_TIMER && fired_value == 0x1234,
	      "SIGUSR1 with SI_TIMER (code %d value %#lx)", fired_code, (long)fired_value);
	CHECK(timer_gettime(t, &cur) == 0 && !cur.it_value.tv_sec && !cur.it_value.tv_nsec,
	      "disarmed after one shot");
	CHECK(timer_delete(t) == 0, "timer_delete");
	CHECK_ERRNO(timer_delete(t), EINVAL);
	signal(SIGUSR1, SIG_DFL);
}

static void periodic_sigwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1,
			       .sigev_value.sival_int = 77 };
	timer_t t;
	CHECK(timer_create(CLOCK_REALTIME, &ev, &t) == 0, "timer_create realtime");
	struct itimerspec its = { .it_value = { 0, 10000000 }, .it_interval = { 0, 10000000 } };
	struct itimerspec old;
	CHECK(timer_settime(t, 0, &its, &old) == 0 && !old.it_value.tv_sec && !old.it_value.tv_nsec,
	      "settime periodic");
	for (int i = 0; i < 3; i++) {
		siginfo_t si;
		struct timespec tmo = { 2, 0 };
		CHECK(sigtimedwait(&set, &si, &tmo) == SIGRTMIN + 1, "expiry %d", i);
		CHECK(si.si_code == SI_TIMER && si.si_value.sival_int == 77, "siginfo %d", i);
		CHECK(timer_getoverrun(t) >= 0, "overrun");
	}
	struct itimerspec off = { 0 };
	CHECK(timer_settime(t, 0, &off, &old) == 0 && old.it_interval.tv_nsec == 10000000,
	      "the old interval");
	timer_delete(t);
	/* Drop an expiry that may be left queued. */
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void none_and_absolute(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "SIGEV_NONE");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	struct itimerspec its = { .it_value = { now.tv_sec + 100, now.tv_nsec } }, cur;
	CHECK(timer_settime(t, TIMER_ABSTIME, &its, NULL) == 0, "absolute");
	CHECK(timer_gettime(t, &cur) == 0 && cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100,
	      "about 100 s left (%ld)", (long)cur.it_value.tv_sec);
	timer_delete(t);
}

static volatile int thread_calls;
static void on_thread(union sigval v)
{
	__atomic_add_fetch(&thread_calls, v.sival_int, __ATOMIC_SEQ_CST);
}

static void sigev_thread(void)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_thread,
			       .sigev_value.sival_int = 5 };
	timer_t t;
	CHECK(timer_create(CLOCK_MONOTONIC, &ev, &t) == 0, "SIGEV_THREAD");
	struct itimerspec its = { .it_value = { 0, 10000000 } };
	CHECK(timer_settime(t, 0, &its, NULL) == 0, "settime");
	for (int i = 0; i < 400 && !__atomic_load_n(&thread_calls, __ATOMIC_SEQ_CST); i++)
		usleep(5000);
	CHECK(thread_calls == 5, "the function ran in a thread (%d)", thread_calls);
	timer_delete(t);
}

static void errors(void)
{
	timer_t t;
	struct sigevent ev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0 };
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	ev.sigev_signo = SIGUSR2;
	ev.sigev_notify = 99;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev._sigev_un._tid = 999999;
	CHECK_ERRNO(timer_create(CLOCK_MONOTONIC, &ev, &t), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_create, 12345, NULL, &t), EINVAL);
	int id;
	CHECK_ERRNO(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, launder_ptr(8)), EFAULT);
	CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id) == 0, "default sigevent");
	struct itimerspec bad = { .it_value = { 0, 1000000000 } };
	CHECK_ERRNO(syscall(SYS_timer_settime, id, 0, &bad, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_settime, id + 100, 0, &bad, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_timer_getoverrun, id + 100), EINVAL);
	CHECK(syscall(SYS_timer_delete, id) == 0, "delete");
}

int main(void)
{
	one_shot_signal();
	periodic_sigwait();
	none_and_absolute();
	sigev_thread();
	errors();
	printf("posix_timer: ok\n");
	return 0;
}
