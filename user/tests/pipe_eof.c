/*
 * Pipe end-of-file and broken pipes: read returns 0 only once the last
 * writer (in any process) closes; writing with no reader raises SIGPIPE,
 * which kills by default, and with SIG_IGN the write fails with EPIPE.
 */
#include "common.h"

static int pfd[2];

static void write_to_broken(void *arg)
{
	(void)arg;
	write(pfd[1], "x", 1);
	_exit(5); /* not reached: SIGPIPE kills */
}

int main(void)
{
	char c;
	int status;

	alarm(30);
	CHECK(pipe(pfd) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* The child holds a writer and closes it after a pause. */
		close(pfd[0]);
		usleep(100 * 1000);
		write(pfd[1], "a", 1);
		close(pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	CHECK(read(pfd[0], &c, 1) == 1 && c == 'a', "read the child's byte");
	CHECK(read(pfd[0], &c, 1) == 0, "EOF once the last writer closed");
	CHECK(read(pfd[0], &c, 1) == 0, "EOF stays");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	close(pfd[0]);

	/* Several writers: EOF only after all of them close. */
	CHECK(pipe(pfd) == 0, "pipe");
	int dupw = dup(pfd[1]);
	CHECK(dupw >= 0, "dup");
	close(pfd[1]);
	CHECK(write(dupw, "b", 1) == 1, "write through dup");
	CHECK(read(pfd[0], &c, 1) == 1 && c == 'b', "read b");
	close(dupw);
	CHECK(read(pfd[0], &c, 1) == 0, "EOF after the dup closed");
	close(pfd[0]);

	/* No reader: SIGPIPE kills by default. */
	CHECK(pipe(pfd) == 0, "pipe");
	close(pfd[0]);
	signal(SIGPIPE, SIG_DFL);
	expect_killed_by(run_in_child(write_to_broken, NULL), SIGPIPE, "write to a broken pipe");

	/* Ignored: EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(write(pfd[1], "x", 1), EPIPE);
	close(pfd[1]);

	/* Reader closes while data is buffered: the next write breaks. */
	CHECK(pipe(pfd) == 0, "pipe");
	CHECK(write(pfd[1], "yz", 2) == 2, "buffer");
	close(pfd[0]);
	CHECK_ERRNO(write(pfd[1], "x", 1), EPIPE);
	close(pfd[1]);
	return 0;
}
