/*
 * Helpers for the pthread stress tests (user/tests/pthread_*.c): start N
 * threads on one function and join them, failing the test on any error.
 */
#ifndef FERRITE_USER_TESTS_PTHREAD_COMMON_H
#define FERRITE_USER_TESTS_PTHREAD_COMMON_H
#include "common.h"
#include <pthread.h>

#define PT_CHECK(call)                                                         \
	do {                                                                   \
		int e_ = (call);                                               \
		errno = e_;                                                    \
		CHECK(e_ == 0, "%s", #call);                                   \
	} while (0)

/* Run fn(i) on n threads (i = 0..n-1) and wait for all of them. */
static inline void run_threads(int n, void *(*fn)(void *))
{
	pthread_t t[64];

	CHECK(n <= 64, "too many threads");
	for (long i = 0; i < n; i++)
		PT_CHECK(pthread_create(&t[i], NULL, fn, (void *)i));
	for (int i = 0; i < n; i++)
		PT_CHECK(pthread_join(t[i], NULL));
}
#endif
