/*
 * File-system benchmarks (issue 9): an ext4 disk mounted at bench_fs_dir
 * (device bench_fs_dev), the same image under Linux and Ferrite
 * (scripts/bench/run.sh makes it; its tree/ holds 100 folders of 100 empty
 * files). Run with `ferrite-bench --fs DIR --fs-dev DEV`.
 *
 * What a figure counts: while the CPU idles waiting for the disk, QEMU's
 * -icount clock runs with the host's time (sleep=on, scripts/bench/fs.sh)
 * or jumps to the next timer (sleep=off), so the elapsed time would mix
 * instructions with I/O latency. Each benchmark therefore subtracts the
 * kernel's own idle time over the same span: Linux's
 * per-CPU idle_sleeptime + iowait_sleeptime of /proc/timer_list, Ferrite's
 * /proc/ferrite/idle. What is left is the instructions the CPU executed.
 *
 * Device traffic of the last repetition (from /proc/diskstats, both kernels)
 * is printed after each result as
 *     BENCH_IO <name> <reads> <read sectors> <writes> <write sectors> <flushes>
 *
 * Cold cache = a fresh mount (umount + mount) before the timed part, the
 * same on both kernels. Single-threaded; the static state below belongs to
 * the benchmark running.
 */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define FILE_MIB 64  /* the sequential file */
#define TREE_DIRS 100 /* tree/dNN/fNN, made by run.sh */
#define TREE_FILES 100

const char *bench_fs_dir;
const char *bench_fs_dev = "/dev/vda";

struct io_stat {
	long long reads, rsect, writes, wsect, flushes;
};

/* The figures of the last timed span, for bench_fs_print_io. */
static struct io_stat last_io;

/* Counters of bench_fs_dev in /proc/diskstats; zeros if absent. */
static struct io_stat read_io(void)
{
	struct io_stat s = { 0 };
	const char *dev = strrchr(bench_fs_dev, '/');
	char line[512], name[64];
	FILE *f = fopen("/proc/diskstats", "r");

	dev = dev ? dev + 1 : bench_fs_dev;
	if (!f)
		return s;
	while (fgets(line, sizeof(line), f)) {
		long long v[17] = { 0 };
		unsigned ma, mi;
		int n = sscanf(line, "%u %u %63s %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
				     "%lld %lld %lld %lld %lld %lld %lld",
			       &ma, &mi, name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			       &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14],
			       &v[15], &v[16]);
		if (n < 10 || strcmp(name, dev))
			continue;
		s = (struct io_stat){ v[0], v[2], v[4], v[6], n >= 19 ? v[15] : 0 };
		break;
	}
	fclose(f);
	return s;
}

/* Nanoseconds every CPU has idled since boot: Linux's /proc/timer_list
 * (idle_sleeptime and iowait_sleeptime of each CPU), else Ferrite's
 * /proc/ferrite/idle. 0 if neither can be read. */
static int64_t read_idle_ns(void)
{
	char line[256];
	long long v, sum = 0;
	FILE *f = fopen("/proc/timer_list", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " .idle_sleeptime : %lld nsecs", &v) == 1 ||
			    sscanf(line, " .iowait_sleeptime: %lld nsecs", &v) == 1)
				sum += v;
		fclose(f);
		return sum;
	}
	f = fopen("/proc/ferrite/idle", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s idle_ns %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

/* A timed span: elapsed guest time minus the idle time inside it. */
struct span {
	struct io_stat io;
	int64_t idle, t;
};

static void span_start(struct span *s)
{
	s->io = read_io();
	s->idle = read_idle_ns();
	s->t = now_ns();
}

/* Busy nanoseconds since span_start; records the span's device traffic. */
static int64_t span_end(const struct span *s)
{
	int64_t t = now_ns(), idle = read_idle_ns();
	struct io_stat io = read_io();

	last_io = (struct io_stat){ io.reads - s->io.reads, io.rsect - s->io.rsect,
				    io.writes - s->io.writes, io.wsect - s->io.wsect,
				    io.flushes - s->io.flushes };
	return (t - s->t) - (idle - s->idle);
}

void bench_fs_print_io(const char *name)
{
	printf("BENCH_IO %s %lld %lld %lld %lld %lld\n", name, last_io.reads, last_io.rsect,
	       last_io.writes, last_io.wsect, last_io.flushes);
	fflush(stdout);
}

static const char *fs_path(const char *rel)
{
	static char buf[4][512];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", bench_fs_dir, rel);
	return p;
}

/* A fresh mount of the file system: nothing of it is cached any more. */
static int remount(const char *name)
{
	sync();
	if (umount2(bench_fs_dir, 0)) {
		bench_error(name, "umount");
		return -1;
	}
	if (mount(bench_fs_dev, bench_fs_dir, "ext4", 0, NULL)) {
		bench_error(name, "mount");
		return -1;
	}
	return 0;
}

static char chunk[MIB];

/* Write iters MiB to a new file and fsync it. */
static int64_t seq_write(long iters)
{
	struct span s;
	const char *path = fs_path("seq");

	unlink(path);
	sync();
	memset(chunk, 0x5a, sizeof(chunk));
	span_start(&s);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		bench_error("fs_write_seq", "open");
		return BENCH_FAILED;
	}
	for (long i = 0; i < iters; i++)
		if (write(fd, chunk, MIB) != MIB) {
			bench_error("fs_write_seq", "write");
			close(fd);
			return BENCH_FAILED;
		}
	if (fsync(fd) || close(fd)) {
		bench_error("fs_write_seq", "fsync");
		return BENCH_FAILED;
	}
	return span_end(&s);
}

/* Read iters MiB of the sequential file (at most FILE_MIB: wraps). */
static int64_t seq_read(const char *name, long iters)
{
	struct span s;

	span_start(&s);
	int fd = open(fs_path("seq"), O_RDONLY);
	if (fd < 0) {
		bench_error(name, "open");
		return BENCH_FAILED;
	}
	for (long i = 0; i < iters; i++)
		if (pread(fd, chunk, MIB, (off_t)(i % FILE_MIB) * MIB) != MIB) {
			bench_error(name, "read");
			close(fd);
			return BENCH_FAILED;
		}
	close(fd);
	return span_end(&s);
}

static int64_t read_cold(long iters)
{
	return remount("fs_read_cold") ? BENCH_FAILED : seq_read("fs_read_cold", iters);
}

static int64_t read_warm(long iters)
{
	return seq_read("fs_read_warm", iters);
}

/* iters 4 KiB preads at pseudo-random page offsets of the file. */
static int64_t read_random(long iters)
{
	struct span s;
	uint32_t x = 12345;

	span_start(&s);
	int fd = open(fs_path("seq"), O_RDONLY);
	if (fd < 0) {
		bench_error("fs_read_random", "open");
		return BENCH_FAILED;
	}
	for (long i = 0; i < iters; i++) {
		x = x * 1103515245u + 12345u;
		off_t page = (x >> 8) % (FILE_MIB * (MIB / 4096));
		if (pread(fd, chunk, 4096, page * 4096) != 4096) {
			bench_error("fs_read_random", "pread");
			close(fd);
			return BENCH_FAILED;
		}
	}
	close(fd);
	return span_end(&s);
}

/* mmap the file, read one byte of every page of iters MiB, unmap. */
static int64_t mmap_read(long iters)
{
	struct span s;
	volatile unsigned sum = 0;

	if (iters > FILE_MIB)
		iters = FILE_MIB;
	span_start(&s);
	int fd = open(fs_path("seq"), O_RDONLY);
	if (fd < 0) {
		bench_error("fs_mmap_read", "open");
		return BENCH_FAILED;
	}
	const unsigned char *p = mmap(NULL, (size_t)iters * MIB, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		bench_error("fs_mmap_read", "mmap");
		return BENCH_FAILED;
	}
	for (size_t off = 0; off < (size_t)iters * MIB; off += 4096)
		sum += p[off];
	munmap((void *)p, (size_t)iters * MIB);
	return span_end(&s);
}

/* stat every file of tree/ (iters of them, folder by folder). */
static int64_t stat_tree(const char *name, long iters)
{
	struct span s;
	long done = 0;
	struct stat st;
	char dir[32];

	span_start(&s);
	for (int d = 0; d < TREE_DIRS && done < iters; d++) {
		snprintf(dir, sizeof(dir), "tree/d%02d", d);
		DIR *dp = opendir(fs_path(dir));
		if (!dp) {
			bench_error(name, "opendir");
			return BENCH_FAILED;
		}
		struct dirent *e;
		while (done < iters && (e = readdir(dp))) {
			if (e->d_name[0] == '.')
				continue;
			if (fstatat(dirfd(dp), e->d_name, &st, AT_SYMLINK_NOFOLLOW)) {
				bench_error(name, "fstatat");
				closedir(dp);
				return BENCH_FAILED;
			}
			done++;
		}
		closedir(dp);
	}
	int64_t t = span_end(&s);
	if (done < iters) {
		errno = ENOENT;
		bench_error(name, "tree too small");
		return BENCH_FAILED;
	}
	return t;
}

static int64_t stat_tree_warm(long iters)
{
	return stat_tree("fs_stat_tree", iters);
}

static int64_t stat_tree_cold(long iters)
{
	return remount("fs_stat_tree_cold") ? BENCH_FAILED : stat_tree("fs_stat_tree_cold", iters);
}

/* Create and write iters 1 KiB files, unlink them all, sync. */
static int64_t create_unlink(long iters)
{
	struct span s;
	char rel[32];

	mkdir(fs_path("small"), 0755);
	memset(chunk, 0xa5, 1024);
	span_start(&s);
	for (long i = 0; i < iters; i++) {
		snprintf(rel, sizeof(rel), "small/f%05ld", i);
		int fd = open(fs_path(rel), O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, chunk, 1024) != 1024 || close(fd)) {
			bench_error("fs_create_unlink", "create");
			return BENCH_FAILED;
		}
	}
	for (long i = 0; i < iters; i++) {
		snprintf(rel, sizeof(rel), "small/f%05ld", i);
		if (unlink(fs_path(rel))) {
			bench_error("fs_create_unlink", "unlink");
			return BENCH_FAILED;
		}
	}
	sync();
	return span_end(&s);
}

/* iters times: overwrite 100 bytes at the start of a file, fsync. */
static int64_t fsync_small(long iters)
{
	struct span s;
	int fd = open(fs_path("fsync"), O_WRONLY | O_CREAT, 0644);

	if (fd < 0) {
		bench_error("fs_fsync_small", "open");
		return BENCH_FAILED;
	}
	memset(chunk, 0x33, 100);
	span_start(&s);
	for (long i = 0; i < iters; i++) {
		chunk[0] = (char)i;
		if (pwrite(fd, chunk, 100, 0) != 100 || fsync(fd)) {
			bench_error("fs_fsync_small", "pwrite+fsync");
			close(fd);
			return BENCH_FAILED;
		}
	}
	int64_t t = span_end(&s);
	close(fd);
	return t;
}

/* In this order: the write makes the file the reads use. */
const struct bench bench_fs_table[] = {
	{ "fs_write_seq", "MiB/s", FILE_MIB, seq_write, MIB },
	{ "fs_read_cold", "MiB/s", FILE_MIB, read_cold, MIB },
	{ "fs_read_warm", "MiB/s", FILE_MIB, read_warm, MIB },
	{ "fs_read_random", "ns", 2000, read_random, 0 },
	{ "fs_mmap_read", "MiB/s", FILE_MIB, mmap_read, MIB },
	{ "fs_stat_tree_cold", "ns", TREE_DIRS * TREE_FILES, stat_tree_cold, 0 },
	{ "fs_stat_tree", "ns", TREE_DIRS * TREE_FILES, stat_tree_warm, 0 },
	{ "fs_create_unlink", "ns", 1000, create_unlink, 0 },
	{ "fs_fsync_small", "ns", 100, fsync_small, 0 },
	{ 0 },
};
