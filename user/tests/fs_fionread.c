/*
 * Issue 8 item 7: ioctl(FIONREAD) on a pipe gave ENOTTY. It reports the
 * bytes waiting in the pipe, on either end (Linux), through the pipe's
 * ioctl operation; a regular file answers size - position (the VFS's
 * generic case); the console tty answers from its input queue.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

static int unread(int fd)
{
	int n = -1;

	CHECK(ioctl(fd, FIONREAD, &n) == 0, "FIONREAD on %d", fd);
	return n;
}

int main(void)
{
	int p[2];

	CHECK(pipe(p) == 0, "pipe");
	CHECK(unread(p[0]) == 0, "empty pipe");
	CHECK(write(p[1], "hello world", 11) == 11, "write");
	CHECK(unread(p[0]) == 11, "11 bytes: %d", unread(p[0]));
	CHECK(unread(p[1]) == 11, "the write end counts too");
	char buf[4];
	CHECK(read(p[0], buf, 4) == 4, "read");
	CHECK(unread(p[0]) == 7, "7 left: %d", unread(p[0]));
	CHECK_ERRNO(ioctl(p[0], FIONREAD, launder_ptr(8)), EFAULT);
	if (!under_qemu_user()) /* qemu-user: ENOSYS for requests it does not know */
		CHECK_ERRNO(ioctl(p[0], 0x12345678, &p), ENOTTY);
	close(p[0]);
	close(p[1]);

	/* FIFOs share the pipe's operations. */
	unlink("/tmp/fionread.fifo");
	CHECK(mkfifo("/tmp/fionread.fifo", 0600) == 0, "mkfifo");
	int f = open("/tmp/fionread.fifo", O_RDWR);
	CHECK(f >= 0, "open fifo");
	CHECK(write(f, "abc", 3) == 3, "write fifo");
	CHECK(unread(f) == 3, "fifo: %d", unread(f));
	close(f);
	unlink("/tmp/fionread.fifo");

	/* A regular file: size - position. */
	int r = open("/tmp/fionread.reg", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(r >= 0, "open regular");
	CHECK(write(r, "0123456789", 10) == 10, "write regular");
	CHECK(unread(r) == 0, "at the end: %d", unread(r));
	CHECK(lseek(r, 3, SEEK_SET) == 3, "lseek");
	CHECK(unread(r) == 7, "regular: %d", unread(r));
	close(r);
	unlink("/tmp/fionread.reg");

	/* The console, when there is one (not under the Linux reference). */
	int t = open("/dev/console", O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (t >= 0) {
		int n = -1;
		if (ioctl(t, FIONREAD, &n) == 0)
			CHECK(n >= 0, "console FIONREAD %d", n);
		close(t);
	}
	return 0;
}
