/* wait: any child; none left is ECHILD. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	int status;
	jt_begin("wait");
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	JT_CHECK(wait(&status) == pid && WIFEXITED(status));
	JT_CHECK(wait(&status) == -1 && errno == ECHILD);
	return jt_end();
}
