/*
 * AF_UNIX control messages: SCM_RIGHTS passes a pipe to another process
 * that then uses it, several descriptors at once, MSG_CTRUNC when the
 * buffer is too small, MSG_CMSG_CLOEXEC, a socket closed with descriptors
 * still in flight (the runner's leak check sees them freed), bad control
 * data (EBADF, EINVAL), and SCM_CREDENTIALS with SO_PASSCRED.
 */
#include "common.h"
#include <fcntl.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

static ssize_t send_fds(int sock, const int *fds, int n, const char *data)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { (void *)data, strlen(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	return sendmsg(sock, &m, 0);
}

/* Receive up to max fds; return how many (fds[]) and the msg flags. */
static int recv_fds(int sock, int *fds, int max, size_t ctl_room, int *flags, int rflags)
{
	char data[16], ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = ctl_room };
	CHECK(recvmsg(sock, &m, rflags) > 0, "recvmsg");
	*flags = m.msg_flags;
	int n = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		CHECK(c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS, "cmsg type");
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k && n < max; i++)
			memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return n;
}

static void pass_pipe_to_child(void)
{
	int sv[2], p[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0, "setup");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(sv[0]);
		int fd, flags;
		if (recv_fds(sv[1], &fd, 1, CMSG_SPACE(sizeof(int)), &flags, 0) != 1)
			_exit(2);
		char buf[8] = { 0 };
		if (read(fd, buf, 5) != 5 || strcmp(buf, "piped"))
			_exit(3);
		_exit(0);
	}
	close(sv[1]);
	CHECK(send_fds(sv[0], &p[0], 1, "x") == 1, "sendmsg SCM_RIGHTS");
	close(p[0]); /* the child holds the only read end now */
	CHECK(write(p[1], "piped", 5) == 5, "write into the passed pipe");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "child used the pipe (status %#x)", status);
	close(p[1]);
	close(sv[0]);
}

static void several_truncated_cloexec(void)
{
	int sv[2], p[2], q[2];
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0 && pipe(q) == 0, "setup");
	int three[3] = { p[0], p[1], q[0] }, got[8], flags;
	CHECK(send_fds(sv[0], three, 3, "a") == 1, "send three");
	int n = recv_fds(sv[1], got, 8, sizeof(got) + 64, &flags, MSG_CMSG_CLOEXEC);
	CHECK(n == 3 && !(flags & MSG_CTRUNC), "three received (%d)", n);
	for (int i = 0; i < 3; i++) {
		CHECK(fcntl(got[i], F_GETFD) == FD_CLOEXEC, "MSG_CMSG_CLOEXEC");
		close(got[i]);
	}
	/* Room for one descriptor: one arrives, MSG_CTRUNC says the rest went
	 * (qemu-user loses that flag on its way back: not checked there). */
	bool ctrunc_seen = !under_qemu_user();
	CHECK(send_fds(sv[0], three, 3, "b") == 1, "send three again");
	n = recv_fds(sv[1], got, 8, CMSG_LEN(sizeof(int)), &flags, 0);
	CHECK(n == 1 && (!ctrunc_seen || (flags & MSG_CTRUNC)), "truncated to %d, flags %#x", n,
	      flags);
	close(got[0]);
	/* No room at all. */
	CHECK(send_fds(sv[0], three, 3, "c") == 1, "send three once more");
	n = recv_fds(sv[1], got, 8, 0, &flags, 0);
	CHECK(n == 0 && (!ctrunc_seen || (flags & MSG_CTRUNC)), "no control room");
	/* In flight when both ends close: freed with the queue. */
	CHECK(send_fds(sv[0], three, 3, "d") == 1, "left in flight");
	close(sv[0]), close(sv[1]);
	close(p[0]), close(p[1]), close(q[0]), close(q[1]);
}

static void bad_control(void)
{
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	int bad = 999;
	CHECK_ERRNO(send_fds(sv[0], &bad, 1, "x"), EBADF);
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "x", 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = sizeof(ctl) + 8; /* longer than the buffer */
	if (!under_qemu_user()) /* qemu-user drops a bad header */
		CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	c->cmsg_len = CMSG_LEN(sizeof(int));
	c->cmsg_type = 77;
	if (!under_qemu_user()) /* qemu-user drops unknown control messages */
		CHECK_ERRNO(sendmsg(sv[0], &m, 0), EINVAL);
	m.msg_control = launder_ptr(16);
	CHECK_ERRNO(sendmsg(sv[0], &m, 0), EFAULT);
	if (!under_qemu_user())
		CHECK(recv(sv[1], ctl, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN,
		      "nothing was sent");
	close(sv[0]), close(sv[1]);
}

static void credentials(void)
{
	int sv[2], on = 1;
	CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair");
	CHECK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0, "SO_PASSCRED");
	CHECK(send(sv[0], "c", 1, 0) == 1, "send");
	char data[4], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	CHECK(recvmsg(sv[1], &m, 0) == 1, "recvmsg");
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c && c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)),
	      "SCM_CREDENTIALS");
	struct ucred cr;
	memcpy(&cr, CMSG_DATA(c), sizeof(cr));
	CHECK(cr.pid == getpid() && cr.uid == getuid() && cr.gid == getgid(), "credentials %d/%d/%d",
	      cr.pid, cr.uid, cr.gid);
	close(sv[0]), close(sv[1]);
}

int main(void)
{
	pass_pipe_to_child();
	several_truncated_cloexec();
	bad_control();
	credentials();
	printf("unix_scm: ok\n");
	return 0;
}
