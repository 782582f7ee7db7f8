/* 8 threads pass a pthread barrier 300 times: in each phase every thread
 * writes the phase number to its slot, and after the barrier all slots
 * show that phase; exactly one thread per phase is the serial thread. */
#include "pthread_common.h"

#define NTHREADS 8
#define PHASES 300

static pthread_barrier_t bar;
static int slots[NTHREADS];
static int serial_count[PHASES];

static void *worker(void *arg)
{
	long me = (long)arg;

	for (int p = 0; p < PHASES; p++) {
		slots[me] = p;
		int r = pthread_barrier_wait(&bar);
		CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, "barrier_wait %d", r);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serial_count[p], 1, __ATOMIC_SEQ_CST);
		for (int i = 0; i < NTHREADS; i++)
			CHECK(slots[i] == p, "phase %d: slot %d = %d", p, i, slots[i]);
		/* Nobody may start the next phase before all have checked. */
		r = pthread_barrier_wait(&bar);
		CHECK(r == 0 || r == PTHREAD_BARRIER_SERIAL_THREAD, "barrier_wait %d", r);
	}
	return arg;
}

int main(void)
{
	PT_CHECK(pthread_barrier_init(&bar, NULL, NTHREADS));
	run_threads(NTHREADS, worker);
	for (int p = 0; p < PHASES; p++)
		CHECK(serial_count[p] == 1, "phase %d had %d serial threads", p, serial_count[p]);
	PT_CHECK(pthread_barrier_destroy(&bar));
	return 0;
}
