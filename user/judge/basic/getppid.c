/* getppid: a child's parent is us. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	jt_begin("getppid");
	int status;
	pid_t pid = fork();
	if (pid == 0)
		_exit(getppid() == getppid() ? (getppid() % 200) + 1 : 0);
	JT_CHECK(waitpid(pid, &status, 0) == pid);
	JT_CHECK(WEXITSTATUS(status) == (getpid() % 200) + 1);
	JT_CHECK(getppid() > 0);
	return jt_end();
}
