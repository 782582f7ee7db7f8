/*
 * Issue 8 item 10: descriptors were handed out at or above RLIMIT_NOFILE's
 * soft limit. Every call that allocates one stops there with EMFILE (dup,
 * open, pipe, memfd_create, fcntl F_DUPFD); dup2/dup3 to a descriptor at
 * or above it give EBADF and F_DUPFD from there EINVAL. Lowering the limit
 * leaves open descriptors alone; raising it again lets them be allocated.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define LIMIT 16

static void in_child(void *arg)
{
	(void)arg;
	struct rlimit rl;

	CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	int high = dup2(0, 40); /* open before the limit drops */
	CHECK(high == 40, "dup2 to 40");
	rl.rlim_cur = LIMIT;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
	struct rlimit back;
	CHECK(getrlimit(RLIMIT_NOFILE, &back) == 0 && back.rlim_cur == LIMIT, "getrlimit back");
	for (int fd = 3; fd < LIMIT; fd++)
		close(fd);
	int last = -1;
	for (;;) {
		int fd = dup(0);
		if (fd < 0) {
			CHECK(errno == EMFILE, "dup: errno %d", errno);
			break;
		}
		CHECK(fd < LIMIT, "dup gave %d at limit %d", fd, LIMIT);
		last = fd;
	}
	CHECK(last == LIMIT - 1, "the table filled up to %d", last);
	int p[2];
	CHECK_ERRNO(open("/dev/null", O_RDONLY), EMFILE);
	CHECK_ERRNO(pipe(p), EMFILE);
	CHECK_ERRNO(syscall(SYS_memfd_create, "x", 0), EMFILE);
	CHECK_ERRNO(fcntl(0, F_DUPFD, 0), EMFILE);
	CHECK_ERRNO(fcntl(0, F_DUPFD, LIMIT), EINVAL);
	CHECK_ERRNO(fcntl(0, F_DUPFD_CLOEXEC, LIMIT + 100), EINVAL);
	CHECK_ERRNO(dup2(0, LIMIT), EBADF);
	CHECK_ERRNO(dup3(0, LIMIT + 5, 0), EBADF);
	CHECK(dup2(0, LIMIT - 1) == LIMIT - 1, "dup2 below the limit replaces");
	/* pipe with room for one end only: nothing stays behind. */
	close(LIMIT - 1);
	CHECK_ERRNO(pipe(p), EMFILE);
	int fd = dup(0);
	CHECK(fd == LIMIT - 1, "the free slot is still free: %d", fd);
	/* The descriptor above the limit still works. */
	CHECK(fcntl(high, F_GETFD) >= 0, "fd 40 still open");
	CHECK(close(high) == 0, "close 40");
	/* Raise it again. */
	rl.rlim_cur = LIMIT + 4;
	CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit up");
	CHECK(fcntl(0, F_DUPFD, LIMIT) == LIMIT, "F_DUPFD at the old limit");
	CHECK(pipe(p) == 0 && p[0] == LIMIT + 1 && p[1] == LIMIT + 2, "pipe after raising");
	/* soft above hard is refused. */
	rl.rlim_cur = rl.rlim_max + 1;
	if (rl.rlim_max != RLIM_INFINITY)
		CHECK_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
}

int main(void)
{
	int status = run_in_child(in_child, NULL);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	return 0;
}
