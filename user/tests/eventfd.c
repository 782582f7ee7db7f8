/*
 * eventfd: the counter's read/write rules (plain and EFD_SEMAPHORE), the
 * errors Linux gives (short buffers, the maximum, bad flags), O_NONBLOCK,
 * poll readiness, and a blocked reader woken by another process.
 */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

static uint64_t rd(int fd)
{
	uint64_t v = 0;
	CHECK(read(fd, &v, sizeof(v)) == sizeof(v), "read");
	return v;
}

static void wr(int fd, uint64_t v)
{
	CHECK(write(fd, &v, sizeof(v)) == sizeof(v), "write %llu", (unsigned long long)v);
}

static short revents(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	CHECK(poll(&p, 1, 0) >= 0, "poll");
	return p.revents;
}

int main(void)
{
	uint64_t v;
	int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
	CHECK(fd >= 0, "eventfd");
	CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC, "FD_CLOEXEC");
	CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, "O_RDWR");
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK, "O_NONBLOCK");

	/* The whole count, then empty. */
	CHECK(revents(fd, POLLIN | POLLOUT) == (POLLIN | POLLOUT), "poll with count 5");
	CHECK(rd(fd) == 5, "read 5");
	CHECK_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	CHECK(revents(fd, POLLIN | POLLOUT) == POLLOUT, "poll when empty");
	wr(fd, 3);
	wr(fd, 4);
	CHECK(rd(fd) == 7, "writes add up");

	/* Buffers shorter than 8 bytes, the maximum value, bad pointers. */
	CHECK_ERRNO(read(fd, &v, 7), EINVAL);
	CHECK_ERRNO(write(fd, &v, 4), EINVAL);
	v = UINT64_MAX;
	CHECK_ERRNO(write(fd, &v, sizeof(v)), EINVAL);
	CHECK_ERRNO(write(fd, launder_ptr(8), sizeof(v)), EFAULT);
	uint64_t two[2];
	CHECK(read(fd, two, sizeof(two)) == -1 && errno == EAGAIN, "a longer buffer is fine (and empty)");

	/* Up to UINT64_MAX - 1; then a write must wait (EAGAIN here). */
	wr(fd, UINT64_MAX - 1);
	CHECK(!(revents(fd, POLLOUT) & POLLOUT), "full counter is not writable");
	v = 1;
	CHECK_ERRNO(write(fd, &v, sizeof(v)), EAGAIN);
	CHECK(rd(fd) == UINT64_MAX - 1, "read the maximum");
	close(fd);

	/* EFD_SEMAPHORE: each read takes 1. */
	fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	CHECK(fd >= 0, "eventfd semaphore");
	for (int i = 0; i < 3; i++)
		CHECK(rd(fd) == 1, "semaphore read %d", i);
	CHECK_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	close(fd);

	CHECK_ERRNO(eventfd(0, 0x40), EINVAL);

	/* A blocking read sleeps until another process writes. */
	fd = eventfd(0, 0);
	CHECK(fd >= 0, "eventfd blocking");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		usleep(50000);
		wr(fd, 42);
		_exit(0);
	}
	CHECK(rd(fd) == 42, "woken by the child's write");
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status), "child");
	close(fd);
	printf("eventfd: ok\n");
	return 0;
}
