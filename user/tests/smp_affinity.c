/*
 * SMP: sched_setaffinity pins the caller (sched_getcpu follows at once),
 * sched_getaffinity reports the mask; an empty mask, or one naming only
 * CPUs that do not exist, is EINVAL; a short mask length is EINVAL for
 * getaffinity; a child inherits the mask; a pinned pipe ping-pong and a
 * futex ping-pong between two CPUs keep their data in order; a signal
 * reaches a thread spinning on another CPU within a second.
 */
#include "common.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define ROUNDS 500

static cpu_set_t all;
static int first_cpu, second_cpu;

static void pin(int cpu)
{
	pin_to_cpu(cpu);
	CHECK(sched_getcpu() == cpu, "pinned to %d, running on %d", cpu, sched_getcpu());
}

static void pipe_pingpong(void)
{
	int ab[2], ba[2];
	CHECK(pipe(ab) == 0 && pipe(ba) == 0, "pipe");
	pid_t pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		pin(second_cpu);
		for (unsigned i = 0; i < ROUNDS; i++) {
			unsigned v;
			if (read(ab[0], &v, sizeof(v)) != sizeof(v) || v != i)
				_exit(2);
			v = ~i;
			if (write(ba[1], &v, sizeof(v)) != sizeof(v))
				_exit(3);
		}
		_exit(0);
	}
	pin(first_cpu);
	for (unsigned i = 0; i < ROUNDS; i++) {
		unsigned v = i;
		CHECK(write(ab[1], &v, sizeof(v)) == sizeof(v), "write");
		CHECK(read(ba[0], &v, sizeof(v)) == sizeof(v) && v == ~i, "read %u", i);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x", status);
	close(ab[0]), close(ab[1]), close(ba[0]), close(ba[1]);
}

static atomic_uint turn; /* the futex word: even = main, odd = thread */

static void *futex_partner(void *arg)
{
	(void)arg;
	pin(second_cpu);
	for (unsigned i = 1; i < 2 * ROUNDS; i += 2) {
		unsigned v;
		while ((v = atomic_load(&turn)) != i)
			syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		atomic_store(&turn, i + 1);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

static void futex_pingpong(void)
{
	pthread_t th;
	pin(first_cpu);
	CHECK(pthread_create(&th, NULL, futex_partner, NULL) == 0, "pthread_create");
	for (unsigned i = 0; i < 2 * ROUNDS; i += 2) {
		unsigned v;
		while ((v = atomic_load(&turn)) != i)
			syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		atomic_store(&turn, i + 1);
		syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	pthread_join(th, NULL);
	CHECK(atomic_load(&turn) == 2 * ROUNDS, "turn %u", atomic_load(&turn));
}

static atomic_int got_signal, spinning;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_store(&got_signal, 1);
}

static void *spin_thread(void *arg)
{
	(void)arg;
	pin(second_cpu);
	atomic_store(&spinning, 1);
	while (!atomic_load(&got_signal))
		;
	return NULL;
}

static void signal_to_spinner(void)
{
	pthread_t th;
	signal(SIGUSR1, on_usr1);
	pin(first_cpu);
	CHECK(pthread_create(&th, NULL, spin_thread, NULL) == 0, "pthread_create");
	while (!atomic_load(&spinning))
		sched_yield();
	double start = monotonic_seconds();
	CHECK(pthread_kill(th, SIGUSR1) == 0, "pthread_kill");
	while (!atomic_load(&got_signal) && monotonic_seconds() - start < 5)
		sched_yield();
	double took = monotonic_seconds() - start;
	pthread_join(th, NULL);
	CHECK(took < 1.0, "signal to a spinning thread took %.3f s", took);
}

int main(void)
{
	cpu_set_t s;

	two_cpus(&all, &first_cpu, &second_cpu);

	/* Errors. */
	CPU_ZERO(&s);
	CHECK_ERRNO(sched_setaffinity(0, sizeof(s), &s), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, &s), EINVAL);
	CHECK_ERRNO(sched_setaffinity(999999, sizeof(all), &all), ESRCH);

	/* Pin to each CPU in turn. */
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &all))
			pin(c);
	CHECK(sched_getaffinity(0, sizeof(s), &s) == 0 && CPU_COUNT(&s) == 1, "pinned mask");

	/* A child inherits the mask. */
	pid_t pid = fork();
	if (pid == 0) {
		cpu_set_t m;
		_exit(sched_getaffinity(0, sizeof(m), &m) == 0 && CPU_COUNT(&m) == 1 ? 0 : 1);
	}
	int status;
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child's mask");

	pipe_pingpong();
	futex_pingpong();
	signal_to_spinner();
	CHECK(sched_setaffinity(0, sizeof(all), &all) == 0, "restore");
	printf("smp_affinity: CPUs %d and %d\n", first_cpu, second_cpu);
	return 0;
}
