/* write: to the console and to a file; a read-only descriptor is EBADF. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	jt_begin("write");
	JT_CHECK(write(STDOUT_FILENO, "  Hello operating system contest.\n", 34) == 34);
	int fd = open("/dev/null", O_RDONLY);
	JT_CHECK(fd >= 0 && write(fd, "x", 1) == -1 && errno == EBADF);
	close(fd);
	return jt_end();
}
