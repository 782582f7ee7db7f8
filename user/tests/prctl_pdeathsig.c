/*
 * prctl(PR_SET_PDEATHSIG / PR_GET_PDEATHSIG): the value is read back, bad
 * signals are EINVAL, fork clears it in the child, and a child that asked
 * for it gets the signal when its parent exits (it is re-parented first,
 * so getppid changes).
 */
#include "common.h"
#include <sys/prctl.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(void)
{
	int v = -1;
	CHECK(prctl(PR_GET_PDEATHSIG, &v) == 0 && v == 0, "initially 0: %d", v);
	CHECK(prctl(PR_SET_PDEATHSIG, SIGUSR2) == 0, "set SIGUSR2");
	CHECK(prctl(PR_GET_PDEATHSIG, &v) == 0 && v == SIGUSR2, "read back: %d", v);
	CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, 65), EINVAL);
	CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, -1), EINVAL);
	CHECK_ERRNO(prctl(PR_GET_PDEATHSIG, launder_ptr(8)), EFAULT);

	fflush(NULL);
	pid_t c = fork();
	CHECK(c >= 0, "fork");
	if (c == 0) {
		int w = -1;
		_exit(prctl(PR_GET_PDEATHSIG, &w) == 0 && w == 0 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(c, &status, 0) == c && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "fork must clear the parent-death signal (0x%x)", status);
	CHECK(prctl(PR_SET_PDEATHSIG, 0) == 0, "clear");

	/* middle forks grandchild; grandchild asks for SIGUSR1, tells middle
	 * it is ready; middle exits; grandchild reports over the pipe. We are
	 * the subreaper, so the orphan comes to us and is reaped here. */
	/* (QEMU 7.2's user mode refuses it: the orphan goes to init there) */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 || under_qemu_user(), "PR_SET_CHILD_SUBREAPER");
	int ready[2], report[2];
	CHECK(pipe(ready) == 0 && pipe(report) == 0, "pipe");
	pid_t middle = fork();
	CHECK(middle >= 0, "fork");
	if (middle == 0) {
		pid_t g = fork();
		if (g < 0)
			_exit(2);
		if (g == 0) {
			sigset_t set, old;
			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, &old);
			signal(SIGUSR1, on_usr1);
			pid_t parent = getppid();
			if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0)
				_exit(3);
			close(ready[0]);
			close(ready[1]); /* EOF tells the middle we are ready */
			alarm(10);
			while (!got)
				sigsuspend(&old);
			char msg[64];
			int n = snprintf(msg, sizeof(msg), "sig %d reparented %d", (int)got,
					 getppid() != parent);
			(void)!write(report[1], msg, (size_t)n);
			_exit(0);
		}
		close(ready[1]);
		char ch;
		(void)!read(ready[0], &ch, 1);
		_exit(0);
	}
	close(ready[0]);
	close(ready[1]);
	close(report[1]);
	CHECK(waitpid(middle, &status, 0) == middle && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "middle status 0x%x", status);
	char buf[64] = { 0 };
	ssize_t n = read(report[0], buf, sizeof(buf) - 1);
	CHECK(n > 0, "no report from the grandchild");
	/* Under qemu-user the middle has a second thread (QEMU's RCU thread):
	 * the signal comes when the forking thread dies, and the orphan may
	 * first go to that other thread of the same process (no new ppid). */
	CHECK(!strcmp(buf, "sig 10 reparented 1") ||
	      (under_qemu_user() && !strcmp(buf, "sig 10 reparented 0")), "report: %s", buf);
	pid_t got;
	while ((got = wait(&status)) > 0)
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "grandchild 0x%x", status);
	CHECK(errno == ECHILD, "wait");
	puts("prctl_pdeathsig: ok");
	return 0;
}
