/* open: create, read back; a missing file is ENOENT; O_EXCL is EEXIST. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	char buf[16] = { 0 };
	jt_begin("open");
	int fd = open("/tmp/jt_open", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0);
	JT_CHECK(write(fd, "open", 4) == 4);
	close(fd);
	fd = open("/tmp/jt_open", O_RDONLY);
	JT_CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && !strcmp(buf, "open"));
	close(fd);
	JT_CHECK(open("/tmp/jt_open", O_CREAT | O_EXCL | O_RDWR, 0644) == -1 && errno == EEXIST);
	JT_CHECK(open("/tmp/jt_no_such_file", O_RDONLY) == -1 && errno == ENOENT);
	unlink("/tmp/jt_open");
	return jt_end();
}
