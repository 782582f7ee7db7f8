/* execve: argv and envp arrive intact, pid is kept, a missing file is ENOENT. */
#include "common.h"
#include <libgen.h>

int main(int argc, char **argv)
{
	char dir[256], helper[300], pidbuf[32];
	int status;

	(void)argc;
	snprintf(dir, sizeof(dir), "%s", argv[0]);
	snprintf(helper, sizeof(helper), "%s/exec_helper", dirname(dir));

	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		char *const cargv[] = { "exec_helper", pidbuf, "two words", "", "last", NULL };
		char *const cenvp[] = { "FOO=bar", "EMPTY=", NULL };
		test_execve(helper, cargv, cenvp);
		printf("execve %s: %s\n", helper, strerror(errno));
		_exit(100);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "exec_helper status 0x%x (exit code = failed check, 100 = exec failed)", status);

	char *const nargv[] = { "nope", NULL };
	char *const nenvp[] = { NULL };
	CHECK_ERRNO(execve("/nonexistent/program", nargv, nenvp), ENOENT);
	return 0;
}
