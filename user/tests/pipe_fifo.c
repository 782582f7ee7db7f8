/*
 * Named pipes: mkfifo, then a writer and a reader process open it by name
 * (each open waits for the other end), move data and see EOF; O_NONBLOCK
 * opens: a reader succeeds alone, a writer alone gets ENXIO.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	char path[64], buf[4096];
	struct stat st;
	int status;

	alarm(30);
	snprintf(path, sizeof(path), "/tmp/ferrite_fifo_%d", (int)getpid());
	unlink(path);
	CHECK(mkfifo(path, 0600) == 0, "mkfifo");
	CHECK(stat(path, &st) == 0 && S_ISFIFO(st.st_mode), "stat fifo");
	CHECK_ERRNO(mkfifo(path, 0600), EEXIST);

	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fd = open(path, O_WRONLY); /* blocks until the reader opens */
		if (fd < 0)
			_exit(2);
		for (int i = 0; i < 100; i++) {
			memset(buf, i, sizeof(buf));
			if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(3);
		}
		close(fd);
		_exit(0);
	}
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open fifo for reading");
	long total = 0;
	for (;;) {
		ssize_t r = read(fd, buf, 1000);
		CHECK(r >= 0, "read fifo");
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			CHECK(buf[i] == (char)((total + i) / 4096), "byte %ld", total + i);
		total += r;
	}
	CHECK(total == 100 * 4096, "read %ld bytes", total);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "writer status 0x%x", status);
	close(fd);

	/* Non-blocking opens. */
	CHECK_ERRNO(open(path, O_WRONLY | O_NONBLOCK), ENXIO);
	int rfd = open(path, O_RDONLY | O_NONBLOCK);
	CHECK(rfd >= 0, "non-blocking reader alone");
	CHECK(read(rfd, buf, 1) == 0, "no writer yet: EOF");
	int wfd = open(path, O_WRONLY | O_NONBLOCK);
	CHECK(wfd >= 0, "non-blocking writer with a reader");
	CHECK(write(wfd, "hi", 2) == 2, "write");
	CHECK(read(rfd, buf, sizeof(buf)) == 2 && memcmp(buf, "hi", 2) == 0, "read hi");
	CHECK_ERRNO(read(rfd, buf, 1), EAGAIN);
	close(wfd);
	CHECK(read(rfd, buf, 1) == 0, "EOF after the writer closed");
	close(rfd);
	CHECK(unlink(path) == 0, "unlink");
	return 0;
}
