/* fork: the child has its own copy of memory and a new pid. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	jt_begin("fork");
	int value = 1, status, p[2];
	JT_CHECK(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		value = 2;
		pid_t me = getpid();
		write(p[1], &me, sizeof(me));
		_exit(value);
	}
	pid_t childs;
	JT_CHECK(pid > 0);
	JT_CHECK(read(p[0], &childs, sizeof(childs)) == sizeof(childs) && childs == pid);
	JT_CHECK(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == 2);
	JT_CHECK(value == 1);
	return jt_end();
}
