/*
 * The interpreter run as a command, "ld.so PROGRAM ARGS": the kernel loads
 * ld.so (an ET_DYN without PT_INTERP) into the mmap area and ld.so maps
 * the program itself, a PIE (dyn_auxv) and an ET_EXEC at its fixed address
 * (dyn_nopie); "ld.so --list" prints the libraries a program needs.
 */
#include "dyn_common.h"

extern char **environ;

int main(int argc, char **argv)
{
	char dir[512], pie[600], nopie[600], interp[512], ldso[600], out[4096];
	int status;

	(void)argc;
	dyn_test_dir(argv[0], dir, sizeof(dir));
	snprintf(pie, sizeof(pie), "%s/dyn_auxv", dir);
	snprintf(nopie, sizeof(nopie), "%s/dyn_nopie", dir);
	CHECK(dyn_read_interp(pie, interp, sizeof(interp), NULL, NULL) == 0, "no PT_INTERP in %s",
	      pie);
	dyn_host_path(interp, ldso, sizeof(ldso));

	char *const a1[] = { ldso, pie, "--via-ldso", NULL };
	status = dyn_run(ldso, a1, environ, out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s: status 0x%x: %s", ldso, pie,
	      status, out);

	char *const a2[] = { ldso, nopie, "--via-ldso", NULL };
	status = dyn_run(ldso, a2, environ, out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s: status 0x%x: %s", ldso, nopie,
	      status, out);

	char *const a3[] = { ldso, "--list", nopie, NULL };
	status = dyn_run(ldso, a3, environ, out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s --list: status 0x%x: %s", ldso,
	      status, out);
	CHECK(strstr(out, "libm.so.6 =>") && strstr(out, "libc.so.6 =>"), "--list said '%s'", out);

	/* A program that is not there: ld.so's own error, exit 127. */
	char *const a4[] = { ldso, "/nonexistent/program", NULL };
	status = dyn_run(ldso, a4, environ, out, sizeof(out));
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127, "missing program: status 0x%x: %s",
	      status, out);
	return 0;
}
