/*
 * O_NONBLOCK pipes: EAGAIN on an empty read and a full write, a partial
 * write into a nearly full pipe; F_GETPIPE_SZ / F_SETPIPE_SZ.
 */
#include "common.h"
#include <fcntl.h>

int main(void)
{
	int p[2];
	char buf[8192];

	alarm(30);
	CHECK(pipe2(p, O_NONBLOCK) == 0, "pipe2");
	CHECK((fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK), "flags");
	CHECK_ERRNO(read(p[0], buf, 1), EAGAIN);

	int size = fcntl(p[1], F_GETPIPE_SZ);
	CHECK(size >= 4096, "F_GETPIPE_SZ %d", size);
	CHECK(fcntl(p[0], F_GETPIPE_SZ) == size, "both ends same size");

	/* Fill it: exactly size bytes fit, then EAGAIN. */
	memset(buf, 'q', sizeof(buf));
	long total = 0;
	for (;;) {
		ssize_t w = write(p[1], buf, 4096);
		if (w < 0) {
			CHECK(errno == EAGAIN, "write on full pipe");
			break;
		}
		total += w;
		CHECK(total <= size, "wrote %ld into a %d-byte pipe", total, size);
	}
	CHECK(total == size, "pipe took %ld bytes, size %d", total, size);
	CHECK_ERRNO(write(p[1], "x", 1), EAGAIN);
	/* Drain a page: a write fits again. */
	CHECK(read(p[0], buf, 4096) == 4096, "read a page");
	CHECK(write(p[1], "x", 1) == 1, "write after drain");
	long drained = 0;
	for (;;) {
		ssize_t r = read(p[0], buf, sizeof(buf));
		if (r < 0) {
			CHECK(errno == EAGAIN, "read drain");
			break;
		}
		drained += r;
	}
	CHECK(drained == size - 4096 + 1, "drained %ld", drained);

	/* Resize: rounded up to a power-of-two number of pages. */
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096) >= 3 * 4096, "F_SETPIPE_SZ");
	int nsize = fcntl(p[0], F_GETPIPE_SZ);
	CHECK(nsize == 4 * 4096, "new size %d", nsize);
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 65536) == 65536, "F_SETPIPE_SZ 64k");
	total = 0;
	while (write(p[1], buf, sizeof(buf)) > 0)
		total += sizeof(buf);
	CHECK(total == 65536, "64k pipe took %ld", total);
	/* Shrinking below the buffered data is refused. */
	CHECK_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	close(p[0]);
	close(p[1]);

	/* F_GETPIPE_SZ on a non-pipe. */
	int fd = open("/dev/null", O_RDONLY);
	CHECK(fd >= 0, "open /dev/null");
	CHECK_ERRNO(fcntl(fd, F_GETPIPE_SZ), EBADF);
	close(fd);

	/* Toggling O_NONBLOCK with F_SETFL on a blocking pipe. */
	CHECK(pipe(p) == 0, "pipe");
	CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "F_SETFL");
	CHECK_ERRNO(read(p[0], buf, 1), EAGAIN);
	close(p[0]);
	close(p[1]);
	return 0;
}
