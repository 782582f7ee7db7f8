/*
 * epoll across threads: two writers bump eventfds while two waiters share
 * one epoll instance and drain what it reports, edge-triggered and then
 * level-triggered. Every count written must be read back; a lost wake-up
 * leaves an edge-triggered count unread and the waiters time out. On
 * several CPUs this races wake-ups (which append to the ready list)
 * against harvests walking it.
 */
#include "common.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

enum { FDS = 8, WRITERS = 2, WAITERS = 2, WRITES = 4000 };

static int ep, fds[FDS];
static uint64_t total; /* atomic: counts read back */
static int stalled;    /* atomic: a waiter saw nothing for a second */

static void *writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
	uint64_t one = 1;

	for (int i = 0; i < WRITES; i++) {
		seed = seed * 1103515245u + 12345u;
		CHECK(write(fds[(seed >> 16) % FDS], &one, 8) == 8, "write");
	}
	return NULL;
}

static void *waiter(void *arg)
{
	const uint64_t want = (uint64_t)WRITERS * WRITES;
	struct epoll_event evs[4];

	while (__atomic_load_n(&total, __ATOMIC_SEQ_CST) < want) {
		int n = epoll_wait(ep, evs, 4, 1000);
		CHECK(n >= 0, "epoll_wait");
		if (n == 0 && __atomic_load_n(&total, __ATOMIC_SEQ_CST) < want) {
			__atomic_store_n(&stalled, 1, __ATOMIC_SEQ_CST);
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t v;
			ssize_t r = read(fds[evs[i].data.u32], &v, 8);
			if (r == 8)
				__atomic_add_fetch(&total, v, __ATOMIC_SEQ_CST);
			else
				CHECK(r < 0 && errno == EAGAIN, "read");
		}
	}
	return arg;
}

static void run(uint32_t mode, const char *name)
{
	pthread_t w[WRITERS], r[WAITERS];

	ep = epoll_create1(0);
	CHECK(ep >= 0, "epoll_create1");
	for (uint32_t i = 0; i < FDS; i++) {
		struct epoll_event ev = { .events = EPOLLIN | mode, .data.u32 = i };
		fds[i] = eventfd(0, EFD_NONBLOCK);
		CHECK(fds[i] >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == 0, "add %u", i);
	}
	total = 0;
	stalled = 0;
	for (long i = 0; i < WAITERS; i++)
		CHECK(pthread_create(&r[i], NULL, waiter, (void *)i) == 0, "pthread_create");
	for (long i = 0; i < WRITERS; i++)
		CHECK(pthread_create(&w[i], NULL, writer, (void *)i) == 0, "pthread_create");
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < WAITERS; i++)
		pthread_join(r[i], NULL);
	CHECK(!stalled && total == (uint64_t)WRITERS * WRITES, "%s: read %llu of %d (stalled %d)",
	      name, (unsigned long long)total, WRITERS * WRITES, stalled);
	for (int i = 0; i < FDS; i++)
		close(fds[i]);
	close(ep);
}

int main(void)
{
	alarm(120);
	run(EPOLLET, "edge-triggered");
	run(0, "level-triggered");
	printf("epoll_threads: ok\n");
	return 0;
}
