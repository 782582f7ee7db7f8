/* exit: the status a child gives is the status its parent sees. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	jt_begin("exit");
	int status;
	pid_t pid = fork();
	if (pid == 0)
		_exit(3);
	JT_CHECK(waitpid(pid, &status, 0) == pid);
	JT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	return jt_end();
}
