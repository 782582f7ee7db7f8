/* chdir: into a new directory and back; a missing one is ENOENT. */
#include "judge_test.h"
#include <sys/stat.h>

int main(void)
{
	char buf[4096], start[4096];
	jt_begin("chdir");
	JT_CHECK(getcwd(start, sizeof(start)) != NULL);
	mkdir("/tmp/jt_chdir", 0755);
	JT_CHECK(chdir("/tmp/jt_chdir") == 0);
	JT_CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp/jt_chdir"));
	JT_CHECK(chdir("/tmp/jt_no_such_dir") == -1 && errno == ENOENT);
	JT_CHECK(chdir(start) == 0);
	rmdir("/tmp/jt_chdir");
	return jt_end();
}
