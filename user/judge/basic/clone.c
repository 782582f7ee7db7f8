/* clone: a child on its own stack runs and is waited for. */
#include "judge_test.h"
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static volatile int seen;

static int child(void *arg)
{
	(void)arg;
	seen = 1; /* no CLONE_VM: only the exit status comes back */
	return 7;
}

int main(void)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int status;
	jt_begin("clone");
	pid_t pid = clone(child, stack + sizeof(stack), SIGCHLD, NULL);
	JT_CHECK(pid > 0);
	JT_CHECK(waitpid(pid, &status, 0) == pid);
	JT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	JT_CHECK(seen == 0);
	return jt_end();
}
