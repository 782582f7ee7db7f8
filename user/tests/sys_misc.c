/*
 * Small process calls: getrusage (CPU time grows, children's time after
 * wait, the errors), getcpu, personality (query, set, inherited by fork),
 * membarrier (query, registration, EPERM before it, EINVAL).
 */
#include "common.h"
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>

static const char *self_path; /* argv[0]: this program */

static long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000L + tv.tv_usec;
}

static long elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

/* ms of this process's CPU time, not of wall time: on a loaded host a
 * wall-clock burn got too little CPU and the rusage checks below failed
 * (natively and under qemu-user too). At most 10 s of wall time. */
static void burn(long ms)
{
	struct timespec a, b, wa, wb;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	clock_gettime(CLOCK_MONOTONIC, &wa);
	do {
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
		clock_gettime(CLOCK_MONOTONIC, &wb);
	} while (elapsed_ms(&a, &b) < ms && elapsed_ms(&wa, &wb) < 10000);
}

static void rusage(void)
{
	struct rusage r0, r1, rc;
	CHECK(getrusage(RUSAGE_SELF, &r0) == 0, "getrusage");
	burn(60);
	CHECK(getrusage(RUSAGE_SELF, &r1) == 0, "getrusage again");
	long used = tv_us(r1.ru_utime) + tv_us(r1.ru_stime) - tv_us(r0.ru_utime) - tv_us(r0.ru_stime);
	CHECK(used >= 30000, "60 ms of work counted as %ld us", used);
	CHECK(r1.ru_maxrss > 0, "ru_maxrss %ld", r1.ru_maxrss);
	CHECK(getrusage(RUSAGE_THREAD, &r1) == 0, "RUSAGE_THREAD");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		burn(60);
		_exit(0);
	}
	CHECK(waitpid(pid, NULL, 0) == pid, "wait");
	CHECK(getrusage(RUSAGE_CHILDREN, &rc) == 0, "RUSAGE_CHILDREN");
	CHECK(tv_us(rc.ru_utime) + tv_us(rc.ru_stime) >= 30000, "children's time %ld",
	      tv_us(rc.ru_utime) + tv_us(rc.ru_stime));
	CHECK_ERRNO(getrusage(7, &r1), EINVAL);
	CHECK_ERRNO(getrusage(RUSAGE_SELF, launder_ptr(8)), EFAULT);
}

static void cpu_and_persona(void)
{
	unsigned cpu = 999, node = 999;
	CHECK(syscall(SYS_getcpu, &cpu, &node, NULL) == 0, "getcpu");
	CHECK(cpu < 1024 && node == 0, "cpu %u node %u", cpu, node);
	CHECK(syscall(SYS_getcpu, NULL, NULL, NULL) == 0, "getcpu with NULLs");
	CHECK_ERRNO(syscall(SYS_getcpu, launder_ptr(8), NULL, NULL), EFAULT);
	CHECK(sched_getcpu() >= 0, "sched_getcpu");

	int old = personality(0xffffffff);
	CHECK(old == PER_LINUX, "PER_LINUX at start (%#x)", old);
	CHECK(personality(PER_LINUX | ADDR_NO_RANDOMIZE) == PER_LINUX, "set");
	CHECK(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE), "query");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE) ? 0 : 1);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "inherited by fork");
	/* ADDR_NO_RANDOMIZE: two runs of a program see the same stack. */
	unsigned long where[2];
	for (int i = 0; i < 2; i++) {
		int fds[2];
		CHECK(pipe(fds) == 0, "pipe");
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			dup2(fds[1], 1);
			char *argv[] = { "sys_misc", "--print-stack", NULL };
			test_execve(self_path, argv, environ);
			_exit(127);
		}
		close(fds[1]);
		char buf[64] = { 0 };
		CHECK(read(fds[0], buf, sizeof(buf) - 1) > 0, "read the child's stack address");
		close(fds[0]);
		waitpid(pid, NULL, 0);
		where[i] = strtoul(buf, NULL, 16);
	}
	CHECK(where[0] && where[0] == where[1], "stack at %#lx then %#lx", where[0], where[1]);
	CHECK(personality(PER_LINUX) == (PER_LINUX | ADDR_NO_RANDOMIZE), "back");
}

static void membarrier(void)
{
	long mask = syscall(SYS_membarrier, 0 /* QUERY */, 0, 0);
	CHECK(mask > 0 && (mask & 1) && (mask & 8) && (mask & 16), "QUERY %#lx", mask);
	CHECK(syscall(SYS_membarrier, 1 /* GLOBAL */, 0, 0) == 0, "GLOBAL");
	CHECK_ERRNO(syscall(SYS_membarrier, 8 /* PRIVATE_EXPEDITED */, 0, 0), EPERM);
	CHECK(syscall(SYS_membarrier, 16 /* REGISTER_PRIVATE_EXPEDITED */, 0, 0) == 0, "register");
	CHECK(syscall(SYS_membarrier, 8, 0, 0) == 0, "PRIVATE_EXPEDITED");
	CHECK_ERRNO(syscall(SYS_membarrier, 3, 0, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_membarrier, 0, 1, 0), EINVAL);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--print-stack")) {
		int local;
		printf("%lx\n", (unsigned long)&local);
		return 0;
	}
	self_path = argv[0];
	rusage();
	cpu_and_persona();
	membarrier();
	printf("sys_misc: ok\n");
	return 0;
}
