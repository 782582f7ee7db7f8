/* mkdir: a new directory; again is EEXIST; under a file is ENOTDIR. */
#include "judge_test.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;
	jt_begin("mkdir");
	rmdir("/tmp/jt_mkdir");
	JT_CHECK(mkdir("/tmp/jt_mkdir", 0755) == 0);
	JT_CHECK(stat("/tmp/jt_mkdir", &st) == 0 && S_ISDIR(st.st_mode));
	JT_CHECK(mkdir("/tmp/jt_mkdir", 0755) == -1 && errno == EEXIST);
	close(open("/tmp/jt_mkdir_file", O_CREAT | O_WRONLY, 0644));
	JT_CHECK(mkdir("/tmp/jt_mkdir_file/sub", 0755) == -1 && errno == ENOTDIR);
	unlink("/tmp/jt_mkdir_file");
	JT_CHECK(rmdir("/tmp/jt_mkdir") == 0);
	return jt_end();
}
