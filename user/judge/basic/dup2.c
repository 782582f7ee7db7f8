/* dup2: onto a chosen number, replacing what was there. */
#include "judge_test.h"
#include <fcntl.h>

int main(void)
{
	jt_begin("dup2");
	int p[2];
	JT_CHECK(pipe(p) == 0);
	JT_CHECK(dup2(p[1], 100) == 100);
	JT_CHECK(write(100, "hi", 2) == 2);
	char buf[4] = { 0 };
	JT_CHECK(read(p[0], buf, 2) == 2 && !strcmp(buf, "hi"));
	JT_CHECK(dup2(100, 100) == 100);
	JT_CHECK(dup2(-1, 5) == -1 && errno == EBADF);
	close(100);
	close(p[0]);
	close(p[1]);
	return jt_end();
}
