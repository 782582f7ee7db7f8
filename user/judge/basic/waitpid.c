/* waitpid: one chosen child among two; WNOHANG while it runs. */
#include "judge_test.h"
#include <signal.h>
#include <sys/wait.h>

int main(void)
{
	int status;
	jt_begin("waitpid");
	pid_t slow = fork();
	if (slow == 0) {
		pause();
		_exit(0);
	}
	pid_t quick = fork();
	if (quick == 0)
		_exit(5);
	JT_CHECK(waitpid(quick, &status, 0) == quick && WEXITSTATUS(status) == 5);
	JT_CHECK(waitpid(slow, &status, WNOHANG) == 0);
	kill(slow, SIGKILL);
	JT_CHECK(waitpid(slow, &status, 0) == slow && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return jt_end();
}
