/*
 * pidfd_open and pidfd_send_signal: a pidfd polls readable when its
 * process exits (also through epoll), signals reach it (and ESRCH once it
 * is gone), and the errors are Linux's.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

int main(void)
{
	int pipefd[2];
	CHECK(pipe(pipefd) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char c;
		close(pipefd[1]);
		read(pipefd[0], &c, 1); /* wait for the parent, then pause */
		for (;;)
			pause();
	}
	close(pipefd[0]);
	int fd = pidfd_open(pid, 0);
	CHECK(fd >= 0, "pidfd_open");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "always close-on-exec");
	struct pollfd p = { fd, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 0, "alive: not readable");
	CHECK(pidfd_send_signal(fd, 0, NULL, 0) == 0, "signal 0 checks it exists");
	CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 0x100), EINVAL);
	CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 3), EINVAL); /* two scopes */
	siginfo_t si = { .si_signo = SIGUSR1, .si_code = SI_USER };
	CHECK_ERRNO(pidfd_send_signal(fd, SIGUSR1, &si, 0), EPERM);
	si.si_signo = SIGUSR2;
	si.si_code = SI_QUEUE;
	CHECK_ERRNO(pidfd_send_signal(fd, SIGUSR1, &si, 0), EINVAL);
	CHECK_ERRNO(pidfd_send_signal(pipefd[1], SIGTERM, NULL, 0), EBADF);
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	CHECK(pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0, "SIGTERM");
	CHECK(epoll_wait(ep, &ev, 1, 5000) == 1, "epoll: the process exited");
	CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "readable after exit");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	      "killed by SIGTERM (%#x)", status);
	CHECK_ERRNO(pidfd_send_signal(fd, SIGTERM, NULL, 0), ESRCH);
	CHECK_ERRNO(pidfd_open(pid, 0), ESRCH);
	CHECK_ERRNO(pidfd_open(getpid(), 1), EINVAL);
	CHECK_ERRNO(pidfd_open(0, 0), EINVAL);
	int self = pidfd_open(getpid(), O_NONBLOCK);
	CHECK(self >= 0 && (fcntl(self, F_GETFL) & O_NONBLOCK), "PIDFD_NONBLOCK");
	close(self), close(ep), close(fd), close(pipefd[1]);
	printf("pidfd: ok\n");
	return 0;
}
