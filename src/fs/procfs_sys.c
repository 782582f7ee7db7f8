/*
 * Global /proc files: uptime, meminfo, stat, mounts (and PID/mountinfo),
 * loadavg, version.
 * Each renders from atomic counters or a walk of the process list
 * (proc_tree_lock held only during the walk, by process_for_each).
 */
#include <ferrite/cpu.h>
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/frame.h>
#include <ferrite/procfs.h>
#include <ferrite/kmalloc.h>
#include <ferrite/task.h>
#include <hal/hal_boot.h>
#include <hal/hal_timer.h>

#define NS_PER_TICK 10000000ull /* USER_HZ = 100 */

int procfs_show_uptime(struct pbuf *b, pid_t pid)
{
	uint64_t cs = hal_time_ns() / NS_PER_TICK;

	(void)pid;
	pbuf_printf(b, "%llu.%02llu 0.00\n", (unsigned long long)(cs / 100),
		    (unsigned long long)(cs % 100));
	return 0;
}

int procfs_show_meminfo(struct pbuf *b, pid_t pid)
{
	size_t kb = PAGE_SIZE / 1024;
	size_t total = frames_total_count() * kb, free = frames_free_count() * kb;

	(void)pid;
	pbuf_printf(b, "MemTotal:       %8zu kB\nMemFree:        %8zu kB\n", total, free);
	pbuf_printf(b, "MemAvailable:   %8zu kB\nBuffers:        %8zu kB\n", free, (size_t)0);
	pbuf_printf(b, "Cached:         %8zu kB\nSwapCached:     %8zu kB\n", (size_t)0, (size_t)0);
	pbuf_printf(b, "SwapTotal:      %8zu kB\nSwapFree:       %8zu kB\n", (size_t)0, (size_t)0);
	pbuf_printf(b, "Shmem:          %8zu kB\n", (size_t)0);
	return 0;
}

struct cpu_sum {
	uint64_t user_ns, sys_ns;
	size_t procs, running;
	pid_t last_pid;
};

static int sum_process(struct process *p, void *arg)
{
	struct cpu_sum *s = arg;

	if (p->pid <= 0)
		return 0;
	s->user_ns += READ_ONCE(p->utime_ns) + READ_ONCE(p->cutime_ns);
	s->sys_ns += READ_ONCE(p->stime_ns) + READ_ONCE(p->cstime_ns);
	s->procs++;
	if (p->pid > s->last_pid)
		s->last_pid = p->pid;
	return 0;
}

int procfs_show_stat(struct pbuf *b, pid_t pid)
{
	struct cpu_sum s = { 0 };
	uint64_t now = hal_time_ns();
	unsigned long long user, sys, idle, up = now / NS_PER_TICK;

	(void)pid;
	process_for_each(sum_process, &s);
	user = s.user_ns / NS_PER_TICK;
	sys = s.sys_ns / NS_PER_TICK;
	idle = up > user + sys ? up - user - sys : 0;
	pbuf_printf(b, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", user, sys,
		    idle + (up * (READ_ONCE(nr_cpus_online) - 1)));
	/* One line per online CPU, from its own tick counts (USER_HZ). */
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		struct cpu *c = &cpus[i];
		if (!READ_ONCE(c->online))
			continue;
		pbuf_printf(b, "cpu%u %llu 0 %llu %llu 0 0 0 0 0 0\n", i,
			    (unsigned long long)READ_ONCE(c->user_ticks) * 100 / HAL_TIMER_HZ,
			    (unsigned long long)READ_ONCE(c->sys_ticks) * 100 / HAL_TIMER_HZ,
			    (unsigned long long)READ_ONCE(c->idle_ticks) * 100 / HAL_TIMER_HZ);
	}
	pbuf_printf(b, "intr 0\nctxt 0\nbtime %llu\nprocesses %zu\n",
		    (unsigned long long)(hal_boot_realtime_ns() / 1000000000ull), s.procs);
	pbuf_printf(b, "procs_running 1\nprocs_blocked 0\n");
	return 0;
}

/* One block per online CPU, as Linux: "processor" first, a blank line
 * after each (programs count the "processor" lines). */
int procfs_show_cpuinfo(struct pbuf *b, pid_t pid)
{
	(void)pid;
	for (unsigned i = 0; i < MAX_CPUS; i++) {
		if (!READ_ONCE(cpus[i].online))
			continue;
		pbuf_printf(b, "processor\t: %u\narch\t\t: %s\n\n", i, hal_arch_name);
	}
	return 0;
}

int procfs_show_mounts(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "rootfs / rootfs rw 0 0\n");
	pbuf_printf(b, "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n");
	__free(kfree) struct mount_info *m = kmalloc(32 * sizeof(*m));
	if (!m)
		return 0;
	size_t n = vfs_mounts_list(m, 32);
	for (size_t i = 0; i < n; i++)
		pbuf_printf(b, "%s %s %s %s,relatime 0 0\n", m[i].source, m[i].path, m[i].type,
			    m[i].readonly ? "ro" : "rw");
	return 0;
}

/* /proc/PID/mountinfo: one name space, so the same for every process. */
int procfs_show_mountinfo(struct pbuf *b, pid_t pid)
{
	(void)pid;
	__free(kfree) struct mount_info *m = kmalloc(32 * sizeof(*m));
	if (!m)
		return -ENOMEM;
	size_t n = vfs_mounts_list(m, 32);
	if (!n || m[0].id != 1)
		pbuf_printf(b, "1 1 0:1 / / rw - rootfs rootfs rw\n");
	pbuf_printf(b, "2 1 0:2 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n");
	for (size_t i = 0; i < n; i++) {
		const char *opt = m[i].readonly ? "ro" : "rw";
		pbuf_printf(b, "%u %u %u:%u %s %s %s,relatime - %s %s %s\n", m[i].id, m[i].parent,
			    MAJOR(m[i].dev), MINOR(m[i].dev), m[i].id == 1 ? "/" : m[i].root,
			    m[i].path, opt, m[i].type, m[i].source, opt);
	}
	return 0;
}

/* The types mount(2) knows; mount without -t tries those without nodev. */
int procfs_show_filesystems(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "nodev\tproc\n\text4\n\text3\n\text2\n\tvfat\n\tmsdos\n");
	return 0;
}

int procfs_show_loadavg(struct pbuf *b, pid_t pid)
{
	struct cpu_sum s = { 0 };

	(void)pid;
	process_for_each(sum_process, &s);
	pbuf_printf(b, "0.00 0.00 0.00 1/%zu %d\n", task_count_live(), s.last_pid);
	return 0;
}

int procfs_show_version(struct pbuf *b, pid_t pid)
{
	(void)pid;
	pbuf_printf(b, "Linux version 6.1.0-ferrite (ferrite) #1 SMP\n");
	return 0;
}
