/* close: a descriptor closes once; the second close is EBADF. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	jt_begin("close");
	int fd = open("/tmp/jt_close", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0);
	JT_CHECK(close(fd) == 0);
	JT_CHECK(close(fd) == -1 && errno == EBADF);
	JT_CHECK(write(fd, "x", 1) == -1 && errno == EBADF);
	unlink("/tmp/jt_close");
	return jt_end();
}
