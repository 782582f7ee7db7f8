/*
 * Real-time scheduling classes: sched_setscheduler and friends with
 * Linux's errors and permission rules (RLIMIT_RTPRIO, SCHED_RESET_ON_FORK),
 * sched_setattr/getattr, and the behaviour on one CPU: a woken
 * higher-priority task preempts, an equal one waits for sched_yield, a
 * normal task waits for a FIFO one, SCHED_RR tasks take turns, and a
 * spinning FIFO task is throttled so a normal one still runs.
 * Every process here is pinned to the CPU the test starts on; the
 * spinning parts last well under half a second each, except the throttling one
 * (up to ~2 s).
 */
#include "common.h"
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

struct sched_attr_v0 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

static volatile long *shared; /* MAP_SHARED page: flags and counters */

static void set_class(int policy, int prio)
{
	struct sched_param sp = { .sched_priority = prio };
	CHECK(sched_setscheduler(0, policy, &sp) == 0, "sched_setscheduler(%d, %d)", policy, prio);
}

static void reap(pid_t pid)
{
	int st;
	CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status 0x%x", st);
}

static void api(void)
{
	struct sched_param sp = { 0 };
	struct timespec ts;

	CHECK(sched_get_priority_max(SCHED_FIFO) == 99 && sched_get_priority_min(SCHED_FIFO) == 1,
	      "FIFO range");
	CHECK(sched_get_priority_max(SCHED_RR) == 99 && sched_get_priority_min(SCHED_RR) == 1,
	      "RR range");
	CHECK(sched_get_priority_max(SCHED_OTHER) == 0 && sched_get_priority_min(SCHED_OTHER) == 0,
	      "OTHER range");
	CHECK(sched_get_priority_max(SCHED_BATCH) == 0 && sched_get_priority_max(SCHED_IDLE) == 0,
	      "BATCH/IDLE range");
	CHECK_ERRNO(sched_get_priority_max(42), EINVAL);
	CHECK_ERRNO(sched_get_priority_min(-1), EINVAL);

	CHECK(sched_getscheduler(0) == SCHED_OTHER, "starts SCHED_OTHER");
	CHECK(sched_getparam(0, &sp) == 0 && sp.sched_priority == 0, "priority 0");
	CHECK_ERRNO(sched_getscheduler(-1), EINVAL);
	CHECK_ERRNO(sched_getscheduler(999999), ESRCH);
	CHECK_ERRNO(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getparam, 0, launder_ptr(8)), EFAULT);

	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, -1, SCHED_FIFO, &sp), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, -1, &sp), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, launder_ptr(8)), EFAULT);
	sp.sched_priority = 0;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL);
	sp.sched_priority = 100;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &sp), EINVAL);
	sp.sched_priority = 5;
	CHECK_ERRNO(sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL);
	CHECK_ERRNO(sched_setscheduler(0, 42, &sp), EINVAL);
	CHECK_ERRNO(sched_setscheduler(999999, SCHED_FIFO, &sp), ESRCH);

	set_class(SCHED_FIFO, 10);
	CHECK(sched_getscheduler(0) == SCHED_FIFO, "FIFO set");
	CHECK(sched_getparam(0, &sp) == 0 && sp.sched_priority == 10, "FIFO 10");
	CHECK(sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec == 0,
	      "FIFO has no slice");
	set_class(SCHED_RR, 5);
	CHECK(sched_rr_get_interval(0, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec > 0,
	      "RR slice %ld.%09ld", (long)ts.tv_sec, ts.tv_nsec);
	CHECK_ERRNO(sched_rr_get_interval(-1, &ts), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_rr_get_interval, 0, launder_ptr(8)), EFAULT);
	sp.sched_priority = 7;
	CHECK(sched_setparam(0, &sp) == 0, "setparam");
	CHECK(sched_getscheduler(0) == SCHED_RR && sched_getparam(0, &sp) == 0 &&
	      sp.sched_priority == 7, "setparam keeps RR, priority 7");
	sp.sched_priority = 0;
	CHECK_ERRNO(sched_setparam(0, &sp), EINVAL);

	/* sched_getattr / sched_setattr */
	struct sched_attr_v0 a;
	memset(&a, 0xff, sizeof(a));
	CHECK(syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) == 0, "getattr");
	CHECK(a.size == 48 && a.sched_policy == SCHED_RR && a.sched_priority == 7 &&
	      a.sched_flags == 0, "getattr: size %u policy %u prio %u", a.size, a.sched_policy,
	      a.sched_priority);
	CHECK_ERRNO(syscall(SYS_sched_getattr, 0, &a, 16, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getattr, 0, &a, sizeof(a), 1), EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.sched_policy = SCHED_FIFO;
	a.sched_priority = 3;
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr FIFO 3");
	CHECK(sched_getscheduler(0) == SCHED_FIFO && sched_getparam(0, &sp) == 0 &&
	      sp.sched_priority == 3, "setattr took");
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, &a, 1), EINVAL);
	a.sched_priority = 0;
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, &a, 0), EINVAL);
	a.size = 8;
	CHECK_ERRNO(syscall(SYS_sched_setattr, 0, &a, 0), E2BIG);
	CHECK(a.size >= 48, "E2BIG writes the known size back (%u)", a.size);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	CHECK(syscall(SYS_sched_setattr, 0, &a, 0) == 0, "setattr OTHER");
	CHECK(sched_getscheduler(0) == SCHED_OTHER, "back to OTHER");
}

static void reset_on_fork(void)
{
	struct sched_param sp = { .sched_priority = 12 };
	pid_t pid;

	CHECK(sched_setscheduler(0, SCHED_FIFO, &sp) == 0, "FIFO 12");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sched_param c;
		if (sched_getscheduler(0) != SCHED_FIFO || sched_getparam(0, &c) || c.sched_priority != 12)
			_exit(2);
		_exit(0);
	}
	reap(pid);
	CHECK(sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) == 0, "RESET_ON_FORK");
	CHECK(sched_getscheduler(0) == (SCHED_FIFO | SCHED_RESET_ON_FORK), "flag reported");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct sched_param c;
		if (sched_getscheduler(0) != SCHED_OTHER || sched_getparam(0, &c) || c.sched_priority)
			_exit(3);
		_exit(0);
	}
	reap(pid);
	sp.sched_priority = 0;
	CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0, "back to OTHER");
}

static void unprivileged(void)
{
	pid_t pid = fork();

	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct rlimit rl = { 5, 5 };
		struct sched_param sp = { .sched_priority = 1 };

		/* A container may forbid raising the hard limit: then only
		 * the zero limit is checked. */
		bool raised = setrlimit(RLIMIT_RTPRIO, &rl) == 0;

		CHECK(setuid(65534) == 0, "setuid");
		CHECK_ERRNO(sched_setscheduler(1, SCHED_OTHER, &(struct sched_param){ 0 }), EPERM);
		sp.sched_priority = 6;
		CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &sp), EPERM);
		if (raised) {
			sp.sched_priority = 5;
			CHECK(sched_setscheduler(0, SCHED_FIFO, &sp) == 0, "FIFO 5 within the limit");
			sp.sched_priority = 2;
			CHECK(sched_setparam(0, &sp) == 0, "lowering");
			rl.rlim_cur = rl.rlim_max = 0;
			CHECK(setrlimit(RLIMIT_RTPRIO, &rl) == 0, "RLIMIT_RTPRIO 0");
			sp.sched_priority = 3;
			CHECK_ERRNO(sched_setparam(0, &sp), EPERM);
			CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &sp), EPERM);
			sp.sched_priority = 0;
			CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0, "dropping to OTHER");
		} else {
			printf("sched_rt: RLIMIT_RTPRIO cannot be raised here, limit 0 only\n");
		}
		sp.sched_priority = 1;
		CHECK_ERRNO(sched_setscheduler(0, SCHED_FIFO, &sp), EPERM);
		CHECK_ERRNO(sched_setscheduler(0, SCHED_RR, &sp), EPERM);
		_exit(0);
	}
	reap(pid);
}

/* A woken FIFO 20 task preempts its FIFO 10 waker before write returns;
 * a woken FIFO 10 one waits until its waker yields. */
static void preemption(int child_prio)
{
	int p[2];
	pid_t pid;
	char c = 'x';

	CHECK(pipe(p) == 0, "pipe");
	shared[0] = 0;
	set_class(SCHED_FIFO, 10);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		set_class(SCHED_FIFO, child_prio);
		shared[1] = 1; /* about to block */
		if (read(p[0], &c, 1) != 1)
			_exit(4);
		shared[0] = 1;
		_exit(0);
	}
	/* Let the child block in read (it runs when this one sleeps). */
	while (!shared[1])
		usleep(1000);
	usleep(20000);
	CHECK(write(p[1], &c, 1) == 1, "write");
	if (child_prio > 10) {
		CHECK(shared[0] == 1, "FIFO %d did not preempt FIFO 10", child_prio);
	} else {
		CHECK(shared[0] == 0, "FIFO %d ran before FIFO 10 yielded", child_prio);
		sched_yield();
		CHECK(shared[0] == 1, "FIFO %d did not run at sched_yield", child_prio);
	}
	set_class(SCHED_OTHER, 0);
	reap(pid);
	shared[1] = 0;
	close(p[0]);
	close(p[1]);
}

/* A normal child does not run beside a spinning FIFO parent (briefly). */
static void fifo_before_other(void)
{
	pid_t pid;
	double end;

	shared[0] = 0;
	set_class(SCHED_FIFO | SCHED_RESET_ON_FORK, 10);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		shared[0] = 1;
		_exit(0);
	}
	end = monotonic_seconds() + 0.2;
	while (monotonic_seconds() < end)
		CHECK(shared[0] == 0, "SCHED_OTHER child ran beside a FIFO parent");
	set_class(SCHED_OTHER, 0);
	reap(pid);
	CHECK(shared[0] == 1, "child ran at last");
}

/* Two SCHED_RR tasks of one priority take turns within a few slices;
 * the same pair under SCHED_FIFO does not. */
static void round_robin(int policy)
{
	pid_t pid;
	double end;

	shared[2] = shared[3] = 0;
	set_class(policy, 10);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		double e = monotonic_seconds() + 0.35;
		while (monotonic_seconds() < e && !shared[4])
			shared[3]++;
		_exit(0);
	}
	end = monotonic_seconds() + 0.35;
	while (monotonic_seconds() < end)
		shared[2]++;
	long other = shared[3];
	shared[4] = 1; /* the child stops at once */
	set_class(SCHED_OTHER, 0);
	reap(pid);
	shared[4] = 0;
	if (policy == SCHED_RR)
		CHECK(other > 0, "SCHED_RR peer never ran in 0.35 s");
	else
		CHECK(other == 0, "SCHED_FIFO peer ran (%ld) before the first one blocked", other);
}

/* Throttling: a FIFO task spinning for good still leaves the normal
 * tasks of its CPU some time (950 ms of every second by default). */
static void throttling(void)
{
	FILE *f = fopen("/proc/sys/kernel/sched_rt_runtime_us", "r");
	long runtime = 950000;
	pid_t pid;
	double end;

	if (f) {
		if (fscanf(f, "%ld", &runtime) != 1)
			runtime = 950000;
		fclose(f);
	}
	if (runtime < 0) {
		printf("sched_rt: throttling off on this system, not checked\n");
		return;
	}
	shared[0] = 0;
	set_class(SCHED_FIFO | SCHED_RESET_ON_FORK, 10);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		shared[0] = 1;
		_exit(0);
	}
	end = monotonic_seconds() + 3.0;
	while (!shared[0] && monotonic_seconds() < end)
		;
	set_class(SCHED_OTHER, 0);
	CHECK(shared[0] == 1, "a normal task never ran beside a spinning FIFO one in 3 s");
	reap(pid);
}

int main(void)
{
	cpu_set_t one;

	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(shared != MAP_FAILED, "mmap");
	api();
	reset_on_fork();
	unprivileged();

	/* Everything below on one CPU. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	CHECK(sched_setaffinity(0, sizeof(one), &one) == 0, "pin");
	preemption(20);
	preemption(10);
	fifo_before_other();
	round_robin(SCHED_RR);
	round_robin(SCHED_FIFO);
	throttling();
	printf("sched_rt: ok\n");
	return 0;
}
