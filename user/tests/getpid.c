/* getpid/getppid/gettid relations across fork. */
#include "common.h"
#include <sys/syscall.h>

int main(void)
{
	pid_t me = getpid();
	int status;

	CHECK(me > 0, "getpid %d", (int)me);
	CHECK(getppid() > 0 || me == 1, "getppid %d", (int)getppid());
	CHECK(syscall(SYS_gettid) == me, "gettid %ld != getpid %d", syscall(SYS_gettid), (int)me);

	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (getppid() != me)
			_exit(2);
		if (getpid() == me)
			_exit(3);
		if (syscall(SYS_gettid) != getpid())
			_exit(4);
		/* The child reports its own pid's low byte through the exit code. */
		_exit((getpid() & 0x7f) | 0x80);
	}
	CHECK(pid != me, "fork returned my own pid");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status), "status 0x%x", status);
	CHECK(WEXITSTATUS(status) == ((pid & 0x7f) | 0x80),
	      "child exit %d: 2 = wrong getppid, 3 = same pid as parent, 4 = gettid, else pid mismatch",
	      WEXITSTATUS(status));
	CHECK(getpid() == me, "getpid changed");

	/* Distinct pids for concurrent children. */
	pid_t kids[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0, "fork");
		if (kids[i] == 0)
			_exit(0);
		for (int j = 0; j < i; j++)
			CHECK(kids[i] != kids[j], "two children with pid %d", (int)kids[i]);
	}
	for (int i = 0; i < 4; i++)
		CHECK(waitpid(kids[i], &status, 0) == kids[i], "waitpid");
	return 0;
}
