/*
 * /proc/diskstats (Linux's format, the counters of every block device) and
 * /proc/ferrite/idle (nanoseconds each CPU slept in its idle loop). Both
 * serve measurement: the file-system benchmarks (bench/fs.c) read the
 * device traffic of each benchmark from the first, and subtract the idle
 * time of the second from the elapsed time, as they read Linux's
 * /proc/timer_list. Relaxed atomic loads only; no locks.
 */
#include <ferrite/block.h>
#include <ferrite/cpu.h>
#include <ferrite/procfs.h>
#include <ferrite/vfs.h>

static uint64_t load(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* major minor name, then reads merged sectors ms, writes merged sectors ms,
 * in-flight, io ms, weighted ms, four discard fields, flushes, flush ms:
 * what Linux 5.5+ prints. Ferrite measures no times and merges nothing. */
static void show_one(struct block_device *bd, void *arg)
{
	struct pbuf *b = arg;

	pbuf_printf(b, "%4u %7u %s %llu 0 %llu 0 %llu 0 %llu 0 0 0 0 0 0 0 0 %llu 0\n",
		    MAJOR(bd->dev), MINOR(bd->dev), bd->name,
		    (unsigned long long)load(&bd->stat_reads),
		    (unsigned long long)load(&bd->stat_read_sectors),
		    (unsigned long long)load(&bd->stat_writes),
		    (unsigned long long)load(&bd->stat_write_sectors),
		    (unsigned long long)load(&bd->stat_flushes));
}

int procfs_show_diskstats(struct pbuf *b, pid_t pid)
{
	(void)pid;
	blkdev_for_each(show_one, b);
	return 0;
}

int procfs_show_idle(struct pbuf *b, pid_t pid)
{
	(void)pid;
	for (unsigned i = 0; i < MAX_CPUS; i++)
		if (READ_ONCE(cpus[i].online))
			pbuf_printf(b, "cpu%u idle_ns %llu\n", i,
				    (unsigned long long)READ_ONCE(cpus[i].idle_ns));
	return 0;
}
