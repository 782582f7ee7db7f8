/* read: what was written, then 0 at end of file. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	char buf[64] = { 0 };
	jt_begin("read");
	int fd = open("/tmp/jt_read", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0 && write(fd, "read test\n", 10) == 10);
	JT_CHECK(lseek(fd, 0, SEEK_SET) == 0);
	JT_CHECK(read(fd, buf, sizeof(buf)) == 10 && !strcmp(buf, "read test\n"));
	JT_CHECK(read(fd, buf, sizeof(buf)) == 0);
	JT_CHECK(read(-1, buf, 1) == -1 && errno == EBADF);
	close(fd);
	unlink("/tmp/jt_read");
	return jt_end();
}
