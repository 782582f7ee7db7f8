/* getcwd: the path of the directory we are in; a short buffer is ERANGE. */
#include "judge_test.h"

int main(void)
{
	char buf[4096], small[2];
	jt_begin("getcwd");
	JT_CHECK(chdir("/tmp") == 0);
	JT_CHECK(getcwd(buf, sizeof(buf)) && !strcmp(buf, "/tmp"));
	JT_CHECK(getcwd(small, sizeof(small)) == NULL && errno == ERANGE);
	return jt_end();
}
