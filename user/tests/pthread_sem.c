/* Bounded buffer on POSIX semaphores: sem_t empty/full count the slots,
 * a third sem_t used as a binary lock guards the indices. 4 producers and
 * 4 consumers move 8000 values; the sum and the final counts must match.
 * Also sem_trywait's EAGAIN and sem_timedwait's ETIMEDOUT. */
#include "pthread_common.h"
#include <semaphore.h>
#include <time.h>

#define NPROD 4
#define NCONS 4
#define PER 2000
#define QSIZE 6

static sem_t empty, full, lock;
static long ring[QSIZE];
static int in, out;
static long sum;

static void *producer(void *arg)
{
	for (long i = 1; i <= PER; i++) {
		CHECK(sem_wait(&empty) == 0, "sem_wait empty");
		CHECK(sem_wait(&lock) == 0, "sem_wait lock");
		ring[in] = i;
		in = (in + 1) % QSIZE;
		CHECK(sem_post(&lock) == 0, "sem_post");
		CHECK(sem_post(&full) == 0, "sem_post");
	}
	return arg;
}

static void *consumer(void *arg)
{
	for (int i = 0; i < PER; i++) {
		CHECK(sem_wait(&full) == 0, "sem_wait full");
		CHECK(sem_wait(&lock) == 0, "sem_wait lock");
		sum += ring[out];
		out = (out + 1) % QSIZE;
		CHECK(sem_post(&lock) == 0, "sem_post");
		CHECK(sem_post(&empty) == 0, "sem_post");
	}
	return arg;
}

static void *role(void *arg)
{
	return (long)arg < NPROD ? producer(arg) : consumer(arg);
}

int main(void)
{
	struct timespec ts;
	int v;

	CHECK(sem_init(&empty, 0, QSIZE) == 0 && sem_init(&full, 0, 0) == 0 &&
	      sem_init(&lock, 0, 1) == 0, "sem_init");
	CHECK_ERRNO(sem_trywait(&full), EAGAIN);
	CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0, "clock_gettime");
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	CHECK_ERRNO(sem_timedwait(&full, &ts), ETIMEDOUT);
	run_threads(NPROD + NCONS, role);
	CHECK(sum == (long)NPROD * PER * (PER + 1) / 2, "sum %ld", sum);
	CHECK(sem_getvalue(&empty, &v) == 0 && v == QSIZE, "empty = %d", v);
	CHECK(sem_getvalue(&full, &v) == 0 && v == 0, "full = %d", v);
	return 0;
}
