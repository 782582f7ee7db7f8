/*
 * Fake current task and scheduler for host tests (see fake_task.h).
 * Single-threaded: no locking.
 */
#include <ferrite/cpu.h>
#include <ferrite/sched.h>
#include <ferrite/waitqueue.h>
#include <ferrite/errno.h>
#include <ferrite/task.h>
#include "fake_task.h"

#undef current /* the field of struct cpu, not the macro */

struct task fake_task;
struct process fake_proc;
bool fake_signal_pending;
int fake_sleep_count;
void (*fake_sleep_hook)(void);

void fake_task_init(void)
{
	fake_proc.pid = 100;
	for (int i = 0; i < RLIM_NLIMITS; i++)
		fake_proc.rlim[i] = (struct rlimit64){ RLIM_INFINITY, RLIM_INFINITY };
	fake_task.tid = 100;
	ref_init(&fake_task.ref);
	fake_task.proc = &fake_proc;
	fake_task.state = TASK_RUNNING;
	hal_cpu_self()->current = &fake_task;
}

void fake_set_proc(struct process *p) { fake_task.proc = p; }

bool signal_pending_current(void) { return fake_signal_pending; }

void sched_wakeup(struct task *t) { t->state = TASK_RUNNING; }

uint64_t schedule_timeout(uint64_t deadline_ns)
{
	void (*hook)(void) = fake_sleep_hook;

	fake_sleep_count++;
	if (hook) {
		fake_sleep_hook = NULL;
		hook();
		return 1;
	}
	if (deadline_ns)
		return 0; /* timed out */
	fake_signal_pending = true; /* nobody will wake us: interrupt */
	fake_task.work = 1; /* as the kernel's producers (user_return.h) */
	return 1;
}

void schedule(void) { (void)schedule_timeout(0); }

/* No threads on the host: a caller that can do without one (the mount
 * reaper, src/fs/mount.c) falls back. */
__attribute__((weak)) struct task *kthread_create(const char *name, void (*fn)(void *),
						  void *arg)
{
	(void)name;
	(void)fn;
	(void)arg;
	return ERR_PTR(-ENOSYS);
}
