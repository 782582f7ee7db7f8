/* dup: the lowest free descriptor, sharing the file offset. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	jt_begin("dup");
	int fd = open("/tmp/jt_dup", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0);
	int fd2 = dup(fd);
	JT_CHECK(fd2 > fd);
	JT_CHECK(write(fd, "ab", 2) == 2);
	JT_CHECK(lseek(fd2, 0, SEEK_CUR) == 2);
	JT_CHECK(dup(-1) == -1 && errno == EBADF);
	close(fd);
	close(fd2);
	unlink("/tmp/jt_dup");
	return jt_end();
}
