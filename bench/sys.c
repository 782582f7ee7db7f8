/*
 * Whole-machine figures: the boot stamp (instructions from QEMU start to the
 * first line /init prints), free memory, and execve of this program.
 *
 * Boot stamp: under -icount shift=0 QEMU's virtual clock advances 1 ns per
 * guest instruction and starts at 0 when QEMU starts. Both counters read
 * here are derived from that clock and are never reset by the kernels:
 *   x86_64   rdtsc (QEMU's TSC is the icount clock in icount mode);
 *   riscv64  rdtime (the ACLINT mtime, 10 MHz on QEMU virt: 100 ns a tick).
 * A kernel that does not let user mode read the counter (SIGILL/SIGSEGV)
 * falls back to CLOCK_MONOTONIC, which is printed as the source so the
 * reader can judge (Ferrite's riscv64 monotonic clock is rdtime from 0).
 * Single-threaded; the fallback uses a process-wide jump buffer.
 */
#include "bench.h"

#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static sigjmp_buf counter_trap;

static void counter_fault(int sig)
{
	siglongjmp(counter_trap, sig);
}

/* Return the counter in ns of QEMU virtual time, or -1 if it trapped. */
static int64_t read_counter_ns(const char **source)
{
	struct sigaction sa = { .sa_handler = counter_fault }, old_ill, old_segv;
	volatile int64_t v = -1;

	sigaction(SIGILL, &sa, &old_ill);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (!sigsetjmp(counter_trap, 1)) {
#if defined(__x86_64__)
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		v = (int64_t)(((uint64_t)hi << 32) | lo);
		*source = "rdtsc";
#elif defined(__riscv)
		uint64_t t;
		__asm__ volatile("rdtime %0" : "=r"(t));
		v = (int64_t)t * 100; /* QEMU virt timebase: 10 MHz */
		*source = "rdtime";
#endif
	}
	sigaction(SIGILL, &old_ill, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return v;
}

void bench_print_boot_stamp(void)
{
	const char *source = "monotonic";
	int64_t v = read_counter_ns(&source);

	if (v < 0) {
		source = "monotonic";
		v = now_ns();
	}
	printf("BENCH boot_to_init %lld insns %s\n", (long long)v, source);
	fflush(stdout);
}

/* "Name:   1234 kB" from /proc/meminfo, or -1. */
static long meminfo_kib(const char *name)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t n = strlen(name);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

void bench_print_memory(void)
{
	struct sysinfo si;

	if (sysinfo(&si) == 0) {
		unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
		printf("BENCH mem_total %llu KiB\n", (unsigned long long)si.totalram * unit / 1024);
		printf("BENCH mem_free %llu KiB\n", (unsigned long long)si.freeram * unit / 1024);
	} else {
		bench_error("memory", "sysinfo");
	}
	long avail = meminfo_kib("MemAvailable"), memfree = meminfo_kib("MemFree");
	if (memfree >= 0)
		printf("BENCH meminfo_free %ld KiB\n", memfree);
	if (avail >= 0)
		printf("BENCH meminfo_available %ld KiB\n", avail);
	fflush(stdout);
}

void bench_exec_self(const char *flag)
{
	const char *prefix = getenv("FERRITE_TEST_EXEC_PREFIX");
	char *const envp[] = { NULL };

	if (prefix && *prefix) {
		char *const qargv[] = { (char *)prefix, "-0", "ferrite-bench",
					(char *)bench_self_path, (char *)flag, NULL };
		execve(prefix, qargv, envp);
	} else {
		char *const argv[] = { "ferrite-bench", (char *)flag, NULL };
		execve(bench_self_path, argv, envp);
	}
}
