/* brk: the break moves up and back; memory below it is usable. The system
 * call itself (musl's brk() wrapper always fails with ENOMEM). */
#include "judge_test.h"
#include <stdint.h>
#include <sys/syscall.h>

static char *sys_brk(void *addr)
{
	return (char *)syscall(SYS_brk, addr);
}

int main(void)
{
	jt_begin("brk");
	char *cur = sys_brk(0);
	JT_CHECK(cur != NULL);
	JT_CHECK(sys_brk(cur + 64 * 1024) == cur + 64 * 1024);
	JT_CHECK(sys_brk(0) == cur + 64 * 1024);
	memset(cur, 0x5a, 64 * 1024);
	JT_CHECK(cur[64 * 1024 - 1] == 0x5a);
	JT_CHECK(sys_brk(cur) == cur);
	JT_CHECK(sys_brk(0) == cur);
	return jt_end();
}
