/* execve: a child runs this program again with an argument and exits 42;
 * a missing program is ENOENT. */
#include "judge_test.h"
#include <sys/wait.h>

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "again"))
		return 42;
	jt_begin("execve");
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		char *const args[] = { argv[0], "again", NULL };
		execve("/proc/self/exe", args, NULL);
		execve(argv[0], args, NULL);
		_exit(1);
	}
	JT_CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	JT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	char *const none[] = { "x", NULL };
	JT_CHECK(execve("/no/such/program", none, NULL) == -1 && errno == ENOENT);
	return jt_end();
}
