/*
 * waitid(P_PIDFD): wait for the child a pidfd names (Linux 5.4), WNOHANG
 * with si_pid 0 while it runs, EAGAIN instead for a PIDFD_NONBLOCK pidfd
 * (Linux 5.10), WNOWAIT leaves it waitable, ECHILD for a pidfd of a
 * process that is not our child, EBADF for a descriptor that is no pidfd.
 */
#include "common.h"
#include <sys/syscall.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK 04000
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

int main(void)
{
	int go[2];
	siginfo_t si;

	CHECK(pipe(go) == 0, "pipe");
	fflush(NULL);
	pid_t child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		char c;
		close(go[1]);
		(void)!read(go[0], &c, 1);
		_exit(5);
	}
	close(go[0]);
	int fd = pidfd_open(child, 0);
	int nb = pidfd_open(child, PIDFD_NONBLOCK);
	CHECK(fd >= 0 && nb >= 0, "pidfd_open");

	memset(&si, 0xff, sizeof(si));
	CHECK(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) == 0, "WNOHANG while running");
	CHECK(si.si_pid == 0, "si_pid %d while running", (int)si.si_pid);
	CHECK_ERRNO(waitid(P_PIDFD, (id_t)nb, &si, WEXITED), EAGAIN);
	CHECK(waitid(P_PIDFD, (id_t)nb, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0,
	      "nonblocking pidfd with WNOHANG");

	CHECK_ERRNO(waitid(P_PIDFD, (id_t)go[1], &si, WEXITED), EBADF); /* a pipe */
	CHECK_ERRNO(waitid(P_PIDFD, 9999, &si, WEXITED), EBADF);
	int self = pidfd_open(getpid(), 0);
	CHECK(self >= 0, "pidfd_open(self)");
	CHECK_ERRNO(waitid(P_PIDFD, (id_t)self, &si, WEXITED | WNOHANG), ECHILD);

	CHECK(write(go[1], "x", 1) == 1, "release the child");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOWAIT) == 0, "WNOWAIT");
	CHECK(si.si_pid == child && si.si_code == CLD_EXITED && si.si_status == 5,
	      "WNOWAIT: pid %d code %d status %d", (int)si.si_pid, si.si_code, si.si_status);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, (id_t)nb, &si, WEXITED) == 0, "wait for the exit");
	CHECK(si.si_pid == child && si.si_signo == SIGCHLD && si.si_code == CLD_EXITED &&
	      si.si_status == 5, "pid %d code %d status %d", (int)si.si_pid, si.si_code, si.si_status);
	/* reaped: the pidfd still names it, but there is nothing to wait for */
	CHECK_ERRNO(waitid(P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG), ECHILD);
	close(fd);
	close(nb);
	close(self);
	puts("waitid_pidfd: ok");
	return 0;
}
