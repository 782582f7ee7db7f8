/* brk: the break moves up and back; memory below it is usable. */
#include "judge_test.h"
#include <stdint.h>

int main(void)
{
	jt_begin("brk");
	char *cur = sbrk(0);
	JT_CHECK(cur != (void *)-1);
	JT_CHECK(brk(cur + 64 * 1024) == 0);
	JT_CHECK(sbrk(0) == cur + 64 * 1024);
	memset(cur, 0x5a, 64 * 1024);
	JT_CHECK(cur[64 * 1024 - 1] == 0x5a);
	JT_CHECK(brk(cur) == 0);
	JT_CHECK(sbrk(0) == cur);
	return jt_end();
}
