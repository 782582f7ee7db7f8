/*
 * SMP: as many threads as CPUs, each spinning until every thread has seen
 * itself on a distinct CPU at the same time (sched_getcpu), within a few
 * seconds; then 8 threads x 100,000 atomic increments must sum exactly;
 * getcpu names a CPU of the affinity mask; sysconf and /proc/cpuinfo
 * count at least the CPUs of the mask.
 */
#include "common.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#define INCREMENTS 100000
#define ADDERS 8

static int ncpus;
static atomic_ulong seen_mask;
static atomic_int arrived;
static atomic_long counter;
static atomic_int stop;

static void *spinner(void *arg)
{
	(void)arg;
	atomic_fetch_add(&arrived, 1);
	while (!atomic_load(&stop)) {
		int c = sched_getcpu();
		if (c >= 0 && c < 64)
			atomic_fetch_or(&seen_mask, 1UL << c);
	}
	return NULL;
}

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < INCREMENTS; i++)
		atomic_fetch_add_explicit(&counter, 1, memory_order_relaxed);
	return NULL;
}

int main(void)
{
	cpu_set_t set;
	pthread_t th[64];
	unsigned cpu, node;

	CHECK(sched_getaffinity(0, sizeof(set), &set) == 0, "sched_getaffinity");
	ncpus = CPU_COUNT(&set);
	CHECK(ncpus >= 1 && ncpus <= 64, "%d CPUs", ncpus);
	CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= ncpus, "sysconf(_SC_NPROCESSORS_ONLN) %ld < %d",
	      sysconf(_SC_NPROCESSORS_ONLN), ncpus);
	/* /proc/cpuinfo has a "processor" line per CPU. */
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	int processors = 0;
	CHECK(f != NULL, "/proc/cpuinfo");
	while (fgets(line, sizeof(line), f))
		processors += !strncmp(line, "processor", 9);
	fclose(f);
	CHECK(processors >= ncpus, "/proc/cpuinfo: %d processors, %d CPUs", processors, ncpus);
	CHECK(syscall(SYS_getcpu, &cpu, &node, NULL) == 0, "getcpu");
	CHECK(CPU_ISSET(cpu, &set), "getcpu: cpu %u not in the mask", cpu);

	/* Every CPU of the mask runs one of our threads at some moment. */
	for (int i = 0; i < ncpus; i++)
		CHECK(pthread_create(&th[i], NULL, spinner, NULL) == 0, "pthread_create");
	unsigned long want = 0;
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &set))
			want |= 1UL << c;
	double deadline = monotonic_seconds() + 20;
	while ((atomic_load(&seen_mask) & want) != want && monotonic_seconds() < deadline)
		usleep(10000);
	atomic_store(&stop, 1);
	for (int i = 0; i < ncpus; i++)
		pthread_join(th[i], NULL);
	CHECK((atomic_load(&seen_mask) & want) == want, "threads seen on CPUs %#lx, want %#lx",
	      atomic_load(&seen_mask), want);

	for (int i = 0; i < ADDERS; i++)
		CHECK(pthread_create(&th[i], NULL, adder, NULL) == 0, "pthread_create");
	for (int i = 0; i < ADDERS; i++)
		pthread_join(th[i], NULL);
	CHECK(atomic_load(&counter) == (long)ADDERS * INCREMENTS, "counter %ld",
	      atomic_load(&counter));
	printf("smp_threads: %d CPUs\n", ncpus);
	return 0;
}
