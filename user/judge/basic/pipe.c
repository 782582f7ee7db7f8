/* pipe: parent writes, child reads, end of file after the last writer. */
#include "judge_test.h"
#include <sys/wait.h>

int main(void)
{
	int p[2], status;
	jt_begin("pipe");
	JT_CHECK(pipe(p) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		char buf[32] = { 0 };
		close(p[1]);
		ssize_t n = read(p[0], buf, sizeof(buf) - 1);
		ssize_t eof = read(p[0], buf + 20, 1);
		_exit(n == 19 && !strncmp(buf, "Write to pipe okay.", 19) && eof == 0 ? 0 : 1);
	}
	close(p[0]);
	JT_CHECK(write(p[1], "Write to pipe okay.", 19) == 19);
	close(p[1]);
	JT_CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return jt_end();
}
