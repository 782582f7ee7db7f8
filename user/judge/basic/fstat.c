/* fstat: size and type of a file just written. */
#include "judge_test.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;
	jt_begin("fstat");
	int fd = open("/tmp/jt_fstat", O_CREAT | O_RDWR | O_TRUNC, 0644);
	JT_CHECK(fd >= 0);
	JT_CHECK(write(fd, "12345", 5) == 5);
	JT_CHECK(fstat(fd, &st) == 0);
	JT_CHECK(S_ISREG(st.st_mode) && st.st_size == 5 && st.st_nlink == 1);
	JT_CHECK(fstat(-1, &st) == -1 && errno == EBADF);
	close(fd);
	unlink("/tmp/jt_fstat");
	return jt_end();
}
