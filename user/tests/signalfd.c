/*
 * signalfd: blocked signals read as signalfd_siginfo records (with the
 * sender's pid and uid, a queued value, SIGCHLD's child and status),
 * several at once, O_NONBLOCK, changing the mask of an existing signalfd,
 * poll/epoll readiness, and Linux's errors.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

static void blocked(int sig)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	CHECK(sigprocmask(SIG_BLOCK, &s, NULL) == 0, "block %d", sig);
}

int main(void)
{
	struct signalfd_siginfo si[4];
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGRTMIN);
	blocked(SIGUSR1);
	blocked(SIGRTMIN);
	blocked(SIGCHLD);
	int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(fd >= 0, "signalfd");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "SFD_CLOEXEC");
	CHECK_ERRNO(read(fd, si, sizeof(si[0])), EAGAIN);
	CHECK_ERRNO(read(fd, si, sizeof(si[0]) - 1), EINVAL);
	struct pollfd p = { fd, POLLIN, 0 };
	CHECK(poll(&p, 1, 0) == 0, "nothing pending");

	/* Two signals, read together; SIGUSR1 (lower) first. */
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill");
	union sigval v = { .sival_int = 4242 };
	CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0, "sigqueue");
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "readable");
	ssize_t n = read(fd, si, sizeof(si));
	CHECK(n == 2 * (ssize_t)sizeof(si[0]), "two records (%zd)", n);
	CHECK(si[0].ssi_signo == SIGUSR1 && si[0].ssi_code == SI_USER &&
		      si[0].ssi_pid == (uint32_t)getpid() && si[0].ssi_uid == getuid(),
	      "SIGUSR1 record");
	CHECK(si[1].ssi_signo == (uint32_t)SIGRTMIN && si[1].ssi_code == SI_QUEUE &&
		      si[1].ssi_int == 4242,
	      "SIGRTMIN record (int %d)", si[1].ssi_int);
	CHECK(poll(&p, 1, 0) == 0, "consumed");

	/* A new mask on the same descriptor: SIGCHLD from a child. */
	sigaddset(&mask, SIGCHLD);
	CHECK(signalfd(fd, &mask, 0) == fd, "update the mask");
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN };
	CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll_ctl");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(7);
	CHECK(epoll_wait(ep, &ev, 1, 5000) == 1, "epoll saw SIGCHLD");
	CHECK(read(fd, si, sizeof(si)) == sizeof(si[0]), "read SIGCHLD");
	CHECK(si[0].ssi_signo == SIGCHLD && si[0].ssi_code == CLD_EXITED &&
		      si[0].ssi_pid == (uint32_t)pid && si[0].ssi_status == 7,
	      "SIGCHLD record (code %d pid %u status %d)", si[0].ssi_code, si[0].ssi_pid,
	      si[0].ssi_status);
	int status;
	CHECK(waitpid(pid, &status, 0) == pid, "reap");

	/* Errors. */
	CHECK_ERRNO(signalfd(-1, &mask, 0x1), EINVAL);
	if (!under_qemu_user()) /* qemu-user fixes the size up itself */
		CHECK_ERRNO(syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
	CHECK_ERRNO(signalfd(-1, launder_ptr(8), 0), EFAULT);
	CHECK_ERRNO(signalfd(ep, &mask, 0), EINVAL);
	CHECK_ERRNO(signalfd(999, &mask, 0), EBADF);
	close(ep);
	close(fd);
	printf("signalfd: ok\n");
	return 0;
}
