/*
 * Found by the fuzzer: with a second thread alive, a system call that
 * looks its descriptor up without a reference when the table is private
 * (epoll_wait, the port calls) took one, and on a bad descriptor then put
 * a file it never had: a kernel fault. Each call must give EBADF.
 */
#include "common.h"
#include <pthread.h>
#include <sys/epoll.h>

static void *idle(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	CHECK(pthread_create(&t, NULL, idle, NULL) == 0, "pthread_create");
	struct epoll_event ev;
	for (int i = 0; i < 3; i++) {
		CHECK_ERRNO(epoll_wait(999, &ev, 1, 0), EBADF);
		CHECK_ERRNO(epoll_wait(-1, &ev, 1, 0), EBADF);
	}
	printf("fuzz_badfd_threads: ok\n");
	return 0;
}
