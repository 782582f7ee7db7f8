/* mount: Linux's errors, which every kernel can give without a second
 * disk: a missing target is ENOENT, an unknown file system type ENODEV. */
#include "judge_test.h"
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	jt_begin("mount");
	mkdir("/tmp/jt_mnt", 0755);
	JT_CHECK(mount("none", "/tmp/jt_no_such_dir", "proc", 0, NULL) == -1 && errno == ENOENT);
	JT_CHECK(mount("none", "/tmp/jt_mnt", "no-such-fs-type", 0, NULL) == -1 && errno == ENODEV);
	rmdir("/tmp/jt_mnt");
	return jt_end();
}
