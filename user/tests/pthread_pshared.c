/* A process-shared pthread mutex and condition variable in a
 * MAP_SHARED|MAP_ANONYMOUS page, used across fork: parent and child take
 * turns (ping-pong) 500 times each through the condvar, then both add to
 * a counter under the mutex. Needs futexes keyed by the shared page. */
#include "pthread_common.h"
#include <sys/mman.h>

#define ROUNDS 500
#define ADDS 2000

struct shared {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int turn; /* 0: parent, 1: child */
	long counter;
};

static void play(struct shared *s, int me)
{
	for (int i = 0; i < ROUNDS; i++) {
		PT_CHECK(pthread_mutex_lock(&s->m));
		while (s->turn != me)
			PT_CHECK(pthread_cond_wait(&s->cv, &s->m));
		s->turn = !me;
		PT_CHECK(pthread_cond_broadcast(&s->cv));
		PT_CHECK(pthread_mutex_unlock(&s->m));
	}
	for (int i = 0; i < ADDS; i++) {
		PT_CHECK(pthread_mutex_lock(&s->m));
		s->counter++;
		PT_CHECK(pthread_mutex_unlock(&s->m));
	}
}

int main(void)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	struct shared *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				-1, 0);
	int status;
	pid_t pid;

	CHECK(s != MAP_FAILED, "mmap");
	PT_CHECK(pthread_mutexattr_init(&ma));
	PT_CHECK(pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED));
	PT_CHECK(pthread_mutex_init(&s->m, &ma));
	PT_CHECK(pthread_condattr_init(&ca));
	PT_CHECK(pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED));
	PT_CHECK(pthread_cond_init(&s->cv, &ca));
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		play(s, 1);
		_exit(0);
	}
	play(s, 0);
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	CHECK(s->counter == 2 * ADDS, "counter %ld", s->counter);
	CHECK(s->turn == 0, "turn %d", s->turn);
	return 0;
}
