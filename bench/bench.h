/*
 * ferrite-bench: one static program measuring the cost of system calls and
 * IPC round trips, the same binary on Linux and on Ferrite (issue 4).
 *
 * Each benchmark runs its operation `iters` times per repetition and returns
 * the elapsed CLOCK_MONOTONIC nanoseconds; the driver (main.c) prints the
 * median over the repetitions as one line:
 *
 *     BENCH <name> <value> <unit>          e.g. BENCH pipe_pingpong 11512 ns
 *     BENCH <name> unsupported             the kernel lacks the call (ENOSYS)
 *
 * Under QEMU's -icount shift=0 one guest nanosecond is one executed guest
 * instruction, so "ns" there reads as instructions per operation.
 * Single-threaded driver; benchmarks that start threads or processes end them
 * before returning. Nothing here is shared between benchmarks.
 */
#ifndef FERRITE_BENCH_H
#define FERRITE_BENCH_H

#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

/* A benchmark's result for one repetition. */
#define BENCH_UNSUPPORTED (-1) /* the kernel returned ENOSYS: not an error */
#define BENCH_FAILED (-2)      /* something went wrong; a message was printed */

struct bench {
	const char *name;
	const char *unit;     /* "ns" (per op) or "MiB/s" */
	long iters;           /* operations per repetition (full run) */
	/* Run iters operations; return elapsed ns (>= 0) or BENCH_*. */
	int64_t (*run)(long iters);
	int bytes_per_op;     /* for MiB/s benchmarks: bytes moved per op */
};

static inline int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Print "bench: <name>: <what>: <strerror(errno)>" to stdout. */
void bench_error(const char *name, const char *what);

/* harness.c, for descriptor benchmarks (event.c, inet.c). */
#define BENCH_CHUNK (64 * 1024) /* bytes per write of the bandwidth runs */
#include <stddef.h>
/* Ping-pong between two processes: the child echoes n (<= 8) bytes per op
 * from ping_r to pong_w (after closing child_close, unless it is -1); the
 * parent writes to ping_w and waits on pong_r. Elapsed ns or BENCH_FAILED. */
int64_t bench_pingpong(const char *name, int ping_w, int ping_r, int pong_w, int pong_r, size_t n,
		       long iters, int child_close);
/* The parent writes iters * BENCH_CHUNK bytes to sv[0] in BENCH_CHUNK
 * writes; a child reads them all from sv[1] and answers one byte. */
int64_t bench_stream_bandwidth(const char *name, int sv[2], long iters);

/*
 * Cross-CPU runs (--cross, docs/benchmarks.md): the driver runs on CPU 0
 * and the far end of every ping-pong (the forked child or the partner
 * thread) calls bench_pin_partner() first, which moves it to CPU 1. Without
 * --cross it does nothing, so the one-CPU figures are unchanged.
 */
extern int bench_cross;
void bench_pin_partner(void);

/* Path of this program, for the fork+execve benchmark (set by main). */
extern const char *bench_self_path;

/* Tables of benchmarks, each ending with a zeroed entry. */
extern const struct bench bench_proc_table[];
extern const struct bench bench_ipc_table[];
extern const struct bench bench_sysv_table[];
extern const struct bench bench_port_table[];
extern const struct bench bench_event_table[];
extern const struct bench bench_inet_table[];
extern const struct bench bench_smp_table[];
/* fs.c: run only with --fs DIR (an ext4 disk mounted there from --fs-dev). */
extern const struct bench bench_fs_table[];
extern const char *bench_fs_dir, *bench_fs_dev;
/* Print the BENCH_IO line (device traffic of the last repetition). */
void bench_fs_print_io(const char *name);

/* Boot stamp and memory report (sys.c). */
void bench_print_boot_stamp(void);
void bench_print_memory(void);

/* execve of this program with one flag, through FERRITE_TEST_EXEC_PREFIX
 * (qemu-user) when set, as user/tests/common.h does. Returns only on error. */
void bench_exec_self(const char *flag);

#endif
