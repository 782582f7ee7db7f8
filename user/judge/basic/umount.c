/* umount: a path that is no mount point is EINVAL, a missing one ENOENT. */
#include "judge_test.h"
#include <sys/mount.h>
#include <sys/stat.h>

int main(void)
{
	jt_begin("umount");
	mkdir("/tmp/jt_umount", 0755);
	JT_CHECK(umount("/tmp/jt_umount") == -1 && errno == EINVAL);
	JT_CHECK(umount("/tmp/jt_no_such_dir") == -1 && errno == ENOENT);
	rmdir("/tmp/jt_umount");
	return jt_end();
}
