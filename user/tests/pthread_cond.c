/* Producer/consumer queue on a mutex and two condition variables: 4
 * producers and 4 consumers move 8000 numbered items through an 8-slot ring;
 * every item arrives exactly once. Ends with a pthread_cond_broadcast. */
#include "pthread_common.h"

#define NPROD 4
#define NCONS 4
#define PER_PROD 2000
#define TOTAL (NPROD * PER_PROD)
#define QSIZE 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int ring[QSIZE], head, count, consumed;
static unsigned char seen[TOTAL];

static void *producer(void *arg)
{
	int base = (int)(long)arg * PER_PROD;

	for (int i = 0; i < PER_PROD; i++) {
		PT_CHECK(pthread_mutex_lock(&lock));
		while (count == QSIZE)
			PT_CHECK(pthread_cond_wait(&not_full, &lock));
		ring[(head + count++) % QSIZE] = base + i;
		PT_CHECK(pthread_cond_signal(&not_empty));
		PT_CHECK(pthread_mutex_unlock(&lock));
	}
	return NULL;
}

static void *consumer(void *arg)
{
	for (;;) {
		int v;

		PT_CHECK(pthread_mutex_lock(&lock));
		while (count == 0 && consumed < TOTAL)
			PT_CHECK(pthread_cond_wait(&not_empty, &lock));
		if (count == 0) { /* all done */
			PT_CHECK(pthread_mutex_unlock(&lock));
			return arg;
		}
		v = ring[head];
		head = (head + 1) % QSIZE;
		count--;
		CHECK(v >= 0 && v < TOTAL && !seen[v], "item %d twice or bad", v);
		seen[v] = 1;
		if (++consumed == TOTAL)
			PT_CHECK(pthread_cond_broadcast(&not_empty));
		PT_CHECK(pthread_cond_signal(&not_full));
		PT_CHECK(pthread_mutex_unlock(&lock));
	}
}

static void *role(void *arg)
{
	long i = (long)arg;
	return i < NPROD ? producer((void *)i) : consumer((void *)i);
}

int main(void)
{
	run_threads(NPROD + NCONS, role);
	CHECK(consumed == TOTAL && count == 0, "consumed %d, left %d", consumed, count);
	for (int i = 0; i < TOTAL; i++)
		CHECK(seen[i], "item %d lost", i);
	return 0;
}
