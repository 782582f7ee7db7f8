/*
 * ferrite-bench driver: argument parsing, repetitions, medians, output.
 *
 *   ferrite-bench                 every benchmark, 5 repetitions (+1 warm-up)
 *   ferrite-bench --quick         tiny counts, 1 repetition (the smoke test)
 *   ferrite-bench --reps N        N repetitions
 *   ferrite-bench --only NAME     one benchmark (may be repeated)
 *   ferrite-bench --iters N       N operations per repetition instead of
 *                                 each benchmark's own count (profiling)
 *   ferrite-bench --list          the benchmark names
 *   ferrite-bench --boot-stamp    print "BENCH boot <instructions> insns"
 *   ferrite-bench --memory        print the free-memory lines
 *   ferrite-bench --init SCRIPT   as /init: boot stamp first, then exec
 *                                 /bin/sh SCRIPT (scripts/bench/init.sh)
 *   ferrite-bench --exit          exit 0 at once (the fork+execve child)
 *   ferrite-bench --cross         the driver on CPU 0, the far end of every
 *                                 ping-pong on CPU 1 (bench_pin_partner)
 *   ferrite-bench --fs DIR        only the file-system benchmarks (fs.c), on
 *                                 the ext4 disk mounted at DIR
 *   ferrite-bench --fs-dev DEV    its device (default /dev/vda), remounted
 *                                 for the cold-cache runs
 *   ferrite-bench --procs N       contention: N processes, process i pinned
 *                                 to CPU i mod CPUs, each running the
 *                                 benchmark on its own at once; the line is
 *                                 "BENCH pN:NAME value ns" with value the
 *                                 elapsed time over all N processes'
 *                                 operations (under -icount, where the vCPUs
 *                                 run in turn, instructions per operation)
 *   as pid 1 with no arguments:   same as --init /etc/bench.sh (the
 *                                 benchmark initramfs has it as /init)
 *
 * Exit status: 0 when every benchmark ran or was unsupported, 1 otherwise.
 * Single-threaded; output is flushed after every line so a log survives a
 * crash part-way.
 */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REPS 31
#define MAX_ONLY 16
#define MAX_PROCS 16

const char *bench_self_path = "/usr/bin/ferrite-bench";
int bench_cross;

/* Pin the calling thread to one CPU; -1 on failure (errno set). */
static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

void bench_pin_partner(void)
{
	if (bench_cross && pin_to(1)) {
		bench_error("cross", "sched_setaffinity(CPU 1)");
		_exit(3);
	}
}

void bench_error(const char *name, const char *what)
{
	printf("bench: %s: %s: %s\n", name, what, strerror(errno));
	fflush(stdout);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run one benchmark; print its line. Return 0, or -1 on failure. */
static int run_one(const struct bench *b, int reps, int quick, long iters_override)
{
	long iters = quick ? (b->iters / 200 > 2 ? b->iters / 200 : 2) : b->iters;

	if (iters_override > 0)
		iters = iters_override;
	int64_t vals[MAX_REPS];

	/* Warm-up: fault in code and data, let lazy kernel state settle. */
	int64_t t = b->run(quick ? 1 : iters / 10 + 1);
	if (t == BENCH_UNSUPPORTED) {
		printf("BENCH %s unsupported\n", b->name);
		fflush(stdout);
		return 0;
	}
	for (int r = 0; r < reps && t >= 0; r++) {
		t = b->run(iters);
		if (t < 0)
			break;
		if (b->bytes_per_op) {
			/* MiB per second of guest time. */
			double mib = (double)iters * b->bytes_per_op / (1024.0 * 1024.0);
			vals[r] = t ? (int64_t)(mib * 1e9 / (double)t) : 0;
		} else {
			vals[r] = t / iters;
		}
	}
	if (t < 0) {
		printf("BENCH %s failed\n", b->name);
		fflush(stdout);
		return -1;
	}
	printf("BENCH %s %lld %s\n", b->name, (long long)median(vals, reps), b->unit);
	fflush(stdout);
	return 0;
}

/*
 * Contention: nprocs children, each pinned to its CPU, warm up, then wait
 * at a barrier (a pipe whose write end the parent closes) and run iters
 * operations each. The parent's clock spans the release to the last reap.
 */
static int run_parallel(const struct bench *b, int reps, int quick, long iters_override,
			int nprocs)
{
	long iters = quick ? (b->iters / 200 > 2 ? b->iters / 200 : 2) : b->iters;
	int64_t vals[MAX_REPS];
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (iters_override > 0)
		iters = iters_override;
	if (ncpus < 1)
		ncpus = 1;
	for (int r = 0; r < reps; r++) {
		int ready[2], go[2], failed = 0;
		pid_t pids[MAX_PROCS];
		char c;

		if (pipe(ready) || pipe(go)) {
			bench_error(b->name, "pipe");
			return -1;
		}
		fflush(stdout);
		for (int i = 0; i < nprocs; i++) {
			pids[i] = fork();
			if (pids[i] < 0) {
				bench_error(b->name, "fork");
				return -1;
			}
			if (pids[i] == 0) {
				close(ready[0]);
				close(go[1]);
				if (pin_to(i % (int)ncpus))
					_exit(3);
				int64_t w = b->run(quick ? 1 : iters / 10 + 1);
				if (w == BENCH_UNSUPPORTED)
					_exit(4);
				if (w < 0 || write(ready[1], "r", 1) != 1)
					_exit(1);
				while (read(go[0], &c, 1) < 0 && errno == EINTR)
					;
				_exit(b->run(iters) >= 0 ? 0 : 1);
			}
		}
		close(ready[1]);
		close(go[0]);
		int got = 0;
		while (got < nprocs && read(ready[0], &c, 1) == 1)
			got++;
		int64_t t0 = now_ns();
		close(go[1]);
		for (int i = 0; i < nprocs; i++) {
			int status;
			if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status))
				failed = 1;
			else if (WEXITSTATUS(status) == 4) {
				printf("BENCH p%d:%s unsupported\n", nprocs, b->name);
				fflush(stdout);
				close(ready[0]);
				return 0;
			} else if (WEXITSTATUS(status))
				failed = 1;
		}
		int64_t t = now_ns() - t0;
		close(ready[0]);
		if (failed || got < nprocs) {
			printf("BENCH p%d:%s failed\n", nprocs, b->name);
			fflush(stdout);
			return -1;
		}
		vals[r] = t / ((int64_t)nprocs * iters);
	}
	printf("BENCH p%d:%s %lld %s\n", nprocs, b->name, (long long)median(vals, reps), b->unit);
	fflush(stdout);
	return 0;
}

static const struct bench *const tables[] = {
	bench_proc_table, bench_ipc_table, bench_sysv_table, bench_port_table, bench_event_table,
	bench_inet_table, bench_smp_table, bench_fs_table,
};

/* As /init: the boot stamp is the first line, then the script takes over. */
static int run_init(const char *script)
{
	char *const sargv[] = { "sh", (char *)script, NULL };
	char *const senvp[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "HOME=/root", NULL };

	bench_print_boot_stamp();
	execve("/bin/sh", sargv, senvp);
	bench_error("init", "execve /bin/sh");
	return 1;
}

static int selected(const char *name, const char **only, int nonly)
{
	if (!nonly)
		return 1;
	for (int i = 0; i < nonly; i++)
		if (!strcmp(only[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *only[MAX_ONLY];
	int nonly = 0, reps = 5, quick = 0, failed = 0, nprocs = 0;
	long iters = 0;

	if (getpid() == 1 && argc == 1)
		return run_init("/etc/bench.sh");
	if (argv[0] && strchr(argv[0], '/') && strcmp(argv[0], "/init"))
		bench_self_path = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--exit")) {
			_exit(0);
		} else if (!strcmp(a, "--quick")) {
			quick = 1;
			reps = 1;
		} else if (!strcmp(a, "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
			if (reps < 1 || reps > MAX_REPS)
				reps = 5;
		} else if (!strcmp(a, "--iters") && i + 1 < argc) {
			iters = atol(argv[++i]);
		} else if (!strcmp(a, "--only") && i + 1 < argc && nonly < MAX_ONLY) {
			only[nonly++] = argv[++i];
		} else if (!strcmp(a, "--fs") && i + 1 < argc) {
			bench_fs_dir = argv[++i];
		} else if (!strcmp(a, "--fs-dev") && i + 1 < argc) {
			bench_fs_dev = argv[++i];
		} else if (!strcmp(a, "--cross")) {
			bench_cross = 1;
		} else if (!strcmp(a, "--procs") && i + 1 < argc) {
			nprocs = atoi(argv[++i]);
			if (nprocs < 1 || nprocs > MAX_PROCS)
				nprocs = 1;
		} else if (!strcmp(a, "--list")) {
			for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
				for (const struct bench *b = tables[t]; b->name; b++)
					printf("%s\n", b->name);
			return 0;
		} else if (!strcmp(a, "--boot-stamp")) {
			bench_print_boot_stamp();
			return 0;
		} else if (!strcmp(a, "--memory")) {
			bench_print_memory();
			return 0;
		} else if (!strcmp(a, "--init") && i + 1 < argc) {
			return run_init(argv[i + 1]);
		} else {
			fprintf(stderr, "usage: %s [--quick] [--reps N] [--iters N] [--only NAME]... "
				"[--fs DIR] [--fs-dev DEV] [--cross] [--procs N] [--list] [--boot-stamp] [--memory] "
				"[--init SCRIPT]\n", argv[0]);
			return 2;
		}
	}

	if (bench_cross && pin_to(0)) {
		bench_error("cross", "sched_setaffinity(CPU 0)");
		return 1;
	}
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		int fs = tables[t] == bench_fs_table;

		/* The file-system table needs its disk, and runs alone. */
		if (fs != (bench_fs_dir != NULL))
			continue;
		for (const struct bench *b = tables[t]; b->name; b++) {
			if (!selected(b->name, only, nonly))
				continue;
			if (nprocs ? run_parallel(b, reps, quick, iters, nprocs)
				   : run_one(b, reps, quick, iters))
				failed++;
			else if (fs)
				bench_fs_print_io(b->name);
		}
	}
	if (failed)
		printf("bench: %d benchmark(s) failed\n", failed);
	return failed ? 1 : 0;
}
