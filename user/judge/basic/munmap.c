/* munmap: the pages are gone: a fresh mapping at the same address reads
 * zeroes; a misaligned address is EINVAL. */
#include "judge_test.h"
#include <sys/mman.h>

int main(void)
{
	jt_begin("munmap");
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	JT_CHECK(p != MAP_FAILED);
	p[0] = 1;
	p[4096] = 2;
	JT_CHECK(munmap(p, 8192) == 0);
	char *q = mmap(p, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	JT_CHECK(q == p && q[0] == 0 && q[4096] == 0);
	JT_CHECK(munmap(q, 8192) == 0);
	JT_CHECK(munmap((void *)1, 4096) == -1 && errno == EINVAL);
	return jt_end();
}
