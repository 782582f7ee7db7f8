/*
 * Resource usage: getrusage(2), and the rusage that wait4/waitid report.
 * CPU time comes from the tick (every tick a thread runs counts as user
 * time, as itimer.c explains); ru_maxrss is the resident size now, since
 * no high-water mark is kept. The other counters are not kept and read 0.
 */
#include <ferrite/cpu.h>
#include <ferrite/errno.h>
#include <ferrite/string.h>
#include <ferrite/task.h>
#include <ferrite/uaccess.h>
#include <ferrite/vm.h>
#include <uapi/resource.h>
#include "proc_internal.h"

static struct timeval ns_timeval(uint64_t ns)
{
	return (struct timeval){ (long)(ns / 1000000000ULL), (long)(ns % 1000000000ULL / 1000) };
}

void rusage_fill(struct rusage *ru, uint64_t utime_ns, uint64_t stime_ns)
{
	memset(ru, 0, sizeof(*ru));
	ru->ru_utime = ns_timeval(utime_ns);
	ru->ru_stime = ns_timeval(stime_ns);
}

long sys_getrusage(int who, struct rusage __user *uru)
{
	struct task *self = current;
	struct process *p = self->proc;
	struct rusage ru;

	switch (who) {
	case RUSAGE_SELF:
		rusage_fill(&ru, __atomic_load_n(&p->utime_ns, __ATOMIC_RELAXED), p->stime_ns);
		if (p->mm)
			ru.ru_maxrss = (long)(mm_resident_pages(p->mm) * (PAGE_SIZE / 1024));
		break;
	case RUSAGE_THREAD:
		rusage_fill(&ru, self->utime_ns, self->stime_ns);
		break;
	case RUSAGE_CHILDREN:
		rusage_fill(&ru, p->cutime_ns, p->cstime_ns);
		break;
	default:
		return -EINVAL;
	}
	return copy_to_user(uru, &ru, sizeof(ru)) ? -EFAULT : 0;
}
