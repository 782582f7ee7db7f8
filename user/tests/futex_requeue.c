/* Raw futex wake counts, REQUEUE, CMP_REQUEUE and WAKE_OP with threads
 * asleep on private futexes (counted with a requeue-to-self). */
#include "futex_common.h"
#include <pthread.h>

#define N 4

static uint32_t fa, fb;
static int woke_ok;

static void *sleeper(void *arg)
{
	long r = futex(&fa, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	CHECK(r == 0, "FUTEX_WAIT returned %ld", r);
	__atomic_add_fetch(&woke_ok, 1, __ATOMIC_SEQ_CST);
	return arg;
}

static void start(pthread_t *t, int n)
{
	for (long i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, sleeper, (void *)i) == 0, "pthread_create");
	wait_for_sleepers(&fa, FUTEX_PRIVATE_FLAG, n);
}

static void join(pthread_t *t, int n)
{
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0, "pthread_join");
}

int main(void)
{
	pthread_t t[N];
	long r;

	/* Wake counts. */
	start(t, N);
	CHECK((r = futex(&fa, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0)) == 2, "wake 2: %ld", r);
	CHECK(futex_sleepers(&fa, FUTEX_PRIVATE_FLAG) == 2, "two left");
	CHECK((r = futex(&fa, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)) == 2, "wake rest: %ld", r);
	join(t, N);
	CHECK(woke_ok == N, "woke %d", woke_ok);

	/* CMP_REQUEUE: wake 1, move 2 to fb, leave 1. */
	start(t, N);
	CHECK_ERRNO(futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &fb, 1), EAGAIN);
	CHECK((r = futex(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &fb, 0)) == 3,
	      "cmp_requeue: %ld", r);
	CHECK(futex_sleepers(&fb, FUTEX_PRIVATE_FLAG) == 2, "two on fb");
	CHECK(futex_sleepers(&fa, FUTEX_PRIVATE_FLAG) == 1, "one on fa");
	/* Plain REQUEUE back, then one wake for all. */
	CHECK((r = futex(&fb, FUTEX_REQUEUE_PRIVATE, 0, (void *)10, &fa, 0)) == 2,
	      "requeue: %ld", r);
	CHECK((r = futex(&fa, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0)) == 3, "wake: %ld", r);
	join(t, N);

	/* WAKE_OP: fb += 1; wake 1 on fa, and 1 on fb when old fb == 0. */
	start(t, 2);
	fb = 0;
	r = futex(&fa, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &fb,
		  FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 5));
	CHECK(r == 1 && fb == 1, "wake_op (cmp false): %ld, fb %u", r, fb);
	r = futex(&fa, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &fb,
		  FUTEX_OP((FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_EQ, 1));
	CHECK(r == 1 && fb == 17, "wake_op (cmp true): %ld, fb %u", r, fb);
	join(t, 2);
	return 0;
}
