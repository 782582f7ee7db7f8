/*
 * LD_LIBRARY_PATH and a missing library: dyn_needs_lib needs libdyntest.so
 * and has no run path. With LD_LIBRARY_PATH naming the tests' directory it
 * runs; without, ld.so reports the missing library on stderr and exits 127.
 */
#include "dyn_common.h"

extern char **environ;

/* environ plus one more entry (NULL: none). */
static char **env_with(const char *extra)
{
	static char *envp[256];
	int n = 0;

	for (char **e = environ; *e && n < 250; e++)
		if (strncmp(*e, "LD_LIBRARY_PATH=", 16))
			envp[n++] = *e;
	if (extra)
		envp[n++] = (char *)extra;
	envp[n] = NULL;
	return envp;
}

int main(int argc, char **argv)
{
	char dir[512], prog[600], libpath[600], out[2048];
	int status;

	(void)argc;
	dyn_test_dir(argv[0], dir, sizeof(dir));
	snprintf(prog, sizeof(prog), "%s/dyn_needs_lib", dir);
	char *const pargv[] = { prog, NULL };

	snprintf(libpath, sizeof(libpath), "LD_LIBRARY_PATH=/nonexistent:%s", dir);
	status = dyn_run(prog, pargv, env_with(libpath), out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "with %s: status 0x%x: %s", libpath,
	      status, out);
	CHECK(!strcmp(out, "needs_lib 42 1234\n"), "with %s: output '%s'", libpath, out);

	status = dyn_run(prog, pargv, env_with(NULL), out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127,
	      "without LD_LIBRARY_PATH: status 0x%x, want exit 127: %s", status, out);
	CHECK(strstr(out, "error while loading shared libraries") && strstr(out, "libdyntest.so") &&
		      strstr(out, "cannot open shared object file"),
	      "ld.so said '%s'", out);
	return 0;
}
