/*
 * getpriority/setpriority: nice values of a process, a process group and
 * a user; clamping to -20..19; fork inherits; Linux's errors: EINVAL for a
 * bad "which", ESRCH for nobody, EACCES to lower a nice value without
 * privilege or RLIMIT_NICE, EPERM to touch another user's process.
 */
#include "common.h"
#include <sys/resource.h>

/* Fields 18 and 19 of /proc/self/stat: priority (20 + nice) and nice. */
static void stat_nice(int *prio, int *nice)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	CHECK(f && fgets(buf, sizeof(buf), f), "read /proc/self/stat");
	fclose(f);
	char *p = strrchr(buf, ')');
	CHECK(p, "no comm in %s", buf);
	/* after ") ": state is field 3; priority is field 18 */
	CHECK(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %d %d",
		     prio, nice) == 2, "parse %s", buf);
}

static int nice_of(int which, id_t who)
{
	errno = 0;
	int n = getpriority(which, who);
	CHECK(n != -1 || errno == 0, "getpriority(%d, %d)", which, (int)who);
	return n;
}

int main(void)
{
	CHECK(nice_of(PRIO_PROCESS, 0) == 0, "initial nice %d", nice_of(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, 0, 5) == 0, "setpriority 5");
	CHECK(nice_of(PRIO_PROCESS, 0) == 5, "nice after set: %d", nice_of(PRIO_PROCESS, 0));
	CHECK(nice_of(PRIO_PROCESS, (id_t)getpid()) == 5, "by pid");
	CHECK(setpriority(PRIO_PROCESS, 0, 100) == 0, "setpriority 100");
	CHECK(nice_of(PRIO_PROCESS, 0) == 19, "clamped to 19: %d", nice_of(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, 0, -100) == 0, "setpriority -100 (root)");
	CHECK(nice_of(PRIO_PROCESS, 0) == -20, "clamped to -20: %d", nice_of(PRIO_PROCESS, 0));
	CHECK(setpriority(PRIO_PROCESS, 0, 3) == 0, "setpriority 3");
	int prio, nice;
	stat_nice(&prio, &nice);
	/* (qemu-user makes up its own /proc/self/stat, zeros there) */
	CHECK((prio == 23 && nice == 3) || under_qemu_user(), "/proc/self/stat: priority %d nice %d",
	      prio, nice);

	CHECK_ERRNO(getpriority(7, 0), EINVAL);
	CHECK_ERRNO(setpriority(-1, 0, 0), EINVAL);
	CHECK_ERRNO(getpriority(PRIO_PROCESS, 999999), ESRCH);
	CHECK_ERRNO(setpriority(PRIO_PROCESS, 999999, 1), ESRCH);

	/* A process group: set through the group, seen through the pid. */
	/* (a session leader, as when run as init, already leads its group) */
	CHECK(setpgid(0, 0) == 0 || (errno == EPERM && getsid(0) == getpid()), "setpgid");
	CHECK(setpriority(PRIO_PGRP, 0, 4) == 0, "PRIO_PGRP set");
	CHECK(nice_of(PRIO_PGRP, (id_t)getpgrp()) == 4, "PRIO_PGRP get");
	CHECK(nice_of(PRIO_PROCESS, 0) == 4, "the group's member");
	/* A user: every process of uid 0 here; the highest priority wins. */
	CHECK(nice_of(PRIO_USER, 0) <= 4, "PRIO_USER: %d", nice_of(PRIO_USER, 0));

	int pipefd[2];
	CHECK(pipe(pipefd) == 0, "pipe");
	fflush(NULL);
	pid_t child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		CHECK(nice_of(PRIO_PROCESS, 0) == 4, "fork inherits: %d", nice_of(PRIO_PROCESS, 0));
		struct rlimit rl = { 0, 0 };
		CHECK(setrlimit(RLIMIT_NICE, &rl) == 0, "RLIMIT_NICE 0");
		CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid");
		CHECK(setpriority(PRIO_PROCESS, 0, 10) == 0, "raising is allowed");
		CHECK(nice_of(PRIO_PROCESS, 0) == 10, "raised");
		CHECK_ERRNO(setpriority(PRIO_PROCESS, 0, 5), EACCES);
		CHECK(nice_of(PRIO_PROCESS, 0) == 10, "unchanged after EACCES");
		CHECK_ERRNO(setpriority(PRIO_PROCESS, getppid(), 6), EPERM);
		/* reading another user's value is allowed */
		CHECK(nice_of(PRIO_PROCESS, (id_t)getppid()) == 4, "read the parent's");
		_exit(0);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	CHECK(nice_of(PRIO_PROCESS, 0) == 4, "parent unchanged");
	/* root may change another user's process and lower its value */
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		CHECK(setresuid(1000, 1000, 1000) == 0, "setresuid");
		char c;
		close(pipefd[1]);
		(void)!read(pipefd[0], &c, 1);
		_exit(nice_of(PRIO_PROCESS, 0) == -3 ? 0 : 1);
	}
	close(pipefd[0]);
	/* the child may not have dropped to uid 1000 yet: root may act either way */
	CHECK(setpriority(PRIO_PROCESS, (id_t)child, -3) == 0, "root lowers a child");
	CHECK(write(pipefd[1], "x", 1) == 1, "write");
	CHECK(waitpid(child, &status, 0) == child, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child saw nice -3: 0x%x", status);
	puts("sys_priority: ok");
	return 0;
}
