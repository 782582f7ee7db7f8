/* openat: relative to a directory descriptor. */
#include "judge_test.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	jt_begin("openat");
	mkdir("/tmp/jt_openat", 0755);
	int dir = open("/tmp/jt_openat", O_RDONLY | O_DIRECTORY);
	JT_CHECK(dir >= 0);
	int fd = openat(dir, "file", O_CREAT | O_RDWR, 0644);
	JT_CHECK(fd >= 0);
	close(fd);
	JT_CHECK(access("/tmp/jt_openat/file", F_OK) == 0);
	JT_CHECK(openat(-5, "file", O_RDONLY) == -1 && errno == EBADF);
	unlink("/tmp/jt_openat/file");
	close(dir);
	rmdir("/tmp/jt_openat");
	return jt_end();
}
