/* fork + wait4: exit codes, death by SIGKILL and SIGSEGV, WNOHANG, ECHILD. */
#include "common.h"
#include <time.h>

static void die_by_sigkill(void *arg)
{
	(void)arg;
	kill(getpid(), SIGKILL);
	for (;;)
		;
}

static void die_by_segv(void *arg)
{
	(void)arg;
	*(volatile int *)launder_ptr(16) = 1;
}

int main(void)
{
	static const int codes[] = { 0, 1, 42, 255 };
	int status;

	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0)
			_exit(codes[i]);
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == codes[i],
		      "exit(%d) gave status 0x%x", codes[i], status);
	}

	expect_killed_by(run_in_child(die_by_sigkill, NULL), SIGKILL, "kill(self, SIGKILL)");
	expect_killed_by(run_in_child(die_by_segv, NULL), SIGSEGV, "write to address 16");

	/* Several children, reaped in any order by wait(). */
	pid_t kids[5];
	for (int i = 0; i < 5; i++) {
		kids[i] = fork();
		CHECK(kids[i] >= 0, "fork");
		if (kids[i] == 0)
			_exit(10 + i);
	}
	int seen = 0;
	for (int n = 0; n < 5; n++) {
		pid_t pid = wait(&status);
		CHECK(pid > 0, "wait");
		for (int i = 0; i < 5; i++)
			if (kids[i] == pid) {
				CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 10 + i,
				      "child %d status 0x%x", i, status);
				seen |= 1 << i;
			}
	}
	CHECK(seen == 0x1f, "reaped set 0x%x", seen);

	/* WNOHANG on a child still sleeping returns 0. */
	pid_t slow = fork();
	CHECK(slow >= 0, "fork");
	if (slow == 0) {
		struct timespec ts = { 0, 300 * 1000 * 1000 };
		nanosleep(&ts, NULL);
		_exit(7);
	}
	CHECK(waitpid(slow, &status, WNOHANG) == 0, "WNOHANG on a running child");
	CHECK(waitpid(slow, &status, 0) == slow && WIFEXITED(status) && WEXITSTATUS(status) == 7,
	      "slow child status 0x%x", status);

	CHECK_ERRNO(wait(&status), ECHILD);
	CHECK_ERRNO(waitpid(getpid(), &status, 0), ECHILD);
	return 0;
}
