/*
 * musl's dynamic loader: programs built with musl-gcc (tests/musl/, see
 * docs/dynamic.md) start through /lib/ld-musl-<arch>.so.1: a PIE, dlopen of
 * a library and of a missing one, a library found only through
 * LD_LIBRARY_PATH, and the loader's error (exit 127) without it. The output
 * of each is checked. On Linux x86_64 the loader is Debian's musl package;
 * under qemu-user (riscv64) QEMU_LD_PREFIX points at the musl built by
 * scripts/build-musl-riscv64.sh (BUILD/musl-riscv64/sysroot).
 */
#include "common.h"
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/stat.h>

#if defined(__x86_64__)
#define MUSL_LDSO "/lib/ld-musl-x86_64.so.1"
#else
#define MUSL_LDSO "/lib/ld-musl-riscv64.so.1"
#endif

static char dir[PATH_MAX];   /* where the tests are: tests/musl/... below */
static char prefix_env[PATH_MAX + 32];

/* Run dir/musl/prog with args and the environment extra (or none); return
 * its output and status. */
static char *run(const char *prog, const char *arg, const char *extra, int *status)
{
	char path[PATH_MAX + 16];
	char *envp[4];
	int n = 0, pipefd[2];

	snprintf(path, sizeof(path), "%s/musl/%s", dir, prog);
	if (extra)
		envp[n++] = (char *)extra;
	if (prefix_env[0])
		envp[n++] = prefix_env;
	envp[n] = NULL;
	CHECK(pipe(pipefd) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		char *argv[] = { (char *)prog, (char *)arg, NULL };
		test_execve(path, argv, envp);
		printf("execve %s: %s\n", path, strerror(errno));
		fflush(stdout);
		_exit(126);
	}
	close(pipefd[1]);
	static char out[4096];
	size_t len = 0;
	ssize_t r;
	while ((r = read(pipefd[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)r;
	out[len] = '\0';
	close(pipefd[0]);
	CHECK(waitpid(pid, status, 0) == pid, "waitpid");
	return out;
}

static void expect(const char *prog, const char *arg, const char *extra, const char *want)
{
	int status;
	char *out = run(prog, arg, extra, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0 && !strcmp(out, want),
	      "%s: status 0x%x, printed '%s', want '%s'", prog, status, out, want);
}

int main(int argc, char **argv)
{
	char buf[PATH_MAX + 64], lib[PATH_MAX + 32];
	struct stat st;

	(void)argc;
	char self[PATH_MAX];
	snprintf(self, sizeof(self), "%s", argv[0]);
	snprintf(dir, sizeof(dir), "%s", dirname(self));
	if (under_qemu_user()) {
		/* BUILD/riscv64/user/tests -> BUILD/musl-riscv64/sysroot */
		snprintf(buf, sizeof(buf), "%s/../../../musl-riscv64/sysroot", dir);
		char *real = realpath(buf, NULL);
		if (!real) {
			printf("no musl sysroot at %s: skipped\n", buf);
			return 77;
		}
		snprintf(prefix_env, sizeof(prefix_env), "QEMU_LD_PREFIX=%s", real);
		free(real);
	} else if (stat(MUSL_LDSO, &st) != 0) {
		printf("no " MUSL_LDSO " (Debian's musl package): skipped\n");
		return 77;
	}
	snprintf(lib, sizeof(lib), "%s/musl/libmuslt.so", dir);

	expect("hello", "one", NULL, "hello from musl, interp yes, argc 2, last one\n");
	expect("dlopen", lib, NULL, "dlopen value 22\nmissing refused\n");
	snprintf(buf, sizeof(buf), "LD_LIBRARY_PATH=%s/musl", dir);
	expect("needs_lib", NULL, buf, "needs_lib value 31 name muslt\n");
	int status;
	char *out = run("needs_lib", NULL, NULL, &status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127, "no library: status 0x%x", status);
	CHECK(strstr(out, "libmuslt.so"), "the loader's message names the library: '%s'", out);
	puts("musl_dyn: ok");
	return 0;
}
