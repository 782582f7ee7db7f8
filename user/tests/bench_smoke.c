/*
 * The benchmark program (bench/, /usr/bin/ferrite-bench) runs once with tiny
 * counts and reports every benchmark: so it cannot rot. Found at
 * $FERRITE_BENCH, else /usr/bin/ferrite-bench (inside Ferrite), else
 * ../../bench/ferrite-bench from this test (a build directory, on Linux).
 * Each benchmark must print "BENCH name <value> <unit>" or, only for ports
 * (ENOSYS on Linux), "unsupported"; exit status 0.
 */
#include "common.h"
#include <libgen.h>

static const char *find_bench(const char *argv0, char *buf, size_t len)
{
	const char *env = getenv("FERRITE_BENCH");
	char dir[256];

	if (env && *env)
		return env;
	if (access("/usr/bin/ferrite-bench", X_OK) == 0)
		return "/usr/bin/ferrite-bench";
	snprintf(dir, sizeof(dir), "%s", argv0);
	snprintf(buf, len, "%s/../../bench/ferrite-bench", dirname(dir));
	return buf;
}

int main(int argc, char **argv)
{
	char pathbuf[300], out[8192];
	const char *bench = find_bench(argv[0], pathbuf, sizeof(pathbuf));
	int fds[2], status;
	size_t len = 0;
	ssize_t r;

	(void)argc;
	CHECK(access(bench, X_OK) == 0, "benchmark program %s", bench);
	CHECK(pipe(fds) == 0, "pipe");
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *const cargv[] = { (char *)bench, "--quick", NULL };
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		test_execve(bench, cargv, environ);
		_exit(100);
	}
	close(fds[1]);
	while ((r = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += r;
	out[len] = '\0';
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "ferrite-bench --quick: status 0x%x, output:\n%s", status, out);

	static const char *const names[] = {
		"null_syscall", "clock_gettime", "yield_pingpong", "sigaction", "sigaction_old",
		"signal_delivery", "fork_exit_wait", "fork_exec_wait",
		"thread_create_join", "pipe_pingpong", "pipe_bandwidth",
		"futex_pingpong", "msg_pingpong", "sem_pingpong", "shmat_shmdt",
		"shmat_touch_shmdt", "port_call_reply",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char key[64], *line;
		long long v;

		snprintf(key, sizeof(key), "BENCH %s ", names[i]);
		line = strstr(out, key);
		CHECK(line != NULL, "no line for %s in:\n%s", names[i], out);
		line += strlen(key);
		if (!strncmp(line, "unsupported", 11)) {
			/* Only ports may be missing (Linux has none). */
			CHECK(!strcmp(names[i], "port_call_reply"),
			      "%s unsupported", names[i]);
			continue;
		}
		CHECK(sscanf(line, "%lld", &v) == 1 && v >= 0, "bad value for %s: %.40s",
		      names[i], line);
	}
	return 0;
}
