/* 8 threads x 2000 iterations on one pthread mutex: the shared counter and
 * a "two fields change together" invariant must hold; trylock is mixed in. */
#include "pthread_common.h"

#define NTHREADS 8
#define ITERS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter, shadow;
static int inside;

static void *worker(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		if (i % 4 == 3) {
			int e = pthread_mutex_trylock(&lock);
			CHECK(e == 0 || e == EBUSY, "trylock: %d", e);
			if (e)
				PT_CHECK(pthread_mutex_lock(&lock));
		} else {
			PT_CHECK(pthread_mutex_lock(&lock));
		}
		CHECK(++inside == 1, "two threads inside the mutex");
		counter++;
		if (i % 64 == 0)
			sched_yield(); /* let others pile up on the futex */
		shadow++;
		CHECK(counter == shadow, "torn update");
		inside--;
		PT_CHECK(pthread_mutex_unlock(&lock));
	}
	return arg;
}

int main(void)
{
	run_threads(NTHREADS, worker);
	CHECK(counter == NTHREADS * ITERS, "counter %ld", counter);
	return 0;
}
