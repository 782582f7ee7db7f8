/* unlink: the name goes; an open descriptor still reads. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	char c = 0;
	jt_begin("unlink");
	int fd = open("/tmp/jt_unlink", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0 && write(fd, "u", 1) == 1);
	JT_CHECK(unlink("/tmp/jt_unlink") == 0);
	JT_CHECK(access("/tmp/jt_unlink", F_OK) == -1 && errno == ENOENT);
	JT_CHECK(pread(fd, &c, 1, 0) == 1 && c == 'u');
	JT_CHECK(unlink("/tmp/jt_unlink") == -1 && errno == ENOENT);
	close(fd);
	return jt_end();
}
