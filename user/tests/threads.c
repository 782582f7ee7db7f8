/* 100 pthreads created, all alive at once, each writes its slot, all joined. */
#include "common.h"
#include <pthread.h>

#define NTHREADS 100

static long slots[NTHREADS];

static void *worker(void *arg)
{
	long i = (long)arg;
	slots[i] = i * 3 + 1;
	return (void *)(i + 1000);
}

int main(void)
{
	pthread_t tids[NTHREADS];
	pthread_attr_t attr;

	CHECK(pthread_attr_init(&attr) == 0, "pthread_attr_init");
	CHECK(pthread_attr_setstacksize(&attr, 256 * 1024) == 0, "setstacksize");
	for (long i = 0; i < NTHREADS; i++) {
		int err = pthread_create(&tids[i], &attr, worker, (void *)i);
		errno = err;
		CHECK(err == 0, "pthread_create #%ld", i);
	}
	for (long i = 0; i < NTHREADS; i++) {
		void *ret;
		int err = pthread_join(tids[i], &ret);
		errno = err;
		CHECK(err == 0, "pthread_join #%ld", i);
		CHECK((long)ret == i + 1000, "thread %ld returned %ld", i, (long)ret);
	}
	for (long i = 0; i < NTHREADS; i++)
		CHECK(slots[i] == i * 3 + 1, "slot %ld = %ld", i, slots[i]);
	pthread_attr_destroy(&attr);
	return 0;
}
