/*
 * mincore: one byte per page, bit 0 for pages in memory; touched anonymous
 * pages are resident, an untouched private anonymous page is not; EINVAL
 * for an unaligned address, ENOMEM for a range with a hole, EFAULT for a
 * bad vector.
 */
#include "common.h"
#include <sys/mman.h>

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char vec[8];
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED, "mmap");
	p[0] = 1;
	p[2 * pg] = 1;
	CHECK(mincore(p, 4 * pg, vec) == 0, "mincore");
	CHECK((vec[0] & 1) && !(vec[1] & 1) && (vec[2] & 1) && !(vec[3] & 1),
	      "resident pages %d %d %d %d", vec[0], vec[1], vec[2], vec[3]);
	CHECK(mincore(p, 1, vec) == 0 && (vec[0] & 1), "a partial page counts whole");
	CHECK(mincore(p, 0, vec) == 0, "empty range");
	CHECK_ERRNO(mincore(p + 1, pg, vec), EINVAL);
	CHECK_ERRNO(mincore(p, 4 * pg, launder_ptr(8)), EFAULT);
	CHECK(munmap(p + pg, pg) == 0, "punch a hole");
	CHECK_ERRNO(mincore(p, 4 * pg, vec), ENOMEM);
	munmap(p, 4 * pg);
	printf("mincore: ok\n");
	return 0;
}
