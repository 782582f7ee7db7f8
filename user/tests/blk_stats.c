/*
 * Device and CPU counters the file-system benchmarks read (bench/fs.c):
 * /proc/diskstats counts a read of /dev/vda (requests and sectors, Linux's
 * field order), and, inside Ferrite, /proc/ferrite/idle grows while every
 * task sleeps. Reads only: the scratch image checked by the host after the
 * run stays as it was. No /dev/vda (the Linux reference run): skip.
 */
#include "common.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct io {
	long long reads, rsect, writes, wsect;
};

static struct io vda_stats(void)
{
	char line[512], name[64];
	struct io s = { -1, -1, -1, -1 };
	FILE *f = fopen("/proc/diskstats", "r");

	CHECK(f, "open /proc/diskstats");
	while (fgets(line, sizeof(line), f)) {
		unsigned ma, mi;
		long long r, rm, rs, rt, w, wm, ws;
		if (sscanf(line, "%u %u %63s %lld %lld %lld %lld %lld %lld %lld", &ma, &mi, name, &r,
			   &rm, &rs, &rt, &w, &wm, &ws) == 10 && !strcmp(name, "vda")) {
			CHECK(ma == 254 && mi == 0, "vda is (%u, %u)", ma, mi);
			s = (struct io){ r, rs, w, ws };
		}
	}
	fclose(f);
	CHECK(s.reads >= 0, "no vda line in /proc/diskstats");
	return s;
}

static long long idle_ns(void)
{
	char line[128];
	long long v, sum = 0;
	FILE *f = fopen("/proc/ferrite/idle", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu%*u idle_ns %lld", &v) == 1)
			sum += v;
	fclose(f);
	return sum;
}

int main(void)
{
	if (access("/proc/ferrite/idle", R_OK) || access("/dev/vda", R_OK))
		return 77;

	/* 64 KiB at 1 MiB, past any cache: O_DIRECT on Linux, and Ferrite's
	 * /dev/vda has no cache. */
	struct io a = vda_stats();
	void *buf;
	CHECK(posix_memalign(&buf, 4096, 65536) == 0, "posix_memalign");
	int fd = open("/dev/vda", O_RDONLY | O_DIRECT);
	CHECK(fd >= 0, "open /dev/vda");
	CHECK(pread(fd, buf, 65536, 1 << 20) == 65536, "pread");
	close(fd);
	struct io b = vda_stats();
	CHECK(b.reads > a.reads, "reads %lld -> %lld", a.reads, b.reads);
	CHECK(b.rsect >= a.rsect + 128, "sectors read %lld -> %lld", a.rsect, b.rsect);
	CHECK(b.writes == a.writes && b.wsect == a.wsect, "a read wrote");

	/* Idle time: every CPU sleeps through most of a 100 ms nanosleep. */
	long long i0 = idle_ns();
	if (i0 >= 0) {
		struct timespec d = { 0, 100 * 1000 * 1000 };
		nanosleep(&d, NULL);
		long long i1 = idle_ns();
		CHECK(i1 - i0 >= 50 * 1000 * 1000LL, "idle grew by %lld ns over 100 ms", i1 - i0);
	}
	puts("blk_stats: ok");
	return 0;
}
