/*
 * SMP TLB shootdown: a thread on one CPU keeps reading a page while the
 * main thread on another CPU drops its protection (mprotect PROT_NONE) or
 * unmaps it: the reader must fault soon after (SIGSEGV), never keep
 * reading the old page. Repeated with fork storms from several threads to
 * exercise copy-on-write breaks while the address space is live elsewhere.
 */
#include "common.h"
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static int cpu_a, cpu_b;
static volatile unsigned *page;
static atomic_int reading, faulted;
static sigjmp_buf jb;
static __thread int in_reader;

static void on_segv(int sig)
{
	(void)sig;
	if (!in_reader)
		_exit(3);
	siglongjmp(jb, 1);
}

static void *reader(void *arg)
{
	(void)arg;
	pin_to_cpu(cpu_b);
	in_reader = 1;
	if (sigsetjmp(jb, 1)) {
		atomic_store(&faulted, 1);
		return NULL;
	}
	for (;;) {
		if (page[0] != 0x5a5a5a5a)
			_exit(4); /* read something that is not the page */
		atomic_store(&reading, 1);
	}
}

static void one_round(int unmap)
{
	pthread_t th;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED, "mmap");
	page[0] = 0x5a5a5a5a;
	atomic_store(&reading, 0);
	atomic_store(&faulted, 0);
	CHECK(pthread_create(&th, NULL, reader, NULL) == 0, "pthread_create");
	while (!atomic_load(&reading))
		sched_yield();
	if (unmap)
		CHECK(munmap((void *)page, 4096) == 0, "munmap");
	else
		CHECK(mprotect((void *)page, 4096, PROT_NONE) == 0, "mprotect");
	double start = monotonic_seconds();
	while (!atomic_load(&faulted) && monotonic_seconds() - start < 5)
		sched_yield();
	CHECK(atomic_load(&faulted), "the reader kept reading for 5 s after %s",
	      unmap ? "munmap" : "mprotect");
	pthread_join(th, NULL);
	if (!unmap)
		munmap((void *)page, 4096);
}

static void *forker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return (void *)1;
	}
	return NULL;
}

int main(void)
{
	cpu_set_t all;
	struct sigaction sa = { .sa_handler = on_segv };

	two_cpus(&all, &cpu_a, &cpu_b);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	pin_to_cpu(cpu_a);
	for (int i = 0; i < 10; i++) {
		one_round(0);
		one_round(1);
	}
	CHECK(sched_setaffinity(0, sizeof(all), &all) == 0, "restore");

	/* Fork storms from several threads at once. */
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, forker, NULL) == 0, "pthread_create");
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		CHECK(r == NULL, "fork storm thread %d", i);
	}
	return 0;
}
