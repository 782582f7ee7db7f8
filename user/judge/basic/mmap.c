/* mmap: a file's contents through a shared mapping, and anonymous memory. */
#include "judge_test.h"
#include <fcntl.h>
#include <sys/mman.h>

int main(void)
{
	jt_begin("mmap");
	int fd = open("/tmp/jt_mmap", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0);
	JT_CHECK(write(fd, "Hello, mmap successfully!", 25) == 25);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	JT_CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		JT_CHECK(!memcmp(p, "Hello, mmap successfully!", 25));
		munmap(p, 4096);
	}
	int *a = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_CHECK(a != MAP_FAILED);
	if (a != MAP_FAILED) {
		JT_CHECK(a[1000] == 0);
		a[(1 << 18) - 1] = 9;
		JT_CHECK(a[(1 << 18) - 1] == 9);
		munmap(a, 1 << 20);
	}
	JT_CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0) == MAP_FAILED && errno == EBADF);
	close(fd);
	unlink("/tmp/jt_mmap");
	return jt_end();
}
