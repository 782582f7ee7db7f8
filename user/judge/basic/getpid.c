/* getpid: positive, stable, and what the parent's fork returned. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	jt_begin("getpid");
	pid_t me = getpid();
	JT_CHECK(me > 0 && getpid() == me);
	int p[2], status;
	JT_CHECK(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		pid_t c = getpid();
		write(p[1], &c, sizeof(c));
		_exit(0);
	}
	pid_t c = 0;
	JT_CHECK(read(p[0], &c, sizeof(c)) == sizeof(c) && c == pid && c != me);
	waitpid(pid, &status, 0);
	return jt_end();
}
