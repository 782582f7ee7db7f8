/*
 * Not a test by itself: exec_args runs it through execve and it checks the
 * argv and envp it was given (argv[1] = the pid it must still have).
 * Exit code 0 = all as expected; 2.. = which check failed.
 */
#include "common.h"

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	if (strcmp(argv[0], "exec_helper") != 0)
		return 3;
	if (atoi(argv[1]) != getpid())
		return 4;
	if (strcmp(argv[2], "two words") != 0 || argv[3][0] != '\0' ||
	    strcmp(argv[4], "last") != 0 || argv[5] != NULL)
		return 5;
	if (!environ || !environ[0] || !environ[1] || environ[2])
		return 6;
	if (strcmp(environ[0], "FOO=bar") != 0 || strcmp(environ[1], "EMPTY=") != 0)
		return 7;
	if (strcmp(getenv("FOO"), "bar") != 0)
		return 8;
	return 0;
}
