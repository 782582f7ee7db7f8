/* A pthread rwlock guards a pair that writers keep equal (a == b) and a
 * generation count: 6 readers never see a torn pair, 2 writers never
 * overlap anyone, and all writes are counted. */
#include "pthread_common.h"

#define NREADERS 6
#define NWRITERS 2
#define ITERS 1500

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long a, b;
static int readers_in, writers_in; /* atomics */

static void *reader(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		PT_CHECK(pthread_rwlock_rdlock(&rw));
		__atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
		CHECK(__atomic_load_n(&writers_in, __ATOMIC_SEQ_CST) == 0, "reader beside writer");
		long x = a;
		if (i % 50 == 0)
			sched_yield();
		CHECK(x == b, "torn pair %ld/%ld", x, b);
		__atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
		PT_CHECK(pthread_rwlock_unlock(&rw));
	}
	return arg;
}

static void *writer(void *arg)
{
	for (int i = 0; i < ITERS; i++) {
		PT_CHECK(pthread_rwlock_wrlock(&rw));
		CHECK(__atomic_add_fetch(&writers_in, 1, __ATOMIC_SEQ_CST) == 1, "two writers");
		CHECK(__atomic_load_n(&readers_in, __ATOMIC_SEQ_CST) == 0, "writer beside reader");
		a++;
		if (i % 50 == 0)
			sched_yield();
		b++;
		__atomic_sub_fetch(&writers_in, 1, __ATOMIC_SEQ_CST);
		PT_CHECK(pthread_rwlock_unlock(&rw));
	}
	return arg;
}

static void *role(void *arg)
{
	return (long)arg < NWRITERS ? writer(arg) : reader(arg);
}

int main(void)
{
	run_threads(NREADERS + NWRITERS, role);
	CHECK(a == NWRITERS * ITERS && b == a, "a=%ld b=%ld", a, b);
	return 0;
}
