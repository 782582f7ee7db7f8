/* sleep: one second passes (nanosleep underneath). */
#include "judge_test.h"
#include <time.h>

int main(void)
{
	struct timespec a, b;
	jt_begin("sleep");
	clock_gettime(CLOCK_MONOTONIC, &a);
	JT_CHECK(sleep(1) == 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	JT_CHECK(ms >= 1000 && ms < 5000);
	return jt_end();
}
