/*
 * /proc/<pid>/{stat,status,cmdline,comm,statm}: one process as Linux's
 * procps tools (busybox ps, top) read it. Fields are copied into a local
 * struct under the locks that guard them (proc_tree_lock for the parent
 * and p->mm, p->lock for the threads), then formatted without locks.
 * Times are reported in USER_HZ (100 Hz) clock ticks.
 */
#include <ferrite/vfs.h>
#include <ferrite/errno.h>
#include <ferrite/kmalloc.h>
#include <ferrite/procfs.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/vm.h>

#define NS_PER_TICK 10000000ull /* USER_HZ = 100 */
#define CMDLINE_MAX (64u << 10)

struct proc_info {
	pid_t pid, ppid, pgid, sid;
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	char comm[TASK_COMM_LEN];
	char state;
	int nr_threads;
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns, start_ns;
	size_t vsize, rss_pages;
	uintptr_t arg_start, arg_end;
	int exit_signal;
	int nice;
};

/* Return: new reference to p's address space, or NULL (zombie). */
static struct mm *process_mm_get(struct process *p)
{
	struct mm *mm;

	guard_irqsave(&proc_tree_lock);
	mm = p->mm;
	if (mm)
		mm_get(mm);
	return mm;
}

static char state_letter(struct process *p)
{
	struct task *t;
	char c = 'D';

	if (READ_ONCE(p->zombie))
		return 'Z';
	guard_irqsave(&p->lock);
	if (p->stopped)
		return 'T';
	list_for_each_entry(t, &p->threads, thread_node) {
		int s = READ_ONCE(t->state);
		if (s == TASK_RUNNING)
			return 'R';
		if (s == TASK_INTERRUPTIBLE)
			c = 'S';
		else if (s == TASK_STOPPED && c == 'D')
			c = 'T';
	}
	return p->nr_threads ? c : 'Z';
}

static size_t mm_vsize(struct mm *mm)
{
	struct vma *v;
	size_t sum = 0;

	guard(spinlock)(&mm->lock);
	list_for_each_entry(v, &mm->vmas, node)
		sum += v->end - v->start;
	return sum;
}

/* Fill *pi for pid. 0 or -ESRCH. */
static int proc_info_get(pid_t pid, struct proc_info *pi)
{
	struct process *p = process_find(pid);
	struct mm *mm;

	if (!p)
		return -ESRCH;
	memset(pi, 0, sizeof(*pi));
	pi->pid = p->pid;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &proc_tree_lock, 0 }))
		pi->ppid = p->parent ? p->parent->pid : 0;
	scoped_guard(spinlock_irqsave, ((struct spinlock_irqsave_state){ &p->lock, 0 })) {
		pi->pgid = p->pgid;
		pi->sid = p->sid;
		pi->uid = p->uid, pi->euid = p->euid, pi->suid = p->suid, pi->fsuid = p->fsuid;
		pi->gid = p->gid, pi->egid = p->egid, pi->sgid = p->sgid, pi->fsgid = p->fsgid;
		memcpy(pi->comm, p->comm, sizeof(pi->comm));
		pi->comm[TASK_COMM_LEN - 1] = '\0';
		pi->nr_threads = p->nr_threads;
	}
	pi->state = state_letter(p);
	pi->utime_ns = READ_ONCE(p->utime_ns);
	pi->stime_ns = READ_ONCE(p->stime_ns);
	pi->cutime_ns = READ_ONCE(p->cutime_ns);
	pi->cstime_ns = READ_ONCE(p->cstime_ns);
	pi->start_ns = p->start_ns;
	pi->exit_signal = p->exit_signal;
	pi->nice = READ_ONCE(p->nice);
	mm = process_mm_get(p);
	process_put(p);
	if (mm) {
		pi->vsize = mm_vsize(mm);
		pi->rss_pages = mm_resident_pages(mm);
		pi->arg_start = mm->arg_start;
		pi->arg_end = mm->arg_end;
		mm_put(mm);
	}
	return 0;
}

static unsigned long long ticks(uint64_t ns)
{
	return (unsigned long long)(ns / NS_PER_TICK);
}

int procfs_show_pid_stat(struct pbuf *b, pid_t pid)
{
	struct proc_info pi;
	int err = proc_info_get(pid, &pi);

	if (err)
		return err;
	/* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime cutime cstime priority nice num_threads
	 * itrealvalue starttime vsize rss rsslim, then zeros up to
	 * exit_signal processor ... exit_code (52 fields in all). */
	pbuf_printf(b, "%d (%s) %c %d %d %d 0 -1 4194560 0 0 0 0 ", pi.pid, pi.comm, pi.state,
		    pi.ppid, pi.pgid, pi.sid);
	pbuf_printf(b, "%llu %llu %llu %llu %d %d %d 0 %llu ", ticks(pi.utime_ns),
		    ticks(pi.stime_ns), ticks(pi.cutime_ns), ticks(pi.cstime_ns), 20 + pi.nice,
		    pi.nice, pi.nr_threads, ticks(pi.start_ns));
	pbuf_printf(b, "%zu %zu 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 %d 0 0 0 0 0 0 ",
		    pi.vsize, pi.rss_pages, pi.exit_signal);
	pbuf_printf(b, "0 0 0 %lu %lu 0 0 0\n", (unsigned long)pi.arg_start,
		    (unsigned long)pi.arg_end);
	return 0;
}

static const char *state_name(char c)
{
	switch (c) {
	case 'R': return "R (running)";
	case 'S': return "S (sleeping)";
	case 'T': return "T (stopped)";
	case 'Z': return "Z (zombie)";
	default: return "D (disk sleep)";
	}
}

int procfs_show_pid_status(struct pbuf *b, pid_t pid)
{
	struct proc_info pi;
	int err = proc_info_get(pid, &pi);

	if (err)
		return err;
	pbuf_printf(b, "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n", pi.comm,
		    state_name(pi.state), pi.pid, pi.pid, pi.ppid);
	pbuf_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", pi.uid, pi.euid, pi.suid,
		    pi.fsuid, pi.gid, pi.egid, pi.sgid, pi.fsgid);
	pbuf_printf(b, "VmSize:\t%8zu kB\nVmRSS:\t%8zu kB\nThreads:\t%d\n", pi.vsize / 1024,
		    pi.rss_pages * (PAGE_SIZE / 1024), pi.nr_threads);
	return 0;
}

int procfs_show_pid_statm(struct pbuf *b, pid_t pid)
{
	struct proc_info pi;
	int err = proc_info_get(pid, &pi);

	if (err)
		return err;
	pbuf_printf(b, "%zu %zu 0 0 0 0 0\n", pi.vsize / PAGE_SIZE, pi.rss_pages);
	return 0;
}

int procfs_show_pid_comm(struct pbuf *b, pid_t pid)
{
	struct proc_info pi;
	int err = proc_info_get(pid, &pi);

	if (err)
		return err;
	pbuf_printf(b, "%s\n", pi.comm);
	return 0;
}

int procfs_show_pid_cmdline(struct pbuf *b, pid_t pid)
{
	struct process *p = process_find(pid);
	struct mm *mm;
	size_t len;

	if (!p)
		return -ESRCH;
	mm = process_mm_get(p);
	process_put(p);
	if (!mm)
		return 0; /* zombie: empty, as on Linux */
	len = mm->arg_end > mm->arg_start ? mm->arg_end - mm->arg_start : 0;
	len = MIN(len, (size_t)CMDLINE_MAX);
	if (len) {
		__free(kfree) char *tmp = kmalloc(len);
		if (tmp && !mm_copy_in(mm, tmp, mm->arg_start, len))
			pbuf_put(b, tmp, len);
	}
	mm_put(mm);
	return 0;
}
