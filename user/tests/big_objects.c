/*
 * Large sparse memory objects (issue 8, item 4's sibling: no allocation
 * proportional to an object's size): an 8 GiB shared anonymous mapping
 * touched at both ends and shared with a child, and a ramfs file written
 * at a 6 GiB offset, each costing only the pages touched.
 */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>

#define BIG (8UL << 30)

int main(void)
{
	char *p = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	int status;

	CHECK(p != MAP_FAILED, "mmap 8 GiB shared");
	p[0] = 'a';
	p[BIG - 1] = 'z';
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (p[BIG - 1] != 'z')
			_exit(1);
		p[BIG - 4096] = 'c';
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status),
	      "child 0x%x", status);
	CHECK(p[BIG - 4096] == 'c' && p[0] == 'a', "the child's write is shared");
	CHECK(munmap(p, BIG) == 0, "munmap");

	char path[64], buf[4] = "";
	off_t far = (off_t)6 << 30;
	snprintf(path, sizeof(path), "/tmp/big-objects-%d", (int)getpid());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0, "open %s", path);
	CHECK(pwrite(fd, "end", 3, far) == 3, "pwrite at 6 GiB");
	CHECK(pread(fd, buf, 3, far) == 3 && !memcmp(buf, "end", 3), "read back");
	CHECK(pread(fd, buf, 3, far / 2) == 3 && !buf[0] && !buf[1], "a hole reads as zeros");
	CHECK(lseek(fd, 0, SEEK_END) == far + 3, "size");
	close(fd);
	CHECK(unlink(path) == 0, "unlink");
	return 0;
}
