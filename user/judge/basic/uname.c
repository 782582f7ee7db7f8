/* uname: Linux's fields, filled. */
#include "judge_test.h"
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	jt_begin("uname");
	JT_CHECK(uname(&u) == 0);
	JT_CHECK(u.sysname[0] && u.release[0] && u.machine[0]);
	printf("  %s %s %s %s\n", u.sysname, u.nodename, u.release, u.machine);
	return jt_end();
}
