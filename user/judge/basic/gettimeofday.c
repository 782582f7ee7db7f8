/* gettimeofday: time goes forward across a short sleep. */
#include "judge_test.h"
#include <sys/time.h>
#include <time.h>

int main(void)
{
	struct timeval a, b;
	jt_begin("gettimeofday");
	JT_CHECK(gettimeofday(&a, NULL) == 0);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	JT_CHECK(gettimeofday(&b, NULL) == 0);
	long us = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_usec - a.tv_usec);
	JT_CHECK(us >= 15000 && us < 10 * 1000000L);
	JT_CHECK(a.tv_usec >= 0 && a.tv_usec < 1000000);
	printf("  20 ms sleep measured %ld us\n", us);
	return jt_end();
}
