/*
 * unshare(CLONE_FILES / CLONE_FS) and close_range(CLOSE_RANGE_UNSHARE):
 * two processes that share a descriptor table and an fs context (clone
 * with CLONE_FILES | CLONE_FS) stop sharing them, so a later close, open or
 * chdir of one is not seen by the other; unknown flags are EINVAL.
 */
#include "common.h"
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static char stack[64 * 1024] __attribute__((aligned(16)));
static int pipefd[2], sync_pipe[2], result_pipe[2];
static int mode; /* 0: unshare, 1: close_range(CLOSE_RANGE_UNSHARE) */

static int child(void *arg)
{
	char c;
	(void)arg;
	if (mode == 0) {
		if (unshare(CLONE_FILES | CLONE_FS) != 0)
			_exit(2);
	} else if (syscall(SYS_close_range, pipefd[0], pipefd[0], CLOSE_RANGE_UNSHARE) != 0) {
		_exit(3);
	}
	/* our copy: closing it here leaves the parent's open */
	if (mode == 0)
		close(pipefd[0]);
	if (mode == 0 && chdir("/tmp") != 0)
		_exit(4);
	if (write(sync_pipe[1], "u", 1) != 1)
		_exit(5);
	/* wait until the parent has closed its write end of the pipe */
	if (read(result_pipe[0], &c, 1) != 1)
		_exit(6);
	/* the parent's close of pipefd[1] did not reach our table */
	_exit(fcntl(pipefd[1], F_GETFD) >= 0 && fcntl(pipefd[0], F_GETFD) == -1 ? 0 : 7);
}

static void run(int m)
{
	char c;
	mode = m;
	CHECK(pipe(pipefd) == 0 && pipe(sync_pipe) == 0 && pipe(result_pipe) == 0, "pipes");
	CHECK(chdir("/") == 0, "chdir /");
	pid_t pid = clone(child, stack + sizeof(stack), CLONE_FILES | CLONE_FS | SIGCHLD, NULL);
	if (pid < 0 && errno == EINVAL && under_qemu_user()) {
		/* QEMU's user mode cannot share tables without CLONE_VM */
		printf("clone(CLONE_FILES | CLONE_FS) refused by qemu-user: skipped\n");
		exit(77);
	}
	CHECK(pid > 0, "clone");
	CHECK(read(sync_pipe[0], &c, 1) == 1, "the child unshared");
	CHECK(fcntl(pipefd[0], F_GETFD) >= 0, "mode %d: the child's close reached us", m);
	char cwd[64];
	CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, "/"), "mode %d: cwd %s", m, cwd);
	CHECK(close(pipefd[1]) == 0, "close");
	CHECK(write(result_pipe[1], "r", 1) == 1, "tell the child");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mode %d: child status 0x%x", m, status);
	close(pipefd[0]);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	close(result_pipe[0]);
	close(result_pipe[1]);
}

int main(void)
{
	run(0);
	run(1);
	CHECK_ERRNO(unshare(0x80000000u), EINVAL); /* CLONE_IO is not unshareable */
	CHECK(unshare(0) == 0, "unshare(0)");
	CHECK(unshare(CLONE_FILES) == 0, "unshare of an unshared table");
	CHECK(unshare(CLONE_SYSVSEM) == 0, "CLONE_SYSVSEM");
	CHECK_ERRNO(syscall(SYS_close_range, 5, 4, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_close_range, 3, 4, 1), EINVAL);
	puts("unshare_files: ok");
	return 0;
}
